"""The read API of discussions and readers (comments/api.py): the shapes, tombstones and what a signed-out client may
not see, cursor pages in every sort against the story page's own order, bad cursors, comment counts, 404s, the cache
headers and the query budget of a page of threads."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core import signing
from django.test import Client

from articles.models import Article
from comments import selectors, services
from comments.models import Comment
from newsroom.services import moderators_group
from tests.factories import ArticleFactory, CommentFactory, UserFactory

pytestmark = pytest.mark.django_db


def get(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, response.content
    return response.json()


def field_of(body) -> str:
    [error] = body["errors"]
    assert error["message"]
    return error["field"]


def as_status(comment: Comment, status: str) -> Comment:
    Comment.objects.filter(pk=comment.pk).update(status=status)
    comment.refresh_from_db()
    return comment


@pytest.fixture
def story(settings):
    """Three threads: the first has seven replies (two past the story page's five), the second a removed reply
    with a reply (a tombstone) and a deleted one without (gone), the third a reply held for moderation."""
    settings.COMMENTS_RATE_PER_MINUTE = 0
    settings.COMMENTS_REPLIES_PER_THREAD = 5
    article = ArticleFactory()
    first = CommentFactory(article=article, body="First thread")
    for n in range(7):
        CommentFactory(parent=first, body=f"Reply {n}")
    second = CommentFactory(article=article, body="Second thread")
    removed = CommentFactory(parent=second, body="Words a moderator took down")
    CommentFactory(parent=removed, body="A reply under the tombstone")
    moderator = UserFactory(is_staff=True)
    moderator.groups.add(moderators_group())
    services.comment_remove(comments=[removed], moderator=moderator, reason="Spam")
    deleted = CommentFactory(parent=second, body="Words its author took back")
    services.comment_delete(comment=deleted, user=deleted.author)
    third = CommentFactory(article=article, body="Third thread")
    held = as_status(CommentFactory(parent=third, body="Held for a moderator"), Comment.Status.PENDING)
    return {"article": article, "threads": [first, second, third], "removed": removed, "deleted": deleted, "held": held}


def test_a_storys_threads_have_the_pages_comments_in_tree_order_with_the_rest_counted(story, client):
    article = story["article"]
    body = get(client, f"/api/v1/stories/{article.pk}/comments/")
    assert body["story"]["id"] == article.pk and body["story"]["url"].endswith(article.get_absolute_url())
    assert body["sort"] == "oldest" and body["next_cursor"] is None
    assert [thread["id"] for thread in body["threads"]] == [c.pk for c in story["threads"]]
    first = body["threads"][0]
    assert [c["body_html"] for c in first["comments"]] == ["<p>First thread</p>"] + [
        f"<p>Reply {n}</p>" for n in range(5)
    ]
    assert first["more_replies"] == 2
    root = first["comments"][0]
    author = story["threads"][0].author
    assert root == {
        "id": story["threads"][0].pk,
        "parent_id": None,
        "depth": 0,
        "state": "published",
        "author": {
            "name": author.display_name,
            "handle": author.handle,
            "profile_url": f"http://testserver/@{author.handle}/",
            "staff": False,
            "story_author": False,
        },
        "created_at": root["created_at"],
        "edited_at": None,
        "body_html": "<p>First thread</p>",
        "like_count": 0,
        "reply_count": 7,
        "picked": False,
        "url": f"http://testserver/comments/{root['id']}/",
        "replies_url": f"http://testserver/api/v1/comments/{root['id']}/replies/",
    }
    assert root["created_at"].startswith(story["threads"][0].created_at.strftime("%Y-%m-%dT%H:%M:%S"))
    assert [c["depth"] for c in first["comments"]] == [0, 1, 1, 1, 1, 1]
    assert {c["parent_id"] for c in first["comments"][1:]} == {root["id"]}


def test_tombstones_say_nothing_and_name_no_one_and_held_comments_are_not_there(story, client):
    body = get(client, f"/api/v1/stories/{story['article'].pk}/comments/")
    second, third = body["threads"][1], body["threads"][2]
    tombstone = second["comments"][1]
    assert tombstone["id"] == story["removed"].pk and tombstone["state"] == "removed"
    assert tombstone["author"] is None and tombstone["body_html"] is None and tombstone["reply_count"] == 1
    assert second["comments"][2]["body_html"] == "<p>A reply under the tombstone</p>"
    # The deleted comment had no replies: gone, as on the page.
    assert story["deleted"].pk not in [c["id"] for c in second["comments"]]
    text = str(body)
    assert "Words a moderator" not in text and story["removed"].author.handle not in text
    assert "Held for a moderator" not in text and [c["id"] for c in third["comments"]] == [story["threads"][2].pk]
    for url in (f"/api/v1/comments/{story['held'].pk}/", f"/api/v1/comments/{story['held'].pk}/replies/"):
        assert field_of(get(client, url, 404)) is None


def test_a_held_comment_shows_to_its_own_author_signed_in_and_that_answer_is_private(story):
    author = Client()
    author.force_login(story["held"].author)
    response = author.get(f"/api/v1/stories/{story['article'].pk}/comments/")
    third = response.json()["threads"][2]
    assert [c["state"] for c in third["comments"]] == ["published", "pending"]
    assert "private" in response["Cache-Control"] and "Surrogate-Key" not in response
    # A reader with nothing a purge names (no picks): private, and no key, for them as for anyone.
    for client, cache in ((author, "private"), (Client(), "public")):
        response = client.get(f"/api/v1/readers/{story['held'].author.handle}/")
        assert response.status_code == 200 and "Surrogate-Key" not in response
        assert response["Cache-Control"].startswith(cache)


def test_signed_out_answers_are_shared_under_the_storys_surrogate_key(story, client):
    article, root = story["article"], story["threads"][0]
    for url in (
        f"/api/v1/stories/{article.pk}/comments/",
        f"/api/v1/comments/{root.pk}/",
        f"/api/v1/comments/{root.pk}/replies/",
        f"/api/v1/readers/{root.author.handle}/comments/",
        f"/api/v1/comment-counts/?story={article.pk}",
    ):
        response = client.get(url)
        assert "public" in response["Cache-Control"] and "s-maxage" in response["Cache-Control"], url
        assert response["Surrogate-Key"] == article.surrogate_key, url
    # The same key as the discussion's own pages, which every comment write purges.
    assert client.get(f"/comments/story/{article.pk}/")["Surrogate-Key"] == article.surrogate_key


def every_page(client, url: str) -> list[dict]:
    pages, cursor = [], None
    while True:
        body = get(client, url + (f"&cursor={cursor}" if cursor else ""))
        pages.append(body)
        cursor = body["next_cursor"]
        if cursor is None:
            return pages


@pytest.mark.parametrize("sort", ["oldest", "newest", "liked"])
def test_cursor_pages_follow_the_story_pages_order_in_every_sort(sort, settings, client):
    settings.COMMENTS_THREADS_PER_PAGE = 3
    settings.COMMENTS_RATE_PER_MINUTE = settings.COMMENTS_LIKES_PER_MINUTE = 0
    article = ArticleFactory()
    roots = [CommentFactory(article=article, body=f"Thread {n}") for n in range(8)]
    for n, root in enumerate(roots[2:6]):  # ties in likes are ordered by time, as on the page
        for _ in range(n % 2 + 1):
            services.comment_like(comment=root, user=UserFactory())
    CommentFactory(parent=roots[4])
    pages = every_page(client, f"/api/v1/stories/{article.pk}/comments/?sort={sort}")
    assert [len(page["threads"]) for page in pages] == [3, 3, 2]
    shown = [thread["id"] for page in pages for thread in page["threads"]]
    expected = []
    for number in (1, 2, 3):
        threads = selectors.story_threads(article=article, user=AnonymousUser(), sort=sort, page=number)
        expected += [c.pk for c in threads.comments if c.parent_id is None]
    assert shown == expected and len(set(shown)) == 8


def test_the_newsroom_view_pages_the_threads_the_newsroom_replied_in(settings, client):
    settings.COMMENTS_THREADS_PER_PAGE = 1
    article = ArticleFactory()
    staff = UserFactory(is_staff=True)
    roots = [CommentFactory(article=article) for _ in range(3)]
    for root in (roots[0], roots[2]):
        CommentFactory(parent=root, author=staff)
    pages = every_page(client, f"/api/v1/stories/{article.pk}/comments/?sort=newsroom")
    assert [thread["id"] for page in pages for thread in page["threads"]] == [roots[0].pk, roots[2].pk]
    assert pages[0]["threads"][0]["comments"][1]["author"]["staff"] is True


def test_bad_cursors_and_sorts_are_400s_and_422s_naming_the_field(story, settings, client):
    settings.COMMENTS_THREADS_PER_PAGE = 1
    article = story["article"]
    url = f"/api/v1/stories/{article.pk}/comments/"
    cursor = get(client, url)["next_cursor"]
    assert get(client, f"{url}?cursor={cursor}")["threads"][0]["id"] == story["threads"][1].pk
    other = ArticleFactory()
    CommentFactory(article=other)
    CommentFactory(article=other)
    other_cursor = get(client, f"/api/v1/stories/{other.pk}/comments/")["next_cursor"]
    forged = signing.Signer(salt="someone else").sign_object(["threads:oldest", article.pk, 0, 0, 0])
    tampered = cursor[:-2] + ("AA" if not cursor.endswith("AA") else "BB")
    for bad in ("x", "", "1.2", tampered, forged, other_cursor, "a" * 400, "%E2%80%94"):
        assert field_of(get(client, f"{url}?cursor={bad}", 400)) == "cursor", bad
    # A cursor of one sort is not one of another's.
    assert field_of(get(client, f"{url}?sort=newest&cursor={cursor}", 400)) == "cursor"
    assert field_of(get(client, f"{url}?sort=picks", 422)) == "sort"
    assert field_of(get(client, "/api/v1/stories/abc/comments/", 422)) == "story_id"


def test_unknown_and_unpublished_stories_comments_and_readers_are_404s(story, client):
    draft = ArticleFactory()
    comment = CommentFactory(article=draft)
    Article.objects.filter(pk=draft.pk).update(status=Article.Status.DRAFT)
    closed = UserFactory(is_active=False)
    for url in (
        "/api/v1/stories/999999/comments/",
        f"/api/v1/stories/{draft.pk}/comments/",
        f"/api/v1/comments/{comment.pk}/",
        f"/api/v1/comments/{comment.pk}/replies/",
        f"/api/v1/comments/{story['deleted'].pk}/",
        "/api/v1/comments/999999/",
        "/api/v1/comments/99999999999999999999999/",  # past a bigint: no such comment, not a database error
        "/api/v1/stories/99999999999999999999/comments/",
        "/api/v1/readers/nobody_here/",
        f"/api/v1/readers/{closed.handle}/comments/",
    ):
        body = get(client, url, 404)
        assert field_of(body) is None and body["errors"][0]["message"], url


def test_a_comment_with_its_story_thread_and_ancestors(story, client):
    removed = story["removed"]
    reply = Comment.objects.get(parent=removed)
    body = get(client, f"/api/v1/comments/{reply.pk}/")
    assert body["comment"]["body_html"] == "<p>A reply under the tombstone</p>" and body["comment"]["depth"] == 2
    assert body["story"]["id"] == story["article"].pk
    assert body["thread_id"] == story["threads"][1].pk
    assert body["ancestor_ids"] == [story["threads"][1].pk, removed.pk]
    # The tombstone itself: there, wordless.
    tombstone = get(client, f"/api/v1/comments/{removed.pk}/")["comment"]
    assert tombstone["state"] == "removed" and tombstone["body_html"] is None and tombstone["author"] is None


def test_replies_page_by_cursor_in_tree_order(settings, client):
    settings.COMMENTS_THREAD_PER_PAGE = 3
    settings.COMMENTS_RATE_PER_MINUTE = 0
    root = CommentFactory(body="Root")
    replies = []
    for n in range(4):
        replies.append(CommentFactory(parent=root, body=f"Reply {n}"))
        replies.append(CommentFactory(parent=replies[-1], body=f"Answer {n}"))
    pages = every_page(client, f"/api/v1/comments/{root.pk}/replies/?")
    assert [len(page["replies"]) for page in pages] == [2, 3, 3]  # the first page holds the root itself
    assert [c["id"] for page in pages for c in page["replies"]] == [c.pk for c in replies]
    cursor = pages[0]["next_cursor"]
    assert field_of(get(client, f"/api/v1/comments/{replies[0].pk}/replies/?cursor={cursor}", 400)) == "cursor"


def test_a_readers_profile_and_comments_by_cursor(settings, client):
    settings.COMMENTS_RATE_PER_MINUTE = 0
    settings.COMMENTS_CLOSE_AFTER_DAYS = 0
    member = UserFactory(handle="Marta_K", display_name="Marta K.")
    article = ArticleFactory()
    mine = [
        CommentFactory(article=article, author=member, body=f"Mine {n}")
        for n in range(selectors.PROFILE_COMMENTS_PER_PAGE + 3)
    ]
    as_status(mine[0], Comment.Status.REMOVED)
    moderator = UserFactory(is_staff=True)
    moderator.groups.add(moderators_group())
    services.comment_pick(comment=mine[1], by=moderator)
    profile = get(client, "/api/v1/readers/marta_k/")
    assert profile["handle"] == "Marta_K" and profile["name"] == "Marta K." and profile["unclaimed"] is False
    assert profile["comment_count"] == len(mine) - 1 and profile["comment_count_capped"] is False
    assert [pick["id"] for pick in profile["picks"]] == [mine[1].pk]
    assert profile["picks"][0]["story"]["headline"] == article.headline
    pages = every_page(client, profile["comments_url"].removeprefix("http://testserver") + "?")
    assert [len(page["comments"]) for page in pages] == [selectors.PROFILE_COMMENTS_PER_PAGE, 2]
    assert [c["id"] for page in pages for c in page["comments"]] == [c.pk for c in reversed(mine[1:])]
    other = get(client, f"/api/v1/readers/{UserFactory().handle}/comments/")
    assert other["comments"] == [] and other["next_cursor"] is None
    url = f"/api/v1/readers/{UserFactory().handle}/comments/?cursor={pages[0]['next_cursor']}"
    assert field_of(get(client, url, 400)) == "cursor"


def test_comment_counts_for_many_stories_in_one_query(client, django_assert_num_queries):
    stories = [ArticleFactory() for _ in range(3)]
    for n, article in enumerate(stories):
        for _ in range(n):
            CommentFactory(article=article)
    draft = ArticleFactory(status=Article.Status.DRAFT, publish_at=None)
    query = "&".join(f"story={pk}" for pk in [stories[2].pk, stories[0].pk, draft.pk, 999999, stories[1].pk])
    with django_assert_num_queries(1):
        body = get(client, f"/api/v1/comment-counts/?{query}")
    assert body["counts"] == [
        {"story": stories[2].pk, "count": 2},
        {"story": stories[0].pk, "count": 0},
        {"story": stories[1].pk, "count": 1},
    ]
    assert len(get(client, "/api/v1/comment-counts/?" + "&".join(["story=1"] * 100))["counts"]) <= 1
    too_many = "&".join(f"story={n}" for n in range(101))
    for bad in (too_many, "story=abc", "story=-1", "story=1e3", ""):
        assert field_of(get(client, f"/api/v1/comment-counts/?{bad}", 422)) == "story", bad


def test_a_first_page_of_threads_costs_the_same_queries_for_any_number_of_comments(
    settings, client, django_assert_max_num_queries
):
    settings.COMMENTS_RATE_PER_MINUTE = 0
    article = ArticleFactory()
    url = f"/api/v1/stories/{article.pk}/comments/"
    CommentFactory(article=article)
    with django_assert_max_num_queries(5) as small:
        get(client, url)
    for _ in range(settings.COMMENTS_THREADS_PER_PAGE + 2):
        root = CommentFactory(article=article)
        for _ in range(3):
            CommentFactory(parent=CommentFactory(parent=root))
    with django_assert_max_num_queries(len(small.captured_queries)):
        body = get(client, url)
    assert len(body["threads"]) == settings.COMMENTS_THREADS_PER_PAGE and body["next_cursor"]
    with django_assert_max_num_queries(len(small.captured_queries)):
        get(client, f"{url}?cursor={body['next_cursor']}&sort=oldest")


def test_the_schema_describes_every_operation_of_the_discussions(client):
    paths = get(client, "/api/v1/schema/")["paths"]
    for path in (
        "/api/v1/stories/{story_id}/comments/",
        "/api/v1/comments/{comment_id}/",
        "/api/v1/comments/{comment_id}/replies/",
        "/api/v1/readers/{handle}/",
        "/api/v1/readers/{handle}/comments/",
        "/api/v1/comment-counts/",
    ):
        assert "get" in paths[path], path
