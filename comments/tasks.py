"""The discussion's tasks: reply and mention e-mail, sent from the notification rows (comments.notifications)."""

from django_tasks import task

from comments import notifications

__all__ = ["send_notification_emails"]


@task()
def send_notification_emails() -> int:
    """Send every reader's waiting notification e-mail that is due; raises when the relay fails, so the queue
    retries it with backoff (the rows wait in the database meanwhile)."""
    return notifications.send_waiting_emails()
