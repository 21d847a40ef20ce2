"""The task queue's plumbing: enqueueing after commit without ever failing the request, and RQ's retries with backoff.

Tasks are django-tasks tasks (`@task`, the API Django 6 ships as `django.tasks`), run by RQ workers
(django-tasks-rq) when TASKS_URL names a Redis, or at once inside the request in development. The work itself
is always written to the database first (notification rows, an image without renditions), so a task lost with a
broker that was down is only late: the next run of the same task, or its management command, picks it up.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_rq.queues import DjangoRQ
from django_tasks import default_task_backend, task
from django_tasks.base import Task
from redis.exceptions import RedisError
from rq import Retry

from newsroom import confirmation

__all__ = [
    "RetryingQueue",
    "enqueue_on_commit",
    "can_defer",
    "erase_closed_accounts",
    "send_confirmation_email",
    "send_email_change_notice",
    "deliver_webhook",
    "deliver_waiting_webhooks",
    "send_webhook_paused_email",
]

logger = logging.getLogger(__name__)


class RetryingQueue(DjangoRQ):
    """RQ's queue, giving every job RQ's own Retry (TASKS_RETRY_DELAYS): a failed task runs again after each delay
    in turn, then lands in RQ's failed-job registry with its traceback (`manage.py tasks_failed`). django-tasks
    has no retry option of its own yet, and django-tasks-rq creates its jobs without one."""

    def create_job(self, *args, retry=None, **kwargs):
        delays = settings.TASKS_RETRY_DELAYS
        if retry is None and delays:
            retry = Retry(max=len(delays), interval=list(delays))
        return super().create_job(*args, retry=retry, **kwargs)


def can_defer() -> bool:
    """Whether tasks can wait before they run (a real queue); the immediate backend runs them at once."""
    return default_task_backend.supports_defer


def enqueue_on_commit(task: Task, *args, delay: int = 0, unless=None) -> None:
    """Enqueue `task` once the current transaction commits (at once outside one), `delay` seconds later where the
    backend can defer, and not at all if `unless()`, asked at that moment, is true. A broker that is down or hangs
    is logged, never raised: the caller has already stored what the task needs, and the request it serves must
    answer as usual."""

    def enqueue():
        if unless is not None and unless():
            return
        chosen = task
        if delay and can_defer():
            chosen = task.using(run_after=timezone.now() + timedelta(seconds=delay))
        try:
            chosen.enqueue(*args)
        except (RedisError, OSError):
            logger.exception(
                "Task %s%r not enqueued: the queue is unreachable; its rows wait in the database", task.name, args
            )

    transaction.on_commit(enqueue)


@task()
def erase_closed_accounts() -> int:
    """Erase every account its reader deleted (newsroom.services.account_delete closed it; the comments, the
    trees and the counts are the long part). All of them, not one: an erasure whose task was lost with the broker
    is done by the next one, and a second run finds nothing left. Returns how many accounts were erased."""
    from newsroom import services  # services enqueue this task

    return services.closed_accounts_erase()


@task()
def send_confirmation_email(user_pk: int, email: str) -> bool:
    """Send the link that confirms `email` for the account, if the account still waits for that address (a reader
    who changed it again meanwhile gets the link for the newer one from its own task). The link is signed when the
    mail goes, so a retried task's link is as fresh as the message. A relay failure raises: the queue retries."""
    user = confirmation.awaiting_confirmation(user_pk, email)
    if user is None:
        return False
    confirmation.confirmation_message(user, email).send()
    return True


@task()
def send_email_change_notice(user_pk: int, new_email: str) -> bool:
    """Tell the account's current address that a change to `new_email` was asked for, while it still stands."""
    user = confirmation.awaiting_confirmation(user_pk, new_email)
    if user is None or not user.email or user.email.lower() == new_email.lower():
        return False
    confirmation.change_notice_message(user, new_email).send()
    return True


@task()
def deliver_webhook(delivery_pk: int) -> str:
    """One attempt at one webhook delivery, when it is its endpoint's turn (newsroom.webhooks.deliver). An endpoint
    that fails is not an error of the task: the delivery schedules its own retry after WEBHOOKS_RETRY_DELAYS."""
    from newsroom import webhooks  # webhooks enqueue this task

    return webhooks.deliver(delivery_pk)


@task()
def deliver_waiting_webhooks() -> int:
    """Enqueue every sending endpoint's next delivery that is due: the safety net for a task lost with the broker."""
    from newsroom import webhooks

    return webhooks.deliver_waiting()


@task()
def send_webhook_paused_email(endpoint_pk: int) -> int:
    """Tell the staff who keep webhook endpoints that one was paused (newsroom.webhooks.send_paused_email)."""
    from newsroom import webhooks

    return webhooks.send_paused_email(endpoint_pk)
