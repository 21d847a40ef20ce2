"""Nothing lost: a comment whose transaction fails tells the reader, keeps their text, leaves no half-written rows."""

import threading
from unittest import mock

import pytest
from django.db import DatabaseError, OperationalError, connection, transaction
from django.urls import reverse

from comments import views
from comments.locking import lock_trees
from comments.models import Comment, Mention, Notification
from comments.notifications import notify_for_comment
from tests.comments.conftest import assert_trees_sound
from tests.factories import ArticleFactory, CommentFactory, UserFactory

# The service's transaction is the outermost one here, as in production (no test transaction around it).
pytestmark = pytest.mark.django_db(transaction=True)

TEXT = "Thanks @alex, but <b>the figures</b> don't add up & here's why."

FAILURES = {
    # The story's discussion row, locked last, is never granted (PostgreSQL's words for a lock_timeout): the
    # comment row and its tree shift are written by then, and go.
    "lock timeout": (
        "comments.services.lock_discussion",
        OperationalError("canceling statement due to lock timeout"),
    ),
    # The comment row (and its tree shift) is written, then the mention rows fail.
    "error after the row is written": ("comments.services.Mention.objects.bulk_create", DatabaseError("disk full")),
}


def notify_then_fail(**kwargs):
    notify_for_comment(**kwargs)
    raise DatabaseError("server closed the connection unexpectedly")


# Everything is written (comment, tree shift, mentions, notifications), then the transaction still fails.
FAILURES["error after everything is written"] = ("comments.services.notify_for_comment", notify_then_fail)


def tree_of(comment: Comment) -> list[tuple]:
    return list(Comment.objects.filter(tree_id=comment.tree_id).order_by("pk").values_list("pk", "lft", "rght"))


def assert_not_saved_page(response, text: str) -> None:
    assert response.status_code == 503
    assert response["Retry-After"] == str(views.NOT_SAVED_RETRY_AFTER)
    form = response.context["form"]
    assert str(views.NOT_SAVED) in form.non_field_errors()
    assert form["body"].value() == text
    html = response.content.decode()
    assert 'role="alert"' in html and "could not be saved just now" in html
    assert "Thanks @alex, but &lt;b&gt;the figures&lt;/b&gt; don&#x27;t add up &amp; here&#x27;s why." in html


@pytest.mark.parametrize("failure", FAILURES, ids=list(FAILURES))
def test_failed_top_level_post_keeps_the_text_and_writes_nothing(client, failure):
    target, error = FAILURES[failure]
    article = ArticleFactory()
    UserFactory(handle="alex")
    client.force_login(UserFactory())
    with mock.patch(target, side_effect=error):
        response = client.post(reverse("comments:post", kwargs={"article_pk": article.pk}), {"body": TEXT})
    assert_not_saved_page(response, TEXT)
    assert Comment.objects.count() == 0
    assert Mention.objects.count() == 0
    assert Notification.objects.count() == 0


@pytest.mark.parametrize("failure", FAILURES, ids=list(FAILURES))
def test_failed_reply_leaves_the_thread_as_it_was(client, failure):
    target, error = FAILURES[failure]
    UserFactory(handle="alex")
    root = CommentFactory()
    CommentFactory(parent=CommentFactory(parent=root))
    before, notifications = tree_of(root), Notification.objects.count()
    client.force_login(UserFactory())
    with mock.patch(target, side_effect=error):
        response = client.post(
            reverse("comments:post", kwargs={"article_pk": root.article_id}), {"body": TEXT, "parent": root.pk}
        )
    assert_not_saved_page(response, TEXT)
    assert response.context["parent"].pk == root.pk
    assert tree_of(root) == before
    assert Mention.objects.count() == 0
    assert Notification.objects.count() == notifications
    assert_trees_sound()


def test_failed_edit_keeps_the_new_text_and_the_stored_comment(client):
    UserFactory(handle="alex")
    comment = CommentFactory(body="First version.")
    client.force_login(comment.author)
    with mock.patch("comments.services.Mention.objects.bulk_create", side_effect=DatabaseError("disk full")):
        response = client.post(reverse("comments:edit", kwargs={"pk": comment.pk}), {"body": TEXT})
    assert_not_saved_page(response, TEXT)
    comment.refresh_from_db()
    assert (comment.body, comment.edited_at) == ("First version.", None)
    assert Mention.objects.count() == 0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="lock_timeout is PostgreSQL's; SQLite has no row locks")
def test_real_lock_timeout_on_postgresql_answers_not_saved_with_the_text(client, settings):
    """Another transaction holds the thread's lock past COMMENTS_LOCK_TIMEOUT (a reply shifting it): a reply to the
    thread gives up, whole and clearly."""
    settings.COMMENTS_LOCK_TIMEOUT = 1
    root = CommentFactory()
    article = root.article
    UserFactory(handle="alex")
    client.force_login(UserFactory())
    locked, release = threading.Event(), threading.Event()

    def hold_the_story_lock():
        try:
            with transaction.atomic():
                lock_trees([root.tree_id])
                locked.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_story_lock)
    holder.start()
    try:
        assert locked.wait(timeout=10)
        response = client.post(
            reverse("comments:post", kwargs={"article_pk": article.pk}), {"body": TEXT, "parent": root.pk}
        )
    finally:
        release.set()
        holder.join()
    assert_not_saved_page(response, TEXT)
    assert Comment.objects.count() == 1
    # Once the lock is free the same post goes through.
    response = client.post(
        reverse("comments:post", kwargs={"article_pk": article.pk}), {"body": TEXT, "parent": root.pk}
    )
    assert response.status_code == 302
    assert Comment.objects.get(parent=root).body == TEXT and Mention.objects.count() == 1
