"""What other apps may hear of stories: sent once the write commits, never inside it, so a receiver's work (the
site's webhooks) can neither slow nor fail the editor's save. Receivers take `article` (the saved instance)."""

import logging

from django.db import transaction
from django.dispatch import Signal

__all__ = ["story_published", "story_updated", "story_changed_on_commit", "send_on_commit"]

logger = logging.getLogger(__name__)

# A story readers could not see became visible (published now; a scheduled story when it is published by hand).
story_published = Signal()
# A story readers can see was saved again (its text, headline, blocks...).
story_updated = Signal()


def send_on_commit(signal: Signal, sender, **kwargs) -> None:
    """Send `signal` once the current transaction commits (at once outside one). A receiver's error is logged,
    never raised: what it reacts to is already stored. (comments.signals sends its signals through this too.)"""

    def send():
        for receiver, error in signal.send_robust(sender=sender, **kwargs):
            if isinstance(error, Exception):
                logger.error("Receiver %r of %r failed", receiver, signal, exc_info=error)

    transaction.on_commit(send)


def story_changed_on_commit(article, *, was_live: bool | None) -> None:
    """Once the transaction commits, say that `article` was published (not live before, live now) or updated (live
    before and now); nothing for drafts, scheduled stories and stories taken down. `was_live` None (the caller did
    not know) counts as live before."""
    if article.is_live:
        send_on_commit(story_published if was_live is False else story_updated, type(article), article=article)
