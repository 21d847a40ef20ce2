"""Template context shared by every page."""

import functools

from django.conf import settings
from django.utils.functional import SimpleLazyObject

from articles.selectors import nav_sections
from comments.models import Notification
from newsroom import backends
from newsroom.http import capped_count


def site(request):
    # Lazy: a page that never shows the section bar or the bell (the admin) never queries for them.
    user = getattr(request, "user", None)
    unread = functools.cache(lambda: _unread(user))
    return {
        "SITE_NAME": settings.SITE_NAME,
        "nav_sections": SimpleLazyObject(nav_sections),
        # Loaded with the reader by newsroom.backends (no query here); counted only for a reader loaded otherwise.
        "unread_notifications": SimpleLazyObject(unread),
        # What the bell shows: the number, or "99+" past what it counts.
        "bell_count": SimpleLazyObject(lambda: _bell(unread())),
    }


def _unread(user) -> int:
    """Unread notifications, counted no further than backends.BELL_CAP (the bell then shows "99+")."""
    if not (user and user.is_authenticated):
        return 0
    count = getattr(user, "unread_notifications", None)
    if count is None:
        count = capped_count(Notification.objects.for_reader(user).unread(), backends.BELL_CAP)
    return count


def _bell(count: int) -> str:
    return f"{backends.BELL_CAP - 1}+" if count >= backends.BELL_CAP else str(count)
