"""The head of every page: title, description, canonical URL, social cards and the story's NewsArticle JSON-LD."""

import json
import re
from html.parser import HTMLParser

import pytest
from django.template import Context, Template
from django.utils import timezone

from articles import seo
from articles.models import BODY_BLOCKS
from tests.factories import ArticleFactory, AuthorFactory, LeadImageFactory, SectionFactory, TagFactory

pytestmark = pytest.mark.django_db

HOSTILE = '</script><script>alert(1)</script>"><img src=x onerror=alert(2)>&amp;'


class HeadParser(HTMLParser):
    """Collects <meta>, <link> and <script> elements with their text, as a browser would see them."""

    def __init__(self):
        super().__init__()
        self.meta: dict[str, list[str]] = {}
        self.links: list[dict] = []
        self.scripts: list[tuple[dict, str]] = []
        self.title = ""
        self._in: str | None = None
        self._attrs: dict = {}
        self._text = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta":
            key = attrs.get("property") or attrs.get("name")
            if key:
                self.meta.setdefault(key, []).append(attrs.get("content"))
        elif tag == "link":
            self.links.append(attrs)
        elif tag in ("script", "title"):
            self._in, self._attrs, self._text = tag, attrs, ""

    def handle_data(self, data):
        if self._in:
            self._text += data

    def handle_endtag(self, tag):
        if tag == self._in == "script":
            self.scripts.append((self._attrs, self._text))
        elif tag == self._in == "title":
            self.title = self._text
        if tag == self._in:
            self._in = None


def parse(response) -> HeadParser:
    parser = HeadParser()
    parser.feed(response.content.decode())
    return parser


def one(parser, key):
    values = parser.meta.get(key, [])
    assert len(values) == 1, f"{key}: {values}"
    return values[0]


def json_ld(parser) -> list[dict]:
    return [json.loads(text) for attrs, text in parser.scripts if attrs.get("type") == "application/ld+json"]


def test_story_head_has_title_description_canonical_and_social_cards(client):
    article = ArticleFactory(headline="Rain returns to the valley", deck="Farmers welcome the first storm in months.")
    LeadImageFactory(article=article, image__alt_text="Clouds over fields")
    head = parse(client.get(article.get_absolute_url()))
    url = f"http://testserver{article.get_absolute_url()}"
    assert head.title.startswith("Rain returns to the valley")
    assert one(head, "description") == "Farmers welcome the first storm in months."
    assert [link["href"] for link in head.links if link.get("rel") == "canonical"] == [url]
    assert one(head, "og:type") == "article"
    assert one(head, "og:title") == "Rain returns to the valley"
    assert one(head, "og:description") == "Farmers welcome the first storm in months."
    assert one(head, "og:url") == url
    assert one(head, "og:site_name") == "The Newsroom"
    image = one(head, "og:image")
    assert image.startswith("http://testserver/media/renditions/") and "16x9" in image
    assert (one(head, "og:image:width"), one(head, "og:image:height")) == ("1000", "562")
    assert one(head, "og:image:alt") == "Clouds over fields"
    assert one(head, "article:section") == article.section.name
    assert one(head, "twitter:card") == "summary_large_image"
    assert one(head, "twitter:image") == image


def test_story_json_ld_is_a_complete_news_article(client):
    authors = [AuthorFactory(name="Ana Reyes", slug="ana-reyes"), AuthorFactory(name="Bo Li", slug="bo-li")]
    article = ArticleFactory(authors=authors, section=SectionFactory(name="World", slug="world"))
    LeadImageFactory(article=article)
    (data,) = json_ld(parse(client.get(article.get_absolute_url())))
    url = f"http://testserver{article.get_absolute_url()}"
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "NewsArticle"
    assert data["headline"] == article.headline
    assert data["description"] == article.deck
    assert data["mainEntityOfPage"] == {"@type": "WebPage", "@id": url}
    assert data["datePublished"] == seo.isoformat(article.publish_at)
    assert data["dateModified"] == data["datePublished"]  # no substantive update yet
    assert data["articleSection"] == "World"
    assert data["author"] == [
        {"@type": "Person", "name": "Ana Reyes", "url": "http://testserver/author/ana-reyes/"},
        {"@type": "Person", "name": "Bo Li", "url": "http://testserver/author/bo-li/"},
    ]
    assert data["publisher"] == {"@type": "Organization", "name": "The Newsroom", "url": "http://testserver/"}
    assert len(data["image"]) == 3
    for crop, image_url in zip(("16x9", "4x3", "1x1"), data["image"], strict=True):
        assert image_url.startswith("http://testserver/media/renditions/") and f"/{crop}-" in image_url


def test_date_modified_follows_a_substantive_update(client, settings):
    updated = timezone.now() - timezone.timedelta(minutes=5)
    article = ArticleFactory(updated_at=updated)
    head = parse(client.get(article.get_absolute_url()))
    (data,) = json_ld(head)
    assert data["dateModified"] == seo.isoformat(updated)
    assert one(head, "article:modified_time") == seo.isoformat(updated)


def test_story_without_lead_image_has_no_image_tags(client):
    article = ArticleFactory()
    head = parse(client.get(article.get_absolute_url()))
    assert "og:image" not in head.meta
    assert "image" not in json_ld(head)[0]
    assert one(head, "twitter:card") == "summary"


def test_hostile_headline_cannot_break_out_of_json_ld_or_attributes(client):
    article = ArticleFactory(headline=HOSTILE, deck=HOSTILE)
    response = client.get(article.get_absolute_url())
    html = response.content.decode()
    head = parse(response)
    # The only scripts are the site's own files and the data block: nothing the headline injected.
    assert sorted(attrs.get("type") or attrs.get("src") for attrs, _ in head.scripts) == [
        "/jsi18n/en.js",
        "/static/js/comments.js",
        "/static/js/live.js",
        "/static/js/site.js",
        "application/ld+json",
    ]
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    (data,) = json_ld(head)
    assert data["headline"] == HOSTILE and data["description"] == HOSTILE
    assert one(head, "og:title") == HOSTILE
    assert one(head, "description") == HOSTILE
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    assert "<" not in block and ">" not in block and "&" not in block


def test_ld_json_filter_escapes_like_json_script():
    rendered = Template("{% load articles_tags %}{{ data|ld_json }}").render(Context({"data": {"a": "</script>&"}}))
    assert rendered == '<script type="application/ld+json">{"a": "\\u003C/script\\u003E\\u0026"}</script>'


@pytest.mark.parametrize("path", ["/", "/saved/"])
def test_every_page_has_a_canonical_url_and_website_card(client, path):
    ArticleFactory()
    response = client.get(path, follow=True)
    head = parse(response)
    canonical = [link["href"] for link in head.links if link.get("rel") == "canonical"]
    assert len(canonical) == 1 and canonical[0].startswith("http://testserver/")
    assert one(head, "og:type") == "website"
    assert one(head, "og:url") == canonical[0]
    assert one(head, "og:site_name") == "The Newsroom"
    assert json_ld(head) == []


def test_canonical_url_drops_query_strings_but_keeps_the_page_position(client):
    section = SectionFactory(slug="world")
    ArticleFactory.create_batch(21, section=section)
    response = client.get("/world/?utm_source=x")
    head = parse(response)
    assert [link["href"] for link in head.links if link.get("rel") == "canonical"] == ["http://testserver/world/"]
    older = response.context["page_obj"].older_query
    head = parse(client.get(f"/world/?{older}&utm_source=x"))
    assert [link["href"] for link in head.links if link.get("rel") == "canonical"] == [
        f"http://testserver/world/?{older}"
    ]


def test_section_page_card_and_feed_links(client):
    section = SectionFactory(name="World", slug="world")
    head = parse(client.get("/world/"))
    assert one(head, "og:title") == "World"
    alternates = {link["href"] for link in head.links if link.get("rel") == "alternate"}
    assert alternates == {"/feeds/rss/", "/feeds/atom/", "/feeds/world/rss/", "/feeds/world/atom/"}
    assert section.name in head.title


def test_story_page_query_count_is_unchanged_by_the_head(client, django_assert_max_num_queries):
    article = ArticleFactory(authors=AuthorFactory.create_batch(3))
    LeadImageFactory(article=article)
    client.get("/")  # the section bar of every page is cached (articles.selectors.nav_sections)
    with django_assert_max_num_queries(5 + len(BODY_BLOCKS)):
        assert client.get(article.get_absolute_url()).status_code == 200


def test_author_and_tag_pages_have_their_own_cards(client):
    author = AuthorFactory(name="Ana Reyes", slug="ana-reyes", bio="Covers the weather.")
    tag = TagFactory(name="Weather", slug="weather")
    head = parse(client.get(author.get_absolute_url()))
    assert (one(head, "og:title"), one(head, "og:description")) == ("Ana Reyes", "Covers the weather.")
    head = parse(client.get(tag.get_absolute_url()))
    assert one(head, "og:title") == "Weather"


def test_404_page_has_no_canonical_link(client):
    head = parse(client.get("/no/such/page/here/"))
    assert not [link for link in head.links if link.get("rel") == "canonical"]


def test_headlines_for_other_places_lead_the_title_cards_and_json_ld(client):
    article = ArticleFactory(
        headline="Council passes the budget after a nine-hour sitting",
        deck="The vote was 7 to 4.",
        seo_title="City budget 2027 passed",
        seo_description="What the 2027 budget means for rates, buses and libraries.",
        social_headline="Nine hours later, a budget",
        social_description="How the council got there, vote by vote.",
    )
    head = parse(client.get(article.get_absolute_url()))
    assert head.title == "City budget 2027 passed · The Newsroom"
    assert one(head, "description") == "What the 2027 budget means for rates, buses and libraries."
    assert one(head, "og:title") == one(head, "twitter:title") == "Nine hours later, a budget"
    assert one(head, "og:description") == one(head, "twitter:description") == "How the council got there, vote by vote."
    (data,) = json_ld(head)
    assert data["headline"] == "Council passes the budget after a nine-hour sitting"
    assert data["alternativeHeadline"] == "City budget 2027 passed"
    assert data["description"] == "What the 2027 budget means for rates, buses and libraries."


def test_empty_headlines_for_other_places_fall_back_to_the_headline_and_deck(client):
    article = ArticleFactory(headline="Rain returns", deck="The first storm in months.", social_headline="Rain!")
    head = parse(client.get(article.get_absolute_url()))
    assert head.title == "Rain returns · The Newsroom"
    assert one(head, "description") == one(head, "og:description") == "The first storm in months."
    assert one(head, "og:title") == "Rain!"
    (data,) = json_ld(head)
    assert (data["headline"], data["alternativeHeadline"]) == ("Rain returns", "Rain!")
    plain = ArticleFactory(headline="Plain")
    (data,) = json_ld(parse(client.get(plain.get_absolute_url())))
    assert "alternativeHeadline" not in data and data["description"] == plain.deck
