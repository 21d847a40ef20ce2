"""The site's URLs plus a page that says it may be shared and sets a cookie all the same: what the edge must never
keep, whatever Django's own guard (newsroom.middleware.private_when_setting_cookies) does."""

from django.http import HttpResponse
from django.urls import path

from newsroom.http import shared_by_signed_out_readers
from newsroom.urls import urlpatterns as site_urlpatterns

__all__ = ["urlpatterns"]


def public_with_cookie(request):
    response = shared_by_signed_out_readers(request, HttpResponse("one reader's page"), "home")
    response.set_cookie("reader", "one")
    return response


urlpatterns = [path("public-with-cookie/", public_with_cookie), *site_urlpatterns]
