"""Writes with side effects for stories, images and reading lists."""

import reversion
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import Truncator, slugify
from django.utils.translation import gettext as _

from articles import body, images, signals
from articles.models import (
    BODY_BLOCKS,
    LIVE_BLOCKS,
    Article,
    Byline,
    Image,
    LiveEntry,
    SavedArticle,
    SlugHistory,
    block_fields,
    same_kind,
)
from newsroom import edge
from newsroom.tasks import can_defer, enqueue_on_commit

__all__ = [
    "LISTS_KEY",
    "article_changed",
    "story_announce_scheduled",
    "article_body_refresh",
    "article_add_block",
    "article_publish",
    "article_unpublish",
    "article_record_slug_change",
    "article_claim_edit_version",
    "image_clean",
    "image_create",
    "image_save",
    "image_make_renditions",
    "image_delete",
    "saved_article_toggle",
    "saved_article_add",
    "live_blog_changed",
    "live_entry_save",
    "live_entry_body_refresh",
    "live_entry_delete",
    "live_entry_promote",
    "block_copy",
]


# Every list of stories carries this surrogate key too (articles.views): a story published, changed or withdrawn
# purges them all.
LISTS_KEY = "stories"


def article_changed(*, article: Article, was_live: bool | None = None) -> None:
    """What readers see of the story changed (published, withdrawn, edited): once this commits, the edge drops its
    pages and every list of stories (newsroom.edge), and articles.signals says it was published (`was_live` False
    and live now) or updated (live now; `was_live` None when the caller did not know)."""
    edge.purge_on_commit(article.surrogate_key, LISTS_KEY)
    signals.story_changed_on_commit(article, was_live=was_live)
    if article.is_scheduled and can_defer():
        # No code runs when a scheduled story goes live by its clock: a task waits for that moment to announce it.
        from articles.tasks import announce_scheduled_story

        wait = (article.publish_at - timezone.now()).total_seconds()
        enqueue_on_commit(announce_scheduled_story, article.pk, article.publish_at.isoformat(), delay=int(wait) + 1)


def story_announce_scheduled(*, article_pk: int, publish_at: str) -> bool:
    """A scheduled story's time came: send articles.signals.story_published if it is live at the time it was
    scheduled for (not rescheduled, not withdrawn), once: each save of a scheduled story enqueues a task for it, and
    the first to take the shared cache's key announces it."""
    article = Article.objects.select_related("section").filter(pk=article_pk).first()
    if article is None or not article.is_live or article.publish_at.isoformat() != publish_at:
        return False
    if not cache.add(f"story-announced:{article_pk}:{publish_at}", 1, timeout=7 * 24 * 3600):
        return False
    signals.send_on_commit(signals.story_published, Article, article=article)
    return True


def article_body_refresh(*, article: Article, was_live: bool | None = None) -> None:
    """Write the body's words (Article.body) from its blocks, after they change: search's triggers re-index the
    story when they differ. The admin calls this after every save of a story, so it is where an edit is purged
    (and announced: `was_live`, whether readers saw the story before the save, as for article_changed)."""
    words = body.plain_text(body.blocks(article))
    if words != article.body:
        article.body = words
        Article.objects.filter(pk=article.pk).update(body=words)
    article_changed(article=article, was_live=was_live)


def article_add_block(*, article: Article, block, ordering: int | None = None):
    """Put `block` (an unsaved block of any kind) at the end of the story's body, or at `ordering`: checked and
    cleaned as the editor's saves are (the rich text by its allow list), then the body's words rewritten."""
    block.parent = article
    block.region = "body"
    if ordering is None:
        ordering = max((existing.ordering for existing in body.blocks(article)), default=0) + 10
    block.ordering = ordering
    block.full_clean()
    block.save()
    article_body_refresh(article=article)
    return block


PUBLISH_PERMISSION = "articles.publish_article"


def _may_publish(user) -> None:
    # Every way a story goes live or stops being live passes the acting user here: reporters cannot.
    if not user.has_perm(PUBLISH_PERMISSION):
        raise PermissionDenied(_("Only editors publish, schedule and unpublish stories."))


def article_claim_edit_version(*, article_pk: int, loaded: int) -> bool:
    """Take the next edit version of a story for a save made from what was loaded at `loaded`: False when someone
    saved since. One conditional UPDATE, so of two saves loaded at the same version exactly one wins; the row stays
    locked until the caller's transaction ends."""
    return bool(Article.objects.filter(pk=article_pk, edit_version=loaded).update(edit_version=loaded + 1))


def _bump_edit_version(article: Article) -> None:
    # Whatever the version is now: an action does not come from a form, but an open form must learn of it.
    Article.objects.filter(pk=article.pk).update(edit_version=F("edit_version") + 1)
    article.edit_version = Article.objects.values_list("edit_version", flat=True).get(pk=article.pk)


def article_publish(*, article: Article, by, at=None) -> Article:
    """`by` publishes now, or at `at` (a future time schedules the story; readers see it from then on), as a
    revision; refused (PermissionDenied) unless `by` holds the publish permission."""
    _may_publish(by)
    was_live = article.is_live
    with reversion.create_revision():
        article.status = Article.Status.PUBLISHED
        if at is not None:
            article.publish_at = at
        elif article.publish_at is None or article.publish_at > timezone.now():
            article.publish_at = timezone.now()
        article.full_clean()
        _bump_edit_version(article)
        article.save(update_fields=["status", "publish_at", "modified_at", "edit_version"])
        reversion.set_user(by)
        reversion.set_comment("Published." if article.publish_at <= timezone.now() else "Scheduled.")
    article_changed(article=article, was_live=was_live)
    return article


def article_unpublish(*, article: Article, by) -> Article:
    """`by` takes the story off the site (back to draft), as a revision; refused unless `by` may publish."""
    _may_publish(by)
    with reversion.create_revision():
        article.status = Article.Status.DRAFT
        _bump_edit_version(article)
        article.save(update_fields=["status", "modified_at", "edit_version"])
        reversion.set_user(by)
        reversion.set_comment("Unpublished.")
    article_changed(article=article, was_live=True)
    return article


def article_record_slug_change(*, article: Article, old_slug: str) -> None:
    """Keep an old slug so that links to it redirect; a slug taken back by its story stops being "old"."""
    if old_slug and old_slug != article.slug:
        SlugHistory.objects.update_or_create(slug=old_slug, defaults={"article": article})
    SlugHistory.objects.filter(slug=article.slug).delete()


def image_clean(file) -> images.CleanImage:
    """Refuse what is not a safe JPEG, PNG, WebP or GIF within the caps; re-encode it without metadata."""
    return images.clean_upload(file, max_bytes=settings.IMAGE_MAX_UPLOAD_BYTES, max_pixels=settings.IMAGE_MAX_PIXELS)


def image_create(
    *,
    file,
    alt_text: str,
    credit: str = "",
    focal_x: float = 0.5,
    focal_y: float = 0.5,
    renditions_now: bool = False,
) -> Image:
    image = Image(alt_text=alt_text, credit=credit, focal_x=focal_x, focal_y=focal_y)
    return image_save(
        image=image, clean=image_clean(file), name=getattr(file, "name", ""), renditions_now=renditions_now
    )


@transaction.atomic
def image_save(
    *, image: Image, clean: images.CleanImage | None = None, name: str = "", renditions_now: bool = False
) -> Image:
    """Store an image; `clean` replaces its file. The renditions follow the file and the focal point in a task once
    this commits (`renditions_now`: here, for commands), so an upload answers with the cleaned original at once;
    until they exist, pages use the original (Image.rendition)."""
    stale = []
    if clean is not None:
        stem = slugify(name.rsplit("/", 1)[-1].rsplit(".", 1)[0])[:60] or "image"
        image.file.save(f"{stem}.{clean.extension}", ContentFile(clean.content), save=False)
        # The old picture's renditions must not stand in for the new one meanwhile.
        stale, image.renditions = [r["name"] for r in image.renditions], []
    image.full_clean()
    image.save()
    if renditions_now:
        image_make_renditions(image_pk=image.pk, **_rendition_args(image, stale))
        image.refresh_from_db(fields=["renditions", "renditions_error"])
    else:
        from articles.tasks import make_image_renditions

        enqueue_on_commit(make_image_renditions, image.pk, *_rendition_args(image, stale).values())
    return image


def _rendition_args(image: Image, stale: list[str]) -> dict:
    # What the renditions are made of: a task that finds the image changed since leaves it to the later one.
    return {"file_name": image.file.name, "focal_x": image.focal_x, "focal_y": image.focal_y, "stale": stale}


class RenditionsFailed(Exception):
    """The renditions could not be made; the message says why, for the editor."""


def image_make_renditions(*, image_pk: int, file_name: str, focal_x: float, focal_y: float, stale=()) -> bool:
    """Cut the resized copies served in srcset and social cards from the stored original, store them and swap them
    in; returns False when the image changed or went since (a later task has it). A file that cannot be decoded is
    recorded on the image (the admin shows it) and not retried; a storage error is recorded and raised, so the
    task is retried."""
    current = Image.objects.filter(pk=image_pk, file=file_name, focal_x=focal_x, focal_y=focal_y)
    image = current.first()
    if image is None:
        return False
    try:
        with image.file.open("rb") as f:
            content = f.read()
    except Exception as error:  # whatever the storage backend raises (OSError, botocore's errors)
        _renditions_failed(current, f"the stored original could not be read ({_reason(error)})")
        raise
    try:
        made = images.make_renditions(content, focal_x=focal_x, focal_y=focal_y)
    except images.DECODE_ERRORS as error:
        _renditions_failed(current, f"the stored file is not a readable image ({_reason(error)})")
        return False
    renditions = []
    try:
        for rendition in made:
            extension = "webp" if rendition.format == "WEBP" else "jpg"
            stored = default_storage.save(
                f"renditions/{image_pk}/{rendition.crop}-{rendition.width}.{extension}",
                ContentFile(rendition.content),
            )
            renditions.append(
                {
                    "crop": rendition.crop,
                    "width": rendition.width,
                    "height": rendition.height,
                    "format": rendition.format,
                    "name": stored,
                }
            )
    except Exception as error:  # the storage backend's errors
        _delete_files([r["name"] for r in renditions])
        _renditions_failed(current, f"the renditions could not be stored ({_reason(error)})")
        raise
    with transaction.atomic():
        locked = current.select_for_update().first()
        if locked is None:
            swapped = False
        else:
            replaced = [r["name"] for r in locked.renditions]
            swapped = bool(current.update(renditions=renditions, renditions_error=""))
    if not swapped:
        _delete_files([r["name"] for r in renditions])
        return False
    kept = {r["name"] for r in renditions}
    _delete_files([name for name in [*replaced, *stale] if name not in kept])
    return True


def _renditions_failed(current, reason: str) -> None:
    current.update(renditions_error=f"Renditions could not be made: {reason}.")


def _reason(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:300]


def _delete_files(names) -> None:
    for name in names:
        default_storage.delete(name)


def image_delete(*, image: Image) -> None:
    """Delete an image no story uses, with its original and renditions in storage (LeadImage protects used ones)."""
    names = [image.file.name, *(r["name"] for r in image.renditions)]
    image.delete()
    transaction.on_commit(lambda: _delete_files(names))


def saved_article_add(*, user, article: Article) -> SavedArticle:
    saved, _created = SavedArticle.objects.get_or_create(user=user, article=article)
    return saved


def saved_article_toggle(*, user, article: Article) -> bool:
    """Save the story for later, or take it off the list; returns whether it is saved now."""
    deleted, _counts = SavedArticle.objects.filter(user=user, article=article).delete()
    if deleted:
        return False
    saved_article_add(user=user, article=article)
    return True


# ------------------------------------------------------------------------------
# Live blogs (issue 18): every write to a blog's entries passes live_blog_changed, which bumps the blog's
# live_version (what readers' pages poll, docs/architecture.md "Live blogs") and purges the story's pages.
# ------------------------------------------------------------------------------
def live_blog_changed(*, article_pk: int) -> int:
    """Bump the blog's live_version, inside the caller's transaction, and purge its pages once it commits; returns
    the new version. The UPDATE locks the story's row until the transaction ends, so two entry writes to one blog
    take consecutive versions."""
    Article.objects.filter(pk=article_pk).update(live_version=F("live_version") + 1)
    edge.purge_on_commit(Article(pk=article_pk).surrogate_key)
    return Article.objects.values_list("live_version", flat=True).get(pk=article_pk)


@transaction.atomic
def live_entry_save(*, entry: LiveEntry, authors=None, blocks=None) -> LiveEntry:
    """Check and save an entry (new or edited; `authors`, when given, replace its authors, and `blocks`, unsaved
    blocks of LIVE_BLOCKS' kinds, its body), bumping its blog's version. An entry takes the version at which it is
    first published, so readers are offered it once, with its blocks: they are written in the same transaction."""
    entry.full_clean()
    version = live_blog_changed(article_pk=entry.article_id)
    if entry.status == LiveEntry.Status.PUBLISHED and not entry.version:
        entry.version = version
    entry.save()
    if authors is not None:
        entry.authors.set(authors)
    if blocks is not None:
        for kind in LIVE_BLOCKS:
            kind.objects.filter(parent=entry).delete()
        for ordering, block in enumerate(blocks, start=1):
            block.parent, block.region, block.ordering = entry, "body", ordering * 10
            block.full_clean()
            block.save()
        live_entry_body_refresh(entry=entry)
    return entry


def live_entry_body_refresh(*, entry: LiveEntry) -> None:
    """Write the entry's words (LiveEntry.body_text) from its blocks, after they change (the admin calls this once
    its inlines are saved)."""
    words = body.plain_text(body.blocks(entry))
    if words != entry.body_text:
        entry.body_text = words
        LiveEntry.objects.filter(pk=entry.pk).update(body_text=words)


@transaction.atomic
def live_entry_delete(*, entry: LiveEntry) -> None:
    article_pk = entry.article_id
    entry.delete()
    live_blog_changed(article_pk=article_pk)


PROMOTED_HEADLINE_WORDS = 14
PROMOTED_DECK_WORDS = 40


def _free_slug(headline: str) -> str:
    stem = slugify(headline)[:180] or "story"
    slug, n = stem, 1
    while Article.objects.filter(slug=slug).exists() or SlugHistory.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{stem}-{n}"
    return slug


@transaction.atomic
def live_entry_promote(*, entry: LiveEntry) -> Article:
    """Make a draft story of an entry: its headline (or its first words), its blocks as the story's body (the same
    kinds, copied field by field), the blog's section, the entry's authors (the blog's when it has none); the entry
    and the story link to each other. An entry promoted already returns its story (one story per entry)."""
    entry = LiveEntry.objects.select_for_update().select_related("article").get(pk=entry.pk)
    if entry.promoted_to_id:
        return entry.promoted_to
    blog = entry.article
    words = entry.body_text
    headline = entry.headline or Truncator(words).words(PROMOTED_HEADLINE_WORDS, truncate=" …") or blog.headline
    story = Article(
        headline=headline[:200],
        deck=(Truncator(words).words(PROMOTED_DECK_WORDS, truncate=" …") or blog.deck)[:400],
        slug=_free_slug(headline),
        section_id=blog.section_id,
        status=Article.Status.DRAFT,
    )
    story.full_clean()
    story.save()
    authors = list(entry.authors.all()) or blog.byline_authors
    Byline.objects.bulk_create(Byline(article=story, author=a, order=i) for i, a in enumerate(authors))
    for block in body.blocks(entry):
        story_block = block_copy(block, kinds=BODY_BLOCKS)
        story_block.parent, story_block.region, story_block.ordering = story, "body", block.ordering
        story_block.full_clean()
        story_block.save()
    article_body_refresh(article=story)
    entry.promoted_to = story
    entry.save(update_fields=["promoted_to"])
    live_blog_changed(article_pk=blog.pk)
    return story


def block_copy(block, *, kinds: list):
    """An unsaved block of the kind among `kinds` (BODY_BLOCKS or LIVE_BLOCKS) with the same fields as `block`, and
    their values: a story's and an entry's blocks of one kind share their fields (articles.models.TextFields, ...)."""
    fields = block_fields(type(block))._meta.fields
    return same_kind(type(block), kinds)(**{field.attname: getattr(block, field.attname) for field in fields})
