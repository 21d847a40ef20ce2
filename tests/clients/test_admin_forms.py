"""The editors' and moderators' admin in Chromium at a laptop's 1280 x 800: the story form keeps everything an
editor types, whatever they click, through saves and reloads; no admin page is wider than the screen; and the
admin's Content Security Policy refuses nothing it serves."""

from datetime import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from articles import body
from articles.models import Article, MoreBlock, TextBlock
from comments.models import Discussion
from newsroom.services import editors_group, moderators_group
from tests.clients.test_editor_journey import add_block, blocks_in_order, choose, prose
from tests.factories import (
    ArticleFactory,
    AuthorFactory,
    CommentFactory,
    ImageFactory,
    LeadImageFactory,
    MoreBlockFactory,
    SectionFactory,
    TagFactory,
    UserFactory,
    report,
)

VIEWPORT = {"width": 1280, "height": 800}

# Every value of a form, by name (a multiple select lists each choice), as the browser would submit it.
FORM_VALUES = """form => {
    const values = {};
    for (const [name, value] of new FormData(form)) (values[name] ||= []).push(value);
    return values;
}"""
# Refused scripts or styles show as securitypolicyviolation events (and console errors, collected too).
RECORD_CSP = """document.addEventListener(
    "securitypolicyviolation", e => (window.cspViolations ||= []).push(`${e.violatedDirective} ${e.blockedURI}`)
)"""


@pytest.fixture
def admin_page(page):
    page.set_viewport_size(VIEWPORT)
    page.add_init_script(RECORD_CSP)
    page.console_errors = []
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(f"{m.text} {m.location['url']}"))
    yield page
    assert page.console_errors == []


def comparable(values: dict) -> dict:
    """Form values but the CSRF token, which every page masks anew; the tags as a set (a page lists the chosen
    ones in its own order)."""
    kept = {name: value for name, value in values.items() if name != "csrfmiddlewaretoken"}
    return {**kept, "tags": sorted(kept.get("tags", []))}


def no_csp_violations(page) -> list[str]:
    return page.evaluate("window.cspViolations || []")


def form_values(page) -> dict[str, list[str]]:
    return page.locator("#article_form").evaluate(FORM_VALUES)


def click_every_field_and_label(page) -> int:
    """Click each visible label, input, select, textarea and autocomplete of the story form, closing what opens;
    fail at the first click that leaves the page. The inlines' delete boxes and the discussion's switches are left
    alone (a click on their label is a choice), and
    so is content-editor's "Collapse all items" (it hides the blocks, and remembers that in the browser)."""
    navigations = []
    page.on("framenavigated", lambda frame: frame == page.main_frame and navigations.append(frame.url))
    start = page.url
    targets = page.locator(
        "#article_form label:not([for$='-DELETE'], [for$='-ignore_night'], [for$='-surge_mode'], .collapse-items), "
        "#article_form .ProseMirror, "
        "#article_form :is(input, select, textarea)"
        ":not([type=hidden], [type=checkbox], [type=submit], .select2-hidden-accessible), "
        "#article_form .select2-selection"
    )
    clicked = 0
    for index in range(targets.count()):
        target = targets.nth(index)
        if not target.is_visible():
            continue
        what = target.evaluate("el => el.outerHTML.slice(0, 120)")
        target.click()
        page.keyboard.press("Escape")
        clicked += 1
        assert navigations == [] and page.url == start, f"clicking {what} left the form"
    return clicked


def fill_story(page, v: dict) -> None:
    """Type a whole story into the add or change form: every field, the byline, lead image and the body's blocks
    (`v["blocks"]`: each block's new values, by its place in the body; "add" says where a new one goes)."""
    page.locator("#id_section").select_option(label=v["section"])
    page.locator("#id_headline").fill(v["headline"])
    page.locator("#id_headline").press("Tab")  # leaving the headline fills the slug from it: then the editor's own
    page.locator("#id_slug").fill(v["slug"])
    page.locator("#id_deck").fill(v["deck"])
    page.locator("#id_status").select_option(label=v["status"])
    page.locator("#id_review_note").fill(v["review_note"])
    page.locator("#id_publish_at_0").fill(v["publish_at"][0])
    page.locator("#id_publish_at_1").fill(v["publish_at"][1])
    page.locator("#id_updated_at_0").fill(v["updated_at"][0])
    page.locator("#id_updated_at_1").fill(v["updated_at"][1])
    page.locator("#id_correction").fill(v["correction"])
    page.locator("#id_discussion-0-mode").select_option(label=v["discussion"])
    for name in v["add_tags"]:
        choose(page, "id_tags", name[:4], name)
    for index, (author, order) in enumerate(v["bylines"]):
        if not page.locator(f"#id_bylines-{index}-author").count():
            page.locator("#bylines-group .add-row a").click()
        if author:
            choose(page, f"id_bylines-{index}-author", author[:3], author)
        page.locator(f"#id_bylines-{index}-order").fill(str(order))
    choose(page, "id_lead-0-image", v["image"][:5], v["image"])
    page.locator("#id_lead-0-caption").fill(v["caption"])
    page.locator("#id_lead-0-credit").fill(v["credit"])
    for block in v["blocks"]:
        if "add" in block:
            before = block["add"]
            row = add_block(
                page,
                block["kind"],
                before=page.locator(f"#{blocks_in_order(page)[before]}") if before is not None else None,
            )
        else:
            row = page.locator(f"#{blocks_in_order(page)[block['at']]}")
        if "text" in block:
            # The prose editor, as typed: paragraphs by Enter, emphasis by its shortcut (Ctrl+I).
            prose(row).click()
            page.keyboard.press("Control+a")
            for index, part in enumerate(block["text"]):
                if part == "\n":
                    page.keyboard.press("Enter")
                elif index % 2:
                    page.keyboard.press("Control+i")
                    page.keyboard.type(part)
                    page.keyboard.press("Control+i")
                else:
                    page.keyboard.type(part)
        if block.get("target"):
            # All but the end of the headline, as an editor types it (the last word is matched as a start).
            choose(page, row.locator("select").get_attribute("id"), block["target"][:-2], block["target"])
        for field in ["url", "label"]:
            if field in block:
                row.locator(f"input[name$='-{field}']").fill(block[field])


def expected_fields(v: dict, ids: dict) -> dict[str, list[str]]:
    """What the form must hold for the story `v`, besides its blocks: the names and values the browser submits."""
    values = {
        "section": [str(ids[v["section"]])],
        "headline": [v["headline"]],
        "slug": [v["slug"]],
        "deck": [v["deck"]],
        "status": [v["status_value"]],
        "review_note": [v["review_note"]],
        "publish_at_0": [v["publish_at"][0]],
        "publish_at_1": [v["publish_at"][1]],
        "updated_at_0": [v["updated_at"][0]],
        "updated_at_1": [v["updated_at"][1]],
        "correction": [v["correction"]],
        "discussion-0-mode": [v["discussion_value"]],
        "tags": sorted(str(ids[name]) for name in v["tags"]),
        "lead-0-image": [str(ids[v["image"]])],
        "lead-0-caption": [v["caption"]],
        "lead-0-credit": [v["credit"]],
    }
    for index, (author, order) in enumerate(v["bylines_kept"]):
        values[f"bylines-{index}-author"] = [str(ids[author])]
        values[f"bylines-{index}-order"] = [str(order)]
    return values


def expected_blocks(v: dict, ids: dict) -> list[tuple]:
    """The body the form must hold for the story `v`, block by block in its order (`v["body"]`)."""
    held = []
    for ordering, block in enumerate(v["body"], start=1):
        if "html" in block:
            held.append(("articles_textblock_set", {"text": [block["html"]], "ordering": [str(10 * ordering)]}))
        else:
            target = str(ids[block["target"]]) if block.get("target") else ""
            fields = {"target": [target], "url": [block.get("url", "")], "label": [block.get("label", "")]}
            held.append(("articles_moreblock_set", {**fields, "ordering": [str(10 * ordering)]}))
    return held


def blocks_held(page) -> list[tuple]:
    """The body's blocks in the form, in content-editor's order: each block's kind and the values it submits."""
    values = form_values(page)
    held = []
    for block in blocks_in_order(page):
        prefix, _ = block.rsplit("-", 1)
        fields = {
            name.removeprefix(f"{block}-"): value for name, value in values.items() if name.startswith(f"{block}-")
        }
        names = ["text", "ordering"] if prefix == "articles_textblock_set" else ["target", "url", "label", "ordering"]
        held.append((prefix, {name: fields.get(name) for name in names}))
    return held


def held(page, expected: dict[str, list[str]]) -> dict[str, list[str]]:
    values = form_values(page)
    values["tags"] = sorted(values.get("tags", []))
    return {name: values.get(name) for name in expected}


def assert_story_saved(v: dict) -> Article:
    article = Article.objects.get(slug=v["slug"])
    when = timezone.make_aware(datetime.fromisoformat(" ".join(v["publish_at"])))
    updated = timezone.make_aware(datetime.fromisoformat(" ".join(v["updated_at"])))
    assert (article.section.name, article.headline, article.deck) == (v["section"], v["headline"], v["deck"])
    assert (article.status, article.publish_at, article.updated_at) == (v["status_value"], when, updated)
    assert (article.correction, Discussion.of(article).mode) == (v["correction"], v["discussion_value"])
    assert article.review_note == v["review_note"]
    assert sorted(article.tags.values_list("name", flat=True)) == sorted(v["tags"])
    assert [(b.author.name, b.order) for b in article.bylines.all()] == v["bylines_kept"]
    assert (article.lead.image.alt_text, article.lead.caption, article.lead.credit) == (
        v["image"],
        v["caption"],
        v["credit"],
    )
    saved = []
    for block in body.blocks(article):
        if isinstance(block, TextBlock):
            saved.append({"html": block.text})
        else:
            assert isinstance(block, MoreBlock)
            fields = {
                "target": block.target.headline if block.target_id else "",
                "url": block.url,
                "label": block.label,
            }
            saved.append({name: value for name, value in fields.items() if value})
    assert saved == [{name: value for name, value in b.items() if value} for b in v["body"]]
    assert [block.ordering for block in body.blocks(article)] == [10 * n for n in range(1, len(v["body"]) + 1)]
    return article


def test_story_add_and_change_forms_keep_every_value_through_every_click_save_and_reload(admin_page, sign_in):
    page = admin_page
    editor = UserFactory(handle="deskeditor", is_staff=True)
    editor.groups.add(editors_group())
    sign_in(editor)
    world, sport = SectionFactory(name="World", slug="world"), SectionFactory(name="Sport", slug="sport")
    ana, bo, cy = AuthorFactory(name="Ana Reyes"), AuthorFactory(name="Bo Li"), AuthorFactory(name="Cy Nakamura")
    quay, dock = ImageFactory(alt_text="The quay at first light"), ImageFactory(alt_text="Cranes on the dock")
    weather, ports, storms = TagFactory(name="Weather"), TagFactory(name="Ports"), TagFactory(name="Storms")
    forecast = ArticleFactory(headline="How the storm was forecast")
    tides = ArticleFactory(headline="Tide tables explained")
    ids = {str(o): o.pk for o in [world, sport, ana, bo, cy, quay, dock, weather, ports, storms, forecast, tides]}
    first = {
        "section": "World",
        "headline": "Harbour reopens after the storm",
        "slug": "harbour-reopens",
        "deck": "Boats return to the quay a week after the flood.",
        "status": "In review",
        "status_value": "review",
        "review_note": "Check the reopening time with the harbour master.",
        "publish_at": ["2026-03-02", "06:30:00"],
        "updated_at": ["2026-03-02", "09:15:00"],
        "correction": "An earlier version misspelt the mayor's name.",
        "discussion": "Open, held for moderation",
        "discussion_value": "premoderated",
        "add_tags": ["Weather", "Ports"],
        "tags": ["Weather", "Ports"],
        "bylines": [("Ana Reyes", 0), ("Bo Li", 1)],
        "bylines_kept": [("Ana Reyes", 0), ("Bo Li", 1)],
        "image": "The quay at first light",
        "caption": "The quay at first light, a week after the flood.",
        "credit": "Wire / J. Doe",
        # Two text blocks and two MORE links, added in turn at the end of the body. A text's parts: words, words
        # in emphasis, words..., and "\n" for a new paragraph.
        "blocks": [
            {
                "add": None,
                "kind": "Text",
                "text": ["Boats returned at dawn.", "\n", "The mayor spoke at ", "noon", "."],
            },
            {"add": None, "kind": "MORE link", "target": "How the storm was forecast"},
            {"add": None, "kind": "Text", "text": ["Repairs go on."]},
            {"add": None, "kind": "MORE link", "url": "https://example.org/flood", "label": "The flood report"},
        ],
        "body": [
            {"html": "<p>Boats returned at dawn.</p><p>The mayor spoke at <em>noon</em>.</p>"},
            {"target": "How the storm was forecast"},
            {"html": "<p>Repairs go on.</p>"},
            {"url": "https://example.org/flood", "label": "The flood report"},
        ],
    }

    page.goto("/admin/articles/article/add/")
    fill_story(page, first)
    before = form_values(page)
    assert click_every_field_and_label(page) > 40
    assert form_values(page) == before
    page.locator("input[name=_continue]").click()
    expect(page.locator(".messagelist .success")).to_contain_text("was added successfully")
    article = assert_story_saved(first)
    page.reload()
    assert held(page, expected := expected_fields(first, ids)) == expected
    assert blocks_held(page) == expected_blocks(first, ids)

    # The change form: every field changed, a byline deleted and one added, a tag added, the lead image swapped,
    # the links relabelled, moved after paragraphs (chosen by the saved body's first words) and one added.
    second = {
        **first,
        "section": "Sport",
        "headline": "Harbour reopens, and the regatta is on",
        "slug": "harbour-regatta",
        "deck": "The town keeps its summer race after all.",
        "status": "Published",
        "status_value": "published",
        "review_note": "",
        "publish_at": ["2026-03-03", "07:00:00"],
        "updated_at": ["2026-03-03", "12:45:00"],
        "correction": "",
        "discussion": "Closed",
        "discussion_value": "closed",
        "add_tags": ["Storms"],
        "tags": ["Weather", "Ports", "Storms"],
        # Rows: Ana Reyes (kept, moved second), Bo Li (deleted below), the empty row (Cy Nakamura, first).
        "bylines": [(None, 1), (None, 1), ("Cy Nakamura", 0)],
        "bylines_kept": [("Cy Nakamura", 0), ("Ana Reyes", 1)],
        "image": "Cranes on the dock",
        "caption": "Cranes on the dock, back at work.",
        "credit": "Harbour Authority",
        # The texts retyped, the MORE links relabelled and retargeted, and a new one put above the second text
        # through the "+" between the blocks; its outside address has no label at first.
        "blocks": [
            {"at": 0, "text": ["The regatta goes ahead.", "\n", "Entries opened on ", "Monday", "."]},
            {"at": 1, "label": "The forecast"},
            {"at": 2, "text": ["The course is unchanged."]},
            {"at": 3, "url": "https://example.org/flood-final", "label": "The final flood report"},
            {"add": 2, "kind": "MORE link", "url": "https://example.org/entries"},
        ],
        "body": [
            {"html": "<p>The regatta goes ahead.</p><p>Entries opened on <em>Monday</em>.</p>"},
            {"target": "How the storm was forecast", "label": "The forecast"},
            {"url": "https://example.org/entries", "label": "How to enter"},
            {"html": "<p>The course is unchanged.</p>"},
            {"url": "https://example.org/flood-final", "label": "The final flood report"},
        ],
    }
    fill_story(page, second)
    page.locator("#id_bylines-1-DELETE").check()
    before = form_values(page)
    assert click_every_field_and_label(page) > 40
    assert form_values(page) == before

    # The outside address without a label is refused, saying so, and everything typed is kept, in its order.
    order = blocks_in_order(page)
    page.locator("input[name=_continue]").click()
    expect(page.locator(f"#{order[2]} .errorlist")).to_contain_text("A link to an outside address needs a label.")
    assert comparable(form_values(page)) == comparable(before)
    assert blocks_in_order(page) == order
    page.locator(f"#{order[2]} input[name$='-label']").fill("How to enter")
    page.locator("input[name=_continue]").click()
    expect(page.locator(".messagelist .success")).to_contain_text("was changed successfully")
    assert assert_story_saved(second).pk == article.pk
    page.reload()
    assert held(page, expected := expected_fields(second, ids)) == expected
    assert blocks_held(page) == expected_blocks(second, ids)
    assert no_csp_violations(page) == []


def test_admin_pages_fit_a_1280_pixel_screen(admin_page, sign_in):
    page = admin_page
    editor = UserFactory(handle="deskeditor", is_staff=True)
    editor.groups.add(editors_group())
    moderator = UserFactory(handle="deskmoderator", is_staff=True)
    moderator.groups.add(moderators_group())
    paragraphs = [f"Paragraph {n} tells at some length how the harbour and the town came through." for n in range(6)]
    story = ArticleFactory(
        headline="Harbour reopens after the storm as the town counts the cost of a week under water",
        body="\n\n".join(paragraphs),
    )
    LeadImageFactory(article=story)
    for n in range(5):
        headline = f"Another long headline, number {n}, about the tide tables and the boats that wait for them"
        MoreBlockFactory(parent=story, target=ArticleFactory(headline=headline))
    for n in range(6):
        parent = CommentFactory(article=story, body="What the parent comment said, at length. " * 8)
        reported = CommentFactory(
            parent=parent,
            author=UserFactory(display_name="Maximiliana Featherstonehaugh-Smith"),
            body=f"Comment {n}: " + "a long reply that goes on about the harbour, the tide and the council " * 6,
        )
        report(reported, "abuse")

    sign_in(editor)
    for url in ["/admin/articles/article/add/", f"/admin/articles/article/{story.pk}/change/"]:
        page.goto(url)
        assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORT["width"], url
        headline = page.locator("#id_headline").bounding_box()["width"]
        form = page.locator("#article_form").bounding_box()["width"]
        assert headline >= 0.6 * form, (url, headline, form)
        assert page.locator("#id_deck").bounding_box()["width"] >= 0.6 * form, url
        assert no_csp_violations(page) == [], url
    assert page.locator(".order-machine > .dynamic-articles_moreblock_set").count() == 5

    sign_in(moderator)
    page.goto("/admin/comments/moderationitem/")
    assert page.locator("#result_list tbody tr").count() == 6
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORT["width"]
    results = page.locator(".results")
    assert results.evaluate("el => el.scrollWidth <= el.clientWidth"), "the queue's table scrolls sideways"
    right = min(VIEWPORT["width"], results.bounding_box()["x"] + results.bounding_box()["width"])
    headers = page.locator("#result_list thead th")
    names = headers.all_inner_texts()
    assert [n.strip().lower() for n in names[1:]] == [
        "comment",
        "in reply to",
        "article",
        "author",
        "status",
        "reports",
        "created at",
    ]
    for index, name in enumerate(names):
        box = headers.nth(index).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= right + 1, (name, box)
    # A comment reads as lines of words, not one word a line.
    assert page.locator("#result_list thead th.column-excerpt").bounding_box()["width"] >= 200
    assert no_csp_violations(page) == []
