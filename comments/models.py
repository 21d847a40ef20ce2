"""Reader discussion: threaded comments (one MPTT tree per top-level comment), likes, reports and moderation."""

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from mptt.fields import TreeForeignKey
from mptt.models import MPTTModel
from mptt.querysets import TreeQuerySet

from articles.models import visible_q as story_visible_q

__all__ = [
    "Discussion",
    "validate_comment_length",
    "moderates",
    "visible_q",
    "CommentQuerySet",
    "Comment",
    "Mention",
    "CommentLike",
    "CommentReport",
    "BannedWord",
    "Restriction",
    "ModerationItem",
    "Notification",
]


class Discussion(models.Model):
    """A story's discussion: whether readers may comment, how many visible comments it has, and a version that
    every write to it bumps (it keys the cached fragments of its pages). A story without a row has the defaults:
    open, no comments; the row is made by the first write (comments.locking.lock_discussion, or discussion_changed)."""

    class Mode(models.TextChoices):
        OPEN = "open", "Open"
        PREMODERATED = "premoderated", "Open, held for moderation"
        CLOSED = "closed", "Closed"

    article = models.OneToOneField(
        "articles.Article", on_delete=models.CASCADE, primary_key=True, related_name="discussion"
    )
    mode = models.CharField(
        "comments", max_length=12, choices=Mode, default=Mode.OPEN, help_text="Whether readers may comment."
    )
    comment_count = models.PositiveIntegerField(
        default=0, editable=False, help_text="Visible comments, moved by what each comment write changes."
    )
    version = models.PositiveIntegerField(
        default=0, editable=False, help_text="Bumped by every write to the discussion; keys its cached fragments."
    )

    def __str__(self):
        return f"Discussion of story {self.article_id}"

    @classmethod
    def of(cls, article) -> "Discussion":
        """The story's discussion (one query), or the defaults, unsaved, for a story no one has written to."""
        return cls.objects.filter(article_id=article.pk).first() or cls(article=article)

    @property
    def is_open(self) -> bool:
        return self.mode != self.Mode.CLOSED


def validate_comment_length(body: str) -> None:
    """The one length limit, COMMENTS_MAX_LENGTH, read when checking (so a test may change it). The message names
    the limit and the length; the form that shows it keeps the text."""
    limit, length = settings.COMMENTS_MAX_LENGTH, len(body)
    if length > limit:
        raise ValidationError(
            f"Comments are at most {limit:,} characters; this one has {length:,}. "
            f"Shorten it by {length - limit:,} and post it again.",
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
        VISIBLE = "visible", "Visible"
        PENDING = "pending", "Waiting for moderation"
        REMOVED = "removed", "Removed by a moderator"
        DELETED = "deleted", "Deleted by its author"

    article = models.ForeignKey("articles.Article", on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="comments",
        help_text="Empty for deleted accounts and imported comments; then the name below is shown.",
    )
    author_name = models.CharField(
        max_length=60, blank=True, help_text="Shown name when the comment has no account (imported or deleted)."
    )
    parent = TreeForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="children",
        help_text="The comment this one replies to; empty for a top-level comment.",
    )
    body = models.TextField(help_text="The text as the reader typed it.", validators=[validate_comment_length])
    body_html = models.TextField(editable=False, help_text="The body rendered to safe HTML when it was written.")
    status = models.CharField(max_length=10, choices=Status, default=Status.VISIBLE, db_index=True)
    removal_reason = models.CharField(max_length=200, blank=True, help_text="Why a moderator removed or held it.")
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
        help_text="The post's id in the Disqus export it was imported from; empty for comments written here.",
    )
    # Set by comment_create from the one-time token of the form it came from (comments.forms): a retried or
    # double-clicked submit of the same form finds the comment it already stored instead of storing another.
    post_key = models.CharField(
        max_length=64,
        blank=True,
        default="",
        editable=False,
        help_text="Digest of the posting form's one-time token, story, parent and text; empty if not from a form.",
    )

    # The discussion's version that made this comment visible (its post, or the approval of a held one): what the
    # live "N new comments" counts from (comments.selectors.live_count). 0 for comments from before it was kept.
    version = models.PositiveIntegerField(
        default=0, editable=False, help_text="Discussion.version when the comment became visible."
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
        ]
        constraints = [
            # Also what makes two simultaneous submits of one form store one comment (comments.services).
            models.UniqueConstraint(
                fields=["author", "post_key"], condition=~Q(post_key=""), name="comment_post_key_once"
            )
        ]

    def __str__(self):
        return f"Comment {self.pk} by {self.shown_name}"

    def get_absolute_url(self):
        return reverse("comments:permalink", kwargs={"pk": self.pk})

    @property
    def shown_name(self) -> str:
        if self.author_id and self.author:
            return self.author.display_name
        return self.author_name or "Former reader"

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


class Mention(models.Model):
    """A reader named with @handle in a comment; kept by user id, so a later handle change does not lose it."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="mentions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mentioned_in")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["comment", "user"], name="mention_once")]

    def __str__(self):
        return f"@{self.user_id} in comment {self.comment_id}"


class CommentLike(models.Model):
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="likes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comment_likes")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["comment", "user"], name="comment_like_once")]
        indexes = [models.Index(fields=["user", "comment"], name="comment_like_user_idx")]

    def __str__(self):
        return f"Like of comment {self.comment_id} by {self.user_id}"


class CommentReport(models.Model):
    class Reason(models.TextChoices):
        SPAM = "spam", "Spam"
        ABUSE = "abuse", "Abuse or harassment"
        OFF_TOPIC = "off_topic", "Off-topic"
        OTHER = "other", "Something else"

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="reports")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comment_reports")
    reason = models.CharField(max_length=10, choices=Reason)
    note = models.CharField(max_length=500, blank=True, help_text="What the reader added, if anything.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["comment", "user"], name="comment_report_once")]

    def __str__(self):
        return f"{self.get_reason_display()} report on comment {self.comment_id}"


class BannedWord(models.Model):
    """A word or phrase that holds a new comment for moderation (matched as whole words, any case)."""

    word = models.CharField(max_length=100, unique=True, help_text="A word or phrase; matched as whole words.")

    class Meta:
        ordering = ["word"]

    def __str__(self):
        return self.word


class RestrictionQuerySet(models.QuerySet):
    def active(self):
        return self.filter(Q(until__isnull=True) | Q(until__gt=timezone.now()))


class Restriction(models.Model):
    """A suspension (until a time) or a ban (no end) that stops a reader from commenting."""

    class Kind(models.TextChoices):
        SUSPENSION = "suspension", "Suspended"
        BAN = "ban", "Banned"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comment_restrictions")
    kind = models.CharField(max_length=10, choices=Kind)
    until = models.DateTimeField(null=True, blank=True, help_text="End of a suspension; empty for a ban.")
    reason = models.CharField(max_length=200, blank=True, help_text="Shown to the reader.")
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
                violation_error_message="A suspension needs an end; a ban has none.",
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.user_id}"


class ModerationItem(Comment):
    """The moderation queue in the admin: pending and reported comments (a proxy, no table of its own)."""

    class Meta:
        proxy = True
        verbose_name = "comment to moderate"
        verbose_name_plural = "comments to moderate"


class NotificationQuerySet(models.QuerySet):
    def readable(self):
        """Notifications about comments anyone may read (Comment.objects.public(), through the join): a comment
        removed, held or deleted later, or a story taken back to draft, takes its notifications and e-mails with it,
        for staff too. The same for every recipient, so a query may count them per reader (newsroom.backends)."""
        return self.filter(visible_q(AnonymousUser(), through="comment__"), comment__status=Comment.Status.VISIBLE)

    def for_reader(self, user):
        """A reader's notifications about comments they can still read (`user` may be an OuterRef)."""
        return self.filter(recipient=user).readable()

    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """Someone replied to a reader's comment or mentioned them: one row per reader and comment, even when both."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="notifications")
    is_reply = models.BooleanField(default=False)
    is_mention = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Email(models.TextChoices):
        """The e-mail outbox, one row per notification (comments.notifications): written with the notification, so
        a mail relay or queue that is down never loses it; sent by a task, several per reader together."""

        NONE = "", "no e-mail"
        PENDING = "pending", "waiting to be sent"
        SENDING = "sending", "being sent"
        SENT = "sent", "sent"
        SKIPPED = "skipped", "not sent (switched off, no address, or the comment is gone)"

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
        return f"{self.summary} (for {self.recipient_id})"

    @property
    def summary(self) -> str:
        if self.is_reply and self.is_mention:
            return "replied to you and mentioned you"
        return "replied to your comment" if self.is_reply else "mentioned you"
