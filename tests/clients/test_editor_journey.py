"""An editor, in Chromium, uploads an image and creates and publishes a story with a lead image and MORE links in the
admin (its scripts and autocomplete widgets running under the admin's Content Security Policy)."""

import re
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import expect

from articles.models import Article, Image
from newsroom.services import editors_group
from tests.factories import ArticleFactory, AuthorFactory, SectionFactory, UserFactory, png_file

PASSWORD = "correct horse battery staple"


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


def test_editor_uploads_an_image_then_creates_and_publishes_a_story_with_more_links(page, tmp_path):
    editor = UserFactory(handle="deskeditor", is_staff=True)
    editor.groups.add(editors_group())
    SectionFactory(name="World", slug="world")
    AuthorFactory(name="Ana Reyes")
    ArticleFactory(headline="How the storm was forecast")
    ArticleFactory(headline="Tide tables explained")
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
    image = Image.objects.get()
    assert (image.width, image.height) == (1600, 900)

    # A new story: the slug fills itself from the headline; byline, lead image and a MORE link at the end.
    page.goto("/admin/articles/article/add/")
    page.locator("#id_section").select_option(label="World")
    page.locator("#id_headline").press_sequentially("Harbour reopens after the storm")  # key by key, as typed
    expect(page.locator("#id_slug")).to_have_value("harbour-reopens-after-the-storm")
    page.locator("#id_deck").fill("Boats return to the quay a week after the flood.")
    page.locator("#id_body").fill("Boats returned at dawn.\n\nThe mayor spoke at noon.\n\nRepairs go on.")
    choose(page, "id_bylines-0-author", "Ana", "Ana Reyes")
    choose(page, "id_lead-0-image", "quay", "The quay at first light")
    page.locator("#id_lead-0-caption").fill("The quay at first light, a week after the flood.")
    choose(page, "id_related_links-0-target", "forecast", "How the storm was forecast")
    page.locator("input[name=_continue]").click()
    expect(page.locator(".messagelist .success")).to_contain_text("was added successfully")
    article = Article.objects.get(slug="harbour-reopens-after-the-storm")
    assert not article.is_live

    # Second pass: a MORE link placed after the first paragraph (chosen by its words), then publish.
    choose(page, "id_related_links-1-target", "Tide", "Tide tables explained")
    page.locator("#id_related_links-1-after_paragraph").select_option(label="After 1. Boats returned at dawn.")
    page.locator("#id_status").select_option(label="Published")
    page.locator("input[name=_save]").click()
    expect(page.locator(".messagelist .success")).to_contain_text("was changed successfully")
    article.refresh_from_db()
    assert article.is_live

    # What readers now see.
    page.goto("/")
    page.get_by_role("link", name="Harbour reopens after the storm").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Harbour reopens after the storm")
    expect(page.locator(".story__lead img")).to_have_attribute("alt", "The quay at first light")
    expect(page.locator(".story__lead img")).to_have_attribute("src", re.compile(r"^/media/renditions/"))
    expect(page.locator(".story__lead figcaption")).to_contain_text("Wire / J. Doe")
    # Polled by Playwright itself: a wait_for_function string is evaluated as a script, which the CSP refuses.
    expect(page.locator(".story__lead img")).to_have_js_property("complete", True)
    assert page.locator(".story__lead img").evaluate("img => img.naturalWidth") > 0  # the rendition is served
    expect(page.locator(".story__body p")).to_have_text(
        [
            "Boats returned at dawn.",
            "(MORE: Tide tables explained)",
            "The mayor spoke at noon.",
            "Repairs go on.",
            "MORE: How the storm was forecast",
        ]
    )
    expect(page.locator(".story__byline")).to_contain_text("By Ana Reyes")
    assert console_errors == []
