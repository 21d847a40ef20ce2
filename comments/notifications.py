"""Notifications of replies, mentions and moderators' decisions: in-app rows, and their e-mail, sent by a task from
the rows themselves.

Each notification row is also the e-mail's outbox entry (`Notification.email`), written in the transaction that
saves the comment. A task (comments.tasks) sends what waits, one message per reader and kind, several notifications
that arrived within NOTIFICATIONS_EMAIL_WINDOW together; a relay or queue that is down only delays it.
"""

import logging
import secrets
import smtplib
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.mail import BadHeaderError, EmailMessage, get_connection
from django.db.models import Exists, OuterRef, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from comments.models import Comment, ModerationAction, Mute, Notification
from newsroom.tasks import can_defer, enqueue_on_commit

__all__ = [
    "notify_for_comment",
    "notify_pick",
    "notify_decision",
    "notifications_mark_read",
    "unsubscribe_token",
    "unsubscribe_read",
    "send_waiting_emails",
    "send_surge_alert",
    "send_notice_email",
    "EMAIL_KINDS",
]

# Notification kind -> the user field that says whether to e-mail it.
EMAIL_KINDS = {
    "reply": "email_on_reply",
    "mention": "email_on_mention",
    "pick": "email_on_pick",
    "decision": "email_on_decision",
}
UNSUBSCRIBE_SALT = "newsroom.unsubscribe"
# A row claimed longer ago than this belonged to a sender that died mid-send: it is sent again (at least once).
EMAIL_CLAIM_LEASE = timedelta(minutes=15)
# Readers handled by one run; a run that reaches it enqueues the next (a backlog after a long outage).
READERS_PER_RUN = 500

logger = logging.getLogger(__name__)


def notify_for_comment(*, comment: Comment, email: bool = True) -> list[Notification]:
    """Tell the parent's author and the mentioned readers about a visible comment: one notification per reader
    (replied and mentioned at once is one), never the commenter, never a reader who muted the commenter, never
    twice for the same comment."""
    if comment.status != Comment.Status.VISIBLE:
        return []  # pending comments notify when a moderator approves them
    wanted: dict[int, Notification] = {}
    parent = comment.parent
    if parent is not None and parent.author_id and parent.status == Comment.Status.VISIBLE:
        wanted[parent.author_id] = Notification(recipient_id=parent.author_id, comment=comment, is_reply=True)
    for user_id in comment.mentions.values_list("user_id", flat=True):
        wanted.setdefault(user_id, Notification(recipient_id=user_id, comment=comment)).is_mention = True
    wanted.pop(comment.author_id, None)
    if not wanted:
        return []
    # One query for all three: who was told of this comment already, who muted its author (never told), and who
    # cannot be written to (an imported commenter who never claimed the account, a closed account): those get the
    # notification in-app only.
    recipients = (
        get_user_model()
        .objects.filter(pk__in=wanted)
        .annotate(
            told=Exists(Notification.objects.filter(comment=comment, recipient=OuterRef("pk"))),
            muted=Exists(Mute.objects.filter(muter=OuterRef("pk"), muted_id=comment.author_id)),
        )
        .values_list("pk", "is_active", "told", "muted")
    )
    already, unreachable = set(), set()
    for user_id, is_active, told, muted in recipients:
        if muted:
            wanted.pop(user_id)
        elif told:
            already.add(user_id)
        if not is_active:
            unreachable.add(user_id)
    for user_id, notification in wanted.items():
        mailed = email and user_id not in unreachable
        notification.email = Notification.Email.PENDING if mailed else Notification.Email.NONE
    created = Notification.objects.bulk_create(n for user_id, n in wanted.items() if user_id not in already)
    if any(n.email == Notification.Email.PENDING for n in created):
        from comments.tasks import send_notification_emails

        # One second past the window, so the rows written now are due when it runs.
        enqueue_on_commit(send_notification_emails, delay=settings.NOTIFICATIONS_EMAIL_WINDOW + 1)
    return created


def notify_pick(*, comment: Comment) -> Notification | None:
    """Tell a comment's author an editor picked it (comments.services.comment_pick): one row, e-mailed like the
    others when the reader wants it (email_on_pick); None if they were already told of this pick."""
    notification, created = Notification.objects.get_or_create(
        recipient_id=comment.author_id,
        comment=comment,
        defaults={"is_pick": True, "email": Notification.Email.PENDING},
    )
    if not created:
        return None
    from comments.tasks import send_notification_emails

    enqueue_on_commit(send_notification_emails, delay=settings.NOTIFICATIONS_EMAIL_WINDOW + 1)
    return notification


def notify_decision(*, actions: list[ModerationAction]) -> list[Notification]:
    """Tell each comment's author a moderator's decision on it (a removal, a rejection, an appeal decided): their
    notification about the comment, new or made unread again, pointing at the decision's audit-log row for the
    reason and the note; and its e-mail, sent to those who keep e-mail for decisions on (read when it goes, as for
    replies). One statement for any number of decisions (an admin action on a page of the queue)."""
    notifications = [
        Notification(
            recipient_id=action.user_id,
            comment_id=action.comment_id,
            kind=Notification.Kind.DECISION,
            action=action,
            is_pick=False,
            created_at=action.at,
            read_at=None,
            email=Notification.Email.PENDING,
            email_claim="",
            email_at=None,
        )
        for action in actions
        if action.user_id and action.comment_id and action.user_id != action.actor_id
    ]
    created = Notification.objects.bulk_create(
        notifications,
        update_conflicts=True,
        unique_fields=["recipient", "comment"],
        update_fields=["kind", "action", "is_pick", "created_at", "read_at", "email", "email_claim", "email_at"],
    )
    if created:
        from comments.tasks import send_notification_emails

        enqueue_on_commit(send_notification_emails, delay=settings.NOTIFICATIONS_EMAIL_WINDOW + 1)
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


def send_waiting_emails(*, now=None) -> int:
    """Send the e-mail of every reader whose oldest waiting notification has waited out the window, with whatever
    else waits for them; returns the number of messages sent. A relay that fails (down, hanging past EMAIL_TIMEOUT)
    puts the claimed rows back and raises, so the task is retried later; the rows wait meanwhile."""
    now = now or timezone.now()
    window = timedelta(seconds=settings.NOTIFICATIONS_EMAIL_WINDOW if can_defer() else 0)
    due = (
        _waiting(now)
        # A reader's mail waits until their address is confirmed (newsroom.confirmation); confirming sends it.
        .filter(created_at__lte=now - window, recipient__email_confirmed_at__isnull=False)
        .order_by()
        .values_list("recipient_id", flat=True)
        .distinct()[: READERS_PER_RUN + 1]
    )
    recipients = list(due)
    if len(recipients) > READERS_PER_RUN:
        from comments.tasks import send_notification_emails

        recipients = recipients[:READERS_PER_RUN]
        enqueue_on_commit(send_notification_emails)
    connection = get_connection()
    sent = 0
    try:
        for recipient_id in recipients:
            sent += _send_to_reader(recipient_id, connection, now)
    finally:
        connection.close()
    return sent


def _waiting(now):
    return Notification.objects.filter(
        Q(email=Notification.Email.PENDING) | Q(email=Notification.Email.SENDING, email_at__lt=now - EMAIL_CLAIM_LEASE)
    )


def _send_to_reader(recipient_id: int, connection, now) -> int:
    claim = secrets.token_hex(16)
    # The conditional update is the claim: a row another sender took in between is no longer waiting, so it is
    # not taken twice (on PostgreSQL the second update waits for the first and then finds nothing to change).
    claimed = (
        _waiting(now)
        .filter(recipient_id=recipient_id)
        .update(email=Notification.Email.SENDING, email_claim=claim, email_at=now)
    )
    if not claimed:
        return 0
    mine = Notification.objects.filter(email=Notification.Email.SENDING, email_claim=claim)
    # Read when the mail goes: a comment removed or held since, or a story taken back to draft, sends nothing.
    readable = set(mine.readable().values_list("pk", flat=True))
    rows = list(mine.select_related("recipient", "comment__author", "comment__article", "action").order_by("pk"))
    by_kind: dict[str, list[Notification]] = {}
    skipped = []
    for notification in rows:
        kind = _kind(notification)
        if kind is None or notification.pk not in readable:
            skipped.append(notification.pk)
        else:
            by_kind.setdefault(kind, []).append(notification)
    _mark(skipped, Notification.Email.SKIPPED)
    sent = 0
    for kind, group in by_kind.items():
        pks = [n.pk for n in group]
        try:
            connection.send_messages([_message(group, kind)])
        except (BadHeaderError, ValueError, smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError):
            # Refused for this message alone (a header that cannot be sent, a mailbox the relay rejects): another
            # try would fail the same way.
            logger.exception(
                "Notification e-mail for comment %s to %s not sent", group[0].comment_id, [group[0].recipient.email]
            )
            _mark(pks, Notification.Email.SKIPPED)
            continue
        except (smtplib.SMTPException, OSError):
            logger.exception("Notification e-mail for comment %s not sent: the mail relay failed", group[0].comment_id)
            Notification.objects.filter(email=Notification.Email.SENDING, email_claim=claim).update(
                email=Notification.Email.PENDING, email_claim="", email_at=None
            )
            raise
        _mark(pks, Notification.Email.SENT)
        sent += 1
    return sent


def _mark(pks: list[int], status: str) -> None:
    if pks:
        Notification.objects.filter(pk__in=pks).update(email=status, email_at=timezone.now())


def _kind(notification: Notification) -> str | None:
    """Which e-mail this notification is, by the reader's settings now: "reply" before "mention" (a pick is only
    ever a pick); None for none."""
    recipient = notification.recipient
    if not (recipient.email and recipient.is_active):
        return None
    if notification.kind == Notification.Kind.DECISION:
        return "decision" if recipient.email_on_decision else None
    kinds = (("pick", notification.is_pick), ("reply", notification.is_reply), ("mention", notification.is_mention))
    for kind, happened in kinds:
        if happened and getattr(recipient, EMAIL_KINDS[kind]):
            return kind
    return None


def _message(group: list[Notification], kind: str) -> EmailMessage:
    """One message for a reader's notifications of one kind, so its one-click unsubscribe stops exactly that kind;
    written in the reader's language (their account's, else the site's: it is sent outside any request)."""
    with translation.override(group[0].recipient.email_language):
        return _message_in_active_language(group, kind)


def _message_in_active_language(group: list[Notification], kind: str) -> EmailMessage:
    base = settings.NEWSROOM_BASE_URL.rstrip("/")
    recipient = group[0].recipient
    unsubscribe = base + reverse("notifications:unsubscribe", kwargs={"token": unsubscribe_token(recipient, kind)})
    items = [
        {
            "notification": notification,
            "comment": notification.comment,
            "who": _who(notification),
            "story": notification.comment.article,
            "link": base + _link(notification),
        }
        for notification in group
    ]
    context = {
        **items[0],
        "items": items,
        "unsubscribe": unsubscribe,
        "account": base + reverse("account"),
        "kind": kind,
        "site_name": settings.SITE_NAME,
        "appeal_days": settings.COMMENTS_APPEAL_DAYS,
    }
    template = "decision" if kind == "decision" else "notification" if len(items) == 1 else "digest"
    return EmailMessage(
        subject=_one_line(render_to_string(f"comments/email/{template}_subject.txt", context)),
        body=render_to_string(f"comments/email/{template}.txt", context),
        to=[recipient.email],
        headers={"List-Unsubscribe": f"<{unsubscribe}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    )


def _link(notification: Notification) -> str:
    """Where a notification leads: the comment in context, or for a decision its page (the reason, the appeal)."""
    if notification.kind == Notification.Kind.DECISION:
        return reverse("comments:appeal", kwargs={"pk": notification.comment_id})
    return notification.comment.get_absolute_url()


def _who(notification: Notification) -> str:
    """Who did what the notification tells: the editors for a pick (the reader's own comment), else the commenter."""
    if notification.is_pick:
        return _("The editors")
    comment = notification.comment
    return f"{comment.shown_name} (@{comment.author.handle})" if comment.author_id else comment.shown_name


def _one_line(value: str) -> str:
    """A header value from readers' text (names, headlines) on one line: a line break would make the message
    unsendable (BadHeaderError), or in a careless mailer add headers."""
    return " ".join(value.split())


def send_surge_alert(article_pk: int) -> int:
    """Tell the Moderators group by e-mail that a story's comments are surging (surge mode switched on): one message,
    each moderator in Bcc, with the story and its discussion page in the admin. Nothing when surge mode is off
    again by the time the task runs. Returns how many addresses it went to; a relay failure raises, so the queue
    retries it."""
    from comments.models import Discussion

    discussion = Discussion.objects.select_related("article").filter(pk=article_pk, surge_mode=True).first()
    if discussion is None:
        return 0
    moderators = (
        get_user_model()
        .objects.filter(groups__name="Moderators", is_active=True)
        .exclude(email="")
        .values_list("email", "language")
        .distinct()
    )
    # One message per language the moderators read, each of them in its Bcc.
    by_language: dict[str, set[str]] = {}
    for email, language in moderators:
        by_language.setdefault(language or settings.LANGUAGE_CODE, set()).add(email)
    if not by_language:
        return 0
    base = settings.NEWSROOM_BASE_URL.rstrip("/")
    story = discussion.article
    admin = base + reverse("admin:comments_discussion_change", args=[story.pk])
    for language, addresses in sorted(by_language.items()):
        with translation.override(language):
            EmailMessage(
                subject=_one_line(_("Surge of comments on “%(headline)s”") % {"headline": story.headline}),
                body=_(
                    "Comments on “%(headline)s” passed %(per_minute)s a minute, so surge mode is on: new accounts' "
                    "comments are held for moderation and slow mode applies.\n\n"
                    "The story: %(story)s\nIts discussion in the admin: %(admin)s\n"
                )
                % {
                    "headline": story.headline,
                    "per_minute": settings.COMMENTS_SURGE_PER_MINUTE,
                    "story": base + story.get_absolute_url(),
                    "admin": admin,
                },
                bcc=sorted(addresses),
            ).send()
    return sum(len(addresses) for addresses in by_language.values())


def send_notice_email(notice_pk: int, what: str) -> bool:
    """Write to the notifier of an illegal-content notice: that it was received, with its reference (`what`
    "received"), or the decision and its reason ("decided"). Returns whether a message went; a relay failure
    raises, so the queue retries it."""
    from comments.models import IllegalContentNotice

    notice = IllegalContentNotice.objects.filter(pk=notice_pk).exclude(notifier_email="").first()
    if notice is None or (what == "decided" and notice.is_open):
        return False
    base = settings.NEWSROOM_BASE_URL.rstrip("/")
    context = {
        "notice": notice,
        "site_name": settings.SITE_NAME,
        "link": base + reverse("comments:notice_done", args=[notice.reference]),
    }
    language = (notice.notifier and notice.notifier.language) or notice.language or settings.LANGUAGE_CODE
    with translation.override(language):
        subject = {
            "received": _("Your notice %(reference)s was received"),
            "decided": _("Our decision on your notice %(reference)s"),
        }[what] % {"reference": notice.reference}
        message = EmailMessage(
            subject=_one_line(subject),
            body=render_to_string(f"comments/email/notice_{what}.txt", context),
            to=[notice.notifier_email],
        )
    message.send()
    return True
