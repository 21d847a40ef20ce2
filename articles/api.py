"""The read API of stories, sections and authors (/api/v1/, newsroom.api): what the site's pages show, as JSON.

Each operation reads through the selectors the pages use and renders a story's body with the templates the pages and
feeds use (articles.body, feed mode: every address absolute, no interactive parts). Signed-out answers are cacheable
by the edge under the surrogate keys of the pages that show the same things, so the purges that retire a page retire
its API answers too (newsroom.http.shared_by_signed_out_readers; docs/api.md).
"""

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

from django.core import signing
from django.core.files.storage import default_storage
from django.db.models import F, QuerySet
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Router, Schema
from pydantic import BeforeValidator

from articles import body, selectors
from articles.models import Article, Author, Image, ImageFields, MoreFields, Section, Tag
from articles.services import LISTS_KEY
from newsroom.api import REFUSALS, ApiError
from newsroom.http import older_than, parse_position, position_token, shared_by_signed_out_readers

__all__ = ["router"]

router = Router(tags=["stories"])

STORIES_PER_PAGE = 20
MAX_STORIES_PER_PAGE = 100


# ---------------------------------------------------------------------------------------------------------------
# What the answers hold
# ---------------------------------------------------------------------------------------------------------------
class Linked(Schema):
    """Something with a page of its own on the site: its id, name, slug and the page's address."""

    id: int
    name: str
    slug: str
    url: str

    @staticmethod
    def resolve_url(obj, context) -> str:
        return context["request"].build_absolute_uri(obj.get_absolute_url())


class SectionOut(Linked):
    description: str


class AuthorOut(Linked):
    bio: str


class TagOut(Linked):
    pass


class RenditionOut(Schema):
    crop: str = Field(
        description="“full” (the whole picture), or a card's crop around the focal point: 16x9, 4x3, 1x1."
    )
    format: str = Field(description="JPEG or WEBP.")
    width: int
    height: int
    url: str


class PictureOut(Schema):
    url: str = Field(description="The JPEG closest to 1,200 pixels wide.")
    width: int
    height: int
    alt_text: str
    caption: str
    credit: str
    renditions: list[RenditionOut]


class StoryOut(Schema):
    id: int
    headline: str
    deck: str
    url: str
    section: SectionOut
    authors: list[AuthorOut]
    published_at: datetime
    updated_at: datetime | None = Field(description="Set only for a substantive update (“Updated” on the page).")
    lead_image: PictureOut | None


class StoryPage(Schema):
    items: list[StoryOut]
    next: str | None = Field(description="The address of the next (older) page; null on the last one.")


class BlockOut(Schema):
    kind: str = Field(description="text, heading, quote, list, image, gallery, more or embed.")
    html: str = Field(description="The block as the site renders it in its feeds, with absolute addresses.")
    image: PictureOut | None = Field(None, description="An image block's picture, with its renditions.")


class MoreLinkOut(Schema):
    text: str
    url: str
    story_id: int | None = Field(description="The story linked to, when it is one of this site's.")


class StoryDetailOut(StoryOut):
    correction: str
    body: list[BlockOut]
    more: list[MoreLinkOut] = Field(description="The body's MORE links, in reading order.")
    tags: list[TagOut]
    comment_count: int


def _iso_8601(value):
    """ISO 8601 only: pydantic alone would take "0.5" for a Unix time."""
    return datetime.fromisoformat(value) if isinstance(value, str) else value


IsoDatetime = Annotated[datetime, BeforeValidator(_iso_8601)]


class StoryFilters(Schema):
    section: str | None = Field(None, description="A section's slug.")
    tag: str | None = Field(None, description="A tag's slug.")
    author: str | None = Field(None, description="An author's slug, as in their page's address /author/<slug>/.")
    published_after: IsoDatetime | None = Field(
        None, description="Stories published at or after this time (ISO 8601; a date is its midnight, site time)."
    )
    published_before: IsoDatetime | None = Field(None, description="Stories published before this time (ISO 8601).")
    cursor: str | None = Field(None, description="Where the page starts: the `next` of the page before it.")
    limit: int = Field(STORIES_PER_PAGE, ge=1, le=MAX_STORIES_PER_PAGE, description="Stories on the page.")


# ---------------------------------------------------------------------------------------------------------------
# From models to answers
# ---------------------------------------------------------------------------------------------------------------
def _picture(request, image: Image, *, caption: str, credit: str) -> dict:
    return {
        **image.rendition(),
        "url": request.build_absolute_uri(image.rendition_url()),
        "alt_text": image.alt_text,
        "caption": caption,
        "credit": credit,
        "renditions": [
            {
                "crop": r["crop"],
                "format": r["format"],
                "width": r["width"],
                "height": r["height"],
                "url": request.build_absolute_uri(default_storage.url(r["name"])),
            }
            for r in sorted(image.renditions, key=lambda r: (r["crop"], r["format"], r["width"]))
        ],
    }


def _story(request, article: Article) -> dict:
    lead = getattr(article, "lead", None)  # a story without a lead image raises (an AttributeError) here
    return {
        "id": article.pk,
        "headline": article.headline,
        "deck": article.deck,
        "url": request.build_absolute_uri(article.get_absolute_url()),
        "section": article.section,
        "authors": article.byline_authors,
        "published_at": article.publish_at,
        "updated_at": article.updated_at,
        "lead_image": _picture(request, lead.image, caption=lead.caption, credit=lead.effective_credit)
        if lead
        else None,
    }


def _block(request, block, base_url: str) -> dict:
    image = None
    if isinstance(block, ImageFields):
        image = _picture(request, block.image, caption=block.caption, credit=block.effective_credit)
    return {
        "kind": Path(block.template_name).stem,
        "html": body.render([block], base_url=base_url, feed=True).strip(),
        "image": image,
    }


def _story_detail(request, article: Article) -> dict:
    blocks = body.reader_blocks(body.blocks(article))
    base_url = request.build_absolute_uri("/")
    return {
        **_story(request, article),
        "correction": article.correction,
        "body": [_block(request, block, base_url) for block in blocks],
        "more": [
            {"text": block.text, "url": request.build_absolute_uri(block.href), "story_id": block.target_id}
            for block in blocks
            if isinstance(block, MoreFields)
        ],
        "tags": list(article.tags.all()),
        "comment_count": article.comment_count,
    }


# ---------------------------------------------------------------------------------------------------------------
# Cursors: a signed position (published_at, id), so a client can neither forge one nor read one as anything but a
# token; no timestamp in it, so the same page has the same address, which the edge keeps.
# ---------------------------------------------------------------------------------------------------------------
_CURSORS = signing.Signer(salt="articles.api.cursor")
BAD_CURSOR = _("This cursor is not one of ours: use the `next` address of the page before.")


def _cursor(position: tuple[datetime, int]) -> str:
    return _CURSORS.sign_object(position_token(position))


def _position(cursor: str) -> tuple[datetime, int]:
    try:
        token = _CURSORS.unsign_object(cursor)
    except (signing.BadSignature, ValueError, UnicodeError):
        raise ApiError(400, BAD_CURSOR, field="cursor") from None
    position = parse_position(token) if isinstance(token, str) else None
    if position is None:
        raise ApiError(400, BAD_CURSOR, field="cursor")
    return position


def _moment(value: datetime, field: str) -> datetime:
    """A filter's time, aware (a naive one is the site's time) and within what the database can compare."""
    try:
        moment = value if timezone.is_aware(value) else timezone.make_aware(value)
        return moment.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ApiError(422, _("This time is out of range."), field=field) from None


NO_SUCH_SLUG = {
    Section: _("There is no section with this slug."),
    Tag: _("There is no tag with this slug."),
    Author: _("There is no author with this slug."),
}


def _one(model, slug: str, field: str):
    found = model.objects.filter(slug=slug).first()
    if found is None:
        raise ApiError(404, NO_SUCH_SLUG[model], field=field)
    return found


# ---------------------------------------------------------------------------------------------------------------
# Operations
# ---------------------------------------------------------------------------------------------------------------
@router.get("/stories/", response={200: StoryPage, **REFUSALS}, summary="Published stories, newest first")
def story_list(request: HttpRequest, response: HttpResponse, filters: Query[StoryFilters]):
    # A misspelt filter would otherwise list every story as if it had been applied.
    unknown = sorted(set(request.GET) - set(StoryFilters.model_fields))
    if unknown:
        raise ApiError(400, _("There is no such parameter."), field=unknown[0])
    stories: QuerySet[Article] = selectors.live_stories()
    keys = []
    for name, model, lookup in (
        ("section", Section, "section"),
        ("tag", Tag, "tags"),
        ("author", Author, "bylines__author"),
    ):
        slug = getattr(filters, name)
        if slug is not None:
            found = _one(model, slug, name)
            stories = stories.filter(**{lookup: found})
            keys.append(found.surrogate_key)
    if filters.published_after is not None:
        stories = stories.filter(publish_at__gte=_moment(filters.published_after, "published_after"))
    if filters.published_before is not None:
        stories = stories.filter(publish_at__lt=_moment(filters.published_before, "published_before"))
    if filters.cursor is not None:
        stories = older_than(stories, _position(filters.cursor), time_field="publish_at")
    # A keyset page: one more row than asked says whether there is a next page, read through an index at any depth.
    rows = list(stories.order_by("-publish_at", "-pk")[: filters.limit + 1])
    next_url = None
    if len(rows) > filters.limit:
        rows = rows[: filters.limit]
        query = request.GET.copy()
        query["cursor"] = _cursor((rows[-1].publish_at, rows[-1].pk))
        next_url = request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
    shared_by_signed_out_readers(request, response, *keys, LISTS_KEY)
    return {"items": [_story(request, article) for article in rows], "next": next_url}


@router.get("/stories/{story_id}/", response={200: StoryDetailOut, **REFUSALS}, summary="A published story")
def story_detail(request: HttpRequest, response: HttpResponse, story_id: int):
    # The comment count is the comments app's Discussion row (its reverse relation `discussion`), read in the
    # story's own query by name: articles imports nothing of comments (docs/architecture.md).
    stories = selectors.story_for_page(Article.objects.published()).annotate(
        comment_count=Coalesce(F("discussion__comment_count"), 0)
    )
    article = stories.filter(pk=story_id).first() if 0 < story_id < 2**63 else None
    if article is None:
        raise ApiError(404, _("There is no published story with this id."), field="story_id")
    shared_by_signed_out_readers(request, response, article.surrogate_key, article.section.surrogate_key)
    return _story_detail(request, article)


@router.get("/sections/", response={200: list[SectionOut], **REFUSALS}, summary="Every section, in order")
def section_list(request: HttpRequest, response: HttpResponse):
    sections = list(Section.objects.all())
    shared_by_signed_out_readers(request, response, *(section.surrogate_key for section in sections))
    return sections


@router.get("/authors/", response={200: list[AuthorOut], **REFUSALS}, summary="Every author, by name")
def author_list(request: HttpRequest, response: HttpResponse):
    authors = list(Author.objects.all())
    shared_by_signed_out_readers(request, response, *(author.surrogate_key for author in authors))
    return authors


@router.get("/authors/{slug}/", response={200: AuthorOut, **REFUSALS}, summary="An author")
def author_detail(request: HttpRequest, response: HttpResponse, slug: str):
    author = _one(Author, slug, "slug")
    shared_by_signed_out_readers(request, response, author.surrogate_key)
    return author
