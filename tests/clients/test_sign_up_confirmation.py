"""Sign-up confirmation in Chromium: the reader signs up, the link arrives by e-mail, they follow it and confirm."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from newsroom.models import User
from tests.servers import wait_for

PASSWORD = "a long enough passphrase 42"


@pytest.mark.django_db(transaction=True)
def test_sign_up_the_link_arrives_and_following_it_confirms_the_address(page):
    page.goto("/accounts/signup/")
    page.get_by_label("Display name").fill("Ines Duarte")
    page.get_by_label("Handle").fill("ines_d")
    page.get_by_label("Email").fill("ines@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.locator(".messages")).to_contain_text("We sent a link to ines@example.com")

    page.get_by_role("navigation", name="Account").get_by_role("link", name="@ines_d").click()
    expect(page.get_by_role("heading", name="Confirm your address")).to_be_visible()
    expect(page.get_by_role("button", name="Send the link again")).to_be_visible()

    (message,) = wait_for(lambda: list(mail.outbox), timeout=10, what="the confirmation e-mail")
    assert message.to == ["ines@example.com"]
    path = re.search(r"https?://[^/\s]+(/accounts/confirm/\S+/)", message.body).group(1)
    page.goto(path)
    page.get_by_role("button", name="Confirm ines@example.com").click()
    expect(page.locator(".messages")).to_contain_text("Thank you: ines@example.com is confirmed.")
    expect(page.get_by_text("Your address ines@example.com is confirmed.")).to_be_visible()
    expect(page.get_by_role("heading", name="Confirm your address")).to_have_count(0)
    assert User.objects.get(handle="ines_d").email_confirmed_at is not None

    page.goto(path)  # the same link again: spent, said so
    expect(page.get_by_role("alert")).to_contain_text("This link was already used")
