"""The public API, version 1, under /api/v1/ (django-ninja): one NinjaAPI, one router per app that owns the data.

Every error answers with the same JSON shape, naming the field where there is one:
    {"errors": [{"field": "body", "message": "Write something before posting."}]}
Routers raise `ApiError(status, message, field=...)` for their own refusals; request validation (unknown fields,
wrong types, bad content types) reaches the same shape through the handlers below. The OpenAPI 3.1 schema is
generated from the code at /api/v1/schema/ and browsable at /api/v1/docs/ (Swagger UI served from our own static
files: "ninja" is an installed app, so nothing loads from a CDN and the page keeps the site's CSP).

Every operation is rate-limited per client (ClientThrottle, below); answers for signed-out clients are cacheable by
the edge under the pages' surrogate keys (newsroom.http.shared_by_signed_out_readers, called by each operation),
with ETags and 304s (newsroom.middleware.ApiConditionalGetMiddleware) and CORS for API_CORS_ORIGINS. docs/api.md.
"""

import threading

from django.conf import settings
from django.http import Http404, JsonResponse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError
from ninja.throttling import BaseThrottle

from newsroom import ratelimit


class ApiError(Exception):
    """A refusal with a status, a message for people and, where one is to blame, the field's name."""

    def __init__(self, status, message, *, field=None, headers=None):
        super().__init__(str(message))
        self.status = status
        self.message = message
        self.field = field
        self.headers = headers or {}  # e.g. Retry-After on a 429


class ClientThrottle(BaseThrottle):
    """API_RATE_PER_MINUTE requests a minute per client, counted by newsroom.ratelimit in the shared cache: per token
    when the operation authenticated one (request.auth), else per address. When the cache cannot count, requests go
    through (each write's own limits in the services still fail closed)."""

    def __init__(self):
        self._last = threading.local()  # wait() follows allow_request() in the same request's thread

    def allow_request(self, request) -> bool:
        auth = getattr(request, "auth", None)
        client = f"{type(auth).__name__}:{getattr(auth, 'pk', auth)}" if auth else f"ip:{ratelimit.client_ip(request)}"
        limit = ratelimit.hit("api", client, limit=settings.API_RATE_PER_MINUTE, window=60)
        self._last.retry_after = limit.retry_after
        return limit.allowed or limit.unavailable

    def wait(self) -> int:
        return self._last.retry_after


api = NinjaAPI(
    title="Newsroom API",
    version="1",
    description="Stories, sections, authors and discussions; writing for signed-in readers of first-party apps.",
    urls_namespace="api",
    openapi_url="/schema/",
    docs_url="/docs/",
    throttle=[ClientThrottle()],
)


class Error(Schema):
    field: str | None
    message: str


class Errors(Schema):
    """The one error shape, for operations to declare their refusals with (`response={..., 404: Errors}`)."""

    errors: list[Error]


# What any operation may refuse with, in the one shape: bad input (400, 422), nothing there (404), too many (429).
REFUSALS = {400: Errors, 404: Errors, 422: Errors, 429: Errors}


def error_body(*errors):
    """[(field or None, message), ...] -> the one error shape every refusal answers with."""
    return {"errors": [{"field": field, "message": str(message)} for field, message in errors]}


@api.exception_handler(ApiError)
def api_error(request, exc):
    response = api.create_response(request, error_body((exc.field, exc.message)), status=exc.status)
    for name, value in exc.headers.items():
        response[name] = value
    return response


@api.exception_handler(ValidationError)
def validation_error(request, exc):
    # pydantic's locations are ("query", "cursor") or ("body", "payload", "body"): the last part names the field.
    errors = [(".".join(str(part) for part in error["loc"][1:][-1:]) or None, error["msg"]) for error in exc.errors]
    return api.create_response(request, error_body(*errors), status=422)


@api.exception_handler(AuthenticationError)
def authentication_error(request, exc):
    response = api.create_response(request, error_body((None, _("Sign in with a valid token."))), status=401)
    response["WWW-Authenticate"] = "Bearer"
    return response


NOTHING_HERE = _("There is nothing at this address.")


@api.exception_handler(Http404)
def not_found(request, exc):
    return api.create_response(request, error_body((None, NOTHING_HERE)), status=404)


@csrf_exempt  # as ninja's own views: a POST to a wrong address is a 404, not a CSRF page
def no_such_operation(request):
    """Any other address under /api/ (newsroom.urls): the 404 in the API's shape, not the site's HTML page."""
    return JsonResponse(error_body((None, NOTHING_HERE)), status=404)


@api.exception_handler(Throttled)
def throttled(request, exc):
    # ninja adds Retry-After (seconds) from ClientThrottle.wait().
    message = _("Too many requests from this client: wait a minute and try again.")
    return api.create_response(request, error_body((None, message)), status=429)


@api.exception_handler(HttpError)
def http_error(request, exc):
    return api.create_response(request, error_body((None, exc.message)), status=exc.status_code)


def add_routers() -> None:
    """The routers of the apps that own the data, added once by NewsroomConfig.ready(): each imports ApiError and
    Errors from this module, which must be loaded first whichever module is imported first."""
    api.add_router("", "articles.api.router")
    api.add_router("", "comments.api.router")
    api.add_router("", "comments.api_write.router")
