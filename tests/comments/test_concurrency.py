"""Many readers posting at once on PostgreSQL: every accepted comment stored once, no tree corrupted (issue 7's figures:
16 workers x 50 posts, a third top-level, the rest replies to random comments across several stories)."""

import random
import threading

import pytest
from django.conf import settings
from django.db import connection, connections

from comments import services
from comments.models import Comment
from tests.comments.conftest import assert_trees_sound
from tests.factories import ArticleFactory, UserFactory

THREADS = 16
POSTS_PER_THREAD = 50
STORIES = 4
TOP_LEVEL_SHARE = 1 / 3

ON_POSTGRESQL = "postgresql" in settings.DATABASES["default"]["ENGINE"]


def snapshot() -> dict[int, tuple]:
    """Each comment's place: its lft/rght/level, and which comment is the root of the tree it sits in."""
    rows = list(Comment.objects.order_by().values_list("pk", "parent_id", "tree_id", "lft", "rght", "level"))
    root_of_tree = {tree_id: pk for pk, parent_id, tree_id, *_ in rows if parent_id is None}
    return {pk: (lft, rght, level, root_of_tree.get(tree_id)) for pk, _, tree_id, lft, rght, level in rows}


@pytest.mark.skipif(
    not ON_POSTGRESQL,
    reason="needs PostgreSQL: SQLite allows one writer at a time, so concurrent tree writes cannot race there",
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_posts_across_stories_keep_every_tree_equal_to_a_rebuild(settings, record_property):
    settings.COMMENTS_RATE_PER_MINUTE = 0
    stories = [ArticleFactory() for _ in range(STORIES)]
    readers = [UserFactory() for _ in range(THREADS)]
    posted: list[Comment] = []
    posted_lock = threading.Lock()
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def post_many(reader, seed):
        rng = random.Random(seed)
        try:
            start.wait()
            for n in range(POSTS_PER_THREAD):
                with posted_lock:
                    parent = rng.choice(posted) if posted and rng.random() >= TOP_LEVEL_SHARE else None
                story = parent.article if parent else rng.choice(stories)
                body = f"worker {seed} post {n}"
                comment = services.comment_create(article=story, author=reader, body=body, parent=parent)
                with posted_lock:
                    posted.append(comment)
        except BaseException as error:  # reported to the main thread below
            errors.append(error)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=post_many, args=(reader, n)) for n, reader in enumerate(readers)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert errors == []
    total = THREADS * POSTS_PER_THREAD
    # Every accepted comment is stored, once, with its own text, in the story and under the parent it was given.
    accepted = {c.pk: (c.body, c.article_id, c.parent_id) for c in posted}
    stored = {
        pk: (body, article, parent)
        for pk, body, article, parent in Comment.objects.values_list("pk", "body", "article_id", "parent_id")
    }
    assert len(posted) == len(accepted) == total
    assert stored == accepted
    assert len({body for body, _, _ in stored.values()}) == total
    roots = list(Comment.objects.filter(parent=None).values_list("tree_id", flat=True))
    assert len(roots) == len(set(roots)), "two top-level comments share a tree_id"
    replies = total - len(roots)
    assert replies > total // 2  # replies really raced too
    before = snapshot()
    Comment.objects.rebuild()
    after = snapshot()
    differing = [pk for pk in before if before[pk] != after[pk]]
    assert differing == []
    assert_trees_sound()
    record_property(
        "figures",
        f"{total} concurrent posts ({THREADS} workers x {POSTS_PER_THREAD}, {len(roots)} top-level, {replies} replies, "
        f"{STORIES} stories): {len(stored)} stored, 0 lost, 0 duplicated, {len(differing)} tree corruptions",
    )
    connection.close()
