"""Surge controls in Chromium: slow mode's message with the text kept, a story closed for the night saying when it
reopens, and surge mode switched on by a burst showing to a moderator on the story page and in the admin."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from comments import services
from newsroom.services import moderators_group
from tests.factories import ArticleFactory, CommentFactory, UserFactory

LONG_AGO = timezone.now() - timedelta(days=400)


@pytest.fixture
def story(db):
    return ArticleFactory()


def test_a_second_post_in_slow_mode_says_how_long_to_wait_and_keeps_the_text(page, sign_in, story):
    services.discussion_set_controls(article=story, slow_mode_seconds=120)
    sign_in(UserFactory(date_joined=LONG_AGO))
    page.goto(story.get_absolute_url())
    page.get_by_label("Your comment").fill("My first thought.")
    page.get_by_role("button", name="Post comment").click()
    expect(page.locator(".comment__body").filter(has_text="My first thought.")).to_be_visible()
    page.goto(story.get_absolute_url())
    page.get_by_label("Your comment").fill("A second thought, written with care.")
    page.get_by_role("button", name="Post comment").click()
    expect(page.get_by_role("alert")).to_contain_text("slow mode: each reader may post once every 120 seconds")
    expect(page.get_by_label("Your comment")).to_have_value("A second thought, written with care.")


def test_a_story_closed_for_the_night_says_when_it_reopens_and_offers_no_form(page, sign_in, story, settings):
    now = timezone.localtime()
    start, end = now - timedelta(hours=1), now + timedelta(hours=1)
    settings.COMMENTS_NIGHT_CLOSED = f"{start:%H:%M}-{end:%H:%M}"
    sign_in(UserFactory(date_joined=LONG_AGO))
    page.goto(story.get_absolute_url())
    expect(page.locator(".discussion__notice")).to_contain_text(
        f"Comments are closed for the night; they reopen at {end:%H:%M}"
    )
    expect(page.locator("#comment-form")).to_have_count(0)


def test_a_burst_switches_surge_mode_on_and_a_moderator_sees_it(page, sign_in, story, settings):
    settings.COMMENTS_SURGE_PER_MINUTE = 3
    CommentFactory(article=story, body="Before the surge.")
    for n in range(4):
        services.comment_create(article=story, author=UserFactory(date_joined=LONG_AGO), body=f"Burst {n}.")
    moderator = UserFactory(is_staff=True, date_joined=LONG_AGO)
    moderator.groups.add(moderators_group())
    sign_in(moderator)
    page.goto(story.get_absolute_url())
    controls = page.locator(".discussion__controls")
    expect(controls.locator("> summary")).to_have_text("Discussion controls: surge mode is on")
    controls.locator("> summary").click()
    expect(controls.get_by_role("img", name="Comments per minute, last 3 hours")).to_be_visible()
    expect(controls.locator("figcaption")).to_contain_text("1 switch of the surge controls")
    page.goto("/admin/comments/moderationitem/")
    expect(page.locator(".messagelist")).to_contain_text(f"Surge of comments on {story.headline}")
