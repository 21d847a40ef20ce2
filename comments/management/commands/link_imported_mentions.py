"""Link the @handles in comments imported from Disqus to the readers they name, where an account now exists.

Why: comments imported before imported commenters had profiles, or before the commenter they mention was imported,
show those @handles as plain text. Imports now do this for their own comments; this command does it for the rows
already here, once. It reads only imported comments whose text holds an "@", a thousand at a time, and writes only
those whose HTML changes, each batch in its own transaction; nobody is notified. Safe to run again.
"""

from django.core.management.base import BaseCommand

from comments.disqus.mentions import imported_mentions_link


class Command(BaseCommand):
    help = "Link @handles in imported comments to the readers they name (--dry-run counts only)."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Count the comments that would change; write none.")

    def handle(self, *args, dry_run=False, **options):
        changed = imported_mentions_link(dry_run=dry_run)
        verb = "would change" if dry_run else "changed"
        self.stdout.write(f"{changed:,} imported comment{'s' if changed != 1 else ''} {verb}.")
