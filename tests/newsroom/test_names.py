"""Display names and account settings: one line, no look-alikes of staff, and a failed edit leaves the account alone."""

import pytest
from django.urls import reverse

from newsroom.forms import clean_display_name
from newsroom.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a long enough passphrase 42"


def signup(client, **overrides):
    data = {
        "display_name": "Marta K.",
        "handle": "marta_k",
        "email": "marta@example.com",
        "password1": PASSWORD,
        "password2": PASSWORD,
        **overrides,
    }
    return client.post(reverse("signup"), data)


@pytest.mark.parametrize(
    "name",
    [
        "Line\nbreak",
        "Carriage\rreturn",
        "Tab\tinside",
        "Right\u202eto left",
        "Isolate\u2066d",
        "Zero\u200bwidth",
        "Joiner\u200dname",
        "Line\u2028separator",
        "Private\ue000use",
        "Nul\x00",
    ],
)
def test_names_with_line_breaks_or_invisible_characters_are_refused(name):
    with pytest.raises(Exception, match="line breaks, invisible characters"):
        clean_display_name(name)


@pytest.mark.parametrize(
    ("typed", "kept"),
    [("  Marta   K.  ", "Marta K."), ("Ｍａｒｔａ", "Marta"), ("ﬁona", "fiona"), ("José", "José"), ("李明", "李明")],
)
def test_names_are_nfkc_normalised_on_one_line(typed, kept):
    assert clean_display_name(typed) == kept


@pytest.mark.parametrize(
    "name", ["Site Admin", "site admin", "SITE  ADMIN", "Site-Admin", "Ｓｉｔｅ Ａｄｍｉｎ", "The Newsroom"]
)
def test_names_of_staff_and_of_the_site_are_refused(name):
    UserFactory(display_name="Site Admin", is_staff=True)
    with pytest.raises(Exception, match="belongs to the site or a member of its staff"):
        clean_display_name(name)


def test_staff_keep_their_own_name_and_readers_may_share_a_readers_name():
    admin = UserFactory(display_name="Site Admin", is_staff=True)
    UserFactory(display_name="Marta K.")
    assert clean_display_name("Site Admin", instance=admin) == "Site Admin"
    assert clean_display_name("Marta K.") == "Marta K."


def test_signup_with_a_staff_name_is_a_400_that_keeps_the_form(client):
    UserFactory(display_name="Site Admin", is_staff=True)
    response = signup(client, display_name="Site Admin")
    assert response.status_code == 400
    html = response.content.decode()
    assert "belongs to the site" in html and 'value="marta_k"' in html
    assert not User.objects.filter(handle="marta_k").exists()


def test_signup_stores_the_normalised_name(client):
    assert signup(client, display_name="  Ｍａｒｔａ   K. ").status_code == 302
    assert User.objects.get(handle="marta_k").display_name == "Marta K."


def test_an_invalid_handle_in_settings_is_a_400_and_never_reaches_the_signed_in_account(client):
    reader = UserFactory(handle="reader_one", display_name="Reader One")
    client.force_login(reader)
    data = {"display_name": "Reader One", "handle": "a/b", "email": reader.email}
    response = client.post(reverse("account"), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "3 to 30 letters" in html and 'value="a/b"' in html
    assert 'href="/@reader_one/"' in html  # the page around the form still shows the saved account
    reader.refresh_from_db()
    assert reader.handle == "reader_one"


def test_a_newline_in_the_name_is_refused_in_settings(client):
    reader = UserFactory(handle="reader_one", display_name="Reader One")
    client.force_login(reader)
    response = client.post(reverse("account"), {"display_name": "Reader\nOne", "handle": "reader_one"})
    assert response.status_code == 400
    reader.refresh_from_db()
    assert reader.display_name == "Reader One"


def test_a_wrong_password_at_sign_in_is_a_400(client):
    UserFactory(handle="reader_one")
    response = client.post(reverse("login"), {"username": "reader_one", "password": "wrong"})
    assert response.status_code == 400
    assert "do not match" in response.content.decode()
