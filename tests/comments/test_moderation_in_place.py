"""Moderating from the story page: approve and remove (a reason from the list and a note) on each comment, the
author told why, the reader's history for moderators, and suspensions with a length and a reason typed."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from comments import services
from comments.models import Comment, Discussion, ModerationAction, Notification, RemovalReason, Restriction
from newsroom.services import moderators_group
from tests.factories import ArticleFactory, CommentFactory, UserFactory, report

pytestmark = pytest.mark.django_db


@pytest.fixture
def moderator(client):
    user = UserFactory(handle="mod", is_staff=True)
    user.groups.add(moderators_group())
    client.force_login(user)
    return user


def remove(client, comment, **data):
    return client.post(reverse("comments:remove", args=[comment.pk]), data)


def test_moderators_see_the_controls_and_pending_comments_in_context(client, moderator):
    story = ArticleFactory()
    shown = CommentFactory(article=story, body="Shown to all.")
    held = CommentFactory(article=story, body="Held for a moderator.")
    Comment.objects.filter(pk=held.pk).update(status=Comment.Status.PENDING)
    page = client.get(story.get_absolute_url()).content.decode()
    assert "Held for a moderator." in page
    assert reverse("comments:remove", args=[shown.pk]) in page
    assert reverse("comments:approve", args=[held.pk]) in page  # pending: approve offered
    assert reverse("comments:approve", args=[shown.pk]) not in page  # visible and unreported: nothing to approve
    assert reverse("comments:reader_history", args=[shown.author_id]) in page
    assert RemovalReason.PERSONAL_DATA.label.replace("'", "&#x27;") in page


def test_readers_get_no_moderator_controls(client):
    story = ArticleFactory()
    comment = CommentFactory(article=story)
    client.force_login(UserFactory())
    page = client.get(story.get_absolute_url()).content.decode()
    assert reverse("comments:remove", args=[comment.pk]) not in page
    assert reverse("comments:reader_history", args=[comment.author_id]) not in page


def test_reported_comments_offer_approve_which_clears_the_reports(client, moderator):
    comment = CommentFactory()
    report(comment)
    page = client.get(comment.article.get_absolute_url()).content.decode()
    assert reverse("comments:approve", args=[comment.pk]) in page
    response = client.post(reverse("comments:approve", args=[comment.pk]))
    assert response.status_code == 302 and response.url == comment.get_absolute_url()
    assert Comment.objects.get(pk=comment.pk).report_count == 0
    assert ModerationAction.objects.get().action == ModerationAction.Action.APPROVE


def test_approving_a_held_comment_in_place_makes_it_visible_and_counted(client, moderator):
    story = ArticleFactory(discussion_mode=Discussion.Mode.PREMODERATED)
    held = CommentFactory(article=story)
    assert held.status == Comment.Status.PENDING
    client.post(reverse("comments:approve", args=[held.pk]))
    assert Comment.objects.get(pk=held.pk).status == Comment.Status.VISIBLE
    assert Discussion.objects.get(pk=story.pk).comment_count == 1


def test_removing_in_place_with_a_reason_and_note_tells_the_author(
    client, moderator, django_capture_on_commit_callbacks
):
    comment = CommentFactory(body="You are all idiots.")
    with django_capture_on_commit_callbacks(execute=True):
        response = remove(client, comment, reason="abuse", note="Insults are not arguments.")
    assert response.status_code == 302 and response.url == comment.get_absolute_url()
    removed = Comment.objects.get(pk=comment.pk)
    assert (removed.status, removed.removal_reason) == (Comment.Status.REMOVED, "Abuse or harassment")
    assert Discussion.objects.get(pk=comment.article_id).comment_count == 0
    action = ModerationAction.objects.get()
    assert (action.action, action.actor, action.reason, action.note) == (
        "remove",
        moderator,
        "Abuse or harassment",
        "Insults are not arguments.",
    )
    told = Notification.objects.get(recipient=comment.author)
    assert told.kind == Notification.Kind.DECISION and told.action == action
    (message,) = mail.outbox
    assert message.to == [comment.author.email]
    assert "A moderator removed your comment" in message.subject
    assert "Reason: Abuse or harassment" in message.body and "Insults are not arguments." in message.body
    assert reverse("comments:appeal", args=[comment.pk]) in message.body
    # In the app: the bell counts it, and the list names the reason and the note.
    client.force_login(comment.author)
    page = client.get(reverse("notifications:list")).content.decode()
    assert "A moderator removed your comment" in page and "Insults are not arguments." in page
    opened = client.post(reverse("notifications:read", args=[told.pk]))
    assert opened.url == reverse("comments:appeal", args=[comment.pk])


def test_removing_a_held_comment_is_a_rejection(client, moderator):
    story = ArticleFactory(discussion_mode=Discussion.Mode.PREMODERATED)
    held = CommentFactory(article=story)
    remove(client, held, reason="spam")
    assert ModerationAction.objects.get().action == ModerationAction.Action.REJECT
    assert Notification.objects.get(recipient=held.author).summary == "A moderator rejected your comment"


def test_an_author_who_switched_decision_emails_off_is_told_in_the_app_only(
    client, moderator, django_capture_on_commit_callbacks
):
    comment = CommentFactory(author=UserFactory(email_on_decision=False))
    with django_capture_on_commit_callbacks(execute=True):
        remove(client, comment, reason="spam")
    assert Notification.objects.filter(recipient=comment.author).exists()
    assert mail.outbox == []


def test_a_removal_without_a_reason_keeps_the_note_typed(client, moderator):
    comment = CommentFactory()
    response = remove(client, comment, reason="", note="My careful note")
    assert response.status_code == 400
    page = response.content.decode()
    assert "Choose a reason for the removal" in page and "My careful note" in page
    assert Comment.objects.get(pk=comment.pk).status == Comment.Status.VISIBLE
    assert remove(client, comment, reason="not-a-reason").status_code == 400


def test_moderating_needs_the_right_and_something_to_moderate(client):
    comment = CommentFactory()
    for url in ("comments:approve", "comments:remove"):
        assert client.post(reverse(url, args=[comment.pk]), {"reason": "spam"}).status_code == 403
    client.force_login(UserFactory())
    assert remove(client, comment, reason="spam").status_code == 403
    assert client.post(reverse("comments:approve", args=[comment.pk])).status_code == 403
    assert Comment.objects.get(pk=comment.pk).status == Comment.Status.VISIBLE
    moderator = UserFactory(is_staff=True)
    moderator.groups.add(moderators_group())
    client.force_login(moderator)
    assert remove(client, Comment(pk=10**9), reason="spam").status_code == 404
    assert client.post(reverse("comments:approve", args=[10**9])).status_code == 404
    services.comment_remove(comments=[comment], moderator=moderator, reason="Spam")
    # Removed meanwhile: nothing to remove or approve again, and no second decision told.
    assert remove(client, comment, reason="abuse").status_code == 404
    assert client.post(reverse("comments:approve", args=[comment.pk])).status_code == 404
    assert Notification.objects.filter(recipient=comment.author).count() == 1


def test_the_readers_history_lists_everything_about_them(client, moderator, django_assert_max_num_queries):
    reader = UserFactory(handle="rowdy")
    shown = CommentFactory(author=reader, body="Still up.")
    gone = CommentFactory(author=reader, body="Taken down.")
    report(shown, "abuse")
    services.comment_remove(comments=[gone], moderator=moderator, reason="Spam", note="Link farm")
    services.reader_restrict(user=reader, moderator=moderator, kind="suspension", days=2, reason="Cool off.")
    url = reverse("comments:reader_history", args=[reader.pk])
    with django_assert_max_num_queries(20):
        page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200
    assert "Still up." in html and "Taken down." in html and "Removed by a moderator: Spam" in html
    assert "Link farm" in html and "Abuse or harassment by @" in html and "Cool off." in html


def test_the_readers_history_is_paged_and_bounded(client, moderator, settings, django_assert_max_num_queries):
    settings.COMMENTS_RATE_PER_MINUTE = 0
    reader = UserFactory()
    for _ in range(35):
        CommentFactory(author=reader)
    url = reverse("comments:reader_history", args=[reader.pk])
    with django_assert_max_num_queries(20):
        first = client.get(url)
    assert len(first.context["page_obj"]) == 30 and first.context["page_obj"].older_query
    second = client.get(f"{url}?{first.context['page_obj'].older_query}")
    assert len(second.context["page_obj"]) == 5


def test_the_readers_history_is_for_moderators_only(client):
    reader = UserFactory()
    url = reverse("comments:reader_history", args=[reader.pk])
    assert client.get(url).status_code == 403
    client.force_login(UserFactory(is_staff=True))  # staff without moderation
    assert client.get(url).status_code == 403
    moderator = UserFactory(is_staff=True)
    moderator.groups.add(moderators_group())
    client.force_login(moderator)
    assert client.get(reverse("comments:reader_history", args=[10**9])).status_code == 404


def test_a_suspension_from_the_history_page_has_the_length_and_reason_typed(client, moderator):
    reader = UserFactory()
    url = reverse("comments:reader_restrict", args=[reader.pk])
    refused = client.post(url, {"kind": "suspension", "days": "", "reason": "Spamming links"})
    assert refused.status_code == 400 and "Spamming links" in refused.content.decode()
    assert not Restriction.objects.exists()
    assert client.post(url, {"kind": "suspension", "days": 500, "reason": "x"}).status_code == 400
    done = client.post(url, {"kind": "suspension", "days": 10, "reason": "Spamming links"})
    assert done.status_code == 302
    restriction = Restriction.objects.get(user=reader)
    assert restriction.reason == "Spamming links"
    assert timedelta(days=9, hours=23) < restriction.until - timezone.now() <= timedelta(days=10)
    assert ModerationAction.objects.get(action="restrict").note == "suspension: 10 days"


def test_the_restricted_reader_is_shown_the_reason_and_the_end(client, moderator):
    reader = UserFactory()
    services.reader_restrict(user=reader, moderator=moderator, kind="suspension", days=3, reason="Personal attacks.")
    story = ArticleFactory()
    client.force_login(reader)
    response = client.post(reverse("comments:post", args=[story.pk]), {"body": "Let me back in"})
    html = response.content.decode()
    assert response.status_code == 403
    assert "Personal attacks." in html and "may not comment until" in html and "Let me back in" in html


def test_the_admin_queue_links_each_comment_in_context_and_its_readers_history(client):
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    comment = CommentFactory()
    report(comment)
    page = client.get(reverse("admin:comments_moderationitem_changelist")).content.decode()
    assert f'href="{comment.get_absolute_url()}"' in page
    assert reverse("comments:reader_history", args=[comment.author_id]) in page


def test_the_decision_emails_one_click_unsubscribe_stops_only_them(
    client, moderator, django_capture_on_commit_callbacks
):
    comment = CommentFactory()
    with django_capture_on_commit_callbacks(execute=True):
        remove(client, comment, reason="spam")
    link = mail.outbox[0].extra_headers["List-Unsubscribe"].strip("<>")
    client.post(link, {"List-Unsubscribe": "One-Click"})
    author = type(comment.author).objects.get(pk=comment.author_id)
    assert (author.email_on_decision, author.email_on_reply) == (False, True)
