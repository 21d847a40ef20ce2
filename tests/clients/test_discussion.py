"""The discussion in Chromium: permalinks land on the comment, highlighted; the length limit; moving between pages."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import ArticleFactory, CommentFactory


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
