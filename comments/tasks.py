"""The discussion's tasks: reply and mention e-mail, sent from the notification rows (comments.notifications)."""

from django_tasks import task

from comments import notifications

__all__ = ["send_notification_emails", "send_surge_alert", "send_notice_email", "surges_calm_down"]


@task()
def send_notification_emails() -> int:
    """Send every reader's waiting notification e-mail that is due; raises when the relay fails, so the queue
    retries it with backoff (the rows wait in the database meanwhile)."""
    return notifications.send_waiting_emails()


@task()
def send_surge_alert(article_pk: int) -> int:
    """E-mail the Moderators group that surge mode switched on for a story (comments.services). Returns how many
    addresses were written to."""
    return notifications.send_surge_alert(article_pk)


@task()
def surges_calm_down() -> int:
    """Switch off automatic surges on stories gone quiet (comments.services.surges_calm_down)."""
    from comments import services

    return services.surges_calm_down()


@task()
def send_notice_email(notice_pk: int, what: str) -> bool:
    """Acknowledge an illegal-content notice, or tell its notifier the decision (comments.notifications)."""
    return notifications.send_notice_email(notice_pk, what)
