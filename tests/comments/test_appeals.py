"""Appeals: once per decision, within COMMENTS_APPEAL_DAYS, decided finally in their own admin queue, told to the
author; and the audit log's CSV export."""

import csv
import io
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from comments import services
from comments.admin import EXPORT_CHUNK, audit_rows
from comments.models import Appeal, Comment, Discussion, ModerationAction, Notification
from newsroom.services import moderators_group
from tests.factories import ArticleFactory, CommentFactory, UserFactory, report

pytestmark = pytest.mark.django_db


@pytest.fixture
def moderator():
    user = UserFactory(handle="mod", is_staff=True)
    user.groups.add(moderators_group())
    return user


@pytest.fixture
def removed(moderator):
    comment = CommentFactory(body="A sharp but fair comment.")
    services.comment_remove(comments=[comment], moderator=moderator, reason="Off-topic", note="Stay on the story.")
    return Comment.objects.select_related("author", "article").get(pk=comment.pk)


def appeal_url(comment) -> str:
    return reverse("comments:appeal", args=[comment.pk])


def test_the_author_sees_the_decision_and_appeals_it_once(client, removed):
    client.force_login(removed.author)
    page = client.get(appeal_url(removed))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Off-topic" in html and "Stay on the story." in html and "A sharp but fair comment." in html
    sent = client.post(appeal_url(removed), {"note": "It was about the story's second paragraph."})
    assert sent.status_code == 302
    appeal = Appeal.objects.get()
    assert (appeal.comment, appeal.author, appeal.outcome) == (removed, removed.author, "")
    assert appeal.decision == ModerationAction.objects.get(action="remove")
    assert ModerationAction.objects.filter(action="appeal", actor=removed.author, comment=removed).exists()
    again = client.post(appeal_url(removed), {"note": "Please, again"})
    assert again.status_code == 403
    assert "You already appealed this decision" in again.content.decode()
    assert Appeal.objects.count() == 1


def test_an_appeal_needs_a_note_and_keeps_what_was_typed(client, removed, settings):
    client.force_login(removed.author)
    empty = client.post(appeal_url(removed), {"note": ""})
    assert empty.status_code == 400 and "Say why you appeal" in empty.content.decode()
    long = "x" * 2001
    too_long = client.post(appeal_url(removed), {"note": long})
    assert too_long.status_code == 400 and long in too_long.content.decode()
    assert not Appeal.objects.exists()


def test_an_appeal_after_the_window_is_refused_with_the_reason(client, removed, settings):
    settings.COMMENTS_APPEAL_DAYS = 14
    ModerationAction.objects.filter(action="remove").update(at=timezone.now() - timedelta(days=15))
    client.force_login(removed.author)
    page = client.get(appeal_url(removed)).content.decode()
    assert "within 14 days" in page and "<textarea" not in page
    late = client.post(appeal_url(removed), {"note": "Better late than never"})
    assert late.status_code == 403
    html = late.content.decode()
    assert "the time to appeal it has passed" in html and "Better late than never" in html
    assert not Appeal.objects.exists()


def test_only_the_author_appeals_and_only_a_decision(client, removed):
    assert client.get(appeal_url(removed)).status_code == 302  # to sign in
    client.force_login(UserFactory())
    assert client.get(appeal_url(removed)).status_code == 404
    assert client.post(appeal_url(removed), {"note": "Not mine"}).status_code == 404
    assert client.get(reverse("comments:appeal", args=[10**9])).status_code == 404
    shown = CommentFactory()
    client.force_login(shown.author)
    assert client.get(appeal_url(shown)).status_code == 404  # never decided on
    with pytest.raises(ValidationError, match="Only the author"):
        services.appeal_create(comment=removed, author=shown.author, note="x")


def test_overturning_restores_the_comment_and_tells_the_author(removed, moderator, django_capture_on_commit_callbacks):
    appeal = services.appeal_create(comment=removed, author=removed.author, note="Please look again.")
    with django_capture_on_commit_callbacks(execute=True):
        services.appeal_decide(appeal=appeal, moderator=moderator, outcome="overturned", note="You were right.")
    comment = Comment.objects.get(pk=removed.pk)
    assert (comment.status, comment.removal_reason) == (Comment.Status.VISIBLE, "")
    assert Discussion.objects.get(pk=removed.article_id).comment_count == 1
    assert ModerationAction.objects.filter(action="overturn", actor=moderator, note="You were right.").exists()
    told = Notification.objects.filter(recipient=removed.author).order_by("-pk").first()
    assert told.summary == "Your appeal was decided: your comment is restored"
    assert "Your appeal was decided" in mail.outbox[-1].body and "You were right." in mail.outbox[-1].body
    with pytest.raises(ValidationError, match="already decided"):
        services.appeal_decide(appeal=appeal, moderator=moderator, outcome="upheld")


def test_upholding_keeps_it_removed_and_is_final(client, removed, moderator):
    appeal = services.appeal_create(comment=removed, author=removed.author, note="Please look again.")
    services.appeal_decide(appeal=appeal, moderator=moderator, outcome="upheld", note="It stays down.")
    assert Comment.objects.get(pk=removed.pk).status == Comment.Status.REMOVED
    assert ModerationAction.objects.filter(action="uphold").exists()
    client.force_login(removed.author)
    page = client.get(appeal_url(removed)).content.decode()
    assert "Upheld: the comment stays removed" in page and "It stays down." in page and "final" in page
    assert "<textarea" not in page


def test_a_new_removal_after_an_overturn_may_be_appealed_again(removed, moderator):
    appeal = services.appeal_create(comment=removed, author=removed.author, note="First.")
    services.appeal_decide(appeal=appeal, moderator=moderator, outcome="overturned")
    services.comment_remove(comments=[removed], moderator=moderator, reason="Spam")
    assert services.appeal_refusal(comment=removed, author=removed.author) is None


def test_the_appeals_queue_decides_through_the_service(client, removed, moderator):
    appeal = services.appeal_create(comment=removed, author=removed.author, note="Please look again.")
    client.force_login(moderator)
    queue = client.get(reverse("admin:comments_appeal_changelist") + "?state=open")
    assert queue.status_code == 200 and "A sharp but fair comment." in queue.content.decode()
    change = reverse("admin:comments_appeal_change", args=[appeal.pk])
    page = client.get(change).content.decode()
    assert "Please look again." in page and "Removed: Off-topic" in page
    assert client.post(change, {"outcome": "", "moderator_note": "Hmm"}).status_code == 200  # the form again
    assert Appeal.objects.get().decided_at is None
    response = client.post(change, {"outcome": "overturned", "moderator_note": "Fair point."})
    assert response.status_code == 302
    assert Comment.objects.get(pk=removed.pk).status == Comment.Status.VISIBLE
    decided = Appeal.objects.get()
    assert (decided.outcome, decided.decided_by, decided.moderator_note) == ("overturned", moderator, "Fair point.")
    # Final: the decided appeal is read only.
    assert client.post(change, {"outcome": "upheld", "moderator_note": ""}).status_code == 403
    assert Appeal.objects.get().outcome == "overturned"


def test_readers_have_no_appeals_queue(client, removed):
    client.force_login(removed.author)
    assert client.get(reverse("admin:comments_appeal_changelist")).status_code == 302  # to the admin's sign-in


def test_the_audit_log_exports_to_csv_with_the_lists_filters(client, removed, moderator):
    report(CommentFactory())
    services.comment_approve(comments=[CommentFactory()], moderator=moderator)
    client.force_login(moderator)
    url = reverse("admin:comments_moderationaction_export")
    response = client.get(url)
    assert response.status_code == 200 and response.streaming
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["id", "at", "action"]
    assert sorted(row[2] for row in rows[1:]) == ["approve", "remove"]
    only = list(csv.reader(io.StringIO(b"".join(client.get(f"{url}?action__exact=remove").streaming_content).decode())))
    assert [row[2] for row in only[1:]] == ["remove"] and only[1][-2:] == ["Off-topic", "Stay on the story."]
    assert "Export to CSV" in client.get(reverse("admin:comments_moderationaction_changelist")).content.decode()


def test_the_export_reads_in_bounded_chunks_and_misses_no_row(moderator, django_assert_num_queries):
    at = timezone.now()
    ModerationAction.objects.bulk_create(
        ModerationAction(action="approve", actor=moderator, at=at if n % 2 else at - timedelta(seconds=n))
        for n in range(EXPORT_CHUNK * 2 + 5)
    )
    with django_assert_num_queries(3):  # three chunks, however many rows share one moment
        ids = [row[0] for row in audit_rows(ModerationAction.objects.all())]
    assert len(ids) == len(set(ids)) == EXPORT_CHUNK * 2 + 5


def test_the_export_is_for_staff_who_may_read_the_log(client, removed):
    url = reverse("admin:comments_moderationaction_export")
    assert client.get(url).status_code == 302
    client.force_login(UserFactory(is_staff=True))  # staff without the log
    assert client.get(url).status_code == 403


def test_admin_removal_gives_the_same_reasons_and_tells_each_author(client, moderator):
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    comments = [CommentFactory(article=ArticleFactory()) for _ in range(3)]
    client.post(
        reverse("admin:comments_comment_changelist"),
        {"action": "remove_personal_data", "_selected_action": [c.pk for c in comments]},
    )
    for comment in comments:
        told = Notification.objects.get(recipient=comment.author, kind="decision")
        assert told.action.reason == "Shares someone's personal information"


def test_the_appeals_queue_lists_open_appeals_first(client, moderator):
    first, second = (CommentFactory() for _ in range(2))
    services.comment_remove(comments=[first, second], moderator=moderator, reason="Spam")
    first, second = (Comment.objects.get(pk=comment.pk) for comment in (first, second))
    decided = services.appeal_create(comment=first, author=first.author, note="One.")
    services.appeal_decide(appeal=decided, moderator=moderator, outcome="upheld")
    waiting = services.appeal_create(comment=second, author=second.author, note="Two.")
    client.force_login(moderator)
    listed = client.get(reverse("admin:comments_appeal_changelist")).context["cl"].result_list
    assert [appeal.pk for appeal in listed] == [waiting.pk, decided.pk]


def test_an_appeal_note_longer_than_the_limit_is_refused_by_the_service_too(removed):
    with pytest.raises(ValidationError):
        services.appeal_create(comment=removed, author=removed.author, note="x" * 2001)
    assert not Appeal.objects.exists()
