"""Site-wide writes: the staff roles and what each may do in the admin; closing, erasing and claiming accounts."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils import timezone

from comments import services as comment_services
from newsroom.models import ImportedAccount
from newsroom.tasks import enqueue_on_commit, erase_closed_accounts

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
]

# The body's blocks (articles.models.BODY_BLOCKS) and the galleries they place: written by reporters and editors.
BODY_PARTS = [
    *("textblock", "headingblock", "quoteblock", "listblock", "imageblock", "galleryblock", "moreblock"),
    *("embedblock", "gallery", "galleryimage"),
]
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
    """The owner of an imported account proved its e-mail address (a password reset link): it becomes theirs."""
    claimed = ImportedAccount.objects.filter(user=user, claimed_at__isnull=True).update(claimed_at=timezone.now())
    if claimed and not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])
    return bool(claimed)
