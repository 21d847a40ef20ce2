"""Double submits against the live server on PostgreSQL: two likes, two sign-ups with one handle, two deletes of one
comment, each pair sent at the same instant, end in clean answers (no 500), one like, one account, sound trees."""

import http.client
import threading
from functools import partial
from urllib.parse import urlencode, urlsplit

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from comments.models import Comment, CommentLike
from tests.comments.conftest import assert_trees_sound
from tests.factories import ArticleFactory, CommentFactory, UserFactory

ROUNDS = 8
ON_POSTGRESQL = "postgresql" in settings.DATABASES["default"]["ENGINE"]

pytestmark = [
    pytest.mark.skipif(
        not ON_POSTGRESQL,
        reason="needs PostgreSQL: SQLite lets one writer in at a time, so two requests cannot race to the database",
    ),
    pytest.mark.django_db(transaction=True),
]


class Browser:
    """One reader's cookies (session, CSRF) and form posts over real HTTP to the live server."""

    def __init__(self, live_server, user=None, *, page: str):
        client = Client()
        if user is not None:
            client.force_login(user)
        client.get(page)  # a page with a form: the CSRF cookie
        self.cookies = {name: morsel.value for name, morsel in client.cookies.items()}
        self.address = urlsplit(live_server.url)

    def post(self, path: str, data: dict[str, str]) -> tuple[int, str]:
        body = urlencode({"csrfmiddlewaretoken": self.cookies["csrftoken"], **data})
        connection = http.client.HTTPConnection(self.address.hostname, self.address.port, timeout=30)
        try:
            connection.request(
                "POST",
                path,
                body,
                {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Cookie": "; ".join(f"{name}={value}" for name, value in self.cookies.items()),
                },
            )
            response = connection.getresponse()
            return response.status, response.read().decode()
        finally:
            connection.close()


def at_once(*sends) -> list[tuple[int, str]]:
    """Run the sends in threads released together by a barrier, so that the requests really overlap."""
    start = threading.Barrier(len(sends))
    answers: list = [None] * len(sends)

    def run(n, send):
        start.wait()
        try:
            answers[n] = send()
        except BaseException as error:  # reported below, in the test's thread
            answers[n] = (0, repr(error))

    threads = [threading.Thread(target=run, args=(n, send)) for n, send in enumerate(sends)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


@pytest.fixture
def no_limits(settings):
    settings.COMMENTS_LIKES_PER_MINUTE = 0
    settings.COMMENTS_RATE_PER_MINUTE = 0
    settings.SIGNUPS_PER_IP_PER_HOUR = 10_000
    settings.COMMENTS_CACHE_SECONDS = 0


def test_two_likes_at_once_leave_one_like(live_server, no_limits, record_property):
    article, reader = ArticleFactory(), UserFactory()
    browser = Browser(live_server, reader, page=article.get_absolute_url())
    for _ in range(ROUNDS):
        comment = CommentFactory(article=article)
        url = reverse("comments:like", kwargs={"pk": comment.pk})
        like = partial(browser.post, url, {"liked": "true"})
        answers = at_once(like, like)
        assert [status for status, _ in answers] == [302, 302], answers
        assert CommentLike.objects.filter(comment=comment).count() == 1
        assert Comment.objects.get(pk=comment.pk).like_count == 1
    record_property("figures", f"race tried (likes, 2 at once) x {ROUNDS} rounds: all clean, one like each")


def test_two_sign_ups_with_one_handle_make_one_account_and_tell_the_other_it_is_taken(
    live_server, no_limits, record_property
):
    signup = reverse("signup")
    for n in range(ROUNDS):
        handle = f"racer_{n}"
        browsers = [Browser(live_server, page=signup) for _ in range(2)]
        data = [
            {
                "display_name": f"Racer {n} {side}",
                "handle": handle if side == "a" else handle.upper(),
                "email": f"racer{n}{side}@example.com",
                "password1": "a long and sound passphrase",
                "password2": "a long and sound passphrase",
            }
            for side in "ab"
        ]
        answers = at_once(*[partial(b.post, signup, d) for b, d in zip(browsers, data, strict=True)])
        assert sorted(status for status, _ in answers) == [302, 400], answers
        loser = next(html for status, html in answers if status == 400)
        # Beside the handle (HANDLE_TAKEN) when the form's check or the insert lost; at the top of the form, from the
        # model's case-insensitive constraint, when the other account arrived between the two checks.
        assert "That handle is taken." in loser
        assert get_user_model().objects.filter(handle__iexact=handle).count() == 1
    record_property("figures", f"race tried (sign-ups, 2 at once) x {ROUNDS} rounds: all clean, one account each")


def test_two_deletes_of_one_comment_end_cleanly_and_keep_the_trees_sound(live_server, no_limits, record_property):
    article, reader = ArticleFactory(), UserFactory()
    browser = Browser(live_server, reader, page=article.get_absolute_url())
    for n in range(ROUNDS):
        root = CommentFactory(article=article)
        comment = CommentFactory(article=article, parent=root, author=reader)
        if n % 2:
            CommentFactory(article=article, parent=comment)  # with a reply it stays as a tombstone
        url = reverse("comments:delete", kwargs={"pk": comment.pk})
        delete = partial(browser.post, url, {})
        answers = at_once(delete, delete)
        statuses = sorted(status for status, _ in answers)
        # The second finds the first done: it redirects as the first did, or, if the comment has left its tree by
        # the time it looks it up, finds no such comment (404). Never a 500.
        assert statuses in ([302, 302], [302, 404]), answers
        left = Comment.objects.filter(pk=comment.pk).first()
        assert (left.status if left else None) == (Comment.Status.DELETED if n % 2 else None)
        assert_trees_sound()
    record_property("figures", f"race tried (deletes, 2 at once) x {ROUNDS} rounds: all clean, trees sound")
