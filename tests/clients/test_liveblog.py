"""A live blog in Chromium: the key events lead to their entries, "Key events only" works with and without
JavaScript, and older entries are a page away."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import LiveBlogFactory, live_entry


@pytest.fixture
def blog(db):
    from django.utils import timezone

    blog = LiveBlogFactory(headline="Storm live")
    start = timezone.now() - timezone.timedelta(hours=2)
    entries = [
        live_entry(
            blog,
            headline=f"Update {n}",
            published_at=start + timezone.timedelta(minutes=n),
            is_key_event=n in (3, 21),
            is_pinned=n == 10,
        )
        for n in range(25)
    ]
    return blog, entries


def test_key_events_link_to_their_entries_and_the_filter_keeps_them(page, blog):
    blog, entries = blog
    page.goto(blog.get_absolute_url())
    stream = page.locator("#live-entries > li")
    expect(stream).to_have_count(20)
    expect(stream.first.locator("h3")).to_have_text("Update 24")
    expect(page.locator(".live-blog__pinned h3.live-entry__headline")).to_have_text("Update 10")
    key_events = page.get_by_role("navigation", name="Key events")
    expect(key_events.get_by_role("link")).to_have_count(2)
    key_events.get_by_role("link", name=re.compile("Update 21")).click()
    expect(page).to_have_url(re.compile(rf"#entry-{entries[21].pk}$"))
    assert page.locator(f"#entry-{entries[21].pk}").evaluate("el => el.matches(':target')")
    # Update 3 is on the second page: its link goes to the key events, where it is.
    key_events.get_by_role("link", name=re.compile("Update 3")).click()
    expect(page).to_have_url(re.compile(rf"\?key=1#entry-{entries[3].pk}$"))
    expect(page.locator(f"#entry-{entries[3].pk}")).to_be_visible()
    expect(page.locator("#live-entries > li h3")).to_have_text(["Update 21", "Update 3"])
    page.get_by_role("link", name="Show all updates").click()
    expect(page.locator("#live-entries > li")).to_have_count(20)


def test_without_javascript_the_filter_and_older_entries_work(browser, live_server, blog):
    blog, entries = blog
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(blog.get_absolute_url())
        page.get_by_role("link", name="Key events only").click()
        expect(page.locator("#live-entries > li h3")).to_have_text(["Update 21", "Update 3"])
        page.get_by_role("link", name="Show all updates").click()
        page.get_by_role("navigation", name="Pages of updates").get_by_role("link", name="Older updates").click()
        expect(page.locator("#live-entries > li h3")).to_have_text([f"Update {n}" for n in range(4, -1, -1)])
        expect(page.locator("[data-live-since^='/live/']")).to_have_count(0)
    finally:
        context.close()
