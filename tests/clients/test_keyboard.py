"""Keyboard alone reaches and uses reply, like and "Show more comments" (Tab to it, Enter to use it)."""

import re

from playwright.sync_api import expect

from comments.models import Comment, CommentLike
from tests.factories import ArticleFactory, CommentFactory, UserFactory

MAX_TABS = 150


def tab_to(page, target) -> int:
    """Press Tab until `target` has the focus; fails if it is not reachable. Returns the number of presses."""
    for presses in range(1, MAX_TABS + 1):
        page.keyboard.press("Tab")
        if target.evaluate("el => el === document.activeElement"):
            return presses
    raise AssertionError(f"{target} was not reached in {MAX_TABS} presses of Tab")


def test_reply_with_the_keyboard_alone(page, sign_in):
    reader = UserFactory()
    parent = CommentFactory(body="Who paid for the repairs?")
    sign_in(reader)
    page.goto(parent.article.get_absolute_url())
    item = page.locator(f"#comment-{parent.pk}")
    tab_to(page, item.get_by_role("link", name="Reply"))
    page.keyboard.press("Enter")
    area = item.get_by_label("Your reply")
    expect(area).to_be_focused()
    page.keyboard.type("The port authority did.")
    page.keyboard.press("Tab")
    expect(item.get_by_role("button", name="Post reply")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#comment-\d+$"))
    reply = Comment.objects.get(parent=parent)
    expect(page.locator(f"#comment-{reply.pk} .comment__body")).to_have_text("The port authority did.")


def test_like_with_the_keyboard_alone(page, sign_in):
    reader = UserFactory()
    comment = CommentFactory(body="Well reported.")
    sign_in(reader)
    page.goto(comment.article.get_absolute_url())
    tab_to(page, page.locator(f"#comment-{comment.pk}").get_by_role("button", name="Like"))
    page.keyboard.press("Enter")
    expect(page.locator(f"#comment-{comment.pk}").get_by_role("button", name="Unlike")).to_have_attribute(
        "aria-pressed", "true"
    )
    assert CommentLike.objects.filter(comment=comment, user=reader).exists()


def test_show_more_with_the_keyboard_alone_and_focus_moves_to_the_new_comments(page, settings):
    settings.COMMENTS_THREADS_PER_PAGE = 3
    article = ArticleFactory()
    threads = [CommentFactory(article=article, body=f"Thread {n}") for n in range(5)]
    page.goto(article.get_absolute_url())
    more = page.get_by_role("link", name="Show more comments")
    tab_to(page, more)
    page.keyboard.press("Enter")
    first_new = page.locator(f"#comment-{threads[3].pk}")
    expect(first_new).to_be_focused()  # not lost to the page when the link goes
    expect(more).to_have_count(0)
    expect(page).to_have_url(re.compile(re.escape(article.get_absolute_url()) + "$"))
    # The next Tab goes on inside the new comments.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('li')?.id") == f"comment-{threads[3].pk}"
