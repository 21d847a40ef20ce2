"""Reads of the discussion: a page of threads in one query, as comments in the order a page shows them."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import (
    BooleanField,
    CharField,
    Count,
    ExpressionWrapper,
    F,
    Func,
    Q,
    QuerySet,
    Subquery,
    Value,
    Window,
)
from django.db.models.functions import RowNumber, TruncMinute
from django.http import Http404
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from articles.models import Article, Byline
from comments.forms import CommentForm
from comments.models import (
    Appeal,
    Comment,
    CommentLike,
    CommentReport,
    Discussion,
    ModerationAction,
    Mute,
    Notification,
    RemovalReason,
    Restriction,
    SurgeSwitch,
    moderates,
    visible_q,
)
from newsroom.http import NO_SUCH_PAGE, capped_count

__all__ = [
    "notifications_for",
    "ReaderHistory",
    "reader_history",
    "decision_of",
    "member_comments",
    "comments_of_reader",
    "member_picks",
    "PROFILE_COMMENTS_PER_PAGE",
    "PROFILE_COUNT_CAP",
    "ProfileSummary",
    "profile_summary",
    "mutes_of",
    "is_muted",
    "story_picks",
    "INDENT_CAP",
    "SORTS",
    "SORT_LABELS",
    "VIEWS",
    "Threads",
    "ReaderMarks",
    "StoryDiscussion",
    "story_threads",
    "all_threads",
    "thread_for_comment",
    "reader_marks",
    "normal_sort",
    "story_comments_url",
    "comment_place",
    "LiveCount",
    "live_version",
    "live_thread",
    "live_count",
    "live_comments",
    "SurgeChart",
    "surge_chart",
    "moderation_decisions",
]

# Indentation stops here; deeper replies continue on the thread page of the comment at this depth.
INDENT_CAP = 6
SORTS = {
    "oldest": ("created_at", "pk"),
    "newest": ("-created_at", "-pk"),
    "liked": ("-like_count", "created_at", "pk"),
}
SORT_LABELS = {"oldest": _("Oldest"), "newest": _("Newest"), "liked": _("Most liked")}
# Views of the discussion beside the sorts (the `sort` of the address, so links, pages and cached fragments work as
# for a sort): the editors' picks alone, newest pick first, and the threads the newsroom replied in, oldest first.
VIEWS = {"picks": _("Editors' picks"), "newsroom": _("Replies from the newsroom")}

# What a page shows of a comment and its author; the rest of the row is never read.
_COLUMNS = (
    "tree_id",
    "lft",
    "rght",
    "level",
    "parent_id",
    "article_id",
    "status",
    "body_html",
    "like_count",
    "report_count",
    "created_at",
    "edited_at",
    "picked_at",
    "author_id",
    "author_name",
    "author__handle",
    "author__display_name",
    "author__is_staff",
    "author__is_active",
)


@dataclass
class Threads:
    """Comments as a page shows them, in order, each with what its place on the page adds (Comment attributes):
    `indent`; `by_story_author`; `reply_to_handle`, whom a reply answers where indentation no longer shows it;
    `continue_count`, the replies past the indentation cap that its thread page shows; and on the last comment
    shown of a thread cut short, `thread_more` replies left and the `thread_root` that heads them."""

    comments: list[Comment]
    sort: str = "oldest"
    page: int = 1
    next_page: int | None = None  # the story page's numbered pages
    pages: int | None = None  # pages of threads; None past the end
    next_after: int | None = None  # the "All comments" pages: the last thread of this page, where the next starts


@dataclass
class ReaderMarks:
    """A signed-in reader's own state in one story's discussion."""

    liked: set[int] = field(default_factory=set)
    has_pending: bool = False
    muted: set[int] = field(default_factory=set)  # readers this reader muted: their comments show collapsed


def normal_sort(sort: str | None) -> str:
    return sort if sort in SORTS or sort in VIEWS else "oldest"


def _order(sort: str) -> tuple[str, ...]:
    """The order of threads of a sort or view: a view lists its threads oldest first."""
    return SORTS.get(sort, SORTS["oldest"])


def _roots(article: Article, user) -> QuerySet[Comment]:
    """The top-level comments that head a thread for this reader."""
    return Comment.objects.visible_to(user).filter(article=article, parent=None)


def _comments_for(user) -> QuerySet[Comment]:
    """Comments to show, each with `seen`: whether this reader may see it (the rule of visible_to). The ones they
    may not see are fetched all the same, since the story page's window counts every row of a thread (see
    comment_place), and are dropped in Python with their replies."""
    return (
        Comment.objects.select_related("author")
        .only(*_COLUMNS)
        .annotate(seen=ExpressionWrapper(visible_q(user), output_field=BooleanField()))
    )


def story_author_ids(article: Article) -> set[int]:
    """Accounts of the story's bylined authors: from the page's prefetched bylines when present, else one query."""
    if "bylines" in getattr(article, "_prefetched_objects_cache", {}):
        return {byline.author.user_id for byline in article.bylines.all() if byline.author.user_id}
    return set(
        Byline.objects.filter(article=article, author__user__isnull=False).values_list("author__user_id", flat=True)
    )


def _placed(
    comments: list[Comment],
    *,
    base_level: int,
    author_ids: set[int],
    every_depth: bool = False,
    hidden_until: tuple[int, int] | None = None,
) -> list[Comment]:
    """The comments in tree order that the page shows, with their place (see Threads). A comment the reader may not
    see hides everything under it (`hidden_until`: the tree and rght of one the list starts inside). Past INDENT_CAP,
    replies go to a thread page, or with `every_depth` (whole threads) stay at the last indent, saying whom they
    answer."""
    # Whom a deep reply answers: named only when the reader sees that comment's author (never a tombstone's).
    handles = {c.pk: c.author.handle for c in comments if c.seen and c.shows_text and c.author_id}
    shown = []
    # (tree_id, rght) of a hidden subtree, from the caller when the list starts inside one
    for comment in comments:
        if hidden_until and comment.tree_id == hidden_until[0] and comment.lft < hidden_until[1]:
            continue
        depth = comment.level - base_level
        if not comment.seen or (depth > INDENT_CAP and not every_depth):
            hidden_until = (comment.tree_id, comment.rght)
            continue
        comment.indent = min(depth, INDENT_CAP)
        comment.by_story_author = comment.author_id in author_ids
        at_cap = depth == INDENT_CAP or (every_depth and depth > INDENT_CAP)
        comment.reply_to_handle = handles.get(comment.parent_id, "") if at_cap and comment.parent_id else ""
        comment.continue_count = (comment.rght - comment.lft - 1) // 2 if depth == INDENT_CAP and not every_depth else 0
        comment.thread_more, comment.thread_root = 0, None  # set by _mark_cut_threads
        comment.newsroom_reply = None  # set by _mark_newsroom_replies
        shown.append(comment)
    # A full thread (COMMENTS_MAX_THREAD_SIZE replies) offers no Reply link, where its root is on the page (story
    # and "All comments" pages); elsewhere the post is refused with the same message, text kept.
    full = {
        c.tree_id
        for c in comments
        if c.parent_id is None and c.lft == 1 and c.rght // 2 - 1 >= settings.COMMENTS_MAX_THREAD_SIZE
    }
    for comment in shown:
        comment.thread_full = comment.tree_id in full
    return shown


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


def _mark_cut_threads(shown: list[Comment], fetched: list[Comment]) -> None:
    """The last comment shown of each thread that was cut short links to the whole thread, saying how much is
    left."""
    counts: dict[int, int] = {}
    roots = {}
    for comment in fetched:
        counts[comment.tree_id] = counts.get(comment.tree_id, 0) + 1
        if comment.parent_id is None:
            roots[comment.tree_id] = comment
    last = {comment.tree_id: comment for comment in shown}
    for tree_id, comment in last.items():
        root = roots[tree_id]
        left = (root.rght - root.lft - 1) // 2 - (counts[tree_id] - 1)
        if left > 0:
            comment.thread_more, comment.thread_root = left, root.pk


def story_threads(
    *, article: Article, user, sort: str | None = "oldest", page: int = 1, after: Comment | None = None
) -> Threads:
    """One page of top-level threads, each cut after COMMENTS_REPLIES_PER_THREAD replies (the rest on its thread
    page), in one query whatever the number of comments: the page's roots are a subquery, a window function keeps
    the first rows of each thread, authors are joined. A page past the last is a 404.

    `after` (a top-level comment, or an unsaved Comment holding its sort key: pk, created_at, like_count) starts the
    page at the thread after it in the sort's order instead of at a numbered page: the API's keyset cursor (not for
    the picks); past the end that page is empty."""
    sort = normal_sort(sort)
    if sort == "picks":
        return story_picks(article=article, user=user, page=page)
    per_page, replies = settings.COMMENTS_THREADS_PER_PAGE, settings.COMMENTS_REPLIES_PER_THREAD
    offset = (page - 1) * per_page
    author_ids = story_author_ids(article)
    heads = _roots(article, user)
    if sort == "newsroom":
        heads = heads.filter(tree_id__in=_newsroom_replies(article, author_ids).values("tree_id"))
    starting = heads if after is None else heads.filter(_beyond(after, _order(sort), after=True))
    # One more thread than the page holds says whether there is a next page.
    roots = starting.order_by(*_order(sort)).values("tree_id")[offset : offset + per_page + 1]
    # Every row also carries the number of threads ("Page 2 of 5"): a subquery the database runs once.
    threads = heads.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")
    # The n-th comment of a thread in tree order has lft between n and 2n - 1, so lft <= 2 * (replies + 1) bounds
    # the rows read per thread (by the tree_id, lft index) before the window function picks the first ones.
    comments = list(
        _comments_for(user)
        .filter(tree_id__in=roots, lft__lte=2 * (replies + 1))
        .annotate(
            position=Window(RowNumber(), partition_by=[F("tree_id")], order_by=F("lft").asc()),
            threads=Subquery(threads),
        )
        .filter(position__lte=replies + 1)
        .order_by("tree_id", "lft")
    )
    if page > 1 and not comments:
        raise Http404(str(NO_SUCH_PAGE))
    # A page past the end has no rows, and so no count: None.
    pages = -(-comments[0].threads // per_page) if comments else None
    comments = _in_thread_order(comments, sort)
    tree_ids = list(dict.fromkeys(c.tree_id for c in comments))
    next_page = page + 1 if len(tree_ids) > per_page else None
    if next_page:
        comments = [c for c in comments if c.tree_id != tree_ids[-1]]
    shown = _placed(comments, base_level=0, author_ids=author_ids)
    _mark_cut_threads(shown, comments)
    _mark_newsroom_replies(shown, author_ids=author_ids)
    return Threads(comments=shown, sort=sort, page=page, next_page=next_page, pages=pages)


def _newsroom_q(author_ids: set[int]) -> Q:
    """A visible reply from the newsroom: staff, and the story's own bylined authors (the comments the page marks
    "Staff" and "Author")."""
    return Q(status=Comment.Status.VISIBLE, parent__isnull=False) & (
        Q(author__is_staff=True) | Q(author_id__in=author_ids)
    )


def _newsroom_replies(article: Article, author_ids: set[int]) -> QuerySet[Comment]:
    """The story's replies from the newsroom, for "Replies from the newsroom"."""
    return Comment.objects.filter(_newsroom_q(author_ids), article=article)


def _mark_newsroom_replies(shown: list[Comment], *, author_ids: set[int]) -> None:
    """The last comment shown of each thread whose newsroom reply is not on the page links to the first such reply
    ("The newsroom replied"): one query for the page's threads, whose trees say the story (0.07 ms at 50,000
    comments on PostgreSQL, EXPLAIN ANALYZE)."""
    if not shown:
        return
    on_page = {comment.pk for comment in shown}
    last = {comment.tree_id: comment for comment in shown}
    replies = (
        Comment.objects.filter(_newsroom_q(author_ids), tree_id__in=list(last))
        .select_related("author")
        .only("tree_id", "lft", "author__display_name")
        .order_by("tree_id", "lft")
    )
    for reply in replies:
        comment = last[reply.tree_id]
        if reply.pk not in on_page and comment.newsroom_reply is None:
            comment.newsroom_reply = reply


def story_picks(*, article: Article, user, page: int = 1) -> Threads:
    """The story's editors' picks that this reader may see, newest pick first, a page of
    COMMENTS_THREADS_PER_PAGE, each alone (its thread is a click away): one query, read in the order of the partial
    (article, picked_at, id) index of picked comments, with the number of picks counted by a window on the way. A
    page past the last is a 404."""
    per_page = settings.COMMENTS_THREADS_PER_PAGE
    offset = (page - 1) * per_page
    comments = list(
        _comments_for(user)
        .filter(visible_q(user), article=article, status=Comment.Status.VISIBLE, picked_at__isnull=False)
        .annotate(picks=Window(Count("pk")))
        .order_by("-picked_at", "-pk")[offset : offset + per_page + 1]
    )
    if page > 1 and not comments:
        raise Http404(str(NO_SUCH_PAGE))
    next_page = page + 1 if len(comments) > per_page else None
    pages = -(-comments[0].picks // per_page) if comments else None
    author_ids = story_author_ids(article)
    comments = comments[:per_page]
    for comment in comments:
        comment.indent, comment.by_story_author = 0, comment.author_id in author_ids
        comment.reply_to_handle, comment.continue_count = "", 0
        comment.thread_more, comment.thread_root, comment.thread_full, comment.newsroom_reply = 0, None, False, None
    return Threads(comments=comments, sort="picks", page=page, next_page=next_page, pages=pages)


def _beyond(root: Comment, order: tuple[str, ...], *, after: bool = False) -> Q:
    """The threads that `order` (a SORTS entry) puts before `root`'s (or `after` it): compared key by key."""
    before, same = Q(), Q()
    for key in order:
        name = key.removeprefix("-")
        value = getattr(root, name)
        greater = key.startswith("-") != after
        before |= same & Q(**{f"{name}__{'gt' if greater else 'lt'}": value})
        same &= Q(**{name: value})
    return before


def all_threads(*, article: Article, user, sort: str | None = "oldest", after: int | None = None) -> Threads:
    """A page of whole threads for "All comments": threads in the sort's order, starting after the thread headed
    by `after`, as many as fit in about COMMENTS_ALL_PER_PAGE comments (always one; a thread longer than that alone
    is cut and links to its own page). Two queries (three with `after`), whatever the size of the story: the
    candidate threads with their sizes from their roots' lft/rght, then their comments. A cursor that is not a
    thread of this story is a 404."""
    sort = normal_sort(sort)
    sort = sort if sort in SORTS else "oldest"  # a view (picks, newsroom) is the story page's alone
    budget = settings.COMMENTS_ALL_PER_PAGE
    roots = _roots(article, user).order_by(*SORTS[sort])
    if after is not None:
        start = roots.filter(pk=after).first()
        if start is None:
            raise Http404(str(NO_SUCH_PAGE))
        roots = roots.filter(_beyond(start, SORTS[sort], after=True))
    # Every thread holds at least one comment, so no more than `budget` threads can fit on the page.
    candidates = list(roots.values_list("pk", "tree_id", "lft", "rght")[: budget + 1])
    taken, size = [], 0
    for pk, tree_id, lft, rght in candidates:
        thread_size = (rght - lft + 1) // 2
        if taken and size + thread_size > budget:
            break
        taken.append((pk, tree_id))
        size += thread_size
    more = len(taken) < len(candidates)
    comments = list(
        _comments_for(user)
        .filter(tree_id__in=[tree_id for _, tree_id in taken], lft__lte=2 * budget)
        .order_by("tree_id", "lft")[:budget]
    )
    if after is not None and not comments:
        raise Http404(str(NO_SUCH_PAGE))
    comments = _in_thread_order(comments, sort)
    shown = _placed(comments, base_level=0, author_ids=story_author_ids(article), every_depth=True)
    _mark_cut_threads(shown, comments)
    return Threads(comments=shown, sort=sort, next_after=taken[-1][0] if more else None)


def thread_for_comment(*, comment: Comment, user, start: int | None = None) -> tuple[Threads, str]:
    """A page of the thread under `comment` (itself first), indented from it and INDENT_CAP levels deep (deeper
    replies continue on the pages of the comments at the cap), COMMENTS_THREAD_PER_PAGE comments a page in tree
    order from the comment at lft `start`; `next_after` is where the next page starts. Two queries (three from a
    `start`), however big the thread. And whom `comment` replies to (@handle or "")."""
    per_page = settings.COMMENTS_THREAD_PER_PAGE
    start = comment.lft if start is None else min(max(start, comment.lft), comment.rght)
    comments = list(
        _comments_for(user)
        .filter(tree_id=comment.tree_id, lft__gte=start, lft__lt=comment.rght, level__lte=comment.level + INDENT_CAP)
        .order_by("lft")[: per_page + 1]
    )
    next_after = comments.pop().lft if len(comments) > per_page else None
    hidden_under = None
    if start > comment.lft:
        # A comment the reader may not see hides what is under it, also what this page starts in the middle of.
        hidden = (
            Comment.objects.exclude(visible_q(user))
            .filter(tree_id=comment.tree_id, lft__gte=comment.lft, lft__lt=start, rght__gt=start)
            .order_by("lft")
            .values_list("rght", flat=True)
            .first()
        )
        hidden_under = (comment.tree_id, hidden) if hidden else None
    shown = _placed(
        comments, base_level=comment.level, author_ids=story_author_ids(comment.article), hidden_until=hidden_under
    )
    parent = Comment.objects.visible_to(user).select_related("author").filter(pk=comment.parent_id).first()
    reply_to = parent.author.handle if parent and parent.shows_text and parent.author_id else ""
    return Threads(comments=shown, next_after=next_after), reply_to


class StoryDiscussion:
    """A story's discussion as its pages show it to one reader: the discussion row, the reader's marks, and the
    page of threads, read only when a page renders it (a cached fragment never does). Made by the
    `get_discussion` template tag and the discussion's own views."""

    def __init__(self, *, article: Article, request, sort: str | None = None, page: int = 1, after=None):
        self.article = article
        self.discussion = Discussion.of(article)
        self.user = request.user
        self.sort = normal_sort(sort)
        self.page = page
        self.after = after
        self.sorts = list(SORT_LABELS.items())
        self.views = list(VIEWS.items())
        self.form = CommentForm()
        self.now = timezone.now()
        # A page shared by signed-out readers is kept by the edge at most until the clock next opens or closes the
        # discussion (newsroom.http.shared_by_signed_out_readers reads this), so it never says "open" past a close.
        change = self.discussion.next_change(self.now)
        if change is not None:
            previous = getattr(request, "shared_cache_until", None)
            request.shared_cache_until = min(change, previous) if previous else change

    @property
    def count(self) -> int:
        return self.discussion.comment_count

    @cached_property
    def closure(self):
        """Why readers may not comment now (comments.schedule.Closure), or None."""
        return self.discussion.closed_reason(self.now)

    @property
    def is_open(self) -> bool:
        return self.closure is None

    @cached_property
    def moderates(self) -> bool:
        """Whether this reader moderates: approve, remove and the author's history on each comment, in place."""
        return moderates(self.user)

    @property
    def removal_reasons(self) -> list[tuple[str, str]]:
        return RemovalReason.choices

    @cached_property
    def controls(self) -> bool:
        """Whether this reader sets the story's surge controls (editors, moderators): the controls form and the
        chart in the discussion's header, on their own private page only."""
        from comments.services import may_set_controls

        return may_set_controls(self.user)

    @cached_property
    def controls_form(self):
        from comments.forms import DiscussionControlsForm

        return DiscussionControlsForm.of(self.discussion)

    @cached_property
    def chart(self) -> "SurgeChart":
        return surge_chart(article_id=self.article.pk, now=self.now)

    @property
    def version(self) -> int:
        return self.discussion.version

    @property
    def live_until(self) -> datetime | None:
        """Until when the page polls for new comments (static/js/live.js): COMMENTS_LIVE_MAX_AGE_DAYS after the
        story's publication; None for a story past that, or one readers cannot open yet (the poll answers 404)."""
        return live_until(self.article)

    @property
    def in_view(self) -> bool:
        """Whether the page shows a view (picks, newsroom replies) rather than the whole discussion in a sort: it
        does not take in new comments live, which would not belong to it."""
        return self.sort in VIEWS

    @property
    def live_interval(self) -> int:
        return settings.LIVE_POLL_INTERVAL

    @property
    def shared(self) -> bool:
        """Whether this reader gets the page every signed-out reader gets, whose threads come from the fragment
        cache. Signed-in readers have their own controls on every comment, and a reader's held comments or a
        moderator's view are theirs alone: rendered for them."""
        return not self.user.is_authenticated

    @property
    def fragment_key(self) -> str:
        """What the cached fragment of this page depends on: the discussion's version (every write moves it), the
        story's last edit (bylines make the "Author" badges), the sort, the page and the language it is written in."""
        edited = int(self.article.modified_at.timestamp()) if self.article.modified_at else 0
        where = f"after{self.after}" if self.after else f"page{self.page}"
        language = translation.get_language() or settings.LANGUAGE_CODE
        return f"{self.article.pk}:{self.discussion.version}:{edited}:{self.sort}:{where}:{language}"

    @property
    def cache_seconds(self) -> int:
        return settings.COMMENTS_CACHE_SECONDS

    @cached_property
    def threads(self) -> Threads:
        return story_threads(article=self.article, user=self.user, sort=self.sort, page=self.page)

    @cached_property
    def all_threads(self) -> Threads:
        return all_threads(article=self.article, user=self.user, sort=self.sort, after=self.after)

    @cached_property
    def marks(self) -> "ReaderMarks":
        return reader_marks(article=self.article, user=self.user)

    def page_url(self, page: int) -> str:
        return story_comments_url(self.article, page=page, sort=self.sort)

    @property
    def previous_url(self) -> str:
        return self.page_url(self.page - 1)

    @property
    def next_url(self) -> str:
        return self.page_url(self.threads.next_page)


def reader_marks(*, article: Article, user) -> ReaderMarks:
    """What the reader liked in this story, whether they have comments held for moderation in it, and whom they
    muted (at most MUTE_LIMIT readers): one query, none for anonymous readers."""
    if not user.is_authenticated:
        return ReaderMarks()
    liked = (
        CommentLike.objects.filter(user=user, comment__article=article)
        .order_by()
        .values_list("comment_id", Value("liked", output_field=CharField()))
    )
    pending = (
        Comment.objects.filter(article=article, author=user, status=Comment.Status.PENDING)
        .order_by()
        .values_list("pk", Value("pending", output_field=CharField()))
    )
    muted = Mute.objects.filter(muter=user).order_by().values_list("muted_id", Value("muted", output_field=CharField()))
    marks = ReaderMarks()
    for pk, kind in liked.union(pending, muted, all=True):
        if kind == "pending":
            marks.has_pending = True
        elif kind == "muted":
            marks.muted.add(pk)
        else:
            marks.liked.add(pk)
    return marks


def story_comments_url(article: Article, *, page: int = 1, sort: str = "oldest", anchor: str = "comments") -> str:
    """A page of the story's discussion: the page and a sort other than the default in the query, then the anchor.
    One spelling for every link to it, so that shared caches keep one copy of each page."""
    query = urlencode([*([("page", page)] if page > 1 else []), *([("sort", sort)] if sort != "oldest" else [])])
    return f"{article.get_absolute_url()}{'?' if query else ''}{query}#{anchor}"


def comment_place(comment: Comment, *, user, sort: str | None = None) -> str:
    """Where `comment` is shown to `user`, as an address with its anchor: the story page (at the page that holds its
    thread in `sort`, the default unless the link carries one) when it is among the first
    COMMENTS_REPLIES_PER_THREAD replies of its thread and within the indentation cap; else the thread page that
    shows it, which is the thread's own page, or past the cap the page of its ancestor where indentation stopped
    ("Continue this thread"). Every way to a comment goes through here: its permalink, the landing after posting,
    notifications and their e-mails (which link to the permalink). At most three queries."""
    anchor = f"comment-{comment.pk}"
    # The story page shows a thread's first comments in tree order, whoever can see them (the window in
    # story_threads counts every row), so the position is the number of rows before it in the tree.
    on_story_page = (
        comment.level == 0
        or (
            comment.level <= INDENT_CAP
            # Counted no further than the story page shows: a COUNT of the rows before the last reply of a 20,000-reply
            # thread read them all (126 ms).
            and Comment.objects.filter(tree_id=comment.tree_id, lft__lt=comment.lft)[
                : settings.COMMENTS_REPLIES_PER_THREAD + 1
            ].count()
            <= settings.COMMENTS_REPLIES_PER_THREAD
        )
    )
    if not on_story_page:
        # Thread pages indent from their first comment and stop INDENT_CAP levels below it.
        depth = (comment.level - 1) // INDENT_CAP * INDENT_CAP
        # The root by lft=1 (the tree_id, lft index); a deeper head by its ancestors.
        head = (
            Comment.objects.get(tree_id=comment.tree_id, lft=1)
            if depth == 0
            else comment.get_ancestors().get(level=depth)
        )
        # A thread longer than its page: the page that starts at the comment.
        start = f"?from={comment.lft}" if (head.rght - head.lft + 1) // 2 > settings.COMMENTS_THREAD_PER_PAGE else ""
        return f"{reverse('comments:thread', kwargs={'pk': head.pk})}{start}#{anchor}"
    sort = sort if sort in SORTS else "oldest"  # a comment's place is in the whole discussion, not in a view
    root = comment if comment.parent_id is None else Comment.objects.get(tree_id=comment.tree_id, lft=1)
    # The root by lft=1 (the tree_id, lft index), not by parent, which would read the whole tree.
    before = _roots(comment.article, user).filter(_beyond(root, SORTS[sort])).count()
    page = before // settings.COMMENTS_THREADS_PER_PAGE + 1
    return story_comments_url(comment.article, page=page, sort=sort, anchor=anchor)


def notifications_for(user) -> QuerySet[Notification]:
    """A reader's notifications, newest first, with what each row shows, in one query; read by keyset pages
    (newsroom.http.keyset_page) through the (recipient, created_at, id) index, so the 20,000th costs the first's."""
    return (
        Notification.objects.for_reader(user)
        .select_related("comment__author", "comment__article", "action")
        .order_by("-created_at", "-pk")
    )


# Each list of a reader's history shows this many, newest first (the comments themselves are paged).
HISTORY_ROWS = 50


@dataclass(frozen=True)
class ReaderHistory:
    """What a moderator reads about one reader before deciding: their comments in every state (paged by the view),
    and the newest HISTORY_ROWS removals, reports against them, restrictions and audit-log rows about them."""

    member: object
    comments: QuerySet[Comment]
    removals: list[ModerationAction]
    reports: list[CommentReport]
    restrictions: list[Restriction]
    actions: list[ModerationAction]
    active_restriction: Restriction | None


def reader_history(member) -> ReaderHistory:
    """A reader's moderation history in five bounded queries (and the page of their comments)."""
    actions = ModerationAction.objects.filter(user=member).select_related("actor", "comment").order_by("-at", "-pk")
    decided = [ModerationAction.Action.REMOVE, ModerationAction.Action.REJECT]
    restrictions = list(member.comment_restrictions.select_related("created_by")[:HISTORY_ROWS])
    return ReaderHistory(
        member=member,
        comments=Comment.objects.filter(author=member).select_related("article").order_by("-created_at", "-pk"),
        removals=list(actions.filter(action__in=decided)[:HISTORY_ROWS]),
        reports=list(
            CommentReport.objects.filter(comment__author=member)
            .select_related("user", "comment")
            .order_by("-created_at", "-pk")[:HISTORY_ROWS]
        ),
        restrictions=restrictions,
        actions=list(actions[:HISTORY_ROWS]),
        active_restriction=Restriction.objects.active().filter(user=member).order_by("until").first(),
    )


@dataclass(frozen=True)
class Decision:
    """A moderator's decision on a comment as its author sees it: the removal or rejection, and its appeal."""

    action: ModerationAction | None
    appeal: Appeal | None
    appeal_until: datetime | None


def decision_of(comment: Comment) -> Decision:
    """The latest removal or rejection of `comment`, its appeal if any, and the last moment to appeal it."""
    action = (
        ModerationAction.objects.filter(
            comment=comment, action__in=[ModerationAction.Action.REMOVE, ModerationAction.Action.REJECT]
        )
        .order_by("-at", "-pk")
        .first()
    )
    appeal = Appeal.objects.filter(decision=action).first() if action else None
    until = action.at + timedelta(days=settings.COMMENTS_APPEAL_DAYS) if action else None
    return Decision(action=action, appeal=appeal, appeal_until=until)


def member_comments(member, *, viewer) -> QuerySet[Comment]:
    """A reader's visible comments that `viewer` may see, newest first, for their profile (one query a page); read
    by keyset pages through the partial (author, created_at, id) index of visible comments."""
    return (
        Comment.objects.visible_to(viewer)
        .filter(author=member, status=Comment.Status.VISIBLE)
        .select_related("author", "article__section")
        .order_by("-created_at", "-pk")
    )


def member_picks(member, *, viewer) -> QuerySet[Comment]:
    """A reader's comments that editors picked, newest pick first, for the "Picks" section of their profile."""
    return member_comments(member, viewer=viewer).filter(picked_at__isnull=False).order_by("-picked_at", "-pk")


# A reader's profile lists their comments this many a page, counts them no further than the cap, and shows their
# latest picks.
PROFILE_COMMENTS_PER_PAGE = 20
PROFILE_COUNT_CAP = 1000
PROFILE_PICKS = 5


@dataclass(frozen=True)
class ProfileSummary:
    """What heads a reader's profile (the page and the API): their comment count, counted no further than
    PROFILE_COUNT_CAP + 1 (a count of a reader with 20,000 comments read them all on every page), and their latest
    PROFILE_PICKS picks."""

    comment_count: int
    picks: list[Comment]

    @property
    def count_capped(self) -> bool:
        """Whether there are more comments than the count says ("more than 1,000 comments")."""
        return self.comment_count > PROFILE_COUNT_CAP


def profile_summary(member, *, viewer, with_picks: bool = True) -> ProfileSummary:
    """The head of `member`'s profile as `viewer` may see it: two bounded queries (one without the picks)."""
    count = capped_count(member_comments(member, viewer=viewer), PROFILE_COUNT_CAP + 1)
    picks = list(member_picks(member, viewer=viewer)[:PROFILE_PICKS]) if with_picks else []
    return ProfileSummary(comment_count=count, picks=picks)


def mutes_of(user) -> QuerySet[Mute]:
    """The readers `user` muted, most recent first, for their muted readers' page (at most MUTE_LIMIT)."""
    return Mute.objects.filter(muter=user).select_related("muted").order_by("-created_at", "-pk")


def is_muted(*, muter, muted) -> bool:
    return muter.is_authenticated and Mute.objects.filter(muter=muter, muted=muted).exists()


def comments_of_reader(user, *, absolute: Callable[[str], str]) -> Iterator[dict]:
    """Everything a reader wrote, oldest first, for their own download: one query, streamed in chunks.
    `absolute` turns a site path into a full address (request.build_absolute_uri)."""
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
            "url": absolute(comment.get_absolute_url()),
            "story": {"headline": comment.article.headline, "url": absolute(comment.article.get_absolute_url())},
            "in_reply_to": comment.parent_id,
            "created_at": comment.created_at.isoformat(),
            "edited_at": comment.edited_at.isoformat() if comment.edited_at else None,
            "status": comment.status,
            # A deleted comment keeps no text; one removed by a moderator is still the reader's own words.
            "text": comment.body,
            "imported_from_disqus": comment.disqus_id is not None,
        }


# ---------------------------------------------------------------------------------------------------------------
# Live "N new comments" (comments.views.live_since and live_new, polled by static/js/live.js). A comment carries the
# discussion version that made it visible (Comment.version, set by comments.services under the discussion row's
# lock), so "what is new since the version this page was rendered at" is a range of the partial (article, version)
# index of visible comments: the rows read are the new ones, however big the discussion. A comment removed since is
# not counted (it left the index); one approved since counts as new (its approval gave it a new version).
# ---------------------------------------------------------------------------------------------------------------


def live_until(article: Article) -> datetime | None:
    if not article.is_live:
        return None
    until = article.publish_at + timedelta(days=settings.COMMENTS_LIVE_MAX_AGE_DAYS)
    return until if until > timezone.now() else None


def live_version(article_pk: int) -> int | None:
    """The story's discussion version, if anyone may open the story (published and due), else None: one query, the
    whole cost of a poll when nothing changed. A story nobody has written to has no discussion row: version 0. Most
    polls never get here: the edge answers them (LIVE_SHARED_SECONDS, purged by the story's key)."""
    rows = list(Article.objects.published().filter(pk=article_pk).values_list("discussion__version", flat=True)[:1])
    if not rows:
        return None
    return rows[0] or 0


@dataclass
class LiveCount:
    """What a poll answers: the current version, the new visible comments since the asked one (at most the cap),
    and whether there are more than the cap (`many`: the page says "refresh" rather than fetching them)."""

    version: int
    new: int = 0
    many: bool = False


def live_thread(*, article_pk: int, pk: int) -> Comment | None:
    """A comment of the story that heads a thread page, for counting the new replies under it (None: no such)."""
    return Comment.objects.filter(pk=pk, article_id=article_pk).only("tree_id", "lft", "rght", "level").first()


def _live_new(*, article_pk: int, since: int, upto: int, thread: Comment | None) -> QuerySet[Comment]:
    """Visible comments of the story made visible after version `since` and no later than `upto` (the version the
    answer reports, so that what it shows and what it says agree); with `thread`, only the replies under it."""
    new = Comment.objects.filter(
        article_id=article_pk, status=Comment.Status.VISIBLE, version__gt=since, version__lte=upto
    )
    if thread is not None:
        new = new.filter(tree_id=thread.tree_id, lft__gt=thread.lft, lft__lt=thread.rght)
    return new


def live_count(*, article_pk: int, since: int, current: int, thread: Comment | None = None) -> LiveCount:
    """The poll's answer for a reader at version `since` (not past `current`): no query when nothing changed, else
    one count read no further than COMMENTS_LIVE_CAP + 1 rows of the index."""
    if since >= current:
        return LiveCount(version=current)
    cap = settings.COMMENTS_LIVE_CAP
    found = capped_count(_live_new(article_pk=article_pk, since=since, upto=current, thread=thread), cap + 1)
    return LiveCount(version=current, new=min(found, cap), many=found > cap)


def live_comments(*, article: Article, user, since: int, current: int, thread: Comment | None = None) -> list[Comment]:
    """The new comments themselves (at most COMMENTS_LIVE_CAP, oldest first), for the page to insert in place: with
    what _placed gives a page's comments, indented from `thread` (the thread page's head) or the story's top. Each
    reply says whom it answers, as the page may show it away from its parent. One query (two with replies)."""
    if since >= current:
        return []
    base_level = thread.level if thread is not None else 0
    comments = list(
        _live_new(article_pk=article.pk, since=since, upto=current, thread=thread)
        .select_related("author")
        .order_by("version", "pk")[: settings.COMMENTS_LIVE_CAP]
    )
    parents = {c.parent_id for c in comments if c.parent_id}
    handles = dict(
        Comment.objects.visible_to(user)
        .filter(pk__in=parents, status=Comment.Status.VISIBLE, author__isnull=False)
        .values_list("pk", "author__handle")
        if parents
        else []
    )
    author_ids = story_author_ids(article)
    for comment in comments:
        comment.indent = min(max(comment.level - base_level, 0), INDENT_CAP)
        comment.by_story_author = comment.author_id in author_ids
        comment.reply_to_handle = handles.get(comment.parent_id, "")
        comment.continue_count = comment.thread_more = 0
        comment.thread_root = comment.newsroom_reply = None
        comment.thread_full = False
    return comments


@dataclass
class SurgeChart:
    """A story's comments per minute over the last hours, with its surge-control switches, and the geometry of the
    inline SVG that draws them (templates/comments/includes/_surge_chart.html): no script, and a text alternative
    (summary, a table of quarter hours, the list of switches) for readers who cannot see it."""

    article_id: int
    start: datetime
    minutes: list[tuple[datetime, int]]
    switches: list[SurgeSwitch]
    width: int = 720
    height: int = 120

    @property
    def total(self) -> int:
        return sum(count for _, count in self.minutes)

    @property
    def peak(self) -> tuple[datetime, int]:
        return max(self.minutes, key=lambda pair: pair[1], default=(self.start, 0))

    @property
    def step(self) -> float:
        return self.width / max(1, len(self.minutes))

    @property
    def bars(self) -> list[dict]:
        top = max(1, self.peak[1])
        return [
            {
                "x": round(i * self.step, 1),
                "height": round(count / top * (self.height - 20), 1),
                "y": round(self.height - count / top * (self.height - 20), 1),
                "width": round(max(1.0, self.step - 1), 1),
            }
            for i, (_, count) in enumerate(self.minutes)
            if count
        ]

    @property
    def marks(self) -> list[dict]:
        return [
            {
                "x": round((switch.at - self.start).total_seconds() / 60 * self.step, 1),
                "switch": switch,
                "label": f"{switch.get_what_display()} {'on' if switch.on else 'off'}",
            }
            for switch in self.switches
        ]

    @property
    def quarters(self) -> list[tuple[datetime, int]]:
        """Comments per quarter hour: the table under the chart."""
        return [
            (self.minutes[i][0], sum(count for _, count in self.minutes[i : i + 15]))
            for i in range(0, len(self.minutes), 15)
        ]

    @property
    def summary(self) -> str:
        peak_at, peak = self.peak
        hours = len(self.minutes) // 60
        text = f"{self.total:,} comments in the last {hours} hours"
        if peak:
            text += f"; at most {peak:,} in a minute, at {timezone.localtime(peak_at):%H:%M}"
        switches = len(self.switches)
        return text + f"; {switches} switch{'es' if switches != 1 else ''} of the surge controls."


def surge_chart(*, article_id: int, now: datetime | None = None, hours: int = 3) -> SurgeChart:
    """The story's comments per minute over the last `hours` (every status: a surge held for moderation is still
    a surge), in one grouped query over the (article, created_at) index, and its switches in another."""
    now = now or timezone.now()
    end = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
    start = end - timedelta(hours=hours)
    counted = dict(
        Comment.objects.filter(article_id=article_id, created_at__gte=start, created_at__lt=end)
        .annotate(minute=TruncMinute("created_at"))
        .order_by()
        .values("minute")
        .annotate(count=Count("id"))
        .values_list("minute", "count")
    )
    counted = {minute.replace(second=0, microsecond=0): count for minute, count in counted.items()}
    minutes = [(start + timedelta(minutes=i), 0) for i in range(hours * 60)]
    minutes = [(minute, counted.get(minute, 0)) for minute, _ in minutes]
    switches = list(
        SurgeSwitch.objects.filter(article_id=article_id, at__gte=start, at__lt=end).select_related("by").order_by("at")
    )
    return SurgeChart(article_id=article_id, start=start, minutes=minutes, switches=switches)


def moderation_decisions(*, since: datetime | None = None, before: datetime | None = None) -> QuerySet[Comment]:
    """The site's past decisions, what a classifier learns from and is measured on: comments removed by a moderator
    (status removed) and comments left up (visible), with their text, oldest first; staff comments are never checked
    by the pipeline, so they are left out. `since` and `before` bound when the comments were written (a model trained
    on the comments before a day is measured on those since)."""
    decided = Comment.objects.filter(status__in=[Comment.Status.REMOVED, Comment.Status.VISIBLE]).exclude(body="")
    decided = decided.exclude(author__is_staff=True)
    if since is not None:
        decided = decided.filter(created_at__gte=since)
    if before is not None:
        decided = decided.filter(created_at__lt=before)
    return decided.order_by("created_at", "pk")
