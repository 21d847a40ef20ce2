"""Write every story's comments in the Disqus export format, to a file or standard output.

Why: a newsroom's discussions are its readers' and its own; they can leave as easily as they came in. The file
is what `import_disqus` reads (our own export round-trips) and what other comment systems' Disqus importers
take. It holds commenters' e-mail addresses, as a Disqus export does: keep it as private as the database.
"""

from django.core.management.base import BaseCommand, CommandError

from comments.disqus.exporter import default_base_url, export_disqus


class Command(BaseCommand):
    help = "Export all comments in the Disqus XML format (to --output, or standard output)."

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", help="File to write (default: standard output).")
        parser.add_argument(
            "--base-url",
            help="Scheme and host put before story paths in thread links (default: the first of ALLOWED_HOSTS).",
        )

    def handle(self, *args, output=None, base_url=None, **options):
        base_url = base_url or default_base_url()
        if output:
            try:
                with open(output, "w", encoding="utf-8") as destination:
                    count = export_disqus(destination.write, base_url=base_url)
            except OSError as error:
                raise CommandError(f"Cannot write {error.filename}: {error.strerror}.") from None
            self.stderr.write(f"Wrote {count:,} comments to {output}.")
        else:
            export_disqus(lambda text: self.stdout.write(text, ending=""), base_url=base_url)
