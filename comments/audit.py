"""The moderation audit log's one way in: every moderation action, by a person or by the site, is recorded here."""

from collections.abc import Iterable

from comments import signals
from comments.models import Comment, ModerationAction

# The actions that decide what becomes of a comment: each is announced (comments.signals.comment_moderated).
DECISIONS = frozenset(
    {
        ModerationAction.Action.APPROVE,
        ModerationAction.Action.REMOVE,
        ModerationAction.Action.HOLD,
        ModerationAction.Action.REJECT,
        ModerationAction.Action.OVERTURN,
    }
)


def _announce(actions: list[ModerationAction]) -> list[ModerationAction]:
    decided = [row for row in actions if row.action in DECISIONS and row.comment_id is not None]
    if decided:
        signals.send_on_commit(signals.comment_moderated, ModerationAction, actions=decided)
    return actions


def record(
    action: str,
    *,
    actor=None,
    by: str = "",
    comment: Comment | None = None,
    user=None,
    article=None,
    reason: str = "",
    note: str = "",
) -> ModerationAction:
    """One action on one comment or reader. The comment gives its author and story unless they are named."""
    if comment is not None:
        user = user if user is not None else comment.author
        article = article if article is not None else comment.article_id
    row = ModerationAction.objects.create(
        action=action,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        by=by[:100],
        comment=comment,
        user=user,
        article_id=getattr(article, "pk", article),
        reason=reason[:200],
        note=note,
    )
    _announce([row])
    return row


def record_many(
    action: str, comment_ids: Iterable[int], *, actor=None, by: str = "", reason: str = "", note=""
) -> list[ModerationAction]:
    """The same action on many comments (an admin action on a page of the queue): one INSERT per 1,000. Returns the
    rows, with their ids (a removal's notifications point at them)."""
    rows = Comment.objects.filter(pk__in=list(comment_ids)).values_list("pk", "author_id", "article_id")
    actor = actor if getattr(actor, "is_authenticated", False) else None
    actions = [
        ModerationAction(
            action=action,
            actor=actor,
            by=by[:100],
            comment_id=pk,
            user_id=author_id,
            article_id=article_id,
            reason=reason[:200],
            note=note,
        )
        for pk, author_id, article_id in rows
    ]
    return _announce(ModerationAction.objects.bulk_create(actions, batch_size=1000))
