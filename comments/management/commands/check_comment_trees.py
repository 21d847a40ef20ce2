"""Compare every comment tree with what a rebuild would produce; exit non-zero naming the trees that differ.

Why: the trees are nested sets, and one write behind django-mptt's back (a bulk update, a lost race) silently
misplaces replies. This reads the tree columns only, a batch of whole trees per query, so it stays quick at
100,000 comments. `--repair` then renumbers the damaged trees only, one at a time, each under the locks that
posting takes (comments.locking), so the site can stay open meanwhile; sound trees are not written at all.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Max

from comments import services
from comments.locking import lock_story_threads
from comments.models import Comment
from comments.trees import Row, repair_plan, tree_problems

TREE_COLUMNS = ("id", "parent_id", "tree_id", "lft", "rght", "level")


def _rows(tree_ids) -> list[Row]:
    return [Row(*row) for row in Comment.objects.filter(tree_id__in=tree_ids).order_by().values_list(*TREE_COLUMNS)]


def _closure(tree_ids: set[int]) -> list[Row]:
    """The rows of these trees, plus the whole trees of any parent filed elsewhere (a reply can sit in a wrong tree)."""
    tree_ids = set(tree_ids)
    while True:
        rows = _rows(tree_ids)
        ids = {row.id for row in rows}
        outside = {row.parent_id for row in rows if row.parent_id is not None and row.parent_id not in ids}
        more = set(Comment.objects.filter(pk__in=outside).values_list("tree_id", flat=True)) - tree_ids
        if not more:
            return rows
        tree_ids |= more


def _comments(count: int) -> str:
    return f"{count} comment{'' if count == 1 else 's'}"


def _stories(rows: list[Row]) -> set[int]:
    return set(Comment.objects.filter(pk__in=[row.id for row in rows]).values_list("article_id", flat=True))


class Command(BaseCommand):
    help = "Check every comment tree against a rebuild from the parent links; non-zero exit if any differ."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=1000, help="Trees read per query (default 1000).")
        parser.add_argument(
            "--repair", action="store_true", help="Renumber the damaged trees from their parent links (only those)."
        )

    def handle(self, *args, batch_size=1000, repair=False, **options):
        tree_ids = list(Comment.objects.order_by("tree_id").values_list("tree_id", flat=True).distinct())
        problems: dict[int, str] = {}
        for start in range(0, len(tree_ids), batch_size):
            problems.update(tree_problems(_rows(tree_ids[start : start + batch_size])))
        if not problems:
            self.stdout.write(self.style.SUCCESS(f"All {len(tree_ids)} comment trees match a rebuild."))
            return
        stories = dict(Comment.objects.filter(tree_id__in=problems).values_list("tree_id", "article__slug").order_by())
        for tree_id, problem in sorted(problems.items()):
            self.stderr.write(f"tree {tree_id} (story {stories.get(tree_id)}): {problem}")
        if not repair:
            raise CommandError(
                f"{len(problems)} of {len(tree_ids)} comment trees differ from a rebuild. "
                "Run again with --repair to renumber those trees."
            )
        moved = sum(self.repair_tree(tree_id) for tree_id in sorted(problems))
        left = tree_problems(_closure(set(problems)))
        if left:
            raise CommandError(f"{len(left)} comment trees still differ after the repair: {sorted(left)}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Repaired {len(problems)} of {len(tree_ids)} comment trees ({_comments(moved)} renumbered)."
            )
        )

    def repair_tree(self, tree_id: int) -> int:
        """Renumber one damaged tree (and any tree it is tangled with) in one transaction; returns the rows written."""
        for _attempt in range(3):
            stories = _stories(_closure({tree_id}))
            with transaction.atomic():
                # The posting locks, in posting's order: story rows (ascending here), then the new-tree lock.
                ordered = sorted(stories)
                for index, article_id in enumerate(ordered):
                    lock_story_threads(article_id, new_thread=index == len(ordered) - 1)
                rows = _closure({tree_id})
                if not _stories(rows) <= stories:
                    continue  # a story joined the tangle before the locks were held: lock again
                if not tree_problems(rows):
                    return 0  # repaired along with an earlier tree
                next_tree_id = (Comment.objects.aggregate(top=Max("tree_id"))["top"] or 0) + 1
                plan = repair_plan(rows, next_tree_id)
                comments = [
                    Comment(pk=pk, tree_id=t, lft=lft, rght=rght, level=level)
                    for pk, (t, lft, rght, level) in plan.items()
                ]
                # Deliberately behind django-mptt's back: these columns are recomputed whole from the parent links.
                Comment.objects.bulk_update(comments, ["tree_id", "lft", "rght", "level"], batch_size=1000)
                for article_id in ordered:
                    services.discussion_changed(article_id)  # cached discussions showed the damaged order
                self.stdout.write(f"tree {tree_id}: {_comments(len(plan))} renumbered.")
                return len(plan)
        raise CommandError(f"tree {tree_id} kept changing stories while it was being locked; run the repair again.")
