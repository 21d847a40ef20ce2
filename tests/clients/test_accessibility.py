"""axe-core (from npm) in Chromium finds no serious or critical accessibility violations on the reader pages."""

from collections import Counter

from django.conf import settings as django_settings
from django.test import Client

from tests import tools
from tests.clients.conftest import TIMEOUT_MS
from tests.clients.site import build_site

BLOCKING = {"serious", "critical"}


def new_page(browser, live_server, user=None):
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(TIMEOUT_MS)
    if user is not None:
        client = Client()
        client.force_login(user)
        cookie = client.cookies[django_settings.SESSION_COOKIE_NAME].value
        context.add_cookies([{"name": django_settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
    return context.new_page()


def test_axe_sees_violations_where_there_are_some(page):
    """A control: the same injection on a page built to fail reports what it should, so a clean run means clean."""
    page.set_content('<html><body><img src="data:,"><button></button><p style="color:#eee">faint</p></body></html>')
    page.evaluate(tools.node_module("axe-core/axe.min.js").read_text())
    results = page.evaluate("axe.run(document, { resultTypes: ['violations'] })")
    assert {v["id"] for v in results["violations"]} >= {"image-alt", "button-name", "color-contrast", "html-has-lang"}


def test_axe_finds_no_serious_or_critical_violations(browser, live_server, settings, record_property):
    axe = tools.node_module("axe-core/axe.min.js").read_text()
    settings.COMMENTS_THREADS_PER_PAGE = 4
    site = build_site(threads_per_page=settings.COMMENTS_THREADS_PER_PAGE)
    tabs = {False: new_page(browser, live_server), True: new_page(browser, live_server, site.reader)}
    by_impact: Counter = Counter()
    blocking = []

    def check(page, name):
        # Through the DevTools protocol, which the page's Content Security Policy does not govern.
        page.evaluate(axe)
        results = page.evaluate("axe.run(document, { resultTypes: ['violations'] })")
        for violation in results["violations"]:
            by_impact[violation["impact"]] += 1
            if violation["impact"] in BLOCKING:
                where = [node["target"] for node in violation["nodes"][:3]]
                blocking.append(f"{name}: {violation['id']} ({violation['impact']}) {violation['help']} {where}")

    try:
        for spec in site.pages:
            if spec.user is not None and spec.user not in tabs:
                tabs[spec.user] = new_page(browser, live_server, spec.user)
            tab = tabs[spec.user if spec.user is not None else spec.signed_in]
            tab.goto(spec.url)
            if spec.user is not None:
                tab.locator("details").evaluate_all("all => all.forEach(d => d.open = true)")  # the controls, the chart
            check(tab, spec.name)
        # And as the scripts leave the story page: the next threads shown and a reply form opened in place.
        page = tabs[True]
        page.goto(next(spec.url for spec in site.pages if spec.name == "story-signed-in"))
        page.get_by_role("link", name="Show more comments").click()
        page.locator(".comment [data-reply-to]").first.click()
        page.locator("form.reply-inline textarea").wait_for()
        check(page, "story-after-scripts")
    finally:
        for page in tabs.values():
            page.context.close()
    record_property(
        "figures",
        f"axe-core on {len(site.pages) + 1} page states: "
        f"{sum(by_impact[i] for i in BLOCKING)} serious or critical violations; "
        f"minor or moderate: {dict(by_impact) if by_impact else 'none'}",
    )
    assert not blocking, "\n".join(blocking)
