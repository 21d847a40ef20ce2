"""Reads that span tables: the story page and the lists of stories."""

from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet

from articles.models import Article, RelatedLink

__all__ = ["StoryLayout", "story_for_page", "story_layout", "live_stories"]


def live_stories() -> QuerySet[Article]:
    return Article.objects.published().for_listing()


def story_for_page(queryset: QuerySet[Article] | None = None) -> QuerySet[Article]:
    """Everything the story page shows, in a fixed number of queries whatever the number of links or authors."""
    links = RelatedLink.objects.select_related("target__section")
    return (
        (queryset if queryset is not None else Article.objects.all())
        .select_related("section", "lead__image")
        .prefetch_related("bylines__author", "tags", Prefetch("related_links", queryset=links))
    )


@dataclass
class StoryLayout:
    blocks: list[tuple[str, object]]  # ("paragraph", html) or ("more", RelatedLink), in reading order
    end_links: list[RelatedLink]


def story_layout(article: Article) -> StoryLayout:
    """Paragraphs with the editor's inline MORE links between them; links to stories readers cannot see are dropped."""
    paragraphs = article.paragraphs
    inline: dict[int, list[RelatedLink]] = {}
    end_links = []
    for link in article.related_links.all():
        if link.target_id and not link.target.is_live:
            continue
        if link.after_paragraph and link.after_paragraph < len(paragraphs):
            inline.setdefault(link.after_paragraph, []).append(link)
        else:
            # At the end by choice, or placed past the last paragraph.
            end_links.append(link)
    blocks: list[tuple[str, object]] = []
    for number, html in enumerate(paragraphs, start=1):
        blocks.append(("paragraph", html))
        blocks.extend(("more", link) for link in inline.get(number, []))
    return StoryLayout(blocks=blocks, end_links=end_links)
