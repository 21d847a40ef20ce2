"""Fixed-window rate limits counted in the shared cache (Redis in production), so every worker sees one count.

When the cache cannot count (Redis is down), a limit fails closed: `hit` and `peek` answer "not allowed" with
`unavailable` set, and the views refuse the write with a 503 that keeps the reader's text. The site's pages never
count; the API counts every request per client (newsroom.api.ClientThrottle), and lets it through when it cannot.
"""

import hashlib
import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches

__all__ = ["Limit", "hit", "peek", "reset", "client_ip"]


logger = logging.getLogger(__name__)

# The clock windows are cut from (the tests pin it, so that no test straddles the turn of a window).
clock = time.time

# How long to tell a reader to wait when the cache is down.
UNAVAILABLE_RETRY_AFTER = 30


@dataclass(frozen=True)
class Limit:
    allowed: bool
    retry_after: int  # seconds until the window turns over
    unavailable: bool = False  # the cache could not count: refused, but not for anything the reader did

    @property
    def retry_after_minutes(self) -> int:
        return max(1, -(-self.retry_after // 60))

    @property
    def status(self) -> int:
        """The HTTP status of a refusal: 429 for too many, 503 when nothing could be counted."""
        return 503 if self.unavailable else 429


def _key(scope: str, key: str, window: int) -> tuple[str, int]:
    now = clock()
    bucket = int(now // window)
    digest = hashlib.sha256(key.lower().encode()).hexdigest()[:32]  # no handles or addresses in cache keys
    return f"ratelimit:{scope}:{digest}:{bucket}", window - int(now % window)


def _unavailable(error: Exception) -> Limit:
    logger.error("Rate limits cannot count (the cache is unreachable): %s", error)
    return Limit(allowed=False, retry_after=UNAVAILABLE_RETRY_AFTER, unavailable=True)


def hit(scope: str, key: str, *, limit: int, window: int) -> Limit:
    """Count one event for `key` and say whether it is still within `limit` events per `window` seconds."""
    counter = caches["ratelimit"]
    cache_key, retry_after = _key(scope, key, window)
    try:
        counter.add(cache_key, 0, timeout=window)
        try:
            count = counter.incr(cache_key)
        except ValueError:  # expired between add and incr
            counter.set(cache_key, 1, timeout=window)
            count = 1
    except Exception as error:  # whatever the cache backend raises when its server is gone
        return _unavailable(error)
    return Limit(allowed=count <= limit, retry_after=retry_after)


def peek(scope: str, key: str, *, limit: int, window: int) -> Limit:
    """Whether one more event would be allowed, without counting one."""
    cache_key, retry_after = _key(scope, key, window)
    try:
        count = caches["ratelimit"].get(cache_key) or 0
    except Exception as error:
        return _unavailable(error)
    return Limit(allowed=count < limit, retry_after=retry_after)


def reset(scope: str, key: str, *, window: int) -> None:
    try:
        caches["ratelimit"].delete(_key(scope, key, window)[0])
    except Exception as error:
        logger.error("Could not reset a rate limit (the cache is unreachable): %s", error)


def client_ip(request) -> str:
    # REMOTE_ADDR is the proxy's address behind a reverse proxy; settings.NEWSROOM_PROXY_COUNT says how many to trust.
    hops = getattr(settings, "NEWSROOM_PROXY_COUNT", 0)
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if hops and len(forwarded) >= hops:
        return forwarded[-hops]
    return request.META.get("REMOTE_ADDR", "")
