"""The Nu HTML checker (vnu-jar from npm, run with Java) finds no errors in the HTML the site serves."""

import json
import subprocess

import pytest
from django.test import Client
from django.urls import reverse

from tests import tools
from tests.clients.hostile import post_all
from tests.clients.site import build_site
from tests.corpora import SEED, sample
from tests.factories import ArticleFactory, CommentFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_nu_html_checker_reports_no_errors_on_the_reader_pages(tmp_path, settings, record_property):
    java = tools.java()
    vnu = tools.node_module("vnu-jar/build/dist/vnu.jar")
    settings.COMMENTS_THREADS_PER_PAGE = 4
    site = build_site(threads_per_page=settings.COMMENTS_THREADS_PER_PAGE)
    anonymous, signed_in = Client(), Client()
    signed_in.force_login(site.reader)
    files = {}
    for page in site.pages:
        client = signed_in if page.signed_in else anonymous
        if page.user is not None:
            client = Client()
            client.force_login(page.user)
        response = client.get(page.url)
        assert response.status_code == 200, page
        path = tmp_path / f"{page.name}.html"
        path.write_bytes(response.content)
        files[f"file:{path}"] = page.name
    # One JVM for every page: vnu writes its JSON report to stderr.
    run = subprocess.run(
        [java, "-jar", str(vnu), "--format", "json", *(str(tmp_path / f"{p.name}.html") for p in site.pages)],
        capture_output=True,
        text=True,
        timeout=240,
    )
    messages = json.loads(run.stderr)["messages"]
    errors = [
        f"{files.get(m.get('url'), m.get('url'))}:{m.get('lastLine')}: {m['message']} [{m.get('extract', '').strip()}]"
        for m in messages
        if m["type"] in ("error", "non-document-error")
    ]
    warnings = [m for m in messages if m["type"] == "info" and m.get("subType") == "warning"]
    record_property(
        "figures",
        f"{len(site.pages)} pages checked ({', '.join(files.values())}): "
        f"{len(errors)} errors, {len(warnings)} warnings",
    )
    assert not errors, "\n".join(errors)
    assert run.returncode == 0, run.stderr[-2000:]


def test_the_hostile_corpora_leave_a_thread_page_valid_html(tmp_path, settings, record_property):
    """The corpora's strings (tests/corpora.py's sample) as the replies of one thread, on its page: no errors."""
    settings.COMMENTS_THREAD_PER_PAGE = 2000  # one page holding every reply (thread pages come in pages)
    java = tools.java()
    vnu = tools.node_module("vnu-jar/build/dist/vnu.jar")
    payloads = sample()
    authors = [UserFactory(display_name=payload[:60]) for _, payload in payloads[:: len(payloads) // 12]]
    article = ArticleFactory()
    root = CommentFactory(article=article)
    stored, refused = post_all(payloads, article=article, authors=authors, parent=root)
    path = tmp_path / "hostile.html"
    # The thread page shows every reply; the story page only a thread's first few.
    page = Client().get(reverse("comments:thread", kwargs={"pk": root.pk})).content.decode()
    assert page.count('class="comment__body"') == len(stored) + 1
    path.write_text(page, encoding="utf-8")
    run = subprocess.run([java, "-jar", str(vnu), "--format", "json", str(path)], capture_output=True, text=True)
    errors = [
        f"{m.get('lastLine')}: {m['message']} [{m.get('extract', '').strip()}]"
        for m in json.loads(run.stderr)["messages"]
        if m["type"] in ("error", "non-document-error")
    ]
    record_property(
        "figures", f"one thread page with {len(stored)} hostile comments (seed {SEED}): {len(errors)} errors"
    )
    assert not errors, "\n".join(errors)
