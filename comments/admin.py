"""Moderation in the admin: every comment, the queue of pending and reported ones, banned words, restrictions;
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
from django.utils.text import Truncator

from articles.admin import ArticleAdmin
from articles.models import Article
from comments import services
from comments.models import BannedWord, Comment, CommentReport, Discussion, ModerationItem, Restriction
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


@admin.register(BannedWord)
class BannedWordAdmin(admin.ModelAdmin):
    search_fields = ["word"]


@admin.register(Restriction)
class RestrictionAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "until", "reason", "created_by", "created_at"]
    list_select_related = ["user", "created_by"]
    list_filter = ["kind"]
    raw_id_fields = ["user", "created_by"]
    search_fields = ["user__handle"]


class DiscussionForm(forms.ModelForm):
    class Meta:
        model = Discussion
        fields = ["mode"]

    def save(self, commit=True):
        # Through the service: the mode alone is written, under the story's discussion row lock, and the version
        # moves; the count and version this form loaded belong to the comment writes that happened since.
        return services.discussion_set_mode(article=self.instance.article, mode=self.cleaned_data["mode"])


class DiscussionInline(admin.StackedInline):
    model = Discussion
    form = DiscussionForm
    can_delete = False
    max_num = 1
    verbose_name = verbose_name_plural = "discussion"


class StoryAdmin(ArticleAdmin):
    """The story's admin page with its discussion: comments adds its part to the page articles owns, as an inline,
    so that articles knows nothing of comments."""

    inlines = [*ArticleAdmin.inlines, DiscussionInline]


admin.site.unregister(Article)
admin.site.register(Article, StoryAdmin)
