"""Work done on a clock: RQ's cron scheduler (`manage.py rqcron newsroom.cron`: `make cron`, docker compose's cron
service; one process for the whole site) enqueues these django-tasks tasks on their queue every so often, and the
workers run them like any other task, with the same retries.

Each is also the safety net of work enqueued by requests: a task lost with a broker that was down leaves its rows
in the database, and the next scheduled run does that work.
"""

from django_tasks.base import Task
from rq import cron

from comments import tasks as comment_tasks
from newsroom import tasks as site_tasks

__all__ = ["EVERY"]


def every(task: Task, seconds: int) -> None:
    """Register `task` to be enqueued every `seconds`. RQ names a job after its function's import path, and
    `task.func`'s path is the task's own (the module attribute is the Task): so the worker's job class
    (django_tasks_rq.Job) finds the Task as for any enqueued task, and reads its backend from the job's meta."""
    cron.register(task.func, queue_name=task.queue_name, interval=seconds, meta={"backend_name": task.backend})


# Seconds between runs. Surges end within COMMENTS_SURGE_CALM_MINUTES and two minutes on stories gone quiet (a
# story still commented switches off on its next post).
EVERY = {
    comment_tasks.surges_calm_down: 120,
    comment_tasks.send_notification_emails: 300,
    site_tasks.erase_closed_accounts: 3600,
    site_tasks.deliver_waiting_webhooks: 300,
}
for scheduled, seconds in EVERY.items():
    every(scheduled, seconds)
