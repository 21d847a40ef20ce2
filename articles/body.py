"""A story's or a live entry's body: its blocks in reading order (one query per kind, whatever their number), what
readers may see of them, their words as plain text, and the one template that renders them for the pages, feeds
and previews. Both parents have the same kinds of block (articles.models: TextFields, ...), so all of it is one."""

import html
import math
import re

from django.db.models import Prefetch
from django.template.loader import render_to_string

from articles.models import (
    BODY_BLOCKS,
    LIVE_BLOCKS,
    Article,
    GalleryFields,
    GalleryImage,
    HeadingFields,
    ImageFields,
    ListFields,
    LiveEntry,
    MoreFields,
    QuoteFields,
    TextFields,
)

__all__ = [
    "blocks",
    "blocks_of_stories",
    "load_entry_blocks",
    "reader_blocks",
    "plain_text",
    "render",
    "broken_more_links",
    "word_count",
    "reading_minutes",
]

# What each kind's query brings with it, so that rendering a block never queries again.
_QUERIES = {
    ImageFields: lambda blocks: blocks.select_related("image"),
    MoreFields: lambda blocks: blocks.select_related("target__section"),
    GalleryFields: lambda blocks: blocks.select_related("gallery").prefetch_related(
        Prefetch("gallery__items", queryset=GalleryImage.objects.select_related("image"))
    ),
}


def _query(kind, parents: dict):
    rows = kind.objects.filter(parent__in=parents)
    return next((query(rows) for fields, query in _QUERIES.items() if issubclass(kind, fields)), rows)


def _blocks_of(parents: list, kinds: list) -> dict[int, list]:
    """Every block of each parent (by pk), in the editor's order: one query per kind of block for all of them."""
    by_pk = {parent.pk: parent for parent in parents}
    found = {pk: [] for pk in by_pk}
    for kind in kinds:
        for block in _query(kind, by_pk):
            block.parent = by_pk[block.parent_id]
            found[block.parent_id].append(block)
    order = {kind: index for index, kind in enumerate(kinds)}
    for parent_blocks in found.values():
        parent_blocks.sort(key=lambda block: (block.ordering, order[type(block)], block.pk))
    return found


def blocks(parent: Article | LiveEntry) -> list:
    """Every block of the story's or the entry's body, in the editor's order."""
    if parent.pk is None:
        return []
    return _blocks_of([parent], BODY_BLOCKS if isinstance(parent, Article) else LIVE_BLOCKS)[parent.pk]


def blocks_of_stories(stories: list[Article]) -> dict[int, list]:
    """Every block of each story (by pk), in the editor's order: one query per kind of block for all of them."""
    return _blocks_of(stories, BODY_BLOCKS)


def load_entry_blocks(entries: list[LiveEntry]) -> None:
    """Give each entry its `blocks`, what readers see of its body, for the templates: one query per kind of block
    for every entry of a page (its pinned entry too), the "new" fragment or the feed, whatever their number."""
    found = _blocks_of(entries, LIVE_BLOCKS)
    for entry in entries:
        entry.blocks = reader_blocks(found[entry.pk])


def reader_blocks(story_blocks: list) -> list:
    """What a reader sees: a MORE link to a story that is not live (or deleted) is left out until it is."""
    return [
        block
        for block in story_blocks
        if not isinstance(block, MoreFields) or (block.url or (block.target_id and block.target.is_live))
    ]


def broken_more_links(story_blocks: list) -> list[MoreFields]:
    return [block for block in story_blocks if isinstance(block, MoreFields) and block.is_broken]


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
            case TextFields() | ListFields():
                parts.append(_words(block.text if isinstance(block, TextFields) else block.items))
            case HeadingFields():
                parts.append(block.text)
            case QuoteFields():
                parts.append(_words(block.text) + (f"\n— {block.attribution}" if block.attribution else ""))
            case ImageFields():
                parts.append(block.caption)
            case GalleryFields():
                parts.append("\n".join([block.gallery.title] + [item.caption for item in block.gallery.items.all()]))
            case MoreFields():
                continue
            case _:  # embeds
                parts.append("\n".join(filter(None, [block.title, block.caption])))
    return "\n\n".join(part for part in parts if part.strip())


# An entry's blocks sit under its <h3> headline: its subheadings (and gallery titles) are two levels lower than a
# story's, h4 and h5 (templates/articles/includes/_live_entry.html passes the same to _body.html).
ENTRY_HEADING_SHIFT = 2


def render(story_blocks: list, *, base_url: str = "", feed: bool = False, heading_shift: int = 0) -> str:
    """The body's HTML. Pages render it inline; feeds pass `base_url` (every link and picture absolute) and `feed`
    (no interactive parts: an embed is its link); an entry's body passes ENTRY_HEADING_SHIFT."""
    context = {"blocks": story_blocks, "base": base_url, "feed": feed, "heading_shift": heading_shift}
    return render_to_string("articles/includes/_body.html", context)


WORDS_PER_MINUTE = 230


def word_count(text: str) -> int:
    return len(text.split())


def reading_minutes(text: str) -> int:
    return max(1, math.ceil(word_count(text) / WORDS_PER_MINUTE))
