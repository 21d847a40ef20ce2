"""Site-wide middleware."""

import re

from csp.constants import NONCE, SELF, UNSAFE_INLINE
from csp.middleware import CSPMiddleware, PolicyParts
from django.core.exceptions import BadRequest
from django.http.multipartparser import MultiPartParserError
from django.middleware.http import ConditionalGetMiddleware
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _

__all__ = [
    "ApiConditionalGetMiddleware",
    "ContentSecurityPolicyMiddleware",
    "private_when_setting_cookies",
    "refuse_control_characters",
    "refuse_cut_short_multipart",
]

# NUL and the other C0 control characters (tab, newline and carriage return aside) mean nothing in an address, and
# PostgreSQL refuses NUL in any text parameter: such a request ends here as a 400 instead of a database error.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def refuse_control_characters(get_response):
    """Refuse a request whose path or query string holds a control character, before any view or query sees it."""

    def middleware(request):
        query = request.GET
        if CONTROL_CHARACTERS.search(request.path) or any(
            CONTROL_CHARACTERS.search(text) for key in query for text in (key, *query.getlist(key))
        ):
            raise BadRequest(_("The address holds a character that is not allowed there (NUL or a control character)."))
        return get_response(request)

    return middleware


def private_when_setting_cookies(get_response):
    """A response that sets a cookie is one reader's: never one a shared cache may keep and hand to others, whatever
    the view said (newsroom.http.shared_by_signed_out_readers). Outside the session, CSRF and messages middleware,
    which set their cookies on the way out. As Django's own cache middleware, which never stores such a page."""

    def middleware(request):
        response = get_response(request)
        if response.cookies and "public" in response.get("Cache-Control", ""):
            response.headers.pop("Cache-Control", None)
            response.headers.pop("Surrogate-Key", None)
            patch_cache_control(response, private=True)
        return response

    return middleware


class CutShortBody(MultiPartParserError, BadRequest):
    """A multipart body that ends before its closing boundary. A MultiPartParserError, so the request marks its POST
    unreadable and Django answers 400 through handler400; a BadRequest, so that page says why."""


class _ClosingBoundaryCheck:
    """The request's body stream, read through: when it ends, it must have held the closing delimiter `--boundary--`.
    Django's MultiPartParser takes whatever it got as the last field, so a client or proxy that stopped sending
    mid-form stored a comment or an account cut short."""

    def __init__(self, stream, boundary: bytes):
        self._stream = stream
        self._delimiter = b"--" + boundary + b"--"
        self._tail = b""  # the last bytes read, so a delimiter split between two reads is still found
        self._closed = False

    def _seen(self, data: bytes, *, at_end: bool) -> bytes:
        if not self._closed:
            window = self._tail + data
            self._closed = self._delimiter in window
            self._tail = window[1 - len(self._delimiter) :]
        if at_end and not self._closed:
            raise CutShortBody(_("The form arrived cut short, before its end, so nothing was saved."))
        return data

    def read(self, size=-1) -> bytes:
        data = self._stream.read(size)
        return self._seen(data, at_end=size is None or size < 0 or (size > 0 and not data))

    def readline(self, size=-1) -> bytes:
        data = self._stream.readline(size)
        return self._seen(data, at_end=size != 0 and not data)


def refuse_cut_short_multipart(get_response):
    """A multipart/form-data POST whose body lacks its closing boundary is a 400 that stores nothing: the check sits
    on the body stream, so it holds whoever reads the form first (the CSRF check, a view, request.body)."""

    def middleware(request):
        boundary = request.content_params.get("boundary") if request.content_type == "multipart/form-data" else None
        if request.method == "POST" and boundary:
            # HttpRequest reads its body only through _stream (read, readline, body, POST): the one place to watch.
            request._stream = _ClosingBoundaryCheck(request._stream, boundary.encode("ascii", "replace"))
        return get_response(request)

    return middleware


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's policy, with inline styles allowed in the admin only (its widgets set style attributes), and
    there the scripts that carry the response's nonce (the story editor's import map, articles.admin)."""

    def get_policy_parts(self, request, response, report_only=False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if request.path_info.startswith(reverse("admin:index")):
            parts.update = {**(parts.update or {}), "style-src": [SELF, UNSAFE_INLINE], "script-src": [SELF, NONCE]}
        return parts


class ApiConditionalGetMiddleware(ConditionalGetMiddleware):
    """Django's ETags and 304 answers to If-None-Match, for the API's answers only (/api/): a client or the edge
    revalidates a list or a story without fetching it again. The site's pages are kept by the edge for a minute and
    mostly signed out; hashing every page (a discussion is a megabyte) for them is not worth it yet."""

    def process_response(self, request, response):
        if not request.path_info.startswith("/api/"):
            return response
        return super().process_response(request, response)
