"""Send the reply and mention e-mails that wait in the notification rows, here and now.

Why: each notification enqueues the task that sends it, and every run of that task sends whatever waits; but
rows written while the queue was unreachable wait for the next notification's task. Run this after such an
outage, or from cron every few minutes as a safety net (docs/deployment.md). Safe beside running workers: a row
is claimed before it is sent, so no e-mail goes out twice.
"""

from django.core.management.base import BaseCommand

from comments.notifications import send_waiting_emails


class Command(BaseCommand):
    help = "Send the notification e-mails that are due (grouped per reader)."

    def handle(self, *args, **options):
        sent = send_waiting_emails()
        self.stdout.write(f"Sent {sent} notification e-mail{'s' if sent != 1 else ''}.")
