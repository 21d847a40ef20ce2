"""The demo content command: what it creates, that a rerun adds nothing, and what it costs."""

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from articles import body
from articles.models import (
    BODY_BLOCKS,
    Article,
    LiveEntry,
    LiveImageBlock,
    LiveListBlock,
    LiveQuoteBlock,
    LiveTextBlock,
    MoreBlock,
)
from newsroom import demo_data
from newsroom.models import User

pytestmark = pytest.mark.django_db


def seed(*args) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def seeded(settings):
    settings.DEBUG = True
    return seed()


def test_creates_stories_accounts_and_a_rerun_adds_nothing(seeded, client):
    stories = Article.objects.published()
    assert stories.count() == len(demo_data.STORIES) >= 8
    assert {story.section.slug for story in stories} == {slug for _, slug, _ in demo_data.SECTIONS}
    assert all(story.lead.image.renditions and story.lead.caption and story.lead.effective_credit for story in stories)
    # Every story has MORE links between its paragraphs and at its end; the first uses every kind of block.
    assert MoreBlock.objects.count() == sum(len(story["more"]) for story in demo_data.STORIES)
    first = stories.get(slug=demo_data.STORIES[0]["slug"])
    assert {type(block) for block in body.blocks(first)} == set(BODY_BLOCKS)
    html = client.get(first.get_absolute_url()).content.decode()
    for rendered in ["MORE:", "story__subhead", "pullquote", "<ol>", "<ul>", "gallery__items", "embed__card"]:
        assert rendered in html, rendered
    assert all(story.body for story in stories)  # the blocks' words, for search
    assert "&lt;a href" not in html and "&lt;em&gt;" not in html  # the demo's links and emphasis are markup

    assert User.objects.filter(is_staff=False).count() >= 12
    editor = User.objects.get(handle="editor")
    assert editor.is_staff and not editor.is_superuser
    assert editor.has_perm("articles.change_article") and editor.has_perm("articles.add_moreblock")
    assert editor.has_perm("articles.publish_article")
    reporter = User.objects.get(handle="reporter")
    assert reporter.is_staff and reporter.groups.get().name == "Reporters"
    assert reporter.has_perm("articles.add_article") and not reporter.has_perm("articles.publish_article")
    assert User.objects.get(handle="admin").is_superuser
    client.login(username="editor", password="newsroom-editor")
    assert client.get("/admin/articles/article/").status_code == 200
    logins = ["admin / newsroom-admin", "editor / newsroom-editor", "reporter / newsroom-reporter"]
    for log_in in [*logins, "moderator / newsroom-moderator"]:
        assert log_in in seeded
    moderator = User.objects.get(handle="moderator")
    assert moderator.is_staff and not moderator.is_superuser and moderator.groups.get().name == "Moderators"
    client.login(username="moderator", password="newsroom-moderator")
    assert client.get("/admin/comments/moderationitem/").status_code == 200
    assert client.get("/admin/articles/article/").status_code == 403
    client.login(username=demo_data.READERS[0][0], password="newsroom-reader")
    assert client.get("/admin/articles/article/").status_code == 302  # readers are sent to the admin's sign-in

    counts = (Article.objects.count(), User.objects.count(), MoreBlock.objects.count())
    with CaptureQueriesContext(connection) as queries:
        seed()
    assert (Article.objects.count(), User.objects.count(), MoreBlock.objects.count()) == counts
    assert len(queries) <= 30, [q["sql"] for q in queries]


def test_reset_starts_over(seeded):
    first_ids = set(Article.objects.values_list("pk", flat=True))
    seed("--reset")
    assert Article.objects.count() == len(demo_data.STORIES)
    assert not first_ids & set(Article.objects.values_list("pk", flat=True))


def test_passwords_are_printed_only_in_development(settings, capsys):
    settings.DEBUG = False
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert "newsroom-admin" not in out
    assert not User.objects.get(handle="admin").check_password("newsroom-admin")


def test_the_demo_has_a_live_blog_with_key_events_and_a_pinned_entry(seeded, client):
    blog = Article.objects.get(slug=demo_data.LIVE_BLOG["slug"])
    assert blog.is_live_blog and blog.live_ended_at
    entries = LiveEntry.objects.filter(article=blog)
    assert entries.count() == len(demo_data.LIVE_BLOG["entries"]) >= 12
    assert entries.filter(is_key_event=True).count() == 2
    assert entries.filter(is_pinned=True).count() == 1
    assert blog.live_version == entries.count()
    html = client.get(blog.get_absolute_url()).content.decode()
    assert "Key events" in html and "Saltmere votes yes to the sea wall" in html
    # Entries are written in a story's kinds of block: the demo shows a picture, a quote and a list among them.
    kinds = {type(block) for entry in entries for block in body.blocks(entry)}
    assert {LiveTextBlock, LiveImageBlock, LiveQuoteBlock, LiveListBlock} <= kinds
    assert "story__figure" in html and '<figure class="quote">' in html
    seed()
    assert LiveEntry.objects.filter(article=blog).count() == len(demo_data.LIVE_BLOG["entries"])
