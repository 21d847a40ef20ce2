"""The edge cache (Varnish, deploy/varnish/default.vcl): retiring the pages it keeps by their surrogate keys.

A write that changes what signed-out readers see calls `purge_on_commit` with the keys of the pages it touched
(the `Surrogate-Key` header of newsroom.http.shared_by_signed_out_readers); once the transaction commits, the task
queue sends each edge in EDGE_PURGE_URLS a PURGE naming them, which vmod xkey turns into a soft purge. A purge that
fails is retried by the queue (TASKS_RETRY_DELAYS) and never fails the write: meanwhile the edge serves the page
for no longer than HTTP_SHARED_MAX_AGE.
"""

import urllib.request

from django.conf import settings
from django.core.cache import caches
from django_tasks import task

from newsroom.replica import replica_caught_up
from newsroom.tasks import enqueue_on_commit

__all__ = ["EdgePurgeFailed", "purge_on_commit", "purge_keys"]

# A purge is one small request to a cache on the local network: an edge that takes longer is down for this try.
PURGE_TIMEOUT = 2
# How long a purge waits for the read replica to replay the write (milliseconds, as a rule) before it goes anyway.
REPLAY_WAIT = 1
# How long a queued purge's pending mark lasts, should its task never start (a lost job): then writes queue again.
PENDING_SECONDS = 10


class EdgePurgeFailed(Exception):
    """An edge did not confirm the purge; the queue runs the task again."""


def purge_on_commit(*keys: str) -> None:
    """Purge the pages tagged with any of `keys` from every edge once the current transaction commits. Nothing is
    sent where there is no edge (EDGE_PURGE_URLS empty, as in development).

    A burst of writes to one story (breaking news: several comments a second) queues one purge, not one each: a
    purge of the same keys that is queued and not yet started covers every write committed before it starts, so a
    write that finds one pending queues none (a mark in the shared cache, which the task clears as it starts)."""
    if settings.EDGE_PURGE_URLS and keys:
        keys = sorted(set(keys))
        enqueue_on_commit(purge_keys, keys, unless=lambda: _already_pending(keys))


def _pending_mark(keys: list[str]) -> str:
    return "edge-purge-pending:" + " ".join(keys)


def _already_pending(keys: list[str]) -> bool:
    """Mark a purge of `keys` pending; whether one was already. A cache that cannot tell (down: None) queues one."""
    return caches["default"].add(_pending_mark(keys), True, timeout=PENDING_SECONDS) is False


@task()
def purge_keys(keys: list[str]) -> None:
    """Send every edge a PURGE with the keys in its `xkey-purge` header; raise if any edge did not answer 200, so
    that the queue retries (a second purge of the same keys does no harm). With a read replica, first wait for it to
    replay the write, as the edge refetches the page from it; if it lags further, purge all the same and retry."""
    caches["default"].delete(_pending_mark(keys))  # from now on, a write needs a purge of its own
    caught_up = replica_caught_up(timeout=REPLAY_WAIT)
    failed = []
    for url in settings.EDGE_PURGE_URLS:
        request = urllib.request.Request(url, method="PURGE", headers={"xkey-purge": " ".join(keys)})
        try:
            with urllib.request.urlopen(request, timeout=PURGE_TIMEOUT):
                pass
        except OSError as error:  # refused, timed out, or an answer other than 2xx (HTTPError)
            failed.append(f"{url}: {error}")
    if not caught_up:
        failed.append(f"the read replica had not replayed the write within {REPLAY_WAIT} s: the edge may keep the page")
    if failed:
        raise EdgePurgeFailed(f"Purge of {' '.join(keys)} failed at {'; '.join(failed)}")
