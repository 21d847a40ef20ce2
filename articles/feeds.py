"""RSS 2.0 and Atom feeds of the latest stories, site-wide and per section, with full text and the lead image."""

import copy
from urllib.parse import urljoin

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.core.files.storage import default_storage
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import feedgenerator
from django.utils.html import escape
from django.utils.translation import gettext

from articles import body, selectors
from articles.models import Article, LiveEntry, Section

__all__ = ["StoryRssFeed", "StoryAtomFeed", "LiveBlogFeed"]

FEED_SIZE = 30
MEDIA_NS = "http://search.yahoo.com/mrss/"
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"


def _lead_image(article: Article, base_url: str) -> dict | None:
    lead = getattr(article, "lead", None)
    if lead is None:
        return None
    image = lead.image
    candidates = [r for r in image.renditions_of("full", "JPEG") if r["width"] <= 1200] or image.renditions_of(
        "full", "JPEG"
    )[:1]
    if candidates:
        chosen = candidates[-1]
        name, width, height = chosen["name"], chosen["width"], chosen["height"]
    else:
        name, width, height = image.file.name, image.width, image.height
    try:
        length = default_storage.size(name)
    except OSError:
        length = 0
    return {
        "url": urljoin(base_url, default_storage.url(name)),
        "length": str(length),
        "type": "image/jpeg" if candidates else "image/*",
        "width": str(width),
        "height": str(height),
        "caption": lead.caption,
        "credit": lead.effective_credit,
    }


class _MediaElements:
    """Writes media:content (the lead image, with its caption and credit) and the full text for an item."""

    def _add_media(self, handler, item):
        image = item.get("image")
        if image:
            handler.startElement(
                "media:content",
                {
                    "url": image["url"],
                    "medium": "image",
                    "type": image["type"],
                    "width": image["width"],
                    "height": image["height"],
                },
            )
            handler.addQuickElement("media:description", image["caption"])
            if image["credit"]:
                handler.addQuickElement("media:credit", image["credit"])
            handler.endElement("media:content")


class RssWithContent(_MediaElements, feedgenerator.Rss201rev2Feed):
    def rss_attributes(self):
        return {**super().rss_attributes(), "xmlns:content": CONTENT_NS, "xmlns:media": MEDIA_NS}

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        if item.get("content"):
            handler.addQuickElement("content:encoded", item["content"])
        self._add_media(handler, item)


class AtomWithContent(_MediaElements, feedgenerator.Atom1Feed):
    def root_attributes(self):
        return {**super().root_attributes(), "xmlns:media": MEDIA_NS}

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        if item.get("content"):
            handler.addQuickElement("content", item["content"], {"type": "html"})
        self._add_media(handler, item)


class StoryRssFeed(Feed):
    """The latest live stories; with a `section` slug in the URL, that section's."""

    feed_type = RssWithContent

    def __call__(self, request: HttpRequest, *args, **kwargs):
        # One instance serves every request (it lives in the URLconf): per-request state goes on a copy.
        feed = copy.copy(self)
        feed.base_url = request.build_absolute_uri("/")
        feed.images = {}
        return Feed.__call__(feed, request, *args, **kwargs)

    def get_object(self, request: HttpRequest, section: str | None = None) -> Section | None:
        return get_object_or_404(Section, slug=section) if section else None

    def title(self, obj):
        return f"{obj.name} · {settings.SITE_NAME}" if obj else settings.SITE_NAME

    def description(self, obj):
        if obj:
            return obj.description or gettext("The latest %(section)s stories from %(site)s.") % {
                "section": obj.name,
                "site": settings.SITE_NAME,
            }
        return gettext("The latest stories from %(site)s.") % {"site": settings.SITE_NAME}

    def link(self, obj):
        return obj.get_absolute_url() if obj else reverse("articles:home")

    def feed_url(self, obj):
        name = "section_feed_" if obj else "feed_"
        name += "atom" if issubclass(self.feed_type, feedgenerator.Atom1Feed) else "rss"
        return reverse(f"articles:{name}", kwargs={"section": obj.slug} if obj else {})

    def items(self, obj):
        stories = Article.objects.published()
        if obj is not None:
            stories = stories.filter(section=obj)
        items = list(selectors.story_for_page(stories)[:FEED_SIZE])
        self.blocks = body.blocks_of_stories(items)
        return items

    def item_title(self, item):
        return item.headline

    def item_description(self, item):
        # Feed readers take descriptions as HTML; the deck is plain text.
        return escape(item.deck)

    def item_pubdate(self, item):
        return item.publish_at

    def item_updateddate(self, item):
        return item.updated_at or item.publish_at

    def item_author_name(self, item):
        names = [author.name for author in item.byline_authors]
        return ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else "".join(names)

    def item_categories(self, item):
        return [item.section.name, *(tag.name for tag in item.tags.all())]

    def lead_image(self, item):
        if item.pk not in self.images:
            self.images[item.pk] = _lead_image(item, self.base_url)
        return self.images[item.pk]

    def item_enclosures(self, item):
        image = self.lead_image(item)
        return [feedgenerator.Enclosure(image["url"], image["length"], image["type"])] if image else []

    def item_extra_kwargs(self, item):
        # The full text as the page lays it out (MORE links in place), every link and picture absolute.
        content = body.render(body.reader_blocks(self.blocks[item.pk]), base_url=self.base_url, feed=True)
        return {"content": content, "image": self.lead_image(item)}


class StoryAtomFeed(StoryRssFeed):
    feed_type = AtomWithContent
    subtitle = StoryRssFeed.description


class LiveBlogFeed(Feed):
    """RSS of a live blog's latest published entries, each linking to its anchor on the story page."""

    feed_type = RssWithContent

    def __call__(self, request: HttpRequest, *args, **kwargs):
        # Per-request state on a copy, as StoryRssFeed's.
        feed = copy.copy(self)
        feed.base_url = request.build_absolute_uri("/")
        return Feed.__call__(feed, request, *args, **kwargs)

    def get_object(self, request: HttpRequest, pk: int) -> Article:
        return get_object_or_404(Article.objects.published().select_related("section"), pk=pk, is_live_blog=True)

    def title(self, obj):
        return f"{obj.headline} (live) · {settings.SITE_NAME}"

    def description(self, obj):
        return obj.deck

    def link(self, obj):
        return obj.get_absolute_url()

    def feed_url(self, obj):
        return reverse("articles:live_feed", kwargs={"pk": obj.pk})

    def items(self, obj):
        entries = list(selectors.live_entries(obj)[:FEED_SIZE])
        for entry in entries:
            entry.article = obj  # for get_absolute_url, without a query each
        body.load_entry_blocks(entries)
        return entries

    def item_title(self, item: LiveEntry):
        return str(item)

    def item_description(self, item: LiveEntry):
        # Its blocks as a story's feed item renders them (every link and picture absolute), then its correction.
        correction = f"<p><strong>Correction:</strong> {escape(item.correction)}</p>" if item.correction else ""
        blocks = body.render(item.blocks, base_url=self.base_url, feed=True, heading_shift=body.ENTRY_HEADING_SHIFT)
        return blocks + correction

    def item_link(self, item: LiveEntry):
        return item.get_absolute_url()

    def item_guid(self, item: LiveEntry):
        return f"live-entry-{item.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, item: LiveEntry):
        return item.published_at

    def item_updateddate(self, item: LiveEntry):
        return item.updated_at

    def item_author_name(self, item: LiveEntry):
        return ", ".join(author.name for author in item.authors.all())
