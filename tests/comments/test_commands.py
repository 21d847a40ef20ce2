"""check_comment_trees: passes on sound trees, fails naming a tree broken behind django-mptt's back."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F

from comments.models import Comment
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
