"""Train the local comment classifier on this site's own moderation decisions.

Why: the pipeline's optional classifier (COMMENTS_CLASSIFIER=comments.classifiers.local) should learn what this
newsroom's moderators remove, in its readers' language, without sending comments to anyone. The model (TF-IDF into
a logistic regression, comments.classifiers.train) learns from removed comments against those left up, and is
written to COMMENTS_CLASSIFIER_MODEL, where the web nodes pick it up at their next score. Train with `--before` a
day and replay the decisions since (`replay_classifier --since`) to measure it on comments it never saw.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from comments import classifiers, selectors
from comments.management.dates import day

# Fewer examples of either kind than this make a model that has learnt nothing worth trusting.
MINIMUM_PER_KIND = 10


class Command(BaseCommand):
    help = "Train the local comment classifier on past decisions (removed vs left up) and write its model file."

    def add_arguments(self, parser):
        parser.add_argument("--before", type=day, help="Only comments written before this day (YYYY-MM-DD).")
        parser.add_argument("--output", help="Where to write the model (default: COMMENTS_CLASSIFIER_MODEL).")
        parser.add_argument("--dry-run", action="store_true", help="Train and report, but write nothing.")

    def handle(self, *args, before=None, output=None, dry_run=False, **options):
        rows = list(selectors.moderation_decisions(before=before).values_list("body", "status"))
        removed = [status == "removed" for _, status in rows]
        kept = len(rows) - sum(removed)
        if min(sum(removed), kept) < MINIMUM_PER_KIND:
            raise CommandError(
                f"Too few decisions to learn from: {sum(removed)} removed and {kept} left up; at least "
                f"{MINIMUM_PER_KIND} of each are needed."
            )
        model = classifiers.train([body for body, _ in rows], removed)
        self.stdout.write(f"Trained on {len(rows)} decisions: {sum(removed)} removed, {kept} left up.")
        if dry_run:
            self.stdout.write("Dry run: no model written.")
            return
        path = classifiers.save_model(model, output or settings.COMMENTS_CLASSIFIER_MODEL)
        self.stdout.write(f"Model written to {path}.")
