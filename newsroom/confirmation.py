"""Confirmed addresses: the signed link that proves a reader reads a mailbox, and the messages that carry it.

A link holds the account and the address it confirms, signed with its own salt and good for ACCOUNT_CONFIRM_DAYS,
so nothing is stored per link: a link for an address the account no longer has (replaced, or asked for and then
changed again) confirms nothing, and one for an address already confirmed is spent.
"""

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from newsroom.models import User

__all__ = [
    "LinkRefused",
    "confirmation_token",
    "confirmation_read",
    "awaiting_confirmation",
    "email_taken",
    "confirmation_target",
    "confirmation_message",
    "change_notice_message",
]

SALT = "newsroom.confirm-email"
NOT_OURS = gettext_lazy("This confirmation link is not one of ours: it may have been cut short or changed on the way.")


class LinkRefused(Exception):
    """A confirmation link that does nothing; the message says why, for the reader."""


def confirmation_token(user, email: str) -> str:
    return signing.dumps({"u": user.pk, "e": email.lower()}, salt=SALT, compress=True)


def confirmation_read(token: str) -> tuple[int, str]:
    """The (account id, lower-cased address) a link stands for; LinkRefused when it is expired or not ours."""
    try:
        data = signing.loads(token, salt=SALT, max_age=settings.ACCOUNT_CONFIRM_DAYS * 24 * 3600)
    except signing.SignatureExpired as error:
        days = settings.ACCOUNT_CONFIRM_DAYS
        raise LinkRefused(
            ngettext(
                "This confirmation link has expired: links work for %(days)d day.",
                "This confirmation link has expired: links work for %(days)d days.",
                days,
            )
            % {"days": days}
        ) from error
    except signing.BadSignature as error:
        raise LinkRefused(NOT_OURS) from error
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("e"), str):
        raise LinkRefused(NOT_OURS)
    return data["u"], data["e"]


def awaiting_confirmation(user_pk: int, email: str) -> User | None:
    """The open account that waits for `email` to be confirmed: its new address, or its own while unconfirmed."""
    user = User.objects.filter(pk=user_pk, is_active=True).first()
    if user is None:
        return None
    if user.pending_email and user.pending_email.lower() == email.lower():
        return user
    if not user.email_confirmed and user.email and user.email.lower() == email.lower():
        return user
    return None


def email_taken(email: str, *, instance=None) -> bool:
    """Whether another account has `email` (an imported one too: its owner claims it rather than signs up again)."""
    return User.objects.filter(email__iexact=email).exclude(pk=getattr(instance, "pk", None)).exists()


def confirmation_target(user_pk: int, email: str, *, for_update: bool = False) -> User:
    """The account a link confirms `email` for, if following it would: LinkRefused, saying why, for a closed
    account, an address it no longer has nor asked for, one already confirmed, or one another account took since.
    `for_update` locks the account's row (inside the transaction that confirms)."""
    accounts = User.objects.select_for_update() if for_update else User.objects
    user = accounts.filter(pk=user_pk, is_active=True).first()
    if user is None:
        raise LinkRefused(_("This confirmation link is for an account that is closed or no longer exists."))
    if user.pending_email and user.pending_email.lower() == email:
        if email_taken(email, instance=user):
            raise LinkRefused(
                _(
                    "The address %(email)s is now on another account, so it cannot replace yours; your address stays "
                    "%(current)s."
                )
                % {"email": email, "current": user.email}
            )
    elif user.email.lower() != email:
        raise LinkRefused(
            _(
                "This link is for %(email)s, which is no longer the address on the account @%(handle)s nor the one "
                "it asked for: only the link for the newest address works."
            )
            % {"email": email, "handle": user.handle}
        )
    elif user.email_confirmed:
        raise LinkRefused(_("This link was already used: %(email)s is confirmed.") % {"email": user.email})
    return user


def _one_line(value: str) -> str:
    return " ".join(value.split())


def confirmation_message(user, email: str) -> EmailMessage:
    """The message with the link that confirms `email` for `user` (their new address, or the one they signed up
    with)."""
    base = settings.NEWSROOM_BASE_URL.rstrip("/")
    context = {
        "user": user,
        "email": email,
        "change": email.lower() != user.email.lower(),
        "link": base + reverse("confirm_email", kwargs={"token": confirmation_token(user, email)}),
        "days": settings.ACCOUNT_CONFIRM_DAYS,
        "site_name": settings.SITE_NAME,
    }
    with translation.override(user.email_language):
        return EmailMessage(
            subject=_one_line(render_to_string("registration/confirm_email_subject.txt", context)),
            body=render_to_string("registration/confirm_email.txt", context),
            to=[email],
        )


def change_notice_message(user, new_email: str) -> EmailMessage:
    """Tells the current address that the account asked to move to another, so a hijacker's change is seen."""
    base = settings.NEWSROOM_BASE_URL.rstrip("/")
    context = {
        "user": user,
        "new_email": new_email,
        "reset": base + reverse("password_reset"),
        "site_name": settings.SITE_NAME,
    }
    with translation.override(user.email_language):
        return EmailMessage(
            subject=_one_line(_("A new e-mail address was asked for on %(site)s") % {"site": settings.SITE_NAME}),
            body=render_to_string("registration/email_change_notice.txt", context),
            to=[user.email],
        )
