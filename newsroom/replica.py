"""Read replicas: a web request that only reads reads a streaming replica; everything else reads the primary.

The middleware `route_reads` marks a request replica-safe (GET or HEAD, not the admin, a reader not pinned) and the
router `ReplicaRouter` sends that request's reads to the "replica" database, except inside a transaction. Any
other read (a POST, the admin, a task on the worker, a management command, a migration, the shell) and every write
goes to "default", the primary. A reader whose request wrote (an unsafe method answered with success, or any write
on the primary) gets a small signed cookie that pins their reads to the primary for DATABASE_REPLICA_PIN_SECONDS,
so they see their own comment and edit while the replica catches up. docs/deployment.md, "Read replicas".
"""

import contextvars
import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

__all__ = [
    "REPLICA",
    "PIN_COOKIE",
    "ReplicaRouter",
    "route_reads",
    "replica_answers",
    "replica_status",
    "replica_caught_up",
]

logger = logging.getLogger(__name__)

REPLICA = "replica"
PIN_COOKIE = "replica_pin"
SAFE_METHODS = ("GET", "HEAD")
# After the replica failed to answer, this process reads the primary for this long before it tries again, so an
# outage costs one failed connection per thread every few seconds, not one per request.
RETRY_AFTER_SECONDS = 5


@dataclass
class _Request:
    on_replica: bool  # replica-safe, until it writes or the replica turns out not to answer
    wrote: bool = False
    checked: bool = False  # whether the replica was found to answer, at this request's first read


# The request this thread (or task) is serving; None outside a web request: the worker, commands, the shell.
_current: contextvars.ContextVar[_Request | None] = contextvars.ContextVar("replica_request", default=None)
_down_until = 0.0


class ReplicaRouter:
    """Reads of a replica-safe request go to the replica, unless in an atomic block on the primary (what a
    transaction reads must be what it writes against). Sessions always read the primary: a stale session would
    resurrect a reader who just signed out, or sign out one who just signed in. select_for_update is a write to
    Django (QuerySet.db asks db_for_write), so it locks rows on the primary."""

    def db_for_read(self, model, **hints):
        request = _current.get()
        if (
            request is None
            or not request.on_replica
            or model._meta.app_label == "sessions"
            or connections[DEFAULT_DB_ALIAS].in_atomic_block
        ):
            return DEFAULT_DB_ALIAS
        if not request.checked:  # a request that reads nothing (/healthz) never connects to the replica
            request.checked, request.on_replica = True, replica_answers()
        return REPLICA if request.on_replica else DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica holds the primary's rows: one database

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS


def route_reads(get_response):
    """Mark the request replica-safe or not for ReplicaRouter, and pin its reader to the primary once it wrote.
    Inside private_when_setting_cookies: a response that pins is one reader's. The cookie is only ever set on a
    request that wrote, never on a signed-out page that the edge keeps."""

    def middleware(request):
        if REPLICA not in settings.DATABASES:
            return get_response(request)
        safe = request.method in SAFE_METHODS and not request.path.startswith("/admin/")
        state = _Request(on_replica=safe and not _pinned(request))
        token = _current.set(state)
        try:
            with connections[DEFAULT_DB_ALIAS].execute_wrapper(_watch_writes(state)):
                response = get_response(request)
        finally:
            _current.reset(token)
        if state.wrote or (request.method not in SAFE_METHODS and response.status_code < 400):
            response.set_signed_cookie(
                PIN_COOKIE,
                "primary",
                salt=PIN_COOKIE,
                max_age=settings.DATABASE_REPLICA_PIN_SECONDS,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response

    return middleware


WRITES = ("INSERT", "UPDATE", "DELETE", "MERGE")


def _watch_writes(state: _Request):
    """A wrapper of the primary's queries that notes a write. Not db_for_write, which Django also asks on reads (to
    place an unsaved object, as `Discussion(article=article)` is): a signed-out page would set the pin cookie."""

    def watch(execute, sql, params, many, context):
        if not state.wrote and sql.lstrip().upper().startswith(WRITES):
            # From here on this request reads what it wrote, and its reader is pinned for the next ones.
            state.wrote, state.on_replica = True, False
        return execute(sql, params, many, context)

    return watch


def _pinned(request) -> bool:
    """A valid pin cookie no older than the pin (its signature carries the time it was set)."""
    try:
        request.get_signed_cookie(PIN_COOKIE, salt=PIN_COOKIE, max_age=settings.DATABASE_REPLICA_PIN_SECONDS)
    except (KeyError, signing.BadSignature):
        return False
    return True


def replica_answers() -> bool:
    """Whether this process may read the replica: it answers (a connection of this thread, opened or health-checked
    here, as Django does once per request). When it does not, reads go to the primary for RETRY_AFTER_SECONDS: the
    site stays up on the primary alone, and /readyz says the replica is unreachable."""
    global _down_until
    if REPLICA not in settings.DATABASES or time.monotonic() < _down_until:
        return False
    try:
        connections[REPLICA].cursor().close()
    except DatabaseError:
        _down_until = time.monotonic() + RETRY_AFTER_SECONDS
        logger.warning("The read replica does not answer: reading the primary", exc_info=True)
        return False
    return True


# How far replay is behind what the replica received, in seconds; 0 when it replayed everything it received (an idle
# primary sends nothing, and the time since its last transaction is no lag). NULL on a server that is no standby.
LAG_SQL = """
    SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
                ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp()) END
"""


def replica_status() -> str | None:
    """For /readyz: "ok", "lagging" (replay further behind than the pin lasts: a reader who wrote may stop seeing
    it), "unreachable", or None when there is no replica."""
    if REPLICA not in settings.DATABASES:
        return None
    try:
        with connections[REPLICA].cursor() as cursor:
            if connections[REPLICA].vendor != "postgresql":
                return "ok"
            cursor.execute(LAG_SQL)
            [lag] = cursor.fetchone()
    except DatabaseError:
        logger.warning("Readiness check failed: the read replica", exc_info=True)
        return "unreachable"
    return "lagging" if float(lag or 0) > settings.DATABASE_REPLICA_PIN_SECONDS else "ok"


def replica_caught_up(*, timeout: float) -> bool:
    """Whether the replica has replayed all that the primary had written when asked, waiting up to `timeout`
    seconds. The edge's purges wait for it (newsroom.edge.purge_keys): the page the edge fetches again after a purge
    is read from the replica, which must hold the write by then. True without a replica, or when it does not answer
    (the web nodes then read the primary)."""
    if REPLICA not in settings.DATABASES or connections[REPLICA].vendor != "postgresql":
        return True
    deadline = time.monotonic() + timeout
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_lsn()")
            [written] = cursor.fetchone()
        with connections[REPLICA].cursor() as cursor:
            while True:
                # NULL on a server that is no standby: nothing to wait for.
                cursor.execute("SELECT coalesce(pg_last_wal_replay_lsn() >= %s::pg_lsn, true)", [written])
                if cursor.fetchone()[0]:
                    return True
                if time.monotonic() >= deadline:
                    return False
                time.sleep(0.02)
    except DatabaseError:
        logger.warning("Could not compare the replica with the primary", exc_info=True)
        return True
