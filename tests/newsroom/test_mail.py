"""Outgoing mail never holds a worker: a relay that accepts the connection and never answers times out."""

import socket
import threading

import pytest
from django.conf import settings
from django.core.mail import get_connection, send_mail


@pytest.fixture
def silent_relay():
    """A TCP server on loopback that accepts connections and never says a word, as a hung relay does."""
    server = socket.create_server(("127.0.0.1", 0))
    accepted = []

    def accept():
        try:
            while True:
                accepted.append(server.accept()[0])
        except OSError:
            pass

    threading.Thread(target=accept, daemon=True).start()
    yield server.getsockname()[1]
    server.close()
    for connection in accepted:
        connection.close()


def test_the_settings_set_an_smtp_timeout():
    assert 0 < settings.EMAIL_TIMEOUT <= 30
    assert get_connection("django.core.mail.backends.smtp.EmailBackend").timeout == settings.EMAIL_TIMEOUT


def test_a_relay_that_never_answers_fails_the_send_instead_of_hanging(silent_relay):
    connection = get_connection("django.core.mail.backends.smtp.EmailBackend", host="127.0.0.1", port=silent_relay)
    connection.timeout = 1  # the setting's mechanism, shortened for the test
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
