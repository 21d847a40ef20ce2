"""What search engines and social networks read in a page's head: card images and schema.org NewsArticle data."""

import json
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone, translation

from articles.models import Article, Image, LiveEntry

__all__ = ["card_image", "lead_image_of", "news_article", "live_blog_posting", "json_for_script", "isoformat"]

# The same characters Django's json_script escapes: nothing in the data can close the <script> element.
_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


def json_for_script(value: Any) -> str:
    """JSON safe to place inside a <script> element (the caller marks it safe)."""
    return json.dumps(value, cls=DjangoJSONEncoder).translate(_SCRIPT_ESCAPES)


def isoformat(moment) -> str:
    return timezone.localtime(moment).isoformat(timespec="seconds")


def card_image(image: Image | None, request: HttpRequest, crop: str = "16x9", width: int = 1200) -> dict | None:
    """{url, width, height, alt} of the `crop` JPEG closest to `width`, or the file."""
    if image is None:
        return None
    rendition = image.rendition(crop, "JPEG", width)
    return {**rendition, "url": request.build_absolute_uri(rendition["url"]), "alt": image.alt_text}


def lead_image_of(article: Article) -> Image | None:
    lead = getattr(article, "lead", None)  # a story without a lead image raises (an AttributeError) here
    return lead.image if lead is not None else None


def news_article(article: Article, request: HttpRequest) -> dict[str, Any]:
    """schema.org NewsArticle for a story page; uses only what selectors.story_for_page already fetched."""
    url = request.build_absolute_uri(article.get_absolute_url())
    published = article.publish_at or article.created_at
    image = lead_image_of(article)
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "url": url,
        # The real headline; a search or social headline the editor wrote is an alternative one.
        "headline": article.headline,
        "description": article.search_description,
        "datePublished": isoformat(published),
        "dateModified": isoformat(article.updated_at or published),
        "author": [
            {"@type": "Person", "name": author.name, "url": request.build_absolute_uri(author.get_absolute_url())}
            for author in article.byline_authors
        ],
        "publisher": {
            "@type": "Organization",
            "name": settings.SITE_NAME,
            "url": request.build_absolute_uri(reverse("articles:home")),
        },
        # The page's language (the reader's, LocaleMiddleware's): its words are in it.
        "inLanguage": translation.get_language() or settings.LANGUAGE_CODE,
        "articleSection": article.section.name,
        "articleBody": article.body,
        "wordCount": len(article.body.split()),
    }
    titles = (article.seo_title, article.social_headline)
    if alternative := next((title for title in titles if title and title != article.headline), None):
        data["alternativeHeadline"] = alternative
    if image is not None:
        data["image"] = [card_image(image, request, crop)["url"] for crop in ("16x9", "4x3", "1x1")]
    return data


def live_blog_posting(article: Article, entries: list[LiveEntry], request: HttpRequest) -> dict[str, Any]:
    """schema.org LiveBlogPosting for a live blog's page: the story's NewsArticle data with the coverage's times
    and the entries the page shows as liveBlogUpdate (Google reads both)."""
    data = news_article(article, request)
    url = data["url"]
    data["@type"] = "LiveBlogPosting"
    data["coverageStartTime"] = isoformat(article.publish_at or article.created_at)
    if article.live_ended_at:
        data["coverageEndTime"] = isoformat(article.live_ended_at)
    if entries:
        data["dateModified"] = isoformat(max(entry.updated_at for entry in entries))
    data["liveBlogUpdate"] = [
        {
            "@type": "BlogPosting",
            "@id": f"{url}#entry-{entry.pk}",
            "url": f"{url}#entry-{entry.pk}",
            "headline": str(entry)[:110],
            "datePublished": isoformat(entry.published_at),
            "dateModified": isoformat(entry.updated_at),
            "articleBody": entry.body_text,
            **(
                {"author": [{"@type": "Person", "name": author.name} for author in entry.authors.all()]}
                if entry.authors.all()
                else {}
            ),
        }
        for entry in entries
    ]
    return data
