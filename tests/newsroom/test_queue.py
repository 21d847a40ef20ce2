"""The task queue with real processes: RQ workers (`manage.py rqworker`, as production runs them) on the real Redis,
the test database and a real SMTP server. A task enqueued by a request is done by the worker; one that fails is
retried with backoff, then kept as failed with its error; one whose worker dies mid-task is not lost."""

import io
import os
import signal
import time

import PIL.Image
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django_rq import get_queue
from django_tasks import default_task_backend
from django_tasks.base import TaskResultStatus
from django_tasks_rq import Job
from rq.exceptions import NoSuchJobError
from rq.registry import FailedJobRegistry, StartedJobRegistry

from articles.models import Image
from comments.models import Comment, Notification
from newsroom.models import User
from tests.comments.conftest import assert_trees_sound
from tests.factories import CommentFactory, UserFactory
from tests.queue_tasks import note_attempts
from tests.servers import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def post_reply(parent, author, body="A reply for the worker to mail."):
    client = Client()
    client.force_login(author)
    return client.post(
        reverse("comments:post", kwargs={"article_pk": parent.article_id}), {"body": body, "parent": parent.pk}
    )


def queue():
    return get_queue("default", job_class=Job)


def succeeded(result_id: str) -> bool:
    try:
        return default_task_backend.get_result(result_id).status == TaskResultStatus.SUCCESSFUL
    except NoSuchJobError:  # django-tasks-rq reads a job between its retry's status and its schedule: ask again
        return False


def failed_jobs():
    return FailedJobRegistry(queue=queue()).get_job_ids()


def test_a_reply_posted_by_a_request_is_mailed_by_the_worker(start_worker, smtp_server):
    start_worker(smtp_server)
    alex = UserFactory(handle="alex", display_name="Alex")
    root = CommentFactory(author=alex, body="A first thought.")
    response = post_reply(root, UserFactory(handle="sam", display_name="Sam"))
    assert response.status_code == 302
    (message,) = smtp_server.received(1)
    assert message["To"] == "alex@example.com"
    assert "Sam (@sam) replied to your comment" in message["Subject"]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/notifications/unsubscribe/" in message["List-Unsubscribe"]
    wait_for(
        lambda: Notification.objects.get(recipient=alex).email == Notification.Email.SENT,
        timeout=10,
        what="row marked sent",
    )


def test_an_upload_in_the_admin_gets_its_renditions_from_the_worker(start_worker, admin_client):
    start_worker()
    response = admin_client.post(
        reverse("admin:articles_image_add"),
        {
            "file": _upload("photo.jpg", jpeg_bytes(1600, 1000)),
            "alt_text": "A street",
            "focal_x": "0.5",
            "focal_y": "0.5",
        },
    )
    assert response.status_code == 302
    image = Image.objects.get()
    assert image.renditions == []  # the upload answered before they were made
    image = wait_for(lambda: Image.objects.exclude(renditions=[]).first(), timeout=60, what="renditions made")
    assert {r["width"] for r in image.renditions_of("full", "JPEG")} == {480, 800, 1200, 1600}
    assert image.renditions_error == ""


def test_an_account_deleted_by_a_request_is_closed_at_once_and_erased_by_the_worker(start_worker):
    start_worker()
    leaving = UserFactory(handle="leaving")
    started = CommentFactory(author=leaving, body="A thread I started")
    CommentFactory(parent=started, body="A reply that stays")
    CommentFactory(parent=started, author=leaving, body="My last word")
    client = Client()
    client.force_login(leaving)
    response = client.post(reverse("account_delete"), {"password": "correct horse battery staple"})
    assert response.status_code == 302
    wait_for(lambda: not User.objects.filter(pk=leaving.pk).exists(), timeout=60, what="the account erased")
    tombstone = Comment.objects.get(pk=started.pk)
    assert (tombstone.status, tombstone.author_id, tombstone.body) == (Comment.Status.DELETED, None, "")
    assert list(Comment.objects.exclude(pk=started.pk).values_list("body", flat=True)) == ["A reply that stays"]
    assert_trees_sound()


def test_a_failing_task_is_retried_with_backoff_then_kept_as_failed_with_its_error(start_worker, smtp_server):
    smtp_server.stop()  # the relay is down: every try of the e-mail task fails
    worker = start_worker(smtp_server)
    root = CommentFactory(author=UserFactory(handle="alex"))
    posted = time.monotonic()
    assert post_reply(root, UserFactory(handle="sam")).status_code == 302
    assert Comment.objects.count() == 2  # posting does not wait for the relay
    (job_id,) = wait_for(failed_jobs, timeout=60, what="the task recorded failed")
    # The first try after the grouping window (1 s), then the retries 1 s and 2 s after each failure.
    assert time.monotonic() - posted >= 1 + 1 + 2
    result = default_task_backend.get_result(job_id)
    assert result.status == TaskResultStatus.FAILED
    assert "ConnectionRefusedError" in result.errors[-1].traceback
    job = queue().fetch_job(job_id)
    assert (job.retries_left, job.retry_intervals) == (0, [1, 2])
    assert worker.log.read_text().count(f"Job {job_id}: scheduled for retry") == 2
    assert Notification.objects.get().email == Notification.Email.PENDING  # the e-mail is still owed

    out = io.StringIO()
    call_command("tasks_failed", stdout=out)
    assert job_id in out.getvalue() and "Connection refused" in out.getvalue()

    smtp_server.start()  # the relay is back: run the failed task again
    call_command("tasks_failed", "--requeue", stdout=io.StringIO())
    (message,) = smtp_server.received(1)
    assert message["To"] == "alex@example.com"
    wait_for(lambda: not failed_jobs(), timeout=10, what="the failed list emptied")


def test_a_task_whose_work_horse_is_killed_mid_task_runs_again(start_worker, tmp_path):
    worker = start_worker()
    result = note_attempts.enqueue(str(tmp_path))
    wait_for(lambda: (tmp_path / "attempt-1").exists(), timeout=30, what="the first attempt")
    os.kill(int((tmp_path / "attempt-1").read_text()), signal.SIGKILL)  # e.g. the kernel's OOM killer
    wait_for(
        lambda: succeeded(result.id),
        timeout=60,
        what="the task done on its retry",
    )
    assert (tmp_path / "attempt-2").exists()
    assert worker.process.poll() is None  # the worker itself carried on


def test_a_task_whose_worker_is_killed_mid_task_is_not_lost(start_worker, settings, tmp_path):
    # Retried at once: a retry after a delay would wait for RQ's scheduler, whose lock the killed worker held
    # until it lapses (docs/deployment.md).
    settings.TASKS_RETRY_DELAYS = [0]
    worker = start_worker()
    result = note_attempts.enqueue(str(tmp_path))
    wait_for(lambda: (tmp_path / "attempt-1").exists(), timeout=30, what="the first attempt")
    worker.kill()  # worker and work horse at once, as when the machine is lost
    registry = StartedJobRegistry(queue=queue())
    assert result.id in registry.get_job_ids()  # not lost: still recorded as started
    # RQ's own check once the dead worker's heartbeat has lapsed (about 90 s); run here as it would then run.
    registry.cleanup(timestamp=time.time() + 120)
    start_worker()
    wait_for(
        lambda: succeeded(result.id),
        timeout=60,
        what="the task done again by a new worker",
    )
    assert (tmp_path / "attempt-2").exists()


def _upload(name, content):
    return SimpleUploadedFile(name, content, content_type="image/jpeg")


def jpeg_bytes(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    PIL.Image.linear_gradient("L").resize((width, height)).convert("RGB").save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def test_the_cron_scheduler_has_the_worker_switch_off_a_surge_on_a_story_gone_quiet(start_worker):
    """`make cron`'s process enqueues newsroom/cron.py's tasks at once and then on their clock; the worker runs
    them as django-tasks tasks: a story's automatic surge, with no post since, ends without any request."""
    from datetime import timedelta

    from django.utils import timezone

    from comments.models import Discussion, SurgeSwitch
    from newsroom.cron import EVERY
    from tests.factories import ArticleFactory
    from tests.servers import CRON_COMMAND

    story = ArticleFactory()
    Discussion.objects.update_or_create(
        article=story,
        defaults={"surge_mode": True, "surge_automatic": True, "surge_since": timezone.now() - timedelta(hours=1)},
    )
    start_worker()
    cron = start_worker(command=CRON_COMMAND)
    wait_for(
        lambda: not Discussion.objects.get(pk=story.pk).surge_mode,
        timeout=60,
        what="the surge switched off by the scheduled task",
    )
    switch = SurgeSwitch.objects.get(article=story)
    assert (switch.on, switch.by, switch.note) == (False, None, "quiet: no comments to speak of")
    assert f"Starting cron scheduler with {len(EVERY)} jobs".encode() in cron.log.read_bytes()
    assert failed_jobs() == []
