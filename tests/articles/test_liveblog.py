"""Live blogs: entries, the blog's live version, the story page's live section, the live-updates endpoints
(/work/prompts/live-contract.md, docs/architecture.md "Live blogs"), JSON-LD, the feed, promotion and purges."""

import json
import re
from datetime import timedelta

import extruct
import feedparser
import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles import body, services
from articles.models import (
    BODY_BLOCKS,
    LIVE_BLOCKS,
    Article,
    Gallery,
    GalleryImage,
    LiveEmbedBlock,
    LiveEntry,
    LiveGalleryBlock,
    LiveHeadingBlock,
    LiveImageBlock,
    LiveListBlock,
    LiveMoreBlock,
    LiveQuoteBlock,
    LiveTextBlock,
    TextBlock,
    block_fields,
    same_kind,
)
from tests.factories import ArticleFactory, AuthorFactory, ImageFactory, LiveBlogFactory, live_entry

pytestmark = pytest.mark.django_db

BASE = "http://testserver"


def minutes_ago(n: int):
    return timezone.now() - timedelta(minutes=n)


def since(client, blog, version):
    return client.get(f"/live/{blog.pk}/since/{version}/")


def page(client, blog, query=""):
    response = client.get(blog.get_absolute_url() + query)
    assert response.status_code == 200
    return response.content.decode()


# --- the model and the service -------------------------------------------------------------------------------
def test_a_blog_has_at_most_one_pinned_entry():
    blog = LiveBlogFactory()
    live_entry(blog, is_pinned=True)
    with pytest.raises(ValidationError, match="already has a pinned entry"):
        live_entry(blog, is_pinned=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        LiveEntry.objects.create(article=blog, is_pinned=True)
    # Another blog has its own pinned entry, and unpinned entries are many.
    live_entry(LiveBlogFactory(), is_pinned=True)
    live_entry(blog)
    live_entry(blog)


def test_every_entry_write_bumps_the_blog_version_and_an_entry_keeps_the_version_it_was_first_published_at():
    blog = LiveBlogFactory()
    assert blog.live_version == 0
    first = live_entry(blog)
    blog.refresh_from_db()
    assert (blog.live_version, first.version) == (1, 1)
    draft = live_entry(blog, status=LiveEntry.Status.DRAFT)
    assert draft.version == 0
    first.correction = "An earlier version named the wrong street."
    services.live_entry_save(entry=first)
    draft.status = LiveEntry.Status.PUBLISHED
    services.live_entry_save(entry=draft)
    blog.refresh_from_db()
    assert blog.live_version == 4
    assert (first.version, draft.version) == (1, 4)
    services.live_entry_delete(entry=draft)
    blog.refresh_from_db()
    assert blog.live_version == 5


def test_entry_text_blocks_are_cleaned_like_a_story_s_and_their_words_are_the_entry_s_text():
    hostile = '<p onclick="x()">Hi <script>bad()</script><a href="javascript:x">l</a><strong>b</strong></p>'
    entry = live_entry(LiveBlogFactory(), body=hostile)
    (block,) = body.blocks(entry)
    block.refresh_from_db()
    assert "onclick" not in block.text and "<script" not in block.text and "javascript:" not in block.text
    assert "<strong>b</strong>" in block.text
    entry.refresh_from_db()
    assert entry.body_text == "Hi lb" and str(entry) == "Hi lb"


def test_entry_writes_purge_the_story_key_on_commit(settings, django_capture_on_commit_callbacks, monkeypatch):
    purged = []
    monkeypatch.setattr(
        "newsroom.edge.enqueue_on_commit",
        lambda task, keys, unless=None: transaction.on_commit(lambda: purged.append(keys)),
    )
    settings.EDGE_PURGE_URLS = ["http://127.0.0.1:9/"]
    blog = LiveBlogFactory()
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        live_entry(blog)
        assert purged == []  # nothing before the commit
    assert callbacks
    assert [f"story-{blog.pk}"] in purged


# --- the page --------------------------------------------------------------------------------------------------
def test_the_page_shows_pinned_key_events_and_entries_newest_first(client):
    author = AuthorFactory(name="Ana Reyes")
    blog = LiveBlogFactory(headline="Storm live")
    live_entry(blog, headline="Oldest entry", published_at=minutes_ago(30))
    live_entry(blog, headline="The bridge closes", published_at=minutes_ago(20), is_key_event=True)
    live_entry(blog, headline="Read this first", published_at=minutes_ago(25), is_pinned=True)
    live_entry(blog, headline="Newest entry", published_at=minutes_ago(1), authors=[author])
    live_entry(blog, headline="Not yet", status=LiveEntry.Status.DRAFT)
    live_entry(blog, headline="Scheduled", published_at=timezone.now() + timedelta(hours=1))
    html = page(client, blog)
    stream = html[html.index('id="live-entries"') :]
    assert stream.index("Newest entry") < stream.index("The bridge closes") < stream.index("Oldest entry")
    assert "Not yet" not in html and "Scheduled" not in html
    assert html.index("Read this first") < html.index("Key events") < html.index('id="live-entries"')
    assert "By <a" in stream and "Ana Reyes" in stream
    assert '<time datetime="' in stream
    key = html[html.index("Key events") : html.index('id="live-entries"')]
    assert "The bridge closes" in key and "Oldest entry" not in key
    assert 'href="?key=1"' in html
    # The live contract's container, on the newest page of the full list.
    assert f'data-live-since="/live/{blog.pk}/since/{{version}}/"' in html
    assert f'data-live-new="/live/{blog.pk}/new/{{version}}/"' in html
    assert 'data-live-version="6"' in html and 'data-live-order="newest"' in html and 'data-live-noun="update"' in html
    assert f'href="/live/{blog.pk}/feed/"' in html


def test_key_events_only_filter_keeps_the_key_events(client):
    blog = LiveBlogFactory()
    live_entry(blog, headline="Routine update")
    live_entry(blog, headline="Evacuation ordered", is_key_event=True)
    html = page(client, blog, "?key=1")
    stream = html[html.index('id="live-entries"') :]
    assert "Evacuation ordered" in stream and "Routine update" not in stream
    assert "Show all updates" in html
    assert f'data-live-since="/live/{blog.pk}/' not in html  # a filtered page is not updated live (its discussion is)


def test_older_entries_are_keyset_pages(client):
    blog = LiveBlogFactory()
    for n in range(25):
        live_entry(blog, headline=f"Entry {n:02d}", published_at=minutes_ago(100 - n))
    html = page(client, blog)
    assert "Entry 24" in html and "Entry 05" in html and "Entry 04" not in html
    older = html[html.index('rel="next" href="') + len('rel="next" href="') :].split('"')[0].replace("&amp;", "&")
    html = page(client, blog, older)
    assert "Entry 04" in html and "Entry 00" in html and "Entry 05" not in html.split('id="live-entries"')[1]
    assert f'data-live-since="/live/{blog.pk}/' not in html  # older pages are not the live end of the list
    assert client.get(blog.get_absolute_url() + "?before=garbage").status_code == 404


def test_the_live_page_runs_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    blog = LiveBlogFactory()
    for n in range(3):
        live_entry(blog, authors=[AuthorFactory()], is_key_event=n == 0, is_pinned=n == 1)
    client.get("/")
    with django_assert_max_num_queries(30) as few:
        page(client, blog)
    for _ in range(10):
        live_entry(blog, authors=[AuthorFactory(), AuthorFactory()], is_key_event=True)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page(client, blog)


def test_an_ordinary_story_has_no_live_section(client):
    story = ArticleFactory()
    html = page(client, story)
    assert "live-entries" not in html and "/live/" not in html


# --- the live endpoints ----------------------------------------------------------------------------------------
def test_since_counts_entries_published_after_the_version_and_is_cacheable_briefly(client, settings):
    settings.LIVE_SHARED_SECONDS = 5
    blog = LiveBlogFactory()
    live_entry(blog)
    live_entry(blog)
    response = since(client, blog, 1)
    assert response.status_code == 200
    assert response.json() == {"version": 2, "new": 1, "many": False, "refresh": False}
    assert "s-maxage=5" in response["Cache-Control"] and "public" in response["Cache-Control"]
    assert response["Surrogate-Key"] == f"story-{blog.pk}"
    assert since(client, blog, 2).json()["new"] == 0
    first = LiveEntry.objects.filter(article=blog).last()
    first.correction = "Fixed."
    services.live_entry_save(entry=first)  # an edit moves the version but is no new entry
    assert since(client, blog, 2).json() == {"version": 3, "new": 0, "many": False, "refresh": False}


def test_since_says_many_past_the_cap(client, settings, monkeypatch):
    monkeypatch.setattr("articles.selectors.LIVE_NEW_CAP", 3)
    blog = LiveBlogFactory()
    for _ in range(5):
        live_entry(blog)
    assert since(client, blog, 0).json() == {"version": 5, "new": 3, "many": True, "refresh": False}
    response = client.get(f"/live/{blog.pk}/new/0/")
    assert response.content.decode().count("<li") == 3


@pytest.mark.parametrize("version", ["abc", "-1", "3", "1e3", "99999999999999999999", "%20"])
def test_bad_versions_are_a_400_with_a_refresh_hint(client, version):
    blog = LiveBlogFactory()
    live_entry(blog)
    live_entry(blog)
    for url in (f"/live/{blog.pk}/since/{version}/", f"/live/{blog.pk}/new/{version}/"):
        response = client.get(url)
        assert response.status_code == 400, url
        body = response.json()
        assert body["refresh"] is True and body["error"]


def test_unknown_draft_and_ordinary_stories_are_404(client):
    assert since(client, Article(pk=999999), 0).status_code == 404
    draft = LiveBlogFactory(status=Article.Status.DRAFT)
    assert since(client, draft, 0).status_code == 404
    assert since(client, ArticleFactory(), 0).status_code == 404
    assert client.get(f"/live/{draft.pk}/feed/").status_code == 404


def test_new_is_the_entries_as_the_page_renders_them(client):
    blog = LiveBlogFactory()
    live_entry(blog, headline="Old")
    new = live_entry(blog, headline="Fresh news", is_key_event=True)
    response = client.get(f"/live/{blog.pk}/new/1/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert response["X-Live-Version"] == "2"
    assert response["Surrogate-Key"] == f"story-{blog.pk}"
    fragment = response.content.decode()
    assert "Fresh news" in fragment and "Old" not in fragment
    assert fragment.strip().startswith(f'<li class="live-entry live-entry--key" id="entry-{new.pk}"')
    html = page(client, blog)
    start = html.index(f'<li class="live-entry live-entry--key" id="entry-{new.pk}"')
    assert fragment.strip() == html[start : start + len(fragment.strip())]


# --- JSON-LD and the feed --------------------------------------------------------------------------------------
def test_json_ld_is_a_live_blog_posting_with_its_updates(client):
    blog = LiveBlogFactory(headline="Election night live", live_ended_at=timezone.now())
    live_entry(blog, headline="Polls close", body="<p>Counting <b>begins</b>.</p>", published_at=minutes_ago(5))
    html = page(client, blog)
    data = extruct.extract(html, base_url=BASE + blog.get_absolute_url(), syntaxes=["json-ld"], uniform=True)
    (posting,) = [item for item in data["json-ld"] if item.get("@type") == "LiveBlogPosting"]
    assert not [item for item in data["json-ld"] if item.get("@type") == "NewsArticle"]
    assert posting["headline"] == "Election night live"
    assert posting["coverageStartTime"] and posting["coverageEndTime"]
    (update,) = posting["liveBlogUpdate"]
    assert update["@type"] == "BlogPosting"
    assert update["headline"] == "Polls close"
    assert update["articleBody"] == "Counting begins."
    assert update["datePublished"]


def test_the_feed_lists_the_published_entries(client):
    blog = LiveBlogFactory(headline="Storm live")
    entry = live_entry(blog, headline="Winds ease", correction="The time was wrong.")
    live_entry(blog, headline="Draft one", status=LiveEntry.Status.DRAFT)
    response = client.get(f"/live/{blog.pk}/feed/")
    assert response.status_code == 200
    feed = feedparser.parse(response.content)
    assert not feed.bozo
    assert "Storm live" in feed.feed.title
    assert [item.title for item in feed.entries] == ["Winds ease"]
    assert feed.entries[0].link == BASE + blog.get_absolute_url() + f"#entry-{entry.pk}"
    assert "The time was wrong." in feed.entries[0].description


# --- promotion -------------------------------------------------------------------------------------------------
def test_promoting_an_entry_makes_a_draft_story_linked_both_ways(client):
    author = AuthorFactory(name="Bo Li")
    blog = LiveBlogFactory(headline="Storm live")
    entry = live_entry(blog, headline="The dam holds", body="<p>Engineers say the dam holds.</p>", authors=[author])
    story = services.live_entry_promote(entry=entry)
    assert story.status == Article.Status.DRAFT
    assert (story.headline, story.section_id) == ("The dam holds", blog.section_id)
    assert story.byline_authors == [author]
    assert TextBlock.objects.get(parent=story).text == "<p>Engineers say the dam holds.</p>"
    entry.refresh_from_db()
    assert entry.promoted_to == story
    assert services.live_entry_promote(entry=entry) == story  # once
    # Not linked while the story is a draft; both ways once it is published.
    assert "Read the full story" not in page(client, blog)
    story.status, story.publish_at = Article.Status.PUBLISHED, timezone.now()
    story.save()
    assert f'<a href="{story.get_absolute_url()}">Read the full story</a>' in page(client, blog)
    html = page(client, story)
    assert "From our live coverage of" in html
    assert f'href="{blog.get_absolute_url()}#entry-{entry.pk}"' in html


def entry_form(blog, **fields) -> dict:
    """The admin's entry form, filled in: the entry's fields, then its blocks' formsets (each kind's, empty but for
    `blocks`: {kind: [fields of one block]})."""
    blocks = fields.pop("blocks", {})
    data = {
        "article": blog.pk,
        "status": "published",
        "published_at_0": timezone.localdate().isoformat(),
        "published_at_1": "00:00:00",
        "correction": "",
        **fields,
    }
    for kind in LIVE_BLOCKS:
        prefix = f"articles_{kind._meta.model_name}_set"
        rows = blocks.get(kind, [])
        data.update({f"{prefix}-TOTAL_FORMS": len(rows), f"{prefix}-INITIAL_FORMS": 0, f"{prefix}-MIN_NUM_FORMS": 0})
        for n, row in enumerate(rows):
            data.update({f"{prefix}-{n}-{name}": value for name, value in {"region": "body", **row}.items()})
    return data


def test_admin_promote_action_and_entry_save_through_the_service(editor_client):
    blog = LiveBlogFactory()
    entry = live_entry(blog, body="<p>Words of the entry that becomes a story.</p>")
    response = editor_client.post(
        "/admin/articles/liveentry/", {"action": "promote", "_selected_action": [entry.pk]}, follow=True
    )
    assert response.status_code == 200
    entry.refresh_from_db()
    assert entry.promoted_to is not None
    assert entry.promoted_to.headline.startswith("Words of the entry")
    blog.refresh_from_db()
    before = blog.live_version
    blocks = {
        LiveTextBlock: [{"text": "<p>Added in the admin.</p>", "ordering": 10}],
        LiveQuoteBlock: [{"text": "<p>We hold.</p>", "attribution": "The mayor", "style": "block", "ordering": 20}],
    }
    response = editor_client.post("/admin/articles/liveentry/add/", entry_form(blog, blocks=blocks))
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    blog.refresh_from_db()
    assert blog.live_version == before + 1
    added = LiveEntry.objects.get(body_text__startswith="Added in the admin")
    assert added.version == blog.live_version
    assert [type(block) for block in body.blocks(added)] == [LiveTextBlock, LiveQuoteBlock]
    assert added.body_text == "Added in the admin.\n\nWe hold.\n— The mayor"
    listing = editor_client.get(f"/admin/articles/liveentry/?blog={blog.pk}")
    assert listing.status_code == 200


def test_a_bad_since_url_never_is_a_500(client):
    blog = LiveBlogFactory()
    for url in (f"/live/{blog.pk}/since/0/", f"/live/{blog.pk}/since/{'9' * 200}/", f"/live/{blog.pk}/new/+1/"):
        assert client.get(url).status_code in (200, 400)
    assert json.loads(since(client, blog, 0).content)["version"] == 0


def test_the_story_admin_links_to_the_blog_entries_and_the_entry_form_opens(editor_client):
    blog = LiveBlogFactory()
    html = editor_client.get(f"/admin/articles/article/{blog.pk}/change/").content.decode()
    assert f"/admin/articles/liveentry/?blog={blog.pk}" in html and "Write an entry" in html
    response = editor_client.get(f"/admin/articles/liveentry/add/?article={blog.pk}")
    assert response.status_code == 200
    assert f'value="{blog.pk}"' in response.content.decode()
    live_entry(blog, is_pinned=True)
    blocks = {LiveTextBlock: [{"text": "<p>Second pin.</p>", "ordering": 10}]}
    response = editor_client.post("/admin/articles/liveentry/add/", entry_form(blog, is_pinned="on", blocks=blocks))
    assert response.status_code == 200
    html = response.content.decode()
    assert "already has a pinned entry" in html
    assert "Second pin." in html  # what the editor wrote is kept


def test_the_live_script_is_included_where_the_entries_poll(client):
    blog = LiveBlogFactory()
    live_entry(blog)
    assert page(client, blog).count('<script src="/static/js/live.js" defer></script>') >= 1
    # A filtered page polls nothing of its own (the discussion below may, for a recent story).
    assert 'data-live-since="/live/' not in page(client, blog, "?key=1")


# --- the entries' blocks: the story's kinds, rendered by the story's templates ----------------------------------
@pytest.fixture
def every_kind():
    """A maker of unsaved blocks of every kind an entry has, sharing one picture, gallery and linked story."""
    image = ImageFactory(alt_text="A crane on the sea wall")
    gallery = Gallery.objects.create(title="The count in pictures")
    GalleryImage.objects.create(gallery=gallery, image=image, caption="Ballot boxes arrive.", order=0)
    target = ArticleFactory(headline="The sea wall vote, explained")

    def blocks():
        return [
            LiveTextBlock(text="<p>Counting has <em>begun</em>.</p>"),
            LiveHeadingBlock(text="What we know"),
            LiveQuoteBlock(text="<p>We will hold.</p>", attribution="The mayor"),
            LiveListBlock(items="<ul><li><p>Ten wards in.</p></li><li><p>Four to go.</p></li></ul>"),
            LiveImageBlock(image=image, caption="The wall at dusk."),
            LiveGalleryBlock(gallery=gallery),
            LiveMoreBlock(target=target),
            LiveEmbedBlock(url="https://vimeo.com/1084537", title="The count, filmed"),
        ]

    return blocks


def test_an_entry_has_every_kind_of_a_story_s_block_and_renders_them_with_the_story_s_templates(client, every_kind):
    assert [same_kind(kind, BODY_BLOCKS) for kind in LIVE_BLOCKS] == BODY_BLOCKS
    blog = LiveBlogFactory()
    entry = live_entry(blog, headline="Every kind", blocks=every_kind())
    shown = body.reader_blocks(body.blocks(entry))
    rendered = body.render(shown, heading_shift=body.ENTRY_HEADING_SHIFT)
    for part in [
        "<p>Counting has <em>begun</em>.</p>",
        '<h4 class="story__subhead">What we know</h4>',  # under the entry's <h3> headline
        '<figure class="quote"><blockquote><p>We will hold.</p></blockquote><figcaption>The mayor</figcaption>',
        "<li><p>Four to go.</p></li>",
        '<figure class="story__figure"><picture>',
        '<h4 class="gallery__title">The count in pictures</h4>',
        "MORE: The sea wall vote, explained",
        '<figure class="embed embed--video">',
    ]:
        assert part in rendered, part
    html = page(client, blog)
    assert rendered in html
    assert rendered in client.get(f"/live/{blog.pk}/new/0/").content.decode()
    entry.refresh_from_db()
    assert entry.body_text.startswith("Counting has begun.\n\nWhat we know\n\nWe will hold.\n— The mayor")
    assert "The sea wall vote" not in entry.body_text  # MORE links are navigation, not the entry's words
    data = extruct.extract(html, base_url=BASE + blog.get_absolute_url(), syntaxes=["json-ld"], uniform=True)
    (posting,) = data["json-ld"]
    assert posting["liveBlogUpdate"][0]["articleBody"] == entry.body_text


def test_the_feed_carries_each_entry_s_blocks_with_absolute_links(client, every_kind):
    blog = LiveBlogFactory()
    live_entry(blog, headline="Every kind", blocks=every_kind())
    feed = feedparser.parse(client.get(f"/live/{blog.pk}/feed/").content)
    assert not feed.bozo
    description = feed.entries[0].description
    assert "<h4" in description and "We will hold." in description and "The wall at dusk." in description
    assert 'src="http://testserver/media/' in description
    assert 'href="http://testserver/' in description  # the MORE link
    assert "Play here" not in description  # a feed's embed is its link


def test_a_more_link_to_a_story_not_yet_live_is_left_out_of_the_entry(client):
    blog = LiveBlogFactory()
    draft = ArticleFactory(headline="Coming soon", status=Article.Status.DRAFT)
    live_entry(blog, blocks=[LiveTextBlock(text="<p>Read on.</p>"), LiveMoreBlock(target=draft)])
    html = page(client, blog)
    assert "Read on." in html and "Coming soon" not in html


def block_queries(queries) -> int:
    return sum(bool(re.search(r'FROM "articles_live\w*block"', query["sql"])) for query in queries)


@pytest.mark.parametrize("where", ["page", "new", "feed"])
def test_entries_blocks_are_one_query_per_kind_whatever_the_number_of_entries(client, every_kind, where):
    blog = LiveBlogFactory()
    urls = {"page": blog.get_absolute_url(), "new": f"/live/{blog.pk}/new/0/", "feed": f"/live/{blog.pk}/feed/"}
    live_entry(blog, blocks=every_kind(), is_pinned=True)
    live_entry(blog, blocks=every_kind(), is_key_event=True)
    client.get(urls[where])  # the discussion's fragment cached, as it is for the second reading
    with CaptureQueriesContext(connection) as few:
        assert client.get(urls[where]).status_code == 200
    for n in range(10):
        live_entry(blog, blocks=every_kind(), is_key_event=n % 2 == 0)
    with CaptureQueriesContext(connection) as many:
        assert client.get(urls[where]).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)
    # One query per kind for all the entries shown (the page's pinned entry too), none per entry.
    assert block_queries(many.captured_queries) == len(LIVE_BLOCKS)


def test_promoting_copies_the_entry_s_blocks_into_the_story_kind_by_kind_field_by_field(every_kind):
    blog = LiveBlogFactory()
    entry = live_entry(blog, headline="Every kind", blocks=every_kind())
    story = services.live_entry_promote(entry=entry)
    copied, original = body.blocks(story), body.blocks(entry)
    assert [type(block) for block in copied] == BODY_BLOCKS
    for story_block, entry_block in zip(copied, original, strict=True):
        fields = block_fields(type(entry_block))._meta.fields
        assert [getattr(story_block, f.attname) for f in fields] == [getattr(entry_block, f.attname) for f in fields]
        assert story_block.ordering == entry_block.ordering
    story.refresh_from_db()
    assert story.body == entry.body_text  # the story's words, for search and JSON-LD
    assert story.deck.startswith("Counting has begun.")
    assert LiveTextBlock.objects.filter(parent=entry).exists()  # the entry keeps its own


@pytest.fixture
def back_to_the_latest():
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_the_migration_makes_each_entry_s_body_its_text_block_and_back(back_to_the_latest):
    old = migrate([("articles", "0019_live_blogs")])
    section = old.get_model("articles", "Section").objects.create(name="World", slug="world")
    blog = old.get_model("articles", "Article").objects.create(
        section=section, headline="Live", deck="d", slug="live", status="published", is_live_blog=True
    )
    OldEntry = old.get_model("articles", "LiveEntry")
    html = "<p>Polls close at <strong>ten</strong>.</p><ul><li><p>Count &amp; declare.</p></li></ul>"
    entry = OldEntry.objects.create(article=blog, headline="", body=html, published_at=timezone.now())

    new = migrate([("articles", "0020_live_entry_blocks")])
    (block,) = new.get_model("articles", "LiveTextBlock").objects.filter(parent_id=entry.pk)
    assert (block.text, block.region, block.ordering) == (html, "body", 10)
    assert new.get_model("articles", "LiveEntry").objects.get(pk=entry.pk).body_text == (
        "Polls close at ten.\nCount & declare."
    )

    old = migrate([("articles", "0019_live_blogs")])
    assert old.get_model("articles", "LiveEntry").objects.get(pk=entry.pk).body == html


def test_the_entry_form_edits_the_entry_s_blocks_in_the_content_editor(editor_client, every_kind):
    blog = LiveBlogFactory()
    entry = live_entry(blog, headline="Every kind", blocks=every_kind())
    response = editor_client.get(f"/admin/articles/liveentry/{entry.pk}/change/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="content-editor-context"' in html
    for kind in LIVE_BLOCKS:
        assert f'name="articles_{kind._meta.model_name}_set-TOTAL_FORMS" value="1"' in html, kind
