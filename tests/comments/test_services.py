"""Writes to the discussion: posting, replies, edits, deletes, likes, reports and moderation."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from comments import services
from comments.models import Comment, CommentLike, CommentReport, Discussion, Mention, Restriction
from tests.comments.conftest import assert_trees_sound
from tests.factories import ArticleFactory, CommentFactory, ModerationRuleFactory, UserFactory, report, reports_rule

pytestmark = pytest.mark.django_db


def test_top_level_comment_and_reply_form_one_tree_in_time_order():
    root = CommentFactory(body="First!")
    first = CommentFactory(parent=root)
    second = CommentFactory(parent=root)
    deeper = CommentFactory(parent=first)
    rows = list(Comment.objects.filter(tree_id=root.tree_id).order_by("lft").values_list("pk", "level"))
    assert rows == [(root.pk, 0), (first.pk, 1), (deeper.pk, 2), (second.pk, 1)]
    assert root.body_html == "<p>First!</p>"
    assert root.status == Comment.Status.VISIBLE
    assert_trees_sound()


def test_each_top_level_comment_gets_its_own_tree():
    article = ArticleFactory()
    a, b = CommentFactory(article=article), CommentFactory(article=article)
    assert a.tree_id != b.tree_id


def test_reply_belongs_to_its_parents_story_and_other_stories_are_refused():
    parent = CommentFactory()
    reply = CommentFactory(parent=parent)
    assert reply.article_id == parent.article_id
    with pytest.raises(ValidationError) as error:
        services.comment_create(article=ArticleFactory(), author=UserFactory(), body="hi", parent=parent)
    assert "not available" in str(error.value)


@pytest.mark.parametrize("status", [Comment.Status.REMOVED, Comment.Status.DELETED])
def test_reply_to_removed_or_deleted_comment_is_refused(status):
    parent = CommentFactory()
    CommentFactory(parent=parent)
    Comment.objects.filter(pk=parent.pk).update(status=status)
    with pytest.raises(ValidationError, match="removed"):
        CommentFactory(parent=parent)


def test_closed_story_refuses_comments():
    article = ArticleFactory(discussion_mode=Discussion.Mode.CLOSED)
    with pytest.raises(ValidationError, match="closed"):
        CommentFactory(article=article)


@pytest.mark.parametrize(
    ("body", "message"), [("", "empty"), (" \n\x00\t ", "empty"), ("x" * 5001, "at most 5,000 characters")]
)
def test_empty_or_too_long_text_is_refused(body, message):
    with pytest.raises(ValidationError, match=message):
        CommentFactory(body=body)


def test_text_at_the_limit_is_accepted():
    assert len(CommentFactory(body="x" * 5000).body) == 5000


def test_mentions_of_real_readers_link_and_are_stored_others_stay_text():
    alex = UserFactory(handle="alex")
    comment = CommentFactory(body="@Alex @Publication see example.co/abc")
    assert f'<a href="/comments/member/{alex.pk}/" class="mention">@Alex</a> @Publication' in comment.body_html
    assert 'href="https://example.co/abc"' in comment.body_html
    assert list(Mention.objects.values_list("comment", "user")) == [(comment.pk, alex.pk)]


def test_mention_link_survives_a_handle_change(client):
    alex = UserFactory(handle="alex")
    comment = CommentFactory(body="@alex hello")
    alex.handle = "alexandra"
    alex.save()
    href = f"/comments/member/{alex.pk}/"
    assert href in comment.body_html
    assert client.get(href).url == "/@alexandra/"


def test_premoderated_story_holds_new_comments():
    comment = CommentFactory(article=ArticleFactory(discussion_mode=Discussion.Mode.PREMODERATED))
    assert comment.status == Comment.Status.PENDING
    assert "moderated" in comment.removal_reason


def test_staff_comments_skip_premoderation():
    staff = UserFactory(is_staff=True)
    comment = CommentFactory(article=ArticleFactory(discussion_mode=Discussion.Mode.PREMODERATED), author=staff)
    assert comment.status == Comment.Status.VISIBLE


def test_new_readers_first_comments_wait_until_enough_are_approved(settings):
    settings.COMMENTS_PREMODERATE_FIRST = 2
    reader, moderator = UserFactory(), UserFactory(is_staff=True)
    first = CommentFactory(author=reader)
    assert first.status == Comment.Status.PENDING
    services.comment_approve(comments=[first], moderator=moderator)
    second = CommentFactory(author=reader)
    assert second.status == Comment.Status.PENDING
    services.comment_approve(comments=[second], moderator=moderator)
    assert CommentFactory(author=reader).status == Comment.Status.VISIBLE


def test_banned_word_holds_the_comment():
    ModerationRuleFactory(words="cheap pills")
    assert CommentFactory(body="Buy CHEAP pills here").status == Comment.Status.PENDING
    assert CommentFactory(body="Pills are cheap").status == Comment.Status.VISIBLE


def test_too_many_comments_a_minute_are_rate_limited(settings):
    settings.COMMENTS_RATE_PER_MINUTE = 3
    reader, article = UserFactory(), ArticleFactory()
    for _ in range(3):
        CommentFactory(author=reader, article=article)
    with pytest.raises(services.RateLimited, match="comments in the last minute. Wait [0-9]+ seconds"):
        CommentFactory(author=reader, article=article)
    CommentFactory(article=article)  # another reader is not affected
    assert Comment.objects.filter(author=reader).count() == 3


@pytest.mark.parametrize(("kind", "days", "message"), [("suspension", 3, "until"), ("ban", None, "no longer")])
def test_suspended_or_banned_reader_cannot_comment(kind, days, message):
    reader = UserFactory()
    services.reader_restrict(user=reader, moderator=UserFactory(is_staff=True), kind=kind, days=days, reason="Abuse")
    with pytest.raises(PermissionDenied, match=message):
        CommentFactory(author=reader)


def test_expired_suspension_no_longer_applies():
    reader = UserFactory()
    Restriction.objects.create(user=reader, kind="suspension", until=timezone.now() - timedelta(minutes=1))
    assert CommentFactory(author=reader).status == Comment.Status.VISIBLE


def test_edit_within_window_marks_edited_and_rerenders():
    comment = CommentFactory(body="Teh text")
    UserFactory(handle="carol")
    edited = services.comment_edit(comment=comment, user=comment.author, body="The text @carol")
    assert edited.edited_at is not None
    assert "The text" in edited.body_html and 'class="mention"' in edited.body_html
    assert edited.mentions.count() == 1


def test_edit_after_window_is_refused():
    comment = CommentFactory()
    Comment.objects.filter(pk=comment.pk).update(created_at=timezone.now() - timedelta(minutes=16))
    with pytest.raises(ValidationError, match="15 minutes"):
        services.comment_edit(comment=comment, user=comment.author, body="Changed")


def test_only_the_author_may_edit_or_delete():
    comment = CommentFactory()
    other = UserFactory()
    with pytest.raises(PermissionDenied):
        services.comment_edit(comment=comment, user=other, body="Mine now")
    with pytest.raises(PermissionDenied):
        services.comment_delete(comment=comment, user=other)


def test_delete_with_replies_leaves_a_tombstone_and_keeps_the_replies():
    root = CommentFactory(body="Private thought")
    reply = CommentFactory(parent=root)
    tombstone = services.comment_delete(comment=root, user=root.author)
    assert tombstone.status == Comment.Status.DELETED
    assert tombstone.body == "" and tombstone.body_html == ""
    assert Comment.objects.get(pk=reply.pk).parent_id == root.pk
    assert_trees_sound()


def test_delete_without_replies_removes_it_and_an_emptied_tombstone():
    root = CommentFactory()
    middle = CommentFactory(parent=root)
    leaf = CommentFactory(parent=middle)
    sibling = CommentFactory(parent=root)
    services.comment_delete(comment=middle, user=middle.author)  # tombstone: it has a reply
    assert services.comment_delete(comment=leaf, user=leaf.author) is None
    assert set(Comment.objects.values_list("pk", flat=True)) == {root.pk, sibling.pk}
    assert_trees_sound()


def test_deleting_a_comment_already_deleted_changes_nothing():
    # Each delete read its comment before the other finished (two tabs, a double click): the second does nothing.
    leaf = CommentFactory()
    first, second = Comment.objects.get(pk=leaf.pk), Comment.objects.get(pk=leaf.pk)
    assert services.comment_delete(comment=first, user=leaf.author) is None
    assert services.comment_delete(comment=second, user=leaf.author) is None
    root = CommentFactory()
    CommentFactory(article=root.article, parent=root)
    first, second = Comment.objects.get(pk=root.pk), Comment.objects.get(pk=root.pk)
    assert services.comment_delete(comment=first, user=root.author).status == Comment.Status.DELETED
    version = Discussion.objects.values_list("version", flat=True).get(pk=root.article_id)
    assert services.comment_delete(comment=second, user=root.author).status == Comment.Status.DELETED
    assert Discussion.objects.values_list("version", flat=True).get(pk=root.article_id) == version
    assert not Comment.objects.filter(pk=leaf.pk).exists()
    assert_trees_sound()


def test_a_like_counts_once_per_reader_however_often_it_is_sent():
    comment, reader = CommentFactory(), UserFactory()
    assert services.comment_like(comment=comment, user=reader) is True
    assert services.comment_like(comment=comment, user=reader) is True  # a double click
    assert Comment.objects.get(pk=comment.pk).like_count == 1 and CommentLike.objects.count() == 1
    assert services.comment_like(comment=comment, user=reader, liked=False) is False
    assert services.comment_like(comment=comment, user=reader, liked=False) is False
    assert Comment.objects.get(pk=comment.pk).like_count == 0
    assert not CommentLike.objects.exists()
    with pytest.raises(ValidationError, match="own"):
        services.comment_like(comment=comment, user=comment.author)


def test_reports_from_enough_readers_hold_the_comment(settings):
    reports_rule(2)
    comment = CommentFactory()
    reader = UserFactory()
    services.comment_report(comment=comment, user=reader, reason="spam")
    with pytest.raises(ValidationError, match="already reported"):
        services.comment_report(comment=comment, user=reader, reason="abuse")
    assert Comment.objects.get(pk=comment.pk).status == Comment.Status.VISIBLE
    services.comment_report(comment=comment, user=UserFactory(), reason="abuse", note="rude")
    held = Comment.objects.get(pk=comment.pk)
    assert held.status == Comment.Status.PENDING and "2 reports" in held.removal_reason


def test_report_reason_must_be_a_known_one():
    with pytest.raises(ValidationError):
        services.comment_report(comment=CommentFactory(), user=UserFactory(), reason="boring")


def test_approve_makes_visible_and_clears_reports():
    comment = CommentFactory(article=ArticleFactory(discussion_mode=Discussion.Mode.PREMODERATED))
    report(comment, "spam")
    assert services.comment_approve(comments=[comment], moderator=UserFactory(is_staff=True)) == 1
    assert Comment.objects.get(pk=comment.pk).status == Comment.Status.VISIBLE
    assert not CommentReport.objects.exists()


def test_remove_needs_a_reason_and_keeps_replies():
    root = CommentFactory()
    reply = CommentFactory(parent=root)
    moderator = UserFactory(is_staff=True)
    with pytest.raises(ValidationError, match="reason"):
        services.comment_remove(comments=[root], moderator=moderator, reason=" ")
    assert services.comment_remove(comments=[root], moderator=moderator, reason="Abuse") == 1
    root.refresh_from_db()
    assert root.status == Comment.Status.REMOVED and root.removal_reason == "Abuse"
    assert Comment.objects.filter(pk=reply.pk).exists()


def test_purge_deletes_the_whole_thread_and_keeps_other_trees_sound():
    article = ArticleFactory()
    keep = CommentFactory(article=article)
    root = CommentFactory(article=article)
    CommentFactory(parent=CommentFactory(parent=root))
    CommentFactory(parent=keep)
    services.comment_purge(comment=root)
    assert Comment.objects.count() == 2
    assert_trees_sound()


# ------------------------------------------------------------------------------
# The story's count: moved by each write, never recounted
# ------------------------------------------------------------------------------
def visible(article) -> int:
    return Comment.objects.filter(article=article, status=Comment.Status.VISIBLE).count()


def stored(article) -> int:
    return Discussion.objects.get(pk=article.pk).comment_count


@pytest.fixture
def discussion():
    """A story with a thread: root > reply > under, and root > leaf; all visible, all posted through the services."""
    article = ArticleFactory()
    root = CommentFactory(article=article)
    reply = CommentFactory(parent=root)
    under = CommentFactory(parent=reply)
    leaf = CommentFactory(parent=root)
    return article, {"root": root, "reply": reply, "under": under, "leaf": leaf}


def fresh(comment) -> Comment:
    return Comment.objects.get(pk=comment.pk)


def post_held(article, c):
    ModerationRuleFactory(words="heldword")
    return CommentFactory(parent=c["root"], body="A heldword here")


def approve_held(article, c):
    services.comment_approve(comments=[post_held(article, c)], moderator=UserFactory(is_staff=True))


def delete_held(article, c):
    held = post_held(article, c)
    services.comment_delete(comment=held, user=held.author)


def edit_into_held(article, c):
    ModerationRuleFactory(words="heldword")
    services.comment_edit(comment=c["leaf"], user=c["leaf"].author, body="Now with heldword")


def reports_hold(article, c, settings=None):
    for _ in range(2):
        services.comment_report(comment=c["leaf"], user=UserFactory(), reason=CommentReport.Reason.SPAM)


def remove(article, c, which=("leaf",)):
    services.comment_remove(comments=[c[w] for w in which], moderator=UserFactory(is_staff=True), reason="Spam")


def remove_then_approve_all(article, c):
    remove(article, c, which=("leaf", "reply"))
    services.comment_approve(comments=[fresh(c[w]) for w in c], moderator=UserFactory(is_staff=True))


def remove_then_author_deletes(article, c):
    remove(article, c, which=("reply",))
    services.comment_delete(comment=c["reply"], user=c["reply"].author)


def delete_last_reply_under_tombstone(article, c):
    services.comment_delete(comment=c["reply"], user=c["reply"].author)
    services.comment_delete(comment=c["under"], user=c["under"].author)  # the tombstone goes with it


def leaving_reader(article, c):
    author = UserFactory()
    mine = CommentFactory(parent=c["root"], author=author)
    CommentFactory(parent=mine)
    CommentFactory(parent=c["leaf"], author=author)
    services.comments_of_leaving_reader(user=author)  # one tombstone, one comment gone


# (name, steps, change in visible comments): each step is a write through the services.
TRANSITIONS = [
    ("post visible", lambda a, c: CommentFactory(article=a), +1),
    ("post pending", post_held, 0),
    ("pending -> visible", approve_held, +1),
    ("pending -> deleted", delete_held, 0),
    ("visible -> pending by edit", edit_into_held, -1),
    ("visible -> pending by reports", reports_hold, -1),
    ("visible -> removed", remove, -1),
    ("approving all after removals: removed stay, visible again", remove_then_approve_all, -2),
    ("removed -> deleted by its author", remove_then_author_deletes, -1),
    (
        "visible -> deleted tombstone",
        lambda a, c: services.comment_delete(comment=c["reply"], user=c["reply"].author),
        -1,
    ),
    ("visible leaf deleted", lambda a, c: services.comment_delete(comment=c["leaf"], user=c["leaf"].author), -1),
    ("last reply under a tombstone deleted", delete_last_reply_under_tombstone, -2),
    ("purge of a comment with replies", lambda a, c: services.comment_purge(comment=c["reply"]), -2),
    ("purge of a whole thread", lambda a, c: services.comment_purge(comment=c["root"]), -4),
    ("account deletion: tombstone and leaf", leaving_reader, +1),
    ("like", lambda a, c: services.comment_like(comment=c["root"], user=UserFactory()), 0),
]


@pytest.mark.parametrize("drift", [0, 100], ids=["true count", "drifted by 100"])
@pytest.mark.parametrize(("name", "steps", "delta"), TRANSITIONS, ids=[t[0] for t in TRANSITIONS])
def test_every_write_moves_the_count_by_its_change_and_never_recounts(discussion, settings, name, steps, delta, drift):
    """With the true count, the stored one stays true; with a drifted one, the drift stays (a recount would erase
    it): each write adds its own change, nothing else."""
    reports_rule(2)
    article, comments = discussion
    assert stored(article) == visible(article) == 4
    Discussion.objects.filter(pk=article.pk).update(comment_count=4 + drift)
    steps(article, comments)
    assert visible(article) == 4 + delta
    assert stored(article) == visible(article) + drift


@pytest.mark.parametrize("reply", [False, True], ids=["top-level", "reply"])
def test_posting_counts_no_comments_of_the_story_or_of_the_author(discussion, settings, reply):
    """Nothing in comment_create counts comments. The first-comment check is on: it asks whether the author has one
    visible comment, which a COUNT would answer by reading all of theirs."""
    settings.COMMENTS_PREMODERATE_FIRST = 1
    article, comments = discussion
    parent = comments["root"] if reply else None
    with CaptureQueriesContext(connection) as queries:
        services.comment_create(article=article, author=comments["leaf"].author, body="Another.", parent=parent)
    assert [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"] and "comments_comment" in q["sql"]] == []
    assert stored(article) == visible(article) == 5


def test_a_drifted_count_never_fails_a_write_by_going_below_zero(discussion):
    article, comments = discussion
    Discussion.objects.filter(pk=article.pk).update(comment_count=0)
    services.comment_delete(comment=comments["leaf"], user=comments["leaf"].author)
    assert stored(article) == 0
