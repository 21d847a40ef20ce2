"""The e-mail outbox: notification rows are written with the comment and sent from there, several per reader in one
message, so a relay or queue that is down, hanging or slow never fails or slows a post and loses no e-mail."""

import io
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from comments import notifications
from comments.models import Comment, Notification
from tests.factories import CommentFactory, UserFactory
from tests.servers import free_port, wait_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def alex():
    return UserFactory(handle="alex", display_name="Alex")


def post_reply(parent, author, body="A reply."):
    client = Client()
    client.force_login(author)
    return client.post(
        reverse("comments:post", kwargs={"article_pk": parent.article_id}), {"body": body, "parent": parent.pk}
    )


def test_several_replies_within_the_window_are_one_message_with_the_one_click_unsubscribe(alex):
    root = CommentFactory(author=alex, body="A first thought.")
    for handle in ("sam", "kim", "lee"):
        CommentFactory(parent=root, author=UserFactory(handle=handle), body=f"{handle} disagrees.")
    CommentFactory(author=UserFactory(handle="ana"), body="@alex have a look")
    assert notifications.send_waiting_emails() == 2  # one for the replies, one for the mention
    replies, mention = sorted(mail.outbox, key=lambda m: m.subject)
    assert replies.subject == "3 replies to your comments on The Newsroom"
    assert all(f"{h} disagrees." in replies.body for h in ("sam", "kim", "lee"))
    assert replies.body.count("/comments/") == 3
    assert "mentioned you" in mention.subject
    for message in (replies, mention):
        assert message.to == ["alex@example.com"]
        assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    token = replies.extra_headers["List-Unsubscribe"].strip("<>").rsplit("/unsubscribe/", 1)[1].strip("/")
    response = Client(enforce_csrf_checks=True).post(
        reverse("notifications:unsubscribe", kwargs={"token": token}), {"List-Unsubscribe": "One-Click"}
    )
    assert response.status_code == 200
    alex.refresh_from_db()
    assert not alex.email_on_reply and alex.email_on_mention
    assert set(Notification.objects.values_list("email", flat=True)) == {Notification.Email.SENT}
    assert notifications.send_waiting_emails() == 0  # nothing twice


def test_with_a_queue_the_e_mail_waits_out_the_window(alex, settings, monkeypatch):
    monkeypatch.setattr(notifications, "can_defer", lambda: True)
    settings.NOTIFICATIONS_EMAIL_WINDOW = 60
    root = CommentFactory(author=alex)
    CommentFactory(parent=root)
    assert notifications.send_waiting_emails() == 0
    assert notifications.send_waiting_emails(now=timezone.now() + timedelta(seconds=61)) == 1


def test_a_row_claimed_by_a_sender_that_died_is_sent_after_the_lease(alex):
    root = CommentFactory(author=alex)
    CommentFactory(parent=root)
    Notification.objects.update(email=Notification.Email.SENDING, email_claim="dead", email_at=timezone.now())
    assert notifications.send_waiting_emails() == 0  # maybe still being sent
    later = timezone.now() + notifications.EMAIL_CLAIM_LEASE + timedelta(seconds=1)
    assert notifications.send_waiting_emails(now=later) == 1


def test_an_e_mail_for_a_comment_removed_meanwhile_is_not_sent(alex):
    from comments import services

    root = CommentFactory(author=alex)
    reply = CommentFactory(parent=root, body="Something rude")
    services.comment_remove(comments=[reply], moderator=UserFactory(is_staff=True), reason="Abuse")
    assert notifications.send_waiting_emails() == 1  # the decision, to the reply's author; nothing to alex
    assert Notification.objects.get(recipient=alex).email == Notification.Email.SKIPPED
    assert [message.to for message in mail.outbox] == [[reply.author.email]]


@pytest.mark.django_db(transaction=True)
def test_posting_succeeds_with_the_broker_down_and_the_e_mail_goes_out_from_the_rows(alex, settings, caplog):
    settings.TASKS_URL = f"redis://127.0.0.1:{free_port()}/0"  # nobody listens there
    settings.NOTIFICATIONS_EMAIL_WINDOW = 0
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    settings.RQ_QUEUES = {
        "default": {**settings.RQ_QUEUES["default"], "URL": settings.TASKS_URL + "?socket_connect_timeout=0.5"}
    }
    root = CommentFactory(author=alex)
    response = post_reply(root, UserFactory(handle="sam"))
    assert response.status_code == 302
    assert Comment.objects.count() == 2
    assert Notification.objects.get().email == Notification.Email.PENDING
    assert "not enqueued: the queue is unreachable" in caplog.text
    out = io.StringIO()
    call_command("send_notification_emails", stdout=out)  # once the broker is back, or from cron
    assert out.getvalue().strip() == "Sent 1 notification e-mail."
    assert [m.to for m in mail.outbox] == [["alex@example.com"]]


@pytest.mark.django_db(transaction=True)
def test_a_slow_relay_delays_the_e_mail_not_the_post(alex, start_worker, smtp_server):
    smtp_server.delay = 3  # seconds before it accepts each message
    start_worker(smtp_server, DJANGO_EMAIL_TIMEOUT="10")
    root = CommentFactory(author=alex)
    response = post_reply(root, UserFactory(handle="sam"))
    assert response.status_code == 302 and Comment.objects.count() == 2
    assert smtp_server.messages == []  # the post answered before the relay did
    (message,) = smtp_server.received(1, timeout=30)
    assert message["To"] == "alex@example.com"
    wait_for(lambda: Notification.objects.get().email == Notification.Email.SENT, timeout=10, what="marked sent")


@pytest.mark.django_db(transaction=True)
def test_a_hanging_relay_is_retried_and_the_e_mail_goes_out_once_it_answers(alex, start_worker, silent_relay, tmp_path):
    from tests.servers import SmtpServer

    worker = start_worker(None, EMAIL_URL=f"smtp://127.0.0.1:{silent_relay}", DJANGO_EMAIL_TIMEOUT="1")
    root = CommentFactory(author=alex)
    assert post_reply(root, UserFactory(handle="sam")).status_code == 302
    wait_for(lambda: "scheduled for retry" in worker.log.read_text(), timeout=30, what="a retry after the timeout")
    assert Notification.objects.get().email == Notification.Email.PENDING
    worker.stop()
    relay = SmtpServer().start()
    try:
        start_worker(relay)
        (message,) = relay.received(1, timeout=30)  # the scheduled retry, through the relay that answers now
        assert message["To"] == "alex@example.com"
    finally:
        relay.stop()
