"""List the tasks that failed for good, each with its error, and put them back on the queue with `--requeue`.

Why: a task that keeps failing (a relay that refuses, a store that is down) is retried with backoff
(TASKS_RETRY_DELAYS) and then kept in RQ's failed-job registry rather than dropped. A task whose worker died
mid-run (the machine lost, SIGKILL) is found by RQ once its heartbeat lapses (about 90 seconds): run again when it
had retries left, failed otherwise. This command runs that check first, so the list includes those too.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_rq import get_queue
from rq.registry import FailedJobRegistry, StartedJobRegistry

from newsroom.tasks import RetryingQueue


class Command(BaseCommand):
    help = "List failed tasks with their errors; --requeue runs them again."

    def add_arguments(self, parser):
        parser.add_argument("--requeue", action="store_true", help="Put every listed task back on the queue.")
        parser.add_argument("job_ids", nargs="*", help="Only these tasks (ids as listed).")

    def handle(self, *args, requeue=False, job_ids=(), **options):
        if not settings.TASKS_URL:
            raise CommandError("TASKS_URL is not set: tasks run at once inside the request, none is queued.")
        from django_tasks_rq import Job

        failed_total = 0
        for name in settings.RQ_QUEUES:
            queue = get_queue(name, job_class=Job, queue_class=RetryingQueue)
            StartedJobRegistry(queue=queue).cleanup()  # abandoned by a dead worker: retried or failed now
            registry = FailedJobRegistry(queue=queue)
            ids = [job_id for job_id in registry.get_job_ids() if not job_ids or job_id in job_ids]
            for job in Job.fetch_many(ids, connection=queue.connection):
                if job is None:
                    continue
                failed_total += 1
                error = (job.latest_result().exc_string if job.latest_result() else "") or ""
                last_line = error.strip().splitlines()[-1] if error.strip() else "(no error recorded)"
                self.stdout.write(
                    f"{job.id}  {job.func_name}{tuple(job.args)!r}  failed {job.ended_at:%Y-%m-%d %H:%M:%S}"
                )
                self.stdout.write(f"    {last_line}")
                if requeue:
                    registry.requeue(job)
                    self.stdout.write("    requeued")
        if not failed_total:
            self.stdout.write("No failed tasks.")
