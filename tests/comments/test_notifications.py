"""Notifications of replies and mentions: who is told, once, in the app and by e-mail, and how to stop it."""

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from comments import services
from comments.models import Comment, Discussion, Notification
from comments.notifications import unsubscribe_token
from tests.factories import ArticleFactory, CommentFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def alex():
    return UserFactory(handle="alex", display_name="Alex")


@pytest.fixture
def sam():
    return UserFactory(handle="sam", display_name="Sam")


def notifications_of(user):
    return list(Notification.objects.filter(recipient=user).values_list("is_reply", "is_mention"))


def test_reply_notifies_the_parent_author_once_in_app_and_by_email(alex, sam, django_capture_on_commit_callbacks):
    root = CommentFactory(author=alex, body="A first thought.")
    with django_capture_on_commit_callbacks(execute=True):
        CommentFactory(parent=root, author=sam, body="I disagree.")
    assert notifications_of(alex) == [(True, False)]
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alex@example.com"]
    assert "Sam (@sam) replied to your comment" in message.subject
    assert "I disagree." in message.body
    assert "/comments/" in message.body
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/notifications/unsubscribe/" in message.extra_headers["List-Unsubscribe"]


def test_mention_notifies_the_mentioned_reader(alex, sam, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        CommentFactory(author=sam, body="@alex what do you make of this?")
    assert notifications_of(alex) == [(False, True)]
    assert "mentioned you" in mail.outbox[0].subject


def test_reply_that_also_mentions_is_one_notification(alex, sam, django_capture_on_commit_callbacks):
    root = CommentFactory(author=alex)
    with django_capture_on_commit_callbacks(execute=True):
        CommentFactory(parent=root, author=sam, body="@alex @ALEX right back at you")
    assert notifications_of(alex) == [(True, True)]
    assert len(mail.outbox) == 1
    assert "replied to you and mentioned you" in mail.outbox[0].subject


def test_no_notification_for_own_actions(alex):
    root = CommentFactory(author=alex)
    CommentFactory(parent=root, author=alex, body="@alex talking to myself")
    assert notifications_of(alex) == []


def test_pending_comment_notifies_only_when_approved(alex, sam, django_capture_on_commit_callbacks):
    root = CommentFactory(author=alex)
    services.discussion_set_mode(article=root.article, mode=Discussion.Mode.PREMODERATED)
    with django_capture_on_commit_callbacks(execute=True):
        reply = CommentFactory(parent=root, author=sam, body="Held reply @alex")
    assert reply.status == Comment.Status.PENDING
    assert notifications_of(alex) == [] and mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_approve(comments=[reply], moderator=UserFactory(is_staff=True))
    assert notifications_of(alex) == [(True, True)]
    assert len(mail.outbox) == 1
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_approve(comments=[Comment.objects.get(pk=reply.pk)], moderator=UserFactory(is_staff=True))
    assert len(notifications_of(alex)) == 1 and len(mail.outbox) == 1


def test_edit_that_adds_a_mention_notifies_only_the_new_reader(alex, sam, django_capture_on_commit_callbacks):
    kim = UserFactory(handle="kim")
    with django_capture_on_commit_callbacks(execute=True):
        comment = CommentFactory(author=sam, body="@alex first")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_edit(comment=comment, user=sam, body="@alex first, and @kim too")
    assert notifications_of(alex) == [(False, True)]
    assert notifications_of(kim) == [(False, True)]
    assert [m.to for m in mail.outbox] == [["kim@example.com"]]


def test_email_preferences_are_respected(alex, sam, django_capture_on_commit_callbacks):
    alex.email_on_reply = False
    alex.save()
    root = CommentFactory(author=alex)
    with django_capture_on_commit_callbacks(execute=True):
        CommentFactory(parent=root, author=sam)
        mention = CommentFactory(author=sam, body="@alex hello")
    assert len(notifications_of(alex)) == 2  # in-app notifications always
    assert [m.subject for m in mail.outbox] == [f"Sam (@sam) mentioned you on “{mention.article.headline}”"]


def test_email_is_sent_only_after_the_transaction_commits(alex, sam, django_capture_on_commit_callbacks):
    root = CommentFactory(author=alex)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        CommentFactory(parent=root, author=sam)
    assert mail.outbox == [] and callbacks
    for callback in callbacks:  # the commit
        callback()
    assert len(mail.outbox) == 1


def test_unsubscribe_link_asks_then_turns_email_off(alex, client):
    url = reverse("notifications:unsubscribe", kwargs={"token": unsubscribe_token(alex, "reply")})
    response = client.get(url)
    assert response.status_code == 200 and "Stop these e-mails?" in response.content.decode()
    alex.refresh_from_db()
    assert alex.email_on_reply  # a GET (link scanner) changes nothing
    # The page's button sends what a mail client's one-click sends (RFC 8058).
    assert re.search(r'<input type="hidden" name="List-Unsubscribe" value="One-Click">', response.content.decode())
    assert client.post(url, {"List-Unsubscribe": "One-Click"}).status_code == 200
    alex.refresh_from_db()
    assert not alex.email_on_reply and alex.email_on_mention


@pytest.mark.parametrize("encoding", ["urlencoded", "multipart"])
def test_one_click_unsubscribe_from_a_mail_client_needs_no_csrf_token(alex, encoding):
    """RFC 8058: the mail provider POSTs "List-Unsubscribe=One-Click" to the List-Unsubscribe address, with no
    cookie and no CSRF token; the signed token in the address is what authorises it."""
    mail_client = Client(enforce_csrf_checks=True)
    url = reverse("notifications:unsubscribe", kwargs={"token": unsubscribe_token(alex, "mention")})
    if encoding == "urlencoded":
        response = mail_client.post(url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    else:
        response = mail_client.post(url, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200 and "Unsubscribed" in response.content.decode()
    alex.refresh_from_db()
    assert not alex.email_on_mention and alex.email_on_reply


def test_tampered_unsubscribe_token_is_refused(alex):
    mail_client = Client(enforce_csrf_checks=True)
    token = unsubscribe_token(alex, "reply")
    url = reverse("notifications:unsubscribe", kwargs={"token": token[:-2] + "xx"})
    response = mail_client.post(url, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 400
    assert "damaged" in response.content.decode()
    alex.refresh_from_db()
    assert alex.email_on_reply


def test_a_post_without_the_one_click_field_only_asks_again(alex):
    url = reverse("notifications:unsubscribe", kwargs={"token": unsubscribe_token(alex, "reply")})
    response = Client(enforce_csrf_checks=True).post(url, {"something": "else"})
    assert response.status_code == 400 and "Stop these e-mails?" in response.content.decode()
    alex.refresh_from_db()
    assert alex.email_on_reply


def test_bell_counts_unread_and_the_page_lists_and_marks_read(alex, sam, client, django_assert_max_num_queries):
    root = CommentFactory(author=alex, body="Root")
    for number in range(3):
        CommentFactory(parent=root, author=sam, body=f"Reply {number} @alex")
    client.force_login(alex)
    html = client.get("/").content.decode()
    assert '<span class="bell__count">3</span>' in html
    with django_assert_max_num_queries(8):
        html = client.get(reverse("notifications:list")).content.decode()
    assert html.count("replied to you and mentioned you") == 3
    first = Notification.objects.filter(recipient=alex).first()
    response = client.post(reverse("notifications:read", args=[first.pk]))
    assert response.status_code == 302
    assert response["Location"] == f"{root.article.get_absolute_url()}#comment-{first.comment.pk}"
    assert '<span class="bell__count">2</span>' in client.get("/").content.decode()
    client.post(reverse("notifications:read_all"))
    assert "bell__count" not in client.get("/").content.decode()


def test_a_reader_cannot_open_someone_elses_notification(alex, sam, client):
    root = CommentFactory(author=alex)
    CommentFactory(parent=root, author=sam)
    notification = Notification.objects.get(recipient=alex)
    client.force_login(sam)
    assert client.post(reverse("notifications:read", args=[notification.pk])).status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None


def test_notifications_need_sign_in():
    response = Client().get(reverse("notifications:list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_notifications_of_removed_comments_disappear(alex, sam, client):
    root = CommentFactory(author=alex)
    reply = CommentFactory(parent=root, author=sam, body="Something rude")
    services.comment_remove(comments=[reply], moderator=UserFactory(is_staff=True), reason="Abuse")
    client.force_login(alex)
    assert "Something rude" not in client.get(reverse("notifications:list")).content.decode()


def test_mention_survives_a_handle_change(alex, sam, client):
    comment = CommentFactory(author=sam, body="Thanks @alex")
    alex.handle = "alex_new"
    alex.save()
    link = re.search(r'href="(/comments/member/\d+/)"', Comment.objects.get(pk=comment.pk).body_html).group(1)
    response = client.get(link)
    assert response.status_code == 302 and response["Location"] == "/@alex_new/"


def test_reader_changes_email_settings_on_the_account_page(alex, client):
    client.force_login(alex)
    response = client.post(
        reverse("account"),
        {"display_name": "Alex", "handle": "alex", "email": "alex@example.com", "email_on_mention": "on"},
    )
    assert response.status_code == 302
    alex.refresh_from_db()
    assert not alex.email_on_reply and alex.email_on_mention


def test_demo_readers_have_notifications_waiting(settings):
    import io

    from django.core.management import call_command

    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())
    assert Notification.objects.filter(read_at__isnull=True).values("recipient").distinct().count() >= 5
    assert mail.outbox == []


def test_story_without_comments_does_not_notify(alex):
    ArticleFactory()
    assert Notification.objects.count() == 0


def test_email_footer_names_the_account_settings(alex, sam, django_capture_on_commit_callbacks):
    root = CommentFactory(author=alex)
    with django_capture_on_commit_callbacks(execute=True):
        CommentFactory(parent=root, author=sam)
    body = mail.outbox[0].body
    assert "e-mail for replies is switched on in your account settings at The Newsroom: " in body
    assert "your The Newsroom" not in body and body.count(reverse("account")) == 1


def post_reply(client, parent, body="A reply that notifies.", **fields):
    url = reverse("comments:post", kwargs={"article_pk": parent.article_id})
    return client.post(url, {"body": body, "parent": parent.pk, **fields})


@pytest.mark.django_db(transaction=True)  # the e-mail really goes out after the commit, inside the request
def test_a_reply_that_notifies_lands_on_the_comment_whatever_the_relay_does(alex, sam, broken_relay, caplog):
    root = CommentFactory(author=alex, body="A first thought.")
    client = Client()
    client.force_login(sam)
    response = post_reply(client, root)
    assert response.status_code == 302
    reply = Comment.objects.get(parent=root)
    assert response.url.endswith(f"#comment-{reply.pk}")
    assert Comment.objects.count() == 2
    assert notifications_of(alex) == [(True, False)]  # the reader still sees it on the site
    assert "Notification e-mail for comment" in caplog.text  # and the failure is in the log, not the response


def test_a_display_name_holding_a_line_break_still_sends_a_one_line_subject(
    alex, sam, client, django_capture_on_commit_callbacks
):
    root = CommentFactory(author=alex)
    # The settings form refuses this; a row written by other means (an old import, the shell) may still hold it.
    type(sam).objects.filter(pk=sam.pk).update(display_name="Sam\r\nBcc: everyone@example.com")
    client.force_login(sam)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_reply(client, root)
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    subject = mail.outbox[0].subject
    assert subject.startswith("Sam Bcc: everyone@example.com (@sam) replied to your comment")
    assert mail.outbox[0].recipients() == ["alex@example.com"]


def test_a_message_that_cannot_be_built_skips_only_its_reader(alex, sam, django_capture_on_commit_callbacks, caplog):
    kim = UserFactory(handle="kim")
    root = CommentFactory(author=alex)
    type(alex).objects.filter(pk=alex.pk).update(email="alex@example.com\nBcc: everyone@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        reply = CommentFactory(parent=root, author=sam, body="Over to you, @kim.")
    assert [m.to for m in mail.outbox] == [[kim.email]]
    assert f"Notification e-mail for comment {reply.pk} to ['alex@example.com\\nBcc" in caplog.text


def test_the_bell_counts_no_further_than_its_cap(
    alex, sam, client, monkeypatch, settings, django_assert_max_num_queries
):
    settings.COMMENTS_RATE_PER_MINUTE = 0
    from newsroom import backends

    monkeypatch.setattr(backends, "BELL_CAP", 3)
    root = CommentFactory(author=alex, body="Root")
    CommentFactory(parent=root, author=sam)
    client.force_login(alex)
    with django_assert_max_num_queries(8) as small:
        assert '<span class="bell__count">1</span>' in client.get("/").content.decode()
    for _ in range(5):
        CommentFactory(parent=root, author=sam)
    with django_assert_max_num_queries(len(small.captured_queries)):
        html = client.get("/").content.decode()
    assert '<span class="bell__count">2+</span>' in html and "Notifications, 2+ unread" in html


def test_notification_pages_go_newer_and_older_at_one_cost(alex, sam, client, settings, django_assert_max_num_queries):
    settings.COMMENTS_RATE_PER_MINUTE = 0
    root = CommentFactory(author=alex, body="Root")
    for number in range(3):
        CommentFactory(parent=root, author=sam, body=f"Reply {number}")
    client.force_login(alex)
    with django_assert_max_num_queries(8) as small:
        client.get(reverse("notifications:list"))
    for number in range(3, 65):
        CommentFactory(parent=root, author=sam, body=f"Reply {number}")
    query, seen = "", []
    while query is not None:
        with django_assert_max_num_queries(len(small.captured_queries)):
            html = client.get(f"{reverse('notifications:list')}?{query}").content.decode()
        seen += [n for n in range(65) if f"Reply {n}<" in html]
        query = html.split('rel="next" href="?', 1)[1].split('"', 1)[0] if 'rel="next"' in html else None
    assert sorted(seen) == list(range(65)) and "Newer notifications" in html
