"""The public API, version 1, under /api/v1/ (django-ninja): one NinjaAPI, one router per app that owns the data.

Every error answers with the same JSON shape, naming the field where there is one:
    {"errors": [{"field": "body", "message": "Write something before posting."}]}
Routers raise `ApiError(status, message, field=...)` for their own refusals; request validation (unknown fields,
wrong types, bad content types) reaches the same shape through the handlers below. The OpenAPI 3.1 schema is
generated from the code at /api/v1/schema/ and browsable at /api/v1/docs/.
"""

from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError


class ApiError(Exception):
    """A refusal with a status, a message for people and, where one is to blame, the field's name."""

    def __init__(self, status, message, *, field=None):
        super().__init__(str(message))
        self.status = status
        self.message = message
        self.field = field


api = NinjaAPI(
    title="Newsroom API",
    version="1",
    description="Stories, sections, authors and discussions; writing for signed-in readers of first-party apps.",
    urls_namespace="api",
    openapi_url="/schema/",
    docs_url="/docs/",
)


class ErrorItem(Schema):
    field: str | None
    message: str


class Errors(Schema):
    """The one error shape, for the schema's 4xx answers: `responses={404: Errors, ...}` on an operation."""

    errors: list[ErrorItem]


def error_body(*errors):
    """[(field or None, message), ...] -> the one error shape every refusal answers with."""
    return {"errors": [{"field": field, "message": str(message)} for field, message in errors]}


@api.exception_handler(ApiError)
def api_error(request, exc):
    return api.create_response(request, error_body((exc.field, exc.message)), status=exc.status)


@api.exception_handler(ValidationError)
def validation_error(request, exc):
    # pydantic's locations are ("query", "cursor") or ("body", "payload", "body"): the last part names the field.
    errors = [(".".join(str(part) for part in error["loc"][1:][-1:]) or None, error["msg"]) for error in exc.errors]
    return api.create_response(request, error_body(*errors), status=422)


@api.exception_handler(AuthenticationError)
def authentication_error(request, exc):
    return api.create_response(request, error_body((None, _("Sign in with a valid token."))), status=401)


@api.exception_handler(HttpError)
def http_error(request, exc):
    return api.create_response(request, error_body((None, exc.message)), status=exc.status_code)


# Each app's router, by import path. A router imports this module (ApiError, Errors), so this module imports none of
# them itself: they are added when the URLconf first asks for the API's URLs.
ROUTERS = [("/", "comments.api.router")]


def urls():
    """The API's URL patterns, every router in ROUTERS added (once) first: what newsroom/urls.py mounts at /api/v1/."""
    global _mounted
    if not _mounted:
        for prefix, router in ROUTERS:
            api.add_router(prefix, router)
        _mounted = True
    return api.urls


_mounted = False
