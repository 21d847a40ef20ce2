"""The story page's JSON-LD as a consumer reads it: extruct (the scrapers' extractor) finds one NewsArticle with
the fields search engines ask for. (The feeds' feedparser check, without bozo errors, is in test_feeds.py.)"""

import extruct
import pytest
from django.utils import timezone

from articles import seo
from tests.factories import ArticleFactory, AuthorFactory, LeadImageFactory, SectionFactory, story_with_every_block

pytestmark = pytest.mark.django_db

BASE = "http://testserver"
# Google's Article rich results list these as recommended; schema.org NewsArticle readers expect them all.
REQUIRED = ["@context", "@type", "headline", "datePublished", "dateModified", "author", "publisher", "image", "url"]


def news_articles(client, article) -> list[dict]:
    html = client.get(article.get_absolute_url()).content.decode()
    data = extruct.extract(html, base_url=BASE + article.get_absolute_url(), syntaxes=["json-ld"], uniform=True)
    return [item for item in data["json-ld"] if item.get("@type") == "NewsArticle"]


def test_story_json_ld_parses_into_a_news_article_with_the_required_fields(client):
    article = ArticleFactory(
        headline="Harbour reopens after the storm",
        deck="Boats return to the quay.",
        section=SectionFactory(name="World"),
        authors=[AuthorFactory(name="Ana Reyes"), AuthorFactory(name="Bo Li")],
        updated_at=timezone.now(),
    )
    LeadImageFactory(article=article)
    (data,) = news_articles(client, article)
    assert [field for field in REQUIRED if not data.get(field)] == []
    assert data["@context"] == "https://schema.org"
    assert data["headline"] == "Harbour reopens after the storm"
    assert data["description"] == "Boats return to the quay."
    assert data["url"] == data["mainEntityOfPage"]["@id"] == BASE + article.get_absolute_url()
    assert data["datePublished"] == seo.isoformat(article.publish_at)
    assert data["dateModified"] == seo.isoformat(article.updated_at)
    assert [(a["@type"], a["name"]) for a in data["author"]] == [("Person", "Ana Reyes"), ("Person", "Bo Li")]
    assert data["publisher"]["@type"] == "Organization" and data["publisher"]["name"] == "The Newsroom"
    assert len(data["image"]) == 3 and all(url.startswith(f"{BASE}/media/renditions/") for url in data["image"])
    assert data["articleSection"] == "World"


def test_hostile_headline_comes_back_from_extruct_as_the_same_text(client):
    hostile = '</script><script>alert(1)</script> "quoted" & <b>bold</b>'
    article = ArticleFactory(headline=hostile, deck=hostile)
    (data,) = news_articles(client, article)
    assert data["headline"] == data["description"] == hostile


def test_story_json_ld_carries_the_body_of_every_block_as_plain_text_with_its_word_count(client):
    article = story_with_every_block()
    (data,) = news_articles(client, article)
    body = data["articleBody"]
    assert body.startswith("The harbour reopened on Monday after repairs.")
    assert "What changes for fishermen" in body and "Pay the fee." in body and "Boats were back by evening." in body
    assert "<" not in body and "MORE" not in body
    assert data["wordCount"] == len(body.split())


def test_a_search_headline_comes_back_from_extruct_as_the_alternative_headline(client):
    article = ArticleFactory(
        headline="Harbour reopens", seo_title="Harbour reopens after storm: what changes", seo_description="Quay."
    )
    LeadImageFactory(article=article)
    (data,) = news_articles(client, article)
    assert data["headline"] == "Harbour reopens"
    assert data["alternativeHeadline"] == "Harbour reopens after storm: what changes"
    assert data["description"] == "Quay."
