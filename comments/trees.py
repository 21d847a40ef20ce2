"""Check comment trees against what a rebuild from the parent links would produce; pure, no database."""

from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import NamedTuple, TypeVar

__all__ = ["Row", "expected_positions", "number_forest", "tree_problems", "repair_plan"]

K = TypeVar("K", bound=Hashable)


class Row(NamedTuple):
    id: int
    parent_id: int | None
    tree_id: int
    lft: int
    rght: int
    level: int


def expected_positions(rows: list[Row]) -> dict[int, tuple[int, int, int]]:
    """(lft, rght, level) per node of one tree, numbered as django-mptt's rebuild() does: children in insertion
    (id) order, since comments have no order_insertion_by. Iterative: threads can be thousands deep."""
    children: dict[int | None, list[int]] = defaultdict(list)
    for row in sorted(rows, key=lambda r: r.id):
        children[row.parent_id].append(row.id)
    positions: dict[int, tuple[int, int, int]] = {}
    counter = 0
    lefts: dict[int, int] = {}
    stack: list[tuple[int, int, bool]] = [(root, 0, False) for root in reversed(children[None])]
    while stack:
        node, level, done = stack.pop()
        counter += 1
        if done:
            positions[node] = (lefts[node], counter, level)
            continue
        lefts[node] = counter
        stack.append((node, level, True))
        stack.extend((child, level + 1, False) for child in reversed(children[node]))
    return positions


def number_forest(roots: Sequence[K], children: Mapping[K, Sequence[K]]) -> dict[K, tuple[int, int, int, int]]:
    """(tree index, lft, rght, level) per node for trees not yet in the database, each tree numbered from 1 as
    django-mptt numbers it, children in the order given. Iterative, like expected_positions: no recursion limit."""
    positions: dict[K, tuple[int, int, int, int]] = {}
    for index, root in enumerate(roots):
        counter = 0
        lefts: dict[K, int] = {}
        stack: list[tuple[K, int, bool]] = [(root, 0, False)]
        while stack:
            node, level, done = stack.pop()
            counter += 1
            if done:
                positions[node] = (index, lefts.pop(node), counter, level)
                continue
            lefts[node] = counter
            stack.append((node, level, True))
            stack.extend((child, level + 1, False) for child in reversed(children.get(node, ())))
    return positions


def tree_problems(rows: Iterable[Row]) -> dict[int, str]:
    """What is wrong with each broken tree among `rows` (whole trees), keyed by tree_id; empty when all are sound."""
    trees: dict[int, list[Row]] = defaultdict(list)
    for row in rows:
        trees[row.tree_id].append(row)
    problems: dict[int, str] = {}
    for tree_id, members in trees.items():
        ids = {row.id for row in members}
        roots = [row for row in members if row.parent_id is None]
        strays = [row.id for row in members if row.parent_id is not None and row.parent_id not in ids]
        if len(roots) != 1:
            problems[tree_id] = (
                f"{len(roots)} top-level comments share the tree ({', '.join(str(r.id) for r in roots)})"
            )
        elif strays:
            problems[tree_id] = f"comments whose parent is in another tree: {strays[:10]}"
        else:
            expected = expected_positions(members)
            wrong = [row.id for row in members if (row.lft, row.rght, row.level) != expected.get(row.id)]
            if wrong:
                problems[tree_id] = f"lft/rght/level differ from a rebuild for comments {wrong[:10]}"
    return problems


def repair_plan(rows: Iterable[Row], next_tree_id: int) -> dict[int, tuple[int, int, int, int]]:
    """New (tree_id, lft, rght, level) for each comment among `rows` that is out of place, from the parent links alone.

    `rows` must hold whole trees and every ancestor of each row. Each top-level comment heads one tree: the oldest of
    several roots sharing a tree_id keeps it, the others get fresh ids from `next_tree_id` (the caller holds the lock
    that serialises new trees); a reply filed under another tree moves to its root's tree. Rows already in place are
    left out, so only what changed is written.
    """
    by_id = {row.id: row for row in rows}
    root_of: dict[int, int] = {}
    for row in by_id.values():
        path, node = [], row
        while node.parent_id is not None and node.id not in root_of:
            path.append(node.id)
            if node.parent_id not in by_id:
                raise ValueError(f"comment {node.id}'s parent {node.parent_id} is not among the rows")
            node = by_id[node.parent_id]
            if len(path) > len(by_id):
                raise ValueError(f"the parent links of comment {row.id} form a loop")
        root = root_of.get(node.id, node.id)
        for pk in path:
            root_of[pk] = root
        root_of[node.id] = root
    members: dict[int, list[Row]] = defaultdict(list)
    for row in by_id.values():
        members[root_of[row.id]].append(row)
    target_tree: dict[int, int] = {}
    kept: set[int] = set()
    for root in sorted(members):
        tree_id = by_id[root].tree_id
        if tree_id in kept:
            tree_id, next_tree_id = next_tree_id, next_tree_id + 1
        kept.add(tree_id)
        target_tree[root] = tree_id
    plan: dict[int, tuple[int, int, int, int]] = {}
    for root, tree in members.items():
        for pk, (lft, rght, level) in expected_positions(tree).items():
            row = by_id[pk]
            wanted = (target_tree[root], lft, rght, level)
            if (row.tree_id, row.lft, row.rght, row.level) != wanted:
                plan[pk] = wanted
    return plan
