"""The home page's first screen in Chromium: the lead headline in view whatever its picture's shape; cards alike."""

import pytest

from tests.factories import ArticleFactory, ImageFactory, LeadImageFactory, SectionFactory

VIEWPORTS = {"desktop": (1280, 800), "phone": (390, 844)}
# Pixel sizes of pictures whose shapes editors really upload: a camera's 3:2, a phone's 4:5 portrait, a panorama.
SHAPES = {"3:2": (1500, 1000), "4:5": (800, 1000), "21:9": (2100, 900)}
LONG_HEADLINE = "Saltmere voters back a sea wall after three winters of floods, and the council promises work by spring"

# Sums the page's layout shifts from its first paint (Layout Instability API), as Core Web Vitals' CLS does.
CLS_OBSERVER = """
window.__layoutShift = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) { if (!entry.hadRecentInput) window.__layoutShift += entry.value; }
}).observe({type: "layout-shift", buffered: true});
"""


@pytest.fixture
def front_page(db):
    def build(lead_shape: str):
        for order, name in enumerate(["World", "Politics", "Climate", "Business", "Science"]):
            SectionFactory(name=name, slug=name.lower(), order=order)
        # Listed newest first: the lead is the newest story; cards below it show every shape, and one has no picture.
        for n, (width, height) in enumerate([*SHAPES.values(), (1000, 1000), (640, 480)]):
            story = ArticleFactory(headline=f"Card story {n}")
            LeadImageFactory(article=story, image=ImageFactory(width=width, height=height))
        ArticleFactory(headline="A story without a picture")
        width, height = SHAPES[lead_shape]
        lead = ArticleFactory(headline=LONG_HEADLINE, deck="The vote was close; the money is not yet found.")
        LeadImageFactory(article=lead, image=ImageFactory(width=width, height=height))
        return lead

    return build


def settle(page) -> None:
    """Bring every lazy picture in (scrolling past each, as a reader would) and wait until all have loaded."""
    for image in page.locator("main img").all():
        image.scroll_into_view_if_needed()
    page.wait_for_function("[...document.images].every((img) => img.complete && img.naturalWidth > 0)")
    page.evaluate("window.scrollTo(0, 0)")


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("shape", SHAPES)
def test_lead_headline_is_on_the_first_screen_and_cards_share_one_shape(
    browser, live_server, front_page, viewport, shape
):
    front_page(shape)
    width, height = VIEWPORTS[viewport]
    context = browser.new_context(base_url=live_server.url, viewport={"width": width, "height": height})
    try:
        context.add_init_script(CLS_OBSERVER)
        page = context.new_page()
        page.goto("/")

        headline = page.locator(".card--lead .card__headline").bounding_box()
        assert headline is not None
        assert headline["y"] >= 0 and headline["y"] + headline["height"] <= height, (headline, height)
        assert headline["x"] >= 0 and headline["x"] + headline["width"] <= width, (headline, width)

        settle(page)
        lead_picture = page.locator(".card--lead .card__image img").bounding_box()
        assert lead_picture["width"] / lead_picture["height"] == pytest.approx(16 / 9, rel=0.02)
        cards = page.locator(".story-list .card__image img")
        assert cards.count() == 5
        boxes = [card.bounding_box() for card in cards.all()]
        assert len({round(box["height"]) for box in boxes}) == 1, boxes
        assert len({round(box["width"]) for box in boxes}) == 1, boxes
        # Every picture says its size before it loads, so nothing below it moves when it arrives.
        for image in page.locator("main img").all():
            assert image.get_attribute("width") and image.get_attribute("height")
        assert page.evaluate("window.__layoutShift") == 0

        # A card without a picture gives its words the card's whole width.
        text = page.locator(".card", has_text="A story without a picture").locator(".card__text").bounding_box()
        main = page.locator("main").bounding_box()
        assert text["width"] > main["width"] * 0.8, (text, main)
    finally:
        context.close()
