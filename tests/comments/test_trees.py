"""The tree check: pure, compared with what django-mptt's rebuild numbers."""

import pytest

from comments.trees import Row, expected_positions, tree_problems

# id parent tree lft rght level: a root with two replies, the first with a reply of its own.
SOUND = [Row(1, None, 1, 1, 8, 0), Row(2, 1, 1, 2, 5, 1), Row(3, 2, 1, 3, 4, 2), Row(4, 1, 1, 6, 7, 1)]


def test_sound_tree_has_no_problems():
    assert tree_problems(SOUND) == {}


@pytest.mark.parametrize(
    ("rows", "problem"),
    [
        (SOUND + [Row(5, None, 1, 1, 2, 0)], "2 top-level comments share the tree"),
        ([*SOUND[:3], Row(4, 1, 1, 6, 9, 1)], "differ from a rebuild for comments [4]"),
        ([*SOUND[:2], Row(3, 2, 1, 3, 4, 3), SOUND[3]], "differ from a rebuild for comments [3]"),
        ([*SOUND, Row(6, 9, 1, 9, 10, 1)], "parent is in another tree: [6]"),
    ],
    ids=["two roots", "rght", "level", "stray"],
)
def test_broken_trees_are_named(rows, problem):
    problems = tree_problems(rows)
    assert list(problems) == [1]
    assert problem in problems[1]


def test_deep_chain_does_not_hit_the_recursion_limit():
    depth = 5000
    rows = [Row(n, n - 1 or None, 1, n, 2 * depth - n + 1, n - 1) for n in range(1, depth + 1)]
    assert expected_positions(rows)[depth] == (depth, depth + 1, depth - 1)
    assert tree_problems(rows) == {}
