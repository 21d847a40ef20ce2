"""The public API, version 1, under /api/v1/ (django-ninja): one NinjaAPI, one router per app that owns the data.

Every error answers with the same JSON shape, naming the field where there is one:
    {"errors": [{"field": "body", "message": "Write something before posting."}]}
Routers raise `ApiError(status, message, field=...)` for their own refusals; request validation (unknown fields,
wrong types, bad content types) reaches the same shape through the handlers below. The OpenAPI 3.1 schema is
generated from the code at /api/v1/schema/ and browsable at /api/v1/docs/.
"""

from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI
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


# The routers, each app's own; imported last, since they import ApiError from here.
from comments.api import router as comments_router  # noqa: E402

api.add_router("/", comments_router)
