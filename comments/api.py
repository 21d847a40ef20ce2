"""The read API of discussions and readers (/api/v1/, newsroom.api): what the story's discussion, a thread page and a
reader's profile show, as JSON, read through the same selectors as the pages (comments.selectors), so a comment is
shown to an API client exactly as to a reader of the page: the same rule of who sees it (Comment.objects.visible_to),
the same tombstones, the same sanitised HTML (Comment.body_html, rendered when it was written).

Lists are paged by opaque cursors: the position a page ends at (a thread's sort key, a comment's place in its tree,
a time and id), signed so that a cursor that is not ours is a 400 naming `cursor`, never a query. Answers to
signed-out clients may be kept by shared caches under the stories' surrogate keys (newsroom.http
.shared_by_signed_out_readers), which every comment write purges (comments.services.discussion_changed)."""

from datetime import UTC, datetime, timedelta
from typing import Literal

from django.contrib.auth import get_user_model
from django.core import signing
from django.http import HttpResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router, Schema

from articles.models import Article
from comments import selectors
from comments.models import Comment, visible_q
from newsroom.api import REFUSALS, ApiError
from newsroom.http import older_than, shared_by_signed_out_readers, whole_number

router = Router(tags=["discussions"])

# The most stories one call of comment-counts may name.
MAX_COUNT_STORIES = 100

BAD_CURSOR = _("This cursor is not one of ours: use the next_cursor of the page before, or leave it out.")
NO_STORY = _("There is no such story, or it is not published.")
NO_COMMENT = _("This comment is not available.")
NO_READER = _("There is no reader with this handle, or their account is closed.")
TOO_MANY_STORIES = _("Ask for at most %(count)d stories at once.")
NO_STORIES = _("Name at least one story: ?story=1&story=2.")
BAD_STORY = _("A story is named by its id, a whole number.")

_signer = signing.Signer(salt="comments.api.cursor")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


# ---------------------------------------------------------------------------------------------------------------
# What the answers hold (the OpenAPI schema at /api/v1/schema/ is made from these).
# ---------------------------------------------------------------------------------------------------------------


class AuthorOut(Schema):
    name: str
    handle: str | None = None  # None for a commenter without a profile to link (imported, closed account)
    profile_url: str | None = None
    staff: bool = False
    story_author: bool = False


class CommentOut(Schema):
    id: int
    parent_id: int | None
    depth: int
    state: Literal["published", "pending", "removed", "deleted"]
    author: AuthorOut | None  # None for a tombstone (removed, deleted), as on the page
    created_at: datetime
    edited_at: datetime | None
    body_html: str | None  # the sanitised HTML the page renders; None for a tombstone
    like_count: int
    reply_count: int
    picked: bool
    url: str
    replies_url: str | None


class ThreadOut(Schema):
    id: int
    comments: list[CommentOut]
    more_replies: int  # replies of the thread not in `comments`: read them at replies_url of its first comment


class StoryRef(Schema):
    id: int
    url: str


class DiscussionOut(Schema):
    story: StoryRef
    comment_count: int
    sort: str
    threads: list[ThreadOut]
    next_cursor: str | None


class CommentDetailOut(Schema):
    comment: CommentOut
    story: StoryRef
    thread_id: int
    ancestor_ids: list[int]


class RepliesOut(Schema):
    comment_id: int
    replies: list[CommentOut]
    next_cursor: str | None


class StoryCommentsRef(StoryRef):
    headline: str


class ReaderCommentOut(CommentOut):
    story: StoryCommentsRef


class ReaderOut(Schema):
    handle: str
    name: str
    profile_url: str
    unclaimed: bool
    member_since: datetime | None
    comment_count: int
    comment_count_capped: bool
    picks: list[ReaderCommentOut]
    comments_url: str


class ReaderCommentsOut(Schema):
    handle: str
    comments: list[ReaderCommentOut]
    next_cursor: str | None


class CountOut(Schema):
    story: int
    count: int


class CountsOut(Schema):
    counts: list[CountOut]


# ---------------------------------------------------------------------------------------------------------------
# Cursors and shapes
# ---------------------------------------------------------------------------------------------------------------


def _micros(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(microseconds=1)


def _cursor(kind: str, *values: int) -> str:
    return _signer.sign_object([kind, *values])


def _read_cursor(value: str | None, kind: str, length: int) -> list[int] | None:
    """The whole numbers a cursor of `kind` holds (None without one); anything else is a 400 naming `cursor`."""
    if value is None:
        return None
    try:
        data = _signer.unsign_object(value) if len(value) <= 300 else None
    except (signing.BadSignature, ValueError):
        data = None
    if (
        not isinstance(data, list)
        or len(data) != length + 1
        or data[0] != kind
        or not all(type(number) is int and number >= 0 for number in data[1:])
    ):
        raise ApiError(400, BAD_CURSOR, field="cursor")
    return data[1:]


STATES = {
    Comment.Status.VISIBLE: "published",
    Comment.Status.PENDING: "pending",
    Comment.Status.REMOVED: "removed",
    Comment.Status.DELETED: "deleted",
}


def _comment(request, comment: Comment) -> dict:
    """A comment as the page shows it (templates/comments/includes/_comment.html): a tombstone names no one and says
    nothing; a commenter without an open account is a name without a link."""
    shows = comment.shows_text
    author = None
    if shows:
        linked = bool(comment.author_id and comment.author.is_active)
        author = {
            "name": comment.shown_name,
            "handle": comment.author.handle if linked else None,
            "profile_url": request.build_absolute_uri(comment.author.get_absolute_url()) if linked else None,
            "staff": bool(comment.author_id and comment.author.is_staff),
            "story_author": getattr(comment, "by_story_author", False),
        }
    replies = (comment.rght - comment.lft - 1) // 2
    return {
        "id": comment.pk,
        "parent_id": comment.parent_id,
        "depth": comment.level,
        "state": STATES[comment.status],
        "author": author,
        "created_at": comment.created_at,
        "edited_at": comment.edited_at if shows else None,
        "body_html": comment.body_html if shows else None,
        "like_count": comment.like_count if shows else 0,
        "reply_count": replies,
        "picked": shows and comment.picked_at is not None,
        "url": request.build_absolute_uri(comment.get_absolute_url()),
        "replies_url": request.build_absolute_uri(reverse("api:comment_replies", args=[comment.pk]))
        if replies
        else None,
    }


def _story(request, article: Article) -> dict:
    return {"id": article.pk, "url": request.build_absolute_uri(article.get_absolute_url())}


def _reader_comment(request, comment: Comment) -> dict:
    return _comment(request, comment) | {
        "story": _story(request, comment.article) | {"headline": comment.article.headline}
    }


def _shared(request, response: HttpResponse, stories) -> None:
    """Kept by shared caches for signed-out clients, under the keys of the stories shown, as the pages are."""
    keys = dict.fromkeys(Article(pk=pk).surrogate_key for pk in stories)
    shared_by_signed_out_readers(request, response, *keys)
    if not keys:  # nothing shown that a purge names: kept HTTP_SHARED_MAX_AGE at most, as the lists of stories are
        response.headers.pop("Surrogate-Key", None)


def _visible_comment(request, pk: int) -> Comment:
    comment = (
        Comment.objects.visible_to(request.user).select_related("article__section", "author").filter(pk=pk).first()
    )
    if comment is None:
        raise ApiError(404, NO_COMMENT)
    return comment


# ---------------------------------------------------------------------------------------------------------------
# Operations
# ---------------------------------------------------------------------------------------------------------------


@router.get("/stories/{story_id}/comments/", response={200: DiscussionOut, **REFUSALS}, url_name="story_comments")
def story_comments(
    request,
    response: HttpResponse,
    story_id: int,
    sort: Literal["oldest", "newest", "liked", "newsroom"] = "oldest",
    cursor: str | None = None,
):
    """A story's discussion as its page shows it: threads (top-level comments) COMMENTS_THREADS_PER_PAGE a page in
    the sort's order, each with its first COMMENTS_REPLIES_PER_THREAD replies in tree order and the number left
    (`more_replies`); `newsroom` is the threads the newsroom replied in. `next_cursor` reads the next page."""
    article = Article.objects.visible_to(request.user).select_related("section", "discussion").filter(pk=story_id)
    article = article.first()
    if article is None:
        raise ApiError(404, NO_STORY)
    after = None
    if (position := _read_cursor(cursor, f"threads:{sort}", 4)) is not None:
        story, micros, pk, likes = position
        if story != article.pk:
            raise ApiError(400, BAD_CURSOR, field="cursor")
        after = Comment(pk=pk, created_at=_EPOCH + timedelta(microseconds=micros), like_count=likes)
    threads = selectors.story_threads(article=article, user=request.user, sort=sort, after=after)
    grouped: list[dict] = []
    for comment in threads.comments:  # each thread's comments follow its top-level one, which it always shows
        if not grouped or grouped[-1]["root"].tree_id != comment.tree_id:
            grouped.append({"root": comment, "comments": [], "more_replies": 0})
        grouped[-1]["comments"].append(_comment(request, comment))
        grouped[-1]["more_replies"] += comment.thread_more
    next_cursor = None
    if threads.next_page and grouped:
        last = grouped[-1]["root"]
        next_cursor = _cursor(f"threads:{sort}", article.pk, _micros(last.created_at), last.pk, last.like_count)
    discussion = getattr(article, "discussion", None)
    _shared(request, response, [article.pk])
    return {
        "story": _story(request, article),
        "comment_count": discussion.comment_count if discussion else 0,
        "sort": threads.sort,
        "threads": [
            {"id": thread["root"].pk, "comments": thread["comments"], "more_replies": thread["more_replies"]}
            for thread in grouped
        ],
        "next_cursor": next_cursor,
    }


@router.get("/comments/{comment_id}/", response={200: CommentDetailOut, **REFUSALS}, url_name="comment")
def comment_detail(request, response: HttpResponse, comment_id: int):
    """One comment, with its story, its thread (the top-level comment's id) and the ids of the comments it answers,
    the thread's first first."""
    comment = _visible_comment(request, comment_id)
    ancestors = list(comment.get_ancestors().filter(visible_q(request.user)).order_by("lft").values_list("pk", "level"))
    # The thread's top-level comment; the comment itself when it is one (or when that one is not for this client).
    thread_id = ancestors[0][0] if ancestors and ancestors[0][1] == 0 else comment.pk
    _shared(request, response, [comment.article_id])
    return {
        "comment": _comment(request, comment),
        "story": _story(request, comment.article),
        "thread_id": thread_id,
        "ancestor_ids": [pk for pk, _ in ancestors],
    }


@router.get("/comments/{comment_id}/replies/", response={200: RepliesOut, **REFUSALS}, url_name="comment_replies")
def comment_replies(request, response: HttpResponse, comment_id: int, cursor: str | None = None):
    """The replies under a comment in tree order, as its thread page shows them: COMMENTS_THREAD_PER_PAGE a page,
    INDENT_CAP levels deep (a reply at the last level lists its own replies at its replies_url)."""
    comment = _visible_comment(request, comment_id)
    start = None
    if (position := _read_cursor(cursor, "replies", 2)) is not None:
        pk, start = position
        if pk != comment.pk or not comment.lft < start < comment.rght:
            raise ApiError(400, BAD_CURSOR, field="cursor")
    threads, _ = selectors.thread_for_comment(comment=comment, user=request.user, start=start)
    next_cursor = _cursor("replies", comment.pk, threads.next_after) if threads.next_after else None
    _shared(request, response, [comment.article_id])
    return {
        "comment_id": comment.pk,
        "replies": [_comment(request, reply) for reply in threads.comments if reply.pk != comment.pk],
        "next_cursor": next_cursor,
    }


def _reader(request, handle: str):
    member = get_user_model().objects.with_profile().filter(handle__iexact=handle).first()
    if member is None:
        raise ApiError(404, NO_READER)
    return member


@router.get("/readers/{handle}/", response={200: ReaderOut, **REFUSALS}, url_name="reader")
def reader(request, response: HttpResponse, handle: str):
    """A reader's public profile as their @handle page shows it: name, handle, since when, how many comments (no
    further than PROFILE_COUNT_CAP: `comment_count_capped` says there are more), their latest picks."""
    member = _reader(request, handle)
    summary = selectors.profile_summary(member, viewer=request.user)
    _shared(request, response, [pick.article_id for pick in summary.picks])
    return {
        "handle": member.handle,
        "name": member.display_name,
        "profile_url": request.build_absolute_uri(member.get_absolute_url()),
        "unclaimed": not member.is_active,
        "member_since": member.date_joined if member.is_active else None,
        "comment_count": min(summary.comment_count, selectors.PROFILE_COUNT_CAP),
        "comment_count_capped": summary.count_capped,
        "picks": [_reader_comment(request, pick) for pick in summary.picks],
        "comments_url": request.build_absolute_uri(reverse("api:reader_comments", args=[member.handle])),
    }


@router.get("/readers/{handle}/comments/", response={200: ReaderCommentsOut, **REFUSALS}, url_name="reader_comments")
def reader_comments(request, response: HttpResponse, handle: str, cursor: str | None = None):
    """A reader's published comments, newest first, PROFILE_COMMENTS_PER_PAGE a page, each with its story."""
    member = _reader(request, handle)
    comments = selectors.member_comments(member, viewer=request.user)
    if (position := _read_cursor(cursor, "reader", 3)) is not None:
        pk, micros, comment_pk = position
        if pk != member.pk:
            raise ApiError(400, BAD_CURSOR, field="cursor")
        comments = older_than(comments, (_EPOCH + timedelta(microseconds=micros), comment_pk), time_field="created_at")
    per_page = selectors.PROFILE_COMMENTS_PER_PAGE
    rows = list(comments[: per_page + 1])
    next_cursor = None
    if len(rows) > per_page:
        rows = rows[:per_page]
        next_cursor = _cursor("reader", member.pk, _micros(rows[-1].created_at), rows[-1].pk)
    _shared(request, response, [comment.article_id for comment in rows])
    return {
        "handle": member.handle,
        "comments": [_reader_comment(request, comment) for comment in rows],
        "next_cursor": next_cursor,
    }


# The schema says what the operation takes: ids, whole numbers of at most 18 digits, 1 to MAX_COUNT_STORIES of them.
# It reads them as text, so that each refusal names `story` (pydantic would name the item's index).
COUNT_STORIES = {
    "in": "query",
    "name": "story",
    "required": True,
    "style": "form",
    "explode": True,
    "schema": {
        "type": "array",
        "items": {"type": "integer", "minimum": 0, "maximum": 10**18 - 1},
        "minItems": 1,
        "maxItems": MAX_COUNT_STORIES,
    },
}


@router.get(
    "/comment-counts/",
    response={200: CountsOut, **REFUSALS},
    url_name="comment_counts",
    openapi_extra={"parameters": [COUNT_STORIES]},
)
def comment_counts(request, response: HttpResponse, story: list[str] = Query(default=[])):  # noqa: B008
    """How many comments each story has (its discussion's count, as its page says), for index pages: up to
    MAX_COUNT_STORIES ids, `?story=1&story=2`, in one query. Stories that do not exist or are not published are
    left out."""
    if not story:
        raise ApiError(422, NO_STORIES, field="story")
    if len(story) > MAX_COUNT_STORIES:
        raise ApiError(422, TOO_MANY_STORIES % {"count": MAX_COUNT_STORIES}, field="story")
    ids = [whole_number(value) for value in story]
    if None in ids:
        raise ApiError(422, BAD_STORY, field="story")
    found = dict(
        Article.objects.visible_to(request.user).filter(pk__in=ids).values_list("pk", "discussion__comment_count")
    )
    counts = [{"story": pk, "count": found[pk] or 0} for pk in dict.fromkeys(ids) if pk in found]
    _shared(request, response, [count["story"] for count in counts])
    return {"counts": counts}
