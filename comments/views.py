"""Reader pages and forms of the discussion: permalinks, threads, posting, editing, deleting, likes, reports, picks
and mutes."""

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError
from django.http import Http404, HttpResponseForbidden, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from articles.models import Article
from comments import selectors, services
from comments.forms import (
    AppealForm,
    CommentForm,
    DiscussionControlsForm,
    IllegalContentNoticeForm,
    RemoveForm,
    ReportForm,
    RestrictForm,
)
from comments.models import Comment, IllegalContentNotice, Notification, moderates
from comments.notifications import EMAIL_KINDS, notifications_mark_read, unsubscribe_read
from newsroom import ratelimit
from newsroom.http import (
    NO_SUCH_PAGE,
    keyset_page,
    live_refused,
    page_number,
    safe_next,
    shared_by_signed_out_readers,
    whole_number,
)

logger = logging.getLogger(__name__)

# A failed write (a lock timeout under load, a lost connection) rolled back whole: say so and keep the text.
NOT_SAVED = gettext_lazy(
    "Sorry, your comment could not be saved just now: the site is busy or had a problem. Nothing was posted. "
    "Your text is still here: post it again in a moment."
)
NOT_SAVED_RETRY_AFTER = 5


def member(request, pk):
    """Where an @mention links: by account, so the link survives a change of handle."""
    user = get_user_model().objects.with_profile().filter(pk=pk).first()
    if user is None:
        raise Http404(_("This reader's account is closed."))
    return redirect(user.get_absolute_url())


NOT_AVAILABLE = gettext_lazy("This comment is not available.")


def _comment(request, pk, *, with_text: bool = False) -> Comment:
    """The comment `pk` if this reader may see it (Comment.objects.visible_to), else 404: the same answer as for an
    id that never existed, so no id tells anything. `with_text`: only a comment whose words show (what a reply, a
    like or a report is about), not a tombstone."""
    comment = get_object_or_404(
        Comment.objects.visible_to(request.user).select_related("article__section", "author"), pk=pk
    )
    if with_text and not comment.shows_text:
        raise Http404(_("This comment was removed, so it can no longer be replied to, liked or reported."))
    return comment


def permalink(request, pk):
    """/comments/<id>/: the page that shows the comment, at its anchor (a `sort` in the link is kept)."""
    comment = _comment(request, pk)
    return redirect(selectors.comment_place(comment, user=request.user, sort=request.GET.get("sort")))


def _position(request, name: str) -> int | None:
    """A page's starting point in the query (`after`, `from`): a whole number, else the page is a 404."""
    value = request.GET.get(name, "")
    if not value:
        return None
    if not (value.isascii() and value.isdigit() and len(value) <= 18):
        raise Http404(str(NO_SUCH_PAGE))
    return int(value)


def thread(request, pk):
    """A thread's own page, from `comment` down, in pages (`from`: the lft where a page starts)."""
    comment = _comment(request, pk)
    threads, reply_to = selectors.thread_for_comment(
        comment=comment, user=request.user, start=_position(request, "from")
    )
    if not threads.comments:
        raise Http404(str(NOT_AVAILABLE))
    response = render(
        request,
        "comments/thread.html",
        {
            "comment": comment,
            "article": comment.article,
            "discussion": selectors.StoryDiscussion(article=comment.article, request=request),
            "threads": threads,
            "reply_to": reply_to,
            "paged": "from" in request.GET,
            "story_url": selectors.story_comments_url(comment.article),
        },
    )
    return shared_by_signed_out_readers(request, response, comment.article.surrogate_key)


def story_threads(request, article_pk):
    """A page of threads alone, as the story page shows it, for the "Show more comments" script (the link itself
    goes to the story page's next page and works without it)."""
    article = get_object_or_404(Article.objects.visible_to(request.user), pk=article_pk)
    discussion = selectors.StoryDiscussion(
        article=article, request=request, sort=request.GET.get("sort"), page=page_number(request)
    )
    response = render(request, "comments/includes/_story_page.html", {"article": article, "discussion": discussion})
    return shared_by_signed_out_readers(request, response, article.surrogate_key)


def story_all(request, article_pk):
    """Every comment of a story, threads whole, a few hundred comments a page (`after` names the last thread of
    the page before)."""
    article = get_object_or_404(Article.objects.visible_to(request.user).select_related("section"), pk=article_pk)
    discussion = selectors.StoryDiscussion(
        article=article, request=request, sort=request.GET.get("sort"), after=_position(request, "after")
    )
    response = render(
        request,
        "comments/all.html",
        {"article": article, "discussion": discussion, "story_url": selectors.story_comments_url(article)},
    )
    return shared_by_signed_out_readers(request, response, article.surrogate_key)


# ---------------------------------------------------------------------------------------------------------------
# Live "N new comments": the poll (JSON) and the new comments (an HTML fragment) that static/js/live.js reads.
# Every input answers in JSON and never a 500: a version or id that is not a number of ours is a 400, a version
# past the story's is a 400 asking for a refresh (the page is not from this discussion), an unknown story a 404.
# ---------------------------------------------------------------------------------------------------------------

LIVE_BAD_VERSION = gettext_lazy("The version must be a whole number from this story's page.")
LIVE_FUTURE_VERSION = gettext_lazy("This page is newer than the discussion we have: refresh the page.")
LIVE_NO_STORY = gettext_lazy("There is no such story, or it is not published.")
LIVE_NO_THREAD = gettext_lazy("There is no such thread in this story.")


class _LiveRefused(Exception):
    def __init__(self, message: str, *, status: int = 400, refresh: bool = False):
        super().__init__(message)
        self.status, self.refresh = status, refresh

    def response(self) -> JsonResponse:
        return live_refused(str(self), status=self.status, refresh=self.refresh)


def _whole_number(value: str | None, *, refusal: "_LiveRefused") -> int:
    number = whole_number(value)
    if number is None:
        raise refusal
    return number


def _live_request(request, article_pk: str, version: str) -> tuple[int, int, int, Comment | None]:
    """(story id, asked version, current version, thread head or None) for a live request, or _LiveRefused. One
    query (the story's published discussion version), and one more for `?thread=` once the version has moved."""
    pk = _whole_number(article_pk, refusal=_LiveRefused(LIVE_NO_STORY, status=404))
    asked = _whole_number(version, refusal=_LiveRefused(LIVE_BAD_VERSION, refresh=True))
    thread_pk = request.GET.get("thread")
    thread_id = None if thread_pk is None else _whole_number(thread_pk, refusal=_LiveRefused(LIVE_NO_THREAD))
    current = selectors.live_version(pk)
    if current is None:
        raise _LiveRefused(LIVE_NO_STORY, status=404)
    if asked > current:
        raise _LiveRefused(LIVE_FUTURE_VERSION, refresh=True)
    thread = None
    if thread_id is not None and asked < current:
        thread = selectors.live_thread(article_pk=pk, pk=thread_id)
        if thread is None:
            raise _LiveRefused(LIVE_NO_THREAD, status=404)
    return pk, asked, current, thread


def live_since(request, article_pk: str, version: str):
    """How many comments became visible since `version` (static/js/live.js polls it every 15 s or so): a few dozen
    bytes, one query when nothing changed. `?thread=<comment id>` counts the replies under that comment instead.

    The answer is the same for every reader, signed in or not: it counts only what anyone may read (visible
    comments of published stories) and names nothing and no one; so it is public for all, and the script fetches it
    without cookies, letting the edge keep one copy per version for LIVE_SHARED_SECONDS (a comment write
    also purges it by the story's key). The browser itself keeps nothing (max-age=0): each poll asks again."""
    try:
        pk, asked, current, thread = _live_request(request, article_pk, version)
    except _LiveRefused as refused:
        return refused.response()
    live = selectors.live_count(article_pk=pk, since=asked, current=current, thread=thread)
    response = JsonResponse({"version": live.version, "new": live.new, "many": live.many, "refresh": False})
    # Stale no longer than it is fresh: Varnish reads stale-while-revalidate as the answer's grace (a purged
    # answer is served stale to one poll while it is fetched again), so a new comment is announced within
    # LIVE_POLL_INTERVAL + twice this, at worst.
    seconds = settings.LIVE_SHARED_SECONDS
    patch_cache_control(response, public=True, max_age=0, s_maxage=seconds, stale_while_revalidate=seconds)
    response["Surrogate-Key"] = Article(pk=pk).surrogate_key
    return response


def live_new(request, article_pk: str, version: str):
    """The comments that became visible since `version` (at most COMMENTS_LIVE_CAP), as the page renders them
    (templates/comments/includes/_comment.html), for the script to insert in place; `X-Live-Version` says the
    version they bring the page to. Shared by signed-out readers like the page itself; a signed-in reader's copy has
    their own controls (like, edit) and is private."""
    try:
        pk, asked, current, thread = _live_request(request, article_pk, version)
    except _LiveRefused as refused:
        return refused.response()
    article = Article.objects.published().get(pk=pk)
    discussion = selectors.StoryDiscussion(article=article, request=request)
    comments = selectors.live_comments(article=article, user=request.user, since=asked, current=current, thread=thread)
    response = render(
        request,
        "comments/includes/_live_comments.html",
        {"article": article, "discussion": discussion, "comments": comments},
    )
    response["X-Live-Version"] = str(current)
    return shared_by_signed_out_readers(request, response, article.surrogate_key)


def _form_page(request, *, article, form, parent=None, status=400, title=None, action="", **buttons):
    """The comment form on a page of its own; `buttons` may name the `submit` label and a `cancel` address."""
    return render(
        request,
        "comments/form_page.html",
        {
            "article": article,
            "form": form,
            "parent": parent,
            "title": title or _("Your comment"),
            "action": action,
            **buttons,
        },
        status=status,
    )


def _not_saved(request, form, **page):
    """The form again, with the reader's text and a clear error, after a database failure (503, retry soon)."""
    logger.exception("A comment write failed and was rolled back")
    form.add_error(None, NOT_SAVED)
    response = _form_page(request, form=form, status=503, **page)
    response["Retry-After"] = str(NOT_SAVED_RETRY_AFTER)
    return response


def _apply_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            # Only the text box shows errors beside it; the rest (a hidden parent) go at the top of the form.
            form.add_error(name if name == "body" and name in form.fields else None, errors)
    else:
        form.add_error(None, error)


@require_POST
def post(request, article_pk):
    """Post a top-level comment or (with `parent`) a reply; land on it. Errors keep the reader's text."""
    article = get_object_or_404(Article.objects.published().select_related("section"), pk=article_pk)
    if not request.user.is_authenticated:
        return redirect_to_login(selectors.story_comments_url(article))
    form = CommentForm(request.POST)
    parent_id = None
    if form.is_valid():
        # The service reads the parent under its tree's lock; the view reads it only to show a form again.
        parent_id = form.cleaned_data.get("parent")
        try:
            comment = services.comment_create(
                article=article,
                author=request.user,
                body=form.cleaned_data["body"],
                parent=parent_id,
                form_token=form.cleaned_data["token"],
            )
        except services.RateLimited as error:
            form.add_error(None, error)
            parent = _parent(request, article, parent_id)
            response = _form_page(request, article=article, form=form, parent=parent, status=error.status)
            response["Retry-After"] = str(error.retry_after)
            return response
        except PermissionDenied as error:
            form.add_error(None, str(error))
            return _form_page(
                request, article=article, form=form, parent=_parent(request, article, parent_id), status=403
            )
        except DatabaseError:
            return _not_saved(request, form, article=article, parent=_parent(request, article, parent_id))
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            if comment.status == Comment.Status.PENDING:
                messages.info(request, f"{_('Your comment is waiting for moderation.')} {comment.removal_reason}")
            else:
                messages.success(request, _("Your reply is posted.") if parent_id else _("Your comment is posted."))
            return redirect(selectors.comment_place(comment, user=request.user))
    parent = _parent(request, article, parent_id)
    # A parent the reader may not see is answered as one that never existed: 404, their text kept, nothing quoted.
    status = 404 if parent_id and parent is None else 400
    return _form_page(request, article=article, form=form, parent=parent, status=status)


@require_POST
def controls(request, article_pk):
    """An editor or moderator sets the story's surge controls from the discussion header; anyone else is refused
    (403). Back to the discussion with what changed, or what was wrong."""
    if not services.may_set_controls(request.user):
        return HttpResponseForbidden(_("Only editors and moderators set a story's discussion controls."))
    article = get_object_or_404(Article.objects.visible_to(request.user), pk=article_pk)
    form = DiscussionControlsForm(request.POST)
    if not form.is_valid():
        problems = "; ".join(f"{form.fields[name].label}: {' '.join(errors)}" for name, errors in form.errors.items())
        messages.error(request, _("The controls were not changed. %(problems)s") % {"problems": problems})
        return redirect(selectors.story_comments_url(article))
    services.discussion_set_controls(article=article, by=request.user, **form.cleaned_data)
    messages.success(request, _("The discussion controls are saved."))
    return redirect(selectors.story_comments_url(article))


def _parent(request, article, pk: int | None) -> Comment | None:
    """The comment a reply answers, to show above the form again: only one of this story the reader may see."""
    if not pk:
        return None
    return Comment.objects.visible_to(request.user).select_related("author").filter(pk=pk, article=article).first()


def reply(request, pk):
    """The reply form on a page of its own, for readers without JavaScript."""
    parent = _comment(request, pk, with_text=True)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    form = CommentForm(initial={"parent": parent.pk})
    return _form_page(request, article=parent.article, form=form, parent=parent, status=200, title="Reply")


@require_http_methods(["GET", "POST"])
def edit(request, pk):
    comment = _comment(request, pk)
    if comment.author_id != request.user.pk or not request.user.is_authenticated:
        return HttpResponseForbidden(_("You can only edit your own comments."))
    if request.method == "GET" and (refusal := services.comment_edit_refusal(comment)):
        # Never the form once it can no longer be saved. (A POST keeps the text it brings, with the same reason.)
        return render(request, "comments/edit_closed.html", {"comment": comment, "reason": refusal.message}, status=403)
    form = CommentForm(request.POST or None, initial={"body": comment.body})
    page = {
        "article": comment.article,
        "title": _("Edit your comment"),
        "action": f"{comment.get_absolute_url()}edit/",
        "submit": _("Save changes"),
        "cancel": comment.get_absolute_url(),
    }
    if request.method == "POST" and form.is_valid():
        try:
            services.comment_edit(comment=comment, user=request.user, body=form.cleaned_data["body"])
        except services.RateLimited as error:
            form.add_error(None, error)
            response = _form_page(request, form=form, status=error.status, **page)
            response["Retry-After"] = str(error.retry_after)
            return response
        except ValidationError as error:
            _apply_errors(form, error)
        except DatabaseError:
            return _not_saved(request, form, **page)
        else:
            messages.success(request, _("Your changes are saved."))
            return redirect(comment.get_absolute_url())
    return _form_page(request, form=form, status=400 if form.errors else 200, **page)


@require_http_methods(["GET", "POST"])
def delete(request, pk):
    comment = _comment(request, pk)
    if comment.author_id != request.user.pk or not request.user.is_authenticated:
        return HttpResponseForbidden(_("You can only delete your own comments."))
    if request.method == "POST":
        services.comment_delete(comment=comment, user=request.user)
        messages.success(request, _("Your comment was deleted."))
        return redirect(selectors.story_comments_url(comment.article))
    return render(request, "comments/delete.html", {"comment": comment, "article": comment.article})


@require_POST
def like(request, pk):
    comment = _comment(request, pk, with_text=True)
    if not request.user.is_authenticated:
        return redirect_to_login(comment.get_absolute_url())
    try:
        # What the button asked for (Like or Unlike), so a second click on the same page never undoes the first.
        services.comment_like(comment=comment, user=request.user, liked=request.POST.get("liked") != "false")
    except services.RateLimited as error:
        response = render(
            request, "comments/too_many.html", {"comment": comment, "message": error.messages[0]}, status=error.status
        )
        response["Retry-After"] = str(error.retry_after)
        return response
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(comment.get_absolute_url())


@require_http_methods(["GET", "POST"])
def report(request, pk):
    comment = _comment(request, pk, with_text=True)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    form = ReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.comment_report(comment=comment, user=request.user, **form.cleaned_data)
        except services.RateLimited as error:
            form.add_error(None, error)
            response = render(
                request,
                "comments/report.html",
                {"comment": comment, "article": comment.article, "form": form},
                status=error.status,
            )
            response["Retry-After"] = str(error.retry_after)
            return response
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("Thank you: a moderator will look at this comment."))
            return redirect(comment.get_absolute_url())
    return render(
        request,
        "comments/report.html",
        {"comment": comment, "article": comment.article, "form": form},
        status=400 if form.errors else 200,
    )


@require_POST
def pick(request, pk):
    """An editor or moderator picks a comment from the story page (`picked=false`: takes the pick back); anyone else
    is refused (403). Back to the comment, which now shows the mark."""
    comment = _comment(request, pk)
    if not services.may_pick(request.user):
        return HttpResponseForbidden(_("Only editors and moderators pick comments."))
    picked = request.POST.get("picked") != "false"
    try:
        services.comment_pick(comment=comment, by=request.user, picked=picked)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The comment is an editors' pick.") if picked else _("The pick is taken back."))
    return redirect(comment.get_absolute_url())


MUTE_NO_READER = gettext_lazy("There is no such reader, or their account is closed.")


@require_POST
def mute(request, pk):
    """Mute a reader (`muted=false`: unmute them) from one of their comments, their profile or the muted readers'
    page, and go back there (`next`). Refusals (yourself, staff, the cap) say why on a page of their own (400)."""
    member = get_user_model().objects.filter(pk=pk, is_active=True).first()
    if member is None:
        raise Http404(str(MUTE_NO_READER))
    if not request.user.is_authenticated:
        return redirect_to_login(member.get_absolute_url())
    back = safe_next(request, member.get_absolute_url())
    mute = request.POST.get("muted") != "false"
    try:
        services.reader_mute(muter=request.user, muted=member, mute=mute)
    except ValidationError as error:
        context = {"member": member, "message": " ".join(error.messages), "back": back}
        return render(request, "comments/mute_refused.html", context, status=400)
    if mute:
        messages.success(
            request,
            _("You muted @%(handle)s: their comments show collapsed and they no longer notify you. They are not told.")
            % {"handle": member.handle},
        )
    else:
        messages.success(request, _("You unmuted @%(handle)s.") % {"handle": member.handle})
    return redirect(back)


# ---------------------------------------------------------------------------------------------------------------
# Moderating in place (the story page's controls on each comment), the reader's history, and appeals. Plain POST
# forms: they work without JavaScript and land back on the comment with a message.
# ---------------------------------------------------------------------------------------------------------------

NOT_A_MODERATOR = gettext_lazy("Only moderators may moderate comments.")


def _moderated(request, pk) -> Comment:
    """The comment `pk` for a moderator (they see every comment); 403 for anyone else, before any lookup, so the
    answer tells nothing of the comment; 404 for one that no longer exists, or is already removed or deleted (a
    tombstone: there is nothing left to approve or remove, and its words are not shown again)."""
    if not moderates(request.user):
        raise PermissionDenied(NOT_A_MODERATOR)
    comment = get_object_or_404(Comment.objects.select_related("article", "author"), pk=pk)
    if not comment.shows_text:
        raise Http404(_("This comment was removed or deleted already: there is nothing to moderate."))
    return comment


@require_POST
def moderate_approve(request, pk):
    comment = _moderated(request, pk)
    services.comment_approve(comments=[comment], moderator=request.user)
    messages.success(request, _("The comment is approved."))
    return redirect(comment.get_absolute_url())


@require_http_methods(["GET", "POST"])
def moderate_remove(request, pk):
    """Remove a comment with a reason from the list and a note for its author; without a reason, the form again
    with the note kept (also the form's own page, for a link opened from elsewhere)."""
    comment = _moderated(request, pk)
    form = RemoveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        note = form.cleaned_data["note"]
        removed = services.comment_remove(
            comments=[comment], moderator=request.user, reason=form.reason_label, note=note
        )
        if removed:
            messages.success(
                request,
                _("The comment is removed (%(reason)s); its author is told why.") % {"reason": form.reason_label},
            )
        else:
            messages.info(request, _("This comment was already removed or deleted."))
        return redirect(comment.get_absolute_url())
    status = 400 if form.errors else 200
    return render(request, "comments/moderate_remove.html", {"comment": comment, "form": form}, status=status)


HISTORY_COMMENTS_PER_PAGE = 30


def _member_for_moderator(request, pk):
    if not moderates(request.user):
        raise PermissionDenied(_("Only moderators may read a reader's moderation history."))
    return get_object_or_404(get_user_model(), pk=pk)


def _history_page(request, member, *, form=None, status=200):
    history = selectors.reader_history(member)
    page = keyset_page(request, history.comments, HISTORY_COMMENTS_PER_PAGE, time_field="created_at")
    may_restrict = request.user.has_perm("comments.add_restriction") and not member.is_staff
    return render(
        request,
        "comments/reader_history.html",
        {
            "history": history,
            "member": member,
            "page_obj": page,
            "restrict_form": (form or RestrictForm()) if may_restrict else None,
        },
        status=status,
    )


def reader_history(request, pk):
    """A reader's comments in every state, removals, reports against them, restrictions and audit-log rows: what a
    moderator reads before deciding. Staff only (moderators); a reader who no longer exists is a 404."""
    return _history_page(request, _member_for_moderator(request, pk))


@require_POST
def reader_restrict(request, pk):
    """Suspend (for a length typed) or ban a reader from their history page, with a reason they are shown."""
    member = _member_for_moderator(request, pk)
    if not request.user.has_perm("comments.add_restriction") or member.is_staff:
        raise PermissionDenied(_("You may not restrict this account."))
    form = RestrictForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        days = data["days"] if data["kind"] == "suspension" else None
        try:
            restriction = services.reader_restrict(
                user=member, moderator=request.user, kind=data["kind"], days=days, reason=data["reason"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"@{member.handle}: {restriction.get_kind_display().lower()}.")
            return redirect("comments:reader_history", pk=member.pk)
    return _history_page(request, member, form=form, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def appeal(request, pk):
    """The decision on the reader's own comment (reason, note) and their one appeal of it: the form while it may be
    sent, else why not, or the appeal's outcome. Another reader's comment, or one never decided on, is a 404."""
    comment = get_object_or_404(Comment.objects.select_related("article"), pk=pk, author=request.user)
    decision = selectors.decision_of(comment)
    if decision.action is None:
        raise Http404(_("There is no moderator's decision on this comment."))
    form = AppealForm(request.POST or None)
    refusal = services.appeal_refusal(comment=comment, author=request.user)
    status = 200
    if request.method == "POST":
        if refusal is not None:
            form.add_error(None, refusal)
            status = 403
        elif form.is_valid():
            try:
                services.appeal_create(comment=comment, author=request.user, note=form.cleaned_data["note"])
            except ValidationError as error:
                form.add_error(None, error)
                status = 403
            else:
                messages.success(request, _("Your appeal is sent: a moderator will look at it, and you will be told."))
                return redirect("comments:appeal", pk=comment.pk)
        else:
            status = 400
    return render(
        request,
        "comments/appeal.html",
        {"comment": comment, "article": comment.article, "decision": decision, "form": form, "refusal": refusal},
        status=status,
    )


NOTIFICATIONS_PER_PAGE = 30


@login_required
def notifications(request):
    page = keyset_page(
        request, selectors.notifications_for(request.user), NOTIFICATIONS_PER_PAGE, time_field="created_at"
    )
    return render(request, "comments/notifications.html", {"page_obj": page})


@login_required
@require_POST
def notifications_read(request, pk=None):
    notifications_mark_read(user=request.user, pk=pk)
    if pk is None:
        messages.success(request, _("All notifications are marked read."))
    if pk is not None:
        # Opening one notification marks it read and goes to the comment it is about, if the reader may still see it.
        notification = get_object_or_404(request.user.notifications, pk=pk)
        if notification.kind == Notification.Kind.DECISION:
            return redirect("comments:appeal", pk=notification.comment_id)
        return redirect(selectors.comment_place(_comment(request, notification.comment_id), user=request.user))
    return redirect("notifications:list")


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    """One click from an e-mail (RFC 8058): GET only asks (link scanners must not unsubscribe anyone); a POST of
    "List-Unsubscribe=One-Click" turns the e-mail off, from the page's button or straight from the mail client.
    No CSRF check: mail providers send neither cookie nor token, and the signed token in the address is what
    authorises the change (a forged page could only do what the holder of the link can do anyway)."""
    try:
        user_id, kind = unsubscribe_read(token)
    except signing.BadSignature:
        return render(request, "comments/unsubscribe.html", {"invalid": True}, status=400)
    user = get_object_or_404(get_user_model(), pk=user_id)
    if request.method == "POST":
        if request.POST.get("List-Unsubscribe") != "One-Click":
            return render(request, "comments/unsubscribe.html", {"kind": kind, "member": user}, status=400)
        field = EMAIL_KINDS[kind]
        setattr(user, field, False)
        user.save(update_fields=[field])
        return render(request, "comments/unsubscribe.html", {"done": True, "kind": kind})
    return render(request, "comments/unsubscribe.html", {"kind": kind, "member": user})


@require_http_methods(["GET", "POST"])
def notice(request, pk=None, article_pk=None):
    """The illegal-content notice form (DSA art. 16) for a comment (`pk`) or a story (`article_pk`), for anyone,
    signed in or not; what the reader may not see (or a tombstone) is a 404. On to the acknowledgement with the
    notice's reference; errors keep what was typed."""
    if pk is not None:
        target = _comment(request, pk, with_text=True)
        article = target.article
    else:
        target = article = get_object_or_404(Article.objects.visible_to(request.user), pk=article_pk)
    location = request.build_absolute_uri(target.get_absolute_url())
    user = request.user
    initial = {"location": location}
    if user.is_authenticated:
        initial |= {"notifier_name": user.display_name, "notifier_email": user.email}
    form = IllegalContentNoticeForm(request.POST or None, initial=initial)
    status, retry_after = 200, None
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                created = services.notice_create(
                    target=target,
                    notifier=user,
                    sender_key=ratelimit.client_ip(request),
                    # The address of what is reported is the site's to say; the field only shows it.
                    **(form.cleaned_data | {"location": location}),
                )
            except services.RateLimited as error:
                form.add_error(None, error)
                status, retry_after = error.status, error.retry_after
            except ValidationError as error:
                _apply_notice_errors(form, error)
            else:
                return redirect("comments:notice_done", reference=created.reference)
    response = render(
        request,
        "comments/notice_form.html",
        {"form": form, "target": target, "article": article, "is_comment": pk is not None},
        status=status,
    )
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


def _apply_notice_errors(form, error: ValidationError) -> None:
    for name, errors in getattr(error, "error_dict", {None: error.error_list}).items():
        form.add_error(name if name in form.fields else None, errors)


def notice_done(request, reference):
    """The acknowledgement: the notice's reference and what it was about, nothing of who sent it. Found by the
    reference alone, which is unguessable (comments.services); anything else is a 404."""
    found = get_object_or_404(
        IllegalContentNotice.objects.select_related("comment__article", "article"), reference=reference
    )
    return render(request, "comments/notice_done.html", {"notice": found})
