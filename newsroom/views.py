"""Pages that belong to no single app: accounts (sign-up, sign-in, settings, deletion), reader profiles, robots.txt."""

import functools
import json
import logging
from collections.abc import Iterator

import django_rq
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.cache import caches
from django.core.exceptions import BadRequest, ValidationError
from django.core.files.storage import default_storage
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, connection
from django.http import Http404, HttpResponse, HttpResponseServerError, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template import loader
from django.templatetags.static import static
from django.urls import reverse_lazy
from django.utils import timezone, translation
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import requires_csrf_token
from django.views.decorators.http import require_GET, require_http_methods
from django.views.i18n import JavaScriptCatalog

from comments import selectors as comment_selectors
from comments.selectors import comments_of_reader
from comments.services import MUTE_LIMIT
from newsroom import ratelimit, services
from newsroom.api import error_body
from newsroom.confirmation import LinkRefused, confirmation_read, confirmation_target
from newsroom.forms import (
    AccountForm,
    ApiTokenForm,
    LanguageForm,
    PasswordResetForm,
    SignUpForm,
    ThrottledAuthenticationForm,
    forget_login_failures,
    save_account,
)
from newsroom.http import keyset_page, remember_language, safe_next
from newsroom.models import ApiToken
from newsroom.replica import replica_status

logger = logging.getLogger(__name__)


def too_many(request, template: str, context: dict, limit: ratelimit.Limit):
    """The form again, kept, refused for now: too many tries (429), or no way to count them (503)."""
    context = {**context, "retry_minutes": limit.retry_after_minutes, "unavailable": limit.unavailable}
    response = render(request, template, context, status=limit.status)
    response["Retry-After"] = str(limit.retry_after)
    return response


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    authentication_form = ThrottledAuthenticationForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        user = form.get_user()
        forget_login_failures(self.request, user.handle)
        if user.language:
            remember_language(response, user.language)  # the account's language, on this browser too from now on
        return response

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        if form.throttled:
            response.status_code = form.throttled.status
            response["Retry-After"] = str(form.throttled.retry_after)
        return response


@require_http_methods(["GET", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect(safe_next(request))
    form = SignUpForm(request.POST or None)
    if request.method == "POST":
        limit = ratelimit.hit(
            "signup", ratelimit.client_ip(request), limit=settings.SIGNUPS_PER_IP_PER_HOUR, window=3600
        )
        if not limit.allowed:
            return too_many(request, "registration/signup.html", {"form": form, "next": safe_next(request, "")}, limit)
        if form.is_valid() and (user := save_account(form)) is not None:
            if (chosen := _chosen_language(request)) and not user.language:
                # The language this browser chose (the chooser's cookie) becomes the account's, e-mail included.
                user.language = chosen
                user.save(update_fields=["language"])
            login(request, user, backend="newsroom.backends.ModelBackend")
            services.email_confirmation_send(user=user)
            messages.success(
                request,
                _(
                    "Welcome, %(name)s. You are signed in as @%(handle)s. We sent a link to %(email)s: follow it to "
                    "confirm your address."
                )
                % {"name": user.display_name, "handle": user.handle, "email": user.email},
            )
            return redirect(safe_next(request))
    return render(
        request,
        "registration/signup.html",
        {"form": form, "next": safe_next(request, "")},
        status=400 if form.errors else 200,
    )


class PasswordResetView(auth_views.PasswordResetView):
    form_class = PasswordResetForm

    def post(self, request, *args, **kwargs):
        # Per address of the requester, and per mailbox asked for (whether or not an account has it, so the answer
        # tells nothing about accounts): no one floods a reader's inbox with reset links from many addresses.
        limits = [
            ("password-reset", ratelimit.client_ip(request), settings.PASSWORD_RESETS_PER_IP_PER_HOUR, "address"),
            (
                "password-reset-email",
                request.POST.get("email", "").strip(),
                settings.PASSWORD_RESETS_PER_EMAIL_PER_HOUR,
                "mailbox",
            ),
        ]
        for scope, key, allowed, what in limits:
            limit = ratelimit.hit(scope, key, limit=allowed, window=3600)
            if not limit.allowed:
                return too_many(request, self.template_name, {"form": self.get_form(), "too_many_for": what}, limit)
        return super().post(request, *args, **kwargs)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    def form_valid(self, form):
        response = super().form_valid(form)
        services.imported_account_claim(user=form.user)
        forget_login_failures(self.request, form.user.handle)
        return response


@login_required
@require_http_methods(["GET", "POST"])
def account_settings(request):
    # The form edits its own copy of the account: a value that fails validation never reaches request.user, which
    # the page around the form shows (and links by handle).
    form = AccountForm(request.POST or None, instance=get_user_model().objects.get(pk=request.user.pk))
    if request.method == "POST" and form.is_valid() and (user := save_account(form)) is not None:
        services.email_change_request(user=user, email=form.cleaned_data["email"])
        language_changed = "language" in form.changed_data
        if language_changed:
            _activate_chosen(request, user.language)  # the message below is in the new language already
        if user.pending_email:
            messages.success(
                request,
                _("Your account is updated. We sent a link to %(new)s: it replaces %(email)s once you follow it.")
                % {"new": user.pending_email, "email": user.email},
            )
        else:
            messages.success(request, _("Your account is updated."))
        response = redirect("account")
        return remember_language(response, user.language) if language_changed else response
    return render(request, "newsroom/account.html", {"form": form}, status=400 if form.errors else 200)


@never_cache
@require_http_methods(["GET", "POST"])
def language_choose(request):
    """The language chooser: the site in one of the offered languages, or as the browser asks (blank). Kept in the
    language cookie, and on the account when signed in (its e-mail follows it). Private: never cached."""
    user = request.user
    initial = user.language if user.is_authenticated else _chosen_language(request)
    form = LanguageForm(request.POST or None, initial={"language": initial})
    if request.method == "POST" and form.is_valid():
        language = form.cleaned_data["language"]
        if user.is_authenticated:
            get_user_model().objects.filter(pk=user.pk).update(language=language)
        _activate_chosen(request, language)
        messages.success(request, _("The site is now shown in %(language)s.") % {"language": _language_name()})
        return remember_language(redirect(safe_next(request)), language)
    context = {"form": form, "next": safe_next(request, "")}
    return render(request, "newsroom/language.html", context, status=400 if form.errors else 200)


def _chosen_language(request) -> str:
    """The offered language the reader chose on this browser (the language cookie), or ""."""
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    return chosen if chosen in dict(settings.LANGUAGES) else ""


def _activate_chosen(request, language: str) -> None:
    """Speak the language just chosen for the rest of this request; blank: the browser's, as if no cookie said."""
    if not language:
        request.COOKIES.pop(settings.LANGUAGE_COOKIE_NAME, None)
        language = translation.get_language_from_request(request)
    translation.activate(language)
    request.LANGUAGE_CODE = language


def _language_name() -> str:
    """The active language's name, in that language ("English", "Español")."""
    return translation.get_language_info(translation.get_language())["name_local"]


@login_required
@require_http_methods(["POST"])
def confirmation_resend(request):
    """Send the confirmation link again: to the new address the reader asked for, else to their unconfirmed one."""
    user = request.user
    limit = ratelimit.hit("confirm-resend", str(user.pk), limit=settings.ACCOUNT_CONFIRM_RESENDS_PER_HOUR, window=3600)
    if not limit.allowed:
        form = AccountForm(instance=get_user_model().objects.get(pk=user.pk))
        return too_many(request, "newsroom/account.html", {"form": form}, limit)
    email = services.email_confirmation_send(user=user)
    if email is None:
        messages.info(request, _("Your address %(email)s is already confirmed.") % {"email": user.email})
    else:
        messages.success(
            request,
            ngettext(
                "We sent a new link to %(email)s. It works for %(days)d day.",
                "We sent a new link to %(email)s. It works for %(days)d days.",
                settings.ACCOUNT_CONFIRM_DAYS,
            )
            % {"email": email, "days": settings.ACCOUNT_CONFIRM_DAYS},
        )
    return redirect("account")


@require_http_methods(["GET", "POST"])
def confirm_email(request, token):
    """A confirmation link from an e-mail. Opening it only shows the address and a button: mail scanners open
    links too, and must not confirm an address for whoever typed it. A link that does nothing is a 400 saying why,
    with the way to a new one."""
    try:
        user_pk, email = confirmation_read(token)
        if request.method == "POST":
            user = services.email_confirm(token=token)
            messages.success(request, _("Thank you: %(email)s is confirmed.") % {"email": user.email})
            return redirect("account")
        user = confirmation_target(user_pk, email)
    except LinkRefused as refused:
        return render(request, "registration/confirm_email.html", {"refused": str(refused)}, status=400)
    return render(request, "registration/confirm_email.html", {"member": user, "email": email})


@login_required
@require_GET
def account_comments_json(request):
    """The reader's own comments as a JSON file to keep: their words are theirs to take away. Streamed as it is
    read, a thousand comments at a time: the answer starts at once and memory stays flat at any number of
    comments, where building the whole document first took 16.7 s and 16 MB at 20,000."""
    head = {
        "account": {"handle": request.user.handle, "display_name": request.user.display_name},
        "exported_at": timezone.now().isoformat(),
        "site": settings.SITE_NAME,
    }
    comments = comments_of_reader(request.user, absolute=request.build_absolute_uri)
    response = StreamingHttpResponse(_json_document(head, "comments", comments), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="comments-{request.user.handle}.json"'
    add_never_cache_headers(response)
    return response


def _json_document(head: dict, key: str, items) -> Iterator[str]:
    """`head` with `key` added as a list of `items`, as JSON text in pieces (one per item), indented by one."""
    dumps = functools.partial(json.dumps, ensure_ascii=False, indent=1, cls=DjangoJSONEncoder)
    yield dumps(head)[:-2] + f",\n {json.dumps(key)}: ["
    separator = "\n  "
    for item in items:
        yield separator + dumps(item).replace("\n", "\n  ")
        separator = ",\n  "
    yield "\n ]\n}" if separator != "\n  " else "]\n}"


@login_required
@require_http_methods(["GET", "POST"])
def account_delete(request):
    if request.method == "POST":
        if not request.user.check_password(request.POST.get("password", "")):
            messages.error(request, _("That password is not right; your account was not deleted."))
            return render(request, "newsroom/account_delete.html", status=400)
        user = request.user
        logout(request)
        services.account_delete(user=user)
        messages.success(
            request,
            _(
                "Your account is deleted and you are signed out. Your comments are being taken down: within a few "
                "minutes they show as from a deleted account, with their text removed."
            ),
        )
        return redirect("articles:home")
    return render(request, "newsroom/account_delete.html")


def profile(request, handle):
    """A reader's public page: who they are and their visible comments, newest first, each linked in context. A
    commenter imported from another platform has one too, marked as not yet claimed (the only inactive accounts
    with a profile)."""
    member = get_object_or_404(get_user_model().objects.with_profile(), handle__iexact=handle)
    if member.handle != handle:
        return redirect("profile", handle=member.handle, permanent=True)
    comments = comment_selectors.member_comments(member, viewer=request.user)
    page = keyset_page(request, comments, comment_selectors.PROFILE_COMMENTS_PER_PAGE, time_field="created_at")
    # The latest picks on the first page only; the list below holds them all, each marked.
    summary = comment_selectors.profile_summary(member, viewer=request.user, with_picks=page.is_first)
    return render(
        request,
        "newsroom/profile.html",
        {
            "member": member,
            "unclaimed": not member.is_active,
            "page_obj": page,
            "comment_count": summary.comment_count,
            "count_cap": comment_selectors.PROFILE_COUNT_CAP,
            "picks": summary.picks,
            "member_muted": comment_selectors.is_muted(muter=request.user, muted=member),
        },
    )


@login_required
@require_GET
def account_muted(request):
    """The readers this reader muted, each with a button to unmute (comments:mute); private to them."""
    return render(
        request,
        "newsroom/account_muted.html",
        {"mutes": comment_selectors.mutes_of(request.user), "limit": MUTE_LIMIT},
    )


@login_required
@require_http_methods(["GET", "POST"])
def account_tokens(request):
    """The reader's API tokens: each with its name, scopes and dates and a button to revoke it, and a form to make
    one. A new token's secret is on the answer to the form alone (never stored, never cached): shown once."""
    form = ApiTokenForm(request.POST or None)
    secret = None
    if request.method == "POST" and form.is_valid():
        try:
            token, secret = services.token_create(user=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error("scopes" if "scopes" in getattr(error, "error_dict", {}) else None, error.messages)
        else:
            form = ApiTokenForm()
            messages.success(
                request, _("Your token “%(name)s” is made. Copy it now: it is shown only once.") % {"name": token.name}
            )
    context = {
        "form": form,
        "secret": secret,
        "tokens": ApiToken.objects.filter(user=request.user, revoked_at=None),
        "limit": services.TOKEN_LIMIT,
    }
    response = render(request, "newsroom/account_tokens.html", context, status=400 if form.errors else 200)
    add_never_cache_headers(response)
    return response


@login_required
@require_http_methods(["POST"])
def account_token_revoke(request, pk):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user, revoked_at=None)
    services.token_revoke(token=token)
    messages.success(request, _("The token “%(name)s” is revoked: it no longer works.") % {"name": token.name})
    return redirect("account_tokens")


password_change = login_required(
    auth_views.PasswordChangeView.as_view(success_url=reverse_lazy("password_change_done"))
)


@require_GET
def favicon(request):
    """Browsers ask for /favicon.ico on whatever names no icon (the admin, files opened directly): no 404 for it."""
    return redirect(static("favicon.svg"))


# The scripts' catalogue changes only with a deploy; until a browser or the edge asks again, a new string shows in
# English, which gettext() falls back to.
JAVASCRIPT_CATALOG_MAX_AGE = 3600
_javascript_catalog = JavaScriptCatalog.as_view(packages=["newsroom"])  # our djangojs.po only, not the admin's


@require_GET
def javascript_catalog(request, language: str):
    """The words of static/js in `language`, for every page's <script> (base.html names the page's language in the
    address): the same for every reader, so browsers and the edge keep it; allowed by the CSP as the site's own."""
    if language not in dict(settings.LANGUAGES):
        raise Http404(translation.gettext("The site is not offered in that language."))
    with translation.override(language):
        response = _javascript_catalog(request)
    patch_cache_control(response, public=True, max_age=JAVASCRIPT_CATALOG_MAX_AGE)
    return response


@require_GET
def robots_txt(request):
    return render(request, "robots.txt", content_type="text/plain; charset=utf-8")


@requires_csrf_token
def bad_request(request, exception):
    """The 400 page (handler400): says what was wrong when the reason is a plain BadRequest's, which never quotes the
    request; other refusals (suspicious hosts, oversized bodies) get the general text. The body is never read again."""
    reason = str(exception) if isinstance(exception, BadRequest) else ""
    if request.path.startswith("/api/"):
        return JsonResponse(error_body((None, reason or _("This request is malformed."))), status=400)
    return render(request, "400.html", {"reason": reason}, status=400)


def server_error(request):
    """The 500 page (handler500): rendered without the request or the database, which may be what failed."""
    if request.path.startswith("/api/"):
        return JsonResponse(error_body((None, _("Something went wrong on our side; try again later."))), status=500)
    return HttpResponseServerError(loader.get_template("500.html").render({"SITE_NAME": settings.SITE_NAME}))


@require_GET
def healthz(request):
    """Liveness, for the orchestrator: the process answers requests. Touches nothing else, so a database or broker
    outage never gets healthy web processes restarted."""
    response = HttpResponse("ok", content_type="text/plain")
    add_never_cache_headers(response)
    return response


@require_GET
def readyz(request):
    """For the load balancer: 503 when the database does not answer (the site cannot serve), 200 otherwise, saying
    whether the cache, the task broker, the media storage and the read replica (when there is one) answer too
    ("degraded" when one does not: pages render uncached, e-mail and renditions wait in the database, uploads fail,
    pages read the primary). Each says "ok" or "unreachable", no more; the replica may say "lagging" (further
    behind than DATABASE_REPLICA_PIN_SECONDS)."""
    checks = {"database": "ok"}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        checks["database"] = "unreachable"
    checks["cache"] = _reachable(lambda: caches["ratelimit"].set("readyz", "1", timeout=5))  # the alias that raises
    checks["broker"] = _reachable(_ping_broker)
    checks["storage"] = _reachable(lambda: default_storage.exists("readyz"))
    if (replica := replica_status()) is not None:
        checks["replica"] = replica  # "lagging" or "unreachable": the pages read the primary, still served
    up = checks["database"] == "ok"
    degraded = any(value != "ok" for value in checks.values())
    checks["status"] = ("degraded" if degraded else "ok") if up else "down"
    response = JsonResponse(checks, status=200 if up else 503)
    add_never_cache_headers(response)
    return response


def _reachable(probe) -> str:
    try:
        probe()
    except Exception:  # whatever the backend raises when its server is gone; the reason goes to the log only
        logger.warning("Readiness check failed", exc_info=True)
        return "unreachable"
    return "ok"


def _ping_broker() -> None:
    """The RQ broker, when tasks go to one (TASKS_URL); the immediate backend in development has none to reach."""
    if settings.TASKS_URL:
        django_rq.get_connection("default").ping()
