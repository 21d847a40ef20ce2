"""A reader's journeys in Chromium, scripts and Content Security Policy as served: read, join, discuss, save."""

import re

import pytest
from playwright.sync_api import expect

from articles.models import SavedArticle, TextBlock
from comments.models import Comment, CommentLike, CommentReport, Mention
from newsroom.models import User
from tests.factories import ArticleFactory, CommentFactory, MoreBlockFactory, SectionFactory, UserFactory, add_blocks

PASSWORD = "correct horse battery staple"


@pytest.fixture
def story(db):
    article = ArticleFactory(
        headline="Harbour reopens after the storm",
        section=SectionFactory(name="Local", slug="local"),
        body="Boats returned at dawn.",
    )
    MoreBlockFactory(parent=article, target__headline="How the storm was forecast")
    add_blocks(article, TextBlock(text="<p>The mayor spoke at noon.</p><p>Repairs go on.</p>"))
    return article


@pytest.fixture
def reader(db):
    return UserFactory(handle="mira", display_name="Mira Kovač")


def comment_item(page, comment: Comment):
    return page.locator(f"#comment-{comment.pk}")


def test_read_a_story_from_the_home_page(page, story):
    page.goto("/")
    page.get_by_role("link", name="Harbour reopens after the storm").first.click()
    expect(page).to_have_url(re.compile(re.escape(story.get_absolute_url()) + "$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Harbour reopens after the storm")
    body = page.locator(".story__body")
    expect(body.locator("p")).to_have_count(4)  # three paragraphs and the MORE link after the first
    expect(body.locator("p").nth(1)).to_have_text("MORE: How the storm was forecast")
    expect(page.get_by_role("heading", name="0 comments")).to_be_visible()
    expect(page.get_by_role("link", name="Sign in to join the discussion")).to_be_visible()


def test_sign_up_then_land_signed_in_where_the_reader_was(page, story):
    page.goto(story.get_absolute_url())
    page.get_by_role("link", name="Create account").click()
    page.get_by_label("Display name").fill("Ana Reyes")
    page.get_by_label("Handle").fill("ana_r")
    page.get_by_label("Email").fill("ana@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page).to_have_url(re.compile(re.escape(story.get_absolute_url())))
    expect(page.get_by_role("navigation", name="Account").get_by_role("link", name="@ana_r")).to_be_visible()
    assert User.objects.filter(handle="ana_r", email="ana@example.com").exists()


def test_sign_in_with_the_form_and_sign_out(page, story, reader):
    page.goto(story.get_absolute_url())
    page.get_by_role("link", name="Sign in", exact=True).click()
    page.get_by_label("Handle").fill("mira")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(re.escape(story.get_absolute_url())))
    account = page.get_by_role("navigation", name="Account")
    expect(account.get_by_role("link", name="@mira")).to_be_visible()
    account.get_by_role("button", name="Sign out").click()
    expect(account.get_by_role("link", name="Sign in")).to_be_visible()


def test_post_a_comment_and_land_on_it(page, sign_in, story, reader):
    sign_in(reader)
    page.goto(story.get_absolute_url())
    page.get_by_label("Your comment").fill("Glad the boats are back.\n\nSecond thought.")
    expect(page.locator(".counter")).to_have_text("41 / 5,000 characters")
    page.get_by_role("button", name="Post comment").click()
    expect(page).to_have_url(re.compile(r"#comment-\d+$"))
    comment = Comment.objects.get()
    expect(page).to_have_url(re.compile(rf"#comment-{comment.pk}$"))
    item = comment_item(page, comment)
    expect(item.locator(".comment__body p")).to_have_text(["Glad the boats are back.", "Second thought."])
    expect(item.locator(".comment__name")).to_have_text("Mira Kovač")
    expect(page.get_by_role("heading", name="1 comment", exact=True)).to_be_visible()


def test_reply_in_place_opens_the_form_under_the_comment_without_leaving_the_page(page, sign_in, story, reader):
    parent = CommentFactory(article=story, body="Who paid for the repairs?")
    sign_in(reader)
    page.goto(story.get_absolute_url())
    item = comment_item(page, parent)
    item.get_by_role("link", name="Reply").click()
    expect(page).to_have_url(re.compile(re.escape(story.get_absolute_url()) + "$"))  # no navigation: in place
    form = item.locator("form.reply-inline")
    expect(form.get_by_label("Your reply")).to_be_focused()
    form.get_by_label("Your reply").fill("The port authority did.")
    form.get_by_role("button", name="Post reply").click()
    expect(page).to_have_url(re.compile(r"#comment-\d+$"))
    reply = Comment.objects.get(parent=parent)
    expect(page).to_have_url(re.compile(rf"#comment-{reply.pk}$"))
    expect(comment_item(page, reply)).to_have_class(re.compile(r"\bindent-1\b"))
    expect(comment_item(page, reply).locator(".comment__body")).to_have_text("The port authority did.")


def test_the_reply_form_opened_in_place_posts_once_however_often_it_is_sent(page, sign_in, story, reader):
    """The script's reply form is a copy of the page's comment form, one-time token included: the same reply sent
    twice (a retry on a bad connection) and then clicked stores one reply, and the click lands on it."""
    parent = CommentFactory(article=story, body="Who paid for the repairs?")
    sign_in(reader)
    page.goto(story.get_absolute_url())
    item = comment_item(page, parent)
    item.get_by_role("link", name="Reply").click()
    form = item.locator("form.reply-inline")
    form.get_by_label("Your reply").fill("Said once.")
    # One after the other: the live server's in-memory SQLite is one connection shared by its request threads, so
    # simultaneous submits are tested on PostgreSQL (tests/comments/test_concurrency.py).
    statuses = form.evaluate(
        """async form => {
            const statuses = [];
            for (const _ of [1, 2]) {
                statuses.push((await fetch(form.action, {method: "POST", body: new FormData(form)})).status);
            }
            return statuses;
        }"""
    )
    assert statuses == [200, 200]  # each followed its redirect to the story page
    form.get_by_role("button", name="Post reply").click()
    reply = Comment.objects.get(parent=parent)
    expect(page).to_have_url(re.compile(rf"#comment-{reply.pk}$"))
    expect(comment_item(page, reply).locator(".comment__body")).to_have_text("Said once.")
    assert Comment.objects.filter(author=reader).count() == 1


def test_mention_links_to_the_readers_profile(page, sign_in, story, reader):
    alex = UserFactory(handle="alex", display_name="Alex Doe")
    sign_in(reader)
    page.goto(story.get_absolute_url())
    page.get_by_label("Your comment").fill("@alex was right about the tide.")
    page.get_by_role("button", name="Post comment").click()
    expect(page).to_have_url(re.compile(r"#comment-\d+$"))
    comment = Comment.objects.get()
    assert list(Mention.objects.values_list("comment", "user")) == [(comment.pk, alex.pk)]
    comment_item(page, comment).get_by_role("link", name="@alex").click()
    expect(page).to_have_url(re.compile(r"/@alex/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Alex Doe")


def test_edit_a_comment_within_the_window(page, sign_in, story, reader):
    comment = CommentFactory(article=story, author=reader, body="Boats came back at dusk.")
    sign_in(reader)
    page.goto(story.get_absolute_url())
    comment_item(page, comment).get_by_role("link", name="Edit").click()
    area = page.get_by_label("Your comment")
    expect(area).to_have_value("Boats came back at dusk.")
    area.fill("Boats came back at dawn.")
    page.get_by_role("button", name="Save changes").click()
    item = comment_item(page, comment)
    expect(item.locator(".comment__body")).to_have_text("Boats came back at dawn.")
    expect(item.locator(".comment__edited")).to_have_text("· edited")


def test_delete_a_comment(page, sign_in, story, reader):
    comment = CommentFactory(article=story, author=reader, body="Posted in the wrong story.")
    sign_in(reader)
    page.goto(story.get_absolute_url())
    comment_item(page, comment).get_by_role("link", name="Delete").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete your comment?")
    page.get_by_role("button", name="Delete").click()
    expect(page.locator(".messages")).to_contain_text("Your comment was deleted.")
    expect(page.locator(f"#comment-{comment.pk}")).to_have_count(0)
    assert not Comment.objects.exists()


def test_like_and_unlike(page, sign_in, story, reader):
    comment = CommentFactory(article=story, body="Well reported.")
    sign_in(reader)
    page.goto(story.get_absolute_url())
    comment_item(page, comment).get_by_role("button", name="Like").click()
    item = comment_item(page, comment)
    expect(item.get_by_role("button", name="Unlike")).to_have_attribute("aria-pressed", "true")
    expect(item.locator(".comment__likes")).to_have_text("1 like")
    assert CommentLike.objects.filter(comment=comment, user=reader).exists()
    item.get_by_role("button", name="Unlike").click()
    expect(comment_item(page, comment).locator(".comment__likes")).to_have_count(0)  # no "0 likes"


def test_report_a_comment(page, sign_in, story, reader):
    comment = CommentFactory(article=story, body="Buy cheap watches at example.com")
    sign_in(reader)
    page.goto(story.get_absolute_url())
    comment_item(page, comment).get_by_role("link", name="Report", exact=True).click()
    page.get_by_label("Spam").check()
    page.get_by_label("Anything to add (optional)").fill("Posted on every story.")
    page.get_by_role("button", name="Send report").click()
    expect(page.locator(".messages")).to_contain_text("Thank you: a moderator will look at this comment.")
    report = CommentReport.objects.get()
    assert (report.comment, report.user, report.reason, report.note) == (
        comment,
        reader,
        "spam",
        "Posted on every story.",
    )


def test_show_more_comments_appends_the_next_threads_in_place(page, story, settings):
    settings.COMMENTS_THREADS_PER_PAGE = 3
    threads = [CommentFactory(article=story, body=f"Thread {n}") for n in range(7)]
    CommentFactory(parent=threads[4], body="A reply on the second page")
    page.goto(story.get_absolute_url())
    bodies = page.locator("[data-comment-list] .comment__body")
    expect(bodies).to_have_text(["Thread 0", "Thread 1", "Thread 2"])
    more = page.get_by_role("link", name="Show more comments")
    more.click()
    expect(bodies).to_have_count(7)
    expect(page).to_have_url(re.compile(re.escape(story.get_absolute_url()) + "$"))  # fetched, no navigation
    more.click()
    expect(bodies).to_have_text(
        [*(f"Thread {n}" for n in range(5)), "A reply on the second page", "Thread 5", "Thread 6"]
    )
    expect(more).to_have_count(0)  # nothing left to show


def test_save_a_story_for_later_signs_in_and_comes_back_with_it_saved(page, story, reader):
    page.goto(story.get_absolute_url())
    page.get_by_role("link", name="Read later").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("Handle").fill("mira")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Save to Read later").click()
    expect(page).to_have_url(re.compile(re.escape(story.get_absolute_url()) + "$"))
    expect(page.locator(".messages")).to_contain_text("Saved “Harbour reopens after the storm” to Read later.")
    expect(page.get_by_role("button", name="Saved to Read later")).to_have_attribute("aria-pressed", "true")
    assert SavedArticle.objects.filter(user=reader, article=story).exists()
    page.get_by_role("link", name="Read later").click()
    expect(page.get_by_role("link", name="Harbour reopens after the storm")).to_be_visible()
