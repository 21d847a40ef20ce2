"""Where a comment is shown (selectors.comment_place), followed from every way to it: its permalink, the landing
after posting, a notification and its e-mail. Each lands on a page whose HTML holds the comment at its anchor."""

from dataclasses import dataclass

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from comments import selectors, services
from comments.models import Comment, Notification
from tests.factories import ArticleFactory, CommentFactory, UserFactory

pytestmark = pytest.mark.django_db

SORTS = [None, "oldest", "newest", "liked"]


@dataclass
class Discussion:
    article: object
    roots: list
    flat: list  # replies to the busy thread's first comment, in time order
    chain: list  # a reply chain under the last of them, levels 2 to 10


@pytest.fixture
def discussion(settings):
    """Five threads, two a page. The busy one (the fourth oldest, second newest, first most liked) has seven
    replies, the last of which starts a chain deeper than the indentation cap."""
    settings.COMMENTS_THREADS_PER_PAGE = 2
    settings.COMMENTS_REPLIES_PER_THREAD = 5
    article = ArticleFactory()
    roots = [CommentFactory(article=article, body=f"Thread {n}") for n in range(5)]
    busy = roots[3]
    services.comment_like(comment=busy, user=UserFactory())
    flat = [CommentFactory(parent=busy, body=f"Reply {n + 1}") for n in range(7)]
    chain, parent = [], flat[-1]
    for level in range(2, 11):
        parent = CommentFactory(parent=parent, body=f"Level {level}")
        chain.append(parent)
    assert [c.level for c in chain] == list(range(2, 11))
    return Discussion(article, roots, flat, chain)


def land(client, url: str):
    """Follow the redirects from `url`; the landing address with its fragment, and the page's HTML."""
    response = client.get(url, follow=True)
    assert response.status_code == 200
    return response.redirect_chain[-1][0], response.content.decode()


def test_every_comment_of_a_thread_lands_on_a_page_that_shows_it_in_every_sort(discussion, client):
    everyone = [*discussion.roots, *discussion.flat, *discussion.chain]
    for sort in SORTS:
        for comment in everyone:
            url = comment.get_absolute_url() + (f"?sort={sort}" if sort else "")
            landing, html = land(client, url)
            assert landing.endswith(f"#comment-{comment.pk}"), (sort, comment.body, landing)
            assert f'id="comment-{comment.pk}"' in html, (sort, comment.body, landing)


def test_the_first_replies_land_on_the_story_page_at_their_threads_page_in_the_links_sort(discussion):
    article, busy = discussion.article, discussion.roots[3]
    story = article.get_absolute_url()
    reader = UserFactory()
    for reply in discussion.flat[:5]:
        # Fourth oldest: page 2. Second newest and most liked: page 1, the sort carried along.
        assert selectors.comment_place(reply, user=reader) == f"{story}?page=2#comment-{reply.pk}"
        assert selectors.comment_place(reply, user=reader, sort="newest") == f"{story}?sort=newest#comment-{reply.pk}"
        assert selectors.comment_place(reply, user=reader, sort="liked") == f"{story}?sort=liked#comment-{reply.pk}"
    assert selectors.comment_place(discussion.roots[0], user=reader, sort="newest") == (
        f"{story}?page=3&sort=newest#comment-{discussion.roots[0].pk}"
    )
    assert selectors.comment_place(busy, user=reader, sort="bogus") == f"{story}?page=2#comment-{busy.pk}"


def test_later_replies_and_those_past_the_cap_land_on_the_thread_page_that_shows_them(discussion):
    busy, chain, reader = discussion.roots[3], discussion.chain, UserFactory()
    thread = reverse("comments:thread", kwargs={"pk": busy.pk})
    for comment in [*discussion.flat[5:], *chain[:5]]:  # the 6th and 7th replies, and levels 2 to 6 below them
        for sort in SORTS:
            assert selectors.comment_place(comment, user=reader, sort=sort) == f"{thread}#comment-{comment.pk}"
    # Levels 7 to 10 continue on the thread page of the comment at level 6, where indentation stopped.
    capped = reverse("comments:thread", kwargs={"pk": chain[4].pk})
    for comment in chain[5:]:
        assert selectors.comment_place(comment, user=reader) == f"{capped}#comment-{comment.pk}"


def test_posting_a_later_reply_lands_on_it_with_the_message(discussion, client):
    client.force_login(UserFactory())
    post = reverse("comments:post", kwargs={"article_pk": discussion.article.pk})
    response = client.post(post, {"body": "An eighth reply.", "parent": discussion.roots[3].pk}, follow=True)
    reply = Comment.objects.get(body="An eighth reply.")
    landing, html = response.redirect_chain[-1][0], response.content.decode()
    assert landing == f"/comments/{discussion.roots[3].pk}/thread/#comment-{reply.pk}"
    assert f'id="comment-{reply.pk}"' in html and "Your reply is posted." in html
    response = client.post(post, {"body": "A new thread."}, follow=True)
    comment = Comment.objects.get(body="A new thread.")
    assert response.redirect_chain[-1][0].endswith(f"?page=3#comment-{comment.pk}")
    assert f'id="comment-{comment.pk}"' in response.content.decode()
    assert "Your comment is posted." in response.content.decode()


def test_a_notification_and_its_email_land_on_a_page_that_shows_the_reply(
    discussion, settings, django_capture_on_commit_callbacks
):
    busy = discussion.roots[3]
    Notification.objects.update(email=Notification.Email.SENT)  # the discussion's own e-mail went out long ago
    with django_capture_on_commit_callbacks(execute=True):
        reply = CommentFactory(parent=busy, body="The eighth reply notifies.")
    notification = Notification.objects.get(recipient=busy.author, comment=reply)
    client = Client()
    client.force_login(busy.author)
    response = client.post(reverse("notifications:read", args=[notification.pk]), follow=True)
    assert response.redirect_chain[-1][0] == f"/comments/{busy.pk}/thread/#comment-{reply.pk}"
    assert f'id="comment-{reply.pk}"' in response.content.decode()
    # The e-mail links to the permalink, which finds the place when it is opened.
    (message,) = mail.outbox
    link = next(line for line in message.body.splitlines() if "/comments/" in line).strip()
    landing, html = land(client, link.removeprefix(settings.NEWSROOM_BASE_URL.rstrip("/")))
    assert landing.endswith(f"#comment-{reply.pk}") and f'id="comment-{reply.pk}"' in html
