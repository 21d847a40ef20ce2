"""The Nu HTML checker (vnu-jar from npm, run with Java) finds no errors in the HTML the site serves."""

import json
import subprocess

import pytest
from django.test import Client

from tests import tools
from tests.clients.hostile import corpora, post_all
from tests.clients.site import build_site
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
        response = (signed_in if page.signed_in else anonymous).get(page.url)
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


def test_the_hostile_corpora_leave_a_story_page_valid_html(tmp_path, settings, record_property):
    """Every payload of the shared corpora as a reply in one thread, on one page: still no checker errors."""
    java = tools.java()
    vnu = tools.node_module("vnu-jar/build/dist/vnu.jar")
    payloads = corpora()
    authors = [UserFactory(display_name=payload[:60]) for _, payload in payloads[:: len(payloads) // 12]]
    article = ArticleFactory()
    root = CommentFactory(article=article)
    stored, refused = post_all(payloads, article=article, authors=authors, parent=root)
    path = tmp_path / "hostile.html"
    path.write_bytes(Client().get(article.get_absolute_url()).content)
    run = subprocess.run([java, "-jar", str(vnu), "--format", "json", str(path)], capture_output=True, text=True)
    errors = [
        f"{m.get('lastLine')}: {m['message']} [{m.get('extract', '').strip()}]"
        for m in json.loads(run.stderr)["messages"]
        if m["type"] in ("error", "non-document-error")
    ]
    record_property("figures", f"one page with {len(stored)} hostile comments: {len(errors)} errors")
    assert not errors, "\n".join(errors)
