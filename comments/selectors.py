"""Reads of the discussion: a page of threads in one query, ready to render in one flat loop."""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import BooleanField, ExpressionWrapper, F, Func, Q, QuerySet, Subquery, Value, Window
from django.db.models.functions import RowNumber
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, Byline
from comments import ages
from comments.models import Comment, CommentLike, Notification, visible_q

__all__ = [
    "notifications_for",
    "member_comments",
    "comments_of_reader",
    "INDENT_CAP",
    "SORTS",
    "CommentRow",
    "Discussion",
    "ReaderMarks",
    "discussion_for_story",
    "whole_discussion",
    "thread_for_comment",
    "reader_marks",
    "normal_sort",
    "story_comments_url",
    "comment_place",
]

# Indentation stops here; deeper replies continue on the thread page of the comment at this depth.
INDENT_CAP = 6
SORTS = {
    "oldest": ("created_at", "pk"),
    "newest": ("-created_at", "-pk"),
    "liked": ("-like_count", "created_at", "pk"),
}
SORT_LABELS = {"oldest": "Oldest", "newest": "Newest", "liked": "Most liked"}

# What a row needs from a comment and its author: plain values, no model instances (10,000 of them cost).
_FIELDS = (
    "pk",
    "tree_id",
    "lft",
    "rght",
    "level",
    "parent_id",
    "status",
    "body_html",
    "like_count",
    "created_at",
    "edited_at",
    "author_id",
    "author_name",
    "author__handle",
    "author__display_name",
    "author__is_staff",
    "author__is_active",
    "seen",
)


@dataclass(slots=True)
class CommentRow:
    """Everything the template shows for one comment, computed in Python (no URL reversing or date filters
    per comment in the template). Which rows there are depends on who reads (Comment.visible_q): pending comments
    reach only their author and moderators; each reader's own bits are laid over the rendered list by
    comments.rendering."""

    pk: int
    indent: int
    state: str  # "visible", "pending" (shown to its author only), "deleted", "removed"
    tombstone: str  # what stands in for a deleted or removed comment's text, else ""
    html: str
    name: str
    handle: str
    profile_url: str
    is_staff: bool
    is_story_author: bool
    author_id: int | None
    created_at: datetime
    created_iso: str
    created_exact: str
    created_ago: str
    edited: bool
    like_count: int
    likes: str  # "1 like", "3 likes", "" for none: text, so the template does no number formatting per comment
    permalink: str
    reply_url: str
    reply_to: str = ""  # the handle of whom it answers, when indentation no longer shows it
    reply_to_url: str = ""  # the permalink of the comment it answers, with reply_to
    continue_url: str = ""
    continue_count: int = 0
    thread_url: str = ""  # set on the last row shown of a thread cut short on the story page
    thread_more: int = 0


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
    pages: int | None = None  # pages of threads; None past the end and for the whole discussion


@dataclass
class ReaderMarks:
    """A signed-in reader's own state in one story's discussion."""

    liked: set[int] = field(default_factory=set)
    has_pending: bool = False  # their held comments show to them only, so their page cannot be the shared one


def normal_sort(sort: str | None) -> str:
    return sort if sort in SORTS else "oldest"


def _roots(article: Article, user) -> QuerySet[Comment]:
    """The top-level comments that head a thread for this reader."""
    return Comment.objects.visible_to(user).filter(article=article, parent=None)


def _rows_for(user) -> QuerySet[Comment]:
    """Comments to build rows from, each with `seen`: whether this reader may see it (the rule of visible_to). The
    rows they may not see are fetched all the same, since the story page's window counts every row of a thread
    (see comment_place), and are dropped in Python with their replies."""
    return Comment.objects.annotate(seen=ExpressionWrapper(visible_q(user), output_field=BooleanField()))


def story_author_ids(article: Article) -> set[int]:
    """Accounts of the story's bylined authors: from the page's prefetched bylines when present, else one query."""
    if "bylines" in getattr(article, "_prefetched_objects_cache", {}):
        return {byline.author.user_id for byline in article.bylines.all() if byline.author.user_id}
    return set(
        Byline.objects.filter(article=article, author__user__isnull=False).values_list("author__user_id", flat=True)
    )


class _RowBuilder:
    def __init__(self, now: datetime, author_ids: Iterable[int] = ()):
        self.author_ids = set(author_ids)
        self.now = now
        self.permalink = reverse("comments:permalink", kwargs={"pk": 987654321}).replace("987654321", "{}")
        self.reply = reverse("comments:reply", kwargs={"pk": 987654321}).replace("987654321", "{}")
        self.thread = reverse("comments:thread", kwargs={"pk": 987654321}).replace("987654321", "{}")
        self.profile = reverse("profile", kwargs={"handle": "HANDLE"}).replace("HANDLE", "{}")
        self.authors: dict[int | None, tuple] = {}
        self.zone = timezone.get_current_timezone()
        self.ago = lru_cache(maxsize=None)(self._ago)

    def _ago(self, seconds: int) -> str:
        return ages.ago(self.now - timedelta(seconds=seconds), self.now)

    def created_ago(self, created: datetime) -> str:
        """ "3 hours ago". timesince(depth=1) shows only the largest unit, so under four weeks (where the calendar
        plays no part) the age is cut to that unit and each distinct text is worked out once, not per comment."""
        seconds = int((self.now - created).total_seconds())
        if seconds >= 28 * 86400:
            return ages.ago(created, self.now)
        for unit in (604800, 86400, 3600, 60):
            if seconds >= unit:
                seconds -= seconds % unit
                break
        return self.ago(seconds)

    @staticmethod
    def state(comment) -> str | None:
        """How a comment shows: None (the reader may not see it) hides it and everything under it."""
        if not comment.seen:
            return None
        if comment.status == Comment.Status.DELETED and not comment.author_id and not comment.author_name:
            return "account_deleted"
        return comment.status

    def rows(self, comments: list, *, base_level: int, every_depth: bool = False) -> list[CommentRow]:
        """Rows for comments in tree order. Past INDENT_CAP, replies go to a thread page, or with `every_depth`
        (the whole discussion on one page) stay at the last indent, saying whom they answer."""
        rows: list[CommentRow] = []
        # Whom a deep reply answers: named only when the reader sees that comment's author (never a tombstone's).
        handles = {c.pk: c.author__handle or "" for c in comments if c.seen and c.status in _WITH_TEXT}
        hidden_until: tuple[int, int] | None = None  # (tree_id, rght) of a hidden subtree
        for comment in comments:
            if hidden_until and comment.tree_id == hidden_until[0] and comment.lft < hidden_until[1]:
                continue
            state = self.state(comment)
            depth = comment.level - base_level
            if state is None or (depth > INDENT_CAP and not every_depth):
                hidden_until = (comment.tree_id, comment.rght)
                continue
            rows.append(self.row(comment, state, depth, handles, every_depth))
        return rows

    def _author(self, comment) -> tuple:
        """(name, handle, profile link, staff, story author) of a comment's author: once per author, not per row."""
        key = comment.author_id
        if key not in self.authors:
            if key is None:
                self.authors[key] = ("", "", "", False, False)
            else:
                # Imported accounts stay inactive until claimed and have no profile page: the name alone is shown.
                handle = comment.author__handle if comment.author__is_active else ""
                self.authors[key] = (
                    comment.author__display_name,
                    handle,
                    self.profile.format(handle) if handle else "",
                    comment.author__is_staff,
                    key in self.author_ids,
                )
        return self.authors[key]

    def row(self, comment, state: str, depth: int, handles: dict, every_depth: bool) -> CommentRow:
        name, handle, profile_url, is_staff, is_story_author = self._author(comment)
        shown = state in ("visible", "pending")
        created = comment.created_at.astimezone(self.zone)
        row = CommentRow(
            pk=comment.pk,
            indent=min(depth, INDENT_CAP),
            state=state,
            tombstone=_TOMBSTONES.get(state, ""),
            html=comment.body_html if shown else "",
            name=(name or comment.author_name or "Former reader") if shown else "",
            handle=handle if shown else "",
            profile_url=profile_url if shown else "",
            is_staff=is_staff,
            is_story_author=is_story_author,
            author_id=comment.author_id,
            created_at=comment.created_at,
            created_iso=created.isoformat(timespec="seconds"),  # HTML allows at most milliseconds
            created_exact=f"{created:%B %-d, %Y %H:%M}",
            created_ago=self.created_ago(comment.created_at),
            edited=comment.edited_at is not None,
            like_count=comment.like_count,
            likes=f"{comment.like_count} like{'' if comment.like_count == 1 else 's'}" if comment.like_count else "",
            permalink=self.permalink.format(comment.pk),
            reply_url=self.reply.format(comment.pk),
        )
        if depth >= INDENT_CAP and comment.parent_id and (every_depth or depth == INDENT_CAP):
            row.reply_to = handles.get(comment.parent_id, "")
            row.reply_to_url = self.permalink.format(comment.parent_id)
        if depth == INDENT_CAP and comment.rght - comment.lft > 1 and not every_depth:
            row.continue_url = self.thread.format(comment.pk)
            row.continue_count = (comment.rght - comment.lft - 1) // 2
        return row


_WITH_TEXT = (Comment.Status.VISIBLE, Comment.Status.PENDING)
_TOMBSTONES = {
    "deleted": "Comment deleted.",
    "account_deleted": "Comment from a deleted account.",
    "removed": "Comment removed by a moderator.",
}


def _root_order(sort: str):
    """Sort key of a thread by its top-level comment, as SORTS orders them in the database."""
    if sort == "newest":
        return lambda c: (-c.created_at.timestamp(), -c.pk)
    if sort == "liked":
        return lambda c: (-c.like_count, c.created_at, c.pk)
    return lambda c: (c.created_at, c.pk)


def _in_thread_order(comments: list, sort: str) -> list:
    """Comments fetched in (tree_id, lft) order, threads rearranged by their top-level comment's sort."""
    threads: list[list] = []
    for comment in comments:
        if not threads or threads[-1][0].tree_id != comment.tree_id:
            threads.append([])
        threads[-1].append(comment)
    key = _root_order(sort)
    threads.sort(key=lambda thread: key(thread[0]))
    return [comment for thread in threads for comment in thread]


def discussion_for_story(*, article: Article, user, sort: str | None = "oldest", page: int = 1) -> Discussion:
    """One page of top-level threads, each cut after COMMENTS_REPLIES_PER_THREAD replies (the rest on its thread
    page), in one query whatever the number of comments: the page's roots are a subquery, a window function keeps
    the first rows of each thread, authors are joined."""
    sort = normal_sort(sort)
    per_page, replies = settings.COMMENTS_THREADS_PER_PAGE, settings.COMMENTS_REPLIES_PER_THREAD
    offset = (page - 1) * per_page
    # One more thread than the page holds says whether there is a next page.
    roots = _roots(article, user).order_by(*SORTS[sort]).values("tree_id")[offset : offset + per_page + 1]
    # Every row also carries the number of threads ("Page 2 of 5"): a subquery the database runs once.
    threads = _roots(article, user).order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")
    # The n-th comment of a thread in tree order has lft between n and 2n - 1, so lft <= 2 * (replies + 1) bounds
    # the rows read per thread (by the tree_id, lft index) before the window function picks the first ones.
    comments = list(
        _rows_for(user)
        .filter(tree_id__in=roots, lft__lte=2 * (replies + 1))
        .annotate(
            position=Window(RowNumber(), partition_by=[F("tree_id")], order_by=F("lft").asc()),
            threads=Subquery(threads),
        )
        .filter(position__lte=replies + 1)
        .order_by("tree_id", "lft")
        .values_list(*_FIELDS, "threads", named=True)
    )
    # A page past the end has no rows, and so no count: None.
    pages = -(-comments[0].threads // per_page) if comments else None
    comments = _in_thread_order(comments, sort)
    tree_ids = list(dict.fromkeys(c.tree_id for c in comments))
    next_page = page + 1 if len(tree_ids) > per_page else None
    if next_page:
        comments = [c for c in comments if c.tree_id != tree_ids[-1]]
    builder = _RowBuilder(timezone.now(), story_author_ids(article))
    rows = builder.rows(comments, base_level=0)
    _mark_cut_threads(rows, comments, builder)
    return Discussion(
        article=article,
        count=article.comment_count,
        rows=rows,
        sort=sort,
        page=page,
        next_page=next_page,
        is_open=article.comments != Article.Comments.CLOSED,
        pages=pages,
    )


def _mark_cut_threads(rows: list[CommentRow], comments: list, builder: _RowBuilder) -> None:
    """The last row shown of each thread that was cut short links to the whole thread, saying how much is left."""
    fetched: dict[int, int] = {}
    roots = {}
    for comment in comments:
        fetched[comment.tree_id] = fetched.get(comment.tree_id, 0) + 1
        if comment.parent_id is None:
            roots[comment.tree_id] = comment
    tree_of = {c.pk: c.tree_id for c in comments}
    last_row: dict[int, CommentRow] = {tree_of[row.pk]: row for row in rows}
    for tree_id, row in last_row.items():
        root = roots[tree_id]
        left = (root.rght - root.lft - 1) // 2 - (fetched[tree_id] - 1)
        if left > 0:
            row.thread_url, row.thread_more = builder.thread.format(root.pk), left


def whole_discussion(*, article: Article, user, sort: str | None = "oldest") -> Discussion:
    """Every comment of the story on one page, in one query: the "all comments" view."""
    sort = normal_sort(sort)
    comments = _in_thread_order(
        list(_rows_for(user).filter(article=article).order_by("tree_id", "lft").values_list(*_FIELDS, named=True)),
        sort,
    )
    builder = _RowBuilder(timezone.now(), story_author_ids(article))
    return Discussion(
        article=article,
        count=article.comment_count,
        rows=builder.rows(comments, base_level=0, every_depth=True),
        sort=sort,
        page=1,
        next_page=None,
        is_open=article.comments != Article.Comments.CLOSED,
    )


def thread_for_comment(*, comment: Comment, user) -> tuple[list[CommentRow], str]:
    """The thread under `comment` (itself first), indented from it; and whom it replies to (@handle or "")."""
    comments = list(
        _rows_for(user)
        .filter(tree_id=comment.tree_id, lft__gte=comment.lft, lft__lt=comment.rght)
        .order_by("lft")
        .values_list(*_FIELDS, named=True)
    )
    builder = _RowBuilder(timezone.now(), story_author_ids(comment.article))
    rows = builder.rows(comments, base_level=comment.level)
    parent = Comment.objects.visible_to(user).select_related("author").filter(pk=comment.parent_id).first()
    return rows, (parent.author.handle if parent and parent.shows_text and parent.author_id else "")


def reader_marks(*, article: Article, user) -> ReaderMarks:
    """What the reader liked in this story, and whether they have comments held for moderation in it: one query,
    none for anonymous readers."""
    if not user.is_authenticated:
        return ReaderMarks()
    liked = (
        CommentLike.objects.filter(user=user, comment__article=article)
        .order_by()
        .values_list("comment_id", Value(False, output_field=BooleanField()))
    )
    pending = (
        Comment.objects.filter(article=article, author=user, status=Comment.Status.PENDING)
        .order_by()
        .values_list("pk", Value(True, output_field=BooleanField()))
    )
    marks = ReaderMarks()
    for pk, is_pending in liked.union(pending, all=True):
        if is_pending:
            marks.has_pending = True
        else:
            marks.liked.add(pk)
    return marks


def story_comments_url(article: Article, *, page: int = 1, sort: str = "oldest", anchor: str = "comments") -> str:
    """A page of the story's discussion: the page and a sort other than the default in the query, then the anchor.
    One spelling for every link to it, so the cached page behind each address is shared (articles.pagecache)."""
    query = urlencode([*([("page", page)] if page > 1 else []), *([("sort", sort)] if sort != "oldest" else [])])
    return f"{article.get_absolute_url()}{'?' if query else ''}{query}#{anchor}"


def _before(root: Comment, order: tuple[str, ...]) -> Q:
    """The threads that `order` (a SORTS entry) puts before `root`'s: compared key by key."""
    before, same = Q(), Q()
    for key in order:
        name = key.removeprefix("-")
        value = getattr(root, name)
        before |= same & Q(**{f"{name}__{'gt' if key.startswith('-') else 'lt'}": value})
        same &= Q(**{name: value})
    return before


def comment_place(comment: Comment, *, user, sort: str | None = None) -> str:
    """Where `comment` is shown to `user`, as an address with its anchor: the story page (at the page that holds its
    thread in `sort`, the default unless the link carries one) when it is among the first
    COMMENTS_REPLIES_PER_THREAD replies of its thread and within the indentation cap; else the thread page that
    shows it, which is the thread's own page, or past the cap the page of its ancestor where indentation stopped
    ("Continue this thread"). Every way to a comment goes through here: its permalink, the landing after posting,
    notifications and their e-mails (which link to the permalink). At most three queries."""
    anchor = f"comment-{comment.pk}"
    # The story page shows a thread's first comments in tree order, whoever can see them (the window in
    # discussion_for_story counts every row), so the position is the number of rows before it in the tree.
    on_story_page = comment.level == 0 or (
        comment.level <= INDENT_CAP
        and Comment.objects.filter(tree_id=comment.tree_id, lft__lt=comment.lft).count()
        <= settings.COMMENTS_REPLIES_PER_THREAD
    )
    if not on_story_page:
        # Thread pages indent from their first comment and stop INDENT_CAP levels below it.
        depth = (comment.level - 1) // INDENT_CAP * INDENT_CAP
        head = comment.get_ancestors().get(level=depth)
        return f"{reverse('comments:thread', kwargs={'pk': head.pk})}#{anchor}"
    sort = normal_sort(sort)
    root = comment if comment.parent_id is None else Comment.objects.get(tree_id=comment.tree_id, parent=None)
    before = _roots(comment.article, user).filter(_before(root, SORTS[sort])).count()
    page = before // settings.COMMENTS_THREADS_PER_PAGE + 1
    return story_comments_url(comment.article, page=page, sort=sort, anchor=anchor)


def notifications_for(user) -> QuerySet[Notification]:
    """A reader's notifications, newest first, with what each row shows, in one query; read by keyset pages
    (newsroom.http.keyset_page) through the (recipient, created_at, id) index, so the 20,000th costs the first's."""
    return (
        Notification.objects.for_reader(user)
        .select_related("comment__author", "comment__article")
        .order_by("-created_at", "-pk")
    )


def member_comments(member, *, viewer) -> QuerySet[Comment]:
    """A reader's visible comments that `viewer` may see, newest first, for their profile (one query a page); read
    by keyset pages through the partial (author, created_at, id) index of visible comments."""
    return (
        Comment.objects.visible_to(viewer)
        .filter(author=member, status=Comment.Status.VISIBLE)
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
