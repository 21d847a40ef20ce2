"""@handles in imported comments linked to the readers they name, once those readers have accounts here.

An import renders each story's bodies after making that story's commenters' accounts, so a mention of someone who
first commented on a later story, or a comment imported before imported commenters had profiles, is left as plain
text. This pass renders those bodies again. It is bounded for an archive of 500,000 comments: only imported comments
whose text holds an "@" are read, a thousand at a time by primary key (one query for the bodies, one for their
handles), and only the rows whose HTML changed are written, with the mentions they gained. Nobody is notified:
these are old comments.
"""

from collections.abc import Callable

from django.db import transaction

from comments import services
from comments.models import Comment, Mention

__all__ = ["imported_mentions_link"]

BATCH = 1000


def imported_mentions_link(
    *, after_pk: int = 0, batch: int = BATCH, dry_run: bool = False, progress: Callable[[int, int], None] | None = None
) -> int:
    """Link the @handles of imported comments with primary keys above `after_pk` to the readers they name now;
    returns how many comments changed (would change, with `dry_run`). Each batch is its own transaction, so an
    interrupted run keeps what it did and a second run finds nothing left to do."""
    candidates = Comment.objects.filter(disqus_id__isnull=False, body__contains="@").exclude(
        status=Comment.Status.DELETED
    )
    changed = 0
    last = after_pk
    seen = 0
    while True:
        rows = list(candidates.filter(pk__gt=last).order_by("pk").only("pk", "article_id", "body", "body_html")[:batch])
        if not rows:
            return changed
        last = rows[-1].pk
        seen += len(rows)
        rendered = services.render_bodies([row.body for row in rows])
        updated = [
            (row, html, mentioned)
            for row, (html, mentioned) in zip(rows, rendered, strict=True)
            if html != row.body_html
        ]
        changed += len(updated)
        if updated and not dry_run:
            with transaction.atomic():
                for row, html, _ in updated:
                    row.body_html = html
                Comment.objects.bulk_update([row for row, _, _ in updated], ["body_html"])
                Mention.objects.bulk_create(
                    [Mention(comment=row, user=user) for row, _, mentioned in updated for user in mentioned],
                    ignore_conflicts=True,
                )
                # The stories' cached pages of threads show the new links at once.
                services.discussion_changed(dict.fromkeys({row.article_id for row, _, _ in updated}, 0))
        if progress:
            progress(seen, changed)
        if len(rows) < batch:
            return changed
