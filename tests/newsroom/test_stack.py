"""`make stack` (scripts/stack.py): the whole scale-out stack comes up on loopback from nothing, a reader signs in and
posts through the edge, signed-out readers see the comment once the worker has purged the page, and `down` stops
exactly what `up` started. (The breaking-news load against the same stack is `make load-stack`, never a test.)"""

import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

import pytest
from django.conf import settings

from newsroom.demo_data import READERS
from tests import tools
from tests.newsroom.test_edge import request as edge_request
from tests.servers import ROOT, wait_for

# Beside the checkout, not pytest's tmp_path: the clusters run as the postgres user, who cannot enter root's tmp.
STACK = ROOT / ".bench" / f"stack-test-{uuid.uuid4().hex[:8]}"
# A Redis database of this test's own (make stack takes 3 and 4, make load-stack 9, the queue tests 5 to 7).
REDIS_DBS = ["--cache-db", "10", "--tasks-db", "10"]
ON_POSTGRESQL = "postgresql" in settings.DATABASES["default"]["ENGINE"]


def stack(*command: str) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, "scripts/stack.py", *command, "--dir", str(STACK), *REDIS_DBS],
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "DJANGO_", "CACHE_"))},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
    return done


def alive(pid: int) -> bool:
    try:
        os.killpg(pid, 0)
    except ProcessLookupError:
        return False
    return True


class Edge:
    """The stack's edge as a client sees it, with one reader's cookies."""

    def __init__(self, url: str):
        self.port = urlsplit(url).port
        self.cookies: dict[str, str] = {}

    def __call__(self, path, *, method="GET", form=None, signed_in=True):
        body = urlencode(form) if form is not None else None
        status, headers, text = edge_request(self, path, method=method, cookies=self.cookies if signed_in else None,
                                             body=body)  # fmt: skip
        if signed_in:
            for header in headers.get_all("Set-Cookie") or []:
                self.cookies.update({name: morsel.value for name, morsel in SimpleCookie(header).items()})
        return status, headers, text


def csrf_field(text: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text).group(1)


@pytest.mark.skipif(not ON_POSTGRESQL, reason="the stack has databases of its own: it runs in the PostgreSQL pass")
def test_make_stack_serves_through_the_edge_purges_by_the_worker_and_stops_what_it_started():
    tools.varnishd()  # a missing Varnish or PgBouncer is a skip here and a failure under CI=true
    tools.pgbouncer()
    try:
        output = stack("up").stdout
        state = json.loads((STACK / "state.json").read_text())
        addresses = dict(re.findall(r"^([a-z0-9 ]+): (\S+)$", output, flags=re.M))
        assert re.search(r"^edge: http://127\.0\.0\.1:\d+/$", output, flags=re.M)
        assert {"edge", "web1", "web2", "pgbouncer", "primary", "replica"} <= addresses.keys()
        assert set(state["pids"]) == {"varnish", "web1", "web2", "worker", "pgbouncer"}
        assert all(alive(pid) for pid in state["pids"].values())
        # The demo accounts to sign in with, at the edge's address.
        assert f"Sign in at {addresses['edge']}accounts/login/" in output
        for node in ("web1", "web2"):
            assert Edge(addresses[node])("/healthz")[0] == 200

        a_comment_posted_through_the_edge_reaches_signed_out_readers(Edge(addresses["edge"]))

        stack("down")
        assert not STACK.exists()
        wait_for(lambda: not any(alive(pid) for pid in state["pids"].values()), timeout=30,
                 what="every process of the stack stopped")  # fmt: skip
        for cluster in state["clusters"]:
            assert not os.path.exists(os.path.join(cluster, "postmaster.pid"))
    finally:
        if (STACK / "state.json").exists():
            stack("down")
        shutil.rmtree(STACK, ignore_errors=True)


def a_comment_posted_through_the_edge_reaches_signed_out_readers(reader: Edge) -> None:
    """A demo reader signs in and posts through the edge (PgBouncer, the primary); they see their comment at once
    (pinned to the primary); signed-out readers get it once the worker's purge retires the cached page."""
    reader("/", signed_in=False)
    status, headers, home = reader("/", signed_in=False)
    assert (status, headers["X-Cache"]) == (200, "HIT")
    status, _, page = reader("/accounts/login/")
    assert status == 200
    status, _, _ = reader(
        "/accounts/login/",
        method="POST",
        form={"username": READERS[0][0], "password": "newsroom-reader", "csrfmiddlewaretoken": csrf_field(page)},
    )
    assert status == 302, "the demo reader could not sign in through the edge"
    story = re.search(r'href="(/[a-z0-9-]+/\d{4}/\d{2}/\d{2}/[a-z0-9-]+/)"', home).group(1)
    newest = f"{story}?sort=newest"
    reader(newest, signed_in=False)
    status, headers, before = reader(newest, signed_in=False)
    assert (status, headers["X-Cache"]) == (200, "HIT")
    _, _, form_page = reader(story)
    article_pk = re.search(r'action="/comments/story/(\d+)/post/"', form_page).group(1)
    text = f"Posted through the whole stack {uuid.uuid4().hex[:6]}"
    status, headers, _ = reader(
        f"/comments/story/{article_pk}/post/",
        method="POST",
        form={"body": text, "csrfmiddlewaretoken": csrf_field(form_page)},
    )
    assert status == 302, "the post through the edge was not accepted"
    status, _, own = reader(headers["Location"].split("#")[0])
    assert status == 200 and text in own
    assert text not in before
    wait_for(lambda: text in reader(newest, signed_in=False)[2], timeout=15,
             what="the comment on the signed-out page through the edge")  # fmt: skip
