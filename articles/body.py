"""A story's body: its blocks in reading order (one query per kind, whatever their number), what readers may see
of them, their words as plain text, and the one template that renders them for the page, feeds and previews."""

import html
import math
import re

from django.db.models import Prefetch
from django.template.loader import render_to_string

from articles.models import (
    BODY_BLOCKS,
    Article,
    GalleryBlock,
    GalleryImage,
    HeadingBlock,
    ImageBlock,
    ListBlock,
    MoreBlock,
    QuoteBlock,
    TextBlock,
)

__all__ = [
    "blocks",
    "blocks_of_stories",
    "reader_blocks",
    "plain_text",
    "render",
    "broken_more_links",
    "word_count",
    "reading_minutes",
]

# What each kind's query brings with it, so that rendering a block never queries again.
_QUERIES = {
    ImageBlock: lambda blocks: blocks.select_related("image"),
    MoreBlock: lambda blocks: blocks.select_related("target__section"),
    GalleryBlock: lambda blocks: blocks.select_related("gallery").prefetch_related(
        Prefetch("gallery__items", queryset=GalleryImage.objects.select_related("image"))
    ),
}


def blocks(article: Article) -> list:
    """Every block of the story, in the editor's order."""
    return blocks_of_stories([article])[article.pk] if article.pk is not None else []


def blocks_of_stories(stories: list[Article]) -> dict[int, list]:
    """Every block of each story (by pk), in the editor's order: one query per kind of block for all of them."""
    by_pk = {story.pk: story for story in stories}
    found = {pk: [] for pk in by_pk}
    for kind in BODY_BLOCKS:
        for block in _QUERIES.get(kind, lambda blocks: blocks)(kind.objects.filter(parent__in=by_pk)):
            block.parent = by_pk[block.parent_id]
            found[block.parent_id].append(block)
    order = {kind: index for index, kind in enumerate(BODY_BLOCKS)}
    for story_blocks in found.values():
        story_blocks.sort(key=lambda block: (block.ordering, order[type(block)], block.pk))
    return found


def reader_blocks(story_blocks: list) -> list:
    """What a reader sees: a MORE link to a story that is not live (or deleted) is left out until it is."""
    return [
        block
        for block in story_blocks
        if not isinstance(block, MoreBlock) or (block.url or (block.target_id and block.target.is_live))
    ]


def broken_more_links(story_blocks: list) -> list[MoreBlock]:
    return [block for block in story_blocks if isinstance(block, MoreBlock) and block.is_broken]


_TAG = re.compile(r"<[^>]+>")
_BLOCK_END = re.compile(r"</(p|li)>|<br\s*/?>")


def _words(markup: str) -> str:
    """The text of cleaned editor markup: paragraphs and list items on lines of their own, entities decoded."""
    return html.unescape(_TAG.sub("", _BLOCK_END.sub("\n", markup))).strip()


def plain_text(story_blocks: list) -> str:
    """The words of the body, paragraph by paragraph: what search indexes, JSON-LD's articleBody and word counts
    read. MORE links are the site's navigation, not the story's words, and are left out."""
    parts = []
    for block in story_blocks:
        match block:
            case TextBlock() | ListBlock():
                parts.append(_words(block.text if isinstance(block, TextBlock) else block.items))
            case HeadingBlock():
                parts.append(block.text)
            case QuoteBlock():
                parts.append(_words(block.text) + (f"\n— {block.attribution}" if block.attribution else ""))
            case ImageBlock():
                parts.append(block.caption)
            case GalleryBlock():
                parts.append("\n".join([block.gallery.title] + [item.caption for item in block.gallery.items.all()]))
            case MoreBlock():
                continue
            case _:  # embeds
                parts.append("\n".join(filter(None, [block.title, block.caption])))
    return "\n\n".join(part for part in parts if part.strip())


def render(story_blocks: list, *, base_url: str = "", feed: bool = False) -> str:
    """The body's HTML. Pages render it inline; feeds pass `base_url` (every link and picture absolute) and `feed`
    (no interactive parts: an embed is its link)."""
    return render_to_string("articles/includes/_body.html", {"blocks": story_blocks, "base": base_url, "feed": feed})


WORDS_PER_MINUTE = 230


def word_count(text: str) -> int:
    return len(text.split())


def reading_minutes(text: str) -> int:
    return max(1, math.ceil(word_count(text) / WORDS_PER_MINUTE))
