"""The cached discussion: shared by readers, retired by every write to the story's discussion."""

import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django.urls import reverse

from articles.models import BODY_BLOCKS
from comments import services
from comments.models import Comment, Discussion
from newsroom.services import account_erase, editors_group
from tests.factories import ArticleFactory, CommentFactory, UserFactory, reports_rule

pytestmark = pytest.mark.django_db


@pytest.fixture
def story(settings):
    settings.COMMENTS_CACHE_SECONDS = 60
    reports_rule(1)
    article = ArticleFactory()
    root = CommentFactory(article=article, body="The root comment.")
    reply = CommentFactory(parent=root, body="A reply to it.")
    return article, root, reply


def page(article) -> str:
    return Client().get(article.get_absolute_url()).content.decode()


def version(article) -> int:
    return Discussion.objects.values_list("version", flat=True).get(pk=article.pk)


def _like(article, root, reply):
    services.comment_like(comment=reply, user=UserFactory())
    return "1 like<"


def _unlike(article, root, reply):
    reader = UserFactory()
    services.comment_like(comment=reply, user=reader)
    page(article)  # cached with the like
    services.comment_like(comment=reply, user=reader, liked=False)
    return lambda html: "1 like" not in html


def _approve(article, root, reply):
    Comment.objects.filter(pk=reply.pk).update(status=Comment.Status.PENDING)
    page(article)  # cached without it (the update above stands for an earlier hold)
    services.comment_approve(comments=[Comment.objects.get(pk=reply.pk)], moderator=UserFactory(is_staff=True))
    return "A reply to it."


def _editor():
    editor = UserFactory(is_staff=True)
    editor.groups.add(editors_group())
    return editor


def _unpick(article, root, reply):
    editor = _editor()
    services.comment_pick(comment=reply, by=editor)
    page(article)  # cached with the pick
    services.comment_pick(comment=reply, by=editor, picked=False)
    return lambda html: "badge--pick" not in html


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
    "pick": lambda a, r, p: services.comment_pick(comment=p, by=_editor()) and "badge--pick",
    "unpick": _unpick,
    "account deleted": lambda a, r, p: account_erase(user=r.author) or "Comment from a deleted account.",
}


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_every_write_shows_at_once_on_the_cached_page(story, write):
    article, root, reply = story
    assert "A reply to it." in page(article)
    before = version(article)
    expected = write(article, root, reply)
    assert version(article) > before
    html = page(article)
    assert expected(html) if callable(expected) else expected in html


def test_a_report_below_the_hold_threshold_still_counts_as_a_write(story, settings):
    reports_rule(3)
    article, _, reply = story
    before = version(article)
    services.comment_report(comment=reply, user=UserFactory(), reason="spam")
    assert version(article) == before + 1


def discussion_html(html: str) -> str:
    return html.split('<section id="comments"')[1]


def test_the_threads_of_the_page_most_readers_get_come_from_the_fragment_cache(story, django_assert_num_queries):
    """Signed out: the page's queries, then two fewer (the threads and their newsroom replies come from the cache,
    the rest is read)."""
    article, _, _ = story
    client = Client()
    client.get("/")  # the section bar of every page, cached from then on
    with django_assert_num_queries(6 + len(BODY_BLOCKS)):
        first = client.get(article.get_absolute_url()).content.decode()
    with django_assert_num_queries(4 + len(BODY_BLOCKS)):
        again = client.get(article.get_absolute_url()).content.decode()
    assert discussion_html(again) == discussion_html(first)
    # Another sort is a fragment of its own.
    with django_assert_num_queries(6 + len(BODY_BLOCKS)):
        client.get(article.get_absolute_url() + "?sort=newest")


def test_the_page_signed_out_readers_get_holds_nothing_of_them_and_tells_shared_caches_so(story, settings):
    settings.HTTP_SHARED_MAX_AGE, settings.HTTP_STALE_WHILE_REVALIDATE, settings.HTTP_STALE_IF_ERROR = 120, 30, 600
    article, _, _ = story
    responses = [Client().get(article.get_absolute_url()) for _ in range(2)]
    assert responses[0].content == responses[1].content  # no per-reader bytes: no token, no form, no name
    for response in responses:
        assert not response.cookies  # no session, no CSRF cookie
        html = response.content.decode()
        assert "csrfmiddlewaretoken" not in html and 'name="token"' not in html
        cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
        assert cache_control == {
            "public", "max-age=0", "s-maxage=120", "stale-while-revalidate=30", "stale-if-error=600"
        }  # fmt: skip
        assert response["Surrogate-Key"] == f"story-{article.pk} section-{article.section_id}"
        # Signed-in readers, who carry the session cookie, get their own page; each offered language its own copy.
        assert response["Vary"] == "Accept-Language, Cookie, Accept-Encoding"


@pytest.mark.parametrize(
    "address",
    [
        lambda a, r: reverse("comments:thread", kwargs={"pk": r.pk}),
        lambda a, r: reverse("comments:story_all", kwargs={"article_pk": a.pk}),
        lambda a, r: reverse("comments:story_threads", kwargs={"article_pk": a.pk}),
    ],
    ids=["thread", "all comments", "show more"],
)
def test_the_discussions_other_pages_are_shared_and_tagged_with_their_story(story, address):
    article, root, _ = story
    response = Client().get(address(article, root))
    assert response.status_code == 200 and not response.cookies
    assert "public" in response["Cache-Control"] and response["Surrogate-Key"] == f"story-{article.pk}"


def test_signed_in_readers_pages_are_private(story):
    article, _, reply = story
    client = Client()
    client.force_login(reply.author)
    response = client.get(article.get_absolute_url())
    assert response["Cache-Control"] == "private" and "Surrogate-Key" not in response


def test_a_signed_out_page_that_sets_a_cookie_is_made_private_on_its_way_out(story, rf):
    """A message, a CSRF token: whatever sets a cookie on a page makes it one reader's, which no shared cache may
    keep, whatever the view said."""
    from django.http import HttpResponse

    from newsroom.http import shared_by_signed_out_readers
    from newsroom.middleware import private_when_setting_cookies

    article, _, _ = story

    def view(request):
        response = shared_by_signed_out_readers(request, HttpResponse("a page"), article.surrogate_key)
        assert "public" in response["Cache-Control"]
        response.set_cookie("messages", "for this reader")
        return response

    request = rf.get("/")
    request.user = AnonymousUser()
    response = private_when_setting_cookies(view)(request)
    assert response["Cache-Control"] == "private" and "Surrogate-Key" not in response


def test_read_later_from_the_shared_page_is_a_link_that_saves_after_signing_in(story):
    article, _, _ = story
    html = page(article)
    confirm = reverse("articles:read_later_confirm", kwargs={"pk": article.pk})
    assert f'href="{reverse("login")}?next={confirm}"' in html
    reader = UserFactory()
    client = Client()
    client.force_login(reader)
    assert "Save to Read later" in client.get(confirm).content.decode()
    client.post(reverse("articles:read_later", kwargs={"pk": article.pk}), {"next": article.get_absolute_url()})
    assert reader.saved_articles.filter(article=article).exists()


def test_the_comment_forms_one_time_token_is_never_part_of_a_shared_page(story):
    article, _, _ = story
    assert 'name="token"' not in page(article)  # signed-out readers get no form, so no token
    reader = Client()
    reader.force_login(UserFactory())
    tokens = [
        re.search(r'name="token" value="([^"]+)"', reader.get(article.get_absolute_url()).content.decode()).group(1)
        for _ in range(2)
    ]
    assert tokens[0] != tokens[1]


def test_an_editor_closing_comments_retires_the_cached_threads(story):
    article, _, reply = story
    assert f'data-reply-to="{reply.pk}"' in page(article)
    services.discussion_set_mode(article=article, mode=Discussion.Mode.CLOSED)
    html = page(article)
    assert "Comments on this story are closed" in html and f'data-reply-to="{reply.pk}"' not in html


def test_counts_and_versions_follow_the_writes(story):
    article, root, reply = story
    assert Discussion.objects.get(pk=article.pk).comment_count == 2
    services.comment_delete(comment=reply, user=reply.author)
    assert Discussion.objects.get(pk=article.pk).comment_count == 1


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
    # Each like form (and the mute form beside it) carries the reader's own CSRF token.
    token = theirs.cookies["csrftoken"].value
    assert token and liked.split("data-comment-list>")[1].count('name="csrfmiddlewaretoken"') == 4


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
