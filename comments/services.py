"""Writes to the discussion: post, edit, delete, like, report and moderate. Each tree write takes the story lock."""

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Func, OuterRef, Subquery
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

from articles.models import Article
from comments import text
from comments.locking import lock_story_threads
from comments.mentions import find_mentions
from comments.models import BannedWord, Comment, CommentLike, CommentReport, Mention, Restriction
from newsroom import ratelimit

__all__ = [
    "RateLimited",
    "comment_create",
    "comment_edit",
    "comment_delete",
    "comment_like_toggle",
    "comment_report",
    "comment_approve",
    "comment_remove",
    "comment_purge",
    "reader_restrict",
    "reader_restriction",
    "render_body",
    "discussion_changed",
]

User = get_user_model()


class RateLimited(ValidationError):
    """Too many comments in a minute; the view answers 429 with Retry-After."""

    def __init__(self, message: str, *, retry_after: int, code: str = "rate_limited"):
        super().__init__(message, code=code)
        self.retry_after = retry_after


def _clean_body(body: str) -> str:
    body = text.clean_text(body)
    if not body:
        raise ValidationError({"body": "Write something first: the comment is empty."}, code="empty")
    limit = settings.COMMENTS_MAX_LENGTH
    if len(body) > limit:
        raise ValidationError(
            {"body": f"Comments are at most {limit:,} characters; this one has {len(body):,}."}, code="too_long"
        )
    return body


def discussion_changed(article_id: int) -> None:
    """Every write to a story's discussion ends here, inside its transaction: recount the visible comments and bump
    the version, which retires the story's cached discussion (comments.rendering). One UPDATE."""
    visible = (
        Comment.objects.filter(article_id=OuterRef("pk"), status=Comment.Status.VISIBLE)
        .order_by()
        .annotate(n=Func(F("pk"), function="COUNT"))
        .values("n")
    )
    Article.objects.filter(pk=article_id).update(
        comment_count=Subquery(visible), comment_version=F("comment_version") + 1
    )


def render_body(body: str) -> tuple[str, list]:
    """The body's HTML with known @handles linked, and the readers it mentions (one query)."""
    handles = [handle.lower() for handle in find_mentions(body)]
    users = list(User.objects.annotate(lower_handle=Lower("handle")).filter(lower_handle__in=handles, is_active=True))
    links = {user.handle.lower(): reverse("comments:member", kwargs={"pk": user.pk}) for user in users}
    return text.render(body, links), users


def reader_restriction(user) -> Restriction | None:
    return Restriction.objects.active().filter(user=user).order_by("until").first() if user.is_authenticated else None


def _check_may_comment(user) -> None:
    restriction = reader_restriction(user)
    if restriction is None:
        return
    if restriction.kind == Restriction.Kind.BAN:
        message = "Your account may no longer comment."
    else:
        message = f"Your account may not comment until {timezone.localtime(restriction.until):%B %-d, %Y %H:%M}."
    if restriction.reason:
        message += f" Reason: {restriction.reason}"
    raise PermissionDenied(message)


def _count_towards_rate_limit(user) -> None:
    """Count the post against the reader's per-minute allowance (shared cache); over it raises RateLimited."""
    limit = settings.COMMENTS_RATE_PER_MINUTE
    if limit <= 0 or user.is_staff:
        return
    state = ratelimit.hit("comment", str(user.pk), limit=limit, window=60)
    if not state.allowed:
        raise RateLimited(
            f"You have posted {limit} comments in the last minute. Wait {state.retry_after} seconds, then post "
            "again; your text is kept.",
            retry_after=state.retry_after,
        )


def _held_reason(*, article: Article, author, body: str) -> str | None:
    """Why a new comment waits for a moderator, or None when it goes up at once."""
    if author.is_staff:
        return None
    if article.comments == Article.Comments.PREMODERATED:
        return "This story's comments are moderated before they appear."
    first = settings.COMMENTS_PREMODERATE_FIRST
    if first > 0 and Comment.objects.filter(author=author, status=Comment.Status.VISIBLE).count() < first:
        return "New readers' first comments are checked by a moderator."
    word = text.find_banned_word(body, BannedWord.objects.values_list("word", flat=True))
    if word:
        return f"Held for review: contains “{word}”."
    return None


def comment_create(*, article: Article, author, body: str, parent: Comment | int | None = None) -> Comment:
    """Post a top-level comment or a reply to `parent` (a comment or its id). Raises ValidationError (shown in the
    form), RateLimited or PermissionDenied (suspended or banned readers).

    Eleven queries on PostgreSQL whatever the size of the thread (twelve on SQLite, which counts its BEGIN): the
    parent is read once, under the lock, and mptt inserts from that fresh copy instead of reading it again."""
    body = _clean_body(body)
    _check_may_comment(author)
    parent_pk = parent.pk if isinstance(parent, Comment) else parent
    with transaction.atomic():
        story = lock_story_threads(article.pk, new_thread=parent_pk is None)
        if story.comments == Article.Comments.CLOSED:
            raise ValidationError("Comments on this story are closed.", code="closed")
        parent = None
        if parent_pk is not None:
            # Read under the lock: mptt inserts from the parent's lft/rght, which must be current.
            parent = Comment.objects.filter(pk=parent_pk).first()
            if parent is None:
                raise ValidationError({"parent": "The comment you replied to no longer exists."}, code="no_parent")
            if parent.article_id != story.pk:
                raise ValidationError({"parent": "You can only reply to a comment on this story."}, code="bad_parent")
            if parent.status in (Comment.Status.REMOVED, Comment.Status.DELETED) or (
                parent.status == Comment.Status.PENDING and parent.author_id != author.pk
            ):
                raise ValidationError(
                    {"parent": "That comment has been removed, so it can no longer be replied to."},
                    code="parent_gone",
                )
        _count_towards_rate_limit(author)
        held = _held_reason(article=story, author=author, body=body)
        html, mentioned = render_body(body)
        comment = Comment(
            article=story,
            author=author,
            parent=parent,
            body=body,
            body_html=html,
            status=Comment.Status.PENDING if held else Comment.Status.VISIBLE,
            removal_reason=held or "",
        )
        # The story, the author and the parent were just read or locked: no need for a query per foreign key.
        comment.full_clean(exclude=["article", "author", "parent"])
        comment.insert_at(parent, position="last-child", save=True, refresh_target=False)
        Mention.objects.bulk_create(Mention(comment=comment, user=user) for user in mentioned)
        discussion_changed(story.pk)
    return comment


def edit_deadline(comment: Comment) -> datetime:
    return comment.created_at + timedelta(minutes=settings.COMMENTS_EDIT_WINDOW_MINUTES)


def comment_edit(*, comment: Comment, user, body: str) -> Comment:
    """The author changes their text within the edit window; the comment is then marked "edited"."""
    if comment.author_id != user.pk:
        raise PermissionDenied("You can only edit your own comments.")
    body = _clean_body(body)
    with transaction.atomic():
        comment = Comment.objects.select_for_update().get(pk=comment.pk)
        if comment.status in (Comment.Status.REMOVED, Comment.Status.DELETED):
            raise ValidationError("This comment can no longer be edited.", code="gone")
        if timezone.now() > edit_deadline(comment):
            raise ValidationError(
                f"Comments can be edited for {settings.COMMENTS_EDIT_WINDOW_MINUTES} minutes after posting.",
                code="edit_window",
            )
        if body == comment.body:
            return comment
        html, mentioned = render_body(body)
        comment.body, comment.body_html, comment.edited_at = body, html, timezone.now()
        word = text.find_banned_word(body, BannedWord.objects.values_list("word", flat=True))
        if word and not user.is_staff and comment.status == Comment.Status.VISIBLE:
            comment.status, comment.removal_reason = Comment.Status.PENDING, f"Held for review: contains “{word}”."
        comment.full_clean()
        comment.save(update_fields=["body", "body_html", "edited_at", "status", "removal_reason"])
        comment.mentions.exclude(user__in=mentioned).delete()
        known = set(comment.mentions.values_list("user_id", flat=True))
        Mention.objects.bulk_create(Mention(comment=comment, user=u) for u in mentioned if u.pk not in known)
        discussion_changed(comment.article_id)
    return comment


def _delete_leaf_and_empty_tombstones(comment: Comment) -> None:
    """Remove a comment without replies from its tree; a tombstone left with no replies goes with it."""
    while comment is not None:
        parent_id = comment.parent_id
        comment.delete()
        comment = (
            Comment.objects.filter(
                pk=parent_id, status__in=[Comment.Status.DELETED, Comment.Status.REMOVED], rght=F("lft") + 1
            ).first()
            if parent_id
            else None
        )


def comment_delete(*, comment: Comment, user) -> Comment | None:
    """The author deletes their comment: with replies it stays as a "comment deleted" tombstone (the replies
    keep their place); without replies it disappears. Returns the tombstone, or None."""
    if comment.author_id != user.pk:
        raise PermissionDenied("You can only delete your own comments.")
    with transaction.atomic():
        lock_story_threads(comment.article_id, new_thread=comment.parent_id is None)
        comment = Comment.objects.get(pk=comment.pk)
        if comment.has_replies:
            comment.status = Comment.Status.DELETED
            comment.body = comment.body_html = ""
            comment.save(update_fields=["status", "body", "body_html"])
            comment.mentions.all().delete()
            discussion_changed(comment.article_id)
            return comment
        _delete_leaf_and_empty_tombstones(comment)
        discussion_changed(comment.article_id)
    return None


def comment_purge(*, comment: Comment) -> None:
    """Delete a comment and all its replies from the database (admin only), under the same lock as every write."""
    with transaction.atomic():
        lock_story_threads(comment.article_id, new_thread=True)
        fresh = Comment.objects.filter(pk=comment.pk).first()
        if fresh is not None:
            fresh.delete()
            discussion_changed(comment.article_id)


def comment_like_toggle(*, comment: Comment, user) -> bool:
    """Like, or take the like back. Returns whether the reader now likes it."""
    if comment.author_id == user.pk:
        raise ValidationError("You cannot like your own comment.", code="own")
    if comment.status != Comment.Status.VISIBLE:
        raise ValidationError("Only visible comments can be liked.", code="not_visible")
    with transaction.atomic():
        deleted, _ = CommentLike.objects.filter(comment=comment, user=user).delete()
        if deleted:
            Comment.objects.filter(pk=comment.pk).update(like_count=F("like_count") - 1)
        else:
            CommentLike.objects.create(comment=comment, user=user)
            Comment.objects.filter(pk=comment.pk).update(like_count=F("like_count") + 1)
        discussion_changed(comment.article_id)
    return not deleted


def comment_report(*, comment: Comment, user, reason: str, note: str = "") -> CommentReport:
    """One report per reader; once COMMENTS_REPORTS_TO_HOLD readers have reported it, it waits for review."""
    if comment.author_id == user.pk:
        raise ValidationError("You cannot report your own comment.", code="own")
    with transaction.atomic():
        lock_story_threads(comment.article_id, new_thread=False)
        if CommentReport.objects.filter(comment=comment, user=user).exists():
            raise ValidationError("You have already reported this comment. A moderator will look at it.", code="twice")
        report = CommentReport(comment=comment, user=user, reason=reason, note=text.clean_text(note)[:500])
        report.full_clean()
        report.save()
        count = CommentReport.objects.filter(comment=comment).count()
        if count >= settings.COMMENTS_REPORTS_TO_HOLD:
            Comment.objects.filter(pk=comment.pk, status=Comment.Status.VISIBLE).update(
                status=Comment.Status.PENDING, removal_reason=f"Held for review after {count} reports."
            )
        discussion_changed(comment.article_id)
    return report


def _moderate(comments, *, status: str, reason: str) -> int:
    """Set the status of comments (any stories), story by story under the story lock."""
    changed = 0
    by_story: dict[int, list[int]] = {}
    for comment in comments:
        by_story.setdefault(comment.article_id, []).append(comment.pk)
    for article_id, pks in sorted(by_story.items()):
        with transaction.atomic():
            lock_story_threads(article_id, new_thread=False)
            changed += Comment.objects.filter(pk__in=pks).update(status=status, removal_reason=reason)
            if status == Comment.Status.VISIBLE:
                # The reports were dealt with: approving clears them, so the next reports count afresh.
                CommentReport.objects.filter(comment_id__in=pks).delete()
            discussion_changed(article_id)
    return changed


def comment_approve(*, comments, moderator) -> int:
    """Make pending or reported comments visible. Returns how many changed."""
    return _moderate(
        [c for c in comments if c.status in (Comment.Status.PENDING, Comment.Status.VISIBLE)],
        status=Comment.Status.VISIBLE,
        reason="",
    )


def comment_remove(*, comments, moderator, reason: str) -> int:
    """Take comments down; replies stay, under a "removed by a moderator" placeholder."""
    if not reason.strip():
        raise ValidationError("Give a reason for the removal.", code="no_reason")
    return _moderate(
        [c for c in comments if c.status != Comment.Status.DELETED], status=Comment.Status.REMOVED, reason=reason
    )


def reader_restrict(*, user, moderator, kind: str, days: int | None = None, reason: str = "") -> Restriction:
    """Suspend a reader for `days`, or ban them (kind "ban", no end)."""
    until = timezone.now() + timedelta(days=days) if kind == Restriction.Kind.SUSPENSION else None
    restriction = Restriction(user=user, kind=kind, until=until, reason=reason, created_by=moderator)
    restriction.full_clean()
    restriction.save()
    return restriction
