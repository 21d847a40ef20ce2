"""The discussion in Chromium: permalinks land on the comment, highlighted; the length limit; moving between pages."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import ArticleFactory, CommentFactory, UserFactory


@pytest.fixture
def busy_thread(db, settings):
    settings.COMMENTS_REPLIES_PER_THREAD = 5
    root = CommentFactory(article=ArticleFactory(), body="Who paid for the repairs?")
    replies = [CommentFactory(parent=root, body=f"Reply {n + 1}") for n in range(7)]
    return root, replies


def test_a_permalink_to_a_later_reply_lands_on_it_highlighted(page, busy_thread):
    root, replies = busy_thread
    for reply in (replies[1], replies[6]):  # one on the story page, one only on the thread page
        page.goto(reply.get_absolute_url())
        item = page.locator(f"#comment-{reply.pk}")
        expect(item.locator(".comment__body")).to_have_text(reply.body)
        expect(item).to_have_attribute("aria-current", "true")
        assert item.evaluate("el => el.matches(':target')")
        assert item.evaluate("el => getComputedStyle(el).backgroundColor") != "rgba(0, 0, 0, 0)"
        expect(page.locator(".comment[aria-current]")).to_have_count(1)
    expect(page).to_have_url(re.compile(rf"/comments/{root.pk}/thread/#comment-{replies[6].pk}$"))


@pytest.fixture
def five_threads(db, settings):
    settings.COMMENTS_THREADS_PER_PAGE = 2
    article = ArticleFactory()
    return article, [CommentFactory(article=article, body=f"Thread {n}") for n in range(5)]


def test_without_javascript_page_two_leads_back_to_page_one_and_on(browser, live_server, five_threads):
    article, threads = five_threads
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{article.get_absolute_url()}?page=2")
        pages = page.get_by_role("navigation", name="Pages of comments")
        expect(pages).to_contain_text("Page 2 of 3")
        expect(page.locator(".comment__body")).to_have_text(["Thread 2", "Thread 3"])
        pages.get_by_role("link", name="Previous page").click()
        expect(page.locator(".comment__body")).to_have_text(["Thread 0", "Thread 1"])
        expect(pages).to_contain_text("Page 1 of 3")
        pages.get_by_role("link", name="Show more comments").click()
        expect(pages).to_contain_text("Page 2 of 3")
    finally:
        context.close()


def test_show_more_in_place_says_which_pages_are_shown(page, five_threads):
    article, threads = five_threads
    page.goto(article.get_absolute_url())
    pages = page.get_by_role("navigation", name="Pages of comments")
    expect(pages).to_contain_text("Page 1 of 3")
    pages.get_by_role("link", name="Show more comments").click()
    expect(page.locator(".comment__body")).to_have_count(4)
    expect(pages).to_contain_text("Pages 1–2 of 3")
    pages.get_by_role("link", name="Show more comments").click()
    expect(pages).to_contain_text("Pages 1–3 of 3")
    expect(pages.get_by_role("link", name="Show more comments")).to_have_count(0)


def test_pasting_over_the_limit_warns_and_the_server_explains_keeping_the_text(page, context, sign_in, settings):
    settings.COMMENTS_MAX_LENGTH = 50
    article = ArticleFactory()
    sign_in(UserFactory())
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    text = "A pasted paragraph that runs on well past the fifty-character limit here."
    page.goto(article.get_absolute_url())
    page.evaluate("text => navigator.clipboard.writeText(text)", text)
    area = page.get_by_label("Your comment")
    area.focus()
    page.keyboard.press("Control+V")
    expect(area).to_have_value(text)  # nothing cut
    counter = page.locator(".counter")
    expect(counter).to_have_text(f"{len(text)} / 50 characters: {len(text) - 50} too many")
    expect(counter).to_have_class(re.compile(r"\bcounter--over\b"))
    page.get_by_role("button", name="Post comment").click()
    over = len(text) - 50
    expect(page.get_by_role("alert")).to_have_text(
        f"Comments are at most 50 characters; this one has {len(text)}. Shorten it by {over} and post it again."
    )
    expect(page.get_by_label("Your comment")).to_have_value(text)
