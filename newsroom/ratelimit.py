"""Fixed-window rate limits counted in the shared cache (Redis in production), so every worker sees one count."""

import hashlib
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

__all__ = ["Limit", "hit", "peek", "reset", "client_ip"]


@dataclass(frozen=True)
class Limit:
    allowed: bool
    retry_after: int  # seconds until the window turns over

    @property
    def retry_after_minutes(self) -> int:
        return max(1, -(-self.retry_after // 60))


def _key(scope: str, key: str, window: int) -> tuple[str, int]:
    now = time.time()
    bucket = int(now // window)
    digest = hashlib.sha256(key.lower().encode()).hexdigest()[:32]  # no handles or addresses in cache keys
    return f"ratelimit:{scope}:{digest}:{bucket}", window - int(now % window)


def hit(scope: str, key: str, *, limit: int, window: int) -> Limit:
    """Count one event for `key` and say whether it is still within `limit` events per `window` seconds."""
    cache_key, retry_after = _key(scope, key, window)
    cache.add(cache_key, 0, timeout=window)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=window)
        count = 1
    return Limit(allowed=count <= limit, retry_after=retry_after)


def peek(scope: str, key: str, *, limit: int, window: int) -> Limit:
    """Whether one more event would be allowed, without counting one."""
    cache_key, retry_after = _key(scope, key, window)
    return Limit(allowed=(cache.get(cache_key) or 0) < limit, retry_after=retry_after)


def reset(scope: str, key: str, *, window: int) -> None:
    cache.delete(_key(scope, key, window)[0])


def client_ip(request) -> str:
    # REMOTE_ADDR is the proxy's address behind a reverse proxy; settings.NEWSROOM_PROXY_COUNT says how many to trust.
    hops = getattr(settings, "NEWSROOM_PROXY_COUNT", 0)
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if hops and len(forwarded) >= hops:
        return forwarded[-hops]
    return request.META.get("REMOTE_ADDR", "")
