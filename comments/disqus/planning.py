"""One story's imported trees planned: which posts are kept, as what, under which parent, whatever the file order."""

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from comments.disqus.reader import Author

__all__ = ["Entry", "VISIBLE", "PENDING", "DELETED", "REMOVED", "StoryPlan", "plan_story"]


class Entry(NamedTuple):
    """One post as the importer keeps it between reading and writing: the message already reduced to text."""

    seq: int  # position in the file
    dsq_id: str
    parent_id: str
    created_at: datetime
    deleted: bool
    spam: bool
    approved: bool
    author: Author
    body: str


# What an imported post becomes (the values of Comment.Status).
VISIBLE, PENDING, DELETED, REMOVED = "visible", "pending", "deleted", "removed"


@dataclass
class StoryPlan:
    """The posts of one story to write, as forests: `roots` start new trees, `attached` answer comments already
    on the site (`existing[dsq_id]` is that comment's pk), `children` in time order; `status` per post kept."""

    roots: list[str] = field(default_factory=list)
    attached: list[str] = field(default_factory=list)
    existing: dict[str, int] = field(default_factory=dict)
    children: dict[str, list[str]] = field(default_factory=dict)
    entries: dict[str, Entry] = field(default_factory=dict)
    status: dict[str, str] = field(default_factory=dict)
    skipped_spam: int = 0
    skipped_deleted: int = 0
    skipped_empty: int = 0
    broken_parents: int = 0

    def generations(self) -> Iterator[list[str]]:
        """Kept posts, parents before children: each list only answers posts of the lists before it (or comments
        already on the site), so each can be inserted in one statement once the previous ones have their ids."""
        level = self.roots + self.attached
        while level:
            yield level
            level = [child for node in level for child in self.children.get(node, ())]


def plan_story(entries: Sequence[Entry], existing_parents: Mapping[str, int]) -> StoryPlan:
    """Decide what of a story's new posts is written and where, whatever order the file had them in.

    A reply whose parent is missing (not in the file, in another story, itself, or in a loop of replies) becomes a
    top-level comment and counts as a broken parent link. Deleted and spam posts are kept only to hold replies
    that are kept: a deleted one as a "deleted" tombstone, spam as "removed" (hidden, reviewable); without such
    replies they are skipped. A post that is empty once reduced to text is treated as deleted.
    """
    plan = StoryPlan(entries={entry.dsq_id: entry for entry in entries})
    by_id = plan.entries
    parent_of: dict[str, str] = {}
    for entry in by_id.values():
        parent = entry.parent_id
        if not parent:
            continue
        if parent in by_id and parent != entry.dsq_id:
            parent_of[entry.dsq_id] = parent
        elif parent in existing_parents:
            plan.existing[entry.dsq_id] = existing_parents[parent]
        else:
            plan.broken_parents += 1

    def order(dsq_id: str) -> tuple[datetime, int]:
        return by_id[dsq_id].created_at, by_id[dsq_id].seq

    # A loop of replies has no way up to a top-level comment: cut it at its oldest post.
    state: dict[str, int] = {}  # 1: on the path being walked, 2: known to reach a root
    for start in by_id:
        path: list[str] = []
        node = start
        while node in parent_of and node not in state:
            state[node] = 1
            path.append(node)
            node = parent_of[node]
        if state.get(node) == 1:
            cut = min(path[path.index(node) :], key=order)
            del parent_of[cut]
            plan.broken_parents += 1
        for walked in path:
            state[walked] = 2

    children: dict[str, list[str]] = {}
    for child, parent in parent_of.items():
        children.setdefault(parent, []).append(child)
    for siblings in children.values():
        siblings.sort(key=order)
    tops = sorted((d for d in by_id if d not in parent_of), key=order)

    # Depth-first preorder, then decide bottom-up whether each post is kept.
    preorder: list[str] = []
    stack = list(reversed(tops))
    while stack:
        node = stack.pop()
        preorder.append(node)
        stack.extend(reversed(children.get(node, ())))
    kept: set[str] = set()
    for node in reversed(preorder):
        entry = by_id[node]
        holds_replies = any(child in kept for child in children.get(node, ()))
        if entry.deleted or (not entry.body and not entry.spam):
            if holds_replies:
                plan.status[node] = DELETED
            elif entry.deleted:
                plan.skipped_deleted += 1
            else:
                plan.skipped_empty += 1
        elif entry.spam:
            if holds_replies:
                plan.status[node] = REMOVED
            else:
                plan.skipped_spam += 1
        else:
            plan.status[node] = VISIBLE if entry.approved else PENDING
        if node in plan.status:
            kept.add(node)

    plan.children = {
        parent: [child for child in siblings if child in kept]
        for parent, siblings in children.items()
        if parent in kept
    }
    plan.roots = [d for d in tops if d in kept and d not in plan.existing]
    plan.attached = [d for d in tops if d in kept and d in plan.existing]
    return plan
