"""Many readers posting at once on PostgreSQL never corrupt the comment trees (issue 4's locking figures)."""

import random
import threading

import pytest
from django.conf import settings
from django.db import connection, connections

from comments import services
from comments.models import Comment
from tests.factories import ArticleFactory, UserFactory

THREADS = 12
POSTS_PER_THREAD = 30
STORIES = 4

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
def test_concurrent_posts_across_stories_keep_every_tree_equal_to_a_rebuild(settings):
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
                    parent = rng.choice(posted) if posted and rng.random() < 0.6 else None
                story = parent.article if parent else rng.choice(stories)
                comment = services.comment_create(article=story, author=reader, body=f"post {n}", parent=parent)
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
    assert Comment.objects.count() == total
    roots = list(Comment.objects.filter(parent=None).values_list("tree_id", flat=True))
    assert len(roots) == len(set(roots)), "two top-level comments share a tree_id"
    assert Comment.objects.filter(parent__isnull=False).count() > total // 3  # replies really raced too
    before = snapshot()
    Comment.objects.rebuild()
    after = snapshot()
    differing = [pk for pk in before if before[pk] != after[pk]]
    assert differing == []
    connection.close()
