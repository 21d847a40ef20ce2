"""sitemap.xml (an index of stories, sections and the home page), the Google News sitemap and robots.txt."""

import xml.etree.ElementTree as ET

import pytest
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.utils import timezone

from articles import sitemaps
from articles.models import Article
from tests.factories import ArticleFactory, SectionFactory

pytestmark = pytest.mark.django_db

NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9", "news": "http://www.google.com/schemas/sitemap-news/0.9"}


def xml(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    return ET.fromstring(response.content)


def locations(root):
    return [loc.text for loc in root.iterfind(".//sm:loc", NS)]


def test_sitemap_index_links_each_part(client):
    root = xml(client, "/sitemap.xml")
    assert root.tag == f"{{{NS['sm']}}}sitemapindex"
    assert set(locations(root)) == {
        "http://testserver/sitemap-home.xml",
        "http://testserver/sitemap-sections.xml",
        "http://testserver/sitemap-stories.xml",
    }


def test_story_sitemap_lists_live_stories_with_lastmod(client):
    live = ArticleFactory()
    updated = ArticleFactory(updated_at=timezone.now() - timezone.timedelta(minutes=1))
    ArticleFactory(status=Article.Status.DRAFT)
    ArticleFactory(publish_at=timezone.now() + timezone.timedelta(hours=1))
    root = xml(client, "/sitemap-stories.xml")
    entries = {url.find("sm:loc", NS).text: url.find("sm:lastmod", NS).text for url in root.iterfind("sm:url", NS)}
    assert entries == {
        f"http://testserver{live.get_absolute_url()}": live.publish_at.date().isoformat(),
        f"http://testserver{updated.get_absolute_url()}": updated.updated_at.date().isoformat(),
    }


def test_section_sitemap_lists_every_section(client):
    SectionFactory(slug="world")
    SectionFactory(slug="sport")
    root = xml(client, "/sitemap-sections.xml")
    assert sorted(locations(root)) == ["http://testserver/sport/", "http://testserver/world/"]


def test_story_sitemap_query_count_is_fixed(client, django_assert_max_num_queries):
    # The index: the sections (two) and, cold, the story files' boundaries and latest lastmod (two, then cached);
    # a story file: its stories by id range (one).
    for batch in (3, 40):
        cache.clear()
        ArticleFactory.create_batch(batch)
        with django_assert_max_num_queries(4):
            xml(client, "/sitemap.xml")
        with django_assert_max_num_queries(2):
            xml(client, "/sitemap.xml")
        with django_assert_max_num_queries(1):
            xml(client, "/sitemap-stories.xml")


def test_story_files_hold_each_live_story_once_by_id_range(client, monkeypatch):
    monkeypatch.setattr(sitemaps, "STORIES_PER_FILE", 3)
    stories = ArticleFactory.create_batch(8)
    ArticleFactory(status=Article.Status.DRAFT)
    latest = ArticleFactory(updated_at=timezone.now() + timezone.timedelta(minutes=5))
    index = xml(client, "/sitemap.xml")
    files = [loc for loc in locations(index) if "stories" in loc]
    assert files == [
        "http://testserver/sitemap-stories.xml",
        "http://testserver/sitemap-stories.xml?p=2",
        "http://testserver/sitemap-stories.xml?p=3",
    ]
    lastmods = {e.find("sm:loc", NS).text: e.findtext("sm:lastmod", None, NS) for e in index.iterfind("sm:sitemap", NS)}
    assert lastmods["http://testserver/sitemap-stories.xml?p=3"].startswith(latest.updated_at.date().isoformat())
    listed = []
    for number in (1, 2, 3):
        listed += locations(xml(client, f"/sitemap-stories.xml?p={number}"))
    assert listed == [f"http://testserver{story.get_absolute_url()}" for story in [*stories, latest]]
    assert client.get("/sitemap-stories.xml?p=4").status_code == 404


def test_news_sitemap_lists_stories_of_the_last_48_hours(client):
    recent = ArticleFactory(headline='Rates & "cuts" <now>', publish_at=timezone.now() - timezone.timedelta(hours=3))
    ArticleFactory(publish_at=timezone.now() - timezone.timedelta(hours=49))
    ArticleFactory(status=Article.Status.DRAFT)
    ArticleFactory(publish_at=timezone.now() + timezone.timedelta(hours=1))
    root = xml(client, "/news-sitemap.xml")
    (url,) = root.findall("sm:url", NS)
    assert url.find("sm:loc", NS).text == f"http://testserver{recent.get_absolute_url()}"
    news = url.find("news:news", NS)
    assert news.find("news:publication/news:name", NS).text == "The Newsroom"
    assert news.find("news:publication/news:language", NS).text == "en"
    assert news.find("news:title", NS).text == 'Rates & "cuts" <now>'
    published = timezone.datetime.fromisoformat(news.find("news:publication_date", NS).text)
    assert published == recent.publish_at.replace(microsecond=0)


def test_news_sitemap_caps_its_size(client, monkeypatch):
    monkeypatch.setattr(sitemaps, "NEWS_MAX_URLS", 2)
    monkeypatch.setattr(sitemaps.NewsSitemap, "limit", 2)
    ArticleFactory.create_batch(3)
    assert len(xml(client, "/news-sitemap.xml").findall("sm:url", NS)) == 2


def test_robots_txt_keeps_crawlers_out_of_private_and_search_pages_and_links_the_sitemaps(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.content.decode().splitlines()
    assert "User-agent: *" in lines
    for path in ["/admin/", "/accounts/", "/saved/", "/search/"]:
        assert f"Disallow: {path}" in lines
    assert "Sitemap: http://testserver/sitemap.xml" in lines
    assert "Sitemap: http://testserver/news-sitemap.xml" in lines


def test_section_lastmod_is_its_newest_live_story(client):
    world = SectionFactory(slug="world")
    newest = ArticleFactory(section=world, publish_at=timezone.now() - timezone.timedelta(days=2))
    ArticleFactory(section=world, publish_at=timezone.now() - timezone.timedelta(days=5))
    ArticleFactory(section=world, status=Article.Status.DRAFT, publish_at=timezone.now())
    root = xml(client, "/sitemap-sections.xml")
    (url,) = root.findall("sm:url", NS)
    assert url.find("sm:lastmod", NS).text == newest.publish_at.date().isoformat()


def test_favicon_ico_leads_to_the_site_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"] == "/static/favicon.svg"
    assert finders.find("favicon.svg")
