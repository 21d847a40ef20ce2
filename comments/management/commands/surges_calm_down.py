"""Switch off automatic surges on stories that have gone quiet.

Why: an automatic surge is switched off by the next comment once the rate has stayed under half the threshold for
COMMENTS_SURGE_CALM_MINUTES, but a story that simply stops getting comments has no next comment. Run this from cron
every few minutes (or enqueue comments.tasks.surges_calm_down); a story still in surge is left as it is.
"""

from django.core.management.base import BaseCommand

from comments.services import surges_calm_down


class Command(BaseCommand):
    help = "Switch off automatic surge mode on stories whose comments have calmed down."

    def handle(self, *args, **options):
        switched = surges_calm_down()
        self.stdout.write(f"Switched surge mode off on {switched} stor{'ies' if switched != 1 else 'y'}.")
