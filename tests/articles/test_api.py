"""The stories API (articles/api.py) and what the whole API shares (newsroom/api.py): filters, cursor pages, the
story with its body, errors, caching headers, ETags, CORS and the per-client rate limit."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from articles.models import Article, HeadingBlock, TextBlock
from tests.factories import (
    ArticleFactory,
    AuthorFactory,
    CommentFactory,
    LeadImageFactory,
    MoreBlockFactory,
    SectionFactory,
    TagFactory,
    add_blocks,
    story_with_every_block,
)

pytestmark = pytest.mark.django_db

STORIES = "/api/v1/stories/"


def story_at(hours_ago: float, **fields) -> Article:
    return ArticleFactory(publish_at=timezone.now() - timedelta(hours=hours_ago), **fields)


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


def the_error(response, status: int) -> dict:
    assert response.status_code == status, response.content
    (error,) = response.json()["errors"]
    return error


# ---------------------------------------------------------------------------------------------------------------
# The list: published only, newest first, filters
# ---------------------------------------------------------------------------------------------------------------
def test_lists_published_stories_newest_first(client):
    old, new = story_at(5), story_at(1)
    story_at(2, status=Article.Status.DRAFT)
    story_at(-3)  # scheduled
    assert ids(client.get(STORIES)) == [new.pk, old.pk]


def test_a_story_in_the_list_has_its_section_authors_and_lead_image(client):
    author = AuthorFactory(name="Ana Reyes", slug="ana-reyes")
    story = ArticleFactory(authors=[author], headline="The harbour reopens")
    LeadImageFactory(article=story, caption="Boats at dawn.", credit="Agency / Photographer")
    (item,) = client.get(STORIES).json()["items"]
    assert item["headline"] == "The harbour reopens"
    assert item["url"] == f"http://testserver{story.get_absolute_url()}"
    assert item["section"]["slug"] == story.section.slug
    assert [a["name"] for a in item["authors"]] == ["Ana Reyes"]
    assert item["authors"][0]["url"] == "http://testserver/author/ana-reyes/"
    lead = item["lead_image"]
    assert (lead["caption"], lead["credit"]) == ("Boats at dawn.", "Agency / Photographer")
    assert {(r["crop"], r["format"]) for r in lead["renditions"]} >= {
        ("full", "JPEG"),
        ("full", "WEBP"),
        ("16x9", "JPEG"),
    }
    assert all(r["url"].startswith("http://testserver/media/renditions/") for r in lead["renditions"])


def test_filters_by_section_tag_and_author(client):
    world, sport = SectionFactory(slug="world"), SectionFactory(slug="sport")
    tag, author = TagFactory(slug="floods"), AuthorFactory(slug="ana-reyes")
    in_world = story_at(1, section=world, authors=[author])
    in_sport = story_at(2, section=sport)
    in_sport.tags.add(tag)
    assert ids(client.get(STORIES, {"section": "world"})) == [in_world.pk]
    assert ids(client.get(STORIES, {"tag": "floods"})) == [in_sport.pk]
    assert ids(client.get(STORIES, {"author": "ana-reyes"})) == [in_world.pk]
    assert ids(client.get(STORIES, {"section": "sport", "author": "ana-reyes"})) == []


@pytest.mark.parametrize("name", ["section", "tag", "author"])
def test_an_unknown_slug_is_a_404_naming_the_filter(client, name):
    error = the_error(client.get(STORIES, {name: "nowhere"}), 404)
    assert error["field"] == name


def test_an_unknown_parameter_is_a_400_naming_it(client):
    assert the_error(client.get(STORIES, {"sectoin": "world"}), 400)["field"] == "sectoin"


def test_filters_by_publication_time(client):
    a, b, c = story_at(72), story_at(48), story_at(1)
    two_days_ago = (timezone.now() - timedelta(hours=50)).isoformat()
    assert ids(client.get(STORIES, {"published_after": two_days_ago})) == [c.pk, b.pk]
    assert ids(client.get(STORIES, {"published_before": two_days_ago})) == [a.pk]
    # A date alone is its midnight.
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    assert ids(client.get(STORIES, {"published_before": tomorrow})) == [c.pk, b.pk, a.pk]


@pytest.mark.parametrize("value", ["yesterday", "2026-13-01", "0001-01-01T00:00:00+23:59"])
def test_a_bad_time_is_a_422_naming_the_field(client, value):
    assert the_error(client.get(STORIES, {"published_after": value}), 422)["field"] == "published_after"


@pytest.mark.parametrize("limit", ["0", "101", "-1", "ten", "99999999999999999999999"])
def test_a_limit_out_of_range_is_a_422_naming_limit(client, limit):
    assert the_error(client.get(STORIES, {"limit": limit}), 422)["field"] == "limit"


# ---------------------------------------------------------------------------------------------------------------
# Cursor pages
# ---------------------------------------------------------------------------------------------------------------
def test_cursor_pages_walk_the_whole_list_once(client):
    moment = timezone.now() - timedelta(hours=1)
    # Five at one time: the id breaks the tie, so no page repeats or skips a story.
    stories = [ArticleFactory(publish_at=moment) for _ in range(5)] + [story_at(3), story_at(4)]
    seen, url, pages = [], f"{STORIES}?limit=3", 0
    while url:
        response = client.get(url)
        seen += ids(response)
        url = response.json()["next"]
        pages += 1
    assert pages == 3
    assert seen == [s.pk for s in sorted(stories, key=lambda s: (s.publish_at, s.pk), reverse=True)]


def test_a_story_published_meanwhile_shifts_no_page(client):
    older = [story_at(hours) for hours in (1, 2, 3, 4)]
    first = client.get(STORIES, {"limit": 2}).json()
    story_at(0.5)  # published between the two pages
    assert ids(client.get(first["next"])) == [older[2].pk, older[3].pk]


def test_the_next_address_keeps_the_filters(client):
    section = SectionFactory(slug="world")
    first, second = story_at(1, section=section), story_at(2, section=section)
    story_at(1.5)  # another section
    page = client.get(STORIES, {"section": "world", "limit": 1}).json()
    assert "section=world" in page["next"] and "limit=1" in page["next"]
    assert [item["id"] for item in page["items"]] == [first.pk]
    assert ids(client.get(page["next"])) == [second.pk]
    assert client.get(page["next"]).json()["next"] is None


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "",
        "1764700000000000.5",  # a position, but not one we signed
        "IjE3NjQ3MDAwMDAwMDAwMDAuNSI:forgedsignature",
        "\u00e9\u00e9:\u00e9",
    ],
)
def test_a_bad_or_forged_cursor_is_a_400_naming_cursor(client, cursor):
    story_at(1)
    assert the_error(client.get(STORIES, {"cursor": cursor}), 400)["field"] == "cursor"


def test_a_cursor_signed_around_something_else_is_refused(client):
    from django.core import signing

    forged = signing.Signer(salt="articles.api.cursor").sign_object(["not", "a", "position"])
    assert the_error(client.get(STORIES, {"cursor": forged}), 400)["field"] == "cursor"


# ---------------------------------------------------------------------------------------------------------------
# One story
# ---------------------------------------------------------------------------------------------------------------
def test_a_story_has_its_body_blocks_in_order_rendered_as_the_site_does(client):
    story = story_with_every_block(headline="The harbour reopens")
    data = client.get(f"{STORIES}{story.pk}/").json()
    assert data["headline"] == "The harbour reopens"
    kinds = [block["kind"] for block in data["body"]]
    assert kinds == ["text", "heading", "quote", "quote", "list", "list", "image", "gallery", "more", "embed", "text"]
    text, heading = data["body"][0], data["body"][1]
    assert text["html"] == (
        '<p>The harbour reopened on <em>Monday</em> after <a href="https://example.org/">repairs</a>.</p>'
    )
    assert heading["html"] == '<h2 class="story__subhead">What changes for fishermen</h2>'
    image = data["body"][6]
    assert image["image"]["alt_text"] == "A crane lifts a block of stone"
    assert image["image"]["renditions"] and 'src="http://testserver/media/' in image["html"]
    (more,) = data["more"]
    assert more["text"] == "The sea wall vote, explained"
    assert more["url"].startswith("http://testserver/") and more["story_id"] is not None
    assert 'href="http://testserver/' in data["body"][8]["html"]
    # An embed is its link card, without the player's button (as in the feeds).
    assert "youtube.com" in data["body"][9]["html"] and "embed__play" not in data["body"][9]["html"]


def test_a_story_has_its_tags_and_comment_count(client):
    story = ArticleFactory()
    story.tags.add(TagFactory(name="Floods", slug="floods"))
    CommentFactory(article=story)
    CommentFactory(article=story)
    data = client.get(f"{STORIES}{story.pk}/").json()
    assert [(tag["name"], tag["url"]) for tag in data["tags"]] == [("Floods", "http://testserver/tag/floods/")]
    assert data["comment_count"] == 2


def test_a_story_without_comments_counts_none(client):
    assert client.get(f"{STORIES}{ArticleFactory().pk}/").json()["comment_count"] == 0


def test_a_more_link_to_a_story_not_published_is_left_out(client):
    story = ArticleFactory()
    MoreBlockFactory(parent=story, target=ArticleFactory(status=Article.Status.DRAFT))
    data = client.get(f"{STORIES}{story.pk}/").json()
    assert data["more"] == [] and [block["kind"] for block in data["body"]] == ["text"]


@pytest.mark.parametrize("status", [Article.Status.DRAFT, Article.Status.REVIEW])
def test_an_unpublished_story_is_a_404_in_json(client, status):
    story = ArticleFactory(status=status)
    assert the_error(client.get(f"{STORIES}{story.pk}/"), 404)["field"] == "story_id"


def test_a_scheduled_story_is_a_404_even_for_staff(client, editor_client):
    story = story_at(-2)
    assert editor_client.get(f"{STORIES}{story.pk}/").status_code == 404


@pytest.mark.parametrize("story_id", ["0", "-1", "99999999999999999999999", "abc"])
def test_an_id_that_names_no_story_is_a_4xx_in_json(client, story_id):
    response = client.get(f"{STORIES}{story_id}/")
    assert response.status_code in (404, 422)
    assert response.json()["errors"][0]["message"]


def test_an_address_the_api_does_not_have_is_a_404_in_the_error_shape(client):
    assert the_error(client.get("/api/v1/nothing-here/"), 404)["field"] is None
    csrf_checked = Client(enforce_csrf_checks=True)
    assert the_error(csrf_checked.post("/api/v2/stories/", {}), 404)["field"] is None


def test_a_control_character_is_a_400_in_the_error_shape(client):
    error = the_error(client.get(STORIES, {"section": "world\x00"}), 400)
    assert "control character" in error["message"]


def test_a_server_error_under_the_api_is_json(rf):
    from newsroom.views import server_error

    response = server_error(rf.get(STORIES))
    assert response.status_code == 500 and response["Content-Type"] == "application/json"
    assert json.loads(response.content)["errors"][0]["message"]


def test_the_story_answer_costs_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    story = story_with_every_block()
    add_blocks(story, HeadingBlock(text="More"), TextBlock(text="<p>More words.</p>"))
    LeadImageFactory(article=story)
    # The story with its bylines and tags (3), one query per kind of block (8), the gallery's pictures, the session.
    with django_assert_max_num_queries(14):
        assert client.get(f"{STORIES}{story.pk}/").status_code == 200


def test_the_list_costs_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    for hours in range(30):
        LeadImageFactory(article=story_at(hours + 1, authors=[AuthorFactory(), AuthorFactory()]))
    with django_assert_max_num_queries(4):
        assert len(ids(client.get(STORIES, {"limit": 25}))) == 25


# ---------------------------------------------------------------------------------------------------------------
# Sections and authors
# ---------------------------------------------------------------------------------------------------------------
def test_sections_in_their_order(client):
    SectionFactory(name="Sport", slug="sport", order=2)
    SectionFactory(name="World", slug="world", order=1)
    response = client.get("/api/v1/sections/")
    assert [s["slug"] for s in response.json()] == ["world", "sport"]
    assert response.json()[0]["url"] == "http://testserver/world/"


def test_authors_and_one_author(client):
    AuthorFactory(name="Bea Ortiz", slug="bea-ortiz", bio="Covers the port.")
    AuthorFactory(name="Ana Reyes", slug="ana-reyes")
    assert [a["slug"] for a in client.get("/api/v1/authors/").json()] == ["ana-reyes", "bea-ortiz"]
    author = client.get("/api/v1/authors/bea-ortiz/").json()
    assert (author["name"], author["bio"], author["url"]) == (
        "Bea Ortiz",
        "Covers the port.",
        "http://testserver/author/bea-ortiz/",
    )
    assert the_error(client.get("/api/v1/authors/nobody/"), 404)["field"] == "slug"


# ---------------------------------------------------------------------------------------------------------------
# Caching: Cache-Control and surrogate keys as the pages have them, ETags and 304s
# ---------------------------------------------------------------------------------------------------------------
def test_signed_out_answers_are_kept_by_the_edge_under_the_pages_keys(client, settings):
    section = SectionFactory(slug="world")
    story = ArticleFactory(section=section)
    response = client.get(f"{STORIES}{story.pk}/")
    assert f"s-maxage={settings.HTTP_SHARED_MAX_AGE}" in response["Cache-Control"]
    assert "public" in response["Cache-Control"]
    # The story page's keys: a story edit or any comment write (story-<id>) purges the answer too.
    assert response["Surrogate-Key"].split() == [f"story-{story.pk}", f"section-{section.pk}"]
    listed = client.get(STORIES, {"section": "world"})
    assert listed["Surrogate-Key"].split() == [f"section-{section.pk}", "stories"]
    assert client.get(STORIES)["Surrogate-Key"] == "stories"


def test_signed_in_answers_are_private(client):
    story = ArticleFactory()
    from tests.factories import UserFactory

    client.force_login(UserFactory())
    response = client.get(f"{STORIES}{story.pk}/")
    assert "private" in response["Cache-Control"] and "Surrogate-Key" not in response


def test_errors_are_not_kept_by_the_edge(client):
    response = client.get(f"{STORIES}12345/")
    assert response.status_code == 404 and "Surrogate-Key" not in response


@pytest.mark.parametrize("gzip", [False, True])
def test_an_unchanged_answer_is_a_304_for_its_etag(client, gzip):
    story = ArticleFactory()
    headers = {"HTTP_ACCEPT_ENCODING": "gzip"} if gzip else {}
    # Long enough for GZip to compress, whose random padding changes the bytes every time.
    add_blocks(story, *[TextBlock(text=f"<p>Paragraph {n} of a long story about the harbour.</p>") for n in range(40)])
    first = client.get(f"{STORIES}{story.pk}/", **headers)
    etag = first["ETag"]
    assert (first.get("Content-Encoding") == "gzip") is gzip
    again = client.get(f"{STORIES}{story.pk}/", HTTP_IF_NONE_MATCH=etag, **headers)
    assert again.status_code == 304 and again.content == b""
    # GZip marks a compressed answer's tag weak (W/); the 304 has nothing to compress: the same tag, strong.
    assert again["ETag"] == etag.removeprefix("W/") and "s-maxage" in again["Cache-Control"]
    # Any change to what the answer holds is a new tag, and the whole answer.
    Article.objects.filter(pk=story.pk).update(headline="A new headline")
    changed = client.get(f"{STORIES}{story.pk}/", HTTP_IF_NONE_MATCH=etag, **headers)
    assert changed.status_code == 200 and changed["ETag"] != etag


def test_site_pages_get_no_etag_from_the_api_middleware(client):
    assert "ETag" not in client.get("/robots.txt")


# ---------------------------------------------------------------------------------------------------------------
# CORS
# ---------------------------------------------------------------------------------------------------------------
@pytest.fixture
def cors_origin(settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
    return "https://app.example.com"


def test_an_allowed_origin_may_read_the_api(client, cors_origin):
    response = client.get(STORIES, HTTP_ORIGIN=cors_origin)
    assert response["Access-Control-Allow-Origin"] == cors_origin
    assert "ETag" in response["Access-Control-Expose-Headers"]
    assert "origin" in response["Vary"].lower()


def test_an_allowed_origin_gets_its_preflight_answered(client, cors_origin):
    response = client.options(STORIES, HTTP_ORIGIN=cors_origin, HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET")
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == cors_origin


def test_another_origin_is_refused(client, cors_origin):
    response = client.get(STORIES, HTTP_ORIGIN="https://evil.example.net")
    assert "Access-Control-Allow-Origin" not in response


def test_cors_is_for_the_api_only(client, cors_origin):
    assert "Access-Control-Allow-Origin" not in client.get("/robots.txt", HTTP_ORIGIN=cors_origin)


def test_no_origin_is_allowed_by_default(client, settings):
    assert settings.API_CORS_ORIGINS == settings.CORS_ALLOWED_ORIGINS == []
    assert "Access-Control-Allow-Origin" not in client.get(STORIES, HTTP_ORIGIN="https://app.example.com")


# ---------------------------------------------------------------------------------------------------------------
# Rate limits per client
# ---------------------------------------------------------------------------------------------------------------
def test_a_client_over_its_limit_gets_a_429_with_retry_after(client, settings):
    settings.API_RATE_PER_MINUTE = 3
    for _ in range(3):
        assert client.get("/api/v1/sections/").status_code == 200
    response = client.get(STORIES)
    error = the_error(response, 429)
    assert error["field"] is None and error["message"]
    assert 1 <= int(response["Retry-After"]) <= 60
    assert "Surrogate-Key" not in response


def test_the_limit_is_per_address(client, settings):
    settings.API_RATE_PER_MINUTE = 1
    assert client.get(STORIES, REMOTE_ADDR="10.0.0.1").status_code == 200
    assert client.get(STORIES, REMOTE_ADDR="10.0.0.1").status_code == 429
    assert client.get(STORIES, REMOTE_ADDR="10.0.0.2").status_code == 200


def test_an_authenticated_client_is_counted_by_its_token_not_its_address(rf, settings):
    from newsroom.api import ClientThrottle

    class Token:
        def __init__(self, pk):
            self.pk = pk

    settings.API_RATE_PER_MINUTE = 1
    throttle = ClientThrottle()
    first, second, anonymous = rf.get(STORIES), rf.get(STORIES), rf.get(STORIES)
    first.auth, second.auth = Token(1), Token(2)
    assert throttle.allow_request(first) and throttle.allow_request(second) and throttle.allow_request(anonymous)
    again = rf.get(STORIES)
    again.auth = Token(1)
    assert not throttle.allow_request(again)
    assert 1 <= throttle.wait() <= 60


def test_when_the_cache_cannot_count_reads_go_through(client, settings, monkeypatch):
    from newsroom import ratelimit

    settings.API_RATE_PER_MINUTE = 1
    monkeypatch.setattr(
        ratelimit, "hit", lambda *args, **kwargs: ratelimit.Limit(allowed=False, retry_after=30, unavailable=True)
    )
    assert client.get(STORIES).status_code == 200
    assert client.get(STORIES).status_code == 200
