"""Stories and what they are made of: sections, authors, tags, images, lead images and "MORE:" links."""

from content_editor.models import Region, create_plugin_base
from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import strip_tags
from django.utils.text import Truncator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_prose_editor.fields import ProseEditorField

from articles import embeds

__all__ = [
    "live_q",
    "visible_q",
    "Section",
    "Author",
    "Tag",
    "Image",
    "Article",
    "Byline",
    "LeadImage",
    "BlockFields",
    "TextBlock",
    "HeadingBlock",
    "QuoteBlock",
    "ListBlock",
    "ImageBlock",
    "Gallery",
    "GalleryImage",
    "GalleryBlock",
    "MoreBlock",
    "EmbedBlock",
    "BODY_BLOCKS",
    "SlugHistory",
    "SavedArticle",
    "StorySearchEntry",
    "LiveEntry",
    "LiveTextBlock",
    "LiveHeadingBlock",
    "LiveQuoteBlock",
    "LiveListBlock",
    "LiveImageBlock",
    "LiveGalleryBlock",
    "LiveMoreBlock",
    "LiveEmbedBlock",
    "LIVE_BLOCKS",
    "block_fields",
    "same_kind",
]


class HttpsURLField(models.URLField):
    """A URL field whose form assumes https:// when the editor types a bare domain (Django 6's default)."""

    def formfield(self, **kwargs):
        return super().formfield(**{"assume_scheme": "https", **kwargs})


# A section's page lives at /<slug>/, so a section may not take the name of one of the site's own paths.
RESERVED_SECTION_SLUGS = frozenset(
    [
        "accounts",
        "api",
        "admin",
        "api",
        "author",
        "comments",
        "feeds",
        "media",
        "news-sitemap.xml",
        "notifications",
        "healthz",
        "jsi18n",
        "live",
        "readyz",
        "robots.txt",
        "saved",
        "search",
        "settings",
        "sitemap.xml",
        "static",
        "tag",
    ]
)


def validate_section_slug(value):
    if value in RESERVED_SECTION_SLUGS:
        raise ValidationError(
            gettext("“%(slug)s” is one of the site's own addresses; choose another slug.") % {"slug": value}
        )


class Section(models.Model):
    name = models.CharField(max_length=60, unique=True, help_text=_("Shown above headlines, e.g. “World”."))
    slug = models.SlugField(
        max_length=60,
        unique=True,
        validators=[validate_section_slug],
        help_text=_("The first part of every story URL in the section."),
    )
    order = models.PositiveSmallIntegerField(default=0, help_text=_("Sections are listed in this order, lowest first."))
    description = models.CharField(
        max_length=300, blank=True, help_text=_("One sentence for the section page and feeds.")
    )

    class Meta:
        ordering = ["order", "name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("articles:section", kwargs={"slug": self.slug})

    @property
    def surrogate_key(self) -> str:
        """The key shared caches tag its pages with, so that a purge of it retires them (docs/architecture.md)."""
        return f"section-{self.pk}"


class Author(models.Model):
    name = models.CharField(max_length=100, help_text=_("As printed in bylines."))
    slug = models.SlugField(max_length=100, unique=True, help_text=_("The author page's address."))
    bio = models.TextField(blank=True, help_text=_("One or two sentences for the author page."))
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="author_profile",
        help_text=_("The reporter's site account: their comments under their own stories carry an “Author” badge."),
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("articles:author", kwargs={"slug": self.slug})

    @property
    def surrogate_key(self) -> str:
        """The key shared caches tag its pages with, so that a purge of it retires them (docs/architecture.md)."""
        return f"author-{self.pk}"


class Tag(models.Model):
    name = models.CharField(max_length=60, unique=True, help_text=_("A topic shared by several stories."))
    slug = models.SlugField(max_length=60, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("articles:tag", kwargs={"slug": self.slug})

    @property
    def surrogate_key(self) -> str:
        """The key shared caches tag its pages with, so that a purge of it retires them (docs/architecture.md)."""
        return f"tag-{self.pk}"


class Image(models.Model):
    """A picture in the library; uploads are cleaned and resized by articles.images before they get here."""

    file = models.ImageField(upload_to="images/%Y/%m/", width_field="width", height_field="height")
    alt_text = models.CharField(
        max_length=250, help_text=_("What the picture shows, for readers who cannot see it. Required.")
    )
    credit = models.CharField(
        max_length=120, blank=True, help_text=_("“Agency / Photographer”, or just the agency. Stories may override it.")
    )
    width = models.PositiveIntegerField(editable=False, default=0)
    height = models.PositiveIntegerField(editable=False, default=0)
    focal_x = models.FloatField(
        default=0.5,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text=_("Horizontal centre of interest, 0 (left) to 1 (right); crops keep it in frame."),
    )
    focal_y = models.FloatField(
        default=0.5,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text=_("Vertical centre of interest, 0 (top) to 1 (bottom)."),
    )
    # [{"crop": "full", "width": 800, "height": 450, "format": "WEBP", "name": "renditions/..."}], written by services.
    renditions = models.JSONField(default=list, editable=False)
    # Why the last try at the renditions failed (articles.tasks); empty once they are made.
    renditions_error = models.TextField(blank=True, editable=False)
    uploaded_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-uploaded_at"]

    def __str__(self):
        return self.alt_text

    def renditions_of(self, crop="full", fmt="JPEG"):
        return sorted(
            (r for r in self.renditions if r["crop"] == crop and r["format"] == fmt), key=lambda r: r["width"]
        )

    def srcset(self, fmt="JPEG"):
        return ", ".join(f"{default_storage.url(r['name'])} {r['width']}w" for r in self.renditions_of("full", fmt))

    def rendition(self, crop="full", fmt="JPEG", width=1200):
        """{url, width, height} of the rendition closest to `width` (the widest below it, or the smallest one);
        the uploaded file itself when there is none."""
        candidates = self.renditions_of(crop, fmt)
        if not candidates:
            return {"url": self.file.url, "width": self.width, "height": self.height}
        chosen = ([r for r in candidates if r["width"] <= width] or candidates[:1])[-1]
        return {"url": default_storage.url(chosen["name"]), "width": chosen["width"], "height": chosen["height"]}

    def rendition_url(self, crop="full", fmt="JPEG", width=1200):
        return self.rendition(crop, fmt, width)["url"]


def live_q(*, through: str = "") -> Q:
    """published() as a condition, for a query that reaches stories through a relation (`through="article__"`)."""
    return Q(**{f"{through}status": Article.Status.PUBLISHED, f"{through}publish_at__lte": timezone.now()})


def visible_q(user, *, through: str = "") -> Q:
    """Who may open a story, as a condition (the one rule, also for what hangs on a story, such as its comments):
    the published ones; every story for staff, who preview drafts, stories in review and scheduled ones."""
    return Q() if user.is_staff else live_q(through=through)


class ArticleQuerySet(models.QuerySet):
    def published(self):
        """Stories a reader may see: published, and due (a future `publish_at` is a scheduled story)."""
        return self.filter(live_q())

    def visible_to(self, user):
        """The stories `user` may open: the published ones; every story for staff, who preview drafts, stories in
        review and scheduled ones at their real address."""
        return self.filter(visible_q(user))

    def for_listing(self):
        """What a list of story cards shows, in a fixed number of queries."""
        return self.select_related("section", "lead__image").prefetch_related("bylines__author")


class Article(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        REVIEW = "review", _("In review")
        PUBLISHED = "published", _("Published")

    headline = models.CharField(max_length=200, help_text=_("One line; keep it under about 120 characters."))
    deck = models.CharField(
        max_length=400,
        help_text=_("One or two sentences under the headline; also the description for search and feeds."),
    )
    slug = models.SlugField(max_length=200, unique=True, help_text=_("The last part of the story's URL."))
    section = models.ForeignKey(Section, on_delete=models.PROTECT, related_name="articles")
    authors = models.ManyToManyField(Author, through="Byline", related_name="articles")
    # The body is its blocks (BODY_BLOCKS, below); this is their words as plain text, written by
    # services.article_body_refresh whenever they change: what search indexes (its triggers read this column),
    # JSON-LD's articleBody and the word count read, without loading every block.
    body = models.TextField(blank=True, editable=False)
    status = models.CharField(max_length=10, choices=Status, default=Status.DRAFT)
    publish_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_("When the story goes live. A future time schedules it; empty means on publish."),
    )
    updated_at = models.DateTimeField(
        null=True, blank=True, help_text=_("Set only for a substantive update; shown to readers as “Updated”.")
    )
    correction = models.TextField(blank=True, help_text=_("A correction note shown at the foot of the story."))
    tags = models.ManyToManyField(Tag, blank=True, related_name="articles")
    # The workflow (issue 16): a reporter submits a story "In review" with a note; an editor publishes it.
    review_note = models.TextField(
        _("note to the editor"),
        blank=True,
        help_text=_(
            "What the editor should check before publishing: sources, timing, legal worries. Never shown to "
            "readers; required when a story goes into review."
        ),
    )
    # Headlines for other places (issue 16): each falls back to the headline or the deck when empty.
    social_headline = models.CharField(
        max_length=200,
        blank=True,
        help_text=_(
            "The title of the card on social networks (Open Graph, Twitter). About 60 to 90 characters; "
            "empty means the headline."
        ),
    )
    social_description = models.CharField(
        max_length=300,
        blank=True,
        help_text=_(
            "The text of the social card. About 150 characters, most networks cut the rest; empty means the deck."
        ),
    )
    seo_title = models.CharField(
        _("search title"),
        max_length=200,
        blank=True,
        help_text=_(
            "The page title in the browser tab and search results. About 60 characters (the site's name is "
            "added after it); empty means the headline."
        ),
    )
    seo_description = models.CharField(
        _("search description"),
        max_length=300,
        blank=True,
        help_text=_("The snippet under the title in search results. About 155 characters; empty means the deck."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    modified_at = models.DateTimeField(auto_now=True)
    # Counts the saves of the story, so that a save from a form loaded before another one is refused rather than
    # undoing it (optimistic locking, articles.admin_editing); bumped by every admin save and publishing action.
    edit_version = models.PositiveIntegerField(default=1, editable=False)
    # The story's weighted words on PostgreSQL, written by the database itself (a trigger, migration 0010) whenever
    # the headline, deck or body change, whatever writes the row; searched through a GIN index and ranked from this
    # column (articles.search). Always empty on SQLite, whose search has its own FTS5 table.
    search_document = SearchVectorField(null=True, editable=False)
    # Live coverage (issue 18): a live blog is a story whose page also lists timestamped entries (LiveEntry).
    is_live_blog = models.BooleanField(
        _("live blog"),
        default=False,
        help_text=_(
            "The story page lists live entries under the summary, newest first, and readers are offered "
            "new ones as they are published."
        ),
    )
    live_ended_at = models.DateTimeField(
        _("live coverage ended"),
        null=True,
        blank=True,
        help_text=_("When the live coverage ended; empty while it runs. Readers' pages stop asking for new entries."),
    )
    # Counts the writes to the live blog's entries (services.live_entry_save and friends, the one place that bumps
    # it): what a reader's page was rendered at, and what the "since" endpoint compares it with (live-contract).
    live_version = models.PositiveIntegerField(default=0, editable=False)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["-publish_at", "-pk"]
        # Editors hold it (newsroom.services); reporters write and submit for review without it.
        permissions = [("publish_article", _("Can publish, schedule and unpublish stories"))]
        indexes = [
            models.Index(fields=["status", "-publish_at"], name="article_live_idx"),
            # Keyset pages of a section (articles.views): its live stories newest first, read in index order.
            models.Index(fields=["section", "-publish_at", "-id"], name="article_section_time_idx"),
        ]

    def __str__(self):
        return self.headline

    def get_absolute_url(self):
        day = self.dateline
        return reverse(
            "articles:detail",
            kwargs={
                "section": self.section.slug,
                "year": day.year,
                "month": f"{day.month:02d}",
                "day": f"{day.day:02d}",
                "slug": self.slug,
            },
        )

    @property
    def surrogate_key(self) -> str:
        """The key shared caches tag its pages with, so that a purge of it retires them (docs/architecture.md)."""
        return f"story-{self.pk}"

    @property
    def dateline(self):
        """The date in the story's URL: when it went (or will go) live; a never-published draft uses its creation."""
        return timezone.localdate(self.publish_at or self.created_at or timezone.now())

    @property
    def is_live(self):
        return (
            self.status == self.Status.PUBLISHED and self.publish_at is not None and self.publish_at <= timezone.now()
        )

    @property
    def is_scheduled(self):
        return self.status == self.Status.PUBLISHED and self.publish_at is not None and self.publish_at > timezone.now()

    # django-content-editor: the one region the body's blocks live in.
    regions = [Region(key="body", title="Body")]

    @property
    def byline_authors(self):
        return [byline.author for byline in self.bylines.all()]

    # What other places show instead of the headline and deck, where the editor wrote something for them.
    @property
    def search_title(self):
        return self.seo_title or self.headline

    @property
    def search_description(self):
        return self.seo_description or self.deck

    @property
    def social_title(self):
        return self.social_headline or self.headline

    @property
    def social_text(self):
        return self.social_description or self.deck


class Byline(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="bylines")
    author = models.ForeignKey(Author, on_delete=models.PROTECT, related_name="bylines")
    order = models.PositiveSmallIntegerField(default=0, help_text=_("Authors are named in this order."))

    class Meta:
        ordering = ["order", "pk"]
        constraints = [models.UniqueConstraint(fields=["article", "author"], name="byline_unique_author")]

    def __str__(self):
        return gettext("%(author)s on %(story)s") % {"author": self.author, "story": self.article}


class LeadImage(models.Model):
    """The picture at the top of one story, with the caption and credit that belong to this use of it."""

    article = models.OneToOneField(Article, on_delete=models.CASCADE, related_name="lead")
    image = models.ForeignKey(Image, on_delete=models.PROTECT, related_name="uses")
    caption = models.CharField(max_length=400, help_text=_("What is in the picture, and where."))
    credit = models.CharField(max_length=120, blank=True, help_text=_("Overrides the library credit for this story."))

    def __str__(self):
        return gettext("Lead image of %(story)s") % {"story": self.article}

    @property
    def effective_credit(self):
        return self.credit or self.image.credit


class SlugHistory(models.Model):
    """A slug a story used to have, so old links keep working (301 to the current address)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="old_slugs")
    slug = models.SlugField(max_length=200, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = _("slug history")

    def __str__(self):
        return self.slug


class SavedArticle(models.Model):
    """A story on a reader's "Read later" list."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_articles")
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="saved_by")
    saved_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-saved_at"]
        constraints = [models.UniqueConstraint(fields=["user", "article"], name="saved_article_once")]

    def __str__(self):
        return gettext("%(story)s saved by %(user)s") % {"story": self.article, "user": self.user}


class StorySearchEntry(models.Model):
    """A story's row in SQLite's full-text index (FTS5), which triggers keep in step with the story; see
    articles.search. The table exists on SQLite only: PostgreSQL searches the stories themselves."""

    article = models.OneToOneField(
        Article, primary_key=True, db_column="rowid", on_delete=models.DO_NOTHING, related_name="search_entry"
    )
    # FTS5's hidden column named after the table: the left side of MATCH and the first argument of bm25().
    document = models.TextField(db_column="articles_storysearch")

    class Meta:
        managed = False
        db_table = "articles_storysearch"

    def __str__(self):
        return gettext("Search entry of %(story)s") % {"story": self.article_id}


class LiveEntryQuerySet(models.QuerySet):
    def published(self):
        """Entries readers see: published and due."""
        return self.filter(status=LiveEntry.Status.PUBLISHED, published_at__lte=timezone.now())

    def for_page(self):
        """What an entry on the page, the fragment and the feed shows, in a fixed number of queries."""
        return self.select_related("promoted_to__section").prefetch_related("authors")


class LiveEntry(models.Model):
    """A timestamped update of a live blog, newest first on the story's page."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    article = models.ForeignKey(
        Article,
        on_delete=models.CASCADE,
        related_name="live_entries",
        limit_choices_to={"is_live_blog": True},
        help_text=_("The live blog this entry belongs to."),
    )
    headline = models.CharField(max_length=200, blank=True, help_text=_("Optional: one line above the entry."))
    # The body is its blocks (LIVE_BLOCKS, the kinds of a story's body); this is their words as plain text, written
    # by services.live_entry_body_refresh whenever they change: what the entry's title falls back on (the key events,
    # the admin's list), JSON-LD's articleBody and a promoted story's deck read, without loading every block.
    body_text = models.TextField(blank=True, editable=False)
    authors = models.ManyToManyField(
        Author, blank=True, related_name="live_entries", help_text=_("Who wrote the entry; shown beside its time.")
    )
    status = models.CharField(max_length=10, choices=Status, default=Status.PUBLISHED)
    published_at = models.DateTimeField(
        default=timezone.now, help_text=_("The time shown on the entry; entries are listed newest first by it.")
    )
    updated_at = models.DateTimeField(auto_now=True)
    is_key_event = models.BooleanField(
        _("key event"), default=False, help_text=_("Listed under “Key events” at the top and kept by the filter.")
    )
    is_pinned = models.BooleanField(
        _("pinned"), default=False, help_text=_("Shown first, above the key events; one pinned entry per live blog.")
    )
    correction = models.TextField(blank=True, help_text=_("A correction note shown under the entry."))
    promoted_to = models.OneToOneField(
        Article,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="live_source",
        help_text=_("The story made from this entry (the admin's “Promote to a story”); the entry links to it."),
    )
    # The blog's live_version when the entry was first published: "since" counts the entries above a version, so an
    # edit of an old entry (which bumps the blog's version) is not announced as a new one.
    version = models.PositiveIntegerField(default=0, editable=False)

    objects = LiveEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-pk"]
        verbose_name = _("live entry")
        verbose_name_plural = _("live entries")
        indexes = [models.Index(fields=["article", "-published_at", "-id"], name="liveentry_blog_time_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["article"],
                condition=Q(is_pinned=True),
                name="liveentry_one_pinned",
                violation_error_message=_("This live blog already has a pinned entry: unpin it first."),
            )
        ]

    def __str__(self):
        return self.headline or Truncator(self.body_text).words(10, truncate=" …")

    def get_absolute_url(self):
        return f"{self.article.get_absolute_url()}#{self.anchor}"

    @property
    def anchor(self) -> str:
        return f"entry-{self.pk}"

    @property
    def is_visible(self) -> bool:
        return self.status == self.Status.PUBLISHED and self.published_at <= timezone.now()

    # django-content-editor: the one region an entry's blocks live in, as a story's.
    regions = [Region(key="body", title="Body")]


# ------------------------------------------------------------------------------
# The body: blocks an editor adds, moves and removes (django-content-editor), in the order of their `ordering`.
# Each kind is its own small table, with real foreign keys for what it points at (a library image, a story), so a
# MORE link follows its story's headline and an inline image its library picture. articles.body renders them.
#
# A story's body and a live entry's are made of the same kinds: each kind's fields, template and summary are one
# abstract class (TextFields), and each parent has its table of it (TextBlock for stories, LiveTextBlock for
# entries), so both render with the same templates and an entry's blocks copy field by field into a story's.
# ------------------------------------------------------------------------------
BlockBase = create_plugin_base(Article)
LiveBlockBase = create_plugin_base(LiveEntry)

# What django-prose-editor offers the editor and, the same list, what nh3 keeps on save: anything else is cleaned.
INLINE_MARKS = {"Bold": True, "Italic": True, "Link": {"enableTarget": False, "protocols": ["http", "https", "mailto"]}}
TEXT_EXTENSIONS = {**INLINE_MARKS, "HardBreak": True}
LIST_EXTENSIONS = {**INLINE_MARKS, "BulletList": True, "OrderedList": True, "ListItem": True}


class BlockFields(models.Model):
    """What every kind of block shares, in a story or an entry: its template and a few words of it."""

    template_name = ""

    class Meta:
        abstract = True

    def __str__(self):
        """A few words of the block: its title in the admin's list of blocks and in revision diffs."""
        return Truncator(strip_tags(self.summary)).words(10, truncate=" …")

    @property
    def summary(self) -> str:
        return self.text


class Block(BlockBase):
    """A block of a story's body: its place in the story (parent, region, ordering)."""

    class Meta(BlockBase.Meta):
        abstract = True


class LiveBlock(LiveBlockBase):
    """A block of a live entry's body: its place in the entry."""

    class Meta(LiveBlockBase.Meta):
        abstract = True


class TextFields(BlockFields):
    """Paragraphs, with links, emphasis and line breaks."""

    text = ProseEditorField(extensions=TEXT_EXTENSIONS, sanitize=True, help_text=_("One or more paragraphs."))
    template_name = "articles/blocks/text.html"

    class Meta:
        abstract = True
        verbose_name = _("text")
        verbose_name_plural = _("text")


class HeadingFields(BlockFields):
    class Level(models.IntegerChoices):
        SUBHEADING = 2, _("Subheading")
        MINOR = 3, _("Minor subheading")

    text = models.CharField(max_length=200)
    level = models.PositiveSmallIntegerField(choices=Level, default=Level.SUBHEADING)
    template_name = "articles/blocks/heading.html"

    class Meta:
        abstract = True
        verbose_name = _("subheading")


class QuoteFields(BlockFields):
    class Style(models.TextChoices):
        BLOCK = "block", _("Block quote (in the text)")
        PULL = "pull", _("Pull quote (set apart, large)")

    text = ProseEditorField(extensions=INLINE_MARKS, sanitize=True, help_text=_("The words quoted."))
    attribution = models.CharField(
        max_length=200, blank=True, help_text=_("Who said or wrote it, e.g. “Maria Ortiz, mayor”.")
    )
    style = models.CharField(max_length=5, choices=Style, default=Style.BLOCK)
    template_name = "articles/blocks/quote.html"

    class Meta:
        abstract = True
        verbose_name = _("quote")


class ListFields(BlockFields):
    items = ProseEditorField(
        extensions=LIST_EXTENSIONS,
        sanitize=True,
        help_text=_("A bulleted or a numbered list (the toolbar's list buttons)."),
    )
    template_name = "articles/blocks/list.html"

    class Meta:
        abstract = True
        verbose_name = _("list")

    @property
    def summary(self):
        return self.items.replace("</li>", "</li> · ")


class ImageFields(BlockFields):
    """A picture from the library inside the body, with the caption and credit of this use of it."""

    # Each table's own reverse name, e.g. Image.imageblock_uses and Image.liveimageblock_uses.
    image = models.ForeignKey(Image, on_delete=models.PROTECT, related_name="%(class)s_uses")
    caption = models.CharField(max_length=400, help_text=_("What is in the picture, and where."))
    credit = models.CharField(max_length=120, blank=True, help_text=_("Overrides the library credit for this story."))
    template_name = "articles/blocks/image.html"

    class Meta:
        abstract = True
        verbose_name = _("image")

    @property
    def summary(self):
        return self.caption

    @property
    def effective_credit(self):
        return self.credit or self.image.credit


class Gallery(models.Model):
    """Pictures shown together, each with its caption and credit; a gallery block places one in a story."""

    title = models.CharField(max_length=200, help_text=_("Shown above the pictures, e.g. “The flood in pictures”."))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = _("galleries")

    def __str__(self):
        return self.title


class GalleryImage(models.Model):
    gallery = models.ForeignKey(Gallery, on_delete=models.CASCADE, related_name="items")
    image = models.ForeignKey(Image, on_delete=models.PROTECT, related_name="gallery_uses")
    caption = models.CharField(max_length=400)
    credit = models.CharField(max_length=120, blank=True, help_text=_("Overrides the library credit."))
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("picture")

    def __str__(self):
        return gettext("%(image)s in %(gallery)s") % {"image": self.image, "gallery": self.gallery}

    @property
    def effective_credit(self):
        return self.credit or self.image.credit


class GalleryFields(BlockFields):
    gallery = models.ForeignKey(Gallery, on_delete=models.PROTECT, related_name="%(class)s_uses")
    template_name = "articles/blocks/gallery.html"

    class Meta:
        abstract = True
        verbose_name = _("gallery")

    @property
    def summary(self):
        return self.gallery.title if self.gallery_id else ""


class MoreFields(BlockFields):
    """A "MORE:" link to another story of the site (its current headline is the text) or to an outside address.
    A story deleted later leaves the block pointing nowhere: hidden from readers, listed in the admin as broken."""

    target = models.ForeignKey(
        Article,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="%(class)s_links",
        help_text=_("A story of this site. Its current headline is the link text unless a label is given."),
    )
    url = HttpsURLField("URL", blank=True, help_text=_("Or an outside address (then a label is required)."))
    label = models.CharField(max_length=200, blank=True, help_text=_("Link text; empty means the story's headline."))
    # The target's headline when the block was saved: names the link in the admin once the story is deleted.
    target_headline = models.CharField(max_length=200, blank=True, editable=False)
    template_name = "articles/blocks/more.html"

    class Meta:
        abstract = True
        verbose_name = _("MORE link")
        constraints = [
            models.CheckConstraint(
                condition=Q(target__isnull=True) | Q(url=""),
                name="%(class)s_story_or_url",
                violation_error_message=_("A MORE link points either at a story or at an outside address."),
            ),
            models.CheckConstraint(
                condition=Q(url="") | ~Q(label=""),
                name="%(class)s_url_needs_label",
                violation_error_message=_("A link to an outside address needs a label."),
            ),
        ]

    def save(self, *args, **kwargs):
        if self.target_id:
            self.target_headline = self.target.headline
        super().save(*args, **kwargs)

    def clean(self):
        if self.target_id is None and not self.url:
            raise ValidationError(gettext("Choose a story or type an outside address."))
        if self.target_id and self.url:
            raise ValidationError(gettext("A MORE link points either at a story or at an outside address, not both."))
        if self.url and not self.label:
            raise ValidationError({"label": gettext("A link to an outside address needs a label.")})

    @property
    def summary(self):
        if self.is_broken:
            if self.target_headline:
                return gettext("Broken: “%(headline)s” was deleted") % {"headline": self.target_headline}
            return gettext("Broken link")
        return self.text if (self.target_id or self.url) else ""

    @property
    def is_broken(self) -> bool:
        return self.target_id is None and not self.url

    @property
    def text(self):
        return self.label or (self.target.headline if self.target_id else self.url)

    @property
    def href(self):
        return self.target.get_absolute_url() if self.target_id else self.url


class EmbedFields(BlockFields):
    """A video or a post from an allow-listed service (articles.embeds), shown as a link card: nothing loads from
    the service until the reader asks for it."""

    url = HttpsURLField(_("address"), validators=[embeds.validate_embed_url], help_text=embeds.HELP_TEXT)
    title = models.CharField(
        max_length=200, help_text=_("What the video or post is, for the card, e.g. “The flood at dawn”.")
    )
    caption = models.CharField(max_length=400, blank=True)
    template_name = "articles/blocks/embed.html"

    class Meta:
        abstract = True
        verbose_name = _("embed")

    @property
    def summary(self):
        return self.title

    @cached_property
    def embed(self) -> embeds.Embed:
        return embeds.parse(self.url)


# Each kind twice, its fields first: a story's (Block) and an entry's (LiveBlock). Meta takes the kind's names and
# constraints and the parent's ordering.
class TextBlock(TextFields, Block):
    class Meta(TextFields.Meta, Block.Meta):
        pass


class HeadingBlock(HeadingFields, Block):
    class Meta(HeadingFields.Meta, Block.Meta):
        pass


class QuoteBlock(QuoteFields, Block):
    class Meta(QuoteFields.Meta, Block.Meta):
        pass


class ListBlock(ListFields, Block):
    class Meta(ListFields.Meta, Block.Meta):
        pass


class ImageBlock(ImageFields, Block):
    class Meta(ImageFields.Meta, Block.Meta):
        pass


class GalleryBlock(GalleryFields, Block):
    class Meta(GalleryFields.Meta, Block.Meta):
        pass


class MoreBlock(MoreFields, Block):
    class Meta(MoreFields.Meta, Block.Meta):
        pass


class EmbedBlock(EmbedFields, Block):
    class Meta(EmbedFields.Meta, Block.Meta):
        pass


class LiveTextBlock(TextFields, LiveBlock):
    class Meta(TextFields.Meta, LiveBlock.Meta):
        pass


class LiveHeadingBlock(HeadingFields, LiveBlock):
    class Meta(HeadingFields.Meta, LiveBlock.Meta):
        pass


class LiveQuoteBlock(QuoteFields, LiveBlock):
    class Meta(QuoteFields.Meta, LiveBlock.Meta):
        pass


class LiveListBlock(ListFields, LiveBlock):
    class Meta(ListFields.Meta, LiveBlock.Meta):
        pass


class LiveImageBlock(ImageFields, LiveBlock):
    class Meta(ImageFields.Meta, LiveBlock.Meta):
        pass


class LiveGalleryBlock(GalleryFields, LiveBlock):
    class Meta(GalleryFields.Meta, LiveBlock.Meta):
        pass


class LiveMoreBlock(MoreFields, LiveBlock):
    class Meta(MoreFields.Meta, LiveBlock.Meta):
        pass


class LiveEmbedBlock(EmbedFields, LiveBlock):
    class Meta(EmbedFields.Meta, LiveBlock.Meta):
        pass


# Every kind of block, in the order the admin's "add" menu offers them: a story's, and a live entry's (all of them:
# live coverage quotes, lists, shows pictures and video, and links to the full story).
BODY_BLOCKS = [TextBlock, HeadingBlock, QuoteBlock, ListBlock, ImageBlock, GalleryBlock, MoreBlock, EmbedBlock]
LIVE_BLOCKS = [
    LiveTextBlock,
    LiveHeadingBlock,
    LiveQuoteBlock,
    LiveListBlock,
    LiveImageBlock,
    LiveGalleryBlock,
    LiveMoreBlock,
    LiveEmbedBlock,
]


def block_fields(kind: type[BlockFields]) -> type[BlockFields]:
    """The abstract class of a kind's own fields, TextFields for TextBlock and LiveTextBlock: every kind is declared
    as (its fields, its parent's block), above."""
    return kind.__bases__[0]


def same_kind(kind: type[BlockFields], kinds: list[type[BlockFields]]) -> type[BlockFields]:
    """The kind among `kinds` made of the same fields as `kind` (LiveTextBlock for TextBlock, and back)."""
    fields = block_fields(kind)
    return next(other for other in kinds if issubclass(other, fields))
