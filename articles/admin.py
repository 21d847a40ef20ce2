"""The editors' admin: stories with their lead image and a body of blocks, the image library and galleries."""

from content_editor.admin import ContentEditor, ContentEditorInline
from django import forms
from django.contrib import admin, messages
from django.db import models
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import slugify
from js_asset import Media

from articles import body, search, selectors, services
from articles.models import (
    Article,
    Author,
    Byline,
    EmbedBlock,
    Gallery,
    GalleryBlock,
    GalleryImage,
    HeadingBlock,
    Image,
    ImageBlock,
    LeadImage,
    ListBlock,
    MoreBlock,
    QuoteBlock,
    Section,
    Tag,
    TextBlock,
)
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


class ImageForm(forms.ModelForm):
    # A plain file field: our own checks give the editor a precise reason for each refusal.
    file = forms.FileField(help_text="JPEG, PNG, WebP or GIF. Location and camera data are removed on upload.")

    class Meta:
        model = Image
        fields = ["file", "alt_text", "credit", "focal_x", "focal_y"]

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
            messages.warning(request, f"Image “{image.alt_text}” (#{image.pk}): {image.renditions_error}")


@admin.register(Image)
class ImageAdmin(admin.ModelAdmin):
    form = ImageForm
    list_display = ["preview", "alt_text", "credit", "width", "height", "renditions_state", "uploaded_at"]
    search_fields = ["alt_text", "credit"]
    readonly_fields = ["preview", "width", "height", "renditions_state"]

    @admin.display(description="Preview")
    def preview(self, obj):
        return thumbnail(obj)

    @admin.display(description="Renditions")
    def renditions_state(self, obj):
        if obj.renditions_error:
            return "failed (the original is shown)"
        return f"{len(obj.renditions)} ready" if obj.renditions else "being made (the original is shown)"

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
    verbose_name = "author"
    verbose_name_plural = "byline (in order)"


class LeadImageInline(admin.StackedInline):
    model = LeadImage
    autocomplete_fields = ["image"]
    verbose_name = "lead image"
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


BLOCK_INLINES = [
    BlockInline.create(TextBlock, icon="notes"),
    BlockInline.create(HeadingBlock, icon="title"),
    BlockInline.create(QuoteBlock, icon="format_quote"),
    BlockInline.create(ListBlock, icon="format_list_bulleted"),
    BlockInline.create(ImageBlock, autocomplete_fields=["image"], icon="image"),
    BlockInline.create(GalleryBlock, autocomplete_fields=["gallery"], icon="collections"),
    BlockInline.create(MoreBlock, autocomplete_fields=["target"], icon="link"),
    BlockInline.create(EmbedBlock, icon="smart_display"),
]


class StateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("draft", "Draft"), ("review", "In review"), ("scheduled", "Scheduled"), ("live", "Live")]

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


@admin.register(Article)
class ArticleAdmin(ContentEditor):
    list_display = ["headline", "section", "state", "publish_at", "lead_thumbnail", "view_link"]
    list_filter = [StateFilter, "section", "bylines__author"]
    list_select_related = ["section", "lead__image"]
    # get_search_results: the words through the search index, or the start of a slug; never a scan of every story.
    search_fields = ["headline", "deck", "slug"]
    search_help_text = "The start of words of the headline, deck or body, or the start of the slug."
    # No date_hierarchy: its DISTINCT over every story's date cost 0.4 s per page at 100,000 stories.
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    prepopulated_fields = {"slug": ["headline"]}
    autocomplete_fields = ["tags"]
    inlines = [BylineInline, LeadImageInline, *BLOCK_INLINES]
    actions = ["publish_now", "unpublish"]
    fieldsets = [
        (None, {"fields": ["section", "headline", "deck", "slug"]}),
        ("Publishing", {"fields": ["status", "publish_at", "updated_at", "correction", "tags"]}),
    ]

    class Media:
        css = {"all": ["css/admin.css"]}
        js = [forms.Script("js/admin-word-count.js", **{"data-words-per-minute": body.WORDS_PER_MINUTE})]

    def render_change_form(self, request, context, *args, **kwargs):
        """The editors' scripts (ES modules, with the import map that names them) carry this response's CSP nonce:
        the admin's policy runs no other inline script."""
        response = super().render_change_form(request, context, *args, **kwargs)
        response.context_data["media"] = Media.from_media(response.context_data["media"], nonce=request.csp_nonce)
        return response

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.article_body_refresh(article=form.instance)

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

    @admin.display(description="State")
    def state(self, obj):
        if obj.is_scheduled:
            return "Scheduled"
        if obj.is_live:
            return "Live"
        return obj.get_status_display()

    @admin.display(description="Lead image")
    def lead_thumbnail(self, obj):
        lead = getattr(obj, "lead", None)
        return thumbnail(lead.image if lead else None)

    @admin.display(description="On site")
    def view_link(self, obj):
        label = "View" if obj.is_live else "Preview"
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', obj.get_absolute_url(), label)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        article = self.get_object(request, object_id)
        problems = selectors.prepublish_problems(article) if article else []
        if request.method == "GET" and article is not None:
            warn_failed_renditions(request, Image.objects.filter(uses__article=article))
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), "problems": problems})

    def save_model(self, request, obj, form, change):
        old_slug = form.initial.get("slug", "") if change else ""
        if obj.status == Article.Status.PUBLISHED and obj.publish_at is None:
            # "Published" with no time means now; a time in the future schedules the story.
            obj.publish_at = timezone.now()
        obj.save()
        if change:
            services.article_record_slug_change(article=obj, old_slug=old_slug)

    @admin.action(description="Publish selected stories now", permissions=["change"])
    def publish_now(self, request, queryset):
        for article in queryset:
            services.article_publish(article=article)
        self.message_user(request, f"Published {len(queryset)} stories.", messages.SUCCESS)

    @admin.action(description="Unpublish selected stories", permissions=["change"])
    def unpublish(self, request, queryset):
        for article in queryset:
            services.article_unpublish(article=article)
        self.message_user(request, f"Unpublished {len(queryset)} stories.", messages.SUCCESS)
