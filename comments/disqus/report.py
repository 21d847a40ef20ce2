"""What an import tells the person running it: a progress line while it reads and writes, the report at the end."""

import time

from django.conf import settings

from comments.disqus.importer import ImportReport

__all__ = ["ProgressLine", "report_lines"]


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
