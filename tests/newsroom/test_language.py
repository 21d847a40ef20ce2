"""The reader's language: the chooser (/accounts/language/), its cookie and the account's field, signing in applying
it, Accept-Language choosing for everyone else, e-mail in the recipient's language, the JSON-LD inLanguage, and the
compiled catalogue kept in step with its source."""

from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import translation

from comments import notifications, services
from comments.models import Discussion
from newsroom import confirmation
from newsroom.confirmation import change_notice_message
from newsroom.models import User
from newsroom.services import moderators_group
from tests.articles.test_seo import json_ld, one, parse
from tests.factories import ArticleFactory, CommentFactory, UserFactory

pytestmark = pytest.mark.django_db

COOKIE = settings.LANGUAGE_COOKIE_NAME


def signed_in(user, **headers) -> Client:
    client = Client(**headers)
    client.force_login(user)
    return client


def test_the_chooser_is_a_private_form_offering_each_language_in_itself(client):
    response = client.get(reverse("language"))
    assert response.status_code == 200
    assert "private" in response["Cache-Control"] and "no-cache" in response["Cache-Control"]
    html = response.content.decode()
    assert 'name="csrfmiddlewaretoken"' in html
    assert '<option value="es">Español</option>' in html and '<option value="en">English</option>' in html


def test_choosing_spanish_signed_out_sets_the_cookie_and_the_site_speaks_it(client):
    story = ArticleFactory()
    response = client.post(reverse("language"), {"language": "es", "next": story.get_absolute_url()})
    assert response.status_code == 302 and response["Location"] == story.get_absolute_url()
    cookie = response.cookies[COOKIE]
    assert cookie.value == "es" and int(cookie["max-age"]) == settings.LANGUAGE_COOKIE_AGE
    page = client.get(story.get_absolute_url()).content.decode()
    assert "El sitio se muestra ahora en español." in page or "El sitio se muestra ahora en Español." in page
    assert f'<a href="{reverse("language")}">Idioma</a>' in page  # the footer's link, in Spanish now


def test_a_next_address_elsewhere_is_not_followed(client):
    response = client.post(reverse("language"), {"language": "es", "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == "/"


def test_a_language_not_offered_is_a_400_naming_the_field(client):
    response = client.post(reverse("language"), {"language": "xx"})
    assert response.status_code == 400 and COOKIE not in response.cookies
    assert response.context["form"].errors["language"]


def test_choosing_signed_in_keeps_it_on_the_account_and_blank_forgets_it():
    reader = UserFactory()
    client = signed_in(reader)
    response = client.post(reverse("language"), {"language": "es"})
    assert response.cookies[COOKIE].value == "es"
    reader.refresh_from_db()
    assert reader.language == "es"
    # Following the browser again: the account forgets its language and the cookie goes.
    response = client.post(reverse("language"), {"language": ""}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.cookies[COOKIE].value == "" and response.cookies[COOKIE]["max-age"] == 0
    reader.refresh_from_db()
    assert reader.language == ""


def test_the_account_settings_carry_the_language_and_saving_it_sets_the_cookie():
    reader = UserFactory(handle="lucia")
    client = signed_in(reader)
    form = client.get(reverse("account")).context["form"]
    assert "language" in form.fields
    data = {
        "display_name": reader.display_name,
        "handle": reader.handle,
        "email": reader.email,
        "language": "es",
        "email_on_reply": "on",
    }
    response = client.post(reverse("account"), data, follow=True)
    assert response.status_code == 200
    reader.refresh_from_db()
    assert reader.language == "es" and client.cookies[COOKIE].value == "es"
    assert "Tu cuenta está actualizada." in response.content.decode()
    # Saving the other settings leaves the browser's language alone.
    response = client.post(reverse("account"), {**data, "email_on_mention": "on"})
    assert COOKIE not in response.cookies


def test_signing_in_applies_the_accounts_language():
    UserFactory(handle="ana", language="es")
    client = Client()
    response = client.post(reverse("login"), {"username": "ana", "password": "correct horse battery staple"})
    assert response.status_code == 302 and response.cookies[COOKIE].value == "es"
    # An account that follows the browser leaves the cookie as it was.
    UserFactory(handle="ben")
    response = Client().post(reverse("login"), {"username": "ben", "password": "correct horse battery staple"})
    assert response.status_code == 302 and COOKIE not in response.cookies


def test_a_browser_asking_for_spanish_gets_form_errors_in_spanish(client):
    data = {"display_name": "Ines", "handle": "ines", "email": "ines@example.com"}
    data |= {"password1": "a long enough passphrase 42", "password2": "another passphrase 42"}
    response = client.post(reverse("signup"), data, HTTP_ACCEPT_LANGUAGE="es-ES,es;q=0.9")
    assert response.status_code == 400
    assert "Las dos contraseñas no coinciden." in response.content.decode()
    response = client.post(reverse("signup"), data, HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    assert "The two passwords differ." in response.content.decode()


def test_the_cookie_outranks_the_browser(client):
    client.cookies[COOKIE] = "es"
    response = client.post(reverse("login"), {"username": "nobody", "password": "wrong"}, HTTP_ACCEPT_LANGUAGE="en")
    assert "Ese nombre de usuario y esa contraseña no coinciden." in response.content.decode()


def test_notification_e_mail_goes_in_the_recipients_language_whatever_is_active(settings):
    settings.NOTIFICATIONS_EMAIL_WINDOW = 0
    editor = UserFactory(is_staff=True, is_superuser=True)
    spanish, english = UserFactory(handle="marta", language="es"), UserFactory(handle="tom")
    for author in (spanish, english):
        services.comment_pick(comment=CommentFactory(author=author, body="The numbers add up."), by=editor)
    with translation.override("es"):  # a worker whose last job left Spanish active tells the English reader in English
        notifications.send_waiting_emails()
    subjects = {message.to[0]: message.subject for message in mail.outbox}
    assert subjects[spanish.email].startswith("Los editores destacaron tu comentario")
    assert subjects[english.email].startswith("The editors picked your comment")


def test_the_surge_alert_goes_to_each_moderator_in_their_language(settings):
    settings.COMMENTS_SURGE_PER_MINUTE = 5
    spanish, english = UserFactory(language="es"), UserFactory()
    for moderator in (spanish, english):
        moderator.groups.add(moderators_group())
    story = ArticleFactory(headline="Harbour reopens")
    Discussion.objects.update_or_create(
        article=story, defaults={"surge_mode": True, "surge_since": datetime(2026, 3, 10, tzinfo=UTC)}
    )
    assert notifications.send_surge_alert(story.pk) == 2
    by_reader = {message.bcc[0]: message for message in mail.outbox}
    assert by_reader[spanish.email].subject == "Avalancha de comentarios en «Harbour reopens»"
    assert "el modo avalancha está activo" in by_reader[spanish.email].body
    assert by_reader[english.email].subject == "Surge of comments on “Harbour reopens”"
    assert "surge mode is on" in by_reader[english.email].body


def test_the_change_notice_subject_is_in_the_accounts_language(settings):
    settings.SITE_NAME = "The Daily"
    assert change_notice_message(UserFactory(language="es"), "new@example.com").subject == (
        "Se pidió una nueva dirección de correo en The Daily"
    )
    assert change_notice_message(UserFactory(), "new@example.com").subject == (
        "A new e-mail address was asked for on The Daily"
    )


def test_an_illegal_content_notice_is_answered_in_the_language_it_was_written_in(client):
    story = ArticleFactory()
    comment = CommentFactory(article=story)
    with translation.override("es"):
        notice = services.notice_create(
            target=comment,
            category="defamation",
            explanation="It says things about me that are false.",
            location=f"https://news.example.com{comment.get_absolute_url()}",
            notifier=None,
            notifier_name="Ana",
            notifier_email="ana@example.com",
            good_faith=True,
            sender_key="127.0.0.1",
        )
    assert notice.language == "es"
    assert notifications.send_notice_email(notice.pk, "received") is True
    assert mail.outbox[-1].subject == f"Hemos recibido tu aviso {notice.reference}"


def test_json_ld_and_open_graph_say_the_pages_language(client):
    story = ArticleFactory()
    english = parse(client.get(story.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en"))
    spanish = parse(client.get(story.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="es-MX,es;q=0.9"))
    assert json_ld(english)[0]["inLanguage"] == "en" and one(english, "og:locale") == "en"
    assert json_ld(spanish)[0]["inLanguage"] == "es" and one(spanish, "og:locale") == "es"


def test_the_shared_discussion_fragment_is_kept_once_per_language(client):
    story = ArticleFactory()
    CommentFactory(article=story, body="First!")
    url = story.get_absolute_url()
    client.get(url, HTTP_ACCEPT_LANGUAGE="en")  # fills the fragment cache in English
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Más antiguos" in page and ">Oldest<" not in page  # the sort links, from the Spanish fragment


def test_the_language_field_offers_the_sites_languages():
    field = User._meta.get_field("language")
    assert field.blank and [code for code, _name in field.choices] == [code for code, _name in settings.LANGUAGES]


def test_signing_up_after_choosing_keeps_the_choice_on_the_new_account(
    client, django_capture_on_commit_callbacks, monkeypatch
):
    rendered_in = []

    def render(template, context):
        rendered_in.append(translation.get_language())
        return real_render(template, context)

    real_render = confirmation.render_to_string
    monkeypatch.setattr(confirmation, "render_to_string", render)
    client.cookies[COOKIE] = "es"
    data = {"display_name": "Ines", "handle": "ines", "email": "ines@example.com"}
    data |= {"password1": "a long enough passphrase 42", "password2": "a long enough passphrase 42"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("signup"), data)
    assert response.status_code == 302
    assert User.objects.get(handle="ines").language == "es"
    assert mail.outbox[-1].to == ["ines@example.com"] and rendered_in == ["es", "es"]  # its subject and body


def test_the_password_reset_e_mail_is_rendered_in_the_accounts_language(client, monkeypatch):
    from django.contrib.auth import forms as auth_forms

    rendered_in = []
    real_send = auth_forms.PasswordResetForm.send_mail

    def send_mail(self, *args, **kwargs):
        rendered_in.append(translation.get_language())
        return real_send(self, *args, **kwargs)

    monkeypatch.setattr(auth_forms.PasswordResetForm, "send_mail", send_mail)
    UserFactory(handle="ana", email="ana@example.com", language="es")
    UserFactory(handle="ben", email="ben@example.com")
    for email in ("ana@example.com", "ben@example.com"):
        client.post(reverse("password_reset"), {"email": email}, HTTP_ACCEPT_LANGUAGE="en")
    assert rendered_in == ["es", "en"] and len(mail.outbox) == 2
