"""Site-wide writes: the staff roles and what each may do in the admin; closing, erasing and claiming accounts; API
tokens."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from comments import services as comment_services
from comments.tasks import send_notification_emails
from newsroom import tokens
from newsroom.confirmation import confirmation_read, confirmation_target
from newsroom.models import ApiToken, ImportedAccount, User
from newsroom.tasks import enqueue_on_commit, erase_closed_accounts, send_confirmation_email, send_email_change_notice

__all__ = [
    "BODY_PARTS",
    "EDITOR_PERMISSIONS",
    "REPORTER_PERMISSIONS",
    "MODERATOR_PERMISSIONS",
    "editors_group",
    "reporters_group",
    "moderators_group",
    "account_delete",
    "account_erase",
    "closed_accounts_erase",
    "imported_account_claim",
    "email_confirmation_send",
    "email_change_request",
    "email_confirm",
    "TOKEN_LIMIT",
    "token_create",
    "token_revoke",
]

# The body's blocks (articles.models.BODY_BLOCKS) and the galleries they place: written by reporters and editors.
BODY_PARTS = [
    *("textblock", "headingblock", "quoteblock", "listblock", "imageblock", "galleryblock", "moreblock"),
    *("embedblock", "gallery", "galleryimage"),
]
# A live entry's blocks (articles.models.LIVE_BLOCKS, the same kinds): written by editors, with the entries.
LIVE_ENTRY_PARTS = [f"live{part}" for part in BODY_PARTS if part.endswith("block")]
# app label -> model -> actions. Editors run stories and the image library, and alone publish, schedule and unpublish
# (articles.publish_article); sections and accounts stay with admins.
EDITOR_PERMISSIONS = {
    "articles": {
        "article": "add change delete view publish",
        "byline": "add change delete view",
        "leadimage": "add change delete view",
        **dict.fromkeys(BODY_PARTS, "add change delete view"),
        "image": "add change view",
        "author": "add change view",
        "tag": "add change view",
        "section": "view",
        # Live blogs' entries go out as soon as they are saved as published: editors write them.
        "liveentry": "add change delete view",
        **dict.fromkeys(LIVE_ENTRY_PARTS, "add change delete view"),
    },
    # Opening and closing a story's comments, on the story's page.
    "comments": {"discussion": "add change view", "surgeswitch": "view"},
}
# Reporters write stories and submit them for review: they add and change stories that are not live (articles.admin
# keeps live ones to editors), upload pictures, and cannot publish, schedule, unpublish or delete.
REPORTER_PERMISSIONS = {
    "articles": {
        "article": "add change view",
        "byline": "add change delete view",
        "leadimage": "add change delete view",
        **dict.fromkeys(BODY_PARTS, "add change delete view"),
        "image": "add change view",
        "author": "view",
        "tag": "view",
        "section": "view",
    },
}
# Moderators work the queue and the comment list (the moderation actions need "change"; suspend and ban need
# "add restriction"), read the reports, lift or shorten restrictions, keep the moderation rules and decide
# illegal-content notices. Purging a comment (delete) stays with admins: moderators remove with a reason, which keeps
# the thread and the record.
MODERATOR_PERMISSIONS = {
    "comments": {
        "comment": "change view",
        "moderationitem": "change view",
        "commentreport": "view",
        "restriction": "add change delete view",
        "moderationrule": "add change delete view",
        # Illegal-content notices: read and decided, never added or deleted in the admin (a legal record).
        "illegalcontentnotice": "change view",
        # Surge controls: slow mode, closing and surge mode, in the admin and from the story page.
        "discussion": "change view",
        "surgeswitch": "view",
        # Appeals: their own queue, decided once; the audit log, read and exported.
        "appeal": "change view",
        "moderationaction": "view",
    },
}


def _group(name: str, permissions: dict[str, dict[str, str]]) -> Group:
    """The group `name` with exactly `permissions` (created or brought up to date)."""
    group, _ = Group.objects.get_or_create(name=name)
    wanted = [
        permission
        for app_label, models in permissions.items()
        for permission in Permission.objects.filter(
            content_type__app_label=app_label,
            codename__in=[f"{action}_{model}" for model, actions in models.items() for action in actions.split()],
        )
    ]
    group.permissions.set(wanted)
    return group


def editors_group() -> Group:
    """The "Editors" group with exactly EDITOR_PERMISSIONS (created or brought up to date)."""
    return _group("Editors", EDITOR_PERMISSIONS)


def reporters_group() -> Group:
    """The "Reporters" group with exactly REPORTER_PERMISSIONS (created or brought up to date)."""
    return _group("Reporters", REPORTER_PERMISSIONS)


def moderators_group() -> Group:
    """The "Moderators" group with exactly MODERATOR_PERMISSIONS (created or brought up to date)."""
    return _group("Moderators", MODERATOR_PERMISSIONS)


def account_delete(*, user) -> None:
    """The reader deletes their account. Closed at once, in one short transaction whatever its history: it can no
    longer sign in (inactive, no password, no claim of an imported account), every session of it is signed out
    (the password's hash is in each session), its profile is gone. The rest is erased by a task
    (closed_accounts_erase), since it grows with the reader's comments."""
    with transaction.atomic():
        user.closed_at = timezone.now()
        user.is_active = False
        user.set_unusable_password()
        user.save(update_fields=["closed_at", "is_active", "password"])
        ImportedAccount.objects.filter(user=user).delete()
        enqueue_on_commit(erase_closed_accounts)


def account_erase(*, user) -> None:
    """Erase an account: comments with replies stay as "deleted account" tombstones so threads stay intact, the
    rest go; saved stories, likes, reports and notifications go with the account."""
    comment_services.comments_of_leaving_reader(user=user)
    with transaction.atomic():
        user.delete()


def closed_accounts_erase() -> int:
    """account_erase for every closed account (the task erase_closed_accounts); returns how many."""
    closed = list(get_user_model().objects.filter(closed_at__isnull=False).order_by("pk"))
    for user in closed:
        account_erase(user=user)
    return len(closed)


def imported_account_claim(*, user) -> bool:
    """The owner of an imported account proved its e-mail address (a password reset link): it becomes theirs, and
    the address is confirmed by the same proof."""
    claimed = ImportedAccount.objects.filter(user=user, claimed_at__isnull=True).update(claimed_at=timezone.now())
    if claimed and not user.is_active:
        user.is_active = True
        user.email_confirmed_at = user.email_confirmed_at or timezone.now()
        user.save(update_fields=["is_active", "email_confirmed_at"])
    return bool(claimed)


def email_confirmation_send(*, user) -> str | None:
    """Send (again) the link for the address the account waits to confirm: its new one, else its own while
    unconfirmed. Returns that address, or None when nothing waits. The mail goes from the queue after commit, so
    a relay that is down delays it and never fails the page."""
    email = user.pending_email or ("" if user.email_confirmed else user.email)
    if not email:
        return None
    enqueue_on_commit(send_confirmation_email, user.pk, email)
    return email


def email_change_request(*, user, email: str) -> None:
    """The reader asked for a new address. A confirmed one stays until the new one is confirmed (the link goes to
    the new address, a notice to the old, so a hijacked session cannot quietly take the account's mail); an
    unconfirmed one is replaced at once, as nothing was proved about it, and the link goes to the new one."""
    if user.pending_email and user.pending_email.lower() == email.lower():
        return  # the settings saved again while the new address waits: its link is already out
    if user.email and user.email.lower() == email.lower():
        if user.pending_email:  # the reader typed the address they have back: the change asked for is dropped
            user.pending_email = ""
            user.save(update_fields=["pending_email"])
        return
    if user.email_confirmed:
        user.pending_email = email
        user.save(update_fields=["pending_email"])
        enqueue_on_commit(send_email_change_notice, user.pk, email)
    else:
        user.email, user.pending_email = email, ""
        user.save(update_fields=["email", "pending_email"])
    enqueue_on_commit(send_confirmation_email, user.pk, email)


def email_confirm(*, token: str) -> User:
    """Follow a confirmation link: the address it carries becomes the account's confirmed one (a new address
    replaces the old). Raises LinkRefused, saying why, for a link that is expired, not ours, spent, or for an
    address the account no longer has or another account took meanwhile."""
    user_pk, email = confirmation_read(token)
    with transaction.atomic():
        user = confirmation_target(user_pk, email, for_update=True)
        if user.pending_email.lower() == email:
            user.email, user.pending_email = user.pending_email, ""
        user.email_confirmed_at = timezone.now()
        user.save(update_fields=["email", "pending_email", "email_confirmed_at"])
        # The reply and mention e-mail that waited for a confirmed address goes now.
        enqueue_on_commit(send_notification_emails)
    return user


# The most working API tokens one reader may hold: one per app or device is a handful, not hundreds.
TOKEN_LIMIT = 10


def token_create(*, user, name: str, scopes: list[str]) -> tuple[ApiToken, str]:
    """Make an API token for the reader with these scopes; returns it and its secret, which is shown to them once
    and never stored (only its SHA-256). Refused past TOKEN_LIMIT working tokens, under the reader's row lock, so
    two made at once cannot both pass the cap."""
    scopes = sorted(set(scopes))
    if not scopes or not set(scopes) <= set(ApiToken.Scope.values):
        raise ValidationError({"scopes": gettext("Choose what the token may do.")}, code="scopes")
    secret = tokens.new_secret()
    token = ApiToken(
        user=user,
        name=name.strip(),
        scopes=scopes,
        prefix=secret[: tokens.SHOWN_LENGTH],
        key_hash=tokens.key_hash(secret),
    )
    token.full_clean(exclude=["user"])
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True).first()
        if ApiToken.objects.filter(user=user, revoked_at=None)[TOKEN_LIMIT - 1 :].exists():
            message = ngettext(
                "You have %(limit)d working token, the most a reader may hold. Revoke one you no longer use first.",
                "You have %(limit)d working tokens, the most a reader may hold. Revoke one you no longer use first.",
                TOKEN_LIMIT,
            ) % {"limit": TOKEN_LIMIT}
            raise ValidationError(message, code="full")
        token.save()
    return token, secret


def token_revoke(*, token: ApiToken) -> bool:
    """Revoke a token: from now on it is refused (401). Returns whether this revoked it (False: it already was)."""
    return bool(ApiToken.objects.filter(pk=token.pk, revoked_at=None).update(revoked_at=timezone.now()))
