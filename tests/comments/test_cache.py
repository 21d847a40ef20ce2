"""The cached discussion: shared by readers, retired by every write to the story's discussion."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from articles.models import Article
from comments import services
from comments.models import Comment
from newsroom.services import account_delete
from tests.factories import ArticleFactory, CommentFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def story(settings):
    settings.COMMENTS_CACHE_SECONDS = 60
    settings.COMMENTS_REPORTS_TO_HOLD = 1
    article = ArticleFactory()
    root = CommentFactory(article=article, body="The root comment.")
    reply = CommentFactory(parent=root, body="A reply to it.")
    return article, root, reply


def page(article) -> str:
    return Client().get(article.get_absolute_url()).content.decode()


def version(article) -> int:
    return Article.objects.values_list("comment_version", flat=True).get(pk=article.pk)


def _like(article, root, reply):
    services.comment_like(comment=reply, user=UserFactory())
    return "1 like<"


def _unlike(article, root, reply):
    reader = UserFactory()
    services.comment_like(comment=reply, user=reader)
    page(article)  # cached with the like
    services.comment_like(comment=reply, user=reader, liked=False)
    return f'<div class="comment__actions"><a href="/comments/{reply.pk}/reply/"'  # no count before Reply


def _approve(article, root, reply):
    Comment.objects.filter(pk=reply.pk).update(status=Comment.Status.PENDING)
    page(article)  # cached without it (the update above stands for an earlier hold)
    services.comment_approve(comments=[Comment.objects.get(pk=reply.pk)], moderator=UserFactory(is_staff=True))
    return "A reply to it."


WRITES = {
    "create top-level": lambda a, r, p: CommentFactory(article=a, body="Brand new thread.") and "Brand new thread.",
    "create reply": lambda a, r, p: CommentFactory(parent=p, body="A deeper reply.") and "A deeper reply.",
    "edit": lambda a, r, p: services.comment_edit(comment=p, user=p.author, body="Reworded.") and "Reworded.",
    "delete, keeping a tombstone": lambda a, r, p: (
        services.comment_delete(comment=r, user=r.author) and "Comment deleted."
    ),
    "delete a leaf": lambda a, r, p: services.comment_delete(comment=p, user=p.author) or "1 comment<",
    "purge": lambda a, r, p: services.comment_purge(comment=r) or "0 comments",
    "like": _like,
    "unlike": _unlike,
    "report holds it": lambda a, r, p: (
        services.comment_report(comment=p, user=UserFactory(), reason="spam") and "1 comment<"
    ),
    "approve": _approve,
    "remove": lambda a, r, p: (
        services.comment_remove(comments=[r], moderator=UserFactory(is_staff=True), reason="x")
        and "Comment removed by a moderator."
    ),
    "account deleted": lambda a, r, p: account_delete(user=r.author) or "Comment from a deleted account.",
}


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_every_write_shows_at_once_on_the_cached_page(story, write):
    article, root, reply = story
    assert "A reply to it." in page(article)
    before = version(article)
    expected = write(article, root, reply)
    assert version(article) > before
    assert expected in page(article)


def test_a_report_below_the_hold_threshold_still_counts_as_a_write(story, settings):
    settings.COMMENTS_REPORTS_TO_HOLD = 3
    article, _, reply = story
    before = version(article)
    services.comment_report(comment=reply, user=UserFactory(), reason="spam")
    assert version(article) == before + 1


def test_the_page_most_readers_get_comes_whole_from_the_cache(story, django_assert_num_queries):
    """Signed out and without a session: 6 queries to render it, then 1 (the story's row, for its versions)."""
    article, _, _ = story
    client = Client()
    with django_assert_num_queries(6):
        first = client.get(article.get_absolute_url()).content.decode()
    with django_assert_num_queries(1):
        again = client.get(article.get_absolute_url()).content.decode()
    assert again.split('<section id="comments"')[1] == first.split('<section id="comments"')[1]
    # Another address of the page (a sort) is a page of its own; with unknown parameters the page is rendered
    # every time (only its discussion comes from the cache).
    with django_assert_num_queries(6):
        client.get(article.get_absolute_url() + "?sort=newest")
    for _ in range(2):
        with django_assert_num_queries(5):
            client.get(article.get_absolute_url() + "?utm_source=feed")


def test_the_shared_page_carries_each_readers_own_csrf_token(story):
    article, _, _ = story
    tokens = []
    for _ in range(2):
        client = Client(enforce_csrf_checks=True)
        html = client.get(article.get_absolute_url()).content.decode()
        token = html.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
        tokens.append(token)
        assert "Placeholder" not in html
        # The Read later form works with the token the cached page carried.
        response = client.post(
            reverse("articles:read_later", kwargs={"pk": article.pk}), {"csrfmiddlewaretoken": token}
        )
        assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert tokens[0] != tokens[1]


def test_the_comment_forms_one_time_token_is_never_part_of_a_shared_page(story):
    article, _, _ = story
    assert 'name="token"' not in page(article)  # signed-out readers get no form, so no token
    reader = Client()
    reader.force_login(UserFactory())
    tokens = [
        re.search(r'name="token" value="([^"]+)"', reader.get(article.get_absolute_url()).content.decode()).group(1)
        for _ in range(2)
    ]
    assert tokens[0] != tokens[1]  # the discussion came from the cache the second time; the form did not


def test_readers_with_a_session_get_a_page_rendered_for_them(story, django_assert_max_num_queries):
    article, _, _ = story
    Client().get(article.get_absolute_url())  # the shared page, cached
    client = Client()
    client.post(reverse("articles:read_later", kwargs={"pk": article.pk}))  # a pending save: now a session
    with django_assert_max_num_queries(8) as queries:
        client.get(article.get_absolute_url())
    assert len(queries.captured_queries) > 1


def test_an_editor_closing_comments_retires_the_cached_page(story):
    article, _, reply = story
    assert f'data-reply-to="{reply.pk}"' in page(article)
    article.comments = Article.Comments.CLOSED
    article.save()
    html = page(article)
    assert "Comments on this story are closed" in html and f'data-reply-to="{reply.pk}"' not in html


def test_counts_and_versions_follow_the_writes(story):
    article, root, reply = story
    assert Article.objects.get(pk=article.pk).comment_count == 2
    services.comment_delete(comment=reply, user=reply.author)
    assert Article.objects.get(pk=article.pk).comment_count == 1


def test_readers_share_one_rendering_and_get_their_own_bits(story, settings):
    article, root, reply = story
    liker = UserFactory()
    services.comment_like(comment=root, user=liker)
    mine, theirs = Client(), Client()
    mine.force_login(reply.author)
    theirs.force_login(liker)
    own = mine.get(article.get_absolute_url()).content.decode()
    liked = theirs.get(article.get_absolute_url()).content.decode()
    anonymous = page(article)
    # The author edits and deletes their reply, and may like the root; the liker unlikes the root.
    assert f'href="/comments/{reply.pk}/edit/"' in own and f'href="/comments/{reply.pk}/delete/"' in own
    assert f'action="/comments/{reply.pk}/like/"' not in own and f'action="/comments/{root.pk}/like/"' in own
    assert 'aria-pressed="true">Unlike' in liked and f'href="/comments/{reply.pk}/edit/"' not in liked
    assert "/like/" not in anonymous and "/edit/" not in anonymous and "/delete/" not in anonymous
    # Each like form carries the reader's own CSRF token.
    token = theirs.cookies["csrftoken"].value
    assert token and liked.split("data-comment-list>")[1].count('name="csrfmiddlewaretoken"') == 2


def test_a_reader_with_a_held_comment_sees_it_the_others_do_not(story):
    article, root, _ = story
    author = UserFactory()
    held = CommentFactory(parent=root, author=author, body="Held for review")
    Comment.objects.filter(pk=held.pk).update(status=Comment.Status.PENDING)
    page(article)  # the shared page, cached
    client = Client()
    client.force_login(author)
    assert "Held for review" in client.get(article.get_absolute_url()).content.decode()
    assert "Held for review" not in page(article)


def test_like_forms_post_with_the_token_they_carry(story):
    article, root, _ = story
    client = Client(enforce_csrf_checks=True)
    reader = UserFactory()
    client.force_login(reader)
    html = client.get(article.get_absolute_url()).content.decode()
    token = html.split(f'action="/comments/{root.pk}/like/"', 1)[1].split('value="', 1)[1].split('"', 1)[0]
    response = client.post(reverse("comments:like", kwargs={"pk": root.pk}), {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert root.likes.filter(user=reader).exists()
