"""An editor in Chromium previews unsaved changes at both widths (nothing saved), saves, then compares two
revisions in the history and restores the older one, which the story page then shows."""

import re

from playwright.sync_api import expect

from articles.models import Article
from tests.clients.test_editing_together import editor_context
from tests.factories import ArticleFactory


def test_preview_at_two_widths_then_a_revision_diff_and_restore(browser, live_server):
    article = ArticleFactory(headline="Harbour reopens", body="Boats returned at dawn.")
    context = editor_context(browser, live_server, "Ana Reyes", "ana")
    try:
        page = context.new_page()
        errors = []
        context.on("console", lambda message: message.type == "error" and errors.append(message.text))
        page.goto(f"/admin/articles/article/{article.pk}/change/")
        page.locator("#id_headline").fill("Harbour reopens after the storm")

        with context.expect_page() as opened:
            page.get_by_role("button", name=re.compile("^Preview")).click()
        preview = opened.value
        frame = preview.frame_locator(".story-preview__frame")
        expect(frame.locator("h1")).to_have_text("Harbour reopens after the storm")
        expect(frame.locator(".preview-banner")).to_contain_text("your unsaved changes")
        box = preview.locator(".story-preview__frame").bounding_box()
        assert box["width"] > 1000
        preview.get_by_label("Mobile (375 px)").check()
        expect(preview.locator(".story-preview__frame")).to_have_css("width", "375px")
        article.refresh_from_db()
        assert article.headline == "Harbour reopens"  # previewing saved nothing
        preview.close()

        page.locator("input[name=_continue]").click()
        expect(page.locator(".messagelist .success")).to_contain_text("was changed successfully")
        page.get_by_role("link", name="History").click()
        page.get_by_role("button", name="Compare the chosen revisions").click()
        expect(page.locator(".revision-diff")).to_contain_text("after the storm")
        expect(page.locator(".revision-diff ins").first).to_contain_text("after")

        page.get_by_role("link", name="History").click()
        page.get_by_role("button", name="Restore").first.click()
        expect(page.locator(".messagelist .success")).to_contain_text("Restored the revision of")
        article.refresh_from_db()
        assert article.headline == "Harbour reopens"
        reader = browser.new_page(base_url=live_server.url)
        reader.goto(article.get_absolute_url())
        expect(reader.locator("h1")).to_have_text("Harbour reopens")
        reader.close()
        assert errors == []
        assert Article.objects.get(pk=article.pk).edit_version >= 3
    finally:
        context.close()
