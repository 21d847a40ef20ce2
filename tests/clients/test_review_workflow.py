"""A reporter submits a story for review with a note, in Chromium; the editor finds it in the review queue with the
note beside it and publishes it with the list's action."""

from playwright.sync_api import expect

from articles.models import Article
from newsroom.services import editors_group, reporters_group
from tests.factories import ArticleFactory, LeadImageFactory, UserFactory


def test_a_reporter_submits_for_review_and_an_editor_publishes_from_the_queue(page, sign_in):
    reporter, editor = UserFactory(is_staff=True), UserFactory(is_staff=True)
    reporter.groups.add(reporters_group())
    editor.groups.add(editors_group())
    story = ArticleFactory(headline="Council budget passes", status=Article.Status.DRAFT, publish_at=None)
    LeadImageFactory(article=story)

    sign_in(reporter)
    page.goto(f"/admin/articles/article/{story.pk}/change/")
    options = page.locator("#id_status option").all_inner_texts()
    assert options == ["Draft", "In review"]
    page.locator("#id_status").select_option(label="In review")
    page.locator("#id_review_note").fill("Figures checked with the treasurer; embargo until noon.")
    page.locator("input[name=_save]").click()
    expect(page.locator(".messagelist .success")).to_contain_text("was changed successfully")
    page.goto("/admin/articles/article/")
    expect(page.locator("select[name=action] option", has_text="Publish selected")).to_have_count(0)

    sign_in(editor)
    page.goto("/admin/articles/article/")
    page.get_by_role("link", name="In review").click()
    row = page.locator("#result_list tbody tr", has_text="Council budget passes")
    expect(row).to_contain_text("Figures checked with the treasurer; embargo until noon.")
    row.locator("input.action-select").check()
    page.locator("select[name=action]").select_option(label="Publish selected stories now")
    page.locator("button[name=index]").click()
    expect(page.locator(".messagelist .success")).to_contain_text("Published 1 story.")
    story.refresh_from_db()
    assert story.is_live
