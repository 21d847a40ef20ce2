"""Request helpers shared by every app's views."""

from django.conf import settings
from django.core.paginator import EmptyPage, Page, Paginator
from django.http import Http404, HttpResponse
from django.utils.cache import patch_cache_control
from django.utils.http import url_has_allowed_host_and_scheme

__all__ = ["MAX_PAGE", "NO_SUCH_PAGE", "safe_next", "page_number", "paginate", "shared_by_signed_out_readers"]

# Past any list the site has (100,000 pages of 20 stories is two million stories); a number beyond it never becomes
# an OFFSET (PostgreSQL's bigint ends at 19 digits: `?page=99999999999999999999` was a DataError, a 500).
MAX_PAGE = 100_000
NO_SUCH_PAGE = "There is no such page of this list: its pages are numbered from 1 to the last one."


def safe_next(request, default: str = "/") -> str:
    """The `next` address if it stays on this site, else `default`: no form ever sends a reader to another host."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


def page_number(request) -> int:
    """The `page` of the query string: 1 when there is none, else a whole number from 1 to MAX_PAGE written in digits.
    Anything else (abc, -1, 0, 1e3, a number past the cap) is a 404 saying there is no such page, as Django's own
    ListView and sitemaps answer: every list on the site reads its page here."""
    value = request.GET.get("page", "")
    if not value:
        return 1
    if not (value.isascii() and value.isdigit()) or len(value) > len(str(MAX_PAGE)) or not 1 <= int(value) <= MAX_PAGE:
        raise Http404(NO_SUCH_PAGE)
    return int(value)


def paginate(request, items, per_page: int) -> Page:
    """The page of `items` that the query asks for; a page past the last one is a 404 too (an empty list has its
    page 1, which says there is nothing yet)."""
    try:
        return Paginator(items, per_page).page(page_number(request))
    except EmptyPage:
        raise Http404(NO_SUCH_PAGE) from None


def shared_by_signed_out_readers(request, response: HttpResponse, *keys: str) -> HttpResponse:
    """Let shared caches (a CDN, Varnish) keep the page a signed-out reader got, for HTTP_SHARED_MAX_AGE seconds and
    stale beyond that (HTTP_STALE_*), tagged with the surrogate keys of what it shows so that a purge by key retires
    it (docs/architecture.md). The page must hold nothing of its reader: no form that needs a CSRF token, no
    message. A signed-in reader's page is private. Should the response set a cookie all the same (a message, a
    token), newsroom.middleware.private_when_setting_cookies makes it private on its way out."""
    if request.user.is_authenticated or response.status_code != 200:
        patch_cache_control(response, private=True)
        return response
    patch_cache_control(
        response,
        public=True,
        max_age=0,
        s_maxage=settings.HTTP_SHARED_MAX_AGE,
        stale_while_revalidate=settings.HTTP_STALE_WHILE_REVALIDATE,
        stale_if_error=settings.HTTP_STALE_IF_ERROR,
    )
    response["Surrogate-Key"] = " ".join(keys)
    return response
