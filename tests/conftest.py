import os
import socket
import threading

import pytest
from django.core.cache import cache

from newsroom import ratelimit
from tests import tools
from tests.servers import (
    WORKER_COMMAND,
    PgBouncer,
    SeaweedFS,
    SmtpServer,
    Worker,
    database_url,
    transaction_pooling_settings,
)
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


# ------------------------------------------------------------------------------
# Real servers for the queue, mail and object-storage tests (tests/servers.py)
# ------------------------------------------------------------------------------
# The Redis databases this project's tests may use, one per pytest-xdist worker.
QUEUE_REDIS_DBS = (5, 6, 7)


@pytest.fixture
def smtp_server():
    """A real SMTP server (aiosmtpd) on loopback, which the test may stop, slow down and start again."""
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def seaweedfs(tmp_path_factory):
    """SeaweedFS's S3 gateway on loopback, with an empty bucket, for the whole run of this pytest worker."""
    server = SeaweedFS(tmp_path_factory.mktemp("seaweedfs")).start()
    yield server
    server.stop()


@pytest.fixture
def broker(settings):
    """The real Redis as the task broker, on this pytest worker's own database (emptied before and after); the
    settings send tasks to RQ with short retry delays. Yields the broker's URL."""
    import redis

    worker_id = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    db = QUEUE_REDIS_DBS[int(worker_id.removeprefix("gw") or 0) % len(QUEUE_REDIS_DBS)]
    url = f"redis://127.0.0.1:6379/{db}"
    connection = redis.Redis.from_url(url)
    try:
        connection.flushdb()
    except redis.ConnectionError:
        pytest.fail("Redis at 127.0.0.1:6379 is needed for the queue tests (the machine starts it)")
    settings.TASKS_URL = url
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    settings.RQ_QUEUES = {"default": {**settings.RQ_QUEUES["default"], "URL": url}}
    settings.TASKS_RETRY_DELAYS = [1, 2]
    settings.NOTIFICATIONS_EMAIL_WINDOW = 1
    yield url
    connection.flushdb()
    connection.close()


@pytest.fixture
def start_worker(broker, settings, media_root, tmp_path):
    """Start real RQ workers (`manage.py rqworker`) on the broker, the test database and this test's media; each
    is stopped at the end. Call with the SMTP server the worker should send through, and extra variables; with
    `command=CRON_COMMAND` it starts the cron scheduler instead, with the same settings."""
    from django.db import connection

    started = []

    def start(smtp: SmtpServer | None = None, command: list[str] = WORKER_COMMAND, **extra) -> Worker:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "COMMENTS_", "NEWSROOM_"))}
        env.update(
            DJANGO_SETTINGS_MODULE="newsroom.settings",
            DJANGO_ENV_FILE=os.devnull,
            DJANGO_DEBUG="true",
            DATABASE_URL=database_url(connection.settings_dict),
            DJANGO_DB_CONN_MAX_AGE="0",
            CACHE_URL="locmemcache://",
            TASKS_URL=broker,
            TASKS_RETRY_DELAYS=",".join(map(str, settings.TASKS_RETRY_DELAYS)),
            NOTIFICATIONS_EMAIL_WINDOW=str(settings.NOTIFICATIONS_EMAIL_WINDOW),
            EMAIL_URL=smtp.email_url if smtp else "dummymail://",
            DJANGO_EMAIL_TIMEOUT="2",
            DJANGO_MEDIA_ROOT=str(media_root),
            NEWSROOM_BASE_URL=settings.NEWSROOM_BASE_URL,
            DJANGO_LOG_LEVEL="INFO",
        )
        env.update(extra)
        worker = Worker(env, tmp_path / f"worker-{len(started)}.log", command).start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


# ------------------------------------------------------------------------------
# PgBouncer in transaction mode between the test's connections and PostgreSQL (tests/servers.py)
# ------------------------------------------------------------------------------
@pytest.fixture
def through_pgbouncer(tmp_path):
    """Call with a pool size: starts a PgBouncer in front of the test database's server and sends every connection
    opened from then on (in this thread and others) through it, with the transaction pooling settings. Everything
    is put back, and PgBouncer stopped, at the end of the test. Needs django_db(transaction=True)."""
    from django.db import connections

    tools.pgbouncer()
    pooled = transaction_pooling_settings()
    # Every thread's connection is made from this one dict (django.db.connections.settings).
    database = connections.settings["default"]
    saved = {key: database.get(key) for key in ("HOST", "PORT", "DISABLE_SERVER_SIDE_CURSORS", "OPTIONS")}
    started = []

    def start(pool_size: int) -> PgBouncer:
        bouncer = PgBouncer(
            tmp_path / f"pgbouncer-{len(started)}",
            server_host=saved["HOST"] or "127.0.0.1",
            server_port=int(saved["PORT"] or 5432),
            pool_size=pool_size,
        ).start()
        started.append(bouncer)
        connections.close_all()
        database.update(HOST="127.0.0.1", PORT=bouncer.port, **pooled)
        return bouncer

    yield start
    connections.close_all()
    database.update(saved)
    for bouncer in started:
        bouncer.stop()
