"""Outgoing mail never holds a worker or fails a request: a relay that accepts the connection and never answers times
out, and a relay that fails costs the reader nothing but the e-mail."""

import threading

import pytest
from django.conf import settings
from django.core.mail import get_connection, send_mail
from django.urls import reverse

from tests.factories import UserFactory


def test_the_settings_set_an_smtp_timeout():
    assert 0 < settings.EMAIL_TIMEOUT <= 30
    assert get_connection("django.core.mail.backends.smtp.EmailBackend").timeout == settings.EMAIL_TIMEOUT


def test_a_relay_that_never_answers_fails_the_send_instead_of_hanging(silent_relay, settings):
    settings.EMAIL_TIMEOUT = 1  # the setting itself, shortened for the test
    connection = get_connection("django.core.mail.backends.smtp.EmailBackend", host="127.0.0.1", port=silent_relay)
    outcome = []

    def send():
        try:
            send_mail("s", "b", "a@example.com", ["b@example.com"], connection=connection)
        except OSError as error:
            outcome.append(error)

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    sender.join(timeout=20)
    assert not sender.is_alive(), "the send still waits on a silent relay"
    assert outcome and "timed out" in str(outcome[0])


@pytest.mark.django_db
def test_a_password_reset_answers_the_usual_redirect_whatever_the_relay_does(client, broken_relay, caplog):
    UserFactory(handle="marta", email="marta@example.com")
    response = client.post(reverse("password_reset"), {"email": "marta@example.com"})
    assert response.status_code == 302 and response["Location"] == reverse("password_reset_done")
    assert "Failed to send password reset email" in caplog.text
