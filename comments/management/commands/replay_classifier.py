"""Replay past moderation decisions through a comment classifier and print its precision and recall.

Why: before anyone sets COMMENTS_CLASSIFIER, the newsroom should know what the classifier would have done with the
comments its moderators already decided: of those it would hold, how many moderators removed (precision), and of
those they removed, how many it would hold (recall). Nothing is written; the classifier is called as posting would
call it, and one that fails on a comment is counted, as posting would ignore it.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.module_loading import import_string

from comments import classifiers, selectors
from comments.management.dates import day


class Command(BaseCommand):
    help = "Replay past decisions (removed vs left up) through a classifier; print precision, recall and counts."

    def add_arguments(self, parser):
        parser.add_argument(
            "--classifier",
            help="Dotted path of the classifier (default: COMMENTS_CLASSIFIER), e.g. comments.classifiers.local.",
        )
        parser.add_argument(
            "--threshold", type=float, help="Hold at or over this score (default: COMMENTS_CLASSIFIER_HOLD)."
        )
        parser.add_argument("--since", type=day, help="Only comments written from this day on (YYYY-MM-DD).")
        parser.add_argument("--before", type=day, help="Only comments written before this day (YYYY-MM-DD).")

    def handle(self, *args, classifier=None, threshold=None, since=None, before=None, **options):
        path = classifier or settings.COMMENTS_CLASSIFIER
        if not path:
            raise CommandError("No classifier: give --classifier or set COMMENTS_CLASSIFIER.")
        try:
            scorer = import_string(path)
        except ImportError as error:
            raise CommandError(f"No classifier at {path}: {error}") from error
        threshold = settings.COMMENTS_CLASSIFIER_HOLD if threshold is None else threshold
        decisions = selectors.moderation_decisions(since=since, before=before).select_related("author", "article")
        counts = {"tp": 0, "fp": 0, "fn": 0, "tn": 0, "errors": 0}
        for comment in decisions.iterator(chunk_size=1000):
            score = classifiers.score(comment.body, author=comment.author, article=comment.article, classifier=scorer)
            removed = comment.status == comment.Status.REMOVED
            if score is None:
                counts["errors"] += 1
                continue
            held = score >= threshold
            counts[("t" if held == removed else "f") + ("p" if held else "n")] += 1
        tp, fp, fn, tn = counts["tp"], counts["fp"], counts["fn"], counts["tn"]
        replayed = tp + fp + fn + tn + counts["errors"]
        if not replayed:
            raise CommandError("No decisions to replay in that period.")
        precision = f"{tp / (tp + fp):.3f}" if tp + fp else "n/a (it would hold nothing)"
        recall = f"{tp / (tp + fn):.3f}" if tp + fn else "n/a (nothing was removed)"
        self.stdout.write(
            f"Replayed {replayed} decisions through {path}, holding at {threshold:g}:\n"
            f"  removed by moderators: {tp + fn}; left up: {fp + tn}; not scored (the classifier failed): "
            f"{counts['errors']}\n"
            f"  it would hold {tp + fp}: {tp} removed, {fp} left up; it would let {fn} removed ones through\n"
            f"  precision: {precision}\n"
            f"  recall: {recall}"
        )
