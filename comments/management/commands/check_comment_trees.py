"""Compare every comment tree with what a rebuild would produce; exit non-zero naming the trees that differ.

Why: the trees are nested sets, and one write behind django-mptt's back (a bulk update, a lost race) silently
misplaces replies. This reads the tree columns only, a batch of whole trees per query, so it stays quick at
100,000 comments; repair with `Comment.objects.partial_rebuild(tree_id)` after looking at the cause.
"""

from django.core.management.base import BaseCommand, CommandError

from comments.models import Comment
from comments.trees import Row, tree_problems


class Command(BaseCommand):
    help = "Check every comment tree against a rebuild from the parent links; non-zero exit if any differ."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=1000, help="Trees read per query (default 1000).")

    def handle(self, *args, batch_size=1000, **options):
        tree_ids = list(Comment.objects.order_by("tree_id").values_list("tree_id", flat=True).distinct())
        problems: dict[int, str] = {}
        for start in range(0, len(tree_ids), batch_size):
            batch = tree_ids[start : start + batch_size]
            rows = Comment.objects.filter(tree_id__in=batch).values_list(
                "id", "parent_id", "tree_id", "lft", "rght", "level"
            )
            problems.update(tree_problems(Row(*row) for row in rows.order_by()))
        if problems:
            stories = dict(
                Comment.objects.filter(tree_id__in=problems).values_list("tree_id", "article__slug").order_by()
            )
            for tree_id, problem in sorted(problems.items()):
                self.stderr.write(f"tree {tree_id} (story {stories.get(tree_id)}): {problem}")
            raise CommandError(f"{len(problems)} of {len(tree_ids)} comment trees differ from a rebuild.")
        self.stdout.write(self.style.SUCCESS(f"All {len(tree_ids)} comment trees match a rebuild."))
