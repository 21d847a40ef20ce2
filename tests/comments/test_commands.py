"""check_comment_trees: passes on sound trees and true counts, fails naming a tree broken behind django-mptt's back
or a story whose count drifted, and --repair renumbers the broken trees and recounts the drifted stories alone, under
the posting locks."""

import contextlib
import io
import threading
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.models import F

from comments import locking
from comments.models import Comment, Discussion
from tests.factories import CommentFactory

pytestmark = pytest.mark.django_db


def make_threads():
    roots = [CommentFactory(), CommentFactory()]
    for root in roots:
        CommentFactory(parent=CommentFactory(parent=root))
        CommentFactory(parent=root)
    return roots


def test_sound_trees_pass_in_a_fixed_number_of_queries(django_assert_max_num_queries):
    make_threads()
    out = io.StringIO()
    with django_assert_max_num_queries(3):
        call_command("check_comment_trees", "--batch-size", "1000", stdout=out)
    assert "All 2 comment trees match" in out.getvalue()


def test_tree_corrupted_by_update_fails_the_command_naming_it():
    good, bad = make_threads()
    Comment.objects.filter(tree_id=bad.tree_id, level=2).update(lft=F("lft") + 1)
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 of 2 comment trees differ"):
        call_command("check_comment_trees", stderr=err, stdout=io.StringIO())
    assert f"tree {bad.tree_id} (story {bad.article.slug})" in err.getvalue()
    assert f"tree {good.tree_id} " not in err.getvalue()


def test_colliding_tree_ids_fail_the_command():
    first, second = make_threads()
    Comment.objects.filter(tree_id=second.tree_id).update(tree_id=first.tree_id)
    with pytest.raises(CommandError):
        call_command("check_comment_trees", stderr=io.StringIO(), stdout=io.StringIO())


def test_batches_cover_every_tree():
    make_threads()
    bad = CommentFactory()
    Comment.objects.filter(pk=bad.pk).update(rght=5)
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 of 3"):
        call_command("check_comment_trees", "--batch-size", "1", stderr=err, stdout=io.StringIO())


def tree_table(tree_ids=None) -> list[tuple]:
    """The compact id/parent/tree/lft/rght/level table django-mptt's own tests compare."""
    rows = Comment.objects.order_by("pk")
    if tree_ids is not None:
        rows = rows.filter(tree_id__in=tree_ids)
    return list(rows.values_list("pk", "parent_id", "tree_id", "lft", "rght", "level"))


def threads() -> dict[int, set[int]]:
    """Each top-level comment with the comments under it by parent links: what a repair must never change."""
    return {root.pk: {c.pk for c in root.get_descendants(include_self=True)} for root in Comment.objects.root_nodes()}


def repair(**kwargs) -> str:
    out = io.StringIO()
    call_command("check_comment_trees", "--repair", stdout=out, stderr=io.StringIO(), **kwargs)
    return out.getvalue()


def test_repair_renumbers_the_damaged_tree_only_and_the_check_then_passes(django_assert_max_num_queries):
    good, bad = make_threads()
    sound = tree_table([good.tree_id])
    expected = tree_table([bad.tree_id])
    Comment.objects.filter(tree_id=bad.tree_id, level=2).update(lft=F("lft") + 1, rght=F("rght") + 7)
    with mock.patch.object(Comment.objects, "rebuild") as full_rebuild:
        output = repair()
    full_rebuild.assert_not_called()
    assert f"tree {bad.tree_id}: 1 comment renumbered." in output
    assert "Repaired 1 of 2 comment trees (1 comment renumbered)." in output
    assert tree_table([bad.tree_id]) == expected
    assert tree_table([good.tree_id]) == sound
    call_command("check_comment_trees", stdout=io.StringIO())


def test_repair_writes_nothing_when_the_trees_are_sound():
    make_threads()
    before = tree_table()
    out = io.StringIO()
    call_command("check_comment_trees", "--repair", stdout=out)
    assert "All 2 comment trees match" in out.getvalue()
    assert tree_table() == before


def test_repair_puts_siblings_back_in_posting_order():
    root = CommentFactory()
    first, second = CommentFactory(parent=root), CommentFactory(parent=root)
    # Swapped behind mptt's back: a rebuild that trusted lft would keep the wrong order.
    Comment.objects.filter(pk=first.pk).update(lft=4, rght=5)
    Comment.objects.filter(pk=second.pk).update(lft=2, rght=3)
    repair()
    assert tree_table() == [
        (root.pk, None, root.tree_id, 1, 6, 0),
        (first.pk, root.pk, root.tree_id, 2, 3, 1),
        (second.pk, root.pk, root.tree_id, 4, 5, 1),
    ]


def test_repair_gives_colliding_threads_a_tree_each_and_keeps_every_reply_under_its_parent():
    first, second = make_threads()
    before = threads()
    Comment.objects.filter(tree_id=second.tree_id).update(tree_id=first.tree_id)
    repair()
    call_command("check_comment_trees", stdout=io.StringIO())
    assert threads() == before
    trees = list(Comment.objects.root_nodes().values_list("tree_id", flat=True))
    assert len(trees) == len(set(trees))
    assert Comment.objects.get(pk=first.pk).tree_id == first.tree_id  # the older thread keeps its tree


def test_repair_moves_a_reply_filed_under_another_tree_back_to_its_thread():
    first, second = make_threads()
    before = threads()
    stray = Comment.objects.filter(tree_id=second.tree_id, level=2).get()
    Comment.objects.filter(pk=stray.pk).update(tree_id=first.tree_id)
    repair()
    call_command("check_comment_trees", stdout=io.StringIO())
    assert threads() == before


def test_repair_takes_the_posting_locks_new_tree_then_trees_then_discussion():
    good, bad = make_threads()
    Comment.objects.filter(tree_id=bad.tree_id, level=1).update(level=5)
    calls = mock.Mock()
    module = "comments.management.commands.check_comment_trees"
    with contextlib.ExitStack() as stack:
        for name in ("lock_new_tree", "lock_trees", "lock_discussions"):
            patched = stack.enter_context(mock.patch(f"{module}.{name}", side_effect=getattr(locking, name)))
            calls.attach_mock(patched, name)
        repair()
    assert calls.mock_calls == [
        mock.call.lock_new_tree(),
        mock.call.lock_trees({bad.tree_id}),
        mock.call.lock_discussions([bad.article_id]),
    ]


def test_damage_without_repair_says_how_to_repair():
    _, bad = make_threads()
    Comment.objects.filter(pk=bad.pk).update(rght=99)
    with pytest.raises(CommandError, match="Run again with --repair"):
        call_command("check_comment_trees", stderr=io.StringIO(), stdout=io.StringIO())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks that block another connection: PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_repair_waits_for_a_post_in_progress_on_the_same_story():
    """Repair and posting exclude each other: while a writer holds the tree's lock, the repair waits for it."""
    _, bad = make_threads()
    Comment.objects.filter(pk=bad.pk).update(rght=99)
    locked, release, repaired = threading.Event(), threading.Event(), threading.Event()

    def writer():
        try:
            with transaction.atomic():
                locking.lock_trees([bad.tree_id])
                locked.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    def repairer():
        try:
            repair()
            repaired.set()
        finally:
            connection.close()

    threads_ = [threading.Thread(target=writer), threading.Thread(target=repairer)]
    threads_[0].start()
    assert locked.wait(timeout=10)
    threads_[1].start()
    try:
        assert not repaired.wait(timeout=1), "the repair ran while a writer held the tree's lock"
    finally:
        release.set()
        for thread in threads_:
            thread.join()
    assert repaired.is_set()
    call_command("check_comment_trees", stdout=io.StringIO())


def test_a_corrupted_count_fails_the_command_naming_the_story_and_repair_recounts_it(django_assert_max_num_queries):
    good, bad = make_threads()
    Discussion.objects.filter(pk=bad.article_id).update(comment_count=F("comment_count") + 3)
    version = Discussion.objects.get(pk=bad.article_id).version
    err = io.StringIO()
    with pytest.raises(
        CommandError, match=rf"1 story with a comment count other than its visible comments \({bad.article.slug}\)"
    ):
        call_command("check_comment_trees", stderr=err, stdout=io.StringIO())
    assert f"story {bad.article.slug} (id {bad.article_id}): comment count 7, but 4 visible comments" in err.getvalue()
    assert good.article.slug not in err.getvalue()

    output = repair()

    assert f"story {bad.article.slug}: comment count set to 4." in output
    assert "Recounted the comments of 1 story." in output
    discussion = Discussion.objects.get(pk=bad.article_id)
    assert discussion.comment_count == 4 and discussion.version == version + 1  # cached pages showed the wrong count
    out = io.StringIO()
    call_command("check_comment_trees", stdout=out)
    assert "Every story's comment count matches its visible comments." in out.getvalue()


def test_a_story_counted_with_no_visible_comments_left_is_drift_too():
    comment = CommentFactory()
    Comment.objects.filter(pk=comment.pk).update(status=Comment.Status.REMOVED)  # behind the services' back
    with pytest.raises(CommandError, match=comment.article.slug):
        call_command("check_comment_trees", stderr=io.StringIO(), stdout=io.StringIO())
    repair()
    assert Discussion.objects.get(pk=comment.article_id).comment_count == 0


def test_broken_trees_and_drifted_counts_are_repaired_in_one_run():
    good, bad = make_threads()
    Comment.objects.filter(tree_id=bad.tree_id, level=2).update(lft=F("lft") + 1)
    Discussion.objects.filter(pk=good.article_id).update(comment_count=0)
    with pytest.raises(
        CommandError, match="1 of 2 comment trees differ from a rebuild; 1 story with a comment count other"
    ):
        call_command("check_comment_trees", stderr=io.StringIO(), stdout=io.StringIO())
    output = repair()
    assert "Repaired 1 of 2 comment trees" in output and f"story {good.article.slug}: comment count set to 4." in output
    call_command("check_comment_trees", stdout=io.StringIO())
