"""The API's interactive docs (/api/v1/docs/) in Chromium: Swagger UI from our own static files, offline, under the
site's Content Security Policy, listing the operations and trying one."""

import pytest
from playwright.sync_api import expect

from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db(transaction=True)

# Refused scripts, styles or fetches show as securitypolicyviolation events (and as console errors, collected too).
RECORD_CSP = """document.addEventListener(
    "securitypolicyviolation", e => (window.cspViolations ||= []).push(`${e.violatedDirective} ${e.blockedURI}`)
)"""


def test_the_docs_load_from_this_site_alone_and_try_an_operation(page, live_server):
    ArticleFactory(headline="The harbour reopens")
    page.add_init_script(RECORD_CSP)
    console_errors, elsewhere = [], []
    page.on("console", lambda m: m.type == "error" and console_errors.append(m.text))
    # Nothing may come from another host: the docs must work on a machine without the internet.
    page.on(
        "request", lambda r: r.url.startswith(live_server.url) or r.url.startswith("data:") or elsewhere.append(r.url)
    )

    page.goto("/api/v1/docs/")
    operation = page.locator("#operations-stories-articles_api_story_list")
    operation.locator(".opblock-summary").click()
    page.get_by_role("button", name="Try it out").click()
    page.get_by_role("button", name="Execute").click()
    # The answer the server gave (not the schema's example beside it), once it has arrived.
    expect(operation.locator(".live-responses-table")).to_contain_text("The harbour reopens")

    assert page.locator(".opblock").count() >= 5
    assert page.evaluate("window.cspViolations || []") == []
    assert console_errors == [] and elsewhere == []
