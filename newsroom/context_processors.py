"""Template context shared by every page."""

from django.conf import settings
from django.utils.functional import SimpleLazyObject

from articles.models import Section


def site(request):
    # Lazy: a page that never shows the section bar (the admin) never queries for it.
    return {
        "SITE_NAME": settings.SITE_NAME,
        "nav_sections": SimpleLazyObject(lambda: list(Section.objects.all())),
    }
