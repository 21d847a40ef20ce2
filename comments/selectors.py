"""Reads of the discussion: a page of threads in a fixed number of queries, ready to render in one flat loop."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.timesince import timesince

from articles.models import Article
from comments.models import Comment, CommentLike, Notification

__all__ = [
    "notifications_for",
    "member_comments",
    "INDENT_CAP",
    "SORTS",
    "CommentRow",
    "Discussion",
    "discussion_for_story",
    "thread_for_comment",
    "page_of",
    "comments_of_reader",
]

# Indentation stops here; deeper replies continue on the thread page of the comment at this depth.
INDENT_CAP = 6
SORTS = {
    "oldest": ("created_at", "pk"),
    "newest": ("-created_at", "-pk"),
    "liked": ("-like_count", "created_at", "pk"),
}
SORT_LABELS = {"oldest": "Oldest", "newest": "Newest", "liked": "Most liked"}


@dataclass
class CommentRow:
    """Everything the template shows for one comment, computed in Python (no URL reversing or date filters
    per comment in the template)."""

    pk: int
    indent: int
    state: str  # "visible", "pending" (shown to its author only), "deleted", "removed"
    html: str
    name: str
    handle: str
    profile_url: str
    is_staff: bool
    is_story_author: bool
    created_iso: str
    created_exact: str
    created_ago: str
    edited: bool
    like_count: int
    liked: bool
    own: bool
    can_edit: bool
    permalink: str
    reply_url: str
    reply_to: str = ""  # "@handle" when indentation no longer shows whom it answers
    continue_url: str = ""
    continue_count: int = 0


@dataclass
class Discussion:
    article: Article
    count: int
    rows: list[CommentRow]
    sort: str
    page: int
    next_page: int | None
    is_open: bool
    sorts: list[tuple[str, str]] = field(default_factory=lambda: list(SORT_LABELS.items()))


def visible_count(article: Article) -> int:
    return Comment.objects.filter(article=article, status=Comment.Status.VISIBLE).count()


def _roots(article: Article, user) -> QuerySet[Comment]:
    """Top-level comments a reader sees: visible ones, their own pending ones, tombstones that kept replies."""
    shown = Q(status=Comment.Status.VISIBLE) | Q(
        status__in=[Comment.Status.DELETED, Comment.Status.REMOVED], rght__gt=F("lft") + 1
    )
    if user.is_authenticated:
        shown |= Q(status=Comment.Status.PENDING, author=user)
    return Comment.objects.filter(article=article, parent=None).filter(shown)


def _as_int(value, default: int = 1) -> int:
    try:
        return max(int(value), 1)
    except (TypeError, ValueError):
        return default


def story_author_ids(article: Article) -> set[int]:
    """Accounts of the story's bylined authors (uses the story page's prefetched bylines when present)."""
    return {byline.author.user_id for byline in article.bylines.all() if byline.author.user_id}


class _RowBuilder:
    def __init__(self, user, now: datetime, author_ids: set[int] = frozenset()):
        self.author_ids = author_ids
        self.user = user
        self.now = now
        self.user_id = user.pk if user.is_authenticated else None
        self.edit_window = timedelta(minutes=settings.COMMENTS_EDIT_WINDOW_MINUTES)
        self.permalink = reverse("comments:permalink", kwargs={"pk": 987654321}).replace("987654321", "{}")
        self.reply = reverse("comments:reply", kwargs={"pk": 987654321}).replace("987654321", "{}")
        self.thread = reverse("comments:thread", kwargs={"pk": 987654321}).replace("987654321", "{}")
        self.profile = reverse("profile", kwargs={"handle": "HANDLE"}).replace("HANDLE", "{}")

    def state(self, comment: Comment) -> str | None:
        """What the reader sees of a comment; None hides it and everything under it."""
        if comment.status == Comment.Status.VISIBLE:
            return "visible"
        if comment.status == Comment.Status.PENDING:
            return "pending" if self.user_id and comment.author_id == self.user_id else None
        if not comment.has_replies:
            return None
        if comment.status == Comment.Status.DELETED and not comment.author_id and not comment.author_name:
            return "account_deleted"
        return comment.status

    def rows(self, comments: list[Comment], *, base_level: int, liked: set[int]) -> list[CommentRow]:
        rows: list[CommentRow] = []
        handles = {c.pk: (c.author.handle if c.author_id else "") for c in comments}
        hidden_until: tuple[int, int] | None = None  # (tree_id, rght) of a hidden subtree
        for comment in comments:
            if hidden_until and comment.tree_id == hidden_until[0] and comment.lft < hidden_until[1]:
                continue
            state = self.state(comment)
            depth = comment.level - base_level
            if state is None or depth > INDENT_CAP:
                hidden_until = (comment.tree_id, comment.rght)
                continue
            rows.append(self.row(comment, state, depth, liked, handles))
        return rows

    def row(self, comment: Comment, state: str, depth: int, liked: set[int], handles: dict) -> CommentRow:
        author = comment.author if comment.author_id else None
        own = self.user_id is not None and comment.author_id == self.user_id
        created = timezone.localtime(comment.created_at)
        shown = state in ("visible", "pending")
        row = CommentRow(
            pk=comment.pk,
            indent=depth,
            state=state,
            html=comment.body_html if shown else "",
            name=comment.shown_name if shown else "",
            # Imported accounts stay inactive until claimed and have no profile page: the name alone is shown.
            handle=author.handle if author and shown and author.is_active else "",
            profile_url=self.profile.format(author.handle) if author and shown and author.is_active else "",
            is_staff=bool(author and author.is_staff),
            is_story_author=bool(author and author.pk in self.author_ids),
            created_iso=created.isoformat(timespec="seconds"),  # HTML allows at most milliseconds
            created_exact=f"{created:%B %-d, %Y %H:%M}",
            created_ago=(
                "just now"
                if self.now - comment.created_at < timedelta(minutes=1)
                else f"{timesince(comment.created_at, self.now, depth=1)} ago"
            ),
            edited=comment.edited_at is not None,
            like_count=comment.like_count,
            liked=comment.pk in liked,
            own=own,
            can_edit=own and shown and self.now - comment.created_at <= self.edit_window,
            permalink=self.permalink.format(comment.pk),
            reply_url=self.reply.format(comment.pk),
        )
        if depth == INDENT_CAP and comment.parent_id:
            row.reply_to = handles.get(comment.parent_id, "")
        if depth == INDENT_CAP and comment.has_replies:
            row.continue_url = self.thread.format(comment.pk)
            row.continue_count = (comment.rght - comment.lft - 1) // 2
        return row


def _liked(user, comments: list[Comment]) -> set[int]:
    if not user.is_authenticated or not comments:
        return set()
    return set(
        CommentLike.objects.filter(user=user, comment_id__in=[c.pk for c in comments]).values_list(
            "comment_id", flat=True
        )
    )


def discussion_for_story(*, article: Article, user, sort: str | None = "oldest", page=1) -> Discussion:
    """One page of top-level threads with their whole threads: 3 queries (count, page of roots, threads with
    authors), plus one for the signed-in reader's likes, whatever the number of comments."""
    sort = sort if sort in SORTS else "oldest"
    page = _as_int(page)
    per_page = settings.COMMENTS_THREADS_PER_PAGE
    offset = (page - 1) * per_page
    tree_ids = list(
        _roots(article, user).order_by(*SORTS[sort]).values_list("tree_id", flat=True)[offset : offset + per_page + 1]
    )
    next_page = page + 1 if len(tree_ids) > per_page else None
    tree_ids = tree_ids[:per_page]
    comments = list(
        Comment.objects.filter(tree_id__in=tree_ids).select_related("author").order_by("tree_id", "lft")
        if tree_ids
        else []
    )
    # One query in tree order; threads are then put in the page's sort order (replies keep their time order).
    position = {tree_id: index for index, tree_id in enumerate(tree_ids)}
    comments.sort(key=lambda c: (position[c.tree_id], c.lft))
    builder = _RowBuilder(user, timezone.now(), story_author_ids(article))
    return Discussion(
        article=article,
        count=visible_count(article),
        rows=builder.rows(comments, base_level=0, liked=_liked(user, comments)),
        sort=sort,
        page=page,
        next_page=next_page,
        is_open=article.comments != Article.Comments.CLOSED,
    )


def thread_for_comment(*, comment: Comment, user) -> tuple[list[CommentRow], str]:
    """The thread under `comment` (itself first), indented from it; and whom it replies to (@handle or "")."""
    comments = list(
        Comment.objects.filter(tree_id=comment.tree_id, lft__gte=comment.lft, lft__lt=comment.rght)
        .select_related("author")
        .order_by("lft")
    )
    builder = _RowBuilder(user, timezone.now(), story_author_ids(comment.article))
    rows = builder.rows(comments, base_level=comment.level, liked=_liked(user, comments))
    parent = Comment.objects.select_related("author").filter(pk=comment.parent_id).first()
    return rows, (parent.author.handle if parent and parent.author_id else "")


def page_of(comment: Comment, user) -> int:
    """The page of the story's discussion (oldest first) that shows the thread holding `comment`."""
    root = comment if comment.parent_id is None else Comment.objects.get(tree_id=comment.tree_id, parent=None)
    before = (
        _roots(comment.article, user)
        .filter(Q(created_at__lt=root.created_at) | Q(created_at=root.created_at, pk__lt=root.pk))
        .count()
    )
    return before // settings.COMMENTS_THREADS_PER_PAGE + 1


def notifications_for(user) -> QuerySet[Notification]:
    """A reader's notifications, newest first, with what each row shows, in one query."""
    return Notification.objects.for_reader(user).select_related("comment__author", "comment__article")


def member_comments(member) -> QuerySet[Comment]:
    """A reader's visible comments on live stories, newest first, for their profile (one query a page)."""
    return (
        Comment.objects.filter(author=member, status=Comment.Status.VISIBLE, article__in=Article.objects.published())
        .select_related("article__section")
        .order_by("-created_at", "-pk")
    )


def comments_of_reader(user, *, absolute: Callable[[str], str]) -> Iterator[dict]:
    """Everything a reader wrote, oldest first, for their own download: one query, streamed in chunks.
    `absolute` turns a site path into a full address (request.build_absolute_uri)."""
    permalink = reverse("comments:permalink", kwargs={"pk": 987654321}).replace("987654321", "{}")
    comments = (
        Comment.objects.filter(author=user)
        .select_related("article__section")
        .only(
            "pk", "parent_id", "body", "status", "created_at", "edited_at", "disqus_id", "article__headline",
            "article__slug", "article__publish_at", "article__created_at", "article__section__slug",
        )
        .order_by("created_at", "pk")
    )  # fmt: skip
    for comment in comments.iterator(chunk_size=1000):
        yield {
            "id": comment.pk,
            "url": absolute(permalink.format(comment.pk)),
            "story": {"headline": comment.article.headline, "url": absolute(comment.article.get_absolute_url())},
            "in_reply_to": comment.parent_id,
            "created_at": comment.created_at.isoformat(),
            "edited_at": comment.edited_at.isoformat() if comment.edited_at else None,
            "status": comment.status,
            # A deleted comment keeps no text; one removed by a moderator is still the reader's own words.
            "text": comment.body,
            "imported_from_disqus": comment.disqus_id is not None,
        }
