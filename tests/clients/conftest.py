"""Real clients: Debian's Chromium driven by Playwright against pytest-django's live server (CSP and all)."""

import os

import pytest
from django.conf import settings
from django.test import Client

from tests import tools

# Playwright's sync API runs an asyncio loop in this thread, and Django refuses ORM calls while any loop runs.
# The tests' ORM calls are plain synchronous ones between browser steps, which is what the check guards against
# in real async code, not here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# What this machine's closed network and a root user need (see the machine notes): no sandbox, no background traffic.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 15_000


@pytest.fixture(scope="session")
def browser():
    """One Chromium per test process; each test gets a fresh context (cookies, storage), as a new reader would.

    Playwright's launch() starts Chromium with a new temporary user-data dir of its own and deletes it on close.
    """
    executable = tools.chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def context(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    yield context
    context.close()


@pytest.fixture
def page(context):
    """A tab whose uncaught script errors fail the test: our enhancements must never throw."""
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    assert errors == [], f"script errors on the page: {errors}"


@pytest.fixture
def sign_in(context, live_server):
    """Start the browser's session as a user without the sign-in form (the form has its own test)."""

    def sign_in(user) -> None:
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])

    return sign_in


@pytest.fixture(autouse=True)
def media_served(settings):
    settings.ROOT_URLCONF = "tests.clients.urls"


@pytest.fixture(autouse=True)
def no_comment_rate_limit(settings):
    """These tests build discussions of hundreds of comments by a few readers; the limit has its own tests."""
    settings.COMMENTS_RATE_PER_MINUTE = 0
