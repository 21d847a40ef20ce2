"""Live "N new comments": the poll's count and the fragment of new comments, with every bad input answered in JSON."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from articles.models import Article
from comments import services
from comments.models import Comment, Discussion
from tests.factories import ArticleFactory, CommentFactory, UserFactory, report

pytestmark = pytest.mark.django_db


def since(article_pk, version, **query):
    return reverse("comments:live_since", kwargs={"article_pk": article_pk, "version": version})


def new(article_pk, version):
    return reverse("comments:live_new", kwargs={"article_pk": article_pk, "version": version})


def version_of(article) -> int:
    return Discussion.of(article).version


def poll(client, article, version, **query):
    response = client.get(since(article.pk, version), query)
    assert response.status_code == 200, response.content
    return response.json()


def test_a_comment_carries_the_version_its_post_gave_the_discussion():
    article = ArticleFactory()
    first = CommentFactory(article=article)
    reply = CommentFactory(parent=first)
    assert (first.version, reply.version) == (1, 2) == (Comment.objects.get(pk=first.pk).version, version_of(article))
    assert Comment.objects.get(pk=reply.pk).version == 2


def test_nothing_new_answers_zero_at_the_current_version(client):
    article = ArticleFactory()
    CommentFactory(article=article)
    assert poll(client, article, version_of(article)) == {"version": 1, "new": 0, "many": False, "refresh": False}


def test_a_story_nobody_commented_on_is_at_version_zero(client):
    article = ArticleFactory()
    assert poll(client, article, 0) == {"version": 0, "new": 0, "many": False, "refresh": False}


def test_new_comments_and_replies_are_counted_since_the_asked_version(client):
    article = ArticleFactory()
    root = CommentFactory(article=article)
    at = version_of(article)
    CommentFactory(article=article)
    CommentFactory(parent=root)
    services.comment_like(comment=root, user=UserFactory())  # moves the version, adds no comment
    answer = poll(client, article, at)
    assert answer == {"version": at + 3, "new": 2, "many": False, "refresh": False}
    assert poll(client, article, 0)["new"] == 3


def test_past_the_cap_the_answer_is_many(client, settings):
    settings.COMMENTS_LIVE_CAP = 3
    article = ArticleFactory()
    for _ in range(3):
        CommentFactory(article=article)
    assert poll(client, article, 0) == {"version": 3, "new": 3, "many": False, "refresh": False}
    CommentFactory(article=article)
    assert poll(client, article, 0) == {"version": 4, "new": 3, "many": True, "refresh": False}
    assert poll(client, article, 1)["many"] is False


def test_pending_comments_are_not_counted_until_approved(client, settings):
    settings.COMMENTS_PREMODERATE_FIRST = 1
    article = ArticleFactory()
    held = CommentFactory(article=article)
    assert held.status == Comment.Status.PENDING
    at = version_of(article)
    assert poll(client, article, 0)["new"] == 0
    services.comment_approve(comments=[held], moderator=UserFactory(is_staff=True))
    held.refresh_from_db()
    # The approval made it visible now, so it is new for a page rendered before it, whenever it was posted.
    assert held.version == version_of(article) == at + 1
    assert poll(client, article, at) == {"version": at + 1, "new": 1, "many": False, "refresh": False}


def test_approving_a_reported_comment_that_stayed_up_does_not_make_it_new(client):
    article = ArticleFactory()
    comment = CommentFactory(article=article)
    report(comment)
    at = version_of(article)
    services.comment_approve(comments=[comment], moderator=UserFactory(is_staff=True))
    assert Comment.objects.get(pk=comment.pk).version == 1
    assert poll(client, article, at)["new"] == 0


def test_removed_and_deleted_comments_are_not_counted(client):
    article = ArticleFactory()
    removed, deleted, kept = (CommentFactory(article=article) for _ in range(3))
    services.comment_remove(comments=[removed], moderator=UserFactory(is_staff=True), reason="Spam")
    services.comment_delete(comment=deleted, user=deleted.author)
    assert poll(client, article, 0)["new"] == 1
    assert kept.version == 3


def test_the_thread_variant_counts_the_replies_under_that_comment(client):
    article = ArticleFactory()
    root, other = CommentFactory(article=article), CommentFactory(article=article)
    child = CommentFactory(parent=root)
    at = version_of(article)
    CommentFactory(parent=child)
    CommentFactory(parent=root)
    CommentFactory(parent=other)
    CommentFactory(article=article)
    assert poll(client, article, at, thread=root.pk)["new"] == 2
    assert poll(client, article, at, thread=child.pk)["new"] == 1
    assert poll(client, article, at)["new"] == 4
    response = client.get(since(article.pk, at), {"thread": 10**9})
    assert response.status_code == 404 and "error" in response.json()


@pytest.mark.parametrize("version", ["abc", "-1", "1.5", "1e3", "９", "99999999999999999999999", "%20", "0x10", " 1"])
def test_garbage_versions_answer_400_in_json(client, version):
    article = ArticleFactory()
    for url in (since(article.pk, version), new(article.pk, version)):
        response = client.get(url)
        assert response.status_code == 400
        assert response["Content-Type"] == "application/json"
        assert response.json()["refresh"] is True and response.json()["error"]
        assert "private" in response["Cache-Control"]


def test_a_version_from_the_future_asks_for_a_refresh(client):
    article = ArticleFactory()
    CommentFactory(article=article)
    for url in (since(article.pk, 2), new(article.pk, 2), since(article.pk, 10**17)):
        response = client.get(url)
        assert response.status_code == 400
        assert response.json() == {"error": "This page is newer than the discussion we have: refresh the page.",
                                   "refresh": True}  # fmt: skip


@pytest.mark.parametrize(
    "make",
    [
        lambda: 10**9,
        lambda: "abc",
        lambda: "99999999999999999999999",
        lambda: ArticleFactory(status=Article.Status.DRAFT).pk,
        lambda: ArticleFactory(publish_at=timezone.now() + timedelta(days=1)).pk,
    ],
    ids=["unknown", "garbage", "past-bigint", "draft", "scheduled"],
)
def test_unknown_or_unpublished_stories_answer_404_in_json(client, make):
    pk = make()
    for url in (since(pk, 0), new(pk, 0)):
        response = client.get(url)
        assert response.status_code == 404
        assert response.json() == {"error": "There is no such story, or it is not published."}


def test_a_bad_thread_id_answers_400(client):
    article = ArticleFactory()
    response = client.get(since(article.pk, 0), {"thread": "x"})
    assert response.status_code == 400 and response.json()["error"]


def test_an_unchanged_poll_is_one_query(client, django_assert_max_num_queries):
    article = ArticleFactory()
    for _ in range(5):
        CommentFactory(article=article)
    current = version_of(article)
    with django_assert_max_num_queries(1):
        assert poll(client, article, current)["new"] == 0
    with django_assert_max_num_queries(1):
        assert poll(client, article, current, thread=1)["new"] == 0
    with django_assert_max_num_queries(2):
        assert poll(client, article, 0)["new"] == 5


def test_the_poll_is_shared_by_every_reader_at_the_edge(client, settings):
    settings.LIVE_SHARED_SECONDS = 5
    article = ArticleFactory()
    CommentFactory(article=article)
    signed_out = client.get(since(article.pk, 0))
    client.force_login(UserFactory())
    signed_in = client.get(since(article.pk, 0))
    for response in (signed_out, signed_in):
        directives = {part.strip() for part in response["Cache-Control"].split(",")}
        assert {"public", "max-age=0", "s-maxage=5"} <= directives
        assert response["Surrogate-Key"] == f"story-{article.pk}"
        assert not response.cookies
    assert signed_out.content == signed_in.content
    assert len(signed_out.content) < 100


def test_the_fragment_renders_the_new_comments_with_replies_saying_whom_they_answer(client):
    article = ArticleFactory()
    alex = UserFactory(handle="alex")
    root = CommentFactory(article=article, author=alex, body="The first.")
    at = version_of(article)
    reply = CommentFactory(parent=root, body="A reply.")
    top = CommentFactory(article=article, body="Another thread.")
    response = client.get(new(article.pk, at))
    assert response.status_code == 200
    assert response["X-Live-Version"] == str(version_of(article))
    assert response["Surrogate-Key"] == f"story-{article.pk}"
    html = response.content.decode()
    assert "The first." not in html
    assert html.index(f'id="comment-{reply.pk}"') < html.index(f'id="comment-{top.pk}"')
    assert f'data-parent="{root.pk}"' in html and "in reply to" in html and "@alex" in html
    assert html.count("<li ") == 2


def test_the_fragment_holds_no_more_than_the_cap_and_no_pending_comment(client, settings):
    settings.COMMENTS_LIVE_CAP = 2
    article = ArticleFactory()
    shown = [CommentFactory(article=article) for _ in range(3)]
    settings.COMMENTS_PREMODERATE_FIRST = 5
    held = CommentFactory(article=article)
    html = client.get(new(article.pk, 0)).content.decode()
    assert [f'id="comment-{c.pk}"' in html for c in shown] == [True, True, False]
    assert f'id="comment-{held.pk}"' not in html


def test_the_fragment_for_a_signed_in_reader_is_private_with_their_controls(client):
    article = ArticleFactory()
    CommentFactory(article=article)
    client.force_login(UserFactory())
    response = client.get(new(article.pk, 0))
    assert "private" in response["Cache-Control"]
    assert "Like</button>" in response.content.decode()


def test_the_story_page_offers_live_updates_only_while_the_story_is_recent(client, settings):
    settings.COMMENTS_LIVE_MAX_AGE_DAYS = 2
    fresh = ArticleFactory()
    CommentFactory(article=fresh)
    html = client.get(fresh.get_absolute_url()).content.decode()
    assert f'data-live-since="/comments/story/{fresh.pk}/since/{{version}}/"' in html
    assert 'data-live-version="1"' in html and "js/live.js" in html
    old = ArticleFactory(publish_at=timezone.now() - timedelta(days=3))
    html = client.get(old.get_absolute_url()).content.decode()
    assert "data-live-since" not in html and "js/live.js" not in html


def test_the_thread_page_polls_for_replies_under_its_comment(client):
    article = ArticleFactory()
    root = CommentFactory(article=article)
    html = client.get(reverse("comments:thread", kwargs={"pk": root.pk})).content.decode()
    assert f'data-live-since="/comments/story/{article.pk}/since/{{version}}/?thread={root.pk}"' in html
    assert 'data-live-noun="reply"' in html
