"""Writing to discussions through the API, for readers of first-party apps: the token holder's comments (post, reply,
edit, delete), likes and reports, under /api/v1/me/. Each operation calls the service the site's form calls
(comments.services: rate limits, the moderation pipeline, premoderation, closed discussions, the edit window, slow
mode) and refuses with the form's own words, in the API's error shape, naming the field to blame.

Authentication is a bearer token with the operation's scope (newsroom.tokens); the session cookie of a signed-in
browser is never enough, so no write here can be forged across sites. Bodies are JSON (anything else is a 415) with
no field beyond those declared (422); every answer is the reader's own: `Cache-Control: private, no-store`.
"""

import functools
import logging
from typing import Annotated, Literal

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, RequestDataTooBig, ValidationError
from django.db import DatabaseError
from django.http import JsonResponse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, Header, Path, Router, Schema, Status
from ninja.decorators import decorate_view
from pydantic import ConfigDict

from articles.models import Article
from comments import services
from comments.forms import FORM_TOKEN
from comments.models import Comment, CommentReport
from comments.views import LIVE_NO_STORY, NOT_AVAILABLE, NOT_SAVED, NOT_SAVED_RETRY_AFTER
from newsroom.api import ApiError, Errors, error_body
from newsroom.models import ApiToken
from newsroom.tokens import TokenAuth

__all__ = ["router"]

logger = logging.getLogger(__name__)

router = Router(tags=["Writing"])
WRITE = TokenAuth(ApiToken.Scope.COMMENTS_WRITE)
REACT = TokenAuth(ApiToken.Scope.COMMENTS_REACT)

# Ids are 64-bit (BigAutoField): a bigger number is no id of ours, refused before it reaches the database.
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
IdInPath = Annotated[int, Path(ge=1, le=2**63 - 1)]
# The HTTP status of a service's refusal, by its code; any other is a 400.
STATUS_OF_CODE = {"closed": 403, "edit_window": 403, "gone": 403, "own": 403, "twice": 409}
BAD_IDEMPOTENCY_KEY = gettext_lazy("An Idempotency-Key is 16 to 64 letters, digits, hyphens or underscores.")
NOT_JSON = gettext_lazy("Send the body as JSON, with Content-Type: application/json.")
TOO_BIG = gettext_lazy("The request is too large: a comment is at most %(limit)s characters.")
State = Literal["published", "held", "deleted", "gone"]


class Body(Schema):
    """A request body: exactly the fields declared, no others (a misspelt field is an error, never ignored)."""

    model_config = ConfigDict(extra="forbid")


class CommentIn(Body):
    story: Id = Field(description="The story's id.")
    body: str = Field(description="The text, as a reader types it: plain text, @handles and addresses are linked.")
    parent: Id | None = Field(None, description="To reply: the id of the comment replied to.")


class EditIn(Body):
    body: str


class ReportIn(Body):
    comment: Id
    reason: CommentReport.Reason
    note: str = Field("", max_length=500, description="What the reader adds for the moderators, if anything.")


class Written(Schema):
    id: int
    state: State = Field(description="published; held (waiting for a moderator); deleted (a tombstone); gone.")
    url: str | None = Field(description="The comment's permalink, while it has one.")
    message: str


class Liked(Schema):
    comment: int
    liked: bool
    like_count: int


class Reported(Schema):
    comment: int
    message: str


def _refusals(*statuses: int) -> dict[int, type[Errors]]:
    """What every write may answer besides its success, and `statuses` of its own, all in the one error shape."""
    return dict.fromkeys(sorted({400, 401, 403, 404, 413, 415, 422, 429, 503, *statuses}), Errors)


def _json_write(run):
    """Around the whole operation (before authentication and the body's parsing): a body that is not JSON is a
    415, one past DATA_UPLOAD_MAX_MEMORY_SIZE a 413; every answer, refusals too, is private and never stored."""

    @functools.wraps(run)
    def operation(request, *args, **kwargs):
        try:
            if request.content_type != "application/json" and request.META.get("CONTENT_LENGTH", "0") not in ("", "0"):
                response = JsonResponse(error_body((None, NOT_JSON)), status=415)
            else:
                response = run(request, *args, **kwargs)
        except RequestDataTooBig:
            too_big = TOO_BIG % {"limit": f"{settings.COMMENTS_MAX_LENGTH:,}"}
            response = JsonResponse(error_body(("body", too_big)), status=413)
        patch_cache_control(response, private=True, no_store=True)
        return response

    return operation


def _refused(error: ValidationError) -> ApiError:
    """A service's ValidationError as the API's refusal: its first message, naming its field if it has one."""
    if hasattr(error, "error_dict"):
        field, errors = next(iter(error.error_dict.items()))
    else:
        field, errors = None, error.error_list
    first = errors[0]
    message = first.messages[0]
    # A parent the reader may not see is answered as one that never existed: a 404, as on the site.
    status = 404 if message == str(services.PARENT_NOT_AVAILABLE) else STATUS_OF_CODE.get(first.code, 400)
    return ApiError(status, message, field=None if field == NON_FIELD_ERRORS else field)


def _written(request, comment: Comment | None, message: str, *, pk: int | None = None) -> Written:
    if comment is None:
        return Written(id=pk, state="gone", url=None, message=message)
    state = {Comment.Status.VISIBLE: "published", Comment.Status.PENDING: "held"}.get(comment.status, "deleted")
    return Written(
        id=comment.pk, state=state, url=request.build_absolute_uri(comment.get_absolute_url()), message=message
    )


def _calling(service, **arguments):
    """Call a comment service as the site's views do, its refusals as the API's: RateLimited (429, or 503 when the
    limit cannot be counted) with Retry-After, PermissionDenied 403, ValidationError 4xx naming the field, and a
    write that failed in the database (a lock timeout under load) a 503 to retry, nothing stored."""
    try:
        return service(**arguments)
    except services.RateLimited as error:
        raise ApiError(error.status, error.messages[0], headers={"Retry-After": str(error.retry_after)}) from None
    except PermissionDenied as error:
        raise ApiError(403, str(error)) from None
    except ValidationError as error:
        raise _refused(error) from None
    except DatabaseError:
        logger.exception("A comment write through the API failed and was rolled back")
        raise ApiError(503, NOT_SAVED, headers={"Retry-After": str(NOT_SAVED_RETRY_AFTER)}) from None


def _comment(user, pk: int, *, field: str, with_text: bool = False) -> Comment:
    """The comment `pk` if the reader may see it (Comment.objects.visible_to), else a 404 as for one that never
    existed; `with_text`: only one whose words show (a like or a report is about them), not a tombstone."""
    comment = Comment.objects.visible_to(user).select_related("article").filter(pk=pk).first()
    if comment is None or (with_text and not comment.shows_text):
        raise ApiError(404, NOT_AVAILABLE, field=field)
    return comment


@router.post(
    "/me/comments/", auth=WRITE, response={201: Written, **_refusals(409)}, summary="Post a comment or a reply"
)
@decorate_view(_json_write)
def comment_post(
    request,
    payload: CommentIn,
    idempotency_key: str | None = Header(
        None,
        alias="Idempotency-Key",
        description="Any 16-64 letters, digits, - or _: the same key with the same text posts once, however often "
        "it is sent (a retry after a lost answer returns the comment it stored).",
    ),
):
    """A comment on a story, or with `parent` a reply, as the token's reader: 201 with its id, its state (published,
    or held for a moderator, with the reason in `message`) and its permalink."""
    if idempotency_key is not None and not FORM_TOKEN.fullmatch(idempotency_key):
        raise ApiError(400, BAD_IDEMPOTENCY_KEY, field="Idempotency-Key")
    article = Article.objects.published().filter(pk=payload.story).first()
    if article is None:
        raise ApiError(404, LIVE_NO_STORY, field="story")
    comment = _calling(
        services.comment_create,
        article=article,
        author=request.auth,
        body=payload.body,
        parent=payload.parent,
        form_token=idempotency_key or "",
    )
    if comment.status == Comment.Status.PENDING:
        message = _("Your comment is waiting for moderation. %(reason)s") % {"reason": comment.removal_reason}
    else:
        message = _("Your reply is posted.") if payload.parent else _("Your comment is posted.")
    return Status(201, _written(request, comment, message))


@router.patch(
    "/me/comments/{comment_id}/", auth=WRITE, response={200: Written, **_refusals()}, summary="Edit a comment"
)
@decorate_view(_json_write)
def comment_edit(request, comment_id: IdInPath, payload: EditIn):
    """The reader's own comment, with a new text, within the edit window; it is then marked as edited."""
    comment = _comment(request.auth, comment_id, field="comment_id")
    comment = _calling(services.comment_edit, comment=comment, user=request.auth, body=payload.body)
    return Status(200, _written(request, comment, _("Your changes are saved.")))


@router.delete(
    "/me/comments/{comment_id}/", auth=WRITE, response={200: Written, **_refusals()}, summary="Delete a comment"
)
@decorate_view(_json_write)
def comment_delete(request, comment_id: IdInPath):
    """The reader's own comment: with replies it stays as a "deleted" tombstone, without it is gone."""
    comment = _comment(request.auth, comment_id, field="comment_id")
    tombstone = _calling(services.comment_delete, comment=comment, user=request.auth)
    return Status(200, _written(request, tombstone, _("Your comment was deleted."), pk=comment_id))


def _like(request, comment_id: int, *, liked: bool) -> Liked:
    comment = _comment(request.auth, comment_id, field="comment_id", with_text=True)
    _calling(services.comment_like, comment=comment, user=request.auth, liked=liked)
    like_count = Comment.objects.filter(pk=comment.pk).values_list("like_count", flat=True).first() or 0
    return Liked(comment=comment.pk, liked=liked, like_count=like_count)


@router.put("/me/likes/{comment_id}/", auth=REACT, response={200: Liked, **_refusals()}, summary="Like a comment")
@decorate_view(_json_write)
def comment_like(request, comment_id: IdInPath):
    """Like a visible comment of someone else's; liking it again changes nothing."""
    return Status(200, _like(request, comment_id, liked=True))


@router.delete("/me/likes/{comment_id}/", auth=REACT, response={200: Liked, **_refusals()}, summary="Take a like back")
@decorate_view(_json_write)
def comment_unlike(request, comment_id: IdInPath):
    """Take back the reader's like of a comment; taking it back again changes nothing."""
    return Status(200, _like(request, comment_id, liked=False))


@router.post("/me/reports/", auth=REACT, response={201: Reported, **_refusals(409)}, summary="Report a comment")
@decorate_view(_json_write)
def comment_report(request, payload: ReportIn):
    """Report a comment to the moderators, once per reader (a second report is a 409)."""
    comment = _comment(request.auth, payload.comment, field="comment", with_text=True)
    _calling(services.comment_report, comment=comment, user=request.auth, reason=payload.reason, note=payload.note)
    return Status(201, Reported(comment=comment.pk, message=_("Thank you: a moderator will look at this comment.")))
