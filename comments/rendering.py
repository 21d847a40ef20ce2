"""The discussion as HTML: rendered once per story version and kept in the cache, shared by every reader, with each
signed-in reader's own bits (like and report forms, edit and delete links) laid over it per request.

The shared HTML holds a READER_SLOT marker where a comment's per-reader actions go. Reader text cannot forge one:
bodies are sanitised (nh3 drops HTML comments) and names are escaped, so "<!--" never comes from a reader.
The cache key carries the story's comment_version (bumped by every write in comments.services) and its modified_at
(editors closing comments or changing bylines); entries also expire after COMMENTS_CACHE_SECONDS because the
"2 hours ago" times age. COMMENTS_CACHE_SECONDS = 0 turns the cache off.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.http import Http404
from django.middleware.csrf import get_token
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from articles.models import Article
from comments import markup, selectors
from comments.forms import CommentForm
from comments.models import moderates
from comments.selectors import CommentRow, ReaderMarks
from newsroom.http import NO_SUCH_PAGE

__all__ = ["READER_SLOT", "Rendered", "DiscussionHtml", "story_discussion", "rows_html"]

READER_SLOT = "<!--reader-->"
# Where a streamed discussion goes in its page (see story_discussion's `stream`).
STREAM_MARK = "<!--discussion-->"
_PK = "987654321"


@dataclass
class Rendered:
    """What the cache keeps: the list's HTML cut at each reader slot, and whose comment each slot belongs to."""

    parts: list[str]
    slots: list[tuple[int, int | None, float, str]]  # (pk, author id, posted at as a timestamp, state)
    next_page: int | None = None
    has_rows: bool = False
    pages: int | None = None


@dataclass
class DiscussionHtml:
    """What the discussion templates show: the rendered list and the few values around it."""

    article: Article
    html: SafeString
    count: int
    sort: str
    page: int
    next_page: int | None
    is_open: bool
    has_rows: bool
    sorts: list[tuple[str, str]] = field(default_factory=lambda: list(selectors.SORT_LABELS.items()))
    pieces: Iterator[str] | None = None  # with `stream`: the HTML in pieces, and `html` is STREAM_MARK
    pages: int | None = None
    form: CommentForm = field(default_factory=CommentForm)  # the empty form for a new comment

    def _page_url(self, page: int) -> str:
        return selectors.story_comments_url(self.article, page=page, sort=self.sort)

    @property
    def previous_url(self) -> str:
        return self._page_url(self.page - 1)

    @property
    def next_url(self) -> str:
        return self._page_url(self.next_page)


def render_rows(
    rows: list[CommentRow], *, is_open: bool, next_page: int | None = None, pages: int | None = None
) -> Rendered:
    """Render the rows once, for any reader: in plain Python (comments.markup), or with the reference template."""
    if settings.COMMENTS_ROWS_RENDERER == "template":
        html = get_template("comments/includes/_threads.html").render({"rows": rows, "is_open": is_open})
        parts = html.split(READER_SLOT)
    else:
        parts = markup.rows_parts(rows, is_open=is_open)
    slots = [(r.pk, r.author_id, r.created_at.timestamp(), r.state) for r in rows if r.state in ("visible", "pending")]
    if len(parts) != len(slots) + 1:
        raise RuntimeError("comments/includes/_threads.html must hold one READER_SLOT per visible or pending comment.")
    return Rendered(parts=parts, slots=slots, next_page=next_page, has_rows=bool(rows), pages=pages)


def _reader_actions(request, **context) -> str:
    return get_template("comments/includes/_reader_actions.html").render(context, request)


def for_reader(request, rendered: Rendered, marks: ReaderMarks) -> SafeString:
    """The shared HTML with this reader's bits in the slots: nothing for anonymous readers; a like form (or unlike)
    and a report link on others' comments, edit and delete links on their own. Templates rendered a few times per
    request, not once per comment."""
    return mark_safe("".join(reader_pieces(request, rendered, marks)))  # built from escaped values


def reader_pieces(request, rendered: Rendered, marks: ReaderMarks) -> Iterator[str]:
    """for_reader() in pieces, to stream. The reader's token is taken now, before the response is on its way, so
    that the CSRF middleware still sets its cookie."""
    user = request.user
    if not user.is_authenticated:
        return iter(rendered.parts)
    token = get_token(request)
    permalink = reverse("comments:permalink", kwargs={"pk": int(_PK)})
    like = _reader_actions(request, permalink=permalink, visible=True, liked=False, csrf=token)
    unlike = _reader_actions(request, permalink=permalink, visible=True, liked=True, csrf=token)
    edit_after = timezone.now().timestamp() - timedelta(minutes=settings.COMMENTS_EDIT_WINDOW_MINUTES).total_seconds()

    def pieces() -> Iterator[str]:
        parts = rendered.parts
        yield parts[0]
        for (pk, author_id, posted, state), part in zip(rendered.slots, parts[1:], strict=True):
            if author_id == user.pk:
                yield _reader_actions(
                    request, permalink=permalink.replace(_PK, str(pk)), own=True, can_edit=posted >= edit_after
                )
            elif state == "visible":
                yield (unlike if pk in marks.liked else like).replace(_PK, str(pk))
            yield part

    return pieces()


def rows_html(request, rows: list[CommentRow], *, is_open: bool, marks: ReaderMarks) -> SafeString:
    """Uncached: a thread page's rows with the reader's bits."""
    return for_reader(request, render_rows(rows, is_open=is_open), marks)


def _cache_key(article: Article, *, whole: bool, sort: str, page: int) -> str:
    edited = int(article.modified_at.timestamp()) if article.modified_at else 0
    view = "all" if whole else f"page{page}"
    return f"discussion:{article.pk}:{article.comment_version}:{edited}:{view}:{sort}"


def story_discussion(
    request, article: Article, *, sort=None, page: int = 1, whole: bool = False, stream: bool = False
) -> DiscussionHtml:
    """The story's discussion for this reader: a page of threads, or with `whole` every comment. Shared HTML from
    the cache when there is some for this version; rendered and stored otherwise. A reader with comments held for
    moderation sees them, and a moderator sees everyone's, so each gets a page of their own, uncached. Queries:
    none cached, one uncached, plus one for a signed-in reader's likes. With `stream`, the HTML comes as `pieces` (a
    10,000-comment page is 10 MB: a worker should not hold it whole, twice). `page` comes from
    newsroom.http.page_number; a page past the last is a 404."""
    sort = selectors.normal_sort(sort)
    page = 1 if whole else page
    marks = selectors.reader_marks(article=article, user=request.user)
    seconds = settings.COMMENTS_CACHE_SECONDS
    # Held comments show to their author and to moderators only (Comment.visible_q): their page is their own.
    shared = seconds > 0 and not marks.has_pending and not moderates(request.user)
    key = _cache_key(article, whole=whole, sort=sort, page=page)
    rendered = cache.get(key) if shared else None
    if rendered is None:
        if whole:
            discussion = selectors.whole_discussion(article=article, user=request.user, sort=sort)
        else:
            discussion = selectors.discussion_for_story(article=article, user=request.user, sort=sort, page=page)
        rendered = render_rows(
            discussion.rows, is_open=discussion.is_open, next_page=discussion.next_page, pages=discussion.pages
        )
        if page > 1 and not rendered.has_rows:
            raise Http404(NO_SUCH_PAGE)  # and not cached: a crawler walking page numbers fills the cache with nothing
        if shared:
            cache.set(key, rendered, seconds)
    pieces = reader_pieces(request, rendered, marks)
    return DiscussionHtml(
        article=article,
        html=mark_safe(STREAM_MARK if stream else "".join(pieces)),
        pieces=pieces if stream else None,
        count=article.comment_count,
        sort=sort,
        page=page,
        next_page=rendered.next_page,
        is_open=article.comments != Article.Comments.CLOSED,
        has_rows=rendered.has_rows,
        pages=rendered.pages,
    )
