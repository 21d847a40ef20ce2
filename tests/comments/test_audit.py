"""The audit log: every moderation action through the services leaves one row saying who, what, when and why."""

import pytest

from comments import services
from comments.models import Comment, ModerationAction, Restriction
from tests.factories import ArticleFactory, CommentFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_approving_and_removing_record_the_moderator_the_author_and_the_reason():
    moderator = UserFactory(is_staff=True)
    story = ArticleFactory()
    held = CommentFactory(article=story)
    Comment.objects.filter(pk=held.pk).update(status=Comment.Status.PENDING)
    other = CommentFactory(article=story)

    services.comment_approve(comments=[held], moderator=moderator)
    services.comment_remove(comments=[held, other], moderator=moderator, reason="Spam")

    rows = list(
        ModerationAction.objects.order_by("pk").values_list("action", "actor", "comment", "user", "article", "reason")
    )
    assert rows == [
        ("approve", moderator.pk, held.pk, held.author_id, story.pk, ""),
        ("remove", moderator.pk, held.pk, held.author_id, story.pk, "Spam"),
        ("remove", moderator.pk, other.pk, other.author_id, story.pk, "Spam"),
    ]


def test_a_suspension_records_its_length_and_the_reason_typed():
    moderator, reader = UserFactory(is_staff=True), UserFactory()
    services.reader_restrict(user=reader, moderator=moderator, kind=Restriction.Kind.SUSPENSION, days=3, reason="Abuse")
    action = ModerationAction.objects.get()
    assert (action.action, action.actor, action.user, action.reason, action.note) == (
        "restrict",
        moderator,
        reader,
        "Abuse",
        "suspension: 3 days",
    )
    assert action.who == moderator.display_name


def test_the_log_cannot_be_edited_in_the_admin(client):
    admin = UserFactory(is_staff=True, is_superuser=True)
    services.comment_remove(comments=[CommentFactory()], moderator=admin, reason="Spam")
    client.force_login(admin)
    action = ModerationAction.objects.get()
    assert client.get("/admin/comments/moderationaction/").status_code == 200
    page = client.post(f"/admin/comments/moderationaction/{action.pk}/change/", {"reason": "nothing"})
    assert page.status_code in (200, 403)
    action.refresh_from_db()
    assert action.reason == "Spam"
