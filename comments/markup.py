"""The discussion's rows as HTML, built in plain Python: the markup of templates/comments/includes/_threads.html,
which stays its readable reference (tests/comments/test_markup.py holds the two to the same output).

Why not the template alone (issue 6): at 1,000 comments its loop cost ~100 µs a comment on this project's 2-core
machine, ten times the one-query floor, against a target of five; string building here costs a few µs a comment.
COMMENTS_ROWS_RENDERER = "template" switches back, and the benchmark measures both.
"""

from html import escape

from comments.selectors import CommentRow

__all__ = ["rows_html", "rows_parts"]

_PENDING = (
    '<p class="comment__pending" role="status">Waiting for moderation: only you and the moderators can see this '
    "comment until a moderator approves it.</p>"
)


def _replies(count: int) -> str:
    return f"{count} more repl{'y' if count == 1 else 'ies'}"


def rows_html(rows: list[CommentRow], *, is_open: bool, slot: str) -> str:
    """One <li> per row, with `slot` where each shown comment's per-reader actions go. Every value from a reader
    is escaped; `row.html` was sanitised when the comment was written."""
    return slot.join(rows_parts(rows, is_open=is_open))


def rows_parts(rows: list[CommentRow], *, is_open: bool) -> list[str]:
    """The same HTML already cut where the slots go (one part more than there are slots), so the whole discussion
    is never held twice, once whole and once cut."""
    parts: list[str] = []
    out: list[str] = []
    append = out.append
    for row in rows:
        append(f'<li id="comment-{row.pk}" class="comment comment--{row.state} indent-{row.indent}">')
        if row.tombstone:
            append(f'<p class="comment__tombstone">{row.tombstone}</p>')
        else:
            if row.profile_url:
                append(
                    f'<p class="comment__meta"><a class="comment__name" href="{escape(row.profile_url)}">'
                    f'{escape(row.name)}</a> <span class="handle">@{escape(row.handle)}</span>'
                )
            else:
                append(f'<p class="comment__meta"><span class="comment__name">{escape(row.name)}</span>')
            if row.is_story_author:
                append(' <span class="badge badge--author">Author</span>')
            if row.is_staff:
                append(' <span class="badge">Staff</span>')
            append(
                f' · <a class="comment__time" href="{row.permalink}"><time datetime="{row.created_iso}" '
                f'title="{row.created_exact}">{row.created_ago}</time></a>'
            )
            if row.edited:
                append(' <span class="comment__edited">· edited</span>')
            append("</p>")
            if row.reply_to:
                append(
                    f'<p class="comment__reply-to">in reply to <a href="{row.reply_to_url}">'
                    f"@{escape(row.reply_to)}</a></p>"
                )
            if row.state == "pending":
                append(_PENDING)
            append(f'<div class="comment__body">{row.html}</div><div class="comment__actions">')
            if row.likes:
                append(f'<span class="comment__likes">{row.likes}</span> ')
            if is_open and row.state == "visible":
                append(f'<a href="{row.reply_url}" data-reply-to="{row.pk}">Reply</a> ')
            parts.append("".join(out))
            out.clear()
            append("</div>")
        if row.continue_url:
            append(
                f'<p class="comment__continue"><a href="{row.continue_url}">Continue this thread '
                f"({_replies(row.continue_count)})</a></p>"
            )
        append("</li>")
        if row.thread_more:
            append(
                f'<li class="comment comment--more indent-1"><p class="comment__continue"><a href="{row.thread_url}">'
                f"{_replies(row.thread_more)} in this thread</a></p></li>"
            )
    parts.append("".join(out))
    return parts
