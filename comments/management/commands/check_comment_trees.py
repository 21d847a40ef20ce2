"""Compare every comment tree with what a rebuild would produce, and every story's comment count with its visible
comments; exit non-zero naming the trees and stories that differ.

Why: the trees are nested sets, and one write behind django-mptt's back (a bulk update, a lost race) silently
misplaces replies. This reads the tree columns only, a batch of whole trees per query, so it stays quick at
100,000 comments. `--repair` then renumbers the damaged trees only, one at a time, each under the locks that
posting takes (comments.locking), so the site can stay open meanwhile; sound trees are not written at all.
The counts are kept by each write moving them by one (comments.services.discussion_changed), never by a recount,
so a write behind the services' back leaves them wrong for good: `--repair` recounts the drifted stories alone,
each under its discussion row's lock.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Count, F, Max, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from articles.models import Article
from comments import services
from comments.locking import lock_discussion, lock_discussions, lock_new_tree, lock_trees
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


def _stories_word(stories) -> str:
    return "story" if len(stories) == 1 else "stories"


def _visible_count():
    """A story's real count of visible comments, as a subquery (0 for a story without any)."""
    counted = (
        Comment.objects.filter(article=OuterRef("pk"), status=Comment.Status.VISIBLE)
        .order_by()
        .values("article")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted), 0)


def _drifted() -> list[tuple[int, str, int, int]]:
    """(pk, slug, stored count, real count) of each story whose stored count is wrong (a story with no discussion
    row counts 0); one query."""
    return list(
        Article.objects.annotate(stored=Coalesce(F("discussion__comment_count"), 0), real=_visible_count())
        .filter(~Q(stored=F("real")))
        .order_by("pk")
        .values_list("pk", "slug", "stored", "real")
    )


class Command(BaseCommand):
    help = (
        "Check every comment tree against a rebuild from the parent links, and every story's comment count against "
        "its visible comments; non-zero exit if any differ."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=1000, help="Trees read per query (default 1000).")
        parser.add_argument(
            "--repair",
            action="store_true",
            help="Renumber the damaged trees from their parent links and recount the drifted stories (only those).",
        )

    def handle(self, *args, batch_size=1000, repair=False, **options):
        tree_ids = list(Comment.objects.order_by("tree_id").values_list("tree_id", flat=True).distinct())
        problems: dict[int, str] = {}
        for start in range(0, len(tree_ids), batch_size):
            problems.update(tree_problems(_rows(tree_ids[start : start + batch_size])))
        drifted = _drifted()
        if problems:
            stories = dict(
                Comment.objects.filter(tree_id__in=problems).values_list("tree_id", "article__slug").order_by()
            )
            for tree_id, problem in sorted(problems.items()):
                self.stderr.write(f"tree {tree_id} (story {stories.get(tree_id)}): {problem}")
        else:
            self.stdout.write(self.style.SUCCESS(f"All {len(tree_ids)} comment trees match a rebuild."))
        if drifted:
            for pk, slug, stored, real in drifted:
                self.stderr.write(f"story {slug} (id {pk}): comment count {stored}, but {real} visible comments")
        else:
            self.stdout.write(self.style.SUCCESS("Every story's comment count matches its visible comments."))
        if not (problems or drifted):
            return
        if not repair:
            found = []
            if problems:
                found.append(f"{len(problems)} of {len(tree_ids)} comment trees differ from a rebuild")
            if drifted:
                names = ", ".join(slug for _, slug, _, _ in drifted)
                found.append(
                    f"{len(drifted)} {_stories_word(drifted)} with a comment count other than its visible comments "
                    f"({names})"
                )
            raise CommandError("; ".join(found) + ". Run again with --repair to renumber those trees and recount.")
        if problems:
            moved = sum(self.repair_tree(tree_id) for tree_id in sorted(problems))
            left = tree_problems(_closure(set(problems)))
            if left:
                raise CommandError(f"{len(left)} comment trees still differ after the repair: {sorted(left)}")
            self.stdout.write(
                self.style.SUCCESS(
                    f"Repaired {len(problems)} of {len(tree_ids)} comment trees ({_comments(moved)} renumbered)."
                )
            )
        for pk, slug, _, _ in drifted:
            self.stdout.write(f"story {slug}: comment count set to {self.recount(pk)}.")
        if drifted:
            self.stdout.write(self.style.SUCCESS(f"Recounted the comments of {len(drifted)} {_stories_word(drifted)}."))

    def recount(self, article_id: int) -> int:
        """Set one story's count to its visible comments, under its discussion row's lock: every write moves the
        count last thing before its commit, holding that row, so the count read once the lock is held includes
        every write that moved it and none that has yet to. The version moves too (cached discussions showed the
        wrong count). Returns the count."""
        with transaction.atomic():
            discussion = lock_discussion(article_id)
            real = Article.objects.filter(pk=article_id).annotate(real=_visible_count()).values_list("real", flat=True)
            discussion.comment_count = real.get()
            discussion.version += 1
            discussion.save(update_fields=["comment_count", "version"])
        return discussion.comment_count

    def repair_tree(self, tree_id: int) -> int:
        """Renumber one damaged tree (and any tree it is tangled with) in one transaction; returns the rows written."""
        for _attempt in range(3):
            tangled = {row.tree_id for row in _closure({tree_id})}
            with transaction.atomic():
                # The posting locks, in posting's order: the new-tree lock (trees are renumbered), the trees
                # (ascending), and the stories' discussion rows last, below.
                lock_new_tree()
                lock_trees(tangled)
                rows = _closure({tree_id})
                if not {row.tree_id for row in rows} <= tangled:
                    continue  # a tree joined the tangle before the locks were held: lock again
                ordered = sorted(_stories(rows))
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
                lock_discussions(ordered)
                for article_id in ordered:
                    services.discussion_changed(article_id)  # cached discussions showed the damaged order
                self.stdout.write(f"tree {tree_id}: {_comments(len(plan))} renumbered.")
                return len(plan)
        raise CommandError(f"tree {tree_id} kept changing stories while it was being locked; run the repair again.")
