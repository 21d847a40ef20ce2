"""An illegal-content notice in Chromium: a signed-out reader reports a comment from its footer, is told what is
missing with their text kept, gets the reference; a moderator finds it at the top of the admin queue."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from comments.models import IllegalContentNotice
from newsroom.services import moderators_group
from tests.factories import CommentFactory, UserFactory


@pytest.fixture
def comment(db):
    return CommentFactory(body="This person is a criminal, I have proof nobody has seen.")


def test_a_signed_out_reader_reports_a_comment_and_a_moderator_sees_the_notice(page, sign_in, comment):
    page.goto(comment.article.get_absolute_url())
    page.locator(f"#comment-{comment.pk}").get_by_role("link", name="Report illegal content").click()
    expect(page.get_by_role("heading", name="Report illegal content")).to_be_visible()
    expect(page.get_by_label("Where is it? (its exact address)")).to_have_value(
        page.url.split("/comments/")[0] + comment.get_absolute_url()
    )
    page.get_by_label("Defamation").check()
    page.get_by_label("Your name (optional)").fill("Ana Ruiz")
    page.get_by_role("button", name="Send the notice").click()
    expect(page.get_by_text("Explain why you believe this is illegal.").first).to_be_visible()
    expect(page.get_by_label("Your name (optional)")).to_have_value("Ana Ruiz")

    page.get_by_label("Why do you believe it is illegal?").fill("It accuses me of a crime I did not commit.")
    page.get_by_label("I confirm in good faith").check()
    page.get_by_role("button", name="Send the notice").click()
    notice = IllegalContentNotice.objects.get()
    expect(page.get_by_role("heading", name="Thank you: your notice was received")).to_be_visible()
    expect(page.locator(".notice__reference")).to_have_text(notice.reference)

    moderator = UserFactory(is_staff=True)
    moderator.groups.add(moderators_group())
    sign_in(moderator)
    page.goto(reverse("admin:comments_illegalcontentnotice_changelist"))
    expect(page.locator("#result_list tbody tr").first).to_contain_text(notice.reference)
    expect(page.locator("#result_list tbody tr").first).to_contain_text("open")
