"""The image's focal point chosen by clicking the picture in the admin, in Chromium under the admin's CSP: the click
fills the inputs, the marker follows, and the saved image holds the point (and its crops are cut around it)."""

from playwright.sync_api import expect

from articles.models import Image
from newsroom.services import editors_group
from tests.factories import ImageFactory, UserFactory

# Refused scripts or styles show as securitypolicyviolation events.
RECORD_CSP = """document.addEventListener(
    "securitypolicyviolation", e => (window.cspViolations ||= []).push(`${e.violatedDirective} ${e.blockedURI}`)
)"""


def test_an_editor_clicks_the_picture_to_set_the_focal_point_and_saves(
    page, sign_in, django_capture_on_commit_callbacks
):
    editor = UserFactory(is_staff=True)
    editor.groups.add(editors_group())
    image = ImageFactory(width=1600, height=900)
    console_errors = []
    page.on("console", lambda m: m.type == "error" and console_errors.append(f"{m.text} {m.location['url']}"))
    page.add_init_script(RECORD_CSP)
    sign_in(editor)

    page.goto(f"/admin/articles/image/{image.pk}/change/")
    picture = page.locator(".focal-picker img")
    expect(picture).to_be_visible()
    marker = page.locator(".focal-marker")
    expect(marker).to_be_visible()  # on the stored point (the middle) before any click
    box = picture.bounding_box()
    picture.click(position={"x": box["width"] * 0.25, "y": box["height"] * 0.8})
    x, y = float(page.locator("#id_focal_x").input_value()), float(page.locator("#id_focal_y").input_value())
    assert abs(x - 0.25) < 0.01 and abs(y - 0.8) < 0.01
    spot = marker.bounding_box()
    assert abs(spot["x"] + spot["width"] / 2 - (box["x"] + box["width"] * 0.25)) < 2

    # The inputs stay for the keyboard: typing moves the marker too.
    page.locator("#id_focal_y").fill("0.1")
    spot = marker.bounding_box()
    assert abs(spot["y"] + spot["height"] / 2 - (box["y"] + box["height"] * 0.1)) < 2
    page.locator("#id_focal_y").fill(f"{y:.3f}")

    with django_capture_on_commit_callbacks(execute=True):
        page.locator("input[name=_save]").click()
        expect(page.locator(".messagelist .success")).to_contain_text("was changed successfully")
    image = Image.objects.get(pk=image.pk)
    assert (round(image.focal_x, 2), round(image.focal_y, 2)) == (0.25, 0.8)
    assert page.evaluate("window.cspViolations || []") == [] and console_errors == []
