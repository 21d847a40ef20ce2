"""Editors' picks and muting in Chromium: a moderator picks from the story page, the Picks view shows it marked and
the author sees the notification; a reader mutes another, sees the comment collapsed, expands it without script,
and unmutes from the muted readers' page."""

import pytest
from playwright.sync_api import expect

from newsroom.services import moderators_group
from tests.factories import ArticleFactory, CommentFactory, UserFactory


@pytest.fixture
def story(db):
    return ArticleFactory()


def test_a_moderator_picks_the_picks_view_shows_it_and_the_author_is_told(page, sign_in, story):
    author = UserFactory(handle="marta", display_name="Marta K.")
    picked = CommentFactory(article=story, author=author, body="The figures in paragraph three are from 2019.")
    CommentFactory(article=story, body="First!")
    moderator = UserFactory(is_staff=True)
    moderator.groups.add(moderators_group())
    sign_in(moderator)
    page.goto(story.get_absolute_url())
    comment = page.locator(f"#comment-{picked.pk}")
    comment.get_by_role("button", name="Pick", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("The comment is an editors' pick.")
    expect(page.locator(f"#comment-{picked.pk} .badge--pick")).to_have_text("Editors' pick")
    expect(page.locator(f"#comment-{picked.pk}").get_by_role("button", name="Unpick")).to_be_visible()
    page.get_by_role("navigation", name="Show comments").get_by_role("link", name="Editors' picks").click()
    expect(page.locator("[data-comment-list] > li.comment")).to_have_count(1)
    expect(page.locator(f"#comment-{picked.pk} .badge--pick")).to_be_visible()
    expect(page.get_by_text("First!")).to_have_count(0)

    page.context.clear_cookies()
    sign_in(author)
    page.goto("/notifications/")
    notification = page.locator(".notification").first
    expect(notification).to_contain_text(f"The editors picked your comment on “{story.headline}”")


def test_a_reader_mutes_sees_it_collapsed_expands_it_and_unmutes_from_settings(page, sign_in, story):
    reader = UserFactory(handle="mira")
    loud = UserFactory(handle="loud", display_name="Loud Reader")
    comment = CommentFactory(article=story, author=loud, body="Nobody reads the comments anyway.")
    CommentFactory(article=story, body="A calm reply to the story.")
    sign_in(reader)
    page.goto(story.get_absolute_url())
    page.locator(f"#comment-{comment.pk}").get_by_role("button", name="Mute").click()
    expect(page.locator(".messages")).to_contain_text("You muted @loud")
    muted = page.locator(f"#comment-{comment.pk} details.comment__muted")
    expect(muted.locator("summary")).to_have_text("A comment from a reader you muted")
    expect(page.get_by_text("Nobody reads the comments anyway.")).to_be_hidden()
    expect(page.get_by_text("A calm reply to the story.")).to_be_visible()
    muted.locator("summary").click()
    expect(page.get_by_text("Nobody reads the comments anyway.")).to_be_visible()

    page.goto("/accounts/settings/")
    page.get_by_role("link", name="Muted readers").click()
    expect(page.locator(".muted-readers")).to_contain_text("@loud")
    page.get_by_role("button", name="Unmute @loud").click()
    expect(page.locator(".messages")).to_contain_text("You unmuted @loud.")
    expect(page.locator(".muted-readers")).to_contain_text("You have not muted anyone.")
    page.goto(story.get_absolute_url())
    expect(page.locator(f"#comment-{comment.pk} details")).to_have_count(0)
    expect(page.get_by_text("Nobody reads the comments anyway.")).to_be_visible()
