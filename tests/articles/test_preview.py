"""The story admin's preview: the form as it stands, unsaved, as the story page shows it, at two widths; nothing
stored, never cached, never indexed; a form with mistakes says what to fix."""

import html
import re

import pytest
from django.urls import reverse

from articles.models import Article, TextBlock
from tests.articles.test_admin import admin_post_data
from tests.factories import ArticleFactory, MoreBlockFactory, SectionFactory, UserFactory

pytestmark = pytest.mark.django_db


def preview_of(client, article, **changes):
    form = client.get(reverse("admin:articles_article_change", args=[article.pk]))
    return client.post(reverse("admin:articles_article_preview", args=[article.pk]), admin_post_data(form, **changes))


def framed(response) -> str:
    """The story page inside the preview's frame."""
    return html.unescape(re.search(r'srcdoc="([^"]*)"', response.content.decode()).group(1))


def test_the_preview_shows_the_unsaved_form_as_the_story_page_and_saves_nothing(editor_client):
    article = ArticleFactory(headline="The saved headline", body="The saved paragraph.")
    MoreBlockFactory(parent=article, target__headline="A linked story")
    blocks = TextBlock.objects.filter(parent=article).count()
    response = preview_of(
        editor_client,
        article,
        headline="An unsaved headline",
        **{"articles_textblock_set-0-text": "<p>An unsaved <em>paragraph</em>.</p>"},
    )
    assert response.status_code == 200
    page = framed(response)
    assert '<h1 class="story__headline">An unsaved headline</h1>' in page
    assert "An unsaved <em>paragraph</em>." in page and "MORE: A linked story" in page
    assert "your unsaved changes" in page and "The saved headline" not in page
    # Nothing stored: the story, its blocks and its words are as they were.
    article.refresh_from_db()
    assert article.headline == "The saved headline" and article.body == "The saved paragraph."
    assert TextBlock.objects.filter(parent=article).count() == blocks
    assert TextBlock.objects.get(parent=article).text == "<p>The saved paragraph.</p>"


def test_the_preview_is_private_uncached_unindexed_and_offers_two_widths(editor_client):
    response = preview_of(editor_client, ArticleFactory())
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    content = response.content.decode()
    assert '<meta name="robots" content="noindex, nofollow">' in content
    assert "Desktop (1280 px)" in content and "Mobile (375 px)" in content
    assert "<iframe" in content and ' sandbox="allow-scripts" ' in content
    assert "not saved" in content


def test_a_preview_of_a_form_with_mistakes_says_what_to_fix(editor_client):
    article = ArticleFactory()
    response = preview_of(
        editor_client,
        article,
        headline="",
        **{
            "articles_embedblock_set-TOTAL_FORMS": "1",
            "articles_embedblock_set-0-url": "https://example.org/clip",
            "articles_embedblock_set-0-title": "A clip",
            "articles_embedblock_set-0-region": "body",
            "articles_embedblock_set-0-ordering": "99",
        },
    )
    assert response.status_code == 400
    content = html.unescape(response.content.decode())
    assert "The preview needs these fixed first" in content
    assert "Headline: This field is required." in content
    assert "This address cannot be embedded" in content and "YouTube videos" in content
    assert "srcdoc" not in content


def test_a_new_story_can_be_previewed_before_its_first_save(editor_client):
    section = SectionFactory()
    form = editor_client.get(reverse("admin:articles_article_add"))
    data = admin_post_data(
        form, section=section.pk, headline="A story not yet saved", deck="Its deck.", slug="not-yet-saved"
    )
    data.update({"bylines-TOTAL_FORMS": "0", "status": "draft"})
    response = editor_client.post(reverse("admin:articles_article_preview_new"), data)
    assert response.status_code == 200, response.content.decode()[:2000]
    assert "A story not yet saved" in framed(response)
    assert not Article.objects.filter(slug="not-yet-saved").exists()


def test_readers_and_a_get_cannot_preview(client, editor_client):
    article = ArticleFactory()
    assert editor_client.get(reverse("admin:articles_article_preview", args=[article.pk])).status_code == 405
    client.force_login(UserFactory())
    assert client.post(reverse("admin:articles_article_preview", args=[article.pk]), {}).status_code == 302
