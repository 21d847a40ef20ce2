"""Notifications of replies and mentions: in-app rows, and e-mail sent after the transaction commits."""

import logging
import smtplib

from django.conf import settings
from django.core import signing
from django.core.mail import BadHeaderError, EmailMessage, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from comments.models import Comment, Notification

__all__ = ["notify_for_comment", "notifications_mark_read", "unsubscribe_token", "unsubscribe_read", "EMAIL_KINDS"]

# Notification kind -> the user field that says whether to e-mail it.
EMAIL_KINDS = {"reply": "email_on_reply", "mention": "email_on_mention"}
UNSUBSCRIBE_SALT = "newsroom.unsubscribe"

logger = logging.getLogger(__name__)


def notify_for_comment(*, comment: Comment, email: bool = True) -> list[Notification]:
    """Tell the parent's author and the mentioned readers about a visible comment: one notification per reader
    (replied and mentioned at once is one), never the commenter, never twice for the same comment."""
    if comment.status != Comment.Status.VISIBLE:
        return []  # pending comments notify when a moderator approves them
    wanted: dict[int, Notification] = {}
    parent = comment.parent
    if parent is not None and parent.author_id and parent.status == Comment.Status.VISIBLE:
        wanted[parent.author_id] = Notification(recipient_id=parent.author_id, comment=comment, is_reply=True)
    for user_id in comment.mentions.values_list("user_id", flat=True):
        wanted.setdefault(user_id, Notification(recipient_id=user_id, comment=comment)).is_mention = True
    wanted.pop(comment.author_id, None)
    already = set(
        Notification.objects.filter(comment=comment, recipient_id__in=wanted).values_list("recipient_id", flat=True)
    )
    created = Notification.objects.bulk_create(n for user_id, n in wanted.items() if user_id not in already)
    if email and created:
        pks = [n.recipient_id for n in created]
        transaction.on_commit(lambda: _send_emails(comment.pk, pks))
    return created


def notifications_mark_read(*, user, pk: int | None = None) -> int:
    """Mark one notification (or, without `pk`, all of them) read."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if pk is not None:
        unread = unread.filter(pk=pk)
    return unread.update(read_at=timezone.now())


def unsubscribe_token(user, kind: str) -> str:
    return signing.dumps({"u": user.pk, "k": kind}, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_read(token: str) -> tuple[int, str]:
    """The (user id, kind) a token stands for; raises signing.BadSignature when it was tampered with."""
    data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    if data.get("k") not in EMAIL_KINDS:
        raise signing.BadSignature("Unknown kind.")
    return data["u"], data["k"]


def _send_emails(comment_pk: int, recipient_ids: list[int]) -> None:
    # Read when the mail goes: a comment removed or held since, or a story taken back to draft, sends nothing.
    notifications = (
        Notification.objects.readable()
        .filter(comment_id=comment_pk, recipient_id__in=recipient_ids)
        .select_related("recipient", "comment__author", "comment__article")
        .order_by("pk")
    )
    base = settings.NEWSROOM_BASE_URL.rstrip("/")
    messages = []
    for notification in notifications:
        recipient, comment = notification.recipient, notification.comment
        kinds = [
            kind
            for kind, happened in (("reply", notification.is_reply), ("mention", notification.is_mention))
            if happened and getattr(recipient, EMAIL_KINDS[kind])
        ]
        if not (kinds and recipient.email and recipient.is_active):
            continue
        kind = kinds[0]
        unsubscribe = base + reverse("notifications:unsubscribe", kwargs={"token": unsubscribe_token(recipient, kind)})
        context = {
            "notification": notification,
            "comment": comment,
            "who": f"{comment.shown_name} (@{comment.author.handle})" if comment.author_id else comment.shown_name,
            "story": comment.article,
            "link": base + comment.get_absolute_url(),
            "unsubscribe": unsubscribe,
            "account": base + reverse("account"),
            "kind": kind,
            "site_name": settings.SITE_NAME,
        }
        messages.append(
            EmailMessage(
                subject=_one_line(render_to_string("comments/email/notification_subject.txt", context)),
                body=render_to_string("comments/email/notification.txt", context),
                to=[recipient.email],
                headers={"List-Unsubscribe": f"<{unsubscribe}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
            )
        )
    if messages:
        _deliver(comment_pk, messages)


def _one_line(value: str) -> str:
    """A header value from readers' text (names, headlines) on one line: a line break would make the message
    unsendable (BadHeaderError), or in a careless mailer add headers."""
    return " ".join(value.split())


def _deliver(comment_pk: int, messages: list[EmailMessage]) -> None:
    """Send over one connection and never raise: this runs after the comment is committed, inside the reader's
    request, which must land on the stored comment whatever the relay does (the in-app notification is already
    there). A relay that refuses, drops or never answers (EMAIL_TIMEOUT) ends the batch; a message the relay or
    the mail library refuses on its own skips only that one."""
    try:
        with get_connection() as connection:
            for message in messages:
                try:
                    connection.send_messages([message])
                except (BadHeaderError, ValueError, smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError):
                    logger.exception("Notification e-mail for comment %s to %s not sent", comment_pk, message.to)
    except (smtplib.SMTPException, OSError):
        logger.exception("Notification e-mail for comment %s not sent: the mail relay failed", comment_pk)
