"""Moderation in the admin: every comment, the queue of pending and reported ones, the moderation rules,
illegal-content notices, restrictions;
and the discussion's part of the story page (open, held for moderation or closed).

Every change goes through comments.services (tree locks, tree-safe deletes). Built for half a million comments:
lists read a page in index order (newest first; the queue through its partial index), count no further than the
estimated-count paginator does, and search by author or number through indexes; actions act on the selected
comments, ticked or "all matching", in a fixed number of statements. No select of all comments.
"""

import csv
import itertools
from collections import Counter
from collections.abc import Iterator

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.http import StreamingHttpResponse
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import lazy
from django.utils.html import format_html
from django.utils.text import Truncator, format_lazy
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from articles.admin import ArticleAdmin
from articles.models import Article
from comments import selectors, services
from comments.forms import AppealDecisionForm, RestrictForm
from comments.models import (
    Appeal,
    Comment,
    CommentReport,
    Discussion,
    IllegalContentNotice,
    ModerationAction,
    ModerationItem,
    ModerationRule,
    RemovalReason,
    Restriction,
    SurgeSwitch,
)
from newsroom.http import EstimatedCountPaginator


def excerpt(text: str, words: int = 16) -> str:
    return Truncator(text).words(words) if text else "—"


# Every moderation action writes, so each names the permission it needs; without one, Django offers an action to
# anyone who may merely view the list.
@admin.action(description=_("Approve (make visible)"), permissions=["change"])
def approve(modeladmin, request, queryset):
    count = services.comment_approve(comments=queryset, moderator=request.user)
    modeladmin.message_user(request, gettext("Approved %(count)d comment(s).") % {"count": count}, messages.SUCCESS)


# A label in lower case, in the language of the page that shows it.
lower_lazy = lazy(lambda text: str(text).lower(), str)


def _remove_action(reason: RemovalReason):
    def action(modeladmin, request, queryset):
        count = services.comment_remove(comments=queryset, moderator=request.user, reason=reason.label)
        modeladmin.message_user(
            request,
            gettext("Removed %(count)d comment(s): %(reason)s.") % {"count": count, "reason": reason.label},
            messages.SUCCESS,
        )

    action.__name__ = f"remove_{reason.value}"
    description = format_lazy("{}: {}", pgettext_lazy("admin action", "Remove"), lower_lazy(reason.label))
    return admin.action(description=description, permissions=["change"])(action)


@admin.action(description=_("Suspend or ban the authors…"), permissions=["restrict"])
def restrict_authors(modeladmin, request, queryset):
    """An intermediate page: the moderator types the length and the reason (shown to the readers), then every
    distinct author of the selected comments is restricted through services.reader_restrict."""
    # The distinct authors, read by one query whatever the number of comments selected.
    authors = get_user_model().objects.filter(pk__in=queryset.order_by().values("author_id"), is_staff=False)
    form = RestrictForm(request.POST if "apply" in request.POST else None)
    if form.is_valid():
        data = form.cleaned_data
        days = data["days"] if data["kind"] == Restriction.Kind.SUSPENSION else None
        authors = list(authors)
        for author in authors:
            services.reader_restrict(
                user=author, moderator=request.user, kind=data["kind"], days=days, reason=data["reason"]
            )
        what = gettext("Suspended for %(days)d days") % {"days": days} if days else gettext("Banned")
        modeladmin.message_user(
            request, gettext("%(what)s: %(count)d reader(s).") % {"what": what, "count": len(authors)}, messages.SUCCESS
        )
        return None
    return TemplateResponse(
        request,
        "admin/comments/restrict_authors.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": gettext("Suspend or ban the authors"),
            "form": form,
            "authors": authors.order_by("handle")[:50],
            "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
            "opts": modeladmin.model._meta,
        },
        status=400 if form.errors else 200,
    )


MODERATION_ACTIONS = [
    approve,
    *(_remove_action(reason) for reason in RemovalReason),
    restrict_authors,
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
    search_help_text = _("An author's handle (with or without @), or a comment's number.")
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

    @admin.display(description=_("comment"))
    def excerpt(self, obj):
        return excerpt(obj.body)

    @admin.display(description=_("reports"))
    def report_count(self, obj):
        return obj.report_count


@admin.register(Comment)
class CommentAdmin(BaseCommentAdmin):
    pass


class QueueFilter(admin.SimpleListFilter):
    """The two ways into the queue (the comment lists' status filter would offer states the queue never holds)."""

    title = _("why it is here")
    parameter_name = "held"

    def lookups(self, request, model_admin):
        return [("pending", _("Waiting for a moderator")), ("reported", _("Reported by readers"))]

    def queryset(self, request, queryset):
        if self.value() == "pending":
            return queryset.filter(status=Comment.Status.PENDING)
        if self.value() == "reported":
            return queryset.filter(status=Comment.Status.VISIBLE, report_count__gt=0)
        return queryset


@admin.register(ModerationItem)
class ModerationQueueAdmin(BaseCommentAdmin):
    list_display = ["excerpt", "in_reply_to", "article", "author_history", "status", "reasons", "time_in_context"]
    list_select_related = ["article", "author", "parent"]
    list_filter = [QueueFilter]

    # Most reported first, then newest: the order of the queue's partial index (comment_queue_idx).
    ordering = ["-report_count", "-id"]

    def get_queryset(self, request):
        return super().get_queryset(request).in_queue().prefetch_related("reports")

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            "title": gettext("Moderation queue: comments waiting for a moderator or reported"),
            **(extra_context or {}),
        }
        alert_surges(request)
        return super().changelist_view(request, extra_context)

    @admin.display(description=_("reports"))
    def reasons(self, obj):
        """How many readers reported it and why, most given reason first."""
        counts = Counter(report.get_reason_display() for report in obj.reports.all())
        given = [f"{reason} ({count})" if count > 1 else reason for reason, count in counts.most_common()]
        return f"{obj.report_count}: {', '.join(given)}" if given else "—"

    @admin.display(description=_("in reply to"))
    def in_reply_to(self, obj):
        return excerpt(obj.parent.body, 10) if obj.parent_id else "—"

    # The author and the time, as the story page shows them, link to the reader's moderation history and to the
    # comment in context (its permalink): the queue keeps its columns, and a moderator reaches both in one click.
    @admin.display(description=_("author"), ordering="author")
    def author_history(self, obj):
        if not obj.author_id:
            return obj.shown_name
        history = reverse("comments:reader_history", args=[obj.author_id])
        return format_html('{} <a href="{}">(history)</a>', obj.author, history)

    @admin.display(description=_("created at"), ordering="created_at")
    def time_in_context(self, obj):
        when = date_format(timezone.localtime(obj.created_at), "DATETIME_FORMAT")
        return format_html(
            '<a href="{}" title="{}">{}</a>', obj.get_absolute_url(), gettext("The comment in context"), when
        )


@admin.register(ModerationRule)
class ModerationRuleAdmin(admin.ModelAdmin):
    """The moderation pipeline (comments.rules): every new comment meets the enabled rules from the lowest order,
    and the first that matches decides. Saving or deleting one replaces the cached rules posting reads."""

    list_display = ["name", "kind", "order", "enabled", "outcome", "parameters"]
    list_editable = ["order", "enabled"]
    list_filter = ["kind", "enabled"]
    fields = ["name", "kind", "order", "enabled", "outcome", "words", "days", "count", "percent"]

    @admin.display(description=_("parameters"))
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

    @admin.display(description=_("state"), ordering="decided_at")
    def state(self, obj):
        return gettext("open") if obj.is_open else obj.get_decision_display()

    @admin.display(description=_("reported"))
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
        return gettext("deleted since")

    def save_model(self, request, obj, form, change):
        # The decision goes through the service (final, logged, e-mailed), never a plain save.
        services.notice_decide(notice=obj, moderator=request.user, decision=obj.decision, reason=obj.decision_reason)

    def changelist_view(self, request, extra_context=None):
        extra_context = {"title": gettext("Illegal-content notices: open ones first"), **(extra_context or {})}
        return super().changelist_view(request, extra_context)


@admin.register(Restriction)
class RestrictionAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "until", "reason", "created_by", "created_at"]
    list_select_related = ["user", "created_by"]
    list_filter = ["kind"]
    raw_id_fields = ["user", "created_by"]
    search_fields = ["user__handle"]


# The audit log's CSV: its columns, and how many rows one read of the export takes.
EXPORT_COLUMNS = ["id", "at", "action", "actor", "by", "user", "comment", "article", "reason", "note"]
EXPORT_CHUNK = 1000


class Echo:
    """A file that gives back what is written to it: csv.writer's rows straight into the streamed response."""

    def write(self, value):
        return value


def audit_rows(queryset) -> Iterator[list]:
    """Every row of `queryset`, newest first, read in keyset chunks of EXPORT_CHUNK on (at, id): memory stays one
    chunk whatever the log's size, and no server-side cursor is needed (PgBouncer in transaction mode has none)."""
    rows = queryset.order_by("-at", "-pk").values_list(
        "pk", "at", "action", "actor__handle", "by", "user__handle", "comment_id", "article_id", "reason", "note"
    )
    last = None
    while True:
        chunk = rows
        if last is not None:
            chunk = rows.filter(Q(at__lt=last[1]) | Q(at=last[1], pk__lt=last[0]))
        chunk = list(chunk[:EXPORT_CHUNK])
        yield from ([pk, at.isoformat(), *rest] for pk, at, *rest in chunk)
        if len(chunk) < EXPORT_CHUNK:
            return
        last = chunk[-1]


class LogAdmin(admin.ModelAdmin):
    """A log's admin: read, never written or deleted here (its rows are added by the services)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ModerationAction)
class ModerationActionAdmin(LogAdmin):
    """The audit log: read by staff, never written here (comments.audit.record is its one way in), and exported to
    CSV as filtered in the list."""

    list_display = ["at", "action", "who", "user", "comment", "article", "reason"]
    list_select_related = ["actor", "user", "article"]
    list_filter = ["action"]
    search_fields = ["user__handle", "actor__handle", "=comment__pk"]
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    readonly_fields = [field.name for field in ModerationAction._meta.fields]
    change_list_template = "admin/comments/moderationaction_change_list.html"

    def get_urls(self):
        export = self.admin_site.admin_view(self.export_csv)
        return [path("export.csv", export, name="comments_moderationaction_export"), *super().get_urls()]

    def export_csv(self, request):
        """The log as CSV, streamed: the list's filters and search apply (the same changelist query)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        changelist = self.get_changelist_instance(request)
        writer = csv.writer(Echo())
        lines = itertools.chain([EXPORT_COLUMNS], audit_rows(changelist.get_queryset(request)))
        response = StreamingHttpResponse((writer.writerow(line) for line in lines), content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="moderation-log.csv"'
        return response


class AppealQueueFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("open", _("Waiting for a decision")), ("decided", _("Decided"))]

    def queryset(self, request, queryset):
        if self.value() == "decided":
            return queryset.filter(decided_at__isnull=False)
        if self.value() == "open":
            return queryset.open()
        return queryset


@admin.register(Appeal)
class AppealAdmin(admin.ModelAdmin):
    """The appeals queue: each appeal with the decision it is about; a moderator decides it, once, through
    services.appeal_decide (which restores an overturned comment and tells the author)."""

    list_display = ["comment_excerpt", "created_at", "author", "decision_reason", "outcome", "decided_by"]
    list_display_links = ["comment_excerpt"]
    list_select_related = ["author", "comment", "decision", "decided_by"]
    list_filter = [AppealQueueFilter, "outcome"]
    search_fields = ["author__handle", "=comment__pk"]
    # The open ones first, oldest first: the queue's order.
    ordering = [F("decided_at").asc(nulls_first=True), "created_at", "pk"]
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    form = AppealDecisionForm
    fields = ["comment_in_context", "author", "decision_reason", "note", "created_at", "outcome", "moderator_note"]
    readonly_fields = ["comment_in_context", "author", "decision_reason", "note", "created_at"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        # Deciding is final: a decided appeal is read only.
        if obj is not None and obj.decided_at is not None:
            return False
        return request.user.has_perm("comments.change_appeal")

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        services.appeal_decide(appeal=obj, moderator=request.user, outcome=data["outcome"], note=data["moderator_note"])

    @admin.display(description=_("comment"))
    def comment_excerpt(self, obj):
        return excerpt(obj.comment.body)

    @admin.display(description=_("comment"))
    def comment_in_context(self, obj):
        return format_html(
            '<blockquote>{}</blockquote><a href="{}">in context</a> · <a href="{}">the author\'s history</a>',
            obj.comment.body,
            obj.comment.get_absolute_url(),
            reverse("comments:reader_history", args=[obj.author_id]),
        )

    @admin.display(description=_("decision appealed"))
    def decision_reason(self, obj):
        return f"{obj.decision.get_action_display()}: {obj.decision.reason}" + (
            f" ({obj.decision.note})" if obj.decision.note else ""
        )


def alert_surges(request) -> None:
    """The moderators' banner: an admin message for each story whose comments are surging (one small query over
    the few discussions in surge mode)."""
    for discussion in Discussion.objects.filter(surge_mode=True).select_related("article").order_by("-surge_since"):
        how = gettext("automatically") if discussion.surge_automatic else gettext("by hand")
        link = format_html(
            '<a href="{}">{}</a>',
            reverse("admin:comments_discussion_change", args=[discussion.pk]),
            discussion.article.headline,
        )
        if discussion.surge_since:
            text = gettext("Surge of comments on {story}: surge mode is on since {time} ({how}).")
            since = f"{timezone.localtime(discussion.surge_since):%H:%M}"
            messages.warning(request, format_html(text, story=link, time=since, how=how))
        else:
            text = gettext("Surge of comments on {story}: surge mode is on ({how}).")
            messages.warning(request, format_html(text, story=link, how=how))


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
            raise forms.ValidationError(gettext("Slow mode is at most 3,600 seconds (one post an hour)."))
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
    verbose_name = verbose_name_plural = _("discussion")
    readonly_fields = ["state"]

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form = _form_for(request, formset.form)
        return formset

    @admin.display(description=_("now"))
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

    @admin.display(description=_("now"))
    def state(self, obj):
        return _state_and_chart(obj)


@admin.register(SurgeSwitch)
class SurgeSwitchAdmin(LogAdmin):
    """The log of surge-control switches: read only, written by comments.services."""

    list_display = ["at", "article", "what", "on", "who", "note"]
    list_filter = ["what", "on"]
    list_select_related = ["article", "by"]
    raw_id_fields = ["article", "by"]


class StoryAdmin(ArticleAdmin):
    """The story's admin page with its discussion: comments adds its part to the page articles owns, as an inline,
    so that articles knows nothing of comments."""

    inlines = [*ArticleAdmin.inlines, DiscussionInline]


admin.site.unregister(Article)
admin.site.register(Article, StoryAdmin)
