"""Sitemaps for crawlers: every live story and section, and a Google News sitemap of the last two days."""

from django.contrib.sitemaps import Sitemap
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, Section

__all__ = ["StorySitemap", "SectionSitemap", "HomeSitemap", "NewsSitemap", "SITEMAPS"]

NEWS_WINDOW = timezone.timedelta(hours=48)
NEWS_MAX_URLS = 1000  # Google News reads at most this many per sitemap


class HomeSitemap(Sitemap):
    changefreq = "hourly"
    priority = 1.0

    def items(self):
        return ["articles:home"]

    def location(self, item):
        return reverse(item)


class StorySitemap(Sitemap):
    changefreq = "daily"
    limit = 5000

    def items(self):
        return (
            Article.objects.published()
            .select_related("section")
            .only("slug", "publish_at", "updated_at", "created_at", "section__slug")
        )

    def lastmod(self, item):
        return item.updated_at or item.publish_at


class SectionSitemap(Sitemap):
    changefreq = "hourly"

    def items(self):
        live = Q(articles__status=Article.Status.PUBLISHED, articles__publish_at__lte=timezone.now())
        return Section.objects.annotate(latest=Max("articles__publish_at", filter=live)).order_by("order", "name")

    def lastmod(self, item):
        return item.latest


class NewsSitemap(Sitemap):
    """Stories first published in the last 48 hours, for Google News (template: articles/news_sitemap.xml)."""

    limit = NEWS_MAX_URLS

    def items(self):
        since = timezone.now() - NEWS_WINDOW
        return (
            Article.objects.published()
            .filter(publish_at__gte=since)
            .select_related("section")
            .only("slug", "headline", "publish_at", "updated_at", "created_at", "section__slug")[:NEWS_MAX_URLS]
        )

    def lastmod(self, item):
        return item.updated_at or item.publish_at


SITEMAPS = {"home": HomeSitemap, "sections": SectionSitemap, "stories": StorySitemap}
