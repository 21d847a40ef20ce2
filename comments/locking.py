"""The locks every write to a story's comment trees takes, so concurrent posts never corrupt the trees, and a reply
shifting a big thread holds up that thread only.

One order for every transaction, so no two can wait on each other:

1. the new-tree lock (lock_new_tree), site-wide, when a tree is made or renumbered: django-mptt numbers a new tree
   MAX(tree_id) + 1 over the whole table, so two stories' new top-level comments collide unless something
   site-wide serialises them (measured, issue 4: the story lock alone still corrupted trees across four stories);
2. the tree locks (lock_trees), ascending tree ids: a reply or a delete shifts lft/rght inside one tree, a moderator
   changes statuses inside the trees of the comments picked; comment rows are written only under their tree's lock
   (likes excepted: a like moves a counter, never lft/rght, and waits at most for one shift);
3. the stories' discussion rows (lock_discussions, or discussion_changed's UPDATE, which takes the row), ascending
   ids, always last: after them a transaction only writes notifications and commits, so it never waits on a tree.

A reply into a 20,000-reply thread (1.8 s of shifting) thus delays replies to that thread only; other threads of
the story take the discussion row for the milliseconds between their UPDATE and their commit. All waits are
bounded by COMMENTS_LOCK_TIMEOUT (lock_timeout): past it the write fails whole. On SQLite a write transaction
(IMMEDIATE) already excludes every other writer, and these functions take nothing."""

from collections.abc import Iterable

from django.conf import settings
from django.db import connection

from articles.models import Article
from comments.models import Comment, Discussion

__all__ = [
    "lock_new_tree",
    "lock_trees",
    "lock_tree_of",
    "lock_story_trees",
    "lock_discussion",
    "lock_discussions",
    "TREE_ID_LOCK_KEY",
    "TREE_LOCKS",
]

# Any fixed 64-bit number unique to this purpose in the database; "cmtree" in ASCII.
TREE_ID_LOCK_KEY = 0x636D74726565
# The first key of the two-key advisory locks on one tree each (the second is the tree id); "cmtr" in ASCII. The
# one-key and two-key forms are separate spaces in pg_locks, so this cannot meet TREE_ID_LOCK_KEY.
TREE_LOCKS = 0x636D7472


def _in_transaction(name: str) -> None:
    if not connection.in_atomic_block:
        raise RuntimeError(f"{name}() needs an open transaction (use transaction.atomic()).")


def _bounded_wait() -> None:
    if connection.vendor == "postgresql":
        # Wait a bounded time: past it the transaction fails whole and the reader is told, text kept, instead of
        # the request hanging until the web server kills it. (SQLite has its busy timeout in DATABASES.)
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('lock_timeout', %s, true)", [f"{settings.COMMENTS_LOCK_TIMEOUT}s"])


def lock_new_tree() -> None:
    """The site-wide lock on making trees (step 1): taken before any tree lock, for a new top-level comment, an
    import or a repair that renumbers trees. Also what serialises two submits of one top-level form."""
    _in_transaction("lock_new_tree")
    if connection.vendor == "postgresql":
        _bounded_wait()
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [TREE_ID_LOCK_KEY])


def lock_trees(tree_ids: Iterable[int]) -> list[int]:
    """Lock these comment trees until the transaction ends (step 2), in ascending order, in one statement however
    many (a moderator's action on a thousand threads). Returns the ids locked, ascending. A comment keeps its tree
    id for life (only check_comment_trees --repair renumbers, under the new-tree lock), so an id read before the
    lock is the one to lock; a caller that reads the comment again under the lock sees it current."""
    _in_transaction("lock_trees")
    ids = sorted({int(tree_id) for tree_id in tree_ids})
    if ids and connection.vendor == "postgresql":
        _bounded_wait()
        with connection.cursor() as cursor:
            # OFFSET 0 keeps the sorted subquery whole, so the locks are taken in its order.
            cursor.execute(
                "SELECT count(pg_advisory_xact_lock(%s, t)) FROM (SELECT unnest(%s::int[]) AS t ORDER BY t OFFSET 0) s",
                [TREE_LOCKS, ids],
            )
    return ids


def lock_tree_of(comment_pk: int, *, article_id: int) -> int | None:
    """Lock the tree of one comment of the story (a reply's parent) in one statement; returns its tree id, or None
    when the story has no such comment (nothing locked)."""
    _in_transaction("lock_tree_of")
    found = Comment.objects.filter(pk=comment_pk, article_id=article_id).values_list("tree_id", flat=True)
    if connection.vendor != "postgresql":
        return found.first()
    _bounded_wait()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT tree_id, pg_advisory_xact_lock(%s, tree_id) FROM {Comment._meta.db_table} "
            "WHERE id = %s AND article_id = %s",
            [TREE_LOCKS, comment_pk, article_id],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def lock_story_trees(article_id: int, *, new_thread: bool = False) -> list[int]:
    """Every tree of the story (an import, an account's deletion story by story): with `new_thread` the new-tree
    lock first, which also keeps the story from gaining a tree while its trees are listed and locked."""
    if new_thread:
        lock_new_tree()
    return lock_trees(Comment.objects.filter(article_id=article_id, lft=1).values_list("tree_id", flat=True))


def lock_discussions(article_ids) -> list[Discussion]:
    """Lock the stories' discussion rows (step 3, last), made by the first write, in id order; `article_ids` may be
    a subquery. Returns them, read under the lock: the mode a post must respect, the count a recount replaces."""
    _in_transaction("lock_discussions")
    _bounded_wait()
    ids = list(Article.objects.filter(pk__in=article_ids).values_list("pk", flat=True))
    # A story's discussion row is made by its first write; stories written to only behind the services have none.
    Discussion.objects.bulk_create([Discussion(article_id=pk) for pk in ids], ignore_conflicts=True)
    return list(Discussion.objects.filter(pk__in=ids).order_by("pk").select_for_update())


def lock_discussion(article_id: int, *, waits_bounded: bool = False) -> Discussion:
    """lock_discussions for one story, in one query once the row exists (`waits_bounded`: a lock taken earlier in
    this transaction already set lock_timeout)."""
    _in_transaction("lock_discussion")
    if not waits_bounded:
        _bounded_wait()
    return Discussion.objects.select_for_update().get_or_create(article_id=article_id)[0]
