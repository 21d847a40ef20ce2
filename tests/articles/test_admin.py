"""The editors' admin: an editor who is not a superuser runs stories and images; readers stay out."""

import io
import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image as PILImage

from articles.models import Article, Image
from tests.corpora import naughty_strings, xss_payloads
from tests.factories import (
    ArticleFactory,
    AuthorFactory,
    ImageFactory,
    LeadImageFactory,
    MoreBlockFactory,
    UserFactory,
)
from tests.hostile_images import (
    jpeg_html_polyglot,
    jpeg_with_script_in_every_field,
    png_bomb,
    png_with_script_in_every_chunk,
    svgs_with_script,
)

pytestmark = pytest.mark.django_db


def test_reader_cannot_reach_the_admin(client):
    client.force_login(UserFactory())
    response = client.get(reverse("admin:articles_article_changelist"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_editor_sees_the_story_list_with_state_thumbnail_and_view_link(editor_client, django_assert_max_num_queries):
    for _ in range(5):
        LeadImageFactory(article=ArticleFactory(authors=[AuthorFactory(), AuthorFactory()]))
    ArticleFactory(headline="Tomorrow's story", publish_at=timezone.now() + timezone.timedelta(days=1))
    with django_assert_max_num_queries(15):
        response = editor_client.get(reverse("admin:articles_article_changelist"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Scheduled" in html and "Live" in html
    assert html.count('<img src="/media/renditions/') == 5
    assert ">View</a>" in html and ">Preview</a>" in html


def test_story_search_and_the_more_link_autocomplete_cost_the_same_queries_at_any_size(
    editor_client, django_assert_max_num_queries
):
    ArticleFactory(headline="Glacier retreats", slug="glacier-retreats")
    ArticleFactory(headline="Council meets", slug="council-meets", status=Article.Status.DRAFT)
    changelist = reverse("admin:articles_article_changelist")
    autocomplete = "/admin/autocomplete/?app_label=articles&model_name=moreblock&field_name=target&term="
    urls = [f"{changelist}?q=glacier", f"{changelist}?q=council-me", f"{autocomplete}glacier"]
    small = {}
    for url in urls:
        with CaptureQueriesContext(connection) as captured:
            response = editor_client.get(url)
        assert response.status_code == 200
        small[url] = len(captured)
    html = editor_client.get(urls[0]).content.decode()
    assert "Glacier retreats" in html and "Council meets" not in html
    assert "Council meets" in editor_client.get(urls[1]).content.decode()  # the start of a slug, drafts too
    assert "Glacier retreats" in editor_client.get(urls[2]).content.decode()
    assert "date_hierarchy" not in html and "xfull" not in html  # no per-date links, no full count
    for n in range(30):
        ArticleFactory(headline=f"Glacier story {n}")
    for url in urls:
        with django_assert_max_num_queries(small[url]):
            assert editor_client.get(url).status_code == 200


def test_story_search_takes_the_start_of_words_as_an_editor_types(editor_client):
    ArticleFactory(headline="How the storm was forecast", deck="Plain words.", body="Plain words.")
    ArticleFactory(headline="Council meets", deck="Plain words.", body="Plain words.")
    autocomplete = "/admin/autocomplete/?app_label=articles&model_name=moreblock&field_name=target&term="
    for typed in ("How t", "storm w", "forecas", "the STORM"):
        found = [r["text"] for r in editor_client.get(autocomplete + typed).json()["results"]]
        assert found == ["How the storm was forecast"], typed
    for hostile in ['"', "t:* | x", "'); --", "NEAR(", "*", "-", "🙂", "x" * 200]:
        assert editor_client.get(autocomplete + hostile).status_code == 200, hostile


@pytest.mark.parametrize(
    ("state", "expected"),
    [("live", {"live"}), ("scheduled", {"scheduled"}), ("draft", {"draft"}), ("review", {"review"})],
)
def test_state_filter(editor_client, state, expected):
    ArticleFactory(headline="live")
    ArticleFactory(headline="scheduled", publish_at=timezone.now() + timezone.timedelta(days=1))
    ArticleFactory(headline="draft", status=Article.Status.DRAFT)
    ArticleFactory(headline="review", status=Article.Status.REVIEW)
    response = editor_client.get(reverse("admin:articles_article_changelist"), {"state": state})
    assert {a.headline for a in response.context["cl"].result_list} == expected


def test_publish_now_and_unpublish_actions(editor_client):
    draft = ArticleFactory(status=Article.Status.DRAFT, publish_at=None)
    url = reverse("admin:articles_article_changelist")
    editor_client.post(url, {"action": "publish_now", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert draft.is_live
    editor_client.post(url, {"action": "unpublish", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert not draft.is_live


def test_change_form_shows_prepublish_problems(editor_client):
    article = ArticleFactory(headline="H" * 130)
    LeadImageFactory(article=article, image__credit="")
    MoreBlockFactory(parent=article, target=ArticleFactory(headline="Unfinished draft", status=Article.Status.DRAFT))
    html = editor_client.get(reverse("admin:articles_article_change", args=[article.pk])).content.decode()
    assert "The headline is 130 characters" in html
    assert "The lead image has no credit" in html
    assert "Unfinished draft” is not published" in html


def test_a_live_storys_problems_are_not_called_before_publishing(editor_client):
    live = ArticleFactory(headline="H" * 130)
    html = editor_client.get(reverse("admin:articles_article_change", args=[live.pk])).content.decode()
    assert "Live, but needs attention: The headline is 130 characters" in html and "Before publishing" not in html
    draft = ArticleFactory(headline="H" * 130, status=Article.Status.DRAFT)
    html = editor_client.get(reverse("admin:articles_article_change", args=[draft.pk])).content.decode()
    assert "Before publishing: The headline is 130 characters" in html


def test_the_story_form_shows_the_deck_whole_and_wide_caption_and_credit(editor_client):
    html = editor_client.get(reverse("admin:articles_article_add")).content.decode()
    deck = re.search(r'<textarea name="deck"[^>]*>', html).group(0)
    assert 'rows="2"' in deck and 'class="vLargeTextField"' in deck
    for name in ("caption", "credit"):
        field = re.search(rf'<input type="text" name="[^"]*-{name}"[^>]*>', html).group(0)
        assert 'class="vLargeTextField"' in field, field
    assert ">URL:</label>" in html and ">Url:</label>" not in html


def test_changing_the_slug_in_the_admin_keeps_the_old_address_working(editor_client):
    article = ArticleFactory(slug="before")
    LeadImageFactory(article=article)
    old_url = article.get_absolute_url()
    change_url = reverse("admin:articles_article_change", args=[article.pk])
    data = admin_post_data(editor_client.get(change_url), slug="after")
    response = editor_client.post(change_url, data)
    assert response.status_code == 302, (
        response.context["adminform"].form.errors,
        [f.errors for inline in response.context["inline_admin_formsets"] for f in inline.formset],
    )
    article.refresh_from_db()
    assert article.slug == "after"
    response = Client().get(old_url)
    assert response.status_code == 301 and response["Location"].endswith("/after/")


def admin_post_data(response, **overrides):
    """Everything the admin change form would post back, from the rendered form and its inline formsets."""
    data = {}
    form = response.context["adminform"].form
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if hasattr(value, "pk"):
            value = value.pk
        if isinstance(value, list | tuple):
            value = [getattr(v, "pk", v) for v in value]
        if value is None:
            continue
        if name in ("publish_at", "updated_at"):
            data[f"{name}_0"] = timezone.localtime(value).strftime("%Y-%m-%d")
            data[f"{name}_1"] = timezone.localtime(value).strftime("%H:%M:%S")
            continue
        data[name] = value
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for key, value in formset.management_form.initial.items():
            data[f"{formset.prefix}-{key}"] = value
        data[f"{formset.prefix}-TOTAL_FORMS"] = len(formset.initial_forms)  # no extra, empty forms
        for index, inline_form in enumerate(formset.initial_forms):
            data[f"{formset.prefix}-{index}-id"] = inline_form.instance.pk
            for name in inline_form.fields:
                value = inline_form.initial.get(name)
                if value is not None:
                    data[f"{formset.prefix}-{index}-{name}"] = getattr(value, "pk", value)
    data.update(overrides)
    return data


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def png_bytes(**info) -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", (300, 200), "#884422").save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("filename", "content", "message"),
    [
        *[
            pytest.param(f"{name}.svg", svg, "SVG images are not accepted", id=name)
            for name, svg in sorted(svgs_with_script().items())
        ],
        pytest.param("xss.txt", lambda: "\n".join(xss_payloads()).encode(), "not an image", id="xss-corpus"),
        pytest.param("blns.json", lambda: json.dumps(naughty_strings()).encode(), "not an image", id="blns-corpus"),
        pytest.param("bomb.png", png_bomb(), "The image is 30000 x 30000 pixels; the limit is 40", id="bomb"),
    ],
)
def test_image_upload_refuses_hostile_files_with_a_reason(editor_client, filename, content, message):
    content = content() if callable(content) else content  # the corpora load when the test runs, not at collection
    response = editor_client.post(
        reverse("admin:articles_image_add"),
        {"file": upload(filename, content), "alt_text": "x", "credit": "", "focal_x": "0.5", "focal_y": "0.5"},
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Image.objects.exists()


@pytest.mark.parametrize(
    ("filename", "content"),
    [
        pytest.param("every-field.jpg", jpeg_with_script_in_every_field(), id="jpeg-every-field"),
        pytest.param("every-chunk.png", png_with_script_in_every_chunk(), id="png-every-chunk"),
        pytest.param("polyglot.jpg", jpeg_html_polyglot(), id="jpeg-html-polyglot"),
    ],
)
def test_image_upload_accepts_real_pictures_and_strips_their_script(
    editor_client, filename, content, django_capture_on_commit_callbacks
):
    assert b"alert(" in content
    with django_capture_on_commit_callbacks(execute=True):  # the renditions task runs once the upload commits
        response = editor_client.post(
            reverse("admin:articles_image_add"),
            {
                "file": upload(filename, content),
                "alt_text": "A test picture",
                "credit": "Wire",
                "focal_x": "0.5",
                "focal_y": "0.5",
            },
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    image = Image.objects.get()
    stored = image.file.read()
    assert b"<script" not in stored.lower() and b"alert(" not in stored
    assert {r["format"] for r in image.renditions} == {"WEBP", "JPEG"}


def test_image_needs_alt_text(editor_client):
    response = editor_client.post(
        reverse("admin:articles_image_add"),
        {"file": upload("ok.png", png_bytes()), "alt_text": "", "focal_x": "0.5", "focal_y": "0.5"},
    )
    assert "This field is required." in response.content.decode()
    assert not Image.objects.exists()


def test_moving_the_focal_point_remakes_the_crops(editor_client, django_capture_on_commit_callbacks):
    from django.core.files.storage import default_storage

    image = ImageFactory(width=1600, height=900)
    before = {r["name"] for r in image.renditions}
    response = editor_client.get(reverse("admin:articles_image_change", args=[image.pk]))
    assert response.status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(
            reverse("admin:articles_image_change", args=[image.pk]),
            {"alt_text": image.alt_text, "credit": "", "focal_x": "0.1", "focal_y": "0.5"},
        )
    assert response.status_code == 302, response.content.decode()[:3000]
    image.refresh_from_db()
    assert image.focal_x == 0.1
    [square] = [r["name"] for r in image.renditions if r["crop"] == "1x1"]
    assert square not in before and default_storage.exists(square)  # a new crop, stored beside the old one
    assert not any(default_storage.exists(name) for name in before)  # which is gone once the new ones are in


# Roles (issue 16): reporters write and submit for review; only editors publish, schedule and unpublish.


def change_url(article):
    return reverse("admin:articles_article_change", args=[article.pk])


def form_errors(response):
    return response.context["adminform"].form.errors


def test_a_reporter_is_offered_draft_and_in_review_only(reporter_client):
    for url in (reverse("admin:articles_article_add"), change_url(ArticleFactory(status=Article.Status.DRAFT))):
        form = reporter_client.get(url).context["adminform"].form
        assert [value for value, _ in form.fields["status"].choices] == ["draft", "review"]


def test_a_reporter_who_posts_published_gets_a_clear_error_and_keeps_the_text(reporter_client):
    story = ArticleFactory(status=Article.Status.DRAFT, publish_at=None, headline="Old headline")
    LeadImageFactory(article=story)
    data = admin_post_data(reporter_client.get(change_url(story)), status="published", headline="Typed headline")
    response = reporter_client.post(change_url(story), data)
    assert response.status_code == 200
    assert "Only editors publish or schedule stories" in form_errors(response)["status"][0]
    assert 'value="Typed headline"' in response.content.decode()
    story.refresh_from_db()
    assert (story.status, story.headline) == (Article.Status.DRAFT, "Old headline")


def test_a_reporter_cannot_set_the_publishing_time(reporter_client):
    story = ArticleFactory(status=Article.Status.DRAFT, publish_at=None)
    LeadImageFactory(article=story)
    data = admin_post_data(
        reporter_client.get(change_url(story)), publish_at_0="2030-01-01", publish_at_1="06:00:00", deck="Typed deck"
    )
    response = reporter_client.post(change_url(story), data)
    assert response.status_code == 200
    assert "Only editors set the publishing time" in form_errors(response)["publish_at"][0]
    assert "Typed deck" in response.content.decode()
    story.refresh_from_db()
    assert story.publish_at is None


def test_a_reporter_submits_for_review_with_a_note_to_the_editor(reporter_client):
    story = ArticleFactory(status=Article.Status.DRAFT, publish_at=None)
    LeadImageFactory(article=story)
    data = admin_post_data(reporter_client.get(change_url(story)), status="review")
    response = reporter_client.post(change_url(story), data)
    assert response.status_code == 200
    assert "Tell the editor what to check" in form_errors(response)["review_note"][0]
    data["review_note"] = "The mayor's quote is from the recording; check the figures with the council."
    assert reporter_client.post(change_url(story), data).status_code == 302
    story.refresh_from_db()
    assert story.status == Article.Status.REVIEW and not story.is_live


@pytest.mark.parametrize("hours", [-1, 5], ids=["live", "scheduled"])
def test_a_reporter_reads_but_cannot_change_a_published_or_scheduled_story(reporter_client, editor, hours):
    story = ArticleFactory(headline="As published", publish_at=timezone.now() + timezone.timedelta(hours=hours))
    LeadImageFactory(article=story)
    page = reporter_client.get(change_url(story))
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    editor_client = Client()
    editor_client.force_login(editor)
    data = admin_post_data(editor_client.get(change_url(story)), headline="Rewritten by a reporter")
    assert reporter_client.post(change_url(story), data).status_code == 403
    story.refresh_from_db()
    assert story.headline == "As published"


def test_the_publish_actions_need_the_publish_permission(reporter_client):
    draft = ArticleFactory(status=Article.Status.DRAFT, publish_at=None)
    live = ArticleFactory()
    url = reverse("admin:articles_article_changelist")
    actions = set(reporter_client.get(url).context["cl"].model_admin.get_actions(reporter_client.get(url).wsgi_request))
    assert not actions & {"publish_now", "unpublish"}
    reporter_client.post(url, {"action": "publish_now", "_selected_action": [draft.pk]})
    reporter_client.post(url, {"action": "unpublish", "_selected_action": [live.pk]})
    draft.refresh_from_db()
    live.refresh_from_db()
    assert not draft.is_live and live.is_live


def test_the_review_queue_shows_each_storys_note_and_an_editor_publishes_from_it(editor_client):
    story = ArticleFactory(
        headline="Council budget", status=Article.Status.REVIEW, publish_at=None, review_note="Figures checked twice."
    )
    LeadImageFactory(article=story)
    ArticleFactory(headline="Already live", review_note="An old note nobody needs now.")
    queue = editor_client.get(reverse("admin:articles_article_changelist"), {"state": "review"})
    html = queue.content.decode()
    assert "Council budget" in html and "Figures checked twice." in html and "Already live" not in html
    response = editor_client.post(
        change_url(story), admin_post_data(editor_client.get(change_url(story)), status="published")
    )
    assert response.status_code == 302
    story.refresh_from_db()
    assert story.is_live


def test_the_headlines_for_other_places_are_a_collapsed_fieldset_with_length_advice(editor_client):
    html = editor_client.get(reverse("admin:articles_article_add")).content.decode()
    fieldset = re.search(r"<details>\s*<summary>.*?Headlines for other places.*?</details>", html, re.S).group(0)
    for name in ("social_headline", "social_description", "seo_title", "seo_description"):
        assert f'name="{name}"' in fieldset
    assert "About 60 characters" in fieldset and "About 155 characters" in fieldset


def test_the_image_form_shows_the_stored_picture_to_click_beside_the_focal_point_inputs():
    from articles.admin import ImageAdmin, ImageForm

    image = ImageFactory(width=1600, height=900)
    html = str(ImageForm(instance=image))
    picker = re.search(r'<div class="focal-picker"[^>]*><img src="([^"]+)"', html)
    assert picker and picker.group(1) == image.rendition_url(width=800) and "/media/renditions/" in picker.group(1)
    for name in ("focal_x", "focal_y"):  # both stay inputs, for the keyboard
        assert re.search(rf'<input type="number" name="{name}" value="0.5" step="0.01" min="0" max="1"', html), name
    assert "focal-picker" not in str(ImageForm())  # nothing to click before the upload is stored
    assert "js/admin-focal-point.js" in str(ImageAdmin(Image, None).media)
    form = ImageForm({"alt_text": "A", "focal_x": "1.5", "focal_y": "-0.1"}, instance=image)
    assert not form.is_valid()
    assert form.errors["focal_x"] == ["Ensure this value is less than or equal to 1."]
    assert form.errors["focal_y"] == ["Ensure this value is greater than or equal to 0."]
