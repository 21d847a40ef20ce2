"""The site's URLs plus pages that fail on purpose, to see the error pages a reader gets."""

from django.core.exceptions import PermissionDenied
from django.urls import path

from newsroom.urls import handler400, handler500
from newsroom.urls import urlpatterns as site_urlpatterns

__all__ = ["handler400", "handler500", "urlpatterns"]


def fails(request):
    raise RuntimeError("a bug")


def refuses(request):
    raise PermissionDenied


urlpatterns = [path("fails/", fails), path("refuses/", refuses), *site_urlpatterns]
