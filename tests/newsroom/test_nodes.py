"""Several web nodes behind the edge, all real processes on loopback: two gunicorn nodes (deploy/gunicorn.conf.py,
production settings) sharing the test's database and a redis-server of this module's own (cache, rate
limits, task queue), Debian's varnishd with the shipped VCL in front of both, and an RQ worker sending the purges.
Rate limits and the comment lock hold across nodes; a node killed mid-load loses no accepted comment while readers
keep getting pages; a comment write reaches signed-out readers through the worker's purge within a second. The two
tests of writes at once need PostgreSQL; the other two run on SQLite too (the test database is a file)."""

import http.client
import os
import random
import re
import secrets
import subprocess
import sys
import threading
import time
from collections import Counter
from urllib.parse import urlencode

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.test import Client

from comments.models import Comment
from tests import tools
from tests.comments.conftest import assert_trees_sound
from tests.factories import ArticleFactory, CommentFactory, UserFactory
from tests.servers import ROOT, RedisServer, Varnish, WebNode, Worker, database_url, free_port, wait_for

pytestmark = pytest.mark.django_db(transaction=True)
needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: two nodes write at once, each on its own connections (SQLite has one writer)",
)

RATE_PER_MINUTE = 5
# The CSRF secret every reader here sends, as cookie and as form field (Django compares the two).
CSRF = secrets.token_hex(16)


@pytest.fixture(scope="module")
def site(django_db_setup, tmp_path_factory):
    """Two web nodes, Varnish in front of them, a worker and their Redis, for the whole module: {"nodes", "edge",
    "worker", "broker"} (a client of the task queue's Redis database)."""
    varnishd, redis_server = tools.varnishd(), tools.redis_server()
    tmp = tmp_path_factory.mktemp("nodes")
    # A Redis of the module's own: the nodes' cache and rate limits (0), the queue the worker empties (1).
    shared = RedisServer(redis_server, tmp / "redis").start()
    ports = [free_port(), free_port()]
    edge = Varnish(varnishd, tmp / "varnish", ports)
    edge.directory.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "COMMENTS_", "NEWSROOM_", "GUNICORN_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="newsroom.settings",
        DJANGO_ENV_FILE=os.devnull,
        DJANGO_DEBUG="false",
        # The test process signs the readers' sessions: the nodes must check them with the same key.
        DJANGO_SECRET_KEY=settings.SECRET_KEY,
        DJANGO_ALLOWED_HOSTS="news.example.com,127.0.0.1",
        # Plain http on loopback (nginx, which terminates TLS in production, is not in this picture).
        DJANGO_SECURE_SSL_REDIRECT="false",
        DATABASE_URL=database_url(connection.settings_dict),
        CACHE_URL=shared.url(0),
        TASKS_URL=shared.url(1),
        TASKS_RETRY_DELAYS="1,2",
        EDGE_PURGE_URLS=f"{edge.url}/",
        EMAIL_URL="dummymail://",
        DJANGO_STATIC_ROOT=str(tmp / "static"),
        DJANGO_MEDIA_ROOT=str(tmp / "media"),
        COMMENTS_RATE_PER_MINUTE=str(RATE_PER_MINUTE),
        COMMENTS_PREMODERATE_FIRST="0",
        GUNICORN_WORKERS="1",
        DJANGO_LOG_LEVEL="WARNING",
    )
    nodes = [WebNode(env, tmp / f"web{n}.log", port=port) for n, port in enumerate(ports, start=1)]
    started = []
    try:
        collect = [sys.executable, "manage.py", "collectstatic", "--noinput"]
        subprocess.run(collect, cwd=ROOT, env=env, check=True, capture_output=True)
        for node in nodes:
            started.append(node.start())
        edge.start()
        worker = Worker({**env, "DJANGO_LOG_LEVEL": "INFO"}, tmp / "worker.log").start()
    except BaseException:
        for node in started:
            node.kill()
        if edge.process is not None:
            edge.stop()
        shared.stop()
        raise
    broker = redis.Redis.from_url(shared.url(1))
    yield {"nodes": nodes, "edge": edge, "worker": worker, "broker": broker}
    broker.close()
    worker.stop()
    edge.stop()
    for node in nodes:
        node.stop()
    shared.stop()


@pytest.fixture
def stack(site):
    """The module's stack with both nodes up and healthy at the edge, and nothing kept from an earlier test."""
    for node in site["nodes"]:
        if node.process.poll() is not None:  # killed by an earlier test
            node.start()
    edge = site["edge"]
    wait_for(
        lambda: set(edge.backend_health().values()) == {"healthy"}, timeout=15, what="the probes seeing both nodes"
    )
    edge.forget_all()
    return site


def request(port, path, *, method="GET", cookies=None, form=None, timeout=10) -> tuple[int, dict, str]:
    """One request to a node or the edge, no redirect followed: (status, headers, text)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {}
        if cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.headers, response.read().decode()
    finally:
        connection.close()


def signed_in(reader) -> dict[str, str]:
    """The cookies of a signed-in browser of `reader`: a session in the shared database, and a CSRF secret."""
    browser = Client()
    browser.force_login(reader)
    return {settings.SESSION_COOKIE_NAME: browser.cookies[settings.SESSION_COOKIE_NAME].value, "csrftoken": CSRF}


def post_comment(port, article, cookies, body, *, parent=None, timeout=10) -> tuple[int, dict, str]:
    form = {"csrfmiddlewaretoken": CSRF, "body": body, "token": secrets.token_urlsafe(16)}
    if parent:
        form["parent"] = parent
    return request(
        port, f"/comments/story/{article.pk}/post/", method="POST", cookies=cookies, form=form, timeout=timeout
    )


def stored_bodies(article) -> Counter:
    return Counter(Comment.objects.filter(article=article).values_list("body", flat=True))


def test_the_rate_limit_counts_posts_to_both_nodes_together(stack):
    article, reader = ArticleFactory(), UserFactory()
    cookies = signed_in(reader)
    nodes = stack["nodes"]
    if time.time() % 60 > 55:  # the limit counts in clock minutes: these posts take well under 5 s
        time.sleep(61 - time.time() % 60)
    answers = []
    for n in range(RATE_PER_MINUTE + 1):
        node = nodes[n % 2]
        answers.append(post_comment(node.port, article, cookies, f"Post {n} of the reader, to node {n % 2 + 1}"))
    assert [status for status, _headers, _text in answers] == [302] * RATE_PER_MINUTE + [429]
    _status, headers, text = answers[-1]
    assert f"You have sent {RATE_PER_MINUTE} comments in the last minute" in text
    assert f"Post {RATE_PER_MINUTE} of the reader, to node {RATE_PER_MINUTE % 2 + 1}</textarea>" in text
    assert int(headers["Retry-After"]) > 0
    assert sum(stored_bodies(article).values()) == RATE_PER_MINUTE


@needs_postgresql
def test_concurrent_replies_through_both_nodes_keep_the_tree_sound(stack):
    article = ArticleFactory()
    roots = [CommentFactory(article=article) for _ in range(3)]
    posters, posts_each = 8, RATE_PER_MINUTE
    readers = [signed_in(UserFactory()) for _ in range(posters)]
    answers: dict[str, int] = {}
    lock, start = threading.Lock(), threading.Barrier(posters)

    def post_many(n, cookies):
        rng = random.Random(n)
        parents = [root.pk for root in roots]
        start.wait()
        for k in range(posts_each):
            body = f"Reply {k} of poster {n}"
            status, headers, _text = post_comment(stack["nodes"][(n + k) % 2].port, article, cookies, body,
                                                  parent=rng.choice(parents))  # fmt: skip
            with lock:
                answers[body] = status
            if status == 302:  # the next reply may answer this one: deeper trees
                parents.append(int(re.search(r"#comment-(\d+)$", headers["Location"]).group(1)))

    threads = [threading.Thread(target=post_many, args=(n, cookies)) for n, cookies in enumerate(readers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert Counter(answers.values()) == {302: posters * posts_each}
    stored = stored_bodies(article)
    assert {body: stored[body] for body in answers} == dict.fromkeys(answers, 1)
    assert sum(stored.values()) == len(roots) + len(answers)
    assert_trees_sound()


@needs_postgresql
def test_a_node_killed_mid_load_loses_no_accepted_comment_and_readers_keep_getting_pages(stack, record_property):
    edge, (doomed, _survivor) = stack["edge"], stack["nodes"]
    article = ArticleFactory()
    roots = [CommentFactory(article=article) for _ in range(5)]
    pages = [article.get_absolute_url(), "/"]
    for page in pages:  # kept at the edge, as on a busy site
        assert request(edge.port, page)[0] == 200
    posters, readers_count, pause = 6, 4, 0.2
    per_reader = RATE_PER_MINUTE
    cookies = [[signed_in(UserFactory()) for _ in range(12)] for _ in range(posters)]
    outcomes: dict[str, str] = {}  # body -> "accepted", "refused <status>" or "failed <error>"
    reads: Counter = Counter()
    signed_in_reads: Counter = Counter()
    reader_cookies = signed_in(UserFactory())
    lock, stop = threading.Lock(), threading.Event()

    def post_many(n):
        rng = random.Random(n)
        for k in range(len(cookies[n]) * per_reader):
            if stop.is_set():
                return
            body = f"Load post {k} of poster {n}"
            parent = None if rng.random() < 1 / 3 else rng.choice(roots).pk
            try:
                status, _headers, _text = post_comment(edge.port, article, cookies[n][k // per_reader], body,
                                                       parent=parent, timeout=40)  # fmt: skip
                outcome = "accepted" if status == 302 else f"refused {status}"
            except OSError as error:
                outcome = f"failed {type(error).__name__}"
            with lock:
                outcomes[body] = outcome
            time.sleep(pause)

    def read_many(n):
        while not stop.is_set():
            try:
                status, headers, _text = request(edge.port, pages[n % 2])
                kind = f"{status} {headers['X-Cache']}"
            except OSError as error:
                kind = f"failed {type(error).__name__}"
            with lock:
                reads[kind] += 1

    def read_signed_in():
        """A signed-in reader's pages pass the edge to a node: one the killed node did not answer goes to the other."""
        while not stop.is_set():
            try:
                status = request(edge.port, pages[0], cookies=reader_cookies)[0]
            except OSError as error:
                status = f"failed {type(error).__name__}"
            with lock:
                signed_in_reads[str(status)] += 1
            time.sleep(0.05)

    threads = [threading.Thread(target=post_many, args=(n,)) for n in range(posters)]
    threads += [threading.Thread(target=read_many, args=(n,)) for n in range(readers_count)]
    threads.append(threading.Thread(target=read_signed_in))
    for thread in threads:
        thread.start()
    time.sleep(2)
    with lock:
        before_kill = len(outcomes)
    doomed.kill()  # SIGKILL to the node's whole process group: its requests in flight die with it
    killed_at = time.monotonic()
    wait_for(lambda: edge.backend_health()["web1"] == "sick", timeout=10, what="the probe taking the node out")
    taken_out = time.monotonic() - killed_at
    time.sleep(4)  # the survivor alone
    stop.set()
    for thread in threads:
        thread.join()

    stored = stored_bodies(article)
    by_outcome = Counter(outcome.split()[0] for outcome in outcomes.values())
    accepted = [body for body, outcome in outcomes.items() if outcome == "accepted"]
    unanswered = [body for body, outcome in outcomes.items() if outcome != "accepted"]
    figures = {
        "posts": len(outcomes),
        "posts before the kill": before_kill,
        **by_outcome,
        "errors stored": sum(stored[body] for body in unanswered),
        "errors not stored": sum(1 for body in unanswered if not stored[body]),
        "error kinds": dict(Counter(outcomes[body] for body in unanswered)),
        "node taken out after s": round(taken_out, 1),
        "reads": dict(reads),
        "signed-in reads": dict(signed_in_reads),
    }
    record_property("figures", figures)
    assert before_kill > 0 and by_outcome["accepted"] > before_kill, figures  # posts on both sides of the kill
    # Every accepted post is stored exactly once; one answered with an error is stored once or not at all; nothing
    # else is stored.
    assert {body: stored[body] for body in accepted} == dict.fromkeys(accepted, 1)
    assert all(stored[body] <= 1 for body in unanswered)
    assert sum(stored.values()) == len(roots) + len(accepted) + figures["errors stored"]
    assert_trees_sound()
    # Signed-out readers got a page every time: from the survivor, or the copy the edge kept.
    assert {kind.split()[0] for kind in reads} == {"200"}, figures
    assert set(signed_in_reads) == {"200"}, figures


def test_a_comment_reaches_signed_out_readers_through_the_workers_purge_within_a_second(stack, record_property):
    edge, broker = stack["edge"], stack["broker"]
    article, reader = ArticleFactory(), UserFactory()
    url = article.get_absolute_url()
    request(edge.port, url)
    assert request(edge.port, url)[1]["X-Cache"] == "HIT"
    text = "The worker purged the edge for this one"
    cookies = signed_in(reader)
    posted = time.time()
    status, _headers, _text = post_comment(edge.port, article, cookies, text)
    assert status == 302
    wait_for(lambda: text in request(edge.port, url)[2], timeout=10, interval=0.02, what="the comment at the edge")
    seen = time.time()
    purged = purge_finished(broker, article.surrogate_key)
    delays = {"since the post was sent s": round(seen - posted, 3), "after the purge s": round(seen - purged, 3)}
    record_property("figures", delays)
    assert posted <= purged <= seen + 0.1, delays
    assert seen - purged < 1, delays


def purge_finished(broker, key: str) -> float:
    """When the worker finished the purge of `key` (RQ's record of the job), as a Unix time."""
    from rq import Queue
    from rq.registry import FinishedJobRegistry

    queue = Queue("default", connection=broker)
    ended = [
        job.ended_at.timestamp()
        for job in map(queue.fetch_job, FinishedJobRegistry(queue=queue).get_job_ids())
        if job is not None
        and "purge_keys" in job.func_name + repr(job.args)
        and re.search(rf"\b{key}\b", repr(job.args))
    ]
    assert ended, f"no finished purge of {key} in the queue"
    return max(ended)
