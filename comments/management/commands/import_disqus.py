"""Import a Disqus export (the XML that Disqus's "Export comments" e-mails) into the stories' discussions.

Why a command: newsrooms moving here bring years of discussion with them. Threads are matched to stories by
address (current or old slug, or a `--map` file of old-url,story-slug lines) or by identifier; what cannot be
matched is reported, never guessed. The whole file is read and checked before anything is written, then each
story is written in one transaction, so a bad file imports nothing and a second run imports only what is new.
`--dry-run` does all the reading and matching and reports, writing nothing.
"""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from comments.disqus.importer import ImportReport, MappingError, StoryFailed, import_disqus, read_mapping
from comments.disqus.reader import ExportError


class ProgressLine:
    """Posts done, posts per second and share of the file read: a redrawn bar on a terminal, else a plain line
    every `every` seconds (logs and CI keep them readable)."""

    def __init__(self, stream, *, tty: bool, every: float = 5.0):
        self.stream = stream
        self.tty = tty
        self.every = every
        self.phase = ""
        self.phase_started = self.previous_call = time.monotonic()
        self.last = 0.0
        self.finished = False

    def __call__(self, phase: str, done: int, total: int | None, share: float | None) -> None:
        now = time.monotonic()
        if phase != self.phase:
            if self.tty and self.phase:
                self.stream.write("", ending="\n")
            # A phase starts where the previous one ended, so the first rate is not over a few microseconds.
            self.phase, self.phase_started, self.last, self.finished = phase, self.previous_call, now, False
        self.previous_call = now
        finished = (total is not None and done >= total) or share == 1.0
        if self.finished or (not finished and now - self.last < (0.2 if self.tty else self.every)):
            return
        self.last, self.finished = now, finished
        rate = done / max(now - self.phase_started, 1e-6)
        fraction = share if share is not None else (done / total if total else 1.0)
        if phase == "read":
            words = f"Reading: {fraction:4.0%} of the file, {done:,} posts, {rate:,.0f} posts/s"
        else:
            words = f"Writing: {done:,} of {total:,} posts, {rate:,.0f} posts/s"
        if self.tty:
            filled = int(fraction * 30)
            self.stream.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {words}   ", ending="")
        else:
            self.stream.write(words)
        self.stream.flush()

    def close(self) -> None:
        if self.tty and self.phase:
            self.stream.write("")


def report_lines(report: ImportReport, seconds: float) -> list[str]:
    verb = "would be" if report.dry_run else "were"
    lines = [
        f"{'Dry run: nothing was written. ' if report.dry_run else ''}Read {report.posts_read:,} posts; "
        f"finished in {seconds:.1f} s.",
        f"Threads: {report.threads_matched:,} matched to stories, {len(report.threads_unmatched):,} unmatched "
        f"({report.in_unmatched_threads:,} posts not imported), {report.threads_without_posts:,} without posts.",
        f"Posts imported: {report.imported:,} into {report.stories:,} stories ({verb} written), of which "
        f"{report.tombstones:,} deleted tombstones holding replies, {report.spam_placeholders:,} spam kept hidden "
        f"as removed placeholders holding replies, {report.pending:,} waiting for moderation; "
        f"{report.anonymous:,} by anonymous authors.",
        f"Skipped: {report.skipped_spam:,} spam, {report.skipped_deleted:,} deleted without replies, "
        f"{report.skipped_empty:,} empty, {report.duplicates_in_file:,} duplicates in the file, "
        f"{report.already_imported:,} already imported, {report.without_id:,} without a usable id or thread.",
        f"Broken parent links: {report.broken_parents:,} (those replies became top-level comments).",
        f"Cut to the comment length limit ({settings.COMMENTS_MAX_LENGTH:,} characters): {report.cut_to_length:,} "
        "messages, each ending with a note of its original length.",
        f"Accounts: {len(report.accounts_created):,} imported accounts {'would be ' if report.dry_run else ''}"
        f"created (inactive, claimable by e-mail), {len(report.accounts_reused):,} from earlier imports.",
    ]
    for thread in report.threads_unmatched[:20]:
        lines.append(
            f"  unmatched thread {thread.dsq_id}: {thread.link or '(no link)'} "
            f"[identifier {thread.identifier or '-'}], {thread.posts:,} posts"
        )
    if len(report.threads_unmatched) > 20:
        lines.append(f"  ... and {len(report.threads_unmatched) - 20:,} more unmatched threads.")
    if report.threads_unmatched:
        lines.append("  Map them with --map FILE (old-url,story-slug per line) and run the import again.")
    return lines


class Command(BaseCommand):
    help = "Import a Disqus XML export into the stories' discussions (idempotent; --dry-run reports only)."

    def add_arguments(self, parser):
        parser.add_argument("export", help="The Disqus export file (XML).")
        parser.add_argument("--map", dest="map_file", help="A file of old-url,story-slug lines for moved stories.")
        parser.add_argument("--dry-run", action="store_true", help="Read, match and report; write nothing.")
        parser.add_argument(
            "--progress-every", type=float, default=5.0, help="Seconds between progress lines off a terminal."
        )

    def handle(self, *args, export, map_file=None, dry_run=False, progress_every=5.0, **options):
        mapping = {}
        try:
            if map_file:
                with open(map_file, encoding="utf-8") as lines:
                    mapping = read_mapping(lines)
            started = time.monotonic()
            with open(export, "rb") as source:
                progress = ProgressLine(self.stdout, tty=self.stdout.isatty(), every=progress_every)
                try:
                    report = import_disqus(source, mapping=mapping, dry_run=dry_run, progress=progress)
                finally:
                    progress.close()
        except OSError as error:
            raise CommandError(f"Cannot read {error.filename}: {error.strerror}.") from None
        except (ExportError, MappingError, StoryFailed) as error:
            raise CommandError(str(error)) from None
        for line in report_lines(report, time.monotonic() - started):
            self.stdout.write(line)
