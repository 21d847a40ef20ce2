"""The site's URLs plus the floor as a page, so the floor goes through the same request cycle as ours."""

from django.http import HttpResponse
from django.urls import path

from bench.floor import floor_html
from newsroom.urls import urlpatterns as site


def floor(request, article_pk):
    return HttpResponse(f"<!DOCTYPE html><html><body>{floor_html(article_pk)}</body></html>")


urlpatterns = [path("bench/floor/<int:article_pk>/", floor, name="bench_floor"), *site]
