"""Read replicas (newsroom.replica): the router's rules on any database, then a real primary and streaming replica
(tests.servers.PostgresCluster) behind gunicorn, driven over HTTP while the replica lags."""

import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlencode

import pytest
from django.contrib.sessions.models import Session
from django.core import signing
from django.db import router, transaction
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import timezone

from articles.models import Article
from comments.models import Discussion
from newsroom import edge, replica
from tests import tools
from tests.servers import BIN, ROOT, PostgresCluster, free_port, stop_group, wait_for

# ---------------------------------------------------------------------------------------------------------------
# The rules, with the middleware around a view that asks the router (no replica needed: nothing is queried).
# ---------------------------------------------------------------------------------------------------------------


@pytest.fixture
def with_replica(monkeypatch, settings):
    """A "replica" alias that answers (nothing here connects to it)."""
    monkeypatch.setitem(settings.DATABASES, replica.REPLICA, {**settings.DATABASES["default"]})
    monkeypatch.setattr(replica, "replica_answers", lambda: True)
    settings.DATABASE_REPLICA_PIN_SECONDS = 10


def serve(method, path, *, cookies=None, view=None):
    """The request through route_reads; (response, where the view's reads went)."""
    seen = {}

    def default_view(request):
        seen["read"] = router.db_for_read(Article)
        return HttpResponse(status=302 if method == "POST" else 200)

    request = RequestFactory().generic(method, path)
    request.COOKIES.update(cookies or {})
    response = replica.route_reads(view or default_view)(request)
    return response, seen.get("read")


@pytest.mark.parametrize(
    ("method", "path", "reads"),
    [
        ("GET", "/news/story/", "replica"),
        ("HEAD", "/", "replica"),
        ("POST", "/comments/story/1/post/", "default"),
        ("GET", "/admin/articles/article/", "default"),
    ],
)
def test_only_the_reads_of_safe_requests_outside_the_admin_go_to_the_replica(with_replica, method, path, reads):
    assert serve(method, path)[1] == reads


def test_without_a_replica_everything_reads_the_primary_and_nobody_is_pinned():
    response, reads = serve("GET", "/")
    assert reads == "default"
    response, reads = serve("POST", "/comments/story/1/post/")
    assert replica.PIN_COOKIE not in response.cookies


def test_outside_a_request_the_worker_commands_and_shell_read_the_primary(with_replica):
    assert router.db_for_read(Article) == "default"
    assert router.db_for_write(Article) == "default"


def test_a_signed_out_page_sets_no_cookie(with_replica):
    response, reads = serve("GET", "/news/story/")
    assert reads == "replica" and not response.cookies


@pytest.mark.django_db(transaction=True)
def test_transactions_select_for_update_and_sessions_read_the_primary(with_replica):
    def view(request):
        with transaction.atomic():
            seen["in a transaction"] = router.db_for_read(Article)
        seen["session"] = router.db_for_read(Session)
        seen["plain"] = router.db_for_read(Article)
        seen["locking"] = Article.objects.select_for_update().db
        return HttpResponse()

    seen = {}
    serve("GET", "/", view=view)
    assert seen == {
        "in a transaction": "default",
        "session": "default",
        "plain": "replica",
        "locking": "default",
    }


def pin_of(response) -> dict[str, str]:
    return {replica.PIN_COOKIE: response.cookies[replica.PIN_COOKIE].value}


def test_a_successful_post_pins_its_reader_to_the_primary_for_a_while(with_replica, monkeypatch):
    response, _ = serve("POST", "/comments/story/1/post/")
    cookie = response.cookies[replica.PIN_COOKIE]
    assert cookie["max-age"] == 10 and cookie["httponly"] and cookie["samesite"] == "Lax"
    assert serve("GET", "/news/story/", cookies=pin_of(response))[1] == "default"
    # The signature carries the time it was made: the server, not the browser, decides when the pin lapses.
    real_time = signing.time.time
    monkeypatch.setattr(signing, "time", SimpleNamespace(time=lambda: real_time() + 11))
    assert serve("GET", "/news/story/", cookies=pin_of(response))[1] == "replica"


def test_a_forged_pin_or_a_failed_post_pins_nobody(with_replica):
    assert serve("GET", "/", cookies={replica.PIN_COOKIE: "primary"})[1] == "replica"
    refused = replica.route_reads(lambda request: HttpResponse(status=403))(RequestFactory().post("/x/"))
    assert replica.PIN_COOKIE not in refused.cookies


@pytest.mark.django_db(transaction=True)
def test_a_get_that_writes_reads_the_primary_from_then_on_and_pins_its_reader(with_replica):
    def view(request):
        Discussion(article=Article())  # Django asks db_for_write where an unsaved object goes: no write
        seen["before"] = router.db_for_read(Article)
        Session.objects.create(session_key="k" * 32, session_data="", expire_date=timezone.now())
        seen["after"] = router.db_for_read(Article)
        return HttpResponse()

    seen = {}
    response, _ = serve("GET", "/", view=view)
    assert seen == {"before": "replica", "after": "default"} and replica.PIN_COOKIE in response.cookies


@pytest.fixture
def purge_listener():
    """An HTTP server on loopback that answers every PURGE with 200 and keeps the keys it was sent."""
    purged = []

    class Handler(BaseHTTPRequestHandler):
        def do_PURGE(self):
            purged.append(self.headers["xkey-purge"])
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/", purged
    server.shutdown()
    server.server_close()


def test_a_purge_before_the_replica_replayed_the_write_is_sent_and_retried(settings, monkeypatch, purge_listener):
    url, purged = purge_listener
    settings.EDGE_PURGE_URLS = [url]
    monkeypatch.setattr(edge, "replica_caught_up", lambda timeout: True)
    edge.purge_keys.call(["story-1"])
    monkeypatch.setattr(edge, "replica_caught_up", lambda timeout: False)
    # Sent all the same (the replica may catch up before the edge refetches), then again on the queue's retry.
    with pytest.raises(edge.EdgePurgeFailed, match="read replica had not replayed"):
        edge.purge_keys.call(["story-1"])
    assert purged == ["story-1", "story-1"]


def test_the_replica_is_asked_at_the_first_read_and_when_it_does_not_answer_the_primary_serves(
    with_replica, monkeypatch
):
    asked = []
    monkeypatch.setattr(replica, "replica_answers", lambda: asked.append("asked") or False)

    def view(request):
        seen.extend([router.db_for_read(Article), router.db_for_read(Article)])
        return HttpResponse()

    seen = []
    serve("GET", "/", view=view)
    assert seen == ["default", "default"] and asked == ["asked"]
    serve("GET", "/healthz", view=lambda request: HttpResponse())  # reads nothing: never connects
    assert asked == ["asked"]


def settings_databases(**env) -> dict:
    """settings.DATABASES in a process of its own with only these variables of ours."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "CACHE_URL"))}
    printed = subprocess.run(
        [sys.executable, "-c", "import json, django; django.setup(); from django.conf import settings; "
         "print(json.dumps(settings.DATABASES, default=str))"],
        cwd=ROOT, capture_output=True, text=True, check=True, timeout=60,
        env={**clean, "DJANGO_SETTINGS_MODULE": "newsroom.settings", "DJANGO_ENV_FILE": os.devnull,
             "DJANGO_DEBUG": "true", **env},
    )  # fmt: skip
    return json.loads(printed.stdout)


def test_the_replica_is_configured_like_the_primary_and_mirrors_it_in_tests():
    assert list(settings_databases(DATABASE_URL="postgres://postgres@db:5432/newsroom")) == ["default"]
    databases = settings_databases(
        DATABASE_URL="postgres://postgres@db:5432/newsroom",
        DATABASE_REPLICA_URL="postgres://reader:secret@standby:5433/newsroom",
        DJANGO_DB_CONN_MAX_AGE="30",
        DATABASE_TRANSACTION_POOLING="true",  # a replica behind PgBouncer too needs what the primary's pooler does
    )
    default, standby = databases["default"], databases["replica"]
    assert (standby["HOST"], standby["PORT"], standby["USER"], standby["PASSWORD"]) == (
        "standby",
        5433,
        "reader",
        "secret",
    )
    assert standby["CONN_MAX_AGE"] == default["CONN_MAX_AGE"] == 30 and standby["CONN_HEALTH_CHECKS"]
    assert standby["OPTIONS"]["connect_timeout"] == 2 and standby["TEST"]["MIRROR"] == "default"
    assert standby["DISABLE_SERVER_SIDE_CURSORS"] and standby["OPTIONS"]["prepare_threshold"] is None


def test_migrations_never_run_against_the_replica():
    assert router.allow_migrate("default", "articles") and not router.allow_migrate("replica", "articles")


# ---------------------------------------------------------------------------------------------------------------
# A real streaming replica.
# ---------------------------------------------------------------------------------------------------------------

PIN_SECONDS = 2


@pytest.fixture(scope="module")
def clusters():
    """A primary with a database for the site, and its streaming replica, clusters of our own; stopped and removed
    after the module (pg_ctl daemonizes them: a test run killed outright leaves them running in /tmp)."""
    tools.postgresql()
    # Not pytest's tmp_path: as root the clusters belong to the postgres user, who cannot enter root's private tmp.
    work = Path(tempfile.mkdtemp(prefix="newsroom-replica-"))
    work.chmod(0o755)
    primary = replica_cluster = None
    try:
        primary = PostgresCluster(work / "primary").start()
        primary.create_database("newsroom")
        replica_cluster = primary.replica(work / "replica").start()
        yield SimpleNamespace(primary=primary, replica=replica_cluster, work=work)
    finally:
        for cluster in (replica_cluster, primary):
            if cluster is not None:
                cluster.stop()
        shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="module")
def site(clusters):
    """gunicorn with the shipped configuration reading the replica, and the people and story of the tests."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "newsroom.settings",
        "DJANGO_ENV_FILE": os.devnull,
        "DJANGO_DEBUG": "true",  # per-process cache and plain-http cookies: one worker, no Redis to share
        "DJANGO_SECRET_KEY": "replica-test-" + "x" * 40,
        "DATABASE_URL": clusters.primary.url("newsroom"),
        "DATABASE_REPLICA_URL": clusters.replica.url("newsroom"),
        "DATABASE_REPLICA_PIN_SECONDS": str(PIN_SECONDS),
        "COMMENTS_PREMODERATE_FIRST": "0",
        "DJANGO_MEDIA_ROOT": str(clusters.work / "media"),
        "TASKS_URL": "",
        "CACHE_URL": "locmemcache://",
    }
    manage(env, "migrate", "--noinput")
    people = json.loads(manage(env, "shell", "-c", SEED).strip().splitlines()[-1])
    port = free_port()
    node = SimpleNamespace(port=port, stop=lambda: stop_group(node.process, grace=10) or node._log.close())
    node._log = open(clusters.work / "gunicorn.log", "wb")  # noqa: SIM115 (closed by node.stop)
    node.process = subprocess.Popen(
        [BIN / "gunicorn", "-c", ROOT / "deploy" / "gunicorn.conf.py", "newsroom.wsgi"],
        cwd=ROOT,
        env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": "1"},
        stdout=node._log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_for(lambda: _answers(node), timeout=30, interval=0.2, what="gunicorn answering")
    except AssertionError:
        node.stop()
        raise AssertionError((clusters.work / "gunicorn.log").read_text(errors="replace")[-3000:]) from None
    yield SimpleNamespace(port=port, story=people["story"], article_id=people["article_id"], clusters=clusters, env=env)
    node.stop()


def manage(env: dict[str, str], *args: str) -> str:
    """`manage.py *args` with the site's environment; its output, or a failure that shows it."""
    done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, f"manage.py {args[0]} failed: {(done.stdout + done.stderr)[-3000:]}"
    return done.stdout


SEED = """
import json
from tests.factories import ArticleFactory, UserFactory
article = ArticleFactory(headline="The bridge reopens")
UserFactory(handle="poster")
UserFactory(handle="chief", is_staff=True, is_superuser=True)
print(json.dumps({"story": article.get_absolute_url(), "article_id": article.pk}))
"""


def _answers(node) -> bool:
    if node.process.poll() is not None:
        raise AssertionError(f"gunicorn exited with {node.process.returncode}")
    try:
        return Browser(node.port).get("/healthz")[0] == 200
    except OSError:
        return False


class Browser:
    """One reader's cookies, kept across requests to the site (nothing expires on this side: the server decides)."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, http.client.HTTPMessage, str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        headers = {"Host": "127.0.0.1"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        body = None
        if form is not None:
            form = {"csrfmiddlewaretoken": self.cookies.get("csrftoken", ""), **form}
            body, headers["Content-Type"] = urlencode(form), "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode()
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel.value:
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        return response.status, response.headers, text

    def get(self, path: str):
        return self.request("GET", path)

    def sign_in(self, handle: str) -> "Browser":
        self.get("/accounts/login/")  # the CSRF cookie
        status, _, text = self.request("POST", "/accounts/login/", {"username": handle, "password": PASSWORD})
        assert status == 302, text[:2000]
        self.cookies.pop(replica.PIN_COOKIE)  # signing in wrote (the session): pinned, as any write
        return self


PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's


@pytest.fixture
def lagging(site):
    """The replica stops replaying what it receives (it keeps receiving), and catches up after the test."""
    site.clusters.replica.pause_replay()
    yield site.clusters.replica
    site.clusters.replica.resume_replay()
    wait_for(lambda: site.clusters.replica.lag()["bytes"] == 0, timeout=10, what="the replica catching up")


def caught_up(cluster) -> bool:
    return cluster.lag()["bytes"] == 0


def test_while_the_replica_lags_readers_see_its_page_and_the_admin_reads_the_primary(site, lagging):
    site.clusters.primary.execute(
        "UPDATE articles_article SET headline = 'The bridge stays shut' WHERE id = %s", site.article_id,
        database="newsroom",
    )  # fmt: skip
    status, headers, page = Browser(site.port).get(site.story)
    assert status == 200 and "The bridge reopens" in page and "The bridge stays shut" not in page
    # What a signed-out reader gets from the replica is still a page the edge may share: no pin, no cookie.
    assert "public" in headers["Cache-Control"] and headers["Set-Cookie"] is None
    assert "The bridge reopens" in Browser(site.port).sign_in("poster").get(site.story)[2]
    chief = Browser(site.port).sign_in("chief")
    status, _, form = chief.get(f"/admin/articles/article/{site.article_id}/change/")
    assert status == 200 and "The bridge stays shut" in form
    lagging.resume_replay()
    wait_for(
        lambda: "The bridge stays shut" in Browser(site.port).get(site.story)[2],
        timeout=10, what="signed-out readers seeing the edit once the replica replayed it",
    )  # fmt: skip


def test_the_reader_who_posted_sees_their_comment_at_once_and_everyone_once_the_replica_has_it(site, lagging):
    poster = Browser(site.port).sign_in("poster")
    poster.get(site.story)  # a fresh CSRF cookie
    words = "Replicated words from the riverbank"
    status, headers, text = poster.request("POST", f"/comments/story/{site.article_id}/post/", {"body": words})
    assert status == 302, text[:2000]
    comment_id = re.search(r"#comment-(\d+)$", headers["Location"])[1]
    assert replica.PIN_COOKIE in poster.cookies
    # Pinned: the page they land on and the comment's permalink read the primary.
    assert words in poster.get(headers["Location"].split("#")[0])[2]
    assert poster.get(f"/comments/{comment_id}/")[0] == 302
    # Everyone else reads the replica, which has not replayed the comment yet.
    assert words not in Browser(site.port).get(site.story)[2]
    assert Browser(site.port).get(f"/comments/{comment_id}/")[0] == 404
    unpinned = Browser(site.port)
    unpinned.cookies = {name: value for name, value in poster.cookies.items() if name != replica.PIN_COOKIE}
    assert words not in unpinned.get(site.story)[2]
    # The pin lapses (the poster still sends the cookie: its signed time says it is too old) and the replica
    # still lags: the poster reads the replica like everyone else.
    time.sleep(PIN_SECONDS + 0.5)
    assert words not in poster.get(site.story)[2]
    lagging.resume_replay()
    wait_for(lambda: caught_up(lagging), timeout=10, what="the replica catching up")
    for reader in (Browser(site.port), poster, unpinned):
        assert words in reader.get(site.story)[2]
    assert Browser(site.port).get(f"/comments/{comment_id}/")[0] == 302


def test_readyz_says_when_the_replica_lags_or_is_gone_and_the_site_stays_up(site):
    readyz = lambda: Browser(site.port).get("/readyz")  # noqa: E731
    standby, primary = site.clusters.replica, site.clusters.primary
    assert json.loads(readyz()[2])["replica"] == "ok"
    standby.pause_replay()
    try:
        primary.execute(
            "UPDATE articles_article SET deck = 'Lagging' WHERE id = %s", site.article_id, database="newsroom"
        )
        status, _, text = wait_for(
            lambda: (answer := readyz()) and json.loads(answer[2])["replica"] == "lagging" and answer,
            timeout=PIN_SECONDS + 5, what="/readyz saying the replica lags",
        )  # fmt: skip
        assert status == 200 and json.loads(text)["status"] == "degraded" and json.loads(text)["database"] == "ok"
    finally:
        standby.resume_replay()
    wait_for(lambda: json.loads(readyz()[2])["replica"] == "ok", timeout=10, what="/readyz saying ok again")
    standby.stop()
    try:
        status, _, text = readyz()
        assert status == 200 and json.loads(text)["replica"] == "unreachable"
        assert json.loads(text)["status"] == "degraded"
        # Pages read the primary meanwhile.
        primary.execute(
            "UPDATE articles_article SET deck = 'Read from the primary' WHERE id = %s", site.article_id,
            database="newsroom",
        )  # fmt: skip
        status, _, page = Browser(site.port).get(site.story)
        assert status == 200 and "Read from the primary" in page
    finally:
        standby.start()
    wait_for(lambda: json.loads(readyz()[2])["replica"] == "ok", timeout=10, what="the replica back in /readyz")


def test_a_purge_waits_for_the_replica_to_replay_the_write(site, lagging):
    """newsroom.replica.replica_caught_up, in a process with the site's settings, as the worker runs it."""
    check = "from newsroom.replica import replica_caught_up; print(replica_caught_up(timeout=0.5))"
    site.clusters.primary.execute(
        "UPDATE articles_article SET deck = 'Waiting' WHERE id = %s", site.article_id, database="newsroom"
    )
    assert manage(site.env, "shell", "-c", check).split()[-1] == "False"
    lagging.resume_replay()
    assert manage(site.env, "shell", "-c", check).split()[-1] == "True"
