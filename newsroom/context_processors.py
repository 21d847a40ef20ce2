"""Template context shared by every page."""

from django.conf import settings
from django.utils.functional import SimpleLazyObject

from articles.models import Section
from comments.models import Notification


def site(request):
    # Lazy: a page that never shows the section bar or the bell (the admin) never queries for them.
    user = getattr(request, "user", None)
    return {
        "SITE_NAME": settings.SITE_NAME,
        "nav_sections": SimpleLazyObject(lambda: list(Section.objects.all())),
        "unread_notifications": SimpleLazyObject(
            lambda: Notification.objects.for_reader(user).unread().count() if user and user.is_authenticated else 0
        ),
    }
