"""Request helpers shared by every app's views."""

import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.paginator import EmptyPage, Page, Paginator
from django.db import connections
from django.db.models import Q, QuerySet
from django.http import Http404, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy

__all__ = [
    "MAX_PAGE",
    "NO_SUCH_PAGE",
    "safe_next",
    "whole_number",
    "page_number",
    "paginate",
    "KeysetPage",
    "keyset_page",
    "older_than_query",
    "older_than",
    "capped_count",
    "EstimatedCountPaginator",
    "shared_by_signed_out_readers",
    "live_refused",
    "position_token",
    "parse_position",
    "remember_language",
]

# Past any list the site has (100,000 pages of 20 stories is two million stories); a number beyond it never becomes
# an OFFSET (PostgreSQL's bigint ends at 19 digits: `?page=99999999999999999999` was a DataError, a 500).
MAX_PAGE = 100_000
# Lazy, so each reader reads them in their language; a 404 needs them as text (str()), which Django's page shows.
NO_SUCH_PAGE = gettext_lazy("There is no such page of this list: its pages are numbered from 1 to the last one.")


def safe_next(request, default: str = "/") -> str:
    """The `next` address if it stays on this site, else `default`: no form ever sends a reader to another host."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


def whole_number(value: str | None, *, digits: int = 18) -> int | None:
    """`value` as a whole number if it is one written in at most `digits` ASCII digits (18 fit a bigint), else
    None: the one check of every number the site reads from an address or a query string."""
    if not value or len(value) > digits or not (value.isascii() and value.isdigit()):
        return None
    return int(value)


def page_number(request) -> int:
    """The `page` of the query string: 1 when there is none, else a whole number from 1 to MAX_PAGE written in digits.
    Anything else (abc, -1, 0, 1e3, a number past the cap) is a 404 saying there is no such page, as Django's own
    ListView and sitemaps answer: every list on the site reads its page here."""
    value = request.GET.get("page", "")
    if not value:
        return 1
    number = whole_number(value, digits=len(str(MAX_PAGE)))
    if number is None or not 1 <= number <= MAX_PAGE:
        raise Http404(str(NO_SUCH_PAGE))
    return number


def paginate(request, items, per_page: int) -> Page:
    """The page of `items` that the query asks for; a page past the last one is a 404 too (an empty list has its
    page 1, which says there is nothing yet)."""
    try:
        return Paginator(items, per_page).page(page_number(request))
    except EmptyPage:
        raise Http404(str(NO_SUCH_PAGE)) from None


# ---------------------------------------------------------------------------------------------------------------
# Keyset pages: "newer" and "older" instead of numbered pages, for the lists that grow with the archive (home and
# section pages, a reader's comments and notifications). Each page starts where the one before it ended, so the
# database reads the page's rows through an index at any depth; an OFFSET read and threw away every row before the
# page, and "page X of Y" counted them all on every page.
# ---------------------------------------------------------------------------------------------------------------

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
NO_SUCH_POSITION = gettext_lazy("There is no such place in this list: follow its “newer” and “older” links.")


def _token(moment: datetime, pk: int) -> str:
    return f"{(moment - _EPOCH) // timedelta(microseconds=1)}.{pk}"


def _parse_token(value: str) -> tuple[datetime, int]:
    micros, _, pk = value.partition(".")
    micros, pk = whole_number(micros, digits=21), whole_number(pk)
    if micros is None or pk is None:
        raise Http404(str(NO_SUCH_POSITION))
    try:
        return _EPOCH + timedelta(microseconds=micros), pk
    except OverflowError:
        raise Http404(str(NO_SUCH_POSITION)) from None


def older_than_query(key: tuple[datetime, int]) -> str:
    """The query string of the page older than `key` (time, id): what an "older" link holds."""
    return f"before={_token(*key)}"


def position_token(key: tuple[datetime, int]) -> str:
    """A place (time, id) in a list newest first as text, as the "older" and "newer" links hold it (the API signs it
    into its cursors)."""
    return _token(*key)


def parse_position(value: str) -> tuple[datetime, int] | None:
    """The place a position_token() wrote, or None when `value` is not one."""
    try:
        return _parse_token(value)
    except Http404:
        return None


@dataclass
class KeysetPage:
    """A page of a list newest first, with the query strings of the pages on either side (None: none there)."""

    object_list: list
    newer_query: str | None
    older_query: str | None
    # The position this page was asked for ("before=..." or "after=..."), None for the newest page: its canonical.
    query: str | None = None
    keyset = True

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self):
        return len(self.object_list)

    def __getitem__(self, index):
        return self.object_list[index]

    def __bool__(self):
        return bool(self.object_list)

    @property
    def is_first(self) -> bool:
        return self.newer_query is None

    def has_other_pages(self) -> bool:
        return self.newer_query is not None or self.older_query is not None


def keyset_page(request, items: QuerySet, per_page: int, *, time_field: str) -> KeysetPage:
    """The page of `items` (newest first by `time_field`, then id) that `?before=` or `?after=` asks for; the newest
    page without either. One query of at most `per_page` + 1 rows; an index on (filters..., time_field DESC, id DESC)
    makes it read no more than that at any depth. A position that is not one of ours, or past the end, is a 404."""
    before, after = request.GET.get("before"), request.GET.get("after")
    if before and after:
        raise Http404(str(NO_SUCH_POSITION))
    if after:
        # The page just newer than the position: read upwards from it, shown newest first.
        moment, pk = _parse_token(after)
        newer = Q(**{f"{time_field}__gt": moment}) | Q(**{time_field: moment, "pk__gt": pk})
        rows = list(items.filter(newer, **{f"{time_field}__gte": moment}).order_by(time_field, "pk")[: per_page + 1])
        more_newer = len(rows) > per_page
        rows = rows[:per_page][::-1]
        if not rows:
            raise Http404(str(NO_SUCH_POSITION))
        return KeysetPage(
            rows,
            newer_query=f"after={_token(*_key(rows[0], time_field))}" if more_newer else None,
            older_query=older_than_query(_key(rows[-1], time_field)),
            query=f"after={after}",
        )
    if before:
        items = older_than(items, _parse_token(before), time_field=time_field)
    rows = list(items.order_by(f"-{time_field}", "-pk")[: per_page + 1])
    more_older = len(rows) > per_page
    rows = rows[:per_page]
    if before and not rows:
        raise Http404(str(NO_SUCH_POSITION))
    return KeysetPage(
        rows,
        newer_query=f"after={_token(*_key(rows[0], time_field))}" if before else None,
        older_query=older_than_query(_key(rows[-1], time_field)) if more_older else None,
        query=f"before={before}" if before else None,
    )


def older_than(items: QuerySet, key: tuple[datetime, int], *, time_field: str) -> QuerySet:
    """The `items` older than `key` (time, id): where a keyset page newest first starts after the one before it (the
    pages here, the API's cursors)."""
    moment, pk = key
    older = Q(**{f"{time_field}__lt": moment}) | Q(**{time_field: moment, "pk__lt": pk})
    # The redundant bound is what an index range starts from; the OR alone is a filter.
    return items.filter(older, **{f"{time_field}__lte": moment})


def _key(item, time_field: str) -> tuple[datetime, int]:
    return getattr(item, time_field), item.pk


def capped_count(items: QuerySet, cap: int) -> int:
    """How many `items` there are, counted no further than `cap`: a bounded read where COUNT(*) reads them all."""
    return items.order_by()[:cap].count()


class EstimatedCountPaginator(Paginator):
    """For the admin's lists of big tables (half a million comments): the exact count up to `exact_up_to`, past it
    PostgreSQL's estimate of the query's rows (its planner's, from the table statistics), so a list page never
    counts every row. SQLite counts."""

    exact_up_to = 10_000

    @cached_property
    def count(self) -> int:
        exact = self.object_list.order_by()[: self.exact_up_to + 1].count()
        if exact <= self.exact_up_to or self.object_list.db is None:
            return exact
        query = self.object_list.order_by()
        if connections[query.db].vendor != "postgresql":
            return query.count()
        plan = json.loads(query.explain(format="json"))
        return max(exact, int(plan[0]["Plan"]["Plan Rows"]))


def shared_by_signed_out_readers(request, response: HttpResponse, *keys: str) -> HttpResponse:
    """Let shared caches (a CDN, Varnish) keep the page a signed-out reader got, for HTTP_SHARED_MAX_AGE seconds and
    stale beyond that (HTTP_STALE_*), tagged with the surrogate keys of what it shows so that a purge by key retires
    it (docs/architecture.md). The page must hold nothing of its reader: no form that needs a CSRF token, no
    message. A signed-in reader's page is private. Should the response set a cookie all the same (a message, a
    token), newsroom.middleware.private_when_setting_cookies makes it private on its way out."""
    if request.user.is_authenticated or response.status_code != 200:
        patch_cache_control(response, private=True)
        return response
    shared_max_age, stale = settings.HTTP_SHARED_MAX_AGE, settings.HTTP_STALE_WHILE_REVALIDATE
    # Something on the page changes by the clock (a discussion closing for the night, comments.selectors): kept
    # until then at most, and not served stale past it.
    until = getattr(request, "shared_cache_until", None)
    if until is not None:
        left = max(1, math.ceil((until - timezone.now()).total_seconds()))
        if left < shared_max_age:
            shared_max_age, stale = left, 0
    patch_cache_control(
        response,
        public=True,
        max_age=0,
        s_maxage=shared_max_age,
        stale_while_revalidate=stale,
        stale_if_error=settings.HTTP_STALE_IF_ERROR,
    )
    response["Surrogate-Key"] = " ".join(keys)
    return response


def live_refused(message: str, *, status: int = 400, refresh: bool = False) -> JsonResponse:
    """A live poll's refusal (static/js/live.js, for comments and live blogs alike): JSON naming what was wrong, with
    `refresh` when the page itself is the problem (its version is garbage or from the future). Never kept by anyone."""
    response = JsonResponse({"error": message, **({"refresh": True} if refresh else {})}, status=status)
    patch_cache_control(response, private=True, no_store=True)
    return response


def remember_language(response: HttpResponse, language: str) -> HttpResponse:
    """Keep the reader's chosen language in Django's language cookie, which LocaleMiddleware reads before the
    browser's Accept-Language (and the edge too, deploy/varnish); blank forgets it: the browser's choice again."""
    if not language:
        response.delete_cookie(
            settings.LANGUAGE_COOKIE_NAME, path=settings.LANGUAGE_COOKIE_PATH, domain=settings.LANGUAGE_COOKIE_DOMAIN
        )
        return response
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response
