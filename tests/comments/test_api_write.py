"""Writing through the API (/api/v1/me/): each operation goes through the site's services, with their limits,
moderation and words, and each refusal is a 4xx in the API's error shape naming the field."""

import json
from datetime import timedelta

import pytest
from django.db import OperationalError
from django.test import Client
from django.utils import timezone

from comments import services
from comments.models import (
    Comment,
    CommentLike,
    CommentReport,
    Discussion,
    Mention,
    ModerationAction,
    ModerationRule,
    Notification,
)
from tests.factories import ArticleFactory, CommentFactory, ModerationRuleFactory, UserFactory, api_token, reports_rule

pytestmark = pytest.mark.django_db

COMMENTS = "/api/v1/me/comments/"
REPORTS = "/api/v1/me/reports/"


@pytest.fixture
def reader():
    return UserFactory(handle="marta", display_name="Marta K")


@pytest.fixture
def api(reader):
    """A client sending the reader's bearer token (every scope), as a first-party app does."""
    _token, secret = api_token(reader)
    return Client(headers={"Authorization": f"Bearer {secret}"})


def send(api, method, url, payload=None, **extra):
    data = json.dumps(payload) if payload is not None else ""
    return getattr(api, method)(url, data, content_type="application/json", **extra)


def error(response) -> tuple[str | None, str]:
    (only,) = response.json()["errors"]
    return only["field"], only["message"]


def test_posting_a_comment_answers_201_with_its_state_and_permalink(api, reader):
    story = ArticleFactory()
    response = send(api, "post", COMMENTS, {"story": story.pk, "body": "First!\n\nSecond paragraph."})
    assert response.status_code == 201
    comment = Comment.objects.get()
    assert response.json() == {
        "id": comment.pk,
        "state": "published",
        "url": f"http://testserver/comments/{comment.pk}/",
        "message": "Your comment is posted.",
    }
    assert (comment.author, comment.article, comment.status) == (reader, story, Comment.Status.VISIBLE)
    assert comment.body_html == "<p>First!</p><p>Second paragraph.</p>"
    assert response["Cache-Control"] == "private, no-store"
    assert Discussion.objects.get(pk=story.pk).comment_count == 1


def test_a_reply_notifies_the_parent_author_and_mentions_notify_as_on_the_site(api, reader):
    parent = CommentFactory(author=UserFactory(handle="alex"))
    UserFactory(handle="sam")
    response = send(api, "post", COMMENTS, {"story": parent.article_id, "parent": parent.pk, "body": "Agreed, @sam."})
    assert response.status_code == 201 and response.json()["message"] == "Your reply is posted."
    reply = Comment.objects.get(pk=response.json()["id"])
    assert reply.parent == parent
    assert list(Mention.objects.filter(comment=reply).values_list("user__handle", flat=True)) == ["sam"]
    told = dict(Notification.objects.filter(comment=reply).values_list("recipient__handle", "is_reply"))
    assert told == {"alex": True, "sam": False}
    assert 'class="mention">@sam</a>' in reply.body_html


def test_a_reply_to_a_comment_of_another_story_or_none_is_404_naming_parent(api):
    elsewhere = CommentFactory()
    story = ArticleFactory()
    for parent in (elsewhere.pk, 10**12):
        response = send(api, "post", COMMENTS, {"story": story.pk, "parent": parent, "body": "Hm"})
        assert response.status_code == 404
        assert error(response) == ("parent", "The comment you replied to is not available.")
    assert Comment.objects.count() == 1


def test_a_story_not_published_is_404_naming_story(api):
    draft = ArticleFactory(status="draft")
    for story in (draft.pk, 10**12):
        response = send(api, "post", COMMENTS, {"story": story, "body": "Early"})
        assert response.status_code == 404 and error(response)[0] == "story"
    assert not Comment.objects.exists()


def test_premoderated_story_holds_the_comment_and_says_why(api):
    story = ArticleFactory(discussion_mode=Discussion.Mode.PREMODERATED)
    response = send(api, "post", COMMENTS, {"story": story.pk, "body": "Waiting"})
    assert response.status_code == 201
    assert response.json()["state"] == "held"
    assert response.json()["message"] == (
        "Your comment is waiting for moderation. This story's comments are moderated before they appear."
    )
    assert Comment.objects.get().status == Comment.Status.PENDING


def test_a_closed_discussion_refuses_with_the_sites_words(api):
    story = ArticleFactory(discussion_mode=Discussion.Mode.CLOSED)
    response = send(api, "post", COMMENTS, {"story": story.pk, "body": "Too late"})
    assert response.status_code == 403
    field, message = error(response)
    assert field is None and "closed" in message.lower()
    assert not Comment.objects.exists()


def test_an_over_long_or_empty_body_is_400_naming_body(api, settings):
    settings.COMMENTS_MAX_LENGTH = 10
    story = ArticleFactory()
    response = send(api, "post", COMMENTS, {"story": story.pk, "body": "x" * 12})
    assert response.status_code == 400
    assert error(response) == (
        "body",
        "Comments are at most 10 characters; this one has 12. Shorten it by 2 and post it again.",
    )
    response = send(api, "post", COMMENTS, {"story": story.pk, "body": " \u0000\u202e "})
    assert response.status_code == 400 and error(response) == ("body", "Write something first: the comment is empty.")
    assert not Comment.objects.exists()


def test_a_body_past_the_upload_limit_is_413(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = send(api, "post", COMMENTS, {"story": ArticleFactory().pk, "body": "x" * 2000})
    assert response.status_code == 413 and error(response)[0] == "body"
    assert response["Cache-Control"] == "private, no-store"


def test_hostile_text_is_stored_clean_and_rendered_escaped(api):
    body = "<script>alert(1)</script>\u0000 \u202eevil\u202c <img src=x onerror=alert(2)> javascript:alert(3)"
    response = send(api, "post", COMMENTS, {"story": ArticleFactory().pk, "body": body})
    assert response.status_code == 201
    comment = Comment.objects.get()
    assert "\u0000" not in comment.body and "\u202e" not in comment.body
    assert "<script>" not in comment.body_html and "<img" not in comment.body_html
    assert "&lt;script&gt;" in comment.body_html and "href" not in comment.body_html


def test_the_moderation_pipeline_rejects_and_logs_as_on_the_site(api, reader):
    ModerationRuleFactory(name="banned words", words="scamcoin", outcome=ModerationRule.Outcome.REJECT)
    response = send(api, "post", COMMENTS, {"story": ArticleFactory().pk, "body": "Buy scamcoin"})
    assert response.status_code == 400
    field, message = error(response)
    assert field == "body" and "may not contain “scamcoin”" in message
    assert not Comment.objects.exists()
    action = ModerationAction.objects.get(action=ModerationAction.Action.REJECT)
    assert (action.by, action.user) == ("rule: banned words", reader)


def test_a_held_comment_is_in_the_audit_log(api):
    ModerationRuleFactory(name="suspect words", words="cheap pills")
    response = send(api, "post", COMMENTS, {"story": ArticleFactory().pk, "body": "cheap pills"})
    assert response.status_code == 201 and response.json()["state"] == "held"
    assert ModerationAction.objects.get(action=ModerationAction.Action.HOLD).comment_id == response.json()["id"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"body": "Hi", "storyy": 1}, "storyy"),
        ({"story": 1, "body": "Hi", "author": 7}, "author"),
        ({"story": "one", "body": "Hi"}, "story"),
        ({"story": 2**63, "body": "Hi"}, "story"),
        ({"story": 1, "body": ["Hi"]}, "body"),
        ({"story": 1}, "body"),
    ],
    ids=["misspelt", "extra", "not-a-number", "too-big", "not-a-string", "missing"],
)
def test_unknown_missing_or_wrong_fields_are_422_naming_the_field(api, payload, field):
    response = send(api, "post", COMMENTS, payload)
    assert response.status_code == 422
    assert field in [item["field"] for item in response.json()["errors"]]
    assert not Comment.objects.exists()


def test_bad_json_and_other_content_types_are_refused_in_the_error_shape(api):
    story = ArticleFactory()
    response = api.post(COMMENTS, '{"story": 1, "body": ', content_type="application/json")
    assert response.status_code == 400 and response.json()["errors"][0]["message"] == "Cannot parse request body"
    response = api.post(COMMENTS, {"story": story.pk, "body": "A form"})  # multipart, as a browser's form
    assert response.status_code == 415
    assert error(response) == (None, "Send the body as JSON, with Content-Type: application/json.")
    response = api.post(COMMENTS, json.dumps({"story": story.pk, "body": "Hi"}), content_type="text/plain")
    assert response.status_code == 415 and response["Cache-Control"] == "private, no-store"
    assert not Comment.objects.exists()


def test_the_rate_limit_answers_429_with_retry_after(api, settings):
    settings.COMMENTS_RATE_PER_MINUTE = 1
    story = ArticleFactory()
    assert send(api, "post", COMMENTS, {"story": story.pk, "body": "One"}).status_code == 201
    response = send(api, "post", COMMENTS, {"story": story.pk, "body": "Two"})
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert error(response)[1].startswith("You have sent 1 comment in the last minute.")
    assert Comment.objects.count() == 1


def test_slow_mode_answers_429_with_the_seconds_left(api):
    story = ArticleFactory()
    Discussion.objects.create(article=story, slow_mode_seconds=120)
    assert send(api, "post", COMMENTS, {"story": story.pk, "body": "One"}).status_code == 201
    response = send(api, "post", COMMENTS, {"story": story.pk, "body": "Two"})
    assert response.status_code == 429 and "slow mode" in error(response)[1]


def test_the_same_idempotency_key_posts_once(api):
    story = ArticleFactory()
    key = {"HTTP_IDEMPOTENCY_KEY": "retry-key-0123456789"}
    first = send(api, "post", COMMENTS, {"story": story.pk, "body": "Once"}, **key)
    again = send(api, "post", COMMENTS, {"story": story.pk, "body": "Once"}, **key)
    assert first.status_code == again.status_code == 201 and first.json()["id"] == again.json()["id"]
    assert Comment.objects.count() == 1
    response = send(api, "post", COMMENTS, {"story": story.pk, "body": "Once"}, HTTP_IDEMPOTENCY_KEY="short")
    assert response.status_code == 400 and error(response)[0] == "Idempotency-Key"


def test_writes_need_no_csrf_token_with_a_bearer_token(reader):
    _token, secret = api_token(reader)
    strict = Client(enforce_csrf_checks=True, headers={"Authorization": f"Bearer {secret}"})
    strict.force_login(reader)
    assert send(strict, "post", COMMENTS, {"story": ArticleFactory().pk, "body": "No CSRF here"}).status_code == 201


def test_editing_own_comment_within_the_window_notifies_new_mentions(api, reader):
    comment = CommentFactory(author=reader, body="Before")
    UserFactory(handle="sam")
    response = send(api, "patch", f"{COMMENTS}{comment.pk}/", {"body": "After, @sam"})
    assert response.status_code == 200
    assert response.json()["state"] == "published" and response.json()["message"] == "Your changes are saved."
    comment.refresh_from_db()
    assert comment.body == "After, @sam" and comment.edited_at is not None
    assert Notification.objects.filter(comment=comment, recipient__handle="sam", is_mention=True).exists()
    assert response["Cache-Control"] == "private, no-store"


def test_editing_is_refused_for_others_comments_after_the_window_and_with_extra_fields(api, reader, settings):
    others = CommentFactory()
    response = send(api, "patch", f"{COMMENTS}{others.pk}/", {"body": "Mine now"})
    assert response.status_code == 403 and error(response) == (None, "You can only edit your own comments.")
    mine = CommentFactory(author=reader)
    response = send(api, "patch", f"{COMMENTS}{mine.pk}/", {"body": "x", "status": "visible"})
    assert response.status_code == 422 and error(response)[0] == "status"
    Comment.objects.filter(pk=mine.pk).update(created_at=timezone.now() - timedelta(minutes=16))
    response = send(api, "patch", f"{COMMENTS}{mine.pk}/", {"body": "Too late"})
    assert response.status_code == 403
    assert error(response)[1] == (
        "Comments can be edited for 15 minutes after posting; the time to edit this one has passed."
    )
    assert send(api, "patch", f"{COMMENTS}999999/", {"body": "?"}).status_code == 404


def test_deleting_own_comment_leaves_a_tombstone_only_when_it_has_replies(api, reader):
    lonely = CommentFactory(author=reader)
    response = send(api, "delete", f"{COMMENTS}{lonely.pk}/")
    assert response.status_code == 200
    assert response.json() == {"id": lonely.pk, "state": "gone", "url": None, "message": "Your comment was deleted."}
    assert not Comment.objects.filter(pk=lonely.pk).exists()
    answered = CommentFactory(author=reader)
    CommentFactory(parent=answered)
    response = send(api, "delete", f"{COMMENTS}{answered.pk}/")
    assert response.status_code == 200 and response.json()["state"] == "deleted"
    answered.refresh_from_db()
    assert answered.status == Comment.Status.DELETED and answered.body == ""
    others = CommentFactory()
    response = send(api, "delete", f"{COMMENTS}{others.pk}/")
    assert response.status_code == 403 and error(response)[1] == "You can only delete your own comments."


def test_liking_and_taking_the_like_back_say_what_the_reader_wants(api, reader):
    comment = CommentFactory()
    url = f"/api/v1/me/likes/{comment.pk}/"
    for _ in range(2):
        response = api.put(url)
        assert response.status_code == 200
        assert response.json() == {"comment": comment.pk, "liked": True, "like_count": 1}
    assert CommentLike.objects.filter(comment=comment, user=reader).count() == 1
    response = api.delete(url)
    assert response.json() == {"comment": comment.pk, "liked": False, "like_count": 0}
    assert response["Cache-Control"] == "private, no-store"
    own = CommentFactory(author=reader)
    response = api.put(f"/api/v1/me/likes/{own.pk}/")
    assert response.status_code == 403 and error(response)[1] == "You cannot like your own comment."
    held = CommentFactory(article=ArticleFactory(discussion_mode=Discussion.Mode.PREMODERATED))
    assert api.put(f"/api/v1/me/likes/{held.pk}/").status_code == 404  # someone else's pending comment: not there
    assert api.put(f"/api/v1/me/likes/{2**63}/").status_code == 422


def test_likes_are_rate_limited(api, settings):
    settings.COMMENTS_LIKES_PER_MINUTE = 1
    first, second = CommentFactory(), CommentFactory()
    assert api.put(f"/api/v1/me/likes/{first.pk}/").status_code == 200
    response = api.put(f"/api/v1/me/likes/{second.pk}/")
    assert response.status_code == 429 and "Retry-After" in response


def test_reporting_once_holds_at_the_rules_threshold_and_twice_is_409(api, reader):
    reports_rule(1)
    comment = CommentFactory()
    response = send(api, "post", REPORTS, {"comment": comment.pk, "reason": "spam", "note": "Ads \u0000again"})
    assert response.status_code == 201
    assert response.json() == {"comment": comment.pk, "message": "Thank you: a moderator will look at this comment."}
    report = CommentReport.objects.get()
    assert (report.user, report.reason, report.note) == (reader, "spam", "Ads again")
    comment.refresh_from_db()
    assert comment.status == Comment.Status.PENDING and comment.report_count == 1
    assert ModerationAction.objects.filter(action=ModerationAction.Action.HOLD, comment=comment).exists()
    # Held now, so no longer the reader's to see; another comment for the second report.
    other = CommentFactory()
    CommentReport.objects.create(comment=other, user=reader, reason="abuse")
    response = send(api, "post", REPORTS, {"comment": other.pk, "reason": "abuse"})
    assert response.status_code == 409
    assert error(response)[1] == "You have already reported this comment. A moderator will look at it."


def test_report_refusals_name_the_field(api, reader):
    comment = CommentFactory()
    response = send(api, "post", REPORTS, {"comment": comment.pk, "reason": "boring"})
    assert response.status_code == 422 and error(response)[0] == "reason"
    response = send(api, "post", REPORTS, {"comment": comment.pk, "reason": "spam", "note": "x" * 501})
    assert response.status_code == 422 and error(response)[0] == "note"
    response = send(api, "post", REPORTS, {"comment": 999999, "reason": "spam"})
    assert response.status_code == 404 and error(response) == ("comment", "This comment is not available.")
    own = CommentFactory(author=reader)
    response = send(api, "post", REPORTS, {"comment": own.pk, "reason": "spam"})
    assert response.status_code == 403 and error(response)[1] == "You cannot report your own comment."
    assert not CommentReport.objects.exists()


def test_the_schema_declares_every_refusal_of_the_writes(client):
    schema = client.get("/api/v1/schema/").json()
    writes = {path: item for path, item in schema["paths"].items() if path.startswith("/api/v1/me/")}
    assert set(writes) == {
        "/api/v1/me/comments/",
        "/api/v1/me/comments/{comment_id}/",
        "/api/v1/me/likes/{comment_id}/",
        "/api/v1/me/reports/",
    }
    for item in writes.values():
        for operation in item.values():
            assert {"400", "401", "403", "404", "415", "422", "429", "503"} <= set(operation["responses"])
            assert operation["security"] == [{"TokenAuth": []}]


def test_a_control_character_in_the_address_is_a_400_in_the_error_shape(api):
    response = api.put("/api/v1/me/likes/%01/")
    assert response.status_code == 400 and response["Content-Type"] == "application/json"
    assert "control character" in error(response)[1]


def test_a_write_that_fails_in_the_database_is_a_503_to_retry(api, monkeypatch):
    def lock_timeout(**kwargs):
        raise OperationalError("canceling statement due to lock timeout")

    monkeypatch.setattr(services, "comment_create", lock_timeout)
    response = send(api, "post", COMMENTS, {"story": ArticleFactory().pk, "body": "Busy"})
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert error(response)[1].startswith("Sorry, your comment could not be saved just now")
