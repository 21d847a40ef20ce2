"""Template context shared by every page."""

from django.conf import settings
from django.utils.functional import SimpleLazyObject

from articles.selectors import nav_sections
from comments.models import Notification


def site(request):
    # Lazy: a page that never shows the section bar or the bell (the admin) never queries for them.
    user = getattr(request, "user", None)
    return {
        "SITE_NAME": settings.SITE_NAME,
        "nav_sections": SimpleLazyObject(nav_sections),
        # Loaded with the reader by newsroom.backends (no query here); counted only for a reader loaded otherwise.
        "unread_notifications": SimpleLazyObject(lambda: _unread(user)),
    }


def _unread(user) -> int:
    if not (user and user.is_authenticated):
        return 0
    count = getattr(user, "unread_notifications", None)
    return count if count is not None else Notification.objects.for_reader(user).unread().count()
