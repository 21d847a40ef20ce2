"""Confirmed addresses: the link sign-up sends, what a link does and refuses, a change of address, the e-mail that
waits for a confirmed address, and the migration's choice for accounts made before confirmation existed."""

import importlib
import re
import time

import pytest
from django.apps import apps
from django.core import mail, signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from comments import notifications
from comments.models import Notification
from newsroom.confirmation import confirmation_token
from newsroom.forms import EMAIL_TAKEN
from newsroom.models import ImportedAccount, User
from tests.factories import CommentFactory, UserFactory

pytestmark = pytest.mark.django_db

SIGNUP = {
    "display_name": "Ines Duarte",
    "handle": "ines_d",
    "email": "ines@example.com",
    "password1": "a long enough passphrase 42",
    "password2": "a long enough passphrase 42",
}


def link_in(message) -> str:
    return re.search(r"https?://\S+/accounts/confirm/\S+/", message.body).group(0).split("://", 1)[1].split("/", 1)[1]


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def unconfirmed(**fields) -> User:
    return UserFactory(email_confirmed_at=None, **fields)


def test_sign_up_sends_the_link_and_following_it_confirms(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("signup"), SIGNUP, follow=True)
    assert "We sent a link to ines@example.com" in response.content.decode()
    user = User.objects.get(handle="ines_d")
    assert user.email_confirmed_at is None
    (message,) = mail.outbox
    assert message.to == ["ines@example.com"]
    assert "works for 3 days" in message.body
    page = client.get(reverse("account")).content.decode()
    assert "Confirm your address" in page and "Send the link again" in page

    url = "/" + link_in(message)
    shown = client.get(url)
    assert shown.status_code == 200
    assert "Confirm ines@example.com" in shown.content.decode()
    user.refresh_from_db()
    assert user.email_confirmed_at is None  # opening the link (as a mail scanner does) confirms nothing

    response = client.post(url, follow=True)
    assert "Thank you: ines@example.com is confirmed." in response.content.decode()
    user.refresh_from_db()
    assert user.email_confirmed_at is not None
    assert "Your address ines@example.com is confirmed." in client.get(reverse("account")).content.decode()


def test_a_link_works_signed_out_too():
    user = unconfirmed(handle="ines")
    response = Client().post(reverse("confirm_email", kwargs={"token": confirmation_token(user, user.email)}))
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.email_confirmed_at is not None


def test_a_used_link_is_a_400_saying_so():
    user = unconfirmed(handle="ines")
    url = reverse("confirm_email", kwargs={"token": confirmation_token(user, user.email)})
    client = signed_in(user)
    client.post(url)
    for method in (client.get, client.post):
        response = method(url)
        assert response.status_code == 400
        page = response.content.decode()
        assert "This link was already used: ines@example.com is confirmed." in page


@pytest.mark.parametrize("token", ["garbage", "x" * 300, "eyJ1IjoxfQ:1abc:forged"])
def test_a_garbage_link_is_a_400_with_the_way_to_a_new_one(token):
    user = unconfirmed(handle="ines")
    response = signed_in(user).get(reverse("confirm_email", kwargs={"token": token}))
    assert response.status_code == 400
    page = response.content.decode()
    assert "not one of ours" in page
    assert reverse("confirmation_resend") in page and "Send me a new link" in page
    signed_out = Client().get(reverse("confirm_email", kwargs={"token": token}))
    assert signed_out.status_code == 400 and "Sign in</a> to have a new link sent" in signed_out.content.decode()


def test_a_link_with_a_forged_payload_is_refused():
    token = signing.dumps({"u": "1", "e": ["x"]}, salt="newsroom.confirm-email")
    assert Client().get(reverse("confirm_email", kwargs={"token": token})).status_code == 400


def test_an_expired_link_is_a_400_saying_how_long_links_work(monkeypatch):
    user = unconfirmed(handle="ines")
    four_days_ago = int(time.time()) - 4 * 24 * 3600
    monkeypatch.setattr(signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(four_days_ago))
    token = confirmation_token(user, user.email)
    monkeypatch.undo()
    for method in ("get", "post"):
        response = getattr(signed_in(user), method)(reverse("confirm_email", kwargs={"token": token}))
        assert response.status_code == 400
        assert "This confirmation link has expired: links work for 3 days." in response.content.decode()
    user.refresh_from_db()
    assert user.email_confirmed_at is None


def test_a_link_for_a_closed_account_is_refused():
    user = unconfirmed(handle="ines", is_active=False)
    response = Client().get(reverse("confirm_email", kwargs={"token": confirmation_token(user, user.email)}))
    assert response.status_code == 400
    assert "closed or no longer exists" in response.content.decode()


def test_a_new_address_is_confirmed_before_it_replaces_the_old(django_capture_on_commit_callbacks):
    user = UserFactory(handle="marta", email="marta@example.com")
    client = signed_in(user)
    form = {"display_name": user.display_name, "handle": "marta", "email": "marta@new.example"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account"), {**form, "email_on_reply": "on"}, follow=True)
    assert "We sent a link to marta@new.example: it replaces marta@example.com" in response.content.decode()
    user.refresh_from_db()
    assert (user.email, user.pending_email) == ("marta@example.com", "marta@new.example")
    notice, link = sorted(mail.outbox, key=lambda message: message.to[0])
    assert notice.to == ["marta@example.com"] and "marta@new.example" in notice.body
    assert "/accounts/password/reset/" in notice.body
    assert link.to == ["marta@new.example"]
    page = client.get(reverse("account")).content.decode()
    assert "It replaces marta@example.com once you follow it" in page

    # A second change before the first is confirmed: only the newest link works.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account"), {**form, "email": "marta@newer.example"})
    first = client.post("/" + link_in(link))
    assert first.status_code == 400
    assert "no longer the address on the account @marta" in first.content.decode()
    newest = mail.outbox[-1]
    assert newest.to == ["marta@newer.example"]
    assert client.post("/" + link_in(newest)).status_code == 302
    user.refresh_from_db()
    assert (user.email, user.pending_email) == ("marta@newer.example", "")
    # The link for the address it replaced does nothing either.
    old = client.post(reverse("confirm_email", kwargs={"token": confirmation_token(user, "marta@example.com")}))
    assert old.status_code == 400


def test_an_unconfirmed_address_is_replaced_at_once(django_capture_on_commit_callbacks):
    user = unconfirmed(handle="ines", email="ines@typo.example")
    form = {"display_name": user.display_name, "handle": "ines", "email": "ines@example.com"}
    with django_capture_on_commit_callbacks(execute=True):
        signed_in(user).post(reverse("account"), form)
    user.refresh_from_db()
    assert (user.email, user.pending_email) == ("ines@example.com", "")
    (message,) = mail.outbox  # no notice to an address nobody proved
    assert message.to == ["ines@example.com"]


def test_saving_other_settings_keeps_the_change_asked_for_and_the_old_address_drops_it(
    django_capture_on_commit_callbacks,
):
    user = UserFactory(handle="marta", email="marta@example.com", pending_email="marta@new.example")
    client = signed_in(user)
    page = client.get(reverse("account")).content.decode()
    assert 'value="marta@new.example"' in page  # the field shows the address that waits
    form = {"display_name": "Marta K", "handle": "marta", "email": "marta@new.example"}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account"), form)
    user.refresh_from_db()
    assert (user.display_name, user.email, user.pending_email) == ("Marta K", "marta@example.com", "marta@new.example")
    assert mail.outbox == []  # its link is already out
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account"), {**form, "email": "Marta@example.com"})
    user.refresh_from_db()
    assert (user.email, user.pending_email) == ("marta@example.com", "")
    assert mail.outbox == []


def test_an_address_another_account_has_is_a_form_error_with_the_text_kept():
    UserFactory(handle="ana", email="ana@example.com")
    response = Client().post(reverse("signup"), {**SIGNUP, "email": "ANA@example.com"})
    assert response.status_code == 400
    page = response.content.decode()
    assert EMAIL_TAKEN.split(".")[0] in page
    assert 'value="ines_d"' in page and 'value="ANA@example.com"' in page
    assert not User.objects.filter(handle="ines_d").exists()

    user = UserFactory(handle="marta")
    form = {"display_name": "Marta", "handle": "marta", "email": "ana@example.com"}
    response = signed_in(user).post(reverse("account"), form)
    assert response.status_code == 400
    assert EMAIL_TAKEN.split(".")[0] in response.content.decode()
    assert 'value="ana@example.com"' in response.content.decode()
    user.refresh_from_db()
    assert user.pending_email == ""


def test_an_address_taken_while_it_waited_is_not_swapped_in():
    user = UserFactory(handle="marta", email="marta@example.com", pending_email="shared@example.com")
    UserFactory(handle="other", email="shared@example.com")
    response = signed_in(user).post(
        reverse("confirm_email", kwargs={"token": confirmation_token(user, "shared@example.com")})
    )
    assert response.status_code == 400
    assert "now on another account" in response.content.decode()
    user.refresh_from_db()
    assert user.email == "marta@example.com"


def test_the_link_is_sent_again_within_a_limit(settings, django_capture_on_commit_callbacks):
    settings.ACCOUNT_CONFIRM_RESENDS_PER_HOUR = 2
    user = unconfirmed(handle="ines")
    client = signed_in(user)
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("confirmation_resend"), follow=True)
        assert "We sent a new link to ines@example.com" in response.content.decode()
    assert len(mail.outbox) == 2
    response = client.post(reverse("confirmation_resend"))
    assert response.status_code == 429
    assert "Please try again in 60 minutes" in response.content.decode()
    assert len(mail.outbox) == 2
    assert client.get(reverse("confirmation_resend")).status_code == 405


def test_resending_for_a_confirmed_address_sends_nothing(django_capture_on_commit_callbacks):
    user = UserFactory(handle="marta")
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(user).post(reverse("confirmation_resend"), follow=True)
    assert "is already confirmed" in response.content.decode()
    assert mail.outbox == []


def test_a_mail_relay_that_is_down_never_fails_sign_up(client, broken_relay, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("signup"), SIGNUP)
    assert response.status_code == 302
    assert User.objects.filter(handle="ines_d").exists()


def test_notification_e_mail_waits_for_a_confirmed_address(django_capture_on_commit_callbacks):
    ines = unconfirmed(handle="ines")
    root = CommentFactory(author=ines)
    CommentFactory(parent=root, author=UserFactory(handle="sam"), body="A reply.")
    assert notifications.send_waiting_emails() == 0
    assert Notification.objects.get().email == Notification.Email.PENDING  # in-app at once; the e-mail waits
    with django_capture_on_commit_callbacks(execute=True):
        signed_in(ines).post(reverse("confirm_email", kwargs={"token": confirmation_token(ines, ines.email)}))
    (message,) = mail.outbox  # confirming sent what waited
    assert message.to == ["ines@example.com"]
    assert Notification.objects.get().email == Notification.Email.SENT


def test_claiming_an_imported_account_confirms_its_address(client):
    user = UserFactory(handle="old_timer", email="old@example.com", is_active=False, email_confirmed_at=None)
    ImportedAccount.objects.create(user=user, source="disqus", username="oldtimer")
    client.post(reverse("password_reset"), {"email": "old@example.com"})
    (message,) = mail.outbox
    path = re.search(r"http://testserver(\S+)", message.body).group(1)
    form_url = client.get(path).url
    client.post(
        form_url, {"new_password1": "a long enough passphrase 42", "new_password2": "a long enough passphrase 42"}
    )
    user.refresh_from_db()
    assert user.is_active and user.email_confirmed_at is not None


def test_the_migration_confirms_existing_accounts_but_not_imported_ones():
    migration = importlib.import_module("newsroom.migrations.0005_email_confirmation")
    UserFactory(handle="reader", email_confirmed_at=None)
    UserFactory(handle="no_address", email="", email_confirmed_at=None)
    imported = UserFactory(handle="imported", is_active=False, email_confirmed_at=None)
    ImportedAccount.objects.create(user=imported, source="disqus", username="imported")
    migration.existing_addresses_confirmed(apps, None)
    confirmed = dict(User.objects.values_list("handle", "email_confirmed_at"))
    assert confirmed["reader"] is not None and confirmed["reader"] <= timezone.now()
    assert confirmed["no_address"] is None and confirmed["imported"] is None
