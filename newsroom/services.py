"""Site-wide writes: the staff roles and what each may do in the admin."""

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import F

from articles.models import Article

__all__ = ["EDITOR_PERMISSIONS", "editors_group", "account_delete"]

# app label -> model -> actions. Editors run stories and the image library; sections and accounts stay with admins.
EDITOR_PERMISSIONS = {
    "articles": {
        "article": "add change delete view",
        "byline": "add change delete view",
        "leadimage": "add change delete view",
        "relatedlink": "add change delete view",
        "image": "add change view",
        "author": "add change view",
        "tag": "add change view",
        "section": "view",
    },
}


def editors_group() -> Group:
    """The "Editors" group with exactly the permissions above (created or brought up to date)."""
    group, _ = Group.objects.get_or_create(name="Editors")
    wanted = [
        permission
        for app_label, models in EDITOR_PERMISSIONS.items()
        for permission in Permission.objects.filter(
            content_type__app_label=app_label,
            codename__in=[f"{action}_{model}" for model, actions in models.items() for action in actions.split()],
        )
    ]
    group.permissions.set(wanted)
    return group


@transaction.atomic
def account_delete(*, user) -> None:
    """Delete a reader's account; saved stories and notifications go with it. Their comments stay, unsigned, so the
    stories they commented on get a new discussion version: no cached page keeps showing their name."""
    stories = list(Article.objects.filter(comment_set__author=user).values_list("pk", flat=True).distinct())
    user.delete()
    Article.objects.filter(pk__in=stories).update(comment_version=F("comment_version") + 1)
