"""Signed webhooks (newsroom.webhooks) against a real HTTP receiver on loopback that checks every signature with the
endpoint's secret, records what arrives in order, and can be told to fail, to be slow or to redirect.

Tasks run at once (the immediate backend, as the suite runs them), after the commit that enqueued them; the last
tests run a real RQ worker, as production does, for the backoff's delays and for a post that must not wait."""

import base64
import hashlib
import hmac
import json
import threading
import time
import unittest.mock
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from articles import services as story_services
from articles.models import Article
from comments import services as comment_services
from comments.models import Comment
from newsroom import webhooks
from newsroom.admin import WebhookEndpointForm
from newsroom.models import WebhookDelivery, WebhookEndpoint, webhook_secret
from tests.factories import ArticleFactory, CommentFactory, UserFactory, report
from tests.servers import wait_for

ALL_EVENTS = [
    "story.published",
    "story.updated",
    "comment.created",
    "comment.edited",
    "comment.moderated",
    "comment.reported",
]


def verify(secret: str, headers, body: bytes, *, tolerance: int = 300) -> bool:
    """What a receiver does (docs/api.md, "Webhooks"), written from the Standard Webhooks spec, not from the sender's
    code: HMAC-SHA256 of "id.timestamp.body" with the secret's bytes, compared with each "v1," signature."""
    try:
        msg_id, timestamp, signatures = (
            headers["webhook-id"],
            headers["webhook-timestamp"],
            headers["webhook-signature"],
        )
    except KeyError:
        return False
    if abs(time.time() - int(timestamp)) > tolerance:
        return False
    key = base64.b64decode(secret.removeprefix("whsec_"))
    expected = base64.b64encode(hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest())
    return any(
        hmac.compare_digest(expected.decode(), signature.removeprefix("v1,"))
        for signature in signatures.split()
        if signature.startswith("v1,")
    )


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes
    verified: bool
    at: float

    @property
    def event(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A real HTTP server on 127.0.0.1 in a thread. `script` holds what to do with the next requests, one each:
    "fail" (500), "slow" (answer after `slow_seconds`), "redirect" (302 to /elsewhere), "big" (a 100 kB answer);
    past the script, 204. `secret` is the endpoint's, to verify with."""

    secret: str = ""
    script: list = field(default_factory=list)
    slow_seconds: float = 3.0
    received: list = field(default_factory=list)
    elsewhere: list = field(default_factory=list)

    def start(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                receiver.elsewhere.append(self.path)
                self.send_response(200)
                self.end_headers()

            def do_POST(self):
                if self.path.startswith("/elsewhere"):
                    return self.do_GET()
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                headers = {key.lower(): value for key, value in self.headers.items()}
                verified = verify(receiver.secret, headers, body)
                receiver.received.append(Received(self.path, headers, body, verified, time.monotonic()))
                step = receiver.script.pop(0) if receiver.script else "ok"
                if step == "slow":
                    time.sleep(receiver.slow_seconds)
                if step == "fail":
                    self.send_response(500)
                    self.end_headers()
                    self.wfile.write(b"broken")
                elif step == "redirect":
                    self.send_response(302)
                    self.send_header("Location", f"http://127.0.0.1:{receiver.port}/elsewhere")
                    self.end_headers()
                elif step == "big":
                    self.send_response(200)
                    self.send_header("Content-Length", "100000")
                    self.end_headers()
                    self.wfile.write(b"x" * 100_000)
                else:
                    self.send_response(204 if verified else 401)
                    self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def events(self) -> list[str]:
        return [r.event["type"] for r in self.received]


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def hooks(settings):
    """The loopback receiver may be used (production refuses it), retries come at once, no pausing by default."""
    settings.WEBHOOKS_ALLOW_PRIVATE_HOSTS = True
    settings.WEBHOOKS_RETRY_DELAYS = [1, 2]
    settings.WEBHOOKS_PAUSE_AFTER = 100
    settings.WEBHOOKS_CONNECT_TIMEOUT = 1
    settings.WEBHOOKS_READ_TIMEOUT = 1
    return settings


def endpoint_for(receiver: Receiver, events=("comment.created",), **fields) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.create(url=receiver.url, events=list(events), **fields)
    receiver.secret = endpoint.secret
    return endpoint


def admin_action(client, action: str, endpoint: WebhookEndpoint):
    """Run one of the endpoint list's actions on `endpoint`, as the admin's form posts it."""
    url = reverse("admin:newsroom_webhookendpoint_changelist")
    return client.post(url, {"action": action, "_selected_action": [endpoint.pk]}, follow=True)


pytestmark = pytest.mark.django_db


# ------------------------------------------------------------------------------
# Signing
# ------------------------------------------------------------------------------
def test_a_delivery_is_signed_and_the_receiver_verifies_it(hooks, receiver, django_capture_on_commit_callbacks):
    endpoint = endpoint_for(receiver)
    assert endpoint.secret.startswith("whsec_") and len(base64.b64decode(endpoint.secret[6:])) == 32
    with django_capture_on_commit_callbacks(execute=True):
        comment = CommentFactory(body="Signed and sealed.")
    (got,) = receiver.received
    assert got.verified
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.SUCCEEDED and delivery.response_status == 204
    assert got.headers["webhook-id"] == delivery.event_id == got.event["id"]
    assert got.headers["webhook-signature"].startswith("v1,")
    assert got.headers["content-type"] == "application/json"
    assert got.body == delivery.payload.encode()
    assert got.event["data"]["id"] == comment.pk
    # A body changed on the way, another secret, or an old timestamp fail the receiver's check.
    assert not verify(endpoint.secret, got.headers, got.body.replace(b"Signed", b"Forged"))
    assert not verify(endpoint.secret, got.headers, got.body + b" ")
    assert not verify(webhook_secret(), got.headers, got.body)
    assert not verify(endpoint.secret, {**got.headers, "webhook-timestamp": str(int(time.time()) - 3600)}, got.body)


# ------------------------------------------------------------------------------
# Events
# ------------------------------------------------------------------------------
def test_each_event_fires_once_with_its_payload(hooks, receiver, django_capture_on_commit_callbacks, settings):
    settings.NEWSROOM_BASE_URL = "https://news.example"
    editor = UserFactory(handle="editor", is_staff=True, is_superuser=True)
    story = ArticleFactory(status=Article.Status.DRAFT, publish_at=None, headline="Bridge reopens")
    alex, sam = UserFactory(handle="alex", display_name="Alex"), UserFactory(handle="sam")
    endpoint_for(receiver, ALL_EVENTS)
    only_comments = WebhookEndpoint.objects.create(
        url=receiver.url + "?only=comments", events=["comment.created"], secret=receiver.secret
    )
    with django_capture_on_commit_callbacks(execute=True):
        story_services.article_publish(article=story, by=editor)
    with django_capture_on_commit_callbacks(execute=True):
        story.headline = "Bridge reopens to traffic"
        story.save()
        story_services.article_body_refresh(article=story, was_live=True)  # what the admin's save calls
    with django_capture_on_commit_callbacks(execute=True):
        comment = comment_services.comment_create(article=story, author=alex, body="Finally, after two years.")
    with django_capture_on_commit_callbacks(execute=True):
        comment_services.comment_edit(comment=comment, user=alex, body="Finally, after two long years.")
    with django_capture_on_commit_callbacks(execute=True):
        report(comment, reason="spam", user=sam)
    with django_capture_on_commit_callbacks(execute=True):
        comment_services.comment_remove(comments=[comment], moderator=editor, reason="Off topic")
    mine = [r for r in receiver.received if "only=" not in r.path]
    order = ["story.published", "story.updated", "comment.created", "comment.edited", "comment.reported"]
    assert [r.event["type"] for r in mine] == [*order, "comment.moderated"]
    assert all(r.verified for r in mine)
    assert len({r.event["id"] for r in mine}) == len(ALL_EVENTS)
    published, updated, created, edited, reported, moderated = (r.event["data"] for r in mine)
    story.refresh_from_db()
    assert published["id"] == story.pk and published["headline"] == "Bridge reopens"
    assert published["url"] == "https://news.example" + story.get_absolute_url()
    assert published["section"] == story.section.slug and published["published_at"]
    assert updated["headline"] == "Bridge reopens to traffic"
    assert created["id"] == comment.pk and created["status"] == "visible" and created["parent_id"] is None
    assert created["author"] == {
        "handle": "alex",
        "name": "Alex",
        "profile_url": "https://news.example" + alex.get_absolute_url(),
    }
    assert created["story"] == {
        "id": story.pk,
        "headline": "Bridge reopens to traffic",
        "url": "https://news.example" + story.get_absolute_url(),
    }
    assert "two years" in created["body_html"] and created["url"] == "https://news.example" + comment.get_absolute_url()
    assert "two long years" in edited["body_html"] and edited["edited_at"]
    assert reported["report"] == {"reason": "spam"}
    assert moderated["action"] == "remove" and moderated["reason"] == "Off topic" and moderated["status"] == "removed"
    # A removed comment's words and author are not sent, as its pages no longer show them.
    assert moderated["body_html"] == "" and moderated["author"] is None
    # The endpoint subscribed to new comments alone heard of the one comment, once.
    assert [r.event["type"] for r in receiver.received if "only=" in r.path] == ["comment.created"]
    assert only_comments.deliveries.get().status == WebhookDelivery.Status.SUCCEEDED


def test_a_draft_saved_and_a_story_scheduled_send_nothing(hooks, receiver, django_capture_on_commit_callbacks):
    editor = UserFactory(handle="editor", is_staff=True, is_superuser=True)
    endpoint_for(receiver, ALL_EVENTS)
    with django_capture_on_commit_callbacks(execute=True):
        draft = ArticleFactory(status=Article.Status.DRAFT, publish_at=None)
        later = ArticleFactory(status=Article.Status.DRAFT, publish_at=None)
        story_services.article_publish(article=later, by=editor, at=later.created_at + timedelta(hours=48))
        story_services.article_body_refresh(article=draft, was_live=False)
    assert receiver.received == [] and not WebhookDelivery.objects.exists()


def test_a_scheduled_story_is_announced_when_its_time_comes(
    hooks, receiver, settings, django_capture_on_commit_callbacks
):
    """No code runs when a scheduled story goes live by its clock: scheduling it enqueues a task for that moment
    (on a queue that can wait: django-tasks' dummy backend keeps it here), which announces it then, once."""
    from django.utils import timezone
    from django_tasks import default_task_backend

    from articles.tasks import announce_scheduled_story

    immediate = settings.TASKS
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    editor = UserFactory(handle="editor", is_staff=True, is_superuser=True)
    story = ArticleFactory(status=Article.Status.DRAFT, publish_at=None)
    endpoint_for(receiver, ["story.published", "story.updated"])
    moved = timezone.now() + timedelta(hours=5)
    at = timezone.now() + timedelta(seconds=1)
    with django_capture_on_commit_callbacks(execute=True):
        story_services.article_publish(article=story, by=editor, at=moved)
        story_services.article_publish(article=story, by=editor, at=at)  # rescheduled sooner
    waiting = [r for r in default_task_backend.results if r.task.name == "announce_scheduled_story"]
    assert [r.args for r in waiting] == [[story.pk, moved.isoformat()], [story.pk, at.isoformat()]]
    assert at <= waiting[1].task.run_after <= at + timedelta(seconds=2)
    assert receiver.received == [] and not WebhookDelivery.objects.exists()
    assert not announce_scheduled_story.call(*waiting[1].args)  # not yet its time
    time.sleep(max(0, (at - timezone.now()).total_seconds()) + 0.1)
    settings.TASKS = immediate
    with django_capture_on_commit_callbacks(execute=True):
        assert announce_scheduled_story.call(*waiting[1].args)
        assert not announce_scheduled_story.call(*waiting[1].args)  # a second task for that time: nothing more
        assert not announce_scheduled_story.call(*waiting[0].args)  # the time it was moved from: nothing
    assert receiver.events() == ["story.published"]
    assert receiver.received[0].event["data"]["id"] == story.pk


def test_approving_a_held_comment_is_announced(hooks, receiver, django_capture_on_commit_callbacks):
    moderator = UserFactory(handle="mod", is_staff=True, is_superuser=True)
    story = ArticleFactory(discussion_mode="premoderated")
    endpoint_for(receiver, ["comment.created", "comment.moderated"])
    with django_capture_on_commit_callbacks(execute=True):
        comment = CommentFactory(article=story, body="Wait for me.")
    with django_capture_on_commit_callbacks(execute=True):
        comment_services.comment_approve(comments=[comment], moderator=moderator)
    created, approved = (r.event["data"] for r in receiver.received)
    assert receiver.events() == ["comment.created", "comment.moderated"]
    assert created["status"] == "pending" and approved["status"] == "visible" and approved["action"] == "approve"


# ------------------------------------------------------------------------------
# Retries, order, pausing
# ------------------------------------------------------------------------------
def test_a_failed_delivery_is_retried_then_succeeds(hooks, receiver, django_capture_on_commit_callbacks):
    endpoint = endpoint_for(receiver)
    receiver.script = ["fail", "fail"]
    with django_capture_on_commit_callbacks(execute=True):
        CommentFactory()
    assert [r.verified for r in receiver.received] == [True, True, True]
    # The same message each time: one webhook-id, one body, for the receiver to drop repeats by.
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 1
    assert len({r.body for r in receiver.received}) == 1
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("succeeded", 3, 204)
    assert delivery.error == "" and delivery.finished_at
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 0


def test_a_delivery_fails_for_good_after_its_retries_and_the_next_one_goes(
    hooks, receiver, django_capture_on_commit_callbacks
):
    endpoint_for(receiver)
    receiver.script = ["fail", "fail", "fail"]
    with django_capture_on_commit_callbacks(execute=True):
        first, second = CommentFactory(body="First."), CommentFactory(body="Second.")
    assert [r.event["data"]["id"] for r in receiver.received] == [first.pk] * 3 + [second.pk]
    failed, succeeded = WebhookDelivery.objects.order_by("pk")
    assert (failed.status, failed.attempts, failed.response_status) == ("failed", 3, 500)
    assert failed.error == "Answered 500." and failed.response_excerpt == "broken"
    assert (succeeded.status, succeeded.attempts) == ("succeeded", 1)


def test_deliveries_to_an_endpoint_keep_their_order_through_a_retry(
    hooks, receiver, django_capture_on_commit_callbacks
):
    endpoint_for(receiver)
    receiver.script = ["fail"]
    with django_capture_on_commit_callbacks(execute=True):
        comments = [CommentFactory(body=f"Number {n}.") for n in range(3)]
    ids = [r.event["data"]["id"] for r in receiver.received]
    assert ids == [comments[0].pk, comments[0].pk, comments[1].pk, comments[2].pk]
    assert list(WebhookDelivery.objects.order_by("pk").values_list("status", flat=True)) == ["succeeded"] * 3


def test_an_endpoint_that_keeps_failing_is_paused_and_its_staff_told(
    hooks, receiver, django_capture_on_commit_callbacks, client
):
    from django.contrib.auth.models import Group, Permission

    hooks.WEBHOOKS_PAUSE_AFTER = 3
    hooks.WEBHOOKS_RETRY_DELAYS = [1, 1, 1, 1]
    keepers = Group.objects.create(name="Webhook keepers")
    keepers.permissions.add(Permission.objects.get(codename="change_webhookendpoint"))
    admin = UserFactory(handle="boss", is_staff=True, is_superuser=True)
    keeper = UserFactory(handle="keeper", is_staff=True)
    keeper.groups.add(keepers)
    UserFactory(handle="editor", is_staff=True)  # staff without the permission: not told
    endpoint = endpoint_for(receiver)
    receiver.script = ["fail"] * 10
    with django_capture_on_commit_callbacks(execute=True):
        CommentFactory()
    assert len(receiver.received) == 3  # then nothing more: it is paused
    endpoint.refresh_from_db()
    assert endpoint.paused_at and endpoint.consecutive_failures == 3
    assert "3 failed attempts in a row" in endpoint.paused_reason and "Answered 500." in endpoint.paused_reason
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.PENDING and delivery.attempts == 3  # it waits for a resume
    (message,) = mail.outbox
    assert sorted(message.bcc) == ["boss@example.com", "keeper@example.com"]
    assert "paused" in message.subject and endpoint.url in message.body
    assert f"/admin/newsroom/webhookendpoint/{endpoint.pk}/change/" in message.body
    # Events meanwhile are not sent to it.
    with django_capture_on_commit_callbacks(execute=True):
        CommentFactory()
    assert len(receiver.received) == 3 and WebhookDelivery.objects.count() == 1
    # The admin says so on the list, and "resume" sends what waited.
    client.force_login(admin)
    page = client.get(reverse("admin:newsroom_webhookendpoint_changelist"))
    assert "is paused: 3 failed attempts in a row" in page.content.decode()
    receiver.script = []
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_action(client, "resume", endpoint)
    assert "Resumed 1 endpoint" in response.content.decode()
    endpoint.refresh_from_db()
    assert endpoint.paused_at is None and endpoint.consecutive_failures == 0
    assert len(receiver.received) == 4 and receiver.received[-1].verified
    assert WebhookDelivery.objects.get().status == WebhookDelivery.Status.SUCCEEDED


def test_staff_send_a_test_event_from_the_admin(hooks, receiver, django_capture_on_commit_callbacks, admin_client):
    endpoint = endpoint_for(receiver, ["story.published"])
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_action(admin_client, "send_test_event", endpoint)
    assert "A test event is on its way to 1 endpoint" in response.content.decode()
    (got,) = receiver.received
    assert got.verified and got.event["type"] == "webhook.test"
    # The secret is shown on the endpoint's page, with a link to its deliveries, which are read-only.
    change = admin_client.get(reverse("admin:newsroom_webhookendpoint_change", args=[endpoint.pk])).content.decode()
    assert endpoint.secret in change and f"?endpoint__id__exact={endpoint.pk}" in change
    delivery = WebhookDelivery.objects.get()
    listed = admin_client.get(
        reverse("admin:newsroom_webhookdelivery_changelist") + f"?endpoint__id__exact={endpoint.pk}"
    )
    assert listed.status_code == 200 and "webhook.test" in listed.content.decode()
    page = admin_client.get(reverse("admin:newsroom_webhookdelivery_change", args=[delivery.pk]))
    assert page.status_code == 200 and b'name="_save"' not in page.content
    assert admin_client.get(reverse("admin:newsroom_webhookdelivery_add")).status_code == 403


# ------------------------------------------------------------------------------
# Server-side request forgery, timeouts, redirects
# ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "url, says",
    [
        ("ftp://example.com/hooks", "Only http and https"),
        ("file:///etc/passwd", "Only http and https"),
        ("http://127.0.0.1:8000/hooks", "127.0.0.1, a loopback, private"),
        ("http://localhost/hooks", "a loopback, private"),
        ("http://[::1]/hooks", "::1, a loopback"),
        ("http://[::ffff:127.0.0.1]/hooks", "a loopback"),
        ("http://10.1.2.3/hooks", "10.1.2.3"),
        ("http://192.168.0.10/hooks", "192.168.0.10"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254"),
        ("http://100.64.0.1/", "100.64.0.1"),
        ("http://224.0.0.1/", "224.0.0.1"),
        ("http://0.0.0.0/", "0.0.0.0"),
        ("http://240.0.0.1/", "240.0.0.1"),
    ],
)
def test_the_admin_form_refuses_addresses_that_are_not_public(url, says):
    form = WebhookEndpointForm(data={"url": url, "events": ["comment.created"], "is_active": "on"})
    assert not form.is_valid()
    assert says in " ".join(form.errors["url"])


def test_the_admin_form_takes_a_public_address(monkeypatch):
    monkeypatch.setattr(webhooks, "addresses", lambda host, port: ["93.184.216.34"])
    form = WebhookEndpointForm(data={"url": "https://hooks.example.com/in", "events": ["comment.created"]})
    assert form.is_valid(), form.errors
    endpoint = form.save()
    assert endpoint.events == ["comment.created"] and endpoint.secret.startswith("whsec_")


def test_the_admin_page_names_the_refused_url(admin_client):
    response = admin_client.post(
        reverse("admin:newsroom_webhookendpoint_add"),
        {"url": "http://127.0.0.1/hooks", "events": ["comment.created"], "is_active": "on"},
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["url"]
    assert not WebhookEndpoint.objects.exists()


def test_the_deploy_check_warns_when_private_hosts_are_allowed(settings):
    from newsroom import checks

    assert checks.webhooks_private_hosts_check(None) == []
    settings.WEBHOOKS_ALLOW_PRIVATE_HOSTS = True
    (warning,) = checks.webhooks_private_hosts_check(None)
    assert warning.id == "newsroom.W002"


def test_a_private_address_is_refused_again_at_delivery(receiver, django_capture_on_commit_callbacks, settings):
    """The name passed the form's check, then resolves to loopback (DNS rebinding): nothing is sent."""
    settings.WEBHOOKS_RETRY_DELAYS = []
    answers = iter([["93.184.216.34"], ["127.0.0.1"]])
    settings.WEBHOOKS_ALLOW_PRIVATE_HOSTS = False
    with unittest.mock.patch.object(webhooks, "addresses", lambda host, port: next(answers)):
        form = WebhookEndpointForm(
            data={
                "url": f"http://rebind.example:{receiver.port}/hooks",
                "events": ["comment.created"],
                "is_active": "on",
            }
        )
        assert form.is_valid(), form.errors
        form.save()
        with django_capture_on_commit_callbacks(execute=True):
            CommentFactory()
    assert receiver.received == []
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert "127.0.0.1, a loopback, private, link-local or reserved address" in delivery.error


def test_a_delivery_connects_to_the_address_it_checked(
    hooks, receiver, django_capture_on_commit_callbacks, monkeypatch
):
    """The name is resolved once per attempt and the connection made to that address, with the name as Host:
    here a name nothing else can resolve reaches the receiver."""
    monkeypatch.setattr(webhooks, "addresses", lambda host, port: ["127.0.0.1"] if host == "hooks.invalid" else [])
    endpoint = WebhookEndpoint.objects.create(
        url=f"http://hooks.invalid:{receiver.port}/in", events=["comment.created"]
    )
    receiver.secret = endpoint.secret
    with django_capture_on_commit_callbacks(execute=True):
        CommentFactory()
    (got,) = receiver.received
    assert got.verified and got.headers["host"] == f"hooks.invalid:{receiver.port}" and got.path == "/in"


def test_a_slow_endpoint_times_out_and_counts_as_a_failure(hooks, receiver, django_capture_on_commit_callbacks):
    hooks.WEBHOOKS_RETRY_DELAYS = []
    endpoint = endpoint_for(receiver)
    receiver.script, receiver.slow_seconds = ["slow"], 3
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        CommentFactory()
    assert time.monotonic() - started < 2.5  # the read timeout (1 s), not the endpoint's 3 s
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.response_status) == ("failed", None)
    assert delivery.error == "No answer within the timeout."
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 1


def test_a_redirect_is_not_followed_and_counts_as_a_failure(hooks, receiver, django_capture_on_commit_callbacks):
    hooks.WEBHOOKS_RETRY_DELAYS = []
    endpoint_for(receiver)
    receiver.script = ["redirect"]
    with django_capture_on_commit_callbacks(execute=True):
        CommentFactory()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.response_status) == ("failed", 302)
    assert "redirect" in delivery.error and receiver.elsewhere == []


def test_only_the_start_of_an_answer_is_read_and_kept(hooks, receiver, django_capture_on_commit_callbacks):
    hooks.WEBHOOKS_RESPONSE_MAX_BYTES = 500
    endpoint_for(receiver)
    receiver.script = ["big"]
    with django_capture_on_commit_callbacks(execute=True):
        CommentFactory()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "succeeded" and delivery.response_excerpt == "x" * 500


# ------------------------------------------------------------------------------
# With a real worker: the backoff's delays, and a post that never waits on an endpoint
# ------------------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_with_a_worker_posting_is_not_delayed_and_retries_back_off(start_worker, receiver):
    start_worker(
        WEBHOOKS_ALLOW_PRIVATE_HOSTS="true",
        WEBHOOKS_RETRY_DELAYS="2,3",
        WEBHOOKS_READ_TIMEOUT="1",
        WEBHOOKS_CONNECT_TIMEOUT="1",
    )
    story = ArticleFactory()
    endpoint_for(receiver)
    receiver.script, receiver.slow_seconds = ["slow", "fail"], 4
    client = Client()
    client.force_login(UserFactory(handle="quick"))
    started = time.monotonic()
    response = client.post(reverse("comments:post", kwargs={"article_pk": story.pk}), {"body": "Posted at once."})
    took = time.monotonic() - started
    assert response.status_code == 302 and Comment.objects.filter(body="Posted at once.").exists()
    assert took < 1.0, f"the post took {took:.2f} s: it waited on the endpoint"
    wait_for(lambda: len(receiver.received) >= 3, timeout=40, what="three attempts")
    wait_for(
        lambda: WebhookDelivery.objects.get().status == WebhookDelivery.Status.SUCCEEDED,
        timeout=10,
        what="the delivery recorded as succeeded",
    )
    first, second, third = (r.at for r in receiver.received)
    # Each retry waits its delay after the attempt failed: the first failed by its 1 s timeout, then waited 2 s;
    # the second answered 500 at once, then waited 3 s. (RQ's scheduler keeps whole seconds: up to 1 s early.)
    assert second - first >= 1 + 2 - 1 and third - second >= 3 - 1
    assert all(r.verified for r in receiver.received)
    assert WebhookDelivery.objects.get().attempts == 3
