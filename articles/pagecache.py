"""The story page as most readers get it, signed out and without a session yet, kept whole in the cache.

The key carries the story's comment_version (bumped by every comment write) and modified_at (every editor's save),
so a change shows at once; entries also expire with the discussion cache (COMMENTS_CACHE_SECONDS, 0 turns both
off). The page holds one per-reader value, the CSRF token of its Read later form: it is cached as a placeholder and
each response gets the reader's own token. Readers with a session (signed in, or with a message or a pending
save) and addresses with unknown query parameters are served the page rendered for them.
"""

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.middleware.csrf import get_token

from articles.models import Article

__all__ = ["CSRF_PLACEHOLDER", "shared", "key", "get", "store"]

# Stands in for the CSRF token while the page is rendered for everyone (letters only, as a token is).
CSRF_PLACEHOLDER = "SharedPageCsrfTokenPlaceholderSharedPageCsrfTokenPlaceholder"
_PARAMETERS = {"sort", "page"}
_MESSAGES_COOKIE = "messages"


def shared(request) -> bool:
    """Whether this request gets the page everyone gets."""
    return (
        settings.COMMENTS_CACHE_SECONDS > 0
        and request.method in ("GET", "HEAD")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and _MESSAGES_COOKIE not in request.COOKIES
        and set(request.GET) <= _PARAMETERS
    )


def key(request, article: Article) -> str:
    edited = int(article.modified_at.timestamp()) if article.modified_at else 0
    address = f"{request.scheme}://{request.get_host()}{request.get_full_path()}"
    digest = hashlib.sha256(address.encode()).hexdigest()[:32]
    return f"storypage:{article.pk}:{article.comment_version}:{edited}:{digest}"


def _respond(request, html: str) -> HttpResponse:
    return HttpResponse(html.replace(CSRF_PLACEHOLDER, get_token(request)))


def get(request, article: Article) -> HttpResponse | None:
    html = cache.get(key(request, article))
    return None if html is None else _respond(request, html)


def store(request, article: Article, response: HttpResponse) -> HttpResponse:
    """Keep a page rendered with the placeholder; answer this reader with their token in it."""
    html = response.content.decode()
    cache.set(key(request, article), html, settings.COMMENTS_CACHE_SECONDS)
    return _respond(request, html)
