"""An editor, in Chromium, uploads an image, makes a gallery, then writes a story with every kind of block through
content-editor's menus and the prose editor's toolbar, moves its MORE link by dragging, and publishes it (the admin's
scripts and autocomplete widgets running under the admin's Content Security Policy)."""

import re
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import expect

from articles import body, embeds
from articles.models import Article, EmbedBlock, Gallery, HeadingBlock, Image, MoreBlock, TextBlock
from newsroom.services import editors_group
from tests.factories import (
    ArticleFactory,
    AuthorFactory,
    ImageFactory,
    SectionFactory,
    UserFactory,
    add_blocks,
    png_file,
)
from tests.servers import wait_for

PASSWORD = "correct horse battery staple"
# Every block of the story's body in the form, in content-editor's order (its CSS order is the `ordering` field):
# each as its formset prefix and form index, "articles_textblock_set-0".
BLOCKS_IN_ORDER = """() => [...document.querySelectorAll(".order-machine > .inline-related:not(.empty-form)")]
    .sort((a, b) => a.style.order - b.style.order).map(block => block.id)"""


def choose(page, select_id: str, search: str, option: str) -> None:
    """Pick `option` in one of the admin's autocomplete (select2) widgets by typing `search`, as an editor does."""
    page.locator(f"#{select_id} + .select2 .select2-selection").click()

    # The widget asks the server after a short delay and redraws its list when the answer comes: click the option
    # only once the answer for this search is in, or the click can land on a list about to be replaced (the list
    # of everything it showed on opening).
    def answers_this_search(response) -> bool:
        return "/autocomplete/" in response.url and parse_qs(urlsplit(response.url).query).get("term") == [search]

    with page.expect_response(answers_this_search):
        page.locator(".select2-container--open .select2-search__field").fill(search)
    page.locator(".select2-container--open .select2-results__option", has_text=option).click()
    expect(page.locator(f"#{select_id} + .select2 .select2-selection__rendered")).to_contain_text(option)


def add_block(page, kind: str, before=None):
    """Add a block of `kind` (its name in the menu) as the editor does: the "+" at the end of the body, or the one
    just above the block `before`, then the kind in the menu that opens. Returns the new block."""
    plus = (
        before.locator(":scope > .order-machine-insert-target")
        if before
        else page.locator(".order-machine-insert-target.last")
    )
    plus.click()
    item = page.locator(f'.plugin-buttons .plugin-button[title="{kind}"]')
    prefix = item.get_attribute("data-plugin-prefix")
    index = page.locator(f"#id_{prefix}-TOTAL_FORMS").input_value()
    item.click()
    block = page.locator(f"#{prefix}-{index}")
    expect(block).to_be_visible()
    return block


def prose(block):
    """The block's prose editor: what the editor types into (its textarea is hidden, and follows it)."""
    return block.locator(".ProseMirror")


# The centre of the first occurrence of a word in an element's text, in page coordinates.
WORD_CENTRE = """(element, word) => {
    const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const at = node.data.indexOf(word);
        if (at >= 0) {
            const range = document.createRange();
            range.setStart(node, at);
            range.setEnd(node, at + word.length);
            const box = range.getBoundingClientRect();
            return {x: box.left + box.width / 2, y: box.top + box.height / 2};
        }
    }
    return null;
}"""


def settled(page, locator) -> bool:
    """Whether `locator` is where it was a tenth of a second ago."""
    before = locator.bounding_box()
    page.wait_for_timeout(100)
    return before is not None and before == locator.bounding_box()


def blocks_in_order(page) -> list[str]:
    return page.evaluate(BLOCKS_IN_ORDER)


def test_editor_writes_a_story_with_every_kind_of_block_moves_its_more_link_and_publishes_it(page, tmp_path):
    editor = UserFactory(handle="deskeditor", is_staff=True)
    editor.groups.add(editors_group())
    SectionFactory(name="World", slug="world")
    AuthorFactory(name="Ana Reyes")
    ArticleFactory(headline="How the storm was forecast")
    ImageFactory(alt_text="Cranes on the dock")
    photo = tmp_path / "quay.png"
    photo.write_bytes(png_file(1600, 900, "#4477aa").read())
    # Refused scripts or styles (the admin under its CSP) and failed requests show as console errors.
    console_errors = []
    page.on(
        "console",
        lambda message: message.type == "error" and console_errors.append(f"{message.text} {message.location['url']}"),
    )

    page.goto("/admin/")
    page.get_by_label("Handle").fill("deskeditor")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()

    # The image library: upload, with alt text and credit.
    page.goto("/admin/articles/image/add/")
    page.locator("#id_file").set_input_files(photo)
    page.locator("#id_alt_text").fill("The quay at first light")
    page.locator("#id_credit").fill("Wire / J. Doe")
    page.locator("input[name=_save]").click()
    expect(page.locator(".messagelist .success")).to_contain_text("was added successfully")
    image = Image.objects.get(alt_text="The quay at first light")
    assert (image.width, image.height) == (1600, 900)

    # A gallery of two pictures from the library, each with its caption.
    page.goto("/admin/articles/gallery/add/")
    page.locator("#id_title").fill("The flood in pictures")
    choose(page, "id_items-0-image", "quay", "The quay at first light")
    page.locator("#id_items-0-caption").fill("The quay, a week after.")
    page.locator("#items-group .add-row a").click()
    choose(page, "id_items-1-image", "Cranes", "Cranes on the dock")
    page.locator("#id_items-1-caption").fill("The cranes at work again.")
    page.locator("#id_items-1-order").fill("1")
    page.locator("input[name=_save]").click()
    expect(page.locator(".messagelist .success")).to_contain_text("was added successfully")
    gallery = Gallery.objects.get()
    assert [item.caption for item in gallery.items.all()] == ["The quay, a week after.", "The cranes at work again."]

    # A new story: the slug fills itself from the headline; byline and lead image.
    page.goto("/admin/articles/article/add/")
    page.locator("#id_section").select_option(label="World")
    page.locator("#id_headline").press_sequentially("Harbour reopens after the storm")  # key by key, as typed
    expect(page.locator("#id_slug")).to_have_value("harbour-reopens-after-the-storm")
    page.locator("#id_deck").fill("Boats return to the quay a week after the flood.")
    choose(page, "id_bylines-0-author", "Ana", "Ana Reyes")
    choose(page, "id_lead-0-image", "quay", "The quay at first light")
    page.locator("#id_lead-0-caption").fill("The quay at first light, a week after the flood.")
    expect(page.locator("#body-word-count")).to_have_text("0 words")

    # The body, block by block from content-editor's menu. Text: two paragraphs, emphasis and a link from the
    # prose editor's toolbar.
    text = add_block(page, "Text")
    prose(text).click()
    page.keyboard.type("Boats returned at ")
    text.get_by_role("button", name="bold").click()
    page.keyboard.type("dawn")
    text.get_by_role("button", name="bold").click()
    page.keyboard.type(", ")
    text.get_by_role("button", name="italic").click()
    page.keyboard.type("a week")
    text.get_by_role("button", name="italic").click()
    page.keyboard.type(" after the flood.")
    # The word selected with a double click, all at once. The editor takes each selection in on the browser's
    # selectionchange event, after the input that made it, so the next step waits until its toolbar shows it has:
    # the link button is enabled on a selection, and disabled again once the caret is past the link.
    link_button = text.get_by_role("button", name="insert link")
    word = prose(text).evaluate(WORD_CENTRE, "flood")
    page.mouse.dblclick(word["x"], word["y"])
    expect(link_button).not_to_have_class(re.compile(r"\bdisabled\b"))
    link_button.click()
    href = page.locator("dialog.prose-editor-dialog[open] input[name=href]")
    href.fill("https://example.org/flood")
    expect(href).to_have_value("https://example.org/flood")
    page.locator("dialog.prose-editor-dialog[open]").get_by_role("button", name="Update").click()
    # The link is in place (and the dialog gone) before the caret moves on.
    expect(page.locator("dialog.prose-editor-dialog[open]")).to_have_count(0)
    expect(prose(text).locator("a")).to_have_text("flood")
    # A click to the right of the paragraph's words puts the caret at its end.
    paragraph = prose(text).locator("p")
    paragraph.click(position={"x": paragraph.bounding_box()["width"] - 4, "y": 4})
    expect(link_button).to_have_class(re.compile(r"\bdisabled\b"))
    page.keyboard.press("Enter")
    page.keyboard.type("The mayor spoke at noon.")
    expect(prose(text).locator("strong")).to_have_text("dawn")
    expect(prose(text).locator("em")).to_have_text("a week")
    expect(prose(text).locator("a")).to_have_text("flood")
    expect(page.locator("#body-word-count")).to_have_text("14 words · 1 min read")

    heading = add_block(page, "Subheading")
    heading.locator("input[name$='-text']").fill("What the storm left behind")

    quote = add_block(page, "Quote")
    prose(quote).click()
    page.keyboard.type("We will rebuild the quay by summer.")
    quote.locator("input[name$='-attribution']").fill("Maria Ortiz, mayor")
    quote.locator("select[name$='-style']").select_option(label="Pull quote (set apart, large)")

    # A bulleted list and a numbered one, from the prose editor's list buttons; Enter starts the next item.
    for button, (first, second) in [
        ("unordered list", ("New moorings", "A longer pier")),
        ("ordered list", ("Apply for a berth", "Pay the fee")),
    ]:
        items = add_block(page, "List")
        prose(items).click()
        items.get_by_role("button", name=button, exact=True).click()
        page.keyboard.type(first)
        page.keyboard.press("Enter")
        page.keyboard.type(second)
    # 14 + 5 (the subheading) + 7 + 3 (its attribution) + 5 + 7.
    expect(page.locator("#body-word-count")).to_have_text("41 words · 1 min read")

    picture = add_block(page, "Image")
    choose(page, picture.locator("select").get_attribute("id"), "Cranes", "Cranes on the dock")
    picture.locator("input[name$='-caption']").fill("Cranes lift the new pier into place.")
    picture.locator("input[name$='-credit']").fill("Harbour Authority")

    pictures = add_block(page, "Gallery")
    choose(page, pictures.locator("select").get_attribute("id"), "flood", "The flood in pictures")

    more = add_block(page, "MORE link")
    choose(page, more.locator("select").get_attribute("id"), "forecast", "How the storm was forecast")

    # An embed of an address no allowed kind matches: refused, saying which kinds are, and nothing typed is lost.
    embed = add_block(page, "Embed")
    embed.locator("input[name$='-url']").fill("https://example.com/videos/harbour")
    embed.locator("input[name$='-title']").fill("The reopening, filmed from the pier")
    page.locator("#id_status").select_option(label="Published")
    typed = page.locator("#article_form").evaluate(FORM_VALUES)
    order = blocks_in_order(page)
    page.locator("input[name=_continue]").click()
    expect(page.locator(".errornote")).to_be_visible()
    refusal = page.locator(f"#{order[-1]} .errorlist")
    expect(refusal).to_contain_text("This address cannot be embedded.")
    for kind in embeds.PROVIDERS:
        expect(refusal).to_contain_text(kind)
    assert not Article.objects.filter(slug="harbour-reopens-after-the-storm").exists()
    assert page.locator("#article_form").evaluate(FORM_VALUES) == typed
    assert blocks_in_order(page) == order
    expect(prose(page.locator(f"#{order[0]}")).locator("a")).to_have_attribute("href", "https://example.org/flood")

    page.locator(f"#{order[-1]} input[name$='-url']").fill("https://www.youtube.com/watch?v=aqz-KE-bpKQ")
    page.locator("input[name=_continue]").click()
    expect(page.locator(".messagelist .success")).to_contain_text("was added successfully")
    article = Article.objects.get(slug="harbour-reopens-after-the-storm")
    assert article.is_live
    saved = body.blocks(article)
    kinds = ["text", "subheading", "quote", "list", "list", "image", "gallery", "MORE link", "embed"]
    assert [block._meta.verbose_name for block in saved] == kinds
    assert [block.ordering for block in saved] == [10, 20, 30, 40, 50, 60, 70, 80, 90]
    assert saved[0].text == (
        '<p>Boats returned at <strong>dawn</strong>, <em>a week</em> after the <a href="https://example.org/flood" '
        'title="">flood</a>.</p><p>The mayor spoke at noon.</p>'
    )
    assert saved[3].items == "<ul><li><p>New moorings</p></li><li><p>A longer pier</p></li></ul>"
    assert saved[4].items == "<ol><li><p>Apply for a berth</p></li><li><p>Pay the fee</p></li></ol>"
    expect(page.locator("#body-word-count")).to_have_text("41 words · 1 min read")

    # The MORE link dragged by its title bar to just above the subheading: it follows the first paragraphs.
    # Collapsed to their title bars, the blocks fit on the screen; the MORE link's bar is dragged to the top
    # half of the subheading's: it is put just above it.
    page.locator(".collapse-items").click()
    more_bar = page.locator(".order-machine > .dynamic-articles_moreblock_set > h3")
    heading_bar = page.locator(".order-machine > .dynamic-articles_headingblock_set > h3")
    # Dragged once the collapsed blocks have stopped moving: a target measured mid-way is the wrong place. On a
    # loaded machine a drop can still miss (the block stays where it was): the editor drags again, as a person would.

    def dropped_above_the_subheading() -> bool:
        heading_bar.scroll_into_view_if_needed()
        for bar in (more_bar, heading_bar):
            wait_for(lambda bar=bar: settled(page, bar), timeout=10, interval=0, what="the collapsed blocks at rest")
        more_bar.drag_to(heading_bar, target_position={"x": 200, "y": 2})
        return blocks_in_order(page)[1].startswith("articles_moreblock")

    wait_for(dropped_above_the_subheading, timeout=60, interval=0, what="the MORE link dropped above the subheading")
    assert [block.split("_set")[0] for block in blocks_in_order(page)] == [
        "articles_textblock",
        "articles_moreblock",
        "articles_headingblock",
        "articles_quoteblock",
        "articles_listblock",
        "articles_listblock",
        "articles_imageblock",
        "articles_galleryblock",
        "articles_embedblock",
    ]
    page.locator("input[name=_save]").click()
    expect(page.locator(".messagelist .success")).to_contain_text("was changed successfully")
    moved = body.blocks(article)
    assert [type(block) for block in moved[:3]] == [TextBlock, MoreBlock, HeadingBlock]
    assert [block.pk for block in moved] == [saved[i].pk for i in (0, 7, 1, 2, 3, 4, 5, 6, 8)]
    assert [block.ordering for block in moved] == sorted(block.ordering for block in moved)

    # What readers now see: the blocks in the editor's new order.
    page.goto("/")
    page.get_by_role("link", name="Harbour reopens after the storm").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Harbour reopens after the storm")
    expect(page.locator(".story__lead img")).to_have_attribute("alt", "The quay at first light")
    expect(page.locator(".story__lead img")).to_have_attribute("src", re.compile(r"^/media/renditions/"))
    expect(page.locator(".story__lead figcaption")).to_contain_text("Wire / J. Doe")
    # Polled by Playwright itself: a wait_for_function string is evaluated as a script, which the CSP refuses.
    expect(page.locator(".story__lead img")).to_have_js_property("complete", True)
    assert page.locator(".story__lead img").evaluate("img => img.naturalWidth") > 0  # the rendition is served
    story = page.locator(".story__body > *")
    expect(story).to_have_count(10)
    assert story.evaluate_all("els => els.map(el => [el.tagName, el.className].join(' ').trim())") == [
        "P",
        "P",
        "P more",
        "H2 story__subhead",
        "ASIDE pullquote",
        "UL",
        "OL",
        "FIGURE story__figure",
        "SECTION gallery",
        "FIGURE embed embed--video",
    ]
    expect(story.nth(0)).to_have_text("Boats returned at dawn, a week after the flood.")
    expect(story.nth(0).locator("strong")).to_have_text("dawn")
    expect(story.nth(0).locator("em")).to_have_text("a week")
    expect(story.nth(0).get_by_role("link", name="flood")).to_have_attribute("href", "https://example.org/flood")
    expect(story.nth(1)).to_have_text("The mayor spoke at noon.")
    expect(story.nth(2)).to_have_text("MORE: How the storm was forecast")
    expect(story.nth(3)).to_have_text("What the storm left behind")
    expect(story.nth(4)).to_have_text("We will rebuild the quay by summer.Maria Ortiz, mayor")
    expect(story.nth(5).locator("li")).to_have_text(["New moorings", "A longer pier"])
    expect(story.nth(6).locator("li")).to_have_text(["Apply for a berth", "Pay the fee"])
    expect(story.nth(7).locator("img")).to_have_attribute("alt", "Cranes on the dock")
    expect(story.nth(7).locator("figcaption")).to_have_text("Cranes lift the new pier into place. Harbour Authority")
    expect(story.nth(8).locator("figcaption")).to_have_text(
        ["1 of 2. The quay, a week after. Wire / J. Doe", "2 of 2. The cranes at work again."]
    )
    # The embed is a link card: nothing from YouTube loads until the reader asks.
    expect(story.nth(9).get_by_role("link", name="The reopening, filmed from the pier")).to_have_attribute(
        "href", "https://www.youtube.com/watch?v=aqz-KE-bpKQ"
    )
    expect(story.nth(9).get_by_role("button", name="Play here")).to_be_visible()
    assert page.locator("iframe").count() == 0
    expect(page.locator(".story__byline")).to_contain_text("By Ana Reyes")
    assert EmbedBlock.objects.get().embed.provider == "YouTube"
    assert console_errors == []


# Every value of a form, by name (a multiple select lists each choice), as the browser would submit it; the CSRF
# token differs on every page.
FORM_VALUES = """form => {
    const values = {};
    for (const [name, value] of new FormData(form)) (values[name] ||= []).push(value);
    delete values.csrfmiddlewaretoken;
    return values;
}"""


def test_the_word_count_and_reading_time_follow_the_body_as_the_editor_types(page, sign_in):
    editor = UserFactory(is_staff=True)
    editor.groups.add(editors_group())
    sign_in(editor)
    story = ArticleFactory(body="One two three.\n\nFour &amp; five.")
    add_blocks(story, HeadingBlock(text="Six seven"), MoreBlock(target=ArticleFactory(headline="Not counted at all")))
    page.goto(f"/admin/articles/article/{story.pk}/change/")
    counter = page.locator("#body-word-count")
    # Under the Body tab, above the blocks.
    assert counter.evaluate("el => el.previousElementSibling.matches('.tabs.regions')")
    expect(counter).to_have_text("8 words · 1 min read")

    # Words a minute as the site reads them: one word past two minutes' worth is a third minute.
    text = add_block(page, "Text")
    prose(text).click()
    page.keyboard.insert_text(" ".join(["word"] * (2 * body.WORDS_PER_MINUTE - 8)))
    expect(counter).to_have_text(f"{2 * body.WORDS_PER_MINUTE} words · 2 min read")
    page.keyboard.insert_text(" more")
    expect(counter).to_have_text(f"{2 * body.WORDS_PER_MINUTE + 1} words · 3 min read")

    # A new block removed, a saved one marked for deletion, a subheading retyped.
    text.locator(".inline-deletelink").click()
    expect(counter).to_have_text("8 words · 1 min read")
    page.locator(".dynamic-articles_textblock_set .delete input[type=checkbox]").check()
    expect(counter).to_have_text("2 words · 1 min read")
    page.locator(".dynamic-articles_headingblock_set input[name$='-text']").fill("Alone")
    expect(counter).to_have_text("1 word · 1 min read")
    page.locator(".dynamic-articles_headingblock_set input[name$='-text']").fill("")
    expect(counter).to_have_text("0 words")
