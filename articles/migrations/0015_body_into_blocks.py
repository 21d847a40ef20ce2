"""Each story's old body (paragraphs of plain text with links and emphasis) and its MORE links (pinned to a
paragraph number, or at the end) become blocks in the same reading order: each run of paragraphs between two
links one text block, each link a MORE block. Nothing is lost: every paragraph, every link, every label."""

import html
import re

import nh3
from django.db import migrations

BATCH = 500
_BLANK_LINE = re.compile(r"\n\s*\n")
# The old body's allow list (articles.text before blocks), with <b> and <i> named as the editor names them now.
_OLD_TAGS = {"a", "em", "strong", "i", "b"}
_RENAMES = ((re.compile(r"<(/?)b>"), r"<\1strong>"), (re.compile(r"<(/?)i>"), r"<\1em>"))


def paragraphs_of(body):
    return [part.strip() for part in _BLANK_LINE.split(body.replace("\r\n", "\n")) if part.strip()]


def paragraph_html(paragraph):
    cleaned = nh3.clean(
        paragraph.replace("\n", " "),
        tags=_OLD_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener",
    )
    for pattern, replacement in _RENAMES:
        cleaned = pattern.sub(replacement, cleaned)
    return f"<p>{cleaned}</p>"


def plain(paragraph):
    return html.unescape(nh3.clean(paragraph, tags=set()))


def forwards(apps, schema_editor):
    Article = apps.get_model("articles", "Article")
    RelatedLink = apps.get_model("articles", "RelatedLink")
    TextBlock = apps.get_model("articles", "TextBlock")
    MoreBlock = apps.get_model("articles", "MoreBlock")
    last = 0
    while True:
        stories = list(Article.objects.filter(pk__gt=last).order_by("pk").only("pk", "body")[:BATCH])
        if not stories:
            return
        last = stories[-1].pk
        links = {}
        for link in RelatedLink.objects.filter(article__in=stories).select_related("target").order_by("order", "pk"):
            links.setdefault(link.article_id, []).append(link)
        texts, mores = [], []
        for story in stories:
            paragraphs = paragraphs_of(story.body)
            inline, at_end = {}, []
            for link in links.get(story.pk, []):
                if link.after_paragraph and link.after_paragraph < len(paragraphs):
                    inline.setdefault(link.after_paragraph, []).append(link)
                else:
                    at_end.append(link)
            ordering, run = 0, []

            def close_run():
                nonlocal ordering, run
                if run:
                    ordering += 10
                    texts.append(TextBlock(parent=story, region="body", ordering=ordering, text="".join(run)))
                    run = []

            def add_link(link):
                nonlocal ordering
                close_run()
                ordering += 10
                mores.append(
                    MoreBlock(
                        parent=story,
                        region="body",
                        ordering=ordering,
                        target_id=link.target_id,
                        url=link.url,
                        label=link.label,
                        target_headline=link.target.headline if link.target_id else "",
                    )
                )

            for number, paragraph in enumerate(paragraphs, start=1):
                run.append(paragraph_html(paragraph))
                for link in inline.get(number, []):
                    add_link(link)
            close_run()
            for link in at_end:
                add_link(link)
            story.body = "\n\n".join(plain(paragraph.replace("\n", " ")) for paragraph in paragraphs)
        TextBlock.objects.bulk_create(texts)
        MoreBlock.objects.bulk_create(mores)
        Article.objects.bulk_update(stories, ["body"])


_PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.S)


def backwards(apps, schema_editor):
    """A downgrade: text blocks back into paragraphs, MORE blocks back into links after the paragraph they
    followed. The kinds the old body had no place for (subheadings, quotes, lists, pictures, embeds) are dropped."""
    Article = apps.get_model("articles", "Article")
    RelatedLink = apps.get_model("articles", "RelatedLink")
    TextBlock = apps.get_model("articles", "TextBlock")
    MoreBlock = apps.get_model("articles", "MoreBlock")
    for story in Article.objects.order_by("pk").iterator(chunk_size=BATCH):
        blocks = sorted(
            [*TextBlock.objects.filter(parent=story), *MoreBlock.objects.filter(parent=story)],
            key=lambda block: block.ordering,
        )
        paragraphs, links = [], []
        for block in blocks:
            if hasattr(block, "text"):
                paragraphs.extend(part.strip() for part in _PARAGRAPH.findall(block.text) if part.strip())
            elif block.target_id or block.url:
                links.append((block, len(paragraphs)))
        story.body = "\n\n".join(paragraphs)
        story.save(update_fields=["body"])
        RelatedLink.objects.bulk_create(
            RelatedLink(
                article=story,
                target_id=block.target_id,
                url=block.url,
                label=block.label,
                after_paragraph=after if 0 < after < len(paragraphs) else None,
                order=order,
            )
            for order, (block, after) in enumerate(links)
        )


class Migration(migrations.Migration):
    dependencies = [("articles", "0014_body_blocks")]

    operations = [migrations.RunPython(forwards, backwards, elidable=True)]
