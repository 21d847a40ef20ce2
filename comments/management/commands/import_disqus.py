"""Import a Disqus export (the XML that Disqus's "Export comments" e-mails) into the stories' discussions.

Why a command: newsrooms moving here bring years of discussion with them. Threads are matched to stories by
address (current or old slug, or a `--map` file of old-url,story-slug lines) or by identifier; what cannot be
matched is reported, never guessed. The whole file is read and checked before anything is written, then each
story is written in one transaction, so a bad file imports nothing and a second run imports only what is new.
`--dry-run` does all the reading and matching and reports, writing nothing.
"""

import time

from django.core.management.base import BaseCommand, CommandError

from comments.disqus.importer import MappingError, StoryFailed, import_disqus, read_mapping
from comments.disqus.reader import ExportError
from comments.disqus.report import ProgressLine, report_lines


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
