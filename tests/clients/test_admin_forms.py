"""The editors' and moderators' admin in Chromium at a laptop's 1280 x 800: the story form keeps everything an
editor types, whatever they click, through saves and reloads; no admin page is wider than the screen; and the
admin's Content Security Policy refuses nothing it serves."""

from datetime import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from articles.models import Article
from comments.models import Discussion
from newsroom.services import editors_group, moderators_group
from tests.clients.test_editor_journey import choose
from tests.factories import (
    ArticleFactory,
    AuthorFactory,
    CommentFactory,
    ImageFactory,
    LeadImageFactory,
    RelatedLinkFactory,
    SectionFactory,
    TagFactory,
    UserFactory,
    report,
)

VIEWPORT = {"width": 1280, "height": 800}
AT_END = "At the end of the story"

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


def no_csp_violations(page) -> list[str]:
    return page.evaluate("window.cspViolations || []")


def form_values(page) -> dict[str, list[str]]:
    return page.locator("#article_form").evaluate(FORM_VALUES)


def click_every_field_and_label(page) -> int:
    """Click each visible label, input, select, textarea and autocomplete of the story form, closing what opens;
    fail at the first click that leaves the page. The inlines' delete boxes are left alone (a click is a choice)."""
    navigations = []
    page.on("framenavigated", lambda frame: frame == page.main_frame and navigations.append(frame.url))
    start = page.url
    targets = page.locator(
        "#article_form label:not([for$='-DELETE']), "
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
    """Type a whole story into the add or change form: every field, the byline, lead image and MORE links."""
    page.locator("#id_section").select_option(label=v["section"])
    page.locator("#id_headline").fill(v["headline"])
    page.locator("#id_headline").press("Tab")  # leaving the headline fills the slug from it: then the editor's own
    page.locator("#id_slug").fill(v["slug"])
    page.locator("#id_deck").fill(v["deck"])
    page.locator("#id_body").fill(v["body"])
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
    for index, link in enumerate(v["links"]):
        if not page.locator(f"#id_related_links-{index}-url").count():
            page.locator("#related_links-group .add-row a").click()
        if link.get("target"):
            # All but the end of the headline, as an editor types it (the last word is matched as a start).
            choose(page, f"id_related_links-{index}-target", link["target"][:-2], link["target"])
        page.locator(f"#id_related_links-{index}-url").fill(link.get("url", ""))
        page.locator(f"#id_related_links-{index}-label").fill(link.get("label", ""))
        page.locator(f"#id_related_links-{index}-after_paragraph").select_option(label=link["placement"])
        page.locator(f"#id_related_links-{index}-order").fill(str(link["order"]))


def links_in_order(v: dict) -> list[dict]:
    """The story's MORE links as it lists them (by order), which is how the change form shows them."""
    return sorted(v["links"], key=lambda link: link["order"])


def expected_fields(v: dict, ids: dict) -> dict[str, list[str]]:
    """What the form must hold for the story `v`: the names and values the browser submits."""
    values = {
        "section": [str(ids[v["section"]])],
        "headline": [v["headline"]],
        "slug": [v["slug"]],
        "deck": [v["deck"]],
        "body": [v["body"]],
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
    for index, link in enumerate(links_in_order(v)):
        values[f"related_links-{index}-target"] = [str(ids[link["target"]]) if link.get("target") else ""]
        values[f"related_links-{index}-url"] = [link.get("url", "")]
        values[f"related_links-{index}-label"] = [link.get("label", "")]
        values[f"related_links-{index}-after_paragraph"] = [str(link["after"] or "")]
        values[f"related_links-{index}-order"] = [str(link["order"])]
    return values


def held(page, expected: dict[str, list[str]]) -> dict[str, list[str]]:
    values = form_values(page)
    values["tags"] = sorted(values.get("tags", []))
    return {name: values.get(name) for name in expected}


def assert_story_saved(v: dict) -> Article:
    article = Article.objects.get(slug=v["slug"])
    when = timezone.make_aware(datetime.fromisoformat(" ".join(v["publish_at"])))
    updated = timezone.make_aware(datetime.fromisoformat(" ".join(v["updated_at"])))
    # A browser submits a textarea's line breaks as CRLF.
    body = v["body"].replace("\n", "\r\n")
    assert (article.section.name, article.headline, article.deck, article.body) == (
        v["section"],
        v["headline"],
        v["deck"],
        body,
    )
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
    links = [
        (link.target.headline if link.target_id else "", link.url, link.label, link.after_paragraph, link.order)
        for link in article.related_links.all()
    ]
    assert links == [
        (k.get("target", ""), k.get("url", ""), k.get("label", ""), k["after"], k["order"]) for k in links_in_order(v)
    ]
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
        "body": "Boats returned at dawn.\n\nThe mayor spoke at <em>noon</em>.\n\nRepairs go on.",
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
        "links": [
            {"target": "How the storm was forecast", "placement": AT_END, "after": None, "order": 0},
            {
                "url": "https://example.org/flood",
                "label": "The flood report",
                "placement": AT_END,
                "after": None,
                "order": 1,
            },
        ],
    }

    page.goto("/admin/articles/article/add/")
    expect(page.locator("#id_body_helptext")).to_have_text(
        'Plain paragraphs separated by a blank line. Links (<a href="…">) and emphasis (<em>, <strong>) are kept; '
        "other tags are dropped, their text kept."
    )
    fill_story(page, first)
    before = form_values(page)
    assert click_every_field_and_label(page) > 40
    assert form_values(page) == before
    page.locator("input[name=_continue]").click()
    expect(page.locator(".messagelist .success")).to_contain_text("was added successfully")
    article = assert_story_saved(first)
    page.reload()
    assert held(page, expected := expected_fields(first, ids)) == expected

    # The change form: every field changed, a byline deleted and one added, a tag added, the lead image swapped,
    # the links relabelled, moved after paragraphs (chosen by the saved body's first words) and one added.
    second = {
        **first,
        "section": "Sport",
        "headline": "Harbour reopens, and the regatta is on",
        "slug": "harbour-regatta",
        "deck": "The town keeps its summer race after all.",
        "body": "The regatta goes ahead.\n\nEntries opened on <strong>Monday</strong>.\n\nThe course is unchanged.",
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
        "links": [
            {
                "target": "How the storm was forecast",
                "label": "The forecast",
                "placement": "After 1. Boats returned at dawn.",
                "after": 1,
                "order": 2,
            },
            {
                "url": "https://example.org/flood-final",
                "label": "The final flood report",
                "placement": AT_END,
                "after": None,
                "order": 1,
            },
            {"target": "Tide tables explained", "placement": "After 3. Repairs go on.", "after": 3, "order": 0},
        ],
    }
    fill_story(page, second)
    page.locator("#id_bylines-1-DELETE").check()
    before = form_values(page)
    assert click_every_field_and_label(page) > 40
    assert form_values(page) == before
    page.locator("input[name=_continue]").click()
    expect(page.locator(".messagelist .success")).to_contain_text("was changed successfully")
    assert assert_story_saved(second).pk == article.pk
    page.reload()
    assert held(page, expected := expected_fields(second, ids)) == expected
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
        RelatedLinkFactory(article=story, target=ArticleFactory(headline=headline), after_paragraph=n + 1)
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
    assert page.locator("#related_links-group .inline-related:not(.empty-form)").count() == 6

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
