"""Upgrading turns each story's old body and its MORE links into blocks in the same reading order, with nothing
lost: run with the migration executor on a database holding stories, then back and forth again."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("articles", "0013_image_renditions_error")]
AFTER = [("articles", "0016_drop_related_link")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def back_to_the_latest():
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_old_bodies_and_more_links_become_blocks_in_reading_order_and_come_back_on_a_downgrade(back_to_the_latest):
    old = migrate(BEFORE)
    Section = old.get_model("articles", "Section")
    Article = old.get_model("articles", "Article")
    RelatedLink = old.get_model("articles", "RelatedLink")
    section = Section.objects.create(name="World", slug="world")
    now = timezone.now()

    def story(slug, body):
        return Article.objects.create(
            section=section, headline=slug.title(), deck="d", slug=slug, body=body, status="published", publish_at=now
        )

    story_body = (
        'One with a <a href="https://example.org/">link</a>.\n\nTwo in <b>bold</b> and <i>italic</i>.'
        "\n\nThree,\nwith a line break.\n\nFour <script>alert(1)</script>&amp; more."
    )
    main = story("main", story_body)
    target = story("target", "Target body.")
    empty = story("empty", "")
    RelatedLink.objects.create(article=main, target=target, after_paragraph=1, order=0)
    RelatedLink.objects.create(article=main, url="https://example.org/r", label="Report", after_paragraph=3, order=1)
    RelatedLink.objects.create(article=main, target=target, label="Again", after_paragraph=None, order=2)
    RelatedLink.objects.create(article=main, target=target, after_paragraph=40, order=3)  # past the end: at the end
    RelatedLink.objects.create(article=empty, target=target, after_paragraph=None, order=0)

    new = migrate(AFTER)
    TextBlock = new.get_model("articles", "TextBlock")
    MoreBlock = new.get_model("articles", "MoreBlock")
    NewArticle = new.get_model("articles", "Article")

    def blocks_of(pk):
        found = [*TextBlock.objects.filter(parent_id=pk), *MoreBlock.objects.filter(parent_id=pk)]
        return [
            ("text", block.text) if hasattr(block, "text") else ("more", block.target_id, block.url, block.label)
            for block in sorted(found, key=lambda block: block.ordering)
        ]

    assert blocks_of(main.pk) == [
        ("text", '<p>One with a <a href="https://example.org/" rel="noopener">link</a>.</p>'),
        ("more", target.pk, "", ""),
        ("text", "<p>Two in <strong>bold</strong> and <em>italic</em>.</p><p>Three, with a line break.</p>"),
        ("more", None, "https://example.org/r", "Report"),
        ("text", "<p>Four &amp; more.</p>"),
        ("more", target.pk, "", "Again"),
        ("more", target.pk, "", ""),
    ]
    assert blocks_of(empty.pk) == [("more", target.pk, "", "")]
    assert blocks_of(target.pk) == [("text", "<p>Target body.</p>")]
    assert MoreBlock.objects.get(parent_id=empty.pk).target_headline == "Target"
    # The body column holds the words, for search.
    words = NewArticle.objects.get(pk=main.pk).body
    assert words.split("\n\n") == [
        "One with a link.",
        "Two in bold and italic.",
        "Three, with a line break.",
        "Four & more.",
    ]

    old = migrate(BEFORE)
    OldArticle = old.get_model("articles", "Article")
    OldLink = old.get_model("articles", "RelatedLink")
    paragraphs = OldArticle.objects.get(pk=main.pk).body.split("\n\n")
    assert len(paragraphs) == 4 and paragraphs[1] == "Two in <strong>bold</strong> and <em>italic</em>."
    assert [
        (link.target_id, link.url, link.label, link.after_paragraph)
        for link in OldLink.objects.filter(article_id=main.pk).order_by("order")
    ] == [
        (target.pk, "", "", 1),
        (None, "https://example.org/r", "Report", 3),
        (target.pk, "", "Again", None),
        (target.pk, "", "", None),
    ]
