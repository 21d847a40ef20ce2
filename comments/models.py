"""Reader discussion: threaded comments (one MPTT tree per top-level comment), likes, reports and moderation."""

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from mptt.fields import TreeForeignKey
from mptt.models import MPTTModel
from mptt.querysets import TreeQuerySet

from articles.models import visible_q as story_visible_q
from comments.schedule import Closure, night_window, parse_night

__all__ = [
    "Discussion",
    "SurgeSwitch",
    "validate_comment_length",
    "moderates",
    "visible_q",
    "CommentQuerySet",
    "Comment",
    "Mention",
    "CommentLike",
    "CommentReport",
    "ModerationRule",
    "IllegalContentNotice",
    "Restriction",
    "ModerationItem",
    "Notification",
    "ModerationAction",
    "Mute",
    "RemovalReason",
    "Appeal",
]


class Discussion(models.Model):
    """A story's discussion: whether readers may comment, how many visible comments it has, and a version that
    every write to it bumps (it keys the cached fragments of its pages). A story without a row has the defaults:
    open, no comments; the row is made by the first write (comments.locking.lock_discussion, or discussion_changed)."""

    class Mode(models.TextChoices):
        OPEN = "open", _("Open")
        PREMODERATED = "premoderated", _("Open, held for moderation")
        CLOSED = "closed", _("Closed")

    article = models.OneToOneField(
        "articles.Article", on_delete=models.CASCADE, primary_key=True, related_name="discussion"
    )
    mode = models.CharField(
        _("comments"), max_length=12, choices=Mode, default=Mode.OPEN, help_text=_("Whether readers may comment.")
    )
    comment_count = models.PositiveIntegerField(
        default=0, editable=False, help_text=_("Visible comments, moved by what each comment write changes.")
    )
    version = models.PositiveIntegerField(
        default=0, editable=False, help_text=_("Bumped by every write to the discussion; keys its cached fragments.")
    )

    # Surge controls (docs/architecture.md, "Surge controls"); set by hand through comments.services.
    slow_mode_seconds = models.PositiveIntegerField(
        _("slow mode (seconds)"),
        default=0,
        help_text=_("Each reader may post once per this many seconds on this story; 0 is off. Staff are exempt."),
    )
    close_after_days = models.PositiveIntegerField(
        _("close after (days)"),
        null=True,
        blank=True,
        help_text=_("Close comments this many days after publication; empty uses the site's default, 0 never closes."),
    )
    ignore_night = models.BooleanField(
        _("open at night"),
        default=False,
        help_text=_("Keep comments open during the site's night hours (COMMENTS_NIGHT_CLOSED)."),
    )
    # Set when a post first finds the story past its closing day: from then on it stays closed whatever the clock
    # says, so a clock set back (or a wrong NTP step) never reopens it. Cleared when an editor changes the days.
    closed_for_good_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text=_("When the closing by days was first seen; final.")
    )
    surge_mode = models.BooleanField(
        default=False,
        help_text=_(
            "New accounts' comments are held for a moderator and slow mode applies (switched on by hand or "
            "when comments per minute pass COMMENTS_SURGE_PER_MINUTE)."
        ),
    )
    surge_automatic = models.BooleanField(
        default=False, editable=False, help_text=_("Surge mode was switched on automatically (and switches off so).")
    )
    surge_since = models.DateTimeField(null=True, blank=True, editable=False)

    def __str__(self):
        return gettext("Discussion of story %(pk)s") % {"pk": self.article_id}

    @classmethod
    def of(cls, article) -> "Discussion":
        """The story's discussion (one query), or the defaults, unsaved, for a story no one has written to."""
        discussion = cls.objects.filter(article_id=article.pk).first() or cls(article=article)
        discussion.article = article  # closed_reason reads publish_at: no query for the story again
        return discussion

    @property
    def is_open(self) -> bool:
        """Open now, by hand and by the clock."""
        return self.closed_reason(timezone.now()) is None

    @property
    def slow_seconds(self) -> int:
        """The slow mode in force: the story's own, else surge mode's."""
        if self.slow_mode_seconds:
            return self.slow_mode_seconds
        return settings.COMMENTS_SURGE_SLOW_SECONDS if self.surge_mode else 0

    def closes_at(self) -> datetime | None:
        """When comments close by days after publication (None: never, or the story has no publication time)."""
        days = settings.COMMENTS_CLOSE_AFTER_DAYS if self.close_after_days is None else self.close_after_days
        publish_at = self.article.publish_at if self.article_id else None
        if not days or publish_at is None:
            return None
        return publish_at + timedelta(days=days)

    def closed_reason(self, now: datetime) -> Closure | None:
        """Why readers may not comment at `now`, or None: closed by hand, for good N days after publication, or
        for the night (with when it reopens). The one rule the post (comments.services.comment_create) and the page
        (_discussion.html) read."""
        if self.mode == self.Mode.CLOSED:
            return Closure("mode", gettext("Comments on this story are closed."))
        closes_at = self.closes_at()
        if self.closed_for_good_at or (closes_at is not None and now >= closes_at):
            days = (closes_at - self.article.publish_at).days if closes_at else None
            if days is None:
                return Closure("days", gettext("Comments on this story closed."))
            closed = ngettext(
                "Comments on this story closed %(days)d day after publication.",
                "Comments on this story closed %(days)d days after publication.",
                days,
            )
            return Closure("days", closed % {"days": days})
        night = parse_night(settings.COMMENTS_NIGHT_CLOSED)
        if night and not self.ignore_night:
            zone = timezone.get_default_timezone()
            ends, _ = night_window(night, now, zone)
            if ends is not None:
                return Closure(
                    "night",
                    gettext("Comments are closed for the night; they reopen at %(time)s.")
                    % {"time": f"{ends.astimezone(zone):%H:%M}"},
                    reopens_at=ends,
                )
        return None

    def reopens_at(self, now: datetime) -> datetime | None:
        """When a closed discussion reopens on its own (the end of the night), or None (open, or closed for good)."""
        closure = self.closed_reason(now)
        return closure.reopens_at if closure else None

    def next_change(self, now: datetime) -> datetime | None:
        """The next moment the clock opens or closes the discussion (None: none scheduled): shared caches keep a
        page at most until then (comments.templatetags: the edge's s-maxage is capped to it)."""
        if self.mode == self.Mode.CLOSED or self.closed_for_good_at:
            return None
        moments = []
        closes_at = self.closes_at()
        if closes_at is not None:
            if now >= closes_at:
                return None
            moments.append(closes_at)
        night = parse_night(settings.COMMENTS_NIGHT_CLOSED)
        if night and not self.ignore_night:
            ends, starts = night_window(night, now, timezone.get_default_timezone())
            moments.append(ends or starts)
        return min(moments) if moments else None


class SurgeSwitch(models.Model):
    """One switch of a story's surge controls, by hand (`by`) or automatically (`by` empty): the record moderators
    read, and the marks on the comments-per-minute chart."""

    class What(models.TextChoices):
        SURGE = "surge", _("Surge mode")
        SLOW_MODE = "slow_mode", _("Slow mode")
        CLOSING = "closing", _("Closing")

    article = models.ForeignKey("articles.Article", on_delete=models.CASCADE, related_name="surge_switches")
    what = models.CharField(max_length=10, choices=What)
    on = models.BooleanField(help_text=_("Switched on (or closed); off (or reopened) otherwise."))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Who switched it; empty when it switched automatically."),
    )
    at = models.DateTimeField(default=timezone.now)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["article", "at"], name="surgeswitch_story_time_idx")]

    def __str__(self):
        state = "on" if self.on else "off"
        return f"{self.get_what_display()} {state} on story {self.article_id} by {self.by_id or 'automatic'}"

    @property
    def who(self) -> str:
        return self.by.display_name if self.by_id and self.by else gettext("automatic")


def _number(value: int) -> str:
    return number_format(value, force_grouping=True)


def validate_comment_length(body: str) -> None:
    """The one length limit, COMMENTS_MAX_LENGTH, read when checking (so a test may change it). The message names
    the limit and the length; the form that shows it keeps the text."""
    limit, length = settings.COMMENTS_MAX_LENGTH, len(body)
    if length > limit:
        raise ValidationError(
            gettext(
                "Comments are at most %(limit)s characters; this one has %(length)s. Shorten it by %(over)s and post "
                "it again."
            )
            % {"limit": _number(limit), "length": _number(length), "over": _number(length - limit)},
            code="too_long",
        )


def moderates(user) -> bool:
    """Whether `user` moderates the discussion (the Moderators group, superusers): they may see every comment. No
    query for readers; staff permissions are read once per request and cached on the user."""
    return user.is_authenticated and user.is_staff and user.has_perm("comments.change_comment")


def visible_q(user, *, through: str = "") -> Q:
    """Who may see a comment: the one rule, as a condition on comments reached through `through` (e.g.
    "comment__" from a notification). Comment.objects.visible_to(user) is the way to use it; every page, form,
    error message, fragment, e-mail and download that shows a comment reads it through here.

    - Everyone: visible comments, on stories they may open (articles' own rule: published and due; staff preview
      drafts, stories in review and scheduled ones, and so see their comments).
    - A signed-in reader also sees their own pending comments, marked as waiting for a moderator; nobody else's.
    - Removed and deleted comments are seen only as tombstones, and only where the thread needs one, that is
      while they have replies; their text is never shown (Comment.shows_text), whoever reads. Without replies
      they are gone, also for their author (whose own download still holds their words).
    - Moderators see every comment on every story, for moderation.
    Anything outside the rule answers 404 wherever its id is given, never 403, which would confirm it exists."""
    if moderates(user):
        return Q()
    shown = Q(**{f"{through}status": Comment.Status.VISIBLE}) | Q(
        **{
            f"{through}status__in": [Comment.Status.DELETED, Comment.Status.REMOVED],
            f"{through}rght__gt": F(f"{through}lft") + 1,
        }
    )
    if user.is_authenticated:
        shown |= Q(**{f"{through}status": Comment.Status.PENDING, f"{through}author": user})
    return shown & story_visible_q(user, through=f"{through}article__")


class RemovalReason(models.TextChoices):
    """The reasons a moderator gives for taking a comment down, in place and in the admin alike: the author is told
    the label (with the moderator's note, if any), and it is the reason stored on the comment and in the audit log."""

    SPAM = "spam", _("Spam")
    ABUSE = "abuse", _("Abuse or harassment")
    OFF_TOPIC = "off_topic", _("Off-topic")
    PERSONAL_DATA = "personal_data", _("Shares someone's personal information")
    RULES = "rules", _("Breaks the discussion rules")


# What puts a comment in the moderation queue: waiting for a moderator, or reported (and still up).
QUEUE_Q = Q(status="pending") | Q(status="visible", report_count__gt=0)


class CommentQuerySet(TreeQuerySet):
    def visible_to(self, user):
        """The comments `user` may see (visible_q holds the rule)."""
        return self.filter(visible_q(user))

    def in_queue(self):
        """The moderation queue: pending comments and reported ones still up."""
        return self.filter(QUEUE_Q)

    def public(self):
        """What anyone may read with its text: visible comments on live stories."""
        return self.filter(visible_q(AnonymousUser()), status=Comment.Status.VISIBLE)


class Comment(MPTTModel):
    """A reader's comment on a story. Write through comments.services only: tree writes need their tree's lock."""

    class Status(models.TextChoices):
        VISIBLE = "visible", _("Visible")
        PENDING = "pending", _("Waiting for moderation")
        REMOVED = "removed", _("Removed by a moderator")
        DELETED = "deleted", _("Deleted by its author")

    article = models.ForeignKey("articles.Article", on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="comments",
        help_text=_("Empty for deleted accounts and imported comments; then the name below is shown."),
    )
    author_name = models.CharField(
        max_length=60, blank=True, help_text=_("Shown name when the comment has no account (imported or deleted).")
    )
    parent = TreeForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="children",
        help_text=_("The comment this one replies to; empty for a top-level comment."),
    )
    body = models.TextField(help_text=_("The text as the reader typed it."), validators=[validate_comment_length])
    body_html = models.TextField(editable=False, help_text=_("The body rendered to safe HTML when it was written."))
    status = models.CharField(max_length=10, choices=Status, default=Status.VISIBLE, db_index=True)
    removal_reason = models.CharField(max_length=200, blank=True, help_text=_("Why a moderator removed or held it."))
    # Kept on the row so "most liked" sorts and the like count shows without a query per comment.
    like_count = models.PositiveIntegerField(default=0, editable=False)
    # Kept on the row by comment_report and cleared by approval, so the moderation queue finds reported comments
    # through a partial index instead of counting every comment's reports.
    report_count = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    edited_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Set by `import_disqus` only: what makes a second import of the same file add nothing.
    disqus_id = models.CharField(
        max_length=64,
        null=True,
        blank=True,
        unique=True,
        editable=False,
        help_text=_("The post's id in the Disqus export it was imported from; empty for comments written here."),
    )
    # Set by comment_create from the one-time token of the form it came from (comments.forms): a retried or
    # double-clicked submit of the same form finds the comment it already stored instead of storing another.
    post_key = models.CharField(
        max_length=64,
        blank=True,
        default="",
        editable=False,
        help_text=_("Digest of the posting form's one-time token, story, parent and text; empty if not from a form."),
    )

    # The discussion's version that made this comment visible (its post, or the approval of a held one): what the
    # live "N new comments" counts from (comments.selectors.live_count). 0 for comments from before it was kept.
    version = models.PositiveIntegerField(
        default=0, editable=False, help_text=_("Discussion.version when the comment became visible.")
    )

    # An editors' pick (comments.services.comment_pick): set by a moderator or editor from the story page.
    picked_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text=_("When an editor or moderator picked it; empty if not picked."),
    )
    picked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        # No index: nothing looks comments up by who picked them (the audit log does), and an index on the big
        # table costs every write.
        db_index=False,
        help_text=_("Who picked it."),
    )

    # Declared here rather than by django-mptt only to drop its index on tree_id alone: the (tree_id, lft) index
    # below serves every lookup by tree, and each extra index costs on every reply, which moves lft/rght of the
    # rest of its thread.
    tree_id = models.PositiveIntegerField(editable=False)

    objects = CommentQuerySet.as_manager()

    class MPTTMeta:
        # No order_insertion_by: inserting as last child already keeps replies in time order.
        pass

    class Meta:
        indexes = [
            # mptt declares this index only in its own Meta, which migrations never see (mptt issue 682).
            models.Index(fields=["tree_id", "lft"], name="comment_tree_lft_idx"),
            # A story's top-level comments in time order: the page of threads reads them in index order and stops
            # after a page, whatever the number of threads (status is checked on the way, not in the index, since
            # the page mixes visible comments with tombstones). Partial: PostgreSQL orders by an index only past
            # columns fixed by "=", and "parent IS NULL" is not one.
            models.Index(
                fields=["article", "created_at", "id"], condition=Q(parent=None), name="comment_story_root_time_idx"
            ),
            models.Index(fields=["article", "status"], name="comment_story_status_idx"),
            # A story's comments of the last hours, replies too, counted per minute for the moderators' chart
            # (comments.selectors.comments_per_minute): the root index above holds top-level comments only.
            models.Index(fields=["article", "created_at"], name="comment_story_time_idx"),
            # The moderation queue (comments.admin): pending or reported comments, most reported first, read in
            # index order; the index holds only them, a few thousand rows of half a million.
            models.Index(fields=["-report_count", "-id"], condition=QUEUE_Q, name="comment_queue_idx"),
            # A reader's profile, newest first by keyset pages (comments.selectors.member_comments).
            models.Index(
                fields=["author", "-created_at", "-id"],
                condition=Q(status="visible"),
                name="comment_author_time_idx",
            ),
            # The live "N new comments" poll (comments.selectors.live_count): a story's visible comments newer than a
            # version, a range at the index's end, so a poll reads only the new rows however big the discussion.
            models.Index(
                fields=["article", "version"], condition=Q(status="visible"), name="comment_story_version_idx"
            ),
            # A story's picks, newest first (comments.selectors.story_picks): partial, so it holds only the few
            # picked comments of a story and the Picks tab reads a page of them in index order at any size.
            models.Index(
                fields=["article", "-picked_at", "-id"],
                condition=Q(picked_at__isnull=False),
                name="comment_story_picks_idx",
            ),
        ]
        constraints = [
            # Also what makes two simultaneous submits of one form store one comment (comments.services).
            models.UniqueConstraint(
                fields=["author", "post_key"], condition=~Q(post_key=""), name="comment_post_key_once"
            )
        ]

    def __str__(self):
        return gettext("Comment %(pk)s by %(name)s") % {"pk": self.pk, "name": self.shown_name}

    def get_absolute_url(self):
        return reverse("comments:permalink", kwargs={"pk": self.pk})

    @property
    def shown_name(self) -> str:
        if self.author_id and self.author:
            return self.author.display_name
        return self.author_name or gettext("Former reader")

    @property
    def shown_as(self) -> str:
        """How a page shows the comment: its status, or "account_deleted" for the tombstone of a closed account."""
        if self.status == Comment.Status.DELETED and not self.author_id and not self.author_name:
            return "account_deleted"
        return self.status

    @property
    def shows_text(self) -> bool:
        """Whether a page that may show this comment (visible_q) shows its words and its author: visible and pending
        comments; removed and deleted ones are tombstones for everyone."""
        return self.status in (Comment.Status.VISIBLE, Comment.Status.PENDING)

    @property
    def has_replies(self) -> bool:
        return self.rght - self.lft > 1

    @property
    def is_picked(self) -> bool:
        return self.picked_at is not None


class Mention(models.Model):
    """A reader named with @handle in a comment; kept by user id, so a later handle change does not lose it."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="mentions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mentioned_in")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["comment", "user"], name="mention_once")]

    def __str__(self):
        return gettext("@%(user)s in comment %(comment)s") % {"user": self.user_id, "comment": self.comment_id}


class CommentLike(models.Model):
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="likes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comment_likes")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["comment", "user"], name="comment_like_once")]
        indexes = [models.Index(fields=["user", "comment"], name="comment_like_user_idx")]

    def __str__(self):
        return gettext("Like of comment %(comment)s by %(user)s") % {"comment": self.comment_id, "user": self.user_id}


class CommentReport(models.Model):
    class Reason(models.TextChoices):
        SPAM = "spam", _("Spam")
        ABUSE = "abuse", _("Abuse or harassment")
        OFF_TOPIC = "off_topic", _("Off-topic")
        OTHER = "other", _("Something else")

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="reports")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comment_reports")
    reason = models.CharField(max_length=10, choices=Reason)
    note = models.CharField(max_length=500, blank=True, help_text=_("What the reader added, if anything."))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["comment", "user"], name="comment_report_once")]

    def __str__(self):
        return gettext("%(reason)s report on comment %(comment)s") % {
            "reason": self.get_reason_display(),
            "comment": self.comment_id,
        }


class ModerationRule(models.Model):
    """One step of the moderation pipeline (comments.rules): every new or edited comment meets the enabled rules in
    `order`, and the first that matches decides (reject: the reader is told why and nothing is stored; hold: it waits
    for a moderator). The reports rule acts when readers report a comment instead. Kept in the admin by moderators;
    posting reads them from the cache, which a save or delete replaces."""

    class Kind(models.TextChoices):
        WORDS = "words", _("Words or phrases")
        NEW_ACCOUNT_LINKS = "links", _("Links from new accounts")
        REMOVAL_HISTORY = "history", _("Readers often removed")
        REPORTS = "reports", _("Reported by several readers")

    class Outcome(models.TextChoices):
        REJECT = "reject", _("Reject (the reader is told why; nothing is stored)")
        HOLD = "hold", _("Hold for a moderator")

    # What each kind reads: the fields a moderator must fill in for it.
    NEEDS = {
        Kind.WORDS: ("words",),
        Kind.NEW_ACCOUNT_LINKS: ("days",),
        Kind.REMOVAL_HISTORY: ("count", "percent"),
        Kind.REPORTS: ("count",),
    }

    name = models.CharField(max_length=80, help_text=_("Shown in the audit log as “rule: name”, e.g. “banned words”."))
    kind = models.CharField(max_length=8, choices=Kind, help_text=_("What the rule looks at."))
    order = models.PositiveIntegerField(
        default=100, help_text=_("Rules run from the lowest number; the first match wins.")
    )
    enabled = models.BooleanField(default=True)
    outcome = models.CharField(max_length=6, choices=Outcome, default=Outcome.HOLD)
    words = models.TextField(
        blank=True, help_text=_("Words or phrases rule: one a line, matched as whole words in any case.")
    )
    days = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("Links rule: accounts younger than this many days are held.")
    )
    count = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=_(
            "Removal history rule: how many of the reader's last decided comments to look at. Reports rule: "
            "reports from this many readers hold a comment."
        ),
    )
    percent = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_("Removal history rule: hold when at least this share of those comments were removed."),
    )

    class Meta:
        ordering = ["order", "pk"]

    def __str__(self):
        return self.name

    def clean(self):
        needs_it = gettext("This kind of rule needs it.")
        missing = {name: needs_it for name in self.NEEDS[self.kind] if not getattr(self, name)}
        if missing:
            raise ValidationError(missing)
        if self.kind == self.Kind.REPORTS and self.outcome != self.Outcome.HOLD:
            raise ValidationError(
                {"outcome": gettext("A reported comment is already up: the reports rule can only hold it.")}
            )

    @property
    def word_list(self) -> list[str]:
        return [line.strip() for line in self.words.splitlines() if line.strip()]


class RestrictionQuerySet(models.QuerySet):
    def active(self):
        return self.filter(Q(until__isnull=True) | Q(until__gt=timezone.now()))


class Restriction(models.Model):
    """A suspension (until a time) or a ban (no end) that stops a reader from commenting."""

    class Kind(models.TextChoices):
        SUSPENSION = "suspension", _("Suspended")
        BAN = "ban", _("Banned")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comment_restrictions")
    kind = models.CharField(max_length=10, choices=Kind)
    until = models.DateTimeField(null=True, blank=True, help_text=_("End of a suspension; empty for a ban."))
    reason = models.CharField(max_length=200, blank=True, help_text=_("Shown to the reader."))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RestrictionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="ban", until__isnull=True) | Q(kind="suspension", until__isnull=False),
                name="restriction_ban_has_no_end",
                violation_error_message=_("A suspension needs an end; a ban has none."),
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.user_id}"


class ModerationItem(Comment):
    """The moderation queue in the admin: pending and reported comments (a proxy, no table of its own)."""

    class Meta:
        proxy = True
        verbose_name = _("comment to moderate")
        verbose_name_plural = _("comments to moderate")


class NotificationQuerySet(models.QuerySet):
    def readable(self):
        """Notifications about comments anyone may read (Comment.objects.public(), through the join): a comment
        removed, held or deleted later, or a story taken back to draft, takes its notifications and e-mails with it,
        for staff too. A decision is about a comment no longer shown, so it needs only its story to be readable. The
        same for every recipient, so a query may count them per reader (newsroom.backends)."""
        about_shown = Q(visible_q(AnonymousUser(), through="comment__"), comment__status=Comment.Status.VISIBLE)
        decision = Q(kind=Notification.Kind.DECISION) & story_visible_q(AnonymousUser(), through="comment__article__")
        return self.filter(about_shown | decision)

    def for_reader(self, user):
        """A reader's notifications about comments they can still read (`user` may be an OuterRef)."""
        return self.filter(recipient=user).readable()

    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """Something a reader is told about one comment, one row per reader and comment. Of kind "comment": someone
    replied to their comment or mentioned them (or both), or an editor picked the reader's own comment (`is_pick`).
    Of kind "decision": a moderator's decision on their own comment (a removal, a rejection, the outcome of their
    appeal), whose audit-log row (`action`) holds the reason and the moderator's note; a later decision on the same
    comment replaces the row (a pick's too), unread again (the reader is told the latest, and the audit log keeps
    them all). A reply or mention row never meets a pick or a decision: a reader is never notified of replies or
    mentions in their own comment."""

    class Kind(models.TextChoices):
        COMMENT = "comment", _("A reply or a mention")
        DECISION = "decision", _("A moderator's decision on your comment")

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=10, choices=Kind, default=Kind.COMMENT)
    is_reply = models.BooleanField(default=False)
    is_mention = models.BooleanField(default=False)
    is_pick = models.BooleanField(default=False)
    # No index: audit-log rows are never deleted (comments.audit only adds them), so nothing looks notifications up
    # by their decision, and an index on this big table would cost every reply's notifications.
    action = models.ForeignKey(
        "ModerationAction",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        db_index=False,
        related_name="+",
        help_text=_("The decision told (kind 'decision'): its action, reason and note."),
    )
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Email(models.TextChoices):
        """The e-mail outbox, one row per notification (comments.notifications): written with the notification, so
        a mail relay or queue that is down never loses it; sent by a task, several per reader together."""

        NONE = "", _("no e-mail")
        PENDING = "pending", _("waiting to be sent")
        SENDING = "sending", _("being sent")
        SENT = "sent", _("sent")
        SKIPPED = "skipped", _("not sent (switched off, no address, or the comment is gone)")

    email = models.CharField(max_length=8, choices=Email.choices, default=Email.NONE, blank=True)
    # Who claimed a pending row (a random token per sending run) and when it was claimed or sent.
    email_claim = models.CharField(max_length=32, blank=True, default="")
    email_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["recipient", "comment"], name="notification_once")]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread_idx"),
            # The notifications page, newest first by keyset pages (comments.selectors.notifications_for).
            models.Index(fields=["recipient", "-created_at", "-id"], name="notification_time_idx"),
            # The outbox's unsent rows only: the sender's query stays small however many were ever sent.
            models.Index(
                fields=["created_at"],
                name="notification_outbox_idx",
                condition=models.Q(email__in=["pending", "sending"]),
            ),
        ]

    def __str__(self):
        return gettext("%(summary)s (for %(recipient)s)") % {"summary": self.summary, "recipient": self.recipient_id}

    @property
    def summary(self) -> str:
        if self.kind == self.Kind.DECISION:
            return DECISION_SUMMARIES.get(self.action.action if self.action_id else "", _("decided on your comment"))
        if self.is_pick:
            return gettext("picked your comment")
        if self.is_reply and self.is_mention:
            return gettext("replied to you and mentioned you")
        return gettext("replied to your comment") if self.is_reply else gettext("mentioned you")


# What a decision notification says, by the audit log's action it tells.
DECISION_SUMMARIES = {
    "remove": _("A moderator removed your comment"),
    "reject": _("A moderator rejected your comment"),
    "uphold": _("Your appeal was decided: the removal stands"),
    "overturn": _("Your appeal was decided: your comment is restored"),
}


class ModerationAction(models.Model):
    """The audit log: one row per moderation action (who, what, when, why), by a person (`actor`) or by the site
    itself (`actor` empty, `by` naming the rule or process). Rows are only ever added (comments.audit.record)."""

    class Action(models.TextChoices):
        APPROVE = "approve", _("Approved")
        REMOVE = "remove", _("Removed")
        HOLD = "hold", _("Held for review")
        REJECT = "reject", _("Rejected")
        PICK = "pick", _("Picked")
        UNPICK = "unpick", _("Unpicked")
        RESTRICT = "restrict", _("Restricted the reader")
        LIFT = "lift", _("Lifted a restriction")
        APPEAL = "appeal", _("Appealed")
        UPHOLD = "uphold", _("Upheld on appeal")
        OVERTURN = "overturn", _("Overturned on appeal")
        REPORT = "report", _("Reported")
        NOTICE = "notice", _("Illegal-content notice")
        NOTICE_DECIDED = "notice_done", _("Decided an illegal-content notice")

    at = models.DateTimeField(default=timezone.now, db_index=True)
    action = models.CharField(max_length=12, choices=Action)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Who acted; empty when the site did (a rule, a classifier, a surge)."),
    )
    by = models.CharField(
        max_length=100, blank=True, help_text=_("What acted when no one did, e.g. 'rule: banned words'.")
    )
    comment = models.ForeignKey(
        "Comment", on_delete=models.SET_NULL, null=True, blank=True, related_name="moderation_actions"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="moderation_actions",
        help_text=_("The reader acted on: the comment's author, or the reader restricted."),
    )
    article = models.ForeignKey(
        "articles.Article", on_delete=models.SET_NULL, null=True, blank=True, related_name="moderation_actions"
    )
    reason = models.CharField(max_length=200, blank=True)
    note = models.TextField(blank=True, help_text=_("The moderator's own words, if any."))

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["user", "at"], name="modaction_user_time_idx"),
            models.Index(fields=["comment", "at"], name="modaction_comment_time_idx"),
        ]

    def __str__(self):
        return gettext("%(action)s by %(who)s at %(time)s") % {
            "action": self.get_action_display(),
            "who": self.who,
            "time": f"{self.at:%Y-%m-%d %H:%M}",
        }

    @property
    def who(self) -> str:
        if self.actor_id and self.actor:
            return self.actor.display_name
        return self.by or gettext("the site")


class Mute(models.Model):
    """A reader muted another reader: the muted reader's comments collapse on the muter's pages and their replies
    and mentions no longer notify the muter. Private: nothing of it is ever shown to the muted reader, nor on a
    page shared by signed-out readers."""

    muter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mutes")
    muted = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="muted_by")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["muter", "muted"], name="mute_once"),
            models.CheckConstraint(condition=~Q(muter=F("muted")), name="mute_not_self"),
        ]
        # notify_for_comment asks who among a comment's recipients muted its author: by muted reader.
        indexes = [models.Index(fields=["muted", "muter"], name="mute_muted_idx")]

    def __str__(self):
        return gettext("%(muter)s muted %(muted)s") % {"muter": self.muter_id, "muted": self.muted_id}


class AppealQuerySet(models.QuerySet):
    def open(self):
        return self.filter(decided_at__isnull=True)


class Appeal(models.Model):
    """A comment's author asks for a moderator's decision (a removal or a rejection) to be looked at again: once per
    decision, within COMMENTS_APPEAL_DAYS (comments.services.appeal_create). Deciding it is final."""

    class Outcome(models.TextChoices):
        UPHELD = "upheld", _("Upheld: the comment stays removed")
        OVERTURNED = "overturned", _("Overturned: the comment is restored")

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="appeals")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="appeals")
    decision = models.OneToOneField(
        ModerationAction,
        on_delete=models.CASCADE,
        related_name="appeal",
        help_text=_("The removal or rejection appealed: one appeal per decision."),
    )
    note = models.TextField(
        max_length=2000,
        validators=[MaxLengthValidator(2000)],
        help_text=_("Why the author thinks the decision was wrong."),
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome, blank=True)
    moderator_note = models.TextField(blank=True, help_text=_("Told to the author with the outcome."))

    objects = AppealQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The appeals queue: the open ones, oldest first.
            models.Index(fields=["created_at"], condition=Q(decided_at__isnull=True), name="appeal_open_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(decided_at__isnull=True, outcome="") | Q(decided_at__isnull=False) & ~Q(outcome=""),
                name="appeal_decided_has_outcome",
                violation_error_message=_("A decided appeal has an outcome; an open one has none."),
            )
        ]

    def __str__(self):
        return gettext("Appeal on comment %(comment)s by %(user)s") % {
            "comment": self.comment_id,
            "user": self.author_id,
        }


class IllegalContentNotice(models.Model):
    """A notice that a comment or a story is illegal (EU Digital Services Act, art. 16), from anyone, signed in or
    not: its own queue in the admin, a reference for the notifier, and a decision told to them (art. 17). A legal
    record that outlives what it is about: when the comment or story is deleted its link empties, and `location`
    and `content` still say what was reported. Written through comments.services only."""

    class Category(models.TextChoices):
        HATE = "hate", _("Illegal hate speech")
        TERRORISM = "terrorism", _("Terrorist content")
        CHILD_ABUSE = "csam", _("Child sexual abuse material")
        DEFAMATION = "defamation", _("Defamation")
        PRIVACY = "privacy", _("Privacy violation")
        INTELLECTUAL_PROPERTY = "ip", _("Intellectual property infringement")
        FRAUD = "fraud", _("Scam or fraud")
        OTHER = "other", _("Other illegal content")

    class Decision(models.TextChoices):
        ACTION_TAKEN = "action", _("Action taken")
        NO_ACTION = "no_action", _("No action")

    reference = models.CharField(max_length=20, unique=True, editable=False, help_text=_("Given to the notifier."))
    category = models.CharField(max_length=10, choices=Category)
    explanation = models.TextField(help_text=_("Why the notifier believes it is illegal, in their words."))
    location = models.CharField(max_length=500, help_text=_("The exact address of what was reported."))
    comment = models.ForeignKey(
        Comment, on_delete=models.SET_NULL, null=True, blank=True, related_name="illegal_content_notices"
    )
    article = models.ForeignKey(
        "articles.Article",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="illegal_content_notices",
        help_text=_("Set when the story itself was reported; a reported comment's story is the comment's."),
    )
    content = models.TextField(editable=False, help_text=_("What was reported, as it read then."))
    notifier = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    notifier_name = models.CharField(max_length=100, blank=True)
    notifier_email = models.EmailField(blank=True, help_text=_("Where the acknowledgement and the decision go."))
    # The language the notifier wrote in (the page's): their acknowledgement and decision come in it.
    language = models.CharField(max_length=10, blank=True, editable=False)
    good_faith = models.BooleanField(help_text=_("The notifier confirmed the notice is accurate and complete."))
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    decision = models.CharField(max_length=10, choices=Decision, blank=True)
    decision_reason = models.TextField(blank=True, help_text=_("Sent to the notifier with the decision."))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("illegal-content notice")
        # The queue: open notices first, oldest first among them (the DSA asks for timely decisions).
        ordering = [F("decided_at").desc(nulls_first=True), "created_at"]
        indexes = [models.Index(fields=["decided_at", "created_at"], name="notice_queue_idx")]
        constraints = [
            # One target: a comment or a story, never both (both empty only once the content is deleted).
            models.CheckConstraint(
                condition=Q(comment__isnull=True) | Q(article__isnull=True), name="notice_one_target"
            ),
            models.CheckConstraint(
                condition=Q(decision="", decided_at__isnull=True) | (~Q(decision="") & Q(decided_at__isnull=False)),
                name="notice_decided_with_time",
            ),
        ]

    def __str__(self):
        return self.reference

    @property
    def is_open(self) -> bool:
        return not self.decision
