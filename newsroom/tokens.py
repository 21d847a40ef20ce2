"""API tokens: a reader's secret for writing through the API, kept as its SHA-256, and the bearer auth that reads it.

`Authorization: Bearer nrt_…` names the token. An unknown or revoked token, or one whose account is closed, is a
401; a token without the operation's scope, or of a suspended or banned reader, is a 403 saying why. Only the header
is read: a signed-in browser's session cookie is never a way to write (no CSRF to defend), nor is a token in a URL.
"""

import hashlib
import secrets
from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja.errors import HttpError
from ninja.security import HttpBearer

from comments import services as comment_services
from newsroom.models import ApiToken

__all__ = ["TOKEN_PREFIX", "new_secret", "key_hash", "token_for", "TokenAuth"]

# Every secret starts so: a secret scanner (or a reader) knows one when it sees it.
TOKEN_PREFIX = "nrt_"
# How much of the secret the account page shows, to tell tokens apart: the marker and 8 random characters.
SHOWN_LENGTH = len(TOKEN_PREFIX) + 8
# last_used_at is written at most this often per token: not one more write per request.
LAST_USED_EVERY = timedelta(minutes=1)
MISSING_SCOPE = _(
    "This token may not do this: it lacks the %(scope)s scope. Make a token with it on your account page."
)


def new_secret() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def key_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def token_for(secret: str) -> ApiToken | None:
    """The working token whose secret this is: not revoked, of an open account. One query."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    token = ApiToken.objects.select_related("user").filter(key_hash=key_hash(secret), revoked_at=None).first()
    if token is None or not token.user.is_active or token.user.closed_at is not None:
        return None
    return token


class TokenAuth(HttpBearer):
    """The bearer auth of operations that need `scope` (an ApiToken.Scope): request.auth is the token's reader."""

    def __init__(self, scope: str):
        super().__init__()
        self.scope = scope

    def authenticate(self, request, token: str):
        api_token = token_for(token)
        if api_token is None:
            return None  # 401, in the API's error shape (newsroom.api); a 403 below is an HttpError, the same
        if self.scope not in api_token.scopes:
            raise HttpError(403, MISSING_SCOPE % {"scope": self.scope})
        try:
            # The site's own refusal of a suspended or banned reader, with the end and the reason: the same words.
            comment_services._check_may_comment(api_token.user)
        except PermissionDenied as refusal:
            raise HttpError(403, str(refusal)) from None
        now = timezone.now()
        stale = Q(last_used_at=None) | Q(last_used_at__lt=now - LAST_USED_EVERY)
        ApiToken.objects.filter(stale, pk=api_token.pk).update(last_used_at=now)
        request.api_token = api_token
        return api_token.user
