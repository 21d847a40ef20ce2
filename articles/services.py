"""Writes with side effects for stories, images and reading lists."""

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from articles import images
from articles.models import Article, Image, SavedArticle, SlugHistory

__all__ = [
    "article_publish",
    "article_unpublish",
    "article_record_slug_change",
    "image_clean",
    "image_create",
    "image_save",
    "image_make_renditions",
    "saved_article_toggle",
    "saved_article_add",
]


def article_publish(*, article: Article, at=None) -> Article:
    """Publish now, or at `at` (a future time schedules the story; readers see it from then on)."""
    article.status = Article.Status.PUBLISHED
    if at is not None:
        article.publish_at = at
    elif article.publish_at is None or article.publish_at > timezone.now():
        article.publish_at = timezone.now()
    article.full_clean()
    article.save(update_fields=["status", "publish_at", "modified_at"])
    return article


def article_unpublish(*, article: Article) -> Article:
    article.status = Article.Status.DRAFT
    article.save(update_fields=["status", "modified_at"])
    return article


def article_record_slug_change(*, article: Article, old_slug: str) -> None:
    """Keep an old slug so that links to it redirect; a slug taken back by its story stops being "old"."""
    if old_slug and old_slug != article.slug:
        SlugHistory.objects.update_or_create(slug=old_slug, defaults={"article": article})
    SlugHistory.objects.filter(slug=article.slug).delete()


def image_clean(file) -> images.CleanImage:
    """Refuse what is not a safe JPEG, PNG, WebP or GIF within the caps; re-encode it without metadata."""
    return images.clean_upload(file, max_bytes=settings.IMAGE_MAX_UPLOAD_BYTES, max_pixels=settings.IMAGE_MAX_PIXELS)


def image_create(*, file, alt_text: str, credit: str = "", focal_x: float = 0.5, focal_y: float = 0.5) -> Image:
    image = Image(alt_text=alt_text, credit=credit, focal_x=focal_x, focal_y=focal_y)
    return image_save(image=image, clean=image_clean(file), name=getattr(file, "name", ""))


@transaction.atomic
def image_save(*, image: Image, clean: images.CleanImage | None = None, name: str = "") -> Image:
    """Store an image; `clean` replaces its file. Renditions are remade to follow the file and the focal point."""
    if clean is not None:
        stem = slugify(name.rsplit("/", 1)[-1].rsplit(".", 1)[0])[:60] or "image"
        image.file.save(f"{stem}.{clean.extension}", ContentFile(clean.content), save=False)
    image.full_clean()
    image.save()
    return image_make_renditions(image=image, content=clean.content if clean is not None else None)


def image_make_renditions(*, image: Image, content: bytes | None = None) -> Image:
    """(Re)generate the resized copies served in srcset and social cards, e.g. after the focal point moves."""
    if content is None:
        with image.file.open("rb") as f:
            content = f.read()
    for old in image.renditions:
        default_storage.delete(old["name"])
    renditions = []
    for rendition in images.make_renditions(content, focal_x=image.focal_x, focal_y=image.focal_y):
        extension = "webp" if rendition.format == "WEBP" else "jpg"
        name = default_storage.save(
            f"renditions/{image.pk}/{rendition.crop}-{rendition.width}.{extension}", ContentFile(rendition.content)
        )
        renditions.append(
            {
                "crop": rendition.crop,
                "width": rendition.width,
                "height": rendition.height,
                "format": rendition.format,
                "name": name,
            }
        )
    image.renditions = renditions
    image.save(update_fields=["renditions"])
    return image


def saved_article_add(*, user, article: Article) -> SavedArticle:
    saved, _ = SavedArticle.objects.get_or_create(user=user, article=article)
    return saved


def saved_article_toggle(*, user, article: Article) -> bool:
    """Save the story for later, or take it off the list; returns whether it is saved now."""
    deleted, _ = SavedArticle.objects.filter(user=user, article=article).delete()
    if deleted:
        return False
    saved_article_add(user=user, article=article)
    return True
