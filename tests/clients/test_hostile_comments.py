"""XSS payloads and naughty strings (tests/corpora.py), posted as comments and rendered in Chromium with the site's
Content Security Policy, run no script and leave no event handler or javascript: URL in the DOM.

Every naughty string and a sample of the XSS payloads (tests/corpora.py says how many and how it rotates) go through
one browser tab: the thread whose replies hold every one (one server-rendered page), then the story with each one a
thread of its own, paged as the site pages them, brought in with "Show more comments" (the script's innerHTML path).
What would count as script running: a dialog, a call to alert/confirm/prompt/print/open (stubbed by an init script
that records calls), any console call, a CSP violation, a new global, an uncaught error, a navigation, a popup or a
request off the site.
"""

import re
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

from django.urls import reverse

from comments.models import Comment
from tests.clients.hostile import post_all
from tests.corpora import BLNS, SAMPLE_SIZE, SEED, XSS, corpora, sample
from tests.factories import ArticleFactory, CommentFactory, UserFactory

HERE = Path(__file__).resolve().parent
PROBE = (HERE / "probe.js").read_text()
SCAN = (HERE / "scan.js").read_text()

SHOWN_BODIES = """() => [...document.querySelectorAll("ol.comments li[id^='comment-']")].map((li) => [
  Number(li.id.slice(8)), li.querySelector(".comment__body")?.textContent ?? null])"""


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


CATALOGUE_GLOBALS = {
    "django", "gettext", "ngettext", "gettext_noop", "pgettext", "npgettext", "interpolate", "get_format", "pluralidx"
}  # fmt: skip


class Watch:
    """What the tab did that a payload could have caused, across navigations."""

    def __init__(self, page, site: str):
        self.page, self.site = page, site
        self.dialogs: list[str] = []
        self.console: list[str] = []
        self.errors: list[str] = []
        self.navigations: list[str] = []
        self.off_site: list[str] = []
        self.popups: list[str] = []
        self.findings: list[dict] = []
        self.calls: list[str] = []
        self.violations: list[str] = []
        self.globals: set[str] = set()
        page.on("dialog", self._dialog)
        page.on("console", lambda message: self.console.append(f"{message.type}: {message.text[:120]}"))
        page.on("pageerror", lambda error: self.errors.append(str(error)[:120]))
        page.on("popup", lambda popup: self.popups.append(popup.url))
        page.on("request", self._request)
        page.on("framenavigated", lambda frame: frame == page.main_frame and self.navigations.append(frame.url))

    def _dialog(self, dialog):
        self.dialogs.append(f"{dialog.type}: {dialog.message[:60]}")
        dialog.dismiss()

    def _request(self, request):
        if urlsplit(request.url).netloc != urlsplit(self.site).netloc:
            self.off_site.append(request.url[:120])

    def scan(self) -> None:
        result = self.page.evaluate(SCAN)
        self.findings += result["found"]
        self.calls += result["calls"]
        self.violations += result["violations"]
        # Our own: the functions Django's JavaScript catalogue (/jsi18n/) defines for the page's scripts.
        self.globals |= set(result["globals"]) - CATALOGUE_GLOBALS

    def script_ran(self) -> dict[str, list]:
        return {
            "dialogs": self.dialogs,
            "stubbed calls": self.calls,
            "console calls": self.console,
            "CSP violations": self.violations,
            "uncaught errors": self.errors,
            "new globals": sorted(self.globals),
            "popups": self.popups,
            "off-site requests": self.off_site,
        }


def test_the_watch_catches_a_payload_that_does_run(context):
    """The detectors themselves work: on a page with no CSP and no escaping, a real XSS is seen every way."""
    context.add_init_script(PROBE)
    page = context.new_page()
    watch = Watch(page, "http://localhost")
    page.set_content(
        '<ul><li id="comment-1"><div class="comment__body"><img src="data:," onerror="alert(1); console.log(2); '
        'window.leaked = 3"><a href=" javascript:alert(4)">x</a></div></li></ul>'
    )
    page.wait_for_function("window.leaked === 3")
    watch.scan()
    ran = watch.script_ran()
    assert ran["stubbed calls"] == ["alert(1)", "console.log(2)"]
    assert ran["console calls"] == ["log: 2"]
    assert ran["new globals"] == ["leaked"]
    assert {f["what"].split("=")[0] for f in watch.findings} >= {"onerror", "href", "<img> in a comment"}
    assert {f["where"] for f in watch.findings} == {"comment-1"}


def test_sampled_corpus_payloads_render_as_inert_text(context, live_server, settings, record_property):
    settings.COMMENTS_THREAD_PER_PAGE = 2000  # one thread page holding every payload (thread pages come in pages)
    settings.COMMENTS_MAX_THREAD_SIZE = 2000  # and one thread taking them all (a thread stops at 1,000 replies)
    payloads = sample()
    whole = corpora()
    assert len(payloads) == min(len(whole), SAMPLE_SIZE) > 1000
    # Hostile display names too: the name beside each comment is the other text a reader controls.
    authors = [
        UserFactory(handle=f"hostile{n}", display_name=payload[:60])
        for n, (_, payload) in enumerate(payloads[:: len(payloads) // 12])
    ]
    one_thread = ArticleFactory(headline="Every payload in one thread")
    root = CommentFactory(article=one_thread, body="Reply below with anything.")
    in_thread, refused = post_all(payloads, article=one_thread, authors=authors, parent=root)
    paged = ArticleFactory(headline="Every payload a thread")
    as_threads, refused_again = post_all(payloads, article=paged, authors=authors)
    assert refused == refused_again and len(in_thread) + len(refused) == len(payloads)

    context.add_init_script(PROBE)
    page = context.new_page()
    watch = Watch(page, live_server.url)

    # 1. One server-rendered page holding every payload (the thread page of `root`; the story page shows only a
    # thread's first replies), with the policy on.
    response = page.goto(reverse("comments:thread", kwargs={"pk": root.pk}))
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    watch.scan()
    shown = dict(page.evaluate(SHOWN_BODIES))
    assert set(shown) == {root.pk, *in_thread}

    # 2. The same payloads as threads, paged as the site pages them, appended by "Show more comments".
    page.goto(paged.get_absolute_url())
    clicks = 0
    more = page.locator("[data-more-url]")
    while more.count():
        before = page.locator("[data-comment-list] > li").count()
        more.click()
        page.wait_for_function(
            "n => document.querySelectorAll('[data-comment-list] > li').length > n", arg=before, timeout=10_000
        )
        clicks += 1
    watch.scan()
    shown_paged = dict(page.evaluate(SHOWN_BODIES))
    assert set(shown_paged) == set(as_threads)
    assert clicks == -(-len(as_threads) // settings.COMMENTS_THREADS_PER_PAGE) - 1

    # Shown, not obeyed: each comment's text is the payload's own characters (less control characters and
    # surrounding space, which the site strips on the way in).
    stored = dict(Comment.objects.values_list("pk", "body"))
    garbled = [
        pk
        for pk, text in [*shown.items(), *shown_paged.items()]
        if pk != root.pk and squeeze(text) != squeeze(stored[pk])
    ]
    assert garbled == [], [stored[pk] for pk in garbled[:5]]

    ran = watch.script_ran()
    got_through = {f["where"] for f in watch.findings}
    assert ran == {key: [] for key in ran}
    assert watch.findings == []
    assert watch.navigations == [
        f"{live_server.url}{reverse('comments:thread', kwargs={'pk': root.pk})}",
        f"{live_server.url}{paged.get_absolute_url()}",
    ]
    tried = len(payloads)
    of, took = Counter(source for source, _ in whole), Counter(source for source, _ in payloads)
    record_property(
        "figures",
        f"{tried} of {len(whole)} payloads tried ({took[XSS]} of {of[XSS]} {XSS}, drawn with seed {SEED}; "
        f"{took[BLNS]} of {of[BLNS]} {BLNS}): {len(refused)} refused as empty, "
        f"{len(in_thread)} rendered twice (one thread page; {clicks + 1} pages via Show more), "
        f"{tried - len(got_through)} blocked, {len(got_through)} got through; "
        + ", ".join(f"{len(v)} {k}" for k, v in ran.items())
        + f", {len(watch.findings)} on*/javascript: attributes",
    )
