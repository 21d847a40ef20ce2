"""Moderation in the admin: every comment, the queue of pending and reported ones, the moderation rules,
illegal-content notices, restrictions;
and the discussion's part of the story page (open, held for moderation or closed).

Every change goes through comments.services (tree locks, tree-safe deletes). Built for half a million comments:
lists read a page in index order (newest first; the queue through its partial index), count no further than the
estimated-count paginator does, and search by author or number through indexes; actions act on the selected
comments, ticked or "all matching", in a fixed number of statements. No select of all comments.
"""

from collections import Counter

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db.models.functions import Lower
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator

from articles.admin import ArticleAdmin
from articles.models import Article
from comments import selectors, services
from comments.models import (
    Comment,
    CommentReport,
    Discussion,
    IllegalContentNotice,
    ModerationAction,
    ModerationItem,
    ModerationRule,
    Restriction,
    SurgeSwitch,
)
from newsroom.http import EstimatedCountPaginator


def excerpt(text: str, words: int = 16) -> str:
    return Truncator(text).words(words) if text else "—"


# Every moderation action writes, so each names the permission it needs; without one, Django offers an action to
# anyone who may merely view the list.
@admin.action(description="Approve (make visible)", permissions=["change"])
def approve(modeladmin, request, queryset):
    count = services.comment_approve(comments=queryset, moderator=request.user)
    modeladmin.message_user(request, f"Approved {count} comment(s).", messages.SUCCESS)


def _remove_action(reason_code: str, label: str):
    def action(modeladmin, request, queryset):
        count = services.comment_remove(comments=queryset, moderator=request.user, reason=label)
        modeladmin.message_user(request, f"Removed {count} comment(s): {label}.", messages.SUCCESS)

    action.__name__ = f"remove_{reason_code}"
    return admin.action(description=f"Remove: {label.lower()}", permissions=["change"])(action)


def _restrict_action(kind: str, days: int | None, description: str):
    def action(modeladmin, request, queryset):
        # The distinct authors, read by one query whatever the number of comments selected.
        authors = get_user_model().objects.filter(pk__in=queryset.order_by().values("author_id"), is_staff=False)
        authors = list(authors)
        for author in authors:
            services.reader_restrict(
                user=author, moderator=request.user, kind=kind, days=days, reason="Breaking the discussion rules."
            )
        modeladmin.message_user(request, f"{description}: {len(authors)} reader(s).", messages.SUCCESS)

    action.__name__ = f"restrict_{kind}_{days or 0}"
    return admin.action(description=f"{description} the authors", permissions=["restrict"])(action)


MODERATION_ACTIONS = [
    approve,
    _remove_action("spam", "Spam"),
    _remove_action("abuse", "Abuse or harassment"),
    _remove_action("off_topic", "Off-topic"),
    _remove_action("rules", "Breaks the discussion rules"),
    _restrict_action(Restriction.Kind.SUSPENSION, 7, "Suspend for 7 days"),
    _restrict_action(Restriction.Kind.BAN, None, "Ban"),
]


class CommentReportInline(admin.TabularInline):
    model = CommentReport
    extra = 0
    raw_id_fields = ["user"]
    readonly_fields = ["user", "reason", "note", "created_at"]
    can_delete = False


class BaseCommentAdmin(admin.ModelAdmin):
    # The comment itself is the link to its page: an id column would take width the comment needs.
    list_display = ["excerpt", "article", "author", "status", "report_count", "like_count", "created_at"]
    list_display_links = ["excerpt"]
    list_select_related = ["article", "author"]
    list_filter = ["status"]
    # get_search_results reads them through indexes: an author's handle or a comment's number, never the bodies.
    search_fields = ["author__handle"]
    search_help_text = "An author's handle (with or without @), or a comment's number."
    ordering = ["-id"]  # newest first by the primary key: mptt's default order sorted all the comments
    paginator = EstimatedCountPaginator
    raw_id_fields = ["article", "author", "parent"]
    readonly_fields = [
        "article",
        "author",
        "author_name",
        "parent",
        "body",
        "status",
        "removal_reason",
        "like_count",
        "created_at",
        "edited_at",
    ]
    fields = readonly_fields
    inlines = [CommentReportInline]
    actions = MODERATION_ACTIONS
    date_hierarchy = None
    show_full_result_count = False  # a COUNT(*) over 100,000 rows on every page is wasted work
    list_per_page = 50
    change_list_template = "admin/comments/comment_change_list.html"

    class Media:
        css = {"all": ["css/admin.css"]}

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip().removeprefix("@").removeprefix("#")
        if not term:
            return queryset, False
        if term.isascii() and term.isdigit() and len(term) < 19:
            return queryset.filter(pk=int(term)), False
        # Through the handle's case-insensitive unique index, then the comments' author index.
        authors = get_user_model().objects.annotate(lower_handle=Lower("handle")).filter(lower_handle=term.lower())
        return queryset.filter(author__in=authors.values("pk")), False

    def has_add_permission(self, request):
        return False  # readers post on the site, through the same services

    def has_restrict_permission(self, request):
        """Suspending or banning a comment's author creates a Restriction."""
        return request.user.has_perm(f"{Restriction._meta.app_label}.add_restriction")

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # deletes go through services.comment_purge, under the lock
        return actions

    def delete_model(self, request, obj):
        services.comment_purge(comment=obj)

    def delete_queryset(self, request, queryset):
        for comment in queryset:
            services.comment_purge(comment=comment)

    @admin.display(description="comment")
    def excerpt(self, obj):
        return excerpt(obj.body)

    @admin.display(description="reports")
    def report_count(self, obj):
        return obj.report_count


@admin.register(Comment)
class CommentAdmin(BaseCommentAdmin):
    pass


class QueueFilter(admin.SimpleListFilter):
    """The two ways into the queue (the comment lists' status filter would offer states the queue never holds)."""

    title = "why it is here"
    parameter_name = "held"

    def lookups(self, request, model_admin):
        return [("pending", "Waiting for a moderator"), ("reported", "Reported by readers")]

    def queryset(self, request, queryset):
        if self.value() == "pending":
            return queryset.filter(status=Comment.Status.PENDING)
        if self.value() == "reported":
            return queryset.filter(status=Comment.Status.VISIBLE, report_count__gt=0)
        return queryset


@admin.register(ModerationItem)
class ModerationQueueAdmin(BaseCommentAdmin):
    list_display = ["excerpt", "in_reply_to", "article", "author", "status", "reasons", "created_at"]
    list_select_related = ["article", "author", "parent"]
    list_filter = [QueueFilter]

    # Most reported first, then newest: the order of the queue's partial index (comment_queue_idx).
    ordering = ["-report_count", "-id"]

    def get_queryset(self, request):
        return super().get_queryset(request).in_queue().prefetch_related("reports")

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            "title": "Moderation queue: comments waiting for a moderator or reported",
            **(extra_context or {}),
        }
        alert_surges(request)
        return super().changelist_view(request, extra_context)

    @admin.display(description="reports")
    def reasons(self, obj):
        """How many readers reported it and why, most given reason first."""
        counts = Counter(report.get_reason_display() for report in obj.reports.all())
        given = [f"{reason} ({count})" if count > 1 else reason for reason, count in counts.most_common()]
        return f"{obj.report_count}: {', '.join(given)}" if given else "—"

    @admin.display(description="in reply to")
    def in_reply_to(self, obj):
        return excerpt(obj.parent.body, 10) if obj.parent_id else "—"


@admin.register(ModerationRule)
class ModerationRuleAdmin(admin.ModelAdmin):
    """The moderation pipeline (comments.rules): every new comment meets the enabled rules from the lowest order,
    and the first that matches decides. Saving or deleting one replaces the cached rules posting reads."""

    list_display = ["name", "kind", "order", "enabled", "outcome", "parameters"]
    list_editable = ["order", "enabled"]
    list_filter = ["kind", "enabled"]
    fields = ["name", "kind", "order", "enabled", "outcome", "words", "days", "count", "percent"]

    @admin.display(description="parameters")
    def parameters(self, obj):
        if obj.kind == ModerationRule.Kind.WORDS:
            return f"{len(obj.word_list)} words or phrases"
        if obj.kind == ModerationRule.Kind.NEW_ACCOUNT_LINKS:
            return f"accounts younger than {obj.days} days"
        if obj.kind == ModerationRule.Kind.REMOVAL_HISTORY:
            return f"{obj.percent}% of the last {obj.count} decided comments removed"
        return f"{obj.count} readers' reports"


class NoticeDecisionForm(forms.ModelForm):
    """The moderator's decision on a notice; both fields are needed, and the reason goes to the notifier."""

    class Meta:
        model = IllegalContentNotice
        fields = ["decision", "decision_reason"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.Meta.fields:
            if name in self.fields:
                self.fields[name].required = True


@admin.register(IllegalContentNotice)
class IllegalContentNoticeAdmin(admin.ModelAdmin):
    """The illegal-content notices' own queue (DSA art. 16): open ones first, oldest first. A moderator reads the
    notice and what it is about, and records a decision with its reason (comments.services.notice_decide): final,
    told to the notifier, logged; action taken on a comment removes it."""

    form = NoticeDecisionForm
    list_display = ["reference", "category", "target", "created_at", "state"]
    list_filter = ["category", ("decided_at", admin.EmptyFieldListFilter)]
    list_select_related = ["comment", "article"]
    search_fields = ["=reference"]
    readonly_fields = [
        "reference",
        "category",
        "target",
        "location",
        "content",
        "explanation",
        "notifier_name",
        "notifier_email",
        "created_at",
        "decided_by",
        "decided_at",
    ]
    paginator = EstimatedCountPaginator
    show_full_result_count = False

    def get_fields(self, request, obj=None):
        decision = ["decision", "decision_reason"]
        return [*self.readonly_fields[:-2], *decision, *(self.readonly_fields[-2:] if obj and obj.decided_at else [])]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and not obj.is_open:
            return [*self.readonly_fields, "decision", "decision_reason"]
        return self.readonly_fields

    def has_add_permission(self, request):
        return False  # notices come from the public form

    def has_delete_permission(self, request, obj=None):
        return False  # a legal record

    @admin.display(description="state", ordering="decided_at")
    def state(self, obj):
        return "open" if obj.is_open else obj.get_decision_display()

    @admin.display(description="reported")
    def target(self, obj):
        if obj.comment_id:
            return format_html(
                '<a href="{}">comment {}</a>',
                reverse("admin:comments_comment_change", args=[obj.comment_id]),
                obj.comment_id,
            )
        if obj.article_id:
            return format_html(
                '<a href="{}">story: {}</a>',
                reverse("admin:articles_article_change", args=[obj.article_id]),
                obj.article.headline,
            )
        return "deleted since"

    def save_model(self, request, obj, form, change):
        # The decision goes through the service (final, logged, e-mailed), never a plain save.
        services.notice_decide(notice=obj, moderator=request.user, decision=obj.decision, reason=obj.decision_reason)

    def changelist_view(self, request, extra_context=None):
        extra_context = {"title": "Illegal-content notices: open ones first", **(extra_context or {})}
        return super().changelist_view(request, extra_context)


@admin.register(Restriction)
class RestrictionAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "until", "reason", "created_by", "created_at"]
    list_select_related = ["user", "created_by"]
    list_filter = ["kind"]
    raw_id_fields = ["user", "created_by"]
    search_fields = ["user__handle"]


@admin.register(ModerationAction)
class ModerationActionAdmin(admin.ModelAdmin):
    """The audit log: read by staff, never written here (comments.audit.record is its one way in)."""

    list_display = ["at", "action", "who", "user", "comment", "article", "reason"]
    list_select_related = ["actor", "user", "article"]
    list_filter = ["action"]
    search_fields = ["user__handle", "actor__handle", "=comment__pk"]
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    readonly_fields = [field.name for field in ModerationAction._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def alert_surges(request) -> None:
    """The moderators' banner: an admin message for each story whose comments are surging (one small query over
    the few discussions in surge mode)."""
    for discussion in Discussion.objects.filter(surge_mode=True).select_related("article").order_by("-surge_since"):
        since = f" since {timezone.localtime(discussion.surge_since):%H:%M}" if discussion.surge_since else ""
        how = "automatically" if discussion.surge_automatic else "by hand"
        messages.warning(
            request,
            format_html(
                'Surge of comments on <a href="{}">{}</a>: surge mode is on{} ({}).',
                reverse("admin:comments_discussion_change", args=[discussion.pk]),
                discussion.article.headline,
                since,
                how,
            ),
        )


class DiscussionForm(forms.ModelForm):
    """A story's discussion controls: its mode, slow mode, closing and surge mode."""

    # Who is saving (set by the admin for the request: the switches are logged with their author).
    user = None

    class Meta:
        model = Discussion
        fields = ["mode", "slow_mode_seconds", "close_after_days", "ignore_night", "surge_mode"]
        widgets = {
            "slow_mode_seconds": forms.NumberInput(attrs={"min": 0, "max": 3600}),
            "close_after_days": forms.NumberInput(attrs={"min": 0, "max": 3650}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Empty is "unchanged", so a form that knows only the mode (an older page, a script) changes the mode alone.
        self.fields["slow_mode_seconds"].required = False

    def clean_slow_mode_seconds(self):
        seconds = self.cleaned_data["slow_mode_seconds"]
        if seconds is not None and seconds > 3600:
            raise forms.ValidationError("Slow mode is at most 3,600 seconds (one post an hour).")
        return seconds

    def save(self, commit=True):
        # Through the service: only the controls are written, under the story's discussion row lock, and the
        # version moves; the count and version this form loaded belong to the comment writes that happened since.
        data = self.cleaned_data
        return services.discussion_set_controls(
            article=self.instance.article,
            by=self.user,
            mode=data["mode"],
            slow_mode_seconds=data["slow_mode_seconds"],
            close_after_days=data["close_after_days"],
            ignore_night=data["ignore_night"],
            surge_mode=data["surge_mode"],
        )


def _form_for(request, form_class):
    """The form class with the request's user on it (a subclass per request: the class is shared by threads)."""
    return type(form_class.__name__, (form_class,), {"user": request.user})


def _state_and_chart(discussion) -> str:
    if discussion is None or discussion.pk is None or discussion.article_id is None:
        return "—"
    discussion.article = Article.objects.only("pk", "publish_at").get(pk=discussion.article_id)
    closure = discussion.closed_reason(timezone.now())
    return render_to_string(
        "comments/includes/_surge_state.html",
        {
            "discussion": discussion,
            "closure": closure,
            "chart": selectors.surge_chart(article_id=discussion.article_id),
        },
    )


class DiscussionInline(admin.StackedInline):
    model = Discussion
    form = DiscussionForm
    can_delete = False
    max_num = 1
    verbose_name = verbose_name_plural = "discussion"
    readonly_fields = ["state"]

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form = _form_for(request, formset.form)
        return formset

    @admin.display(description="now")
    def state(self, obj):
        return _state_and_chart(obj)


@admin.register(Discussion)
class DiscussionAdmin(admin.ModelAdmin):
    """Moderators' page of a story's discussion: its controls and its chart (editors have them on the story's own
    admin page too). Stories in surge first."""

    form = DiscussionForm
    list_display = ["article", "mode", "surge_mode", "slow_mode_seconds", "comment_count"]
    list_filter = ["surge_mode", "mode"]
    list_select_related = ["article"]
    ordering = ["-surge_mode", "-surge_since", "-article"]
    readonly_fields = ["article", "state"]
    fields = ["article", "state", *DiscussionForm.Meta.fields]
    show_full_result_count = False
    search_fields = ["article__headline"]

    class Media:
        css = {"all": ["css/admin.css"]}

    def has_add_permission(self, request):
        return False  # made by a story's first write

    def has_delete_permission(self, request, obj=None):
        return False

    def get_form(self, request, obj=None, change=False, **kwargs):
        return _form_for(request, super().get_form(request, obj, change=change, **kwargs))

    def save_model(self, request, obj, form, change):
        form.save()  # the service writes the controls alone

    def changelist_view(self, request, extra_context=None):
        alert_surges(request)
        return super().changelist_view(request, extra_context)

    @admin.display(description="now")
    def state(self, obj):
        return _state_and_chart(obj)


@admin.register(SurgeSwitch)
class SurgeSwitchAdmin(admin.ModelAdmin):
    """The log of surge-control switches: read only, written by comments.services."""

    list_display = ["at", "article", "what", "on", "who", "note"]
    list_filter = ["what", "on"]
    list_select_related = ["article", "by"]
    raw_id_fields = ["article", "by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class StoryAdmin(ArticleAdmin):
    """The story's admin page with its discussion: comments adds its part to the page articles owns, as an inline,
    so that articles knows nothing of comments."""

    inlines = [*ArticleAdmin.inlines, DiscussionInline]


admin.site.unregister(Article)
admin.site.register(Article, StoryAdmin)
