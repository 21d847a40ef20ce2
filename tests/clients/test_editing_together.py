"""Two editors in two Chromium contexts at once on one story: each sees the other is editing; the first save wins,
the second is refused with what changed and nothing typed lost; an autosaved draft comes back after the tab closed."""

from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from articles import admin_editing
from articles.models import Article
from newsroom.services import editors_group
from tests.clients.conftest import TIMEOUT_MS
from tests.factories import ArticleFactory, UserFactory


def editor_context(browser, live_server, name, handle):
    user = UserFactory(handle=handle, display_name=name, is_staff=True)
    user.groups.add(editors_group())
    client = Client()
    client.force_login(user)
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
    return context


def test_two_editors_at_once_presence_a_refused_save_and_autosave(browser, live_server, monkeypatch):
    monkeypatch.setattr(admin_editing, "PRESENCE_INTERVAL", 1)
    article = ArticleFactory(headline="Harbour reopens", deck="Boats return.")
    url = f"/admin/articles/article/{article.pk}/change/"
    ana_context = editor_context(browser, live_server, "Ana Reyes", "ana")
    ben_context = editor_context(browser, live_server, "Ben Okafor", "ben")
    try:
        ana, ben = ana_context.new_page(), ben_context.new_page()
        ana.goto(url)
        ben.goto(url)
        expect(ben.locator("#editing-presence")).to_contain_text("Also being edited by Ana Reyes (since ")
        expect(ana.locator("#editing-presence")).to_contain_text("Also being edited by Ben Okafor (since ")

        ana.locator("#id_headline").fill("Harbour reopens after the storm")
        ben.locator("#id_deck").fill("Boats return at dawn, a week after the flood.")
        ana.locator("input[name=_continue]").click()
        expect(ana.locator(".messagelist .success")).to_contain_text("was changed successfully")
        ben.locator("input[name=_continue]").click()
        expect(ben.locator(".errornote, .errorlist").first).to_be_visible()
        expect(ben.locator("body")).to_contain_text("Ana Reyes saved this story at")
        expect(ben.locator(".edit-conflict")).to_contain_text("Harbour reopens after the storm")
        expect(ben.locator("#id_deck")).to_have_value("Boats return at dawn, a week after the flood.")
        article.refresh_from_db()
        assert article.headline == "Harbour reopens after the storm" and article.deck == "Boats return."

        # Ben types more and closes the tab without saving; a new tab offers it back.
        ben.locator("#id_correction").fill("An earlier version misnamed the harbour.")
        ben.wait_for_timeout(1200)  # the autosave writes half a second after typing stops
        ben.close()
        again = ben_context.new_page()
        again.goto(url)
        prompt = again.locator("#autosave-prompt")
        expect(prompt).to_contain_text("Unsaved changes from ")
        prompt.get_by_role("button", name="Restore").click()
        expect(again.locator("#id_correction")).to_have_value("An earlier version misnamed the harbour.")
        expect(again.locator("#id_deck")).to_have_value("Boats return at dawn, a week after the flood.")
        again.locator("input[name=_continue]").click()
        expect(again.locator(".messagelist .success")).to_contain_text("was changed successfully")
        article.refresh_from_db()
        assert article.correction == "An earlier version misnamed the harbour."
        assert Article.objects.get(pk=article.pk).deck == "Boats return at dawn, a week after the flood."
        # Saved: the draft is gone, so the next opening asks nothing.
        again.goto(url)
        expect(again.locator("#id_correction")).to_have_value("An earlier version misnamed the harbour.")
        expect(again.locator("#autosave-prompt")).to_be_hidden()
    finally:
        ana_context.close()
        ben_context.close()
