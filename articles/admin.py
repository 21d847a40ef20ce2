"""The editors' and reporters' admin: stories with their lead image and a body of blocks, the image library
and galleries."""

from content_editor.admin import ContentEditor, ContentEditorInline
from django import forms
from django.contrib import admin, messages
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator, slugify
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from js_asset import Media

from articles import body, search, selectors, services
from articles.admin_editing import StoryEditingAdmin, StoryForm
from articles.models import (
    BODY_BLOCKS,
    LIVE_BLOCKS,
    Article,
    Author,
    Byline,
    EmbedFields,
    Gallery,
    GalleryFields,
    GalleryImage,
    HeadingFields,
    Image,
    ImageFields,
    LeadImage,
    ListFields,
    LiveEntry,
    MoreBlock,
    MoreFields,
    QuoteFields,
    Section,
    Tag,
    TextFields,
    block_fields,
)
from articles.preview import StoryPreviewAdmin
from newsroom.http import EstimatedCountPaginator


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "order"]
    list_editable = ["order"]
    prepopulated_fields = {"slug": ["name"]}

    # Every page's section bar is cached (selectors.nav_sections): a change shows on the next page.
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        selectors.forget_nav_sections()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        selectors.forget_nav_sections()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        selectors.forget_nav_sections()


@admin.register(Author)
class AuthorAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    autocomplete_fields = ["user"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


def thumbnail(image: Image | None):
    if image is None or not image.file:
        return "—"
    return format_html(
        '<img src="{}" alt="{}" width="80" style="height:auto">', image.rendition_url(width=480), image.alt_text
    )


class FocalPointPicker(forms.NumberInput):
    """The horizontal focal point's input with the picture above it: static/js/admin-focal-point.js writes a click
    on the picture into both inputs and keeps the marker on what they hold. The inputs stay, for the keyboard."""

    def __init__(self, picture_url: str, attrs=None):
        super().__init__({"step": "0.01", "min": "0", "max": "1", **(attrs or {})})
        self.picture_url = picture_url

    def render(self, name, value, attrs=None, renderer=None):
        picture = format_html(
            '<div class="focal-picker" data-focal-x="id_focal_x" data-focal-y="id_focal_y">'
            '<img src="{}" alt="" draggable="false"><span class="focal-marker" hidden></span></div>'
            '<p class="help">{}</p>',
            self.picture_url,
            gettext("Click the centre of interest on the picture, or type it below (0 to 1)."),
        )
        # One block, so the admin's row lays out the picture, the advice and the input one under the other.
        return format_html('<div class="focal-point">{}{}</div>', picture, super().render(name, value, attrs, renderer))


class ImageForm(forms.ModelForm):
    # A plain file field: our own checks give the editor a precise reason for each refusal.
    file = forms.FileField(help_text=_("JPEG, PNG, WebP or GIF. Location and camera data are removed on upload."))

    class Meta:
        model = Image
        fields = ["file", "alt_text", "credit", "focal_x", "focal_y"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The focal point is chosen on the stored picture: a new upload has none to click until it is saved.
        if self.instance.file:
            self.fields["focal_x"].widget = FocalPointPicker(self.instance.rendition_url(width=800))
            self.fields["focal_y"].widget = forms.NumberInput({"step": "0.01", "min": "0", "max": "1"})

    def clean_file(self):
        upload = self.cleaned_data["file"]
        self.cleaned_image = None
        if "file" in self.changed_data:
            self.cleaned_image = services.image_clean(upload)
        return upload


def warn_failed_renditions(request, images) -> None:
    """Say which images have no renditions and why (articles.tasks records it); pages show their original."""
    for image in images:
        if image.renditions_error:
            messages.warning(
                request,
                gettext("Image “%(alt)s” (#%(pk)s): %(error)s")
                % {"alt": image.alt_text, "pk": image.pk, "error": image.renditions_error},
            )


@admin.register(Image)
class ImageAdmin(admin.ModelAdmin):
    form = ImageForm
    list_display = ["preview", "alt_text", "credit", "width", "height", "renditions_state", "uploaded_at"]
    search_fields = ["alt_text", "credit"]
    readonly_fields = ["preview", "width", "height", "renditions_state"]

    class Media:
        css = {"all": ["css/admin.css"]}
        js = ["js/admin-focal-point.js"]

    @admin.display(description=_("Preview"))
    def preview(self, obj):
        return thumbnail(obj)

    @admin.display(description=_("Renditions"))
    def renditions_state(self, obj):
        if obj.renditions_error:
            return gettext("failed (the original is shown)")
        if obj.renditions:
            return ngettext("%(count)d ready", "%(count)d ready", len(obj.renditions)) % {"count": len(obj.renditions)}
        return gettext("being made (the original is shown)")

    def changelist_view(self, request, extra_context=None):
        if request.method == "GET":
            warn_failed_renditions(request, Image.objects.exclude(renditions_error="").order_by("-uploaded_at")[:10])
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        image = self.get_object(request, object_id) if request.method == "GET" else None
        if image is not None:
            warn_failed_renditions(request, [image])
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        services.image_save(image=obj, clean=form.cleaned_image, name=form.cleaned_data["file"].name)

    def delete_model(self, request, obj):
        services.image_delete(image=obj)

    def delete_queryset(self, request, queryset):
        for image in queryset:
            services.image_delete(image=image)


class BylineInline(admin.TabularInline):
    model = Byline
    extra = 1
    min_num = 1
    autocomplete_fields = ["author"]
    verbose_name = _("author")
    verbose_name_plural = _("byline (in order)")


class LeadImageInline(admin.StackedInline):
    model = LeadImage
    autocomplete_fields = ["image"]
    verbose_name = _("lead image")
    # A caption is a sentence or two: as wide as the form, not a 20-character box.
    formfield_overrides = {models.CharField: {"widget": forms.TextInput(attrs={"class": "vLargeTextField"})}}


class GalleryImageInline(admin.TabularInline):
    model = GalleryImage
    extra = 1
    autocomplete_fields = ["image"]
    fields = ["image", "caption", "credit", "order"]


@admin.register(Gallery)
class GalleryAdmin(admin.ModelAdmin):
    list_display = ["title", "created_at"]
    search_fields = ["title"]
    inlines = [GalleryImageInline]


class BlockInline(ContentEditorInline):
    """One kind of block in the story's body (django-content-editor): added from its menu, moved by dragging its
    title bar (content-editor has no keyboard moves), removed by its delete box."""

    formfield_overrides = {models.CharField: {"widget": forms.TextInput(attrs={"class": "vLargeTextField"})}}


# Each kind's options in the "add" menu, by the fields it is made of: the same for a story's and an entry's blocks.
_BLOCK_OPTIONS = {
    TextFields: {"icon": "notes"},
    HeadingFields: {"icon": "title"},
    QuoteFields: {"icon": "format_quote"},
    ListFields: {"icon": "format_list_bulleted"},
    ImageFields: {"autocomplete_fields": ["image"], "icon": "image"},
    GalleryFields: {"autocomplete_fields": ["gallery"], "icon": "collections"},
    MoreFields: {"autocomplete_fields": ["target"], "icon": "link"},
    EmbedFields: {"icon": "smart_display"},
}


def block_inlines(kinds: list) -> list:
    return [BlockInline.create(kind, **_BLOCK_OPTIONS[block_fields(kind)]) for kind in kinds]


BLOCK_INLINES = block_inlines(BODY_BLOCKS)
LIVE_BLOCK_INLINES = block_inlines(LIVE_BLOCKS)


class BlocksEditor(ContentEditor):
    """The content editor of a body of blocks (a story's, an entry's)."""

    def render_change_form(self, request, context, *args, **kwargs):
        """The editors' scripts (ES modules, with the import map that names them) carry this response's CSP nonce:
        the admin's policy runs no other inline script."""
        response = super().render_change_form(request, context, *args, **kwargs)
        response.context_data["media"] = Media.from_media(response.context_data["media"], nonce=request.csp_nonce)
        return response


class StateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("draft", _("Draft")), ("review", _("In review")), ("scheduled", _("Scheduled")), ("live", _("Live"))]

    def queryset(self, request, queryset):
        now = timezone.now()
        match self.value():
            case "draft" | "review" as status:
                return queryset.filter(status=status)
            case "scheduled":
                return queryset.filter(status=Article.Status.PUBLISHED, publish_at__gt=now)
            case "live":
                return queryset.published()
        return queryset


class ArticleForm(StoryForm):
    """The story form. Without the publish permission (reporters, `can_publish` False) the status offers Draft and
    In review only and the publishing time cannot be set; a story going into review carries a note to the editor."""

    can_publish = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        status = self.fields.get("status")
        if status is not None and not self.can_publish:
            status.choices = [(s.value, s.label) for s in (Article.Status.DRAFT, Article.Status.REVIEW)]
            status.error_messages["invalid_choice"] = gettext(
                "Only editors publish or schedule stories: choose “In review” and leave a note for the editor."
            )

    def clean(self):
        cleaned = super().clean()
        if not self.can_publish and "publish_at" in self.changed_data:
            self.add_error(
                "publish_at",
                gettext(
                    "Only editors set the publishing time; say the time you have in mind in the note to the editor."
                ),
            )
        if cleaned.get("status") == Article.Status.REVIEW and not cleaned.get("review_note", "").strip():
            self.add_error("review_note", gettext("Tell the editor what to check before it is published."))
        return cleaned


class BrokenLinksFilter(admin.SimpleListFilter):
    """Stories whose body holds a MORE link to a story since deleted (readers do not see it): the list to mend."""

    title = _("MORE links")
    parameter_name = "more_links"

    def lookups(self, request, model_admin):
        return [("broken", _("Broken (story deleted)"))]

    def queryset(self, request, queryset):
        if self.value() == "broken":
            broken = MoreBlock.objects.filter(parent=OuterRef("pk"), target__isnull=True, url="")
            return queryset.filter(Exists(broken))
        return queryset


@admin.register(Article)
class ArticleAdmin(StoryPreviewAdmin, StoryEditingAdmin, BlocksEditor):
    form = ArticleForm
    list_display = ["headline", "section", "state", "note_to_editor", "publish_at", "lead_thumbnail", "view_link"]
    list_filter = [StateFilter, "section", "bylines__author", BrokenLinksFilter]
    list_select_related = ["section", "lead__image"]
    # get_search_results: the words through the search index, or the start of a slug; never a scan of every story.
    search_fields = ["headline", "deck", "slug"]
    search_help_text = _("The start of words of the headline, deck or body, or the start of the slug.")
    # No date_hierarchy: its DISTINCT over every story's date cost 0.4 s per page at 100,000 stories.
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    prepopulated_fields = {"slug": ["headline"]}
    autocomplete_fields = ["tags"]
    readonly_fields = ["live_entries_link"]
    inlines = [BylineInline, LeadImageInline, *BLOCK_INLINES]
    actions = ["publish_now", "unpublish"]
    fieldsets = [
        (None, {"fields": ["section", "headline", "deck", "slug"]}),
        (_("Publishing"), {"fields": ["status", "review_note", "publish_at", "updated_at", "correction", "tags"]}),
        (
            _("Live blog"),
            {
                "classes": ["collapse"],
                "description": _(
                    "A live blog lists timestamped entries under its summary, written under Live entries."
                ),
                "fields": ["is_live_blog", "live_ended_at", "live_entries_link"],
            },
        ),
        (
            _("Headlines for other places"),
            {
                "classes": ["collapse"],
                "description": _("Optional. Empty fields use the headline and the deck."),
                "fields": ["social_headline", "social_description", "seo_title", "seo_description"],
            },
        ),
    ]

    class Media:
        css = {"all": ["css/admin.css"]}
        js = [forms.Script("js/admin-word-count.js", **{"data-words-per-minute": body.WORDS_PER_MINUTE})]

    @admin.display(description=_("Entries"))
    def live_entries_link(self, obj):
        if obj is None or obj.pk is None or not obj.is_live_blog:
            return gettext("Save the story as a live blog first.")
        url = reverse("admin:articles_liveentry_changelist") + f"?blog={obj.pk}"
        add = reverse("admin:articles_liveentry_add") + f"?article={obj.pk}"
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            url,
            gettext("The entries of this blog"),
            add,
            gettext("Write an entry"),
        )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # Whether readers saw the story before this save, from what the form was loaded with: the save publishes
        # it (articles.signals.story_published) or updates it.
        initial = form.initial
        was_live = change and Article(status=initial.get("status"), publish_at=initial.get("publish_at")).is_live
        services.article_body_refresh(article=form.instance, was_live=was_live)

    def get_search_results(self, request, queryset, search_term):
        """The stories (drafts too) with words starting as the term's do, by articles.search's index, or whose slug
        starts with the term; the same for the MORE-link autocomplete, which searches here as the editor types."""
        term = search_term.strip()
        if not term:
            return queryset, False
        # Ids first, each by its own index (at most RESULTS_CAP + 1 of each): ORed into one condition, the two
        # made PostgreSQL read every story to test either.
        matching = search.search_stories(term, stories=Article.objects.all(), prefix=True)
        found = list(matching.values_list("pk", flat=True))
        if not found:
            # Only stop words so far ("How t": PostgreSQL's document keeps neither "how" nor "the"): the start of
            # a headline as typed, read no further than the cap.
            by_headline = Article.objects.filter(headline__istartswith=term)[: search.RESULTS_CAP + 1]
            found = list(by_headline.values_list("pk", flat=True))
        if slug := slugify(term):
            by_slug = Article.objects.filter(slug__startswith=slug).order_by("slug")[: search.RESULTS_CAP + 1]
            found += by_slug.values_list("pk", flat=True)
        return queryset.filter(pk__in=found), False

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "headline":
            # Read whole while it is written: as wide as the body, not a 20-character box.
            kwargs["widget"] = forms.TextInput(attrs={"class": "vLargeTextField"})
        elif db_field.name == "deck":
            # A sentence or two, seen whole.
            kwargs["widget"] = forms.Textarea(attrs={"class": "vLargeTextField", "rows": 2})
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @admin.display(description=_("State"))
    def state(self, obj):
        if obj.is_scheduled:
            return gettext("Scheduled")
        if obj.is_live:
            return gettext("Live")
        return obj.get_status_display()

    @admin.display(description=_("Note to the editor"))
    def note_to_editor(self, obj):
        # The review queue (the "In review" state filter) reads the reporter's note beside the headline.
        return Truncator(obj.review_note).chars(120) if obj.status == Article.Status.REVIEW else ""

    # Roles (issue 16): publishing, scheduling and unpublishing need articles.publish_article (editors). Without
    # it (reporters) a story is theirs to change only until it is published or scheduled.
    def has_publish_permission(self, request):
        return request.user.has_perm(services.PUBLISH_PERMISSION)

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.status == Article.Status.PUBLISHED and not self.has_publish_permission(request):
            return False
        return super().has_change_permission(request, obj)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if self.has_publish_permission(request):
            return form
        return type(form.__name__, (form,), {"can_publish": False})

    @admin.display(description=_("Lead image"))
    def lead_thumbnail(self, obj):
        lead = getattr(obj, "lead", None)
        return thumbnail(lead.image if lead else None)

    @admin.display(description=_("On site"))
    def view_link(self, obj):
        label = gettext("View") if obj.is_live else gettext("Preview")
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', obj.get_absolute_url(), label)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        article = self.get_object(request, object_id)
        problems = selectors.prepublish_problems(article) if article else []
        if request.method == "GET" and article is not None:
            # Every picture the story shows: the lead, inline images, its galleries'.
            shown = (
                Q(uses__article=article)
                | Q(imageblock_uses__parent=article)
                | Q(gallery_uses__gallery__galleryblock_uses__parent=article)
            )
            warn_failed_renditions(request, Image.objects.filter(shown).distinct())
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), "problems": problems})

    def save_model(self, request, obj, form, change):
        old_slug = form.initial.get("slug", "") if change else ""
        if obj.status == Article.Status.PUBLISHED and obj.publish_at is None:
            # "Published" with no time means now; a time in the future schedules the story.
            obj.publish_at = timezone.now()
        super().save_model(request, obj, form, change)  # StoryEditingAdmin: the edit version, then the save
        if change:
            services.article_record_slug_change(article=obj, old_slug=old_slug)

    @admin.action(description=_("Publish selected stories now"), permissions=["publish"])
    def publish_now(self, request, queryset):
        for article in queryset:
            services.article_publish(article=article, by=request.user)
        count = len(queryset)
        self.message_user(
            request,
            ngettext("Published %(count)d story.", "Published %(count)d stories.", count) % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Unpublish selected stories"), permissions=["publish"])
    def unpublish(self, request, queryset):
        for article in queryset:
            services.article_unpublish(article=article, by=request.user)
        count = len(queryset)
        self.message_user(
            request,
            ngettext("Unpublished %(count)d story.", "Unpublished %(count)d stories.", count) % {"count": count},
            messages.SUCCESS,
        )


class LiveBlogFilter(admin.SimpleListFilter):
    """The entries of one live blog (there are a few live blogs, and many entries each)."""

    title = _("live blog")
    parameter_name = "blog"

    def lookups(self, request, model_admin):
        blogs = Article.objects.filter(is_live_blog=True).order_by("-publish_at", "-pk")[:50]
        return [(str(blog.pk), Truncator(blog.headline).chars(60)) for blog in blogs]

    def queryset(self, request, queryset):
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(article_id=int(value))
        return queryset


@admin.register(LiveEntry)
class LiveEntryAdmin(BlocksEditor):
    """Live entries, written one at a time with a body of blocks, the kinds a story's body has: every save and
    deletion goes through articles.services, which bumps the blog's live version (readers are offered the new
    entry) and purges its pages."""

    list_display = ["__str__", "article", "published_at", "status", "is_key_event", "is_pinned", "promoted_to"]
    list_filter = [LiveBlogFilter, "status", "is_key_event", "is_pinned"]
    list_select_related = ["article", "promoted_to"]
    search_fields = ["headline"]
    autocomplete_fields = ["authors"]
    raw_id_fields = ["article"]
    readonly_fields = ["promoted_to", "updated_at"]
    actions = ["promote"]
    inlines = LIVE_BLOCK_INLINES
    fields = [
        "article",
        "headline",
        "authors",
        "status",
        "published_at",
        "is_key_event",
        "is_pinned",
        "correction",
        "promoted_to",
        "updated_at",
    ]

    def save_model(self, request, obj, form, change):
        # The authors are set by save_related (the form's many-to-many); the version is bumped here, once.
        services.live_entry_save(entry=obj)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.live_entry_body_refresh(entry=form.instance)

    def delete_model(self, request, obj):
        services.live_entry_delete(entry=obj)

    def delete_queryset(self, request, queryset):
        for entry in queryset:
            services.live_entry_delete(entry=entry)

    def has_promote_permission(self, request):
        return request.user.has_perm("articles.add_article")

    @admin.action(description=_("Promote to a story (a draft, linked both ways)"), permissions=["promote"])
    def promote(self, request, queryset):
        for entry in queryset:
            story = services.live_entry_promote(entry=entry)
            url = reverse("admin:articles_article_change", args=[story.pk])
            note = format_html(
                gettext('“{story}” is a draft story now: <a href="{url}">edit it</a>.'), story=story, url=url
            )
            self.message_user(request, note, messages.SUCCESS)
