"""Security headers on reader pages and in the admin."""

import re

import pytest
from django.urls import reverse

from tests.factories import ArticleFactory, LeadImageFactory

pytestmark = pytest.mark.django_db


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def test_reader_pages_enforce_a_strict_policy(client):
    article = ArticleFactory()
    LeadImageFactory(article=article)
    for url in ["/", article.get_absolute_url(), reverse("login"), reverse("signup")]:
        response = client.get(url)
        directives = policy(response)
        assert directives["script-src"] == ["'self'"], url
        assert directives["style-src"] == ["'self'"], url
        assert directives["frame-ancestors"] == ["'none'"]
        assert directives["object-src"] == ["'none'"]
        assert "Content-Security-Policy-Report-Only" not in response


def test_reader_pages_have_no_inline_script_or_style(client):
    """With the policy above, an inline script or style would silently not run; keep them out of the templates."""
    article = ArticleFactory()
    LeadImageFactory(article=article)
    for url in [
        "/",
        article.get_absolute_url(),
        reverse("login"),
        reverse("signup"),
        article.section.get_absolute_url(),
    ]:
        html = client.get(url).content.decode()
        scripts = re.findall(r"<script\b([^>]*)>", html)
        for attributes in scripts:
            assert "src=" in attributes or 'type="application/ld+json"' in attributes, (url, attributes)
        assert not re.search(r"<style\b", html), url
        assert not re.search(r"\sstyle=", html), url
        assert not re.search(r"\son[a-z]+=", html), url


def test_admin_allows_inline_styles_but_not_inline_scripts(admin_client):
    directives = policy(admin_client.get(reverse("admin:articles_article_changelist")))
    assert directives["style-src"] == ["'self'", "'unsafe-inline'"]
    assert directives["script-src"] == ["'self'"]


def test_clickjacking_and_sniffing_protection(client):
    response = client.get("/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
