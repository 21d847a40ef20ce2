"""Illegal-content notices (DSA art. 16): the form for anyone, the reference and acknowledgement, the limits, the
admin queue and a moderator's decision told to the notifier and logged."""

import re

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from comments import services
from comments.models import Comment, IllegalContentNotice, ModerationAction
from newsroom.services import moderators_group
from tests.factories import ArticleFactory, CommentFactory, UserFactory

pytestmark = pytest.mark.django_db

REFERENCE = re.compile(r"N-\d{4}-[2-9A-HJ-NP-Z]{8}")


def form(**fields):
    return {
        "category": "defamation",
        "explanation": "It says I stole from my employer, which is false.",
        "location": "ignored: the site says where",
        "notifier_name": "Ana Ruiz",
        "notifier_email": "ana@example.com",
        "good_faith": "on",
        **fields,
    }


def test_a_signed_out_reader_reports_a_comment_and_gets_a_reference_and_an_acknowledgement(
    client, django_capture_on_commit_callbacks
):
    comment = CommentFactory(body="A defamatory claim")
    address = reverse("comments:notice_comment", args=[comment.pk])
    page = client.get(address)
    assert page.status_code == 200 and "A defamatory claim" in page.content.decode()
    assert f"http://testserver{comment.get_absolute_url()}" in page.content.decode()  # the location, prefilled

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(address, form())
    notice = IllegalContentNotice.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "comments:notice_done", args=[notice.reference]
    )
    assert REFERENCE.fullmatch(notice.reference)
    assert (notice.comment, notice.article, notice.content) == (comment, None, "A defamatory claim")
    assert notice.location == f"http://testserver{comment.get_absolute_url()}"
    done = client.get(response["Location"]).content.decode()
    assert notice.reference in done and "Defamation" in done and "ana@example.com" not in done
    [ack] = mail.outbox
    assert ack.to == ["ana@example.com"] and notice.reference in ack.subject and notice.reference in ack.body
    action = ModerationAction.objects.get(action=ModerationAction.Action.NOTICE)
    assert (action.comment, action.actor, action.by, action.note) == (comment, None, "a notifier", notice.reference)


def test_a_story_can_be_reported_and_without_an_address_no_mail_goes(client):
    story = ArticleFactory(headline="The story in question")
    response = client.post(
        reverse("comments:notice_story", args=[story.pk]), form(category="privacy", notifier_email="")
    )
    assert response.status_code == 302
    notice = IllegalContentNotice.objects.get()
    assert (notice.article, notice.comment, notice.content) == (story, None, "The story in question")
    assert mail.outbox == []


def test_the_story_page_and_each_comment_link_to_the_form(client):
    comment = CommentFactory()
    html = client.get(comment.article.get_absolute_url()).content.decode()
    assert reverse("comments:notice_story", args=[comment.article_id]) in html
    assert reverse("comments:notice_comment", args=[comment.pk]) in html


def test_a_missing_explanation_or_statement_is_a_form_error_that_keeps_the_text(client):
    comment = CommentFactory()
    address = reverse("comments:notice_comment", args=[comment.pk])
    response = client.post(address, form(explanation="", good_faith=""))
    html = response.content.decode()
    assert response.status_code == 400
    assert (
        "Explain why you believe this is illegal." in html and "Confirm that the notice is given in good faith." in html
    )
    assert 'value="Ana Ruiz"' in html and 'value="ana@example.com"' in html
    kept = client.post(address, form(good_faith="")).content.decode()
    assert "It says I stole from my employer, which is false.</textarea>" in kept
    assert not IllegalContentNotice.objects.exists()


def test_what_does_not_exist_or_cannot_be_seen_is_a_404(client):
    held = CommentFactory(article=ArticleFactory(discussion_mode="premoderated"))
    assert held.status == Comment.Status.PENDING
    for address in (
        reverse("comments:notice_comment", args=[999999]),
        reverse("comments:notice_comment", args=[held.pk]),
        reverse("comments:notice_story", args=[999999]),
        reverse("comments:notice_done", args=["N-2026-NOSUCHNO"]),
    ):
        assert client.get(address).status_code == 404
        assert client.post(address, form()).status_code in (404, 405)


def test_notices_are_rate_limited_per_address_with_the_text_kept(client, settings):
    settings.COMMENTS_NOTICES_PER_HOUR = 2
    address = reverse("comments:notice_comment", args=[CommentFactory().pk])
    for _ in range(2):
        assert client.post(address, form()).status_code == 302
    refused = client.post(address, form())
    assert refused.status_code == 429 and refused["Retry-After"]
    assert "2 notices have been sent from your address" in refused.content.decode()
    assert "It says I stole from my employer" in refused.content.decode()


def test_a_decision_removes_the_comment_is_final_logged_and_told_to_the_notifier(django_capture_on_commit_callbacks):
    comment = CommentFactory()
    moderator = UserFactory(is_staff=True)
    notice = services.notice_create(
        target=comment,
        category="hate",
        explanation="Incites hatred.",
        location="x",
        good_faith=True,
        sender_key="1.2.3.4",
        notifier_email="ana@example.com",
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.notice_decide(notice=notice, moderator=moderator, decision="action", reason="It incites violence.")
    notice.refresh_from_db()
    assert notice.decision == "action" and notice.decided_by == moderator and notice.decided_at
    removed = Comment.objects.get(pk=comment.pk)
    assert removed.status == Comment.Status.REMOVED and "It incites violence." in removed.removal_reason
    decided = ModerationAction.objects.get(action=ModerationAction.Action.NOTICE_DECIDED)
    assert decided.actor == moderator and notice.reference in decided.note
    # The notifier is told the decision; the comment's author is told of the removal, as for any removal.
    [told] = [message for message in mail.outbox if message.to == ["ana@example.com"]]
    assert "Action taken" in told.body and "It incites violence." in told.body
    assert [message.to for message in mail.outbox if message is not told] == [[comment.author.email]]
    with pytest.raises(ValidationError, match="already decided"):
        services.notice_decide(notice=notice, moderator=moderator, decision="no_action", reason="Changed my mind.")


def test_a_notice_has_one_target():
    comment = CommentFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        IllegalContentNotice.objects.create(
            reference="N-2026-AAAAAAAA",
            category="other",
            explanation="x",
            location="x",
            content="x",
            good_faith=True,
            comment=comment,
            article=comment.article,
        )


def test_moderators_see_open_notices_first_and_decide_in_the_admin(client):
    story = ArticleFactory()
    older = services.notice_create(
        target=story, category="fraud", explanation="A scam.", location="x", good_faith=True, sender_key="a"
    )
    newer = services.notice_create(
        target=CommentFactory(), category="other", explanation="Illegal.", location="x", good_faith=True, sender_key="b"
    )
    moderator = UserFactory(is_staff=True)
    moderator.groups.add(moderators_group())
    client.force_login(moderator)
    services.notice_decide(notice=older, moderator=moderator, decision="no_action", reason="Not a scam.")
    html = client.get(reverse("admin:comments_illegalcontentnotice_changelist")).content.decode()
    assert html.index(newer.reference) < html.index(older.reference)

    change = reverse("admin:comments_illegalcontentnotice_change", args=[newer.pk])
    assert client.post(change, {"decision": "no_action", "decision_reason": ""}).status_code == 200  # reason needed
    response = client.post(change, {"decision": "no_action", "decision_reason": "Lawful opinion."})
    assert response.status_code == 302
    newer.refresh_from_db()
    assert (newer.decision, newer.decided_by) == ("no_action", moderator)


def test_a_notice_outlives_the_comment_of_a_reader_who_leaves():
    comment = CommentFactory(body="Reported, then its author left")
    notice = services.notice_create(
        target=comment, category="other", explanation="Illegal.", location="x", good_faith=True, sender_key="a"
    )
    services.comments_of_leaving_reader(user=comment.author)
    assert not Comment.objects.filter(pk=comment.pk).exists()
    notice.refresh_from_db()
    assert (notice.comment, notice.article, notice.content) == (None, None, "Reported, then its author left")
    assert not ModerationAction.objects.filter(comment_id=comment.pk).exists()
