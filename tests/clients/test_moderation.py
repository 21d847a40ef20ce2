"""Moderation that explains itself, in Chromium: a moderator removes a comment in place with a reason and a note;
its author sees the notification with the reason and appeals; a moderator overturns it in the appeals queue; the
author sees the outcome and the comment back in the discussion."""

import pytest
from playwright.sync_api import expect

from comments.models import Appeal, Comment
from newsroom.services import moderators_group
from tests.factories import ArticleFactory, CommentFactory, UserFactory


@pytest.fixture
def moderator(db):
    user = UserFactory(handle="mo", display_name="Mo Derator", is_staff=True)
    user.groups.add(moderators_group())
    return user


def test_a_removal_with_a_reason_is_told_appealed_and_overturned(page, sign_in, moderator):
    story = ArticleFactory(headline="The harbour vote")
    author = UserFactory(handle="kit", display_name="Kit")
    comment = CommentFactory(article=story, author=author, body="The council never listens to the east side.")

    sign_in(moderator)
    page.goto(story.get_absolute_url())
    item = page.locator(f"#comment-{comment.pk}")
    item.get_by_text("Remove", exact=True).click()
    item.get_by_label("Reason").select_option(label="Off-topic")
    item.get_by_label("Note to the author (optional)").fill("Please keep to the vote itself.")
    item.get_by_role("button", name="Remove this comment").click()
    expect(page.locator(".messages")).to_contain_text("The comment is removed (Off-topic)")
    expect(page.locator(f"#comment-{comment.pk}")).to_contain_text("Comment removed by a moderator.")
    assert Comment.objects.get(pk=comment.pk).status == Comment.Status.REMOVED

    sign_in(author)
    page.goto("/notifications/")
    notice = page.locator(".notification").first
    expect(notice).to_contain_text("A moderator removed your comment")
    expect(notice).to_contain_text("Reason: Off-topic")
    expect(notice).to_contain_text("Please keep to the vote itself.")
    notice.get_by_role("button").click()
    page.get_by_label("Why should the decision be looked at again?").fill("It was about the vote's east-side wards.")
    page.get_by_role("button", name="Send the appeal").click()
    expect(page.locator(".messages")).to_contain_text("Your appeal is sent")
    expect(page.get_by_role("button", name="Send the appeal")).to_have_count(0)

    sign_in(moderator)
    page.goto("/admin/comments/appeal/?state=open")
    page.get_by_role("link", name="The council never listens to the east side.").click()
    expect(page.locator("body")).to_contain_text("It was about the vote's east-side wards.")
    page.get_by_label("Overturned: the comment is restored").check()
    page.get_by_label("Moderator note").fill("Fair: it is about the wards.")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_be_visible()
    assert Appeal.objects.get().outcome == Appeal.Outcome.OVERTURNED

    sign_in(author)
    page.goto("/notifications/")
    expect(page.locator(".notification").first).to_contain_text("Your appeal was decided: your comment is restored")
    page.locator(".notification").first.get_by_role("button").click()
    expect(page.locator(".decision__outcome")).to_contain_text("Overturned: the comment is restored")
    expect(page.locator(".decision__outcome")).to_contain_text("Fair: it is about the wards.")
    page.get_by_role("link", name="See your comment in the discussion").click()
    expect(page.locator(f"#comment-{comment.pk} .comment__body")).to_contain_text("The council never listens")
