"""The demo discussions: posted through the services, deep enough to show threading, and not doubled by a rerun."""

import io

import pytest
from django.core.management import call_command

from articles.models import Article
from comments.models import Comment, Mention
from newsroom import demo_data
from tests.comments.conftest import assert_trees_sound

pytestmark = pytest.mark.django_db


def test_seed_creates_the_reference_discussion_once(settings, client):
    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())
    story = Article.objects.get(slug=demo_data.STORIES[0]["slug"])
    comments = Comment.objects.filter(article=story)
    assert comments.count() >= 18
    assert comments.filter(level__gte=3).exists()  # threads at least 4 deep
    assert Mention.objects.filter(comment__article=story).exists()
    assert comments.filter(body_html__contains='rel="nofollow ugc noopener"').exists()
    assert Comment.objects.exclude(article=story).exists()  # the smaller discussions
    assert set(Comment.objects.values_list("status", flat=True)) == {Comment.Status.VISIBLE}
    total = Comment.objects.count()
    call_command("seed_demo", stdout=io.StringIO())
    assert Comment.objects.count() == total
    assert_trees_sound()
    html = client.get(story.get_absolute_url()).content.decode()
    assert f"{comments.count()} comments" in html
