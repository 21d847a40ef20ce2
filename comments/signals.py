"""What other apps may hear of the discussion, sent once the write commits (never inside it, so a receiver's work,
such as the site's webhooks, can neither slow nor fail the reader's post). Each is sent from the one service where
its event happens (comments.services, comments.audit)."""

from django.dispatch import Signal

from articles.signals import send_on_commit

__all__ = ["comment_created", "comment_edited", "comment_moderated", "comment_reported", "send_on_commit"]

# A comment was stored (visible or held for moderation): `comment`.
comment_created = Signal()
# Its author changed its text: `comment`.
comment_edited = Signal()
# A moderation decision on comments, by a person or by the site (approve, remove, hold, reject, overturn on
# appeal): `actions`, the audit log's rows (comments.models.ModerationAction), one per comment.
comment_moderated = Signal()
# A reader reported a comment: `report` (comments.models.CommentReport).
comment_reported = Signal()
