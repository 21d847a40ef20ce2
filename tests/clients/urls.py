"""The site's URLs plus uploaded media, which the browser tests load as a reader's browser would (in production a
web server or object store serves them; the test settings leave Django's own media serving off)."""

from django.conf import settings
from django.urls import re_path
from django.views.static import serve

from newsroom.urls import urlpatterns as site_urlpatterns


def media(request, path):
    return serve(request, path, document_root=settings.MEDIA_ROOT)  # the test's temporary MEDIA_ROOT


urlpatterns = [re_path(r"^media/(?P<path>.*)$", media), *site_urlpatterns]
