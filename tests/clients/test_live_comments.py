"""Live "N new comments" in Chromium: a reader sees another reader's comment announced, and shown only on a click."""

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from comments.models import Comment
from tests.factories import ArticleFactory, CommentFactory, UserFactory


@pytest.fixture
def story(db, settings):
    # Polled every second here (15 s on the site), through the page's data-live-interval.
    settings.LIVE_POLL_INTERVAL = 1
    article = ArticleFactory()
    for n in range(4):
        root = CommentFactory(article=article, body=f"Thread {n}")
        CommentFactory(parent=root, body=f"A reply in thread {n}")
    return article


def signed_in_context(browser, live_server, user):
    context = browser.new_context(base_url=live_server.url)
    client = Client()
    client.force_login(user)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": django_settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
    return context


def test_a_comment_from_another_reader_is_announced_and_shown_in_place_on_a_click(page, browser, live_server, story):
    page.goto(story.get_absolute_url())
    reading = page.locator(".comment", has_text="Thread 2").first
    reading.scroll_into_view_if_needed()
    page.evaluate("window.scrollBy(0, -50)")
    top_before = reading.evaluate("el => el.getBoundingClientRect().top")
    button = page.locator("#comments .live__button")
    expect(button).to_be_hidden()

    other = signed_in_context(browser, live_server, UserFactory())
    try:
        writer = other.new_page()
        writer.goto(story.get_absolute_url())
        writer.get_by_label("Your comment").fill("Breaking: the bridge reopens at noon.")
        writer.get_by_role("button", name="Post comment").click()
        expect(writer.locator(".comment__body", has_text="the bridge reopens")).to_be_visible()
    finally:
        other.close()

    expect(button).to_have_text("Show 1 new comment")
    expect(button).to_be_visible()
    assert button.get_attribute("aria-controls") == page.locator("[data-comment-list]").get_attribute("id")
    # Announced without moving a line of what the reader reads, and nothing inserted yet.
    assert reading.evaluate("el => el.getBoundingClientRect().top") == top_before
    expect(page.locator(".comment__body", has_text="the bridge reopens")).to_have_count(0)

    button.click()
    new = page.locator(".comment.is-new")
    expect(new).to_have_count(1)
    expect(new.locator(".comment__body")).to_have_text("Breaking: the bridge reopens at noon.")
    expect(new).to_be_focused()
    # Oldest first and the reader on the last page: at the end of the list, where it belongs.
    assert page.locator("[data-comment-list] > li").last.get_attribute("id") == new.get_attribute("id")
    expect(page.locator("#comments [role=status]")).to_have_text("1 new comment shown")
    expect(button).to_be_hidden()


def test_a_reply_goes_under_its_parent_saying_whom_it_answers(page, story):
    page.goto(story.get_absolute_url())
    parent = page.locator(".comment", has_text="Thread 1").first
    expect(page.locator("#comments .live__button")).to_be_hidden()
    root = Comment.objects.get(body="Thread 1")
    CommentFactory(parent=root, body="A late reply.")
    page.locator("#comments .live__button").click()
    new = page.locator(".comment.is-new")
    expect(new).to_be_focused()
    # After the thread's earlier reply, before the next thread, indented one step from its parent.
    assert new.evaluate("el => el.previousElementSibling.textContent").count("A reply in thread 1") == 1
    expect(new).to_have_class("comment comment--visible indent-1 is-new")
    expect(new.locator(".comment__reply-to")).to_contain_text(f"@{root.author.handle}")
    assert parent.is_visible()


def test_past_the_cap_the_reader_is_asked_to_refresh_and_nothing_is_inserted(page, story, settings):
    settings.COMMENTS_LIVE_CAP = 2
    page.goto(story.get_absolute_url())
    shown = page.locator("[data-comment-list] > li").count()
    for n in range(3):
        CommentFactory(article=story, body=f"Burst {n}")
    button = page.locator("#comments .live__button")
    expect(button).to_have_text("Many new comments: refresh the page")
    assert page.locator("[data-comment-list] > li").count() == shown
    button.click()  # reloads: the page now has them all
    expect(page.locator(".comment__body", has_text="Burst 2")).to_be_visible()
    expect(page.locator("#comments .live__button")).to_be_hidden()


def test_on_a_thread_page_new_replies_are_announced_and_other_threads_are_not(page, story):
    root = Comment.objects.get(body="Thread 1")
    page.goto(reverse("comments:thread", args=[root.pk]))
    button = page.locator(".live__button")
    expect(button).to_be_hidden()
    CommentFactory(article=story, body="A comment in another thread")  # not this thread's: never announced here
    CommentFactory(parent=Comment.objects.get(body="A reply in thread 1"), body="A reply deep in this thread.")
    expect(button).to_have_text("Show 1 new reply")
    button.click()
    new = page.locator(".comment.is-new")
    expect(new).to_have_count(1)
    expect(new.locator(".comment__body")).to_have_text("A reply deep in this thread.")
    expect(new).to_be_focused()
    expect(page.locator("[role=status]", has_text="new repl")).to_have_text("1 new reply shown")
    expect(page.locator(".comment__body", has_text="another thread")).to_have_count(0)
