"""Writes to the discussion: post, edit, delete, like, report and moderate. Each tree write takes its tree's lock,
and the story's discussion row last (comments.locking gives the order)."""

import bisect
import contextlib
import hashlib
import math
import secrets
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Case, Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Greatest, Lower
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, ngettext_lazy, pgettext

from articles.models import Article
from comments import audit, rules, signals, text
from comments.locking import (
    lock_discussion,
    lock_discussions,
    lock_new_tree,
    lock_tree_of,
    lock_trees,
)
from comments.mentions import find_mentions
from comments.models import (
    Appeal,
    Comment,
    CommentLike,
    CommentReport,
    Discussion,
    IllegalContentNotice,
    Mention,
    ModerationAction,
    Mute,
    Notification,
    Restriction,
    SurgeSwitch,
    validate_comment_length,
)
from comments.notifications import notify_decision, notify_for_comment, notify_pick
from comments.selectors import decision_of
from newsroom import edge, ratelimit
from newsroom.tasks import enqueue_on_commit

__all__ = [
    "RateLimited",
    "comment_create",
    "comment_edit",
    "comment_edit_refusal",
    "comment_delete",
    "comment_like",
    "comment_report",
    "comment_approve",
    "comment_remove",
    "appeal_refusal",
    "appeal_create",
    "appeal_decide",
    "comment_purge",
    "comments_of_leaving_reader",
    "reader_restrict",
    "reader_restriction",
    "render_body",
    "render_bodies",
    "discussion_changed",
    "discussion_set_mode",
    "discussion_set_controls",
    "may_set_controls",
    "may_pick",
    "comment_pick",
    "MUTE_LIMIT",
    "reader_mute",
    "surge_count",
    "surges_calm_down",
    "notice_create",
    "notice_decide",
]

User = get_user_model()

# The longest suspension a moderator may type; longer is a ban.
MAX_SUSPENSION_DAYS = 365

# One answer for a parent that never existed, that the author may not see, or that is on another story.
PARENT_NOT_AVAILABLE = gettext_lazy("The comment you replied to is not available.")
THREAD_FULL = gettext_lazy(
    "This thread is full: it has %(replies)s replies, the most a thread takes. Please start a new comment at the "
    "top of the discussion instead; your text is kept below."
)


class RateLimited(ValidationError):
    """Too many actions in a window (429), or the limit could not be counted (503); the view answers with `status`
    and Retry-After, keeping what the reader typed."""

    def __init__(self, message: str, *, retry_after: int, status: int = 429, code: str = "rate_limited"):
        super().__init__(message, code=code)
        self.retry_after = retry_after
        self.status = status


def _clean_body(body: str) -> str:
    body = text.clean_text(body)
    if not body:
        raise ValidationError({"body": _("Write something first: the comment is empty.")}, code="empty")
    try:
        validate_comment_length(body)
    except ValidationError as error:
        raise ValidationError({"body": error}) from None
    return body


def discussion_changed(article_id: int | Mapping[int, int], *, visible_delta: int = 0) -> None:
    """Every write to a story's discussion ends here, inside the transaction that changed it: the count moves by
    `visible_delta` (comments that became visible less those that stopped being visible) and the version is bumped,
    which retires the discussion's cached fragments (templates/comments/includes/_discussion.html). One UPDATE of
    one row, never a recount: a recount under the story's lock grew with the story (16-21 ms at 50,000 comments).
    check_comment_trees compares the counts with real ones and repairs any drift; meanwhile a drifted count never
    fails a write by going below 0.

    Many stories at once (a moderator's action on comments of a thousand stories, whose discussion rows
    lock_discussions made): `article_id` maps each story to its delta, and it is still one UPDATE, the stories
    grouped by delta.

    The story pages and discussion pages the edge keeps are purged by the story's key once this commits."""
    stories = article_id if isinstance(article_id, Mapping) else [article_id]
    edge.purge_on_commit(*(Article(pk=pk).surrogate_key for pk in stories))
    if isinstance(article_id, Mapping):
        by_delta: dict[int, list[int]] = {}
        for pk, delta in article_id.items():
            by_delta.setdefault(delta, []).append(pk)
        if not by_delta:
            return
        moved = [When(pk__in=pks, then=Value(delta)) for delta, pks in by_delta.items() if delta]
        changes = {"version": F("version") + 1}
        if moved:
            changes["comment_count"] = Greatest(F("comment_count") + Case(*moved, default=Value(0)), 0)
        Discussion.objects.filter(pk__in=list(article_id)).update(**changes)
        return
    changes = {"version": F("version") + 1}
    if visible_delta:
        changes["comment_count"] = Greatest(F("comment_count") + visible_delta, 0)
    if not Discussion.objects.filter(pk=article_id).update(**changes):
        # The story's first write that did not lock the discussion row (which makes it): make it, then count.
        Discussion.objects.get_or_create(article_id=article_id)
        Discussion.objects.filter(pk=article_id).update(**changes)


def discussion_set_mode(*, article: Article, mode: str, by=None) -> Discussion:
    """Open, hold for moderation or close a story's discussion (editors, in the story's admin page): the mode alone
    through discussion_set_controls."""
    return discussion_set_controls(article=article, by=by, mode=mode)


def may_set_controls(user) -> bool:
    """Editors and moderators set a story's surge controls (the "change discussion" permission)."""
    return user.is_authenticated and user.is_staff and user.has_perm("comments.change_discussion")


_UNSET = object()


def discussion_set_controls(
    *,
    article: Article,
    by=None,
    mode: str | None = None,
    slow_mode_seconds: int | None = None,
    close_after_days=_UNSET,
    ignore_night: bool | None = None,
    surge_mode: bool | None = None,
    note: str = "",
) -> Discussion:
    """Set a story's discussion controls by hand (`by`: the editor or moderator; None where no one is known):
    what is given and differs is written, each switch logged (SurgeSwitch). Under the discussion row's lock, which
    every post takes last and checks the controls under, so a post in flight sees either state whole; the version
    moves, so cached pages stop offering a reply form on a closed story at once. A surge switched by hand stays
    until switched by hand: only an automatic one switches itself off."""
    now = timezone.now()
    logs = []

    def log(what: str, on: bool, detail: str) -> None:
        logs.append(SurgeSwitch(article=article, what=what, on=on, by=by, at=now, note=(note or detail)[:200]))

    with transaction.atomic():
        discussion = lock_discussion(article.pk)
        changed = []
        if mode is not None and discussion.mode != mode:
            closing = Discussion.Mode.CLOSED
            if closing in (mode, discussion.mode):
                log(SurgeSwitch.What.CLOSING, mode == closing, f"comments {Discussion.Mode(mode).label.lower()}")
            discussion.mode = mode
            changed.append("mode")
        if slow_mode_seconds is not None and discussion.slow_mode_seconds != slow_mode_seconds:
            detail = f"{slow_mode_seconds} seconds" if slow_mode_seconds else "off"
            log(SurgeSwitch.What.SLOW_MODE, bool(slow_mode_seconds), f"slow mode {detail}")
            discussion.slow_mode_seconds = slow_mode_seconds
            changed.append("slow_mode_seconds")
        if close_after_days is not _UNSET and discussion.close_after_days != close_after_days:
            # A new closing day is an editor's decision: it may reopen a story closed for good by the old one.
            detail = "site default" if close_after_days is None else f"{close_after_days} days after publication"
            log(SurgeSwitch.What.CLOSING, bool(close_after_days), f"closing: {detail}")
            discussion.close_after_days, discussion.closed_for_good_at = close_after_days, None
            changed += ["close_after_days", "closed_for_good_at"]
        if ignore_night is not None and discussion.ignore_night != ignore_night:
            log(SurgeSwitch.What.CLOSING, not ignore_night, "open at night" if ignore_night else "closed at night")
            discussion.ignore_night = ignore_night
            changed.append("ignore_night")
        if surge_mode is not None and discussion.surge_mode != surge_mode:
            log(SurgeSwitch.What.SURGE, surge_mode, "switched by hand")
            discussion.surge_mode, discussion.surge_automatic = surge_mode, False
            discussion.surge_since = now if surge_mode else None
            changed += ["surge_mode", "surge_automatic", "surge_since"]
        if changed:
            discussion.save(update_fields=changed)
            SurgeSwitch.objects.bulk_create(logs)
            discussion_changed(article.pk)
    return discussion


def _surge_key(article_id: int, minute: int) -> str:
    return f"surge:{article_id}:{minute}"


def surge_count(article_id: int, *, now: datetime | None = None) -> int | None:
    """Count one comment in the story's counter of this minute in the shared cache (Redis: one INCR, kept a little
    longer than the calm-down needs); None when the cache cannot count. A counter rather than a COUNT over the
    story's comments of the last minute: the COUNT would read sixty rows and more per post exactly when posts are
    many, the counter costs the same at any rate."""
    now = now or timezone.now()
    counter = caches["ratelimit"]
    key = _surge_key(article_id, int(now.timestamp() // 60))
    timeout = 60 * (settings.COMMENTS_SURGE_CALM_MINUTES + 2)
    try:
        counter.add(key, 0, timeout=timeout)
        try:
            return counter.incr(key)
        except ValueError:  # expired between add and incr
            counter.set(key, 1, timeout=timeout)
            return 1
    except Exception:  # a surge not counted is a surge noticed a little later: never a reason to refuse a post
        return None


def _calm(discussion: Discussion, now: datetime) -> bool:
    """Whether an automatic surge is over: on for COMMENTS_SURGE_CALM_MINUTES at least, and this minute and each
    of the last that many whole minutes under half the threshold."""
    minutes = settings.COMMENTS_SURGE_CALM_MINUTES
    if discussion.surge_since and now - discussion.surge_since < timedelta(minutes=minutes):
        return False
    this_minute = int(now.timestamp() // 60)
    keys = [_surge_key(discussion.article_id, this_minute - back) for back in range(minutes + 1)]
    try:
        counts = caches["ratelimit"].get_many(keys)
    except Exception:
        return False
    return all(counts.get(key, 0) * 2 < settings.COMMENTS_SURGE_PER_MINUTE for key in keys)


def _surge_switch_automatic(discussion: Discussion, *, on: bool, now: datetime, note: str) -> None:
    """Switch surge mode of a locked discussion row, log it, and on switching on alert the moderators (the admin
    shows it at once; the e-mail goes through the task queue once this commits)."""
    discussion.surge_mode, discussion.surge_automatic = on, on
    discussion.surge_since = now if on else None
    discussion.save(update_fields=["surge_mode", "surge_automatic", "surge_since"])
    SurgeSwitch.objects.create(article_id=discussion.article_id, what=SurgeSwitch.What.SURGE, on=on, at=now, note=note)
    if on:
        from comments.tasks import send_surge_alert  # the tasks module imports the services' neighbours

        enqueue_on_commit(send_surge_alert, discussion.article_id)


def _surge_follow(discussion: Discussion, *, now: datetime) -> None:
    """After a post, under the story's locked discussion row: count it, and switch surge mode on past the
    threshold, or an automatic one off once calm (a quiet story is switched off by surges_calm_down instead)."""
    threshold = settings.COMMENTS_SURGE_PER_MINUTE
    if threshold <= 0:
        return
    count = surge_count(discussion.article_id, now=now)
    if count is None:
        return
    if not discussion.surge_mode and count > threshold:
        _surge_switch_automatic(discussion, on=True, now=now, note=f"{count} comments in a minute (over {threshold})")
    elif discussion.surge_mode and discussion.surge_automatic and _calm(discussion, now):
        _surge_switch_automatic(discussion, on=False, now=now, note=f"under {threshold // 2} comments a minute")


def surges_calm_down(*, now: datetime | None = None) -> int:
    """Switch off automatic surges that have calmed down on stories no one posts to any more (the next post does
    it on a story still commented): run by the surges_calm_down task every few minutes. Returns how many."""
    now = now or timezone.now()
    switched = 0
    for article_id in Discussion.objects.filter(surge_mode=True, surge_automatic=True).values_list("pk", flat=True):
        with transaction.atomic():
            discussion = lock_discussion(article_id)
            if discussion.surge_mode and discussion.surge_automatic and _calm(discussion, now):
                _surge_switch_automatic(discussion, on=False, now=now, note="quiet: no comments to speak of")
                discussion_changed(article_id)
                switched += 1
    return switched


def render_body(body: str) -> tuple[str, list]:
    """The body's HTML with known @handles linked, and the readers it mentions (one query)."""
    return render_bodies([body])[0]


def render_bodies(bodies: Sequence[str], *, chunk: int = 500) -> list[tuple[str, list]]:
    """render_body for many bodies, one query per `chunk` distinct handles instead of one per body (the Disqus
    import renders a whole story at once, after making its commenters' accounts, so that @handles of imported
    commenters link to their profiles too). A body with no @handle costs no query."""
    wanted = [[handle.lower() for handle in find_mentions(body)] for body in bodies]
    distinct = sorted({handle for handles in wanted for handle in handles})
    users = {}
    for start in range(0, len(distinct), chunk):
        found = (
            User.objects.with_profile()
            .annotate(lower_handle=Lower("handle"))
            .filter(lower_handle__in=distinct[start : start + chunk])
        )
        users.update((user.handle.lower(), user) for user in found)
    links = {handle: reverse("comments:member", kwargs={"pk": user.pk}) for handle, user in users.items()}
    rendered = []
    for body, handles in zip(bodies, wanted, strict=True):
        known = [handle for handle in handles if handle in users]
        rendered.append((text.render(body, {handle: links[handle] for handle in known}), [users[h] for h in known]))
    return rendered


def reader_restriction(user) -> Restriction | None:
    return Restriction.objects.active().filter(user=user).order_by("until").first() if user.is_authenticated else None


def _sentence_date(moment) -> str:
    """A date as a sentence says it ("December 3, 2026"), in the active language."""
    return date_format(timezone.localtime(moment), pgettext("date in a sentence", "F j, Y"))


def _check_may_comment(user) -> None:
    restriction = reader_restriction(user)
    if restriction is None:
        return
    if restriction.kind == Restriction.Kind.BAN:
        message = _("Your account may no longer comment.")
    else:
        until = date_format(
            timezone.localtime(restriction.until), pgettext("date and time in a sentence", "F j, Y H:i")
        )
        message = _("Your account may not comment until %(until)s.") % {"until": until}
    if restriction.reason:
        message += " " + _("Reason: %(reason)s") % {"reason": restriction.reason}
    raise PermissionDenied(message)


def _count_towards_rate_limit(user, *, action: str = "comment") -> None:
    """Count an action against the reader's allowance in the shared cache; over it raises RateLimited."""
    limit, window = {
        "comment": (settings.COMMENTS_RATE_PER_MINUTE, 60),
        "like": (settings.COMMENTS_LIKES_PER_MINUTE, 60),
        "report": (settings.COMMENTS_REPORTS_PER_HOUR, 3600),
        "edit": (settings.COMMENTS_EDITS_PER_MINUTE, 60),
    }[action]
    if limit <= 0 or user.is_staff:
        return
    state = ratelimit.hit(action, str(user.pk), limit=limit, window=window)
    if state.unavailable:
        raise RateLimited(UNAVAILABLE, retry_after=state.retry_after, status=503)
    if not state.allowed:
        raise RateLimited(
            _SENT[action, window == 60] % {"limit": limit}
            + " "
            + ngettext(
                "Wait %(seconds)d second, then try again; your text is kept.",
                "Wait %(seconds)d seconds, then try again; your text is kept.",
                state.retry_after,
            )
            % {"seconds": state.retry_after},
            retry_after=state.retry_after,
        )


UNAVAILABLE = gettext_lazy(
    "This cannot be saved for a moment because of a problem on our side. Your text is kept: try again in a minute."
)
# (action, per minute): the refusal's first sentence, singular or plural by the limit.
_SENT = {
    ("comment", True): ngettext_lazy(
        "You have sent %(limit)d comment in the last minute.",
        "You have sent %(limit)d comments in the last minute.",
        "limit",
    ),
    ("comment", False): ngettext_lazy(
        "You have sent %(limit)d comment in the last hour.",
        "You have sent %(limit)d comments in the last hour.",
        "limit",
    ),
    ("like", True): ngettext_lazy(
        "You have sent %(limit)d like in the last minute.", "You have sent %(limit)d likes in the last minute.", "limit"
    ),
    ("like", False): ngettext_lazy(
        "You have sent %(limit)d like in the last hour.", "You have sent %(limit)d likes in the last hour.", "limit"
    ),
    ("report", True): ngettext_lazy(
        "You have sent %(limit)d report in the last minute.",
        "You have sent %(limit)d reports in the last minute.",
        "limit",
    ),
    ("report", False): ngettext_lazy(
        "You have sent %(limit)d report in the last hour.", "You have sent %(limit)d reports in the last hour.", "limit"
    ),
    ("edit", True): ngettext_lazy(
        "You have sent %(limit)d edit in the last minute.", "You have sent %(limit)d edits in the last minute.", "limit"
    ),
    ("edit", False): ngettext_lazy(
        "You have sent %(limit)d edit in the last hour.", "You have sent %(limit)d edits in the last hour.", "limit"
    ),
}


def _held_reason(*, discussion: Discussion, author) -> str | None:
    """Why the story's controls hold a new comment for a moderator (premoderated, a surge, a reader's first
    comments), or None. What the comment says is the moderation pipeline's (comments.rules), checked first."""
    if author.is_staff:
        return None
    if discussion.mode == Discussion.Mode.PREMODERATED:
        return _("This story's comments are moderated before they appear.")
    hours = settings.COMMENTS_SURGE_NEW_ACCOUNT_HOURS
    if discussion.surge_mode and hours > 0 and author.date_joined > timezone.now() - timedelta(hours=hours):
        return _("This story has a surge of comments: new accounts' comments are checked by a moderator first.")
    first = settings.COMMENTS_PREMODERATE_FIRST
    # Whether the author has `first` visible comments: reads at most that many rows, where a COUNT would read all.
    if first > 0 and not Comment.objects.filter(author=author, status=Comment.Status.VISIBLE)[first - 1 :].exists():
        return _("New readers' first comments are checked by a moderator.")
    return None


def _record_verdict(verdict: rules.Verdict, action: str, *, user, comment: Comment | None = None, article=None):
    """The pipeline's hold or rejection in the audit log, with the rule or classifier that made it."""
    audit.record(
        action, by=verdict.by, comment=comment, user=user, article=article, reason=verdict.reason, note=verdict.note
    )


def _pipeline_verdict(*, body: str, author, article: Article) -> rules.Verdict | None:
    """The moderation pipeline's verdict on a text (comments.rules): a rejection is refused here, recorded in the
    audit log (which keeps the rule and the reason, not the text) and told to the reader with their text kept; a
    hold is returned, for the caller to record with the comment it stores."""
    verdict = rules.check(body=body, author=author, article=article)
    if verdict is not None and verdict.rejects:
        _record_verdict(verdict, ModerationAction.Action.REJECT, user=author, article=article.pk)
        raise ValidationError({"body": verdict.reason}, code="rejected")
    return verdict


def _slow_mode_take(*, discussion: Discussion, author) -> str | None:
    """Take the reader's one post per slow-mode period on this story, or raise RateLimited with the seconds left.
    One atomic add in the shared cache (Redis SET NX with the period as expiry): of two posts at once exactly one
    adds the key, the other is told to wait. Returns the key, for _slow_mode_release if the post then fails."""
    seconds = discussion.slow_seconds
    if not seconds or author.is_staff:
        return None
    counter = caches["ratelimit"]
    key = f"slowmode:{discussion.article_id}:{author.pk}"
    now = ratelimit.clock()
    try:
        if counter.add(key, now, timeout=seconds):
            return key
        since = counter.get(key)
    except Exception as error:  # as the rate limits do: refuse, text kept, rather than let everything through
        raise RateLimited(
            UNAVAILABLE,
            retry_after=ratelimit.UNAVAILABLE_RETRY_AFTER,
            status=503,
        ) from error
    left = max(1, math.ceil(since + seconds - now)) if since is not None else 1
    left = min(left, seconds)
    raise RateLimited(
        ngettext(
            "This story is in slow mode: each reader may post once every %(seconds)d second.",
            "This story is in slow mode: each reader may post once every %(seconds)d seconds.",
            seconds,
        )
        % {"seconds": seconds}
        + " "
        + ngettext(
            "Wait %(left)d second, then post again; your text is kept.",
            "Wait %(left)d seconds, then post again; your text is kept.",
            left,
        )
        % {"left": left},
        retry_after=left,
        code="slow_mode",
    )


def _slow_mode_release(key: str | None) -> None:
    """Give the reader's slow-mode period back: the post that took it was not stored."""
    if key:
        with contextlib.suppress(Exception):  # it expires on its own
            caches["ratelimit"].delete(key)


def _closed_refusal(discussion: Discussion, now: datetime) -> ValidationError | None:
    """The refusal of a post to a closed discussion, saying when it reopens if it does."""
    closure = discussion.closed_reason(now)
    if closure is None:
        return None
    message = f"{closure.reason} {_('Your text is kept below.')}"
    return ValidationError(message, code="closed")


def _close_for_good(discussion: Discussion, now: datetime) -> None:
    """Record that the story is past its closing day, once, in its own short write: from then on a clock set back
    does not reopen it (Discussion.closed_for_good_at)."""
    if discussion.closed_for_good_at or discussion.pk is None:
        return
    if Discussion.objects.filter(pk=discussion.pk, closed_for_good_at=None).update(closed_for_good_at=now):
        SurgeSwitch.objects.create(
            article_id=discussion.article_id, what=SurgeSwitch.What.CLOSING, on=True, at=now, note="closed by days"
        )
        discussion_changed(discussion.article_id)


def thread_replies(root_rght: int) -> int:
    """The replies in a thread whose root (lft 1) has this rght: its comments less the root."""
    return root_rght // 2 - 1


def _post_key(form_token: str, *, article_pk: int, parent_pk: int | None, body: str) -> str:
    """One form's post of one text at one place. Story and parent are in it because the reply forms opened in
    place (static/js/comments.js) are copies of the page's comment form, token and all."""
    return hashlib.sha256(f"{form_token}\0{article_pk}\0{parent_pk or ''}\0{body}".encode()).hexdigest()


def comment_create(
    *,
    article: Article,
    author,
    body: str,
    parent: Comment | int | None = None,
    notify_by_email: bool = True,
    form_token: str = "",
) -> Comment:
    """Post a top-level comment or a reply to `parent` (a comment or its id). Raises ValidationError (shown in the
    form), RateLimited or PermissionDenied (suspended or banned readers). The parent's author and mentioned readers
    are notified (in-app always, by e-mail unless `notify_by_email` is off, e.g. for demo content). Every attempt
    counts towards the rate limit, refused ones too: a parent the author may not see (Comment.visible_q) gets the
    same answer as one that never existed, and no one can try ids quickly.

    With the `form_token` of the form it came from (comments.forms), posting is idempotent: the same form sent
    again with the same text (a retry after a lost answer, a double click, both at once) returns the comment it
    stored the first time and stores nothing. The check runs under the tree's lock (a new thread: the new-tree
    lock), so a simultaneous second submit waits for the first and then finds its comment; the unique post_key is
    the database's guarantee. The same token with another text (the form reused after Back) is a new comment: what
    a reader typed is never lost. A thread with COMMENTS_MAX_THREAD_SIZE replies takes no more (code thread_full):
    past that size the shift of lft/rght that a reply costs grows past 3x a small thread's (docs/performance.md).

    Thirteen queries for a reply on PostgreSQL whatever the size of the thread, twelve for a new thread (pinned in
    tests/comments/test_tree_locks.py), plus the notification rows and, with a `form_token`, the look for an earlier
    post: the parent is read once, under the lock, with its thread's size, and mptt inserts from that fresh copy. A
    resent form counts towards the rate limit like any attempt."""
    _count_towards_rate_limit(author)
    body = _clean_body(body)
    _check_may_comment(author)
    # The rules and the classifier before any lock: a classifier may take its timeout, never while a thread waits.
    verdict = _pipeline_verdict(body=body, author=author, article=article)
    parent_pk = parent.pk if isinstance(parent, Comment) else parent
    key = _post_key(form_token, article_pk=article.pk, parent_pk=parent_pk, body=body) if form_token else ""
    # Read without a lock, to refuse early (and outside the transaction, so that a story found past its closing
    # day is recorded as closed for good); read again under the row's lock at the end, which decides.
    now = timezone.now()
    discussion = Discussion.objects.filter(pk=article.pk).first() or Discussion(article_id=article.pk)
    discussion.article = article
    if refusal := _closed_refusal(discussion, now):
        if discussion.closed_reason(now).kind == "days":
            with transaction.atomic():
                _close_for_good(discussion, now)
        raise refusal
    with transaction.atomic():
        # The tree's lock first (a new thread: the new-tree lock), the discussion row last (comments.locking). The
        # lock also serialises two submits of one form: same parent, same tree.
        if parent_pk is None:
            lock_new_tree()
        elif lock_tree_of(parent_pk, article_id=article.pk) is None:
            raise ValidationError({"parent": PARENT_NOT_AVAILABLE}, code="no_parent")
        if key and (stored := Comment.objects.filter(author=author, post_key=key).first()):
            return stored
        parent = None
        if parent_pk is not None:
            # Read under the lock: mptt inserts from the parent's lft/rght, which must be current; with the size
            # of its thread from the root's rght (the root has lft 1: the tree_id, lft index).
            root_rght = Comment.objects.filter(tree_id=OuterRef("tree_id"), lft=1).values("rght")[:1]
            parent = (
                Comment.objects.visible_to(author)
                .filter(pk=parent_pk, article=article)
                .annotate(thread_rght=Subquery(root_rght))
                .first()
            )
            if parent is None:
                raise ValidationError({"parent": PARENT_NOT_AVAILABLE}, code="no_parent")
            if not parent.shows_text:
                raise ValidationError(
                    {"parent": _("That comment has been removed, so it can no longer be replied to.")},
                    code="parent_gone",
                )
            if parent.status == Comment.Status.PENDING and parent.author_id != author.pk:
                # Only a moderator sees someone else's held comment; a reply waits for the approval.
                raise ValidationError(
                    {"parent": _("That comment is waiting for moderation; approve it before replying.")},
                    code="parent_pending",
                )
            if (replies := thread_replies(parent.thread_rght)) >= settings.COMMENTS_MAX_THREAD_SIZE:
                raise ValidationError(
                    {"parent": THREAD_FULL % {"replies": number_format(replies, force_grouping=True)}},
                    code="thread_full",
                )
        held = verdict.reason if verdict else _held_reason(discussion=discussion, author=author)
        html, mentioned = render_body(body)
        comment = Comment(
            article=article,
            author=author,
            parent=parent,
            body=body,
            body_html=html,
            status=Comment.Status.PENDING if held else Comment.Status.VISIBLE,
            removal_reason=held or "",
            post_key=key,
        )
        # The story, the author and the parent were just read or locked: no need for a query per foreign key.
        comment.full_clean(exclude=["article", "author", "parent"])
        # Slow mode last of the checks, so a post refused for anything else does not use up the reader's period.
        slot = _slow_mode_take(discussion=discussion, author=author)
        try:
            comment.insert_at(parent, position="last-child", save=True, refresh_target=False)
            Mention.objects.bulk_create(Mention(comment=comment, user=user) for user in mentioned)
            # Last, the discussion row, held until the commit: a mode changed meanwhile (discussion_set_controls
            # holds the row while it changes it) is seen here, and the post follows it or fails whole.
            locked = lock_discussion(article.pk, waits_bounded=True)
            locked.article = article
            if refusal := _closed_refusal(locked, now):
                raise refusal
            _surge_follow(locked, now=now)
            if not verdict and (locked.mode, locked.surge_mode) != (discussion.mode, discussion.surge_mode):
                held = _held_reason(discussion=locked, author=author)
                comment.status = Comment.Status.PENDING if held else Comment.Status.VISIBLE
                comment.removal_reason = held or ""
            # The version this write gives the discussion (discussion_changed adds 1 to the row locked just above):
            # what the live "N new comments" counts from. Known only under the row's lock, so written after the
            # insert; the row is this transaction's own, so the UPDATE waits on nothing.
            comment.version = locked.version + 1
            Comment.objects.filter(pk=comment.pk).update(
                status=comment.status, removal_reason=comment.removal_reason, version=comment.version
            )
            if verdict:
                _record_verdict(verdict, ModerationAction.Action.HOLD, comment=comment, user=author)
            notify_for_comment(comment=comment, email=notify_by_email)
            discussion_changed(article.pk, visible_delta=int(comment.status == Comment.Status.VISIBLE))
            signals.send_on_commit(signals.comment_created, Comment, comment=comment)
        except BaseException:
            _slow_mode_release(slot)
            raise
    return comment


def edit_deadline(comment: Comment) -> datetime:
    return comment.created_at + timedelta(minutes=settings.COMMENTS_EDIT_WINDOW_MINUTES)


def comment_edit_refusal(comment: Comment) -> ValidationError | None:
    """Why the comment can no longer be edited (removed, deleted, or its edit window has closed), or None."""
    if comment.status in (Comment.Status.REMOVED, Comment.Status.DELETED):
        return ValidationError(_("This comment can no longer be edited."), code="gone")
    if timezone.now() > edit_deadline(comment):
        return ValidationError(
            ngettext(
                "Comments can be edited for %(minutes)d minute after posting; the time to edit this one has passed.",
                "Comments can be edited for %(minutes)d minutes after posting; the time to edit this one has passed.",
                settings.COMMENTS_EDIT_WINDOW_MINUTES,
            )
            % {"minutes": settings.COMMENTS_EDIT_WINDOW_MINUTES},
            code="edit_window",
        )
    return None


def comment_edit(*, comment: Comment, user, body: str) -> Comment:
    """The author changes their text within the edit window; the comment is then marked "edited"."""
    if comment.author_id != user.pk:
        raise PermissionDenied(_("You can only edit your own comments."))
    _count_towards_rate_limit(user, action="edit")  # each edit replaces the story's cached discussion
    body = _clean_body(body)
    verdict = _pipeline_verdict(body=body, author=user, article=comment.article) if body != comment.body else None
    with transaction.atomic():
        comment = Comment.objects.select_for_update().get(pk=comment.pk)
        if refusal := comment_edit_refusal(comment):
            raise refusal
        if body == comment.body:
            return comment
        html, mentioned = render_body(body)
        comment.body, comment.body_html, comment.edited_at = body, html, timezone.now()
        held = verdict is not None and comment.status == Comment.Status.VISIBLE
        if held:
            comment.status, comment.removal_reason = Comment.Status.PENDING, verdict.reason
            _record_verdict(verdict, ModerationAction.Action.HOLD, comment=comment, user=user)
        comment.full_clean()
        comment.save(update_fields=["body", "body_html", "edited_at", "status", "removal_reason"])
        comment.mentions.exclude(user__in=mentioned).delete()
        known = set(comment.mentions.values_list("user_id", flat=True))
        Mention.objects.bulk_create(Mention(comment=comment, user=u) for u in mentioned if u.pk not in known)
        notify_for_comment(comment=comment)  # readers newly mentioned; nobody twice
        discussion_changed(comment.article_id, visible_delta=-int(held))
        signals.send_on_commit(signals.comment_edited, Comment, comment=comment)
    return comment


def _delete_leaf_and_empty_tombstones(comment: Comment) -> int:
    """Remove a comment without replies from its tree; a tombstone left with no replies goes with it. Returns the
    change in the story's visible comments (-1 or 0: the tombstones were not visible)."""
    delta = -int(comment.status == Comment.Status.VISIBLE)
    while comment is not None:
        parent_id = comment.parent_id
        comment.delete()
        comment = (
            Comment.objects.filter(
                pk=parent_id, status__in=[Comment.Status.DELETED, Comment.Status.REMOVED], rght=F("lft") + 1
            ).first()
            if parent_id
            else None
        )
    return delta


def comment_delete(*, comment: Comment, user) -> Comment | None:
    """The author deletes their comment: with replies it stays as a "comment deleted" tombstone (the replies
    keep their place); without replies it disappears. Returns the tombstone, or None. Deleting a comment already
    deleted changes nothing."""
    if comment.author_id != user.pk:
        raise PermissionDenied(_("You can only delete your own comments."))
    with transaction.atomic():
        lock_trees([comment.tree_id])
        # Read again under the lock: a delete sent twice at once finds the first one done, and does nothing more.
        comment = Comment.objects.filter(pk=comment.pk).first()
        if comment is None or comment.status == Comment.Status.DELETED:
            return comment
        if comment.has_replies:
            delta = -int(comment.status == Comment.Status.VISIBLE)
            comment.status = Comment.Status.DELETED
            comment.body = comment.body_html = ""
            comment.save(update_fields=["status", "body", "body_html"])
            comment.mentions.all().delete()
            discussion_changed(comment.article_id, visible_delta=delta)
            return comment
        discussion_changed(comment.article_id, visible_delta=_delete_leaf_and_empty_tombstones(comment))
    return None


# How many of a leaving reader's comments one transaction takes on (whole stories; a story with more is taken
# alone): the stories' locks are held for one batch at a time, never for the reader's whole history.
LEAVING_READER_BATCH = 5000

_TOMBSTONES = (Comment.Status.DELETED, Comment.Status.REMOVED)


def comments_of_leaving_reader(*, user, batch: int = LEAVING_READER_BATCH) -> None:
    """Before an account is deleted (in a task: newsroom.tasks.erase_closed_accounts): its comments with replies
    become "deleted account" tombstones (the replies keep their place), the others leave their trees with any
    tombstone left without replies, and its likes leave the counts. Set-based: a fixed number of statements per
    `batch` of the reader's comments, where a comment at a time was 5-10 statements each (a reader with 20,000
    comments was not done after 120 s). Under the locks of the trees its comments are in, the stories' discussion
    rows last (comments.locking's order); every story touched moves its count once and gets a new discussion
    version (no cached page shows the name)."""
    per_story = dict(
        Comment.objects.filter(author=user)
        .order_by()
        .values("article_id")
        .annotate(n=Count("pk"))
        .values_list("article_id", "n")
    )
    for article_id in CommentLike.objects.filter(user=user).values_list("comment__article_id", flat=True).distinct():
        per_story.setdefault(article_id, 0)
    stories: list[int] = []
    taken = 0
    for article_id in sorted(per_story):
        if stories and taken + per_story[article_id] > batch:
            _leave_stories(user, stories)
            stories, taken = [], 0
        stories.append(article_id)
        taken += per_story[article_id]
    if stories:
        _leave_stories(user, stories)


def _leave_stories(user, article_ids: list[int]) -> None:
    """comments_of_leaving_reader for some stories: one transaction, a fixed number of statements.

    What goes: a reader's comment, or a tombstone above one, when everything under it goes too. That is always
    whole subtrees, so the trees whose root stays are renumbered in one statement (_renumber_trees) with every
    node in its place, and the others are gone whole; no lft/rght is left out of step with django-mptt's rules."""
    with transaction.atomic():
        mine = Comment.objects.filter(author=user, article_id__in=article_ids)
        lock_trees(mine.order_by().values_list("tree_id", flat=True).distinct())
        # Read under the locks: the trees as they are now.
        fields = ("pk", "article_id", "tree_id", "lft", "rght", "status")
        own = list(mine.order_by().values_list(*fields))
        above = Comment.objects.filter(tree_id__in=mine.values("tree_id"), status__in=_TOMBSTONES).filter(
            Exists(mine.filter(tree_id=OuterRef("tree_id"), lft__gt=OuterRef("lft"), lft__lt=OuterRef("rght")))
        )
        candidates = {row[0]: row for row in [*own, *above.exclude(author=user).order_by().values_list(*fields)]}
        going = _whole_subtrees_going(candidates.values())
        trees_touched = {candidates[pk][2] for pk in going}
        renumber = trees_touched - {candidates[pk][2] for pk in going if candidates[pk][3] == 1}  # root gone: all is

        Comment.objects.filter(article_id__in=article_ids, likes__user=user).update(like_count=F("like_count") - 1)
        CommentLike.objects.filter(user=user, comment__article_id__in=article_ids).delete()
        gone = list(going)
        Mention.objects.filter(Q(comment__in=mine) | Q(comment_id__in=gone)).delete()
        if gone:
            for related in (CommentLike, CommentReport, Notification):
                related.objects.filter(comment_id__in=gone).delete()
            # Records that outlive the comment (the audit log, illegal-content notices) only lose the link to it.
            for record in (ModerationAction, IllegalContentNotice):
                record.objects.filter(comment_id__in=gone).update(comment=None)
            # The rows are gone whole subtrees at a time and their dependants were deleted just above: no need for
            # the ORM's collector, which reads every row first and recurses through the replies.
            Comment.objects.filter(pk__in=gone)._raw_delete(Comment.objects.db)
            _renumber_trees(sorted(renumber))
        mine.update(
            status=Comment.Status.DELETED, body="", body_html="", author=None, author_name="", removal_reason=""
        )
        delta = dict.fromkeys(article_ids, 0)
        for _pk, article_id, *_tree, status in own:
            delta[article_id] -= status == Comment.Status.VISIBLE
        lock_discussions(article_ids)
        discussion_changed(delta)


def _whole_subtrees_going(candidates: Iterable[tuple]) -> set[int]:
    """The candidates (pk, story, tree, lft, rght, status) with nothing but candidates under them: in a sound
    tree a node has (rght - lft - 1) / 2 descendants, so it goes when that many candidates lie within it."""
    by_tree: dict[int, list[tuple]] = {}
    for row in candidates:
        by_tree.setdefault(row[2], []).append(row)
    going = set()
    for rows in by_tree.values():
        lefts = sorted(row[3] for row in rows)
        for pk, _story, _tree, lft, rght, _status in rows:
            within = bisect.bisect_left(lefts, rght) - bisect.bisect_right(lefts, lft)
            if within == (rght - lft - 1) // 2:
                going.add(pk)
    return going


# Numbers every node of the given trees 1, 2, 3... in the order of its lft and rght: after whole subtrees left a
# tree, the same nesting without the gaps, as django-mptt's own deletes leave it. Window functions and UPDATE ...
# FROM are in PostgreSQL and SQLite (3.33+) alike; only rows whose numbers change are written.
_RENUMBER_SQL = """
WITH bounds AS (
    SELECT id, tree_id, lft AS v, 0 AS side FROM {table} WHERE tree_id IN ({trees})
    UNION ALL
    SELECT id, tree_id, rght AS v, 1 AS side FROM {table} WHERE tree_id IN ({trees})
), ranked AS (
    SELECT id, side, ROW_NUMBER() OVER (PARTITION BY tree_id ORDER BY v) AS n FROM bounds
), numbered AS (
    SELECT id, MAX(CASE WHEN side = 0 THEN n END) AS new_lft, MAX(CASE WHEN side = 1 THEN n END) AS new_rght
    FROM ranked GROUP BY id
)
UPDATE {table} SET lft = numbered.new_lft, rght = numbered.new_rght FROM numbered
WHERE {table}.id = numbered.id AND ({table}.lft <> numbered.new_lft OR {table}.rght <> numbered.new_rght)
"""


def _renumber_trees(tree_ids: list[int]) -> None:
    if not tree_ids:
        return
    sql = _RENUMBER_SQL.format(
        table=connection.ops.quote_name(Comment._meta.db_table), trees=", ".join(["%s"] * len(tree_ids))
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*tree_ids, *tree_ids])


def comment_purge(*, comment: Comment) -> None:
    """Delete a comment and all its replies from the database (admin only), under its tree's lock."""
    with transaction.atomic():
        lock_trees([comment.tree_id])
        fresh = Comment.objects.filter(pk=comment.pk).first()
        if fresh is not None:
            # The visible comments going with it: one thread's rows, by the (tree_id, lft) index.
            visible = fresh.get_descendants(include_self=True).filter(status=Comment.Status.VISIBLE).count()
            fresh.delete()
            discussion_changed(comment.article_id, visible_delta=-visible)


def comment_like(*, comment: Comment, user, liked: bool = True) -> bool:
    """Like the comment, or with `liked=False` take the like back; returns whether the reader now likes it. Saying
    what the reader wants, not toggling: a double click or two tabs sending the same like leave it liked once."""
    if comment.author_id == user.pk:
        raise ValidationError(_("You cannot like your own comment."), code="own")
    if comment.status != Comment.Status.VISIBLE:
        raise ValidationError(_("Only visible comments can be liked."), code="not_visible")
    _count_towards_rate_limit(user, action="like")
    with transaction.atomic():
        if liked:
            # The unique constraint decides between simultaneous likes: the loser's insert fails inside a savepoint
            # and it finds the winner's row (get_or_create), so only one of them counts.
            _like, changed = CommentLike.objects.get_or_create(comment=comment, user=user)
        else:
            changed = CommentLike.objects.filter(comment=comment, user=user).delete()[0] > 0
        if changed:
            Comment.objects.filter(pk=comment.pk).update(like_count=F("like_count") + (1 if liked else -1))
            discussion_changed(comment.article_id)
    return liked


def comment_report(*, comment: Comment, user, reason: str, note: str = "") -> CommentReport:
    """One report per reader; once as many readers as the reports rule says (comments.rules) have reported it, it
    waits for review."""
    if comment.author_id == user.pk:
        raise ValidationError(_("You cannot report your own comment."), code="own")
    _count_towards_rate_limit(user, action="report")
    with transaction.atomic():
        lock_trees([comment.tree_id])
        if CommentReport.objects.filter(comment=comment, user=user).exists():
            raise ValidationError(
                _("You have already reported this comment. A moderator will look at it."), code="twice"
            )
        report = CommentReport(comment=comment, user=user, reason=reason, note=text.clean_text(note)[:500])
        report.full_clean()
        report.save()
        count = CommentReport.objects.filter(comment=comment).count()
        # Kept on the row for the moderation queue, which reads it through a partial index.
        Comment.objects.filter(pk=comment.pk).update(report_count=count)
        held = 0
        rule = rules.report_threshold()
        if rule is not None and count >= rule[1]:
            reason = ngettext(
                "Held for review after %(count)d report.", "Held for review after %(count)d reports.", count
            ) % {"count": count}
            held = Comment.objects.filter(pk=comment.pk, status=Comment.Status.VISIBLE).update(
                status=Comment.Status.PENDING, removal_reason=reason
            )
            if held:
                audit.record(ModerationAction.Action.HOLD, by=rule[0], comment=comment, reason=reason)
        discussion_changed(comment.article_id, visible_delta=-held)
        signals.send_on_commit(signals.comment_reported, CommentReport, report=report)
    return report


def _selected(comments: QuerySet[Comment] | Iterable[Comment]) -> QuerySet[Comment]:
    """The comments as a queryset: the admin's (every one matching, or those ticked) or a list's."""
    if isinstance(comments, QuerySet):
        return Comment.objects.filter(pk__in=comments.order_by().values("pk"))
    return Comment.objects.filter(pk__in=[comment.pk for comment in comments])


def _moderate(selected: QuerySet[Comment], *, status: str, reason: str) -> int:
    """Set the status of the selected comments (any stories, any number) in a fixed number of statements: one lock
    for all their trees, one grouped read of what was visible, one UPDATE of the comments (and, approving, one
    DELETE of their reports), then the stories' discussion rows: one lock and one UPDATE of their counts, last
    (comments.locking's order: a reply holding a tree and waiting for its story's row never waits on this action).
    A story at a time was four statements per story: 3,992 for 997 stories, 9.5 s."""
    with transaction.atomic():
        lock_trees(selected.order_by().values_list("tree_id", flat=True).distinct())
        # Read under the lock, like the statuses they replace: what was visible before this write, per story.
        per_story = {
            row["article_id"]: row
            for row in selected.order_by()
            .values("article_id")
            .annotate(selected=Count("pk"), was_visible=Count("pk", filter=Q(status=Comment.Status.VISIBLE)))
        }
        changes = {"status": status, "removal_reason": reason}
        if status == Comment.Status.VISIBLE:
            # The reports were dealt with: approving clears them, so the next reports count afresh.
            CommentReport.objects.filter(comment__in=selected).delete()
            changes["report_count"] = 0
        now_visible = status == Comment.Status.VISIBLE
        # Comments that become visible now count as new for live readers (comments.selectors.live_since): they get
        # the version this write gives their story, known once its row is locked below.
        newly_visible = list(selected.exclude(status=status).values_list("pk", flat=True)) if now_visible else []
        changed = selected.update(**changes)
        lock_discussions(list(per_story))
        discussion_changed(
            {pk: (row["selected"] if now_visible else 0) - row["was_visible"] for pk, row in per_story.items()}
        )
        if newly_visible:
            # After the bump, read under the rows' locks: the version each story has now. These comment rows were
            # written above by this transaction, so the UPDATE waits on no one (a like holding a comment row and
            # waiting for the story's row never meets it).
            Comment.objects.filter(pk__in=newly_visible).update(
                version=Subquery(Discussion.objects.filter(pk=OuterRef("article_id")).values("version")[:1])
            )
    return changed


def comment_approve(*, comments: QuerySet[Comment] | Iterable[Comment], moderator) -> int:
    """Make pending or reported comments visible, and notify as if they had just been posted."""
    selected = _selected(comments).filter(status__in=[Comment.Status.PENDING, Comment.Status.VISIBLE])
    approved = list(selected.values_list("pk", flat=True))
    changed = _moderate(Comment.objects.filter(pk__in=approved), status=Comment.Status.VISIBLE, reason="")
    audit.record_many(ModerationAction.Action.APPROVE, approved, actor=moderator)
    for comment in Comment.objects.filter(pk__in=approved).select_related("parent"):
        with transaction.atomic():
            notify_for_comment(comment=comment)
    return changed


def comment_remove(*, comments: QuerySet[Comment] | Iterable[Comment], moderator, reason: str, note: str = "") -> int:
    """Take comments down; replies stay, under a "removed by a moderator" placeholder. A held comment taken down is
    rejected, a visible one removed: each is its own row in the audit log, and its author is told which, with the
    reason and the note (comments.notifications.notify_decision). Comments already removed are left as they are:
    their author was told once."""
    if not reason.strip():
        raise ValidationError(_("Give a reason for the removal."), code="no_reason")
    rows = list(
        _selected(comments)
        .exclude(status__in=[Comment.Status.DELETED, Comment.Status.REMOVED])
        .values_list("pk", "status")
    )
    removed = [pk for pk, _ in rows]
    with transaction.atomic():
        changed = _moderate(Comment.objects.filter(pk__in=removed), status=Comment.Status.REMOVED, reason=reason)
        rejected = [pk for pk, status in rows if status == Comment.Status.PENDING]
        taken_down = [pk for pk, status in rows if status != Comment.Status.PENDING]
        actions = []
        for action, pks in ((ModerationAction.Action.REJECT, rejected), (ModerationAction.Action.REMOVE, taken_down)):
            if pks:
                actions += audit.record_many(action, pks, actor=moderator, reason=reason, note=note)
        notify_decision(actions=actions)
    return changed


def appeal_refusal(*, comment: Comment, author, now: datetime | None = None) -> ValidationError | None:
    """Why `author` may not appeal the decision on `comment` now, or None: the one rule the appeal page and
    appeal_create read. Once per decision, within COMMENTS_APPEAL_DAYS of it, on a comment still removed."""
    now = now or timezone.now()
    if comment.author_id != author.pk:
        return ValidationError(_("Only the author of a comment may appeal a decision on it."), code="not_author")
    decision = decision_of(comment).action
    if comment.status != Comment.Status.REMOVED or decision is None:
        return ValidationError(_("This comment is not removed, so there is no decision to appeal."), code="nothing")
    appealed = Appeal.objects.filter(decision=decision).first()
    if appealed is not None:
        return ValidationError(
            _(
                "You already appealed this decision on %(date)s. A decision may be appealed once, and the decision "
                "on an appeal is final."
            )
            % {"date": _sentence_date(appealed.created_at)},
            code="second_appeal",
        )
    days = settings.COMMENTS_APPEAL_DAYS
    if now > decision.at + timedelta(days=days):
        return ValidationError(
            ngettext(
                "A decision may be appealed within %(days)d day; this one was made on %(date)s, so the time to "
                "appeal it has passed.",
                "A decision may be appealed within %(days)d days; this one was made on %(date)s, so the time to "
                "appeal it has passed.",
                days,
            )
            % {"days": days, "date": _sentence_date(decision.at)},
            code="too_late",
        )
    return None


def appeal_create(*, comment: Comment, author, note: str) -> Appeal:
    """The author appeals the removal or rejection of their comment, with a note for the moderators. Refused (a
    ValidationError saying why) for a second appeal of the same decision or after the window; two appeals sent at
    once store one (the decision's unique appeal)."""
    if refusal := appeal_refusal(comment=comment, author=author):
        raise refusal
    appeal = Appeal(comment=comment, author=author, decision=decision_of(comment).action, note=note.strip())
    appeal.full_clean(exclude=["decision"])
    try:
        with transaction.atomic():
            appeal.save()
            audit.record(ModerationAction.Action.APPEAL, actor=author, comment=comment, note=appeal.note)
    except IntegrityError:
        # Another appeal of the same decision was stored first (a double submit): refused as a second appeal.
        refusal = appeal_refusal(comment=comment, author=author) or ValidationError(_("Your appeal is already sent."))
        raise refusal from None
    return appeal


def appeal_decide(*, appeal: Appeal, moderator, outcome: str, note: str = "") -> Appeal:
    """Decide an appeal, finally: overturned restores the comment (as an approval does: counts, version and tree
    through _moderate), upheld keeps it removed. Recorded in the audit log and told to the author. An appeal decided
    meanwhile by someone else is refused, never decided twice."""
    if outcome not in Appeal.Outcome.values:
        raise ValidationError(_("Choose whether the decision is upheld or overturned."), code="no_outcome")
    with transaction.atomic():
        appeal = Appeal.objects.select_for_update().select_related("comment").get(pk=appeal.pk)
        if appeal.decided_at is not None:
            raise ValidationError(
                _("This appeal is already decided; the decision on an appeal is final."), code="final"
            )
        appeal.outcome, appeal.moderator_note = outcome, note.strip()
        appeal.decided_by, appeal.decided_at = moderator, timezone.now()
        appeal.save(update_fields=["outcome", "moderator_note", "decided_by", "decided_at"])
        comment = appeal.comment
        overturned = outcome == Appeal.Outcome.OVERTURNED
        if overturned and comment.status == Comment.Status.REMOVED:
            _moderate(Comment.objects.filter(pk=comment.pk), status=Comment.Status.VISIBLE, reason="")
            notify_for_comment(comment=Comment.objects.select_related("parent").get(pk=comment.pk))
        action = audit.record(
            ModerationAction.Action.OVERTURN if overturned else ModerationAction.Action.UPHOLD,
            actor=moderator,
            comment=comment,
            user=appeal.author,
            reason=appeal.get_outcome_display(),
            note=appeal.moderator_note,
        )
        notify_decision(actions=[action])
    return appeal


def reader_restrict(*, user, moderator, kind: str, days: int | None = None, reason: str = "") -> Restriction:
    """Suspend a reader for `days`, or ban them (kind "ban", no end). The reason is shown to them where they are
    refused (_check_may_comment)."""
    if kind == Restriction.Kind.SUSPENSION and not (days and 1 <= days <= MAX_SUSPENSION_DAYS):
        raise ValidationError(
            _("A suspension lasts from 1 to %(days)s days.")
            % {"days": number_format(MAX_SUSPENSION_DAYS, force_grouping=True)},
            code="days",
        )
    until = timezone.now() + timedelta(days=days) if kind == Restriction.Kind.SUSPENSION else None
    restriction = Restriction(user=user, kind=kind, until=until, reason=reason, created_by=moderator)
    restriction.full_clean()
    restriction.save()
    length = f"{days} days" if until else "no end"
    audit.record(ModerationAction.Action.RESTRICT, actor=moderator, user=user, reason=reason, note=f"{kind}: {length}")
    return restriction


def may_pick(user) -> bool:
    """Editors and moderators pick comments: the same right as setting a story's discussion controls, since both
    curate a discussion rather than police it (reporters and readers hold neither)."""
    return may_set_controls(user)


def comment_pick(*, comment: Comment, by, picked: bool = True) -> bool:
    """Make a visible comment an editors' pick, or with `picked=False` take the pick back; returns whether it is
    picked now. Says what the editor wants rather than toggling, so a second click from a stale page changes
    nothing. A pick tells the comment's author (in-app, and by e-mail if they want it), an unpick takes that
    notification back; both are in the audit log, and both change what the story's pages show, so the discussion's
    version moves (its cached fragments and the edge's copies go)."""
    if not may_pick(by):
        raise PermissionDenied(_("Only editors and moderators pick comments."))
    if picked and comment.status != Comment.Status.VISIBLE:
        raise ValidationError(_("Only visible comments can be picked."), code="not_visible")
    with transaction.atomic():
        if picked:
            # Conditional on the state it changes: of two editors picking at once, one records the pick.
            changed = Comment.objects.filter(
                pk=comment.pk, status=Comment.Status.VISIBLE, picked_at__isnull=True
            ).update(picked_at=timezone.now(), picked_by=by)
        else:
            changed = Comment.objects.filter(pk=comment.pk, picked_at__isnull=False).update(
                picked_at=None, picked_by=None
            )
        if changed:
            action = ModerationAction.Action.PICK if picked else ModerationAction.Action.UNPICK
            audit.record(action, actor=by, comment=comment)
            if picked:
                if comment.author_id and comment.author_id != by.pk:
                    notify_pick(comment=comment)
            else:
                Notification.objects.filter(comment=comment, is_pick=True).delete()
            discussion_changed(comment.article_id)
    return picked


# The most readers one reader may mute (issue 19's cap): a list past it is no longer a way to hide a few readers.
MUTE_LIMIT = 1000
MUTE_SELF = gettext_lazy("You cannot mute yourself.")
MUTE_STAFF = gettext_lazy(
    "Staff accounts cannot be muted: moderators and the newsroom must be able to reach every reader in the "
    "discussion. Report a comment if a staff member's words are a problem."
)
MUTE_FULL = gettext_lazy(
    "You have muted %(limit)s readers, the most one reader may mute. Unmute someone in your muted readers' list "
    "first, or report comments that break the rules."
)


def reader_mute(*, muter, muted, mute: bool = True) -> bool:
    """Mute a reader, or with `mute=False` unmute them; returns whether they are muted now. Saying what the reader
    wants, not toggling. Private: nothing moves on any page but the muter's own (no discussion version, no purge),
    so the pages signed-out readers share are the same whoever muted whom.

    Staff cannot be muted, as in Coral, which lets readers ignore anyone but staff: a moderator's note or the
    newsroom's answer must reach every reader (and "Replies from the newsroom" would otherwise hide itself)."""
    if muted.pk == muter.pk:
        raise ValidationError(MUTE_SELF, code="self")
    if not mute:
        Mute.objects.filter(muter=muter, muted=muted).delete()
        return False
    if muted.is_staff:
        raise ValidationError(MUTE_STAFF, code="staff")
    with transaction.atomic():
        # The muter's own row, locked: two mutes at once cannot both pass the cap.
        User.objects.select_for_update().filter(pk=muter.pk).values_list("pk", flat=True).first()
        if Mute.objects.filter(muter=muter, muted=muted).exists():
            return True
        if Mute.objects.filter(muter=muter)[MUTE_LIMIT - 1 :].exists():
            raise ValidationError(MUTE_FULL % {"limit": number_format(MUTE_LIMIT, force_grouping=True)}, code="full")
        Mute.objects.get_or_create(muter=muter, muted=muted)
    return True


# A notice's reference: short enough to read out on the phone, too many to guess (32**8, and sending is rate-limited);
# no 0/O or 1/I/L to mistake.
_REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def _notice_reference(now: datetime) -> str:
    return f"N-{now:%Y}-" + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))


def notice_create(
    *,
    target: Comment | Article,
    category: str,
    explanation: str,
    location: str,
    good_faith: bool,
    sender_key: str,
    notifier=None,
    notifier_name: str = "",
    notifier_email: str = "",
) -> IllegalContentNotice:
    """Store an illegal-content notice about a comment or a story (DSA art. 16) from anyone, signed in or not:
    counted against COMMENTS_NOTICES_PER_HOUR for `sender_key` (the client's address), recorded in the audit log,
    and acknowledged by e-mail through the task queue when the notifier gave an address (art. 16(4))."""
    if not good_faith:
        raise ValidationError({"good_faith": _("Confirm that the notice is given in good faith.")}, code="good_faith")
    explanation = text.clean_text(explanation)
    if not explanation:
        raise ValidationError({"explanation": _("Explain why you believe this is illegal.")}, code="required")
    limit = settings.COMMENTS_NOTICES_PER_HOUR
    state = ratelimit.hit("notice", sender_key, limit=limit, window=3600) if limit > 0 else None
    if state is not None and not state.allowed:
        if state.unavailable:
            raise RateLimited(
                _(
                    "Your notice cannot be sent for a moment because of a problem on our side. What you wrote is "
                    "kept: try again in a minute."
                ),
                retry_after=state.retry_after,
                status=503,
            )
        raise RateLimited(
            ngettext(
                "%(limit)d notice has been sent from your address in the last hour.",
                "%(limit)d notices have been sent from your address in the last hour.",
                limit,
            )
            % {"limit": limit}
            + " "
            + ngettext(
                "Wait %(minutes)d minute, then send it again; what you wrote is kept.",
                "Wait %(minutes)d minutes, then send it again; what you wrote is kept.",
                state.retry_after_minutes,
            )
            % {"minutes": state.retry_after_minutes},
            retry_after=state.retry_after,
        )
    is_comment = isinstance(target, Comment)
    now = timezone.now()
    notice = IllegalContentNotice(
        reference=_notice_reference(now),
        category=category,
        explanation=explanation,
        location=location[:500],
        comment=target if is_comment else None,
        article=None if is_comment else target,
        content=target.body if is_comment else target.headline,
        notifier=notifier if getattr(notifier, "is_authenticated", False) else None,
        notifier_name=notifier_name.strip(),
        notifier_email=notifier_email.strip(),
        language=translation.get_language() or "",
        good_faith=True,
        created_at=now,
    )
    notice.full_clean(exclude=["comment", "article", "notifier"])
    with transaction.atomic():
        notice.save()
        audit.record(
            ModerationAction.Action.NOTICE,
            actor=notice.notifier,
            by="" if notice.notifier else "a notifier",
            comment=target if is_comment else None,
            article=target.article_id if is_comment else target.pk,
            reason=notice.get_category_display(),
            note=notice.reference,
        )
        if notice.notifier_email:
            from comments.tasks import send_notice_email  # the tasks module imports the services' neighbours

            enqueue_on_commit(send_notice_email, notice.pk, "received")
    return notice


def notice_decide(*, notice: IllegalContentNotice, moderator, decision: str, reason: str) -> IllegalContentNotice:
    """A moderator's decision on a notice, with the reason given to the notifier (DSA art. 16(5), 17): final once
    made. Action taken on a comment removes it with that reason (a story is the editors' to unpublish); the decision
    goes to the audit log and, when the notifier gave an address, to them by e-mail through the task queue."""
    reason = text.clean_text(reason)
    if decision not in IllegalContentNotice.Decision.values:
        raise ValidationError({"decision": _("Choose a decision.")}, code="decision")
    if not reason:
        raise ValidationError({"decision_reason": _("Give the reason the notifier will read.")}, code="no_reason")
    with transaction.atomic():
        notice = IllegalContentNotice.objects.select_for_update().get(pk=notice.pk)
        if not notice.is_open:
            raise ValidationError(
                _("Notice %(reference)s was already decided.") % {"reference": notice.reference}, code="decided"
            )
        notice.decision, notice.decision_reason = decision, reason
        notice.decided_by, notice.decided_at = moderator, timezone.now()
        notice.save(update_fields=["decision", "decision_reason", "decided_by", "decided_at"])
        if decision == IllegalContentNotice.Decision.ACTION_TAKEN and notice.comment_id:
            removal = _("Illegal content (%(category)s): %(reason)s") % {
                "category": notice.get_category_display().lower(),
                "reason": reason,
            }
            comment_remove(comments=[notice.comment], moderator=moderator, reason=removal[:200])
        audit.record(
            ModerationAction.Action.NOTICE_DECIDED,
            actor=moderator,
            comment=notice.comment,
            article=notice.article_id if notice.article_id else None,
            reason=notice.get_decision_display(),
            note=f"{notice.reference}: {reason}",
        )
        if notice.notifier_email:
            from comments.tasks import send_notice_email

            enqueue_on_commit(send_notice_email, notice.pk, "decided")
    return notice
