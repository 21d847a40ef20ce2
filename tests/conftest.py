import os
import socket
import threading

import pytest
from django.core.cache import cache

from newsroom import ratelimit
from tests.tools import MISSING_TOOL


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Uploads and renditions go to a temporary folder, never the developer's media/."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def empty_cache():
    """Rate-limit counters and cached fragments start from nothing in every test."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def rate_limit_clock(monkeypatch):
    """Rate limits count in fixed windows; every test runs one second into a window, so counts never split."""
    monkeypatch.setattr(ratelimit, "clock", lambda: 1_800_000_001.0)  # a multiple of every window, plus one


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


@pytest.fixture
def refusing_relay():
    """A loopback port nobody listens on: connecting to it is refused at once, as when the relay is down."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
    return port


@pytest.fixture(params=["refusing", "silent"])
def broken_relay(request, settings):
    """The real SMTP backend pointed at a relay that refuses connections, then at one that never answers (with
    EMAIL_TIMEOUT shortened to a second, the setting's mechanism)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = request.getfixturevalue(f"{request.param}_relay")
    settings.EMAIL_TIMEOUT = 1
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    return request.param


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Under CI=true a test skipped for a missing tool (tests/tools.py) fails: CI must run every check."""
    report = yield
    if report.skipped and os.environ.get("CI") == "true" and isinstance(report.longrepr, tuple):
        reason = report.longrepr[2]
        if MISSING_TOOL in reason:
            report.outcome = "failed"
            report.longrepr = f"{reason}\nCI=true: a missing tool is a failure, not a skip."
    return report


def pytest_terminal_summary(terminalreporter):
    """The figures the hardening tests record (record_property("figures", ...)): payloads blocked, posts stored..."""
    lines = [
        f"{report.nodeid.split('::')[-1]}: {value}"
        for key in ("passed", "failed")
        for report in terminalreporter.stats.get(key, [])
        if report.when == "call"
        for name, value in report.user_properties
        if name == "figures"
    ]
    if lines:
        terminalreporter.section("figures from the hardening checks")
        for line in sorted(lines):
            terminalreporter.write_line(line)
