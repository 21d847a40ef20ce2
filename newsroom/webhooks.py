"""Signed webhooks: events of stories and comments posted to the endpoints staff registered (docs/api.md,
"Webhooks").

An event is heard from articles.signals and comments.signals once its write has committed: `emit` stores one
WebhookDelivery per endpoint subscribed to it and enqueues one task per delivery (newsroom.tasks.deliver_webhook),
so a request never waits on an endpoint. `deliver` makes one attempt. Deliveries to one endpoint go in the order of
their ids: a delivery is not sent while an earlier one to the same endpoint is pending (waiting for its retry), and
each one finished (succeeded, or failed for good) enqueues the next. Signed as Standard Webhooks are; retried after
WEBHOOKS_RETRY_DELAYS; the endpoint is paused after WEBHOOKS_PAUSE_AFTER failed attempts in a row, and its staff are
told. Every attempt resolves the endpoint's host, refuses private addresses, and connects to the address it
checked (server-side request forgery, DNS rebinding); no redirect is followed.
"""

import base64
import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import socket
import ssl
import uuid
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from newsroom.models import WEBHOOK_TEST_EVENT, WebhookDelivery, WebhookEndpoint

__all__ = [
    "Refused",
    "check_url",
    "sign",
    "subscribers",
    "emit",
    "emit_test",
    "deliver",
    "resume",
    "send_paused_email",
    "deliver_waiting",
]

logger = logging.getLogger(__name__)

USER_AGENT = "newsroom-webhooks/1"
# While an attempt is on the wire its delivery is claimed this long past the timeouts: a second task for it (a
# duplicate, the safety net) leaves it alone.
CLAIM_SLACK = timedelta(seconds=30)


class Refused(Exception):
    """The endpoint's URL may not be posted to; the message says why (shown in the admin form, kept as the error)."""


# ------------------------------------------------------------------------------
# Addresses: only public http(s) hosts, checked again at every attempt
# ------------------------------------------------------------------------------
def addresses(host: str, port: int) -> list[str]:
    """The IP addresses `host` resolves to (an IP literal is itself)."""
    return sorted({info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)})


def _allowed(ip: str) -> bool:
    address = ipaddress.ip_address(ip.split("%", 1)[0])
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    ip: str


def check_url(url: str) -> Target:
    """Where a delivery to `url` would connect: refused (Refused) unless http(s) with a host that resolves, and only
    to public addresses (unless WEBHOOKS_ALLOW_PRIVATE_HOSTS). Every address the name has must be public: a name
    with one private address among public ones could be answered with it next time."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise Refused(_("Only http and https addresses can receive webhooks."))
    if not parts.hostname:
        raise Refused(_("The address has no host."))
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise Refused(_("The address's port is not a number from 1 to 65535.")) from None
    try:
        found = addresses(parts.hostname, port)
    except (OSError, UnicodeError):
        raise Refused(_("The host %(host)s could not be found.") % {"host": parts.hostname}) from None
    if not found:
        raise Refused(_("The host %(host)s could not be found.") % {"host": parts.hostname})
    if not settings.WEBHOOKS_ALLOW_PRIVATE_HOSTS:
        private = [ip for ip in found if not _allowed(ip)]
        if private:
            raise Refused(
                _(
                    "The host %(host)s is at %(address)s, a loopback, private, link-local or reserved address: "
                    "webhooks go only to public addresses."
                )
                % {"host": parts.hostname, "address": private[0]}
            )
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, parts.hostname, port, path, found[0])


# ------------------------------------------------------------------------------
# Signing (Standard Webhooks)
# ------------------------------------------------------------------------------
def sign(secret: str, event_id: str, timestamp: int, body: str) -> str:
    """The webhook-signature header: "v1," and the base64 HMAC-SHA256 of "id.timestamp.body", keyed with the
    secret's bytes (the base64 after "whsec_")."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{event_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


# ------------------------------------------------------------------------------
# Events into deliveries
# ------------------------------------------------------------------------------
def _absolute(path: str) -> str:
    return settings.NEWSROOM_BASE_URL.rstrip("/") + path


def story_data(article) -> dict:
    """A story's public fields and address."""
    return {
        "id": article.pk,
        "headline": article.headline,
        "deck": article.deck,
        "section": article.section.slug,
        "url": _absolute(article.get_absolute_url()),
        "published_at": article.publish_at.isoformat() if article.publish_at else None,
        "updated_at": article.modified_at.isoformat() if article.modified_at else None,
    }


def comment_data(comment) -> dict:
    """A comment's public fields and addresses (its words and author only while it shows them, as its pages do)."""
    shows = comment.shows_text
    author = comment.author if shows and comment.author_id else None
    return {
        "id": comment.pk,
        "story": {
            "id": comment.article_id,
            "headline": comment.article.headline,
            "url": _absolute(comment.article.get_absolute_url()),
        },
        "parent_id": comment.parent_id,
        "status": comment.status,
        "author": (
            {"handle": author.handle, "name": author.display_name, "profile_url": _absolute(author.get_absolute_url())}
            if author
            else None
        ),
        "body_html": comment.body_html if shows else "",
        "created_at": comment.created_at.isoformat(),
        "edited_at": comment.edited_at.isoformat() if comment.edited_at else None,
        "url": _absolute(comment.get_absolute_url()),
    }


def _payload(event: str, event_id: str, data: dict) -> str:
    return json.dumps(
        {"type": event, "id": event_id, "timestamp": timezone.now().isoformat(), "data": data},
        ensure_ascii=False,
        separators=(",", ":"),
    )


def _create(endpoints, event: str, data: dict) -> list[WebhookDelivery]:
    """One delivery per endpoint of the same event (one id, one body), each task enqueued once this commits."""
    from newsroom import tasks

    if not endpoints:
        return []
    event_id = f"msg_{uuid.uuid4().hex}"
    body = _payload(event, event_id, data)
    with transaction.atomic():
        created = WebhookDelivery.objects.bulk_create(
            WebhookDelivery(endpoint=endpoint, event=event, event_id=event_id, payload=body) for endpoint in endpoints
        )
        for delivery in created:
            tasks.enqueue_on_commit(tasks.deliver_webhook, delivery.pk)
    return created


def subscribers(event: str) -> list[WebhookEndpoint]:
    """The sending endpoints subscribed to `event`. They are few: read whole, the subscriptions (a JSON list)
    filtered here, the same on SQLite as on PostgreSQL."""
    return [e for e in WebhookEndpoint.objects.filter(is_active=True, paused_at=None) if event in e.events]


def emit(event: str, data: dict, *, endpoints: list[WebhookEndpoint] | None = None) -> list[WebhookDelivery]:
    """Store a delivery of `event` for every sending endpoint subscribed to it (or each of `endpoints`, read once
    for many events), and enqueue them."""
    return _create(subscribers(event) if endpoints is None else endpoints, event, data)


def emit_test(endpoints) -> list[WebhookDelivery]:
    """A "webhook.test" event to each of `endpoints` (the admin's action), whatever they subscribe to."""
    return _create(list(endpoints), WEBHOOK_TEST_EVENT, {"message": "A test event from the newsroom's admin."})


# The receivers (connected in newsroom.apps): each reads its endpoints first, and builds its event's data from the
# saved rows only when one is listening.
def on_story_published(sender, article, **kwargs):
    if endpoints := subscribers("story.published"):
        emit("story.published", story_data(article), endpoints=endpoints)


def on_story_updated(sender, article, **kwargs):
    if endpoints := subscribers("story.updated"):
        emit("story.updated", story_data(article), endpoints=endpoints)


def _comments(pks):
    from comments.models import Comment

    return Comment.objects.select_related("article__section", "author").in_bulk(pks)


def on_comment_created(sender, comment, **kwargs):
    if (endpoints := subscribers("comment.created")) and (comment := _comments([comment.pk]).get(comment.pk)):
        emit("comment.created", comment_data(comment), endpoints=endpoints)


def on_comment_edited(sender, comment, **kwargs):
    if (endpoints := subscribers("comment.edited")) and (comment := _comments([comment.pk]).get(comment.pk)):
        emit("comment.edited", comment_data(comment), endpoints=endpoints)


def on_comment_moderated(sender, actions, **kwargs):
    if not (endpoints := subscribers("comment.moderated")):
        return
    comments = _comments([action.comment_id for action in actions])
    for action in actions:
        if comment := comments.get(action.comment_id):
            data = comment_data(comment) | {"action": action.action, "reason": action.reason}
            emit("comment.moderated", data, endpoints=endpoints)


def on_comment_reported(sender, report, **kwargs):
    endpoints = subscribers("comment.reported")
    if endpoints and (comment := _comments([report.comment_id]).get(report.comment_id)):
        emit("comment.reported", comment_data(comment) | {"report": {"reason": report.reason}}, endpoints=endpoints)


# ------------------------------------------------------------------------------
# Delivering
# ------------------------------------------------------------------------------
@dataclass
class Outcome:
    ok: bool
    status: int | None = None
    excerpt: str = ""
    error: str = ""


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the address that was checked, never resolving the host again; the Host header stays the name."""

    def __init__(self, target: Target, connect_timeout: float, read_timeout: float):
        super().__init__(target.host, target.port, timeout=read_timeout)
        self.target, self.connect_timeout = target, connect_timeout

    def _socket(self):
        sock = socket.create_connection((self.target.ip, self.target.port), timeout=self.connect_timeout)
        sock.settimeout(self.timeout)
        return sock

    def connect(self):
        self.sock = self._socket()


class _PinnedHTTPSConnection(_PinnedHTTPConnection):
    default_port = 443

    def connect(self):
        # The certificate is checked against the name, over a connection to the checked address.
        self.sock = ssl.create_default_context().wrap_socket(self._socket(), server_hostname=self.target.host)


def post(endpoint: WebhookEndpoint, delivery: WebhookDelivery) -> Outcome:
    """One signed POST of the delivery's body: 2xx succeeds; anything else (a redirect too, never followed), a
    refused address, a timeout or a broken connection fails. At most WEBHOOKS_RESPONSE_MAX_BYTES of the answer are
    read."""
    try:
        target = check_url(endpoint.url)
    except Refused as refusal:
        return Outcome(False, error=str(refusal))
    timestamp = int(timezone.now().timestamp())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": delivery.event_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(endpoint.secret, delivery.event_id, timestamp, delivery.payload),
    }
    kind = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = kind(target, settings.WEBHOOKS_CONNECT_TIMEOUT, settings.WEBHOOKS_READ_TIMEOUT)
    try:
        connection.request("POST", target.path, body=delivery.payload.encode(), headers=headers)
        response = connection.getresponse()
        excerpt = response.read(settings.WEBHOOKS_RESPONSE_MAX_BYTES).decode("utf-8", "replace")
    except TimeoutError:
        return Outcome(False, error=_("No answer within the timeout."))
    except (OSError, http.client.HTTPException) as error:
        return Outcome(False, error=(_("The connection failed: %(error)s") % {"error": error})[:500])
    finally:
        connection.close()
    status = response.status
    if 200 <= status < 300:
        return Outcome(True, status, excerpt)
    if 300 <= status < 400:
        message = _("Answered %(status)s, a redirect; redirects are not followed.") % {"status": status}
        return Outcome(False, status, excerpt, message)
    return Outcome(False, status, excerpt, _("Answered %(status)s.") % {"status": status})


def _enqueue_next(endpoint_pk: int) -> None:
    from newsroom import tasks

    head = _head(endpoint_pk)
    if head is not None:
        tasks.enqueue_on_commit(tasks.deliver_webhook, head)


def _head(endpoint_pk: int) -> int | None:
    """The endpoint's oldest pending delivery: the only one that may be sent."""
    pending = WebhookDelivery.objects.filter(endpoint_id=endpoint_pk, status=WebhookDelivery.Status.PENDING)
    return pending.order_by("pk").values_list("pk", flat=True).first()


def _claim(delivery_pk: int) -> WebhookDelivery | None:
    """Take the delivery for one attempt, if it is its endpoint's turn and it is due; None otherwise."""
    now = timezone.now()
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().select_related("endpoint").filter(pk=delivery_pk).first()
        if delivery is None or delivery.status != WebhookDelivery.Status.PENDING or not delivery.endpoint.sending:
            return None
        if _head(delivery.endpoint_id) != delivery.pk:
            return None  # an earlier one is still pending: it enqueues this one when it is done
        if delivery.next_attempt_at is not None and delivery.next_attempt_at > now + timedelta(seconds=1):
            return None  # not due, or being sent right now
        timeouts = timedelta(seconds=settings.WEBHOOKS_CONNECT_TIMEOUT + settings.WEBHOOKS_READ_TIMEOUT)
        delivery.attempts += 1
        delivery.last_attempt_at = now
        delivery.next_attempt_at = now + timeouts + CLAIM_SLACK
        delivery.save(update_fields=["attempts", "last_attempt_at", "next_attempt_at"])
    return delivery


def deliver(delivery_pk: int) -> str:
    """One attempt at the delivery, if it is its turn: the outcome recorded; on failure a retry scheduled after the
    next of WEBHOOKS_RETRY_DELAYS (at once without a queue that can wait), or the delivery failed for good once
    they are used up; the endpoint paused after WEBHOOKS_PAUSE_AFTER failed attempts in a row. Returns what
    happened: "skipped", "succeeded", "retrying", "failed" or "paused"."""
    from newsroom import tasks

    delivery = _claim(delivery_pk)
    if delivery is None:
        return "skipped"
    outcome = post(delivery.endpoint, delivery)
    now = timezone.now()
    delays = settings.WEBHOOKS_RETRY_DELAYS
    result = "succeeded" if outcome.ok else "failed" if delivery.attempts > len(delays) else "retrying"
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=delivery.endpoint_id)
        endpoint.consecutive_failures = 0 if outcome.ok else endpoint.consecutive_failures + 1
        endpoint.save(update_fields=["consecutive_failures"])
        tripped = endpoint.consecutive_failures >= settings.WEBHOOKS_PAUSE_AFTER
        if not outcome.ok and endpoint.paused_at is None and tripped:
            _pause(endpoint, outcome.error, now=now)
            if result == "retrying":
                result = "paused"  # it waits, pending, for the endpoint to be resumed
        delivery.response_status, delivery.response_excerpt, delivery.error = (
            outcome.status,
            outcome.excerpt,
            outcome.error,
        )
        delivery.next_attempt_at = None
        if result == "retrying":
            delay = delays[delivery.attempts - 1] if tasks.can_defer() else 0
            delivery.next_attempt_at = now + timedelta(seconds=delay)
            tasks.enqueue_on_commit(tasks.deliver_webhook, delivery.pk, delay=delay)
        elif result in ("succeeded", "failed"):
            delivery.status = WebhookDelivery.Status.SUCCEEDED if outcome.ok else WebhookDelivery.Status.FAILED
            delivery.finished_at = now
        fields = ["status", "response_status", "response_excerpt", "error", "finished_at", "next_attempt_at"]
        delivery.save(update_fields=fields)
        if delivery.finished_at and endpoint.sending:
            _enqueue_next(endpoint.pk)
    return result


def _pause(endpoint: WebhookEndpoint, error: str, *, now) -> None:
    """Stop sending to the endpoint (its deliveries wait) and tell its staff, through the queue."""
    from newsroom import tasks

    reason = _("%(count)s failed attempts in a row; the last: %(error)s") % {
        "count": endpoint.consecutive_failures,
        "error": error,
    }
    endpoint.paused_at, endpoint.paused_reason = now, reason[:500]
    endpoint.save(update_fields=["paused_at", "paused_reason"])
    tasks.enqueue_on_commit(tasks.send_webhook_paused_email, endpoint.pk)
    logger.warning("Webhook endpoint %s paused: %s", endpoint.pk, endpoint.paused_reason)


def resume(endpoint: WebhookEndpoint) -> None:
    """Staff resume a paused endpoint: its count of failures starts again and its waiting deliveries go, in order."""
    with transaction.atomic():
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(paused_at=None, paused_reason="", consecutive_failures=0)
        WebhookDelivery.objects.filter(endpoint=endpoint, status=WebhookDelivery.Status.PENDING).update(
            next_attempt_at=None
        )
        _enqueue_next(endpoint.pk)


def deliver_waiting() -> int:
    """The safety net (newsroom.cron): enqueue each sending endpoint's next delivery when it is due, in case its
    task was lost with a broker that was down. Returns how many were enqueued."""
    from newsroom import tasks

    due = Q(next_attempt_at=None) | Q(next_attempt_at__lte=timezone.now())
    enqueued = 0
    for endpoint in WebhookEndpoint.objects.filter(is_active=True, paused_at=None):
        head = _head(endpoint.pk)
        if head is not None and WebhookDelivery.objects.filter(due, pk=head).exists():
            tasks.enqueue_on_commit(tasks.deliver_webhook, head)
            enqueued += 1
    return enqueued


def send_paused_email(endpoint_pk: int) -> int:
    """Tell the staff who may change webhook endpoints that one was paused: one message, each in Bcc, with its
    reason and its page in the admin. Nothing when it was resumed meanwhile. Returns how many addresses it went to;
    a relay failure raises, so the queue retries it."""
    endpoint = WebhookEndpoint.objects.filter(pk=endpoint_pk).exclude(paused_at=None).first()
    if endpoint is None:
        return 0
    permission = Permission.objects.get(codename="change_webhookendpoint", content_type__app_label="newsroom")
    may_change = Q(is_superuser=True) | Q(user_permissions=permission) | Q(groups__permissions=permission)
    addresses_ = sorted(
        get_user_model()
        .objects.filter(may_change, is_active=True, is_staff=True)
        .exclude(email="")
        .values_list("email", flat=True)
        .distinct()
    )
    if not addresses_:
        return 0
    page = _absolute(reverse("admin:newsroom_webhookendpoint_change", args=[endpoint.pk]))
    with translation.override(settings.LANGUAGE_CODE):
        EmailMessage(
            subject=_("Webhook endpoint paused: %(endpoint)s") % {"endpoint": str(endpoint)[:100]},
            body=_(
                "The webhook endpoint %(url)s was paused: %(reason)s\n\n"
                "Nothing more is sent to it until it is resumed; its deliveries wait. Once it answers again, "
                "resume it in the admin: %(page)s\n"
            )
            % {"url": endpoint.url, "reason": endpoint.paused_reason, "page": page},
            bcc=addresses_,
        ).send()
    return len(addresses_)
