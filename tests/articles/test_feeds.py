"""RSS and Atom feeds: live stories only, full text with MORE links in place, the lead image, fixed query counts."""

import html

import feedparser
import pytest
from django.utils import timezone

from articles.models import BODY_BLOCKS, Article, TextBlock
from tests.factories import (
    ArticleFactory,
    AuthorFactory,
    LeadImageFactory,
    MoreBlockFactory,
    SectionFactory,
    TagFactory,
    add_blocks,
    story_with_every_block,
)

pytestmark = pytest.mark.django_db

HOSTILE = '</title><script>alert(1)</script> & "quotes" <b>bold</b>'
FEEDS = ["/feeds/rss/", "/feeds/atom/"]


def fetch(client, url):
    response = client.get(url)
    assert response.status_code == 200
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    return response, parsed


@pytest.mark.parametrize("url", FEEDS)
def test_feed_lists_live_stories_newest_first(client, url):
    older = ArticleFactory(headline="Older story", publish_at=timezone.now() - timezone.timedelta(days=1))
    newer = ArticleFactory(headline="Newer story")
    ArticleFactory(headline="Draft story", status=Article.Status.DRAFT)
    ArticleFactory(headline="Scheduled story", publish_at=timezone.now() + timezone.timedelta(hours=1))
    _, parsed = fetch(client, url)
    assert [entry.title for entry in parsed.entries] == [newer.headline, older.headline]
    assert parsed.entries[0].link == f"http://testserver{newer.get_absolute_url()}"
    assert parsed.feed.title == "The Newsroom"


@pytest.mark.parametrize("kind", ["rss", "atom"])
def test_section_feed_lists_only_that_section(client, kind):
    world = SectionFactory(name="World", slug="world")
    ArticleFactory(headline="World story", section=world)
    ArticleFactory(headline="Sport story", section=SectionFactory(slug="sport"))
    _, parsed = fetch(client, f"/feeds/world/{kind}/")
    assert [entry.title for entry in parsed.entries] == ["World story"]
    assert parsed.feed.title == "World · The Newsroom"
    assert parsed.feed.link == "http://testserver/world/"


def test_unknown_section_feed_is_404(client):
    assert client.get("/feeds/nowhere/rss/").status_code == 404


@pytest.mark.parametrize("url", FEEDS)
def test_feed_entry_has_full_text_more_links_authors_categories_and_lead_image(client, url):
    article = ArticleFactory(
        authors=[AuthorFactory(name="Ana Reyes"), AuthorFactory(name="Bo Li")],
        section=SectionFactory(name="World", slug="world"),
        body="Opening <em>paragraph</em>.",
    )
    article.tags.add(TagFactory(name="Weather"))
    inline = MoreBlockFactory(parent=article, target__headline="Inline target")
    add_blocks(article, TextBlock(text="<p>Second paragraph.</p><p>Third paragraph.</p>"))
    MoreBlockFactory(parent=article, target__headline="End target")
    MoreBlockFactory(parent=article, target__headline="Draft target", target__status=Article.Status.DRAFT)
    LeadImageFactory(article=article, caption="Boats at dawn.", image__credit="Wire / J. Doe")
    _, parsed = fetch(client, url)
    (entry,) = [e for e in parsed.entries if e.title == article.headline]
    assert html.unescape(entry.summary) == article.deck
    content = entry.content[0].value
    order = ["Opening <em>paragraph</em>.", "MORE: Inline", "Second paragraph.", "Third paragraph.", "MORE: End target"]
    positions = [content.index(text) for text in order]
    assert positions == sorted(positions)
    assert f'<a href="http://testserver{inline.target.get_absolute_url()}">MORE: Inline target</a>' in content
    assert "MORE: End target" in content
    assert "Draft target" not in content
    assert entry.author == "Ana Reyes and Bo Li"
    assert {tag.term for tag in entry.tags} == {"World", "Weather"}
    (enclosure,) = entry.enclosures
    assert enclosure.href.startswith("http://testserver/media/renditions/")
    assert enclosure.type == "image/jpeg"
    assert int(enclosure.length) > 0
    (media,) = entry.media_content
    assert media["url"] == enclosure.href and media["medium"] == "image"
    assert (media["width"], media["height"]) == ("800", "480")  # the widest JPEG rendition up to 1200
    assert entry.media_credit[0]["content"] == "Wire / J. Doe"


@pytest.mark.parametrize("url", FEEDS)
def test_hostile_headline_is_escaped_in_feeds(client, url):
    ArticleFactory(headline=HOSTILE, deck=HOSTILE, body="Plain <script>alert(3)</script> text.")
    response, parsed = fetch(client, url)
    (entry,) = parsed.entries
    assert entry.title == HOSTILE
    # Readers treat descriptions as HTML: the plain-text deck goes in escaped, and comes out as the same text.
    assert html.unescape(entry.summary) == HOSTILE
    assert b"<script>" not in response.content
    assert "<script" not in entry.content[0].value


@pytest.mark.parametrize("url", [*FEEDS, "/feeds/world/rss/", "/feeds/world/atom/"])
def test_feeds_run_a_fixed_number_of_queries(client, url, django_assert_max_num_queries):
    world = SectionFactory(slug="world")
    for _ in range(6):
        article = ArticleFactory(section=world, authors=AuthorFactory.create_batch(2))
        article.tags.add(TagFactory(), TagFactory())
        MoreBlockFactory(parent=article)
        LeadImageFactory(article=article)
    # The stories, their bylines, tags and lead images; then one query per kind of block for all 30 stories.
    with django_assert_max_num_queries(6 + len(BODY_BLOCKS)):
        fetch(client, url)


@pytest.mark.parametrize("url", FEEDS)
def test_feed_carries_every_kind_of_block_with_absolute_pictures_and_no_player(client, url):
    article = story_with_every_block()
    _, parsed = fetch(client, url)
    (entry,) = [e for e in parsed.entries if e.title == article.headline]
    content = entry.content[0].value
    for text in [
        "What changes for fishermen",
        "We lost a whole season.",
        "A longer pier.",
        "Pay the fee.",
        "Work on the pier.",
        "Nets drying in the sun.",
        "MORE: The sea wall vote, explained",
        "The reopening, filmed from the pier",
        "Boats were back by evening.",
    ]:
        assert text in content, text
    assert 'src="http://testserver/media/' in content and 'src="/media/' not in content
    assert "<iframe" not in content and "Play here" not in content
    assert 'href="https://www.youtube.com/watch?v=aqz-KE-bpKQ"' in content
