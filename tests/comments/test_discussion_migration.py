"""Upgrading moves each story's discussion state (mode, count, version) to comments.Discussion and back on a
downgrade, with nothing lost: run with the migration executor on a database holding stories and comments."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("articles", "0009_comment_count_kept_by_deltas"), ("comments", "0009_moderation_queue_names")]
AFTER = [("articles", "0010_discussion_state_moved_to_comments"), ("comments", "0011_comment_article_related_name")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def leaf_targets():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


def test_upgrade_moves_mode_count_and_version_to_the_discussion_and_a_downgrade_brings_them_back():
    old = migrate(BEFORE)
    Section = old.get_model("articles", "Section")
    Article = old.get_model("articles", "Article")
    Comment = old.get_model("comments", "Comment")
    section = Section.objects.create(name="World", slug="world")
    now = timezone.now()
    stories = {
        mode: Article.objects.create(
            section=section,
            headline=mode,
            deck="d",
            slug=mode,
            body="b",
            status="published",
            publish_at=now,
            comments=mode,
        )
        for mode in ("open", "premoderated", "closed")
    }
    untouched = Article.objects.create(section=section, headline="quiet", deck="d", slug="quiet", body="b")
    for number, story in enumerate(stories.values(), start=1):
        for tree in range(number):
            Comment.objects.create(
                article=story, body="x", body_html="<p>x</p>", tree_id=number * 10 + tree, lft=1, rght=2, level=0
            )
        Article.objects.filter(pk=story.pk).update(comment_count=number, comment_version=number * 7)

    new = migrate(AFTER)
    Discussion = new.get_model("comments", "Discussion")
    moved = {d.article_id: (d.mode, d.comment_count, d.version) for d in Discussion.objects.all()}
    assert moved == {
        stories["open"].pk: ("open", 1, 7),
        stories["premoderated"].pk: ("premoderated", 2, 14),
        stories["closed"].pk: ("closed", 3, 21),
    }
    assert untouched.pk not in moved  # the defaults need no row: open, no comments
    assert new.get_model("comments", "Comment").objects.filter(article_id=stories["closed"].pk).count() == 3

    old = migrate(BEFORE)
    back = {
        a.pk: (a.comments, a.comment_count, a.comment_version)
        for a in old.get_model("articles", "Article").objects.all()
    }
    assert back[stories["closed"].pk] == ("closed", 3, 21) and back[untouched.pk] == ("open", 0, 0)
    migrate(leaf_targets())
    # The stories are still found by search (on SQLite its index was taken down and rebuilt around the change).
    from articles.search import search_stories

    assert [story.slug for story in search_stories("premoderated")] == ["premoderated"]
