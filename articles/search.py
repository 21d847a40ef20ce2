"""Reader search: live stories ranked by relevance, full-text on PostgreSQL and on SQLite (FTS5) alike.

A search never counts all its matches: past RESULTS_CAP it says "more than 1,000". On PostgreSQL it ranks the
RESULTS_CAP newest matches (found through the GIN index on the stored document, or by walking the live stories
newest first when the word is in most of them) by the document kept on each row: a word found in 93% of a
100,000-story archive costs what a rare one does, where ranking every match read and ranked 93,000 documents.
Why not an index that orders by rank (RUM): it is an extension that not every managed PostgreSQL offers, a
bigger index written on every story save, and a newsroom's reader looks for recent stories first anyway.
"""

import re
from contextlib import contextmanager

from django import forms
from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.core.paginator import Paginator
from django.db import OperationalError, connections, transaction
from django.db.models import F, FloatField, Func, Lookup, QuerySet, Value
from django.utils.functional import cached_property
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from articles import text
from articles.models import Article, StorySearchEntry

__all__ = [
    "SearchForm",
    "SearchTooBroad",
    "CappedPaginator",
    "RESULTS_CAP",
    "search_stories",
    "time_limit",
    "fts5_query",
    "sqlite_functions",
    "MAX_QUERY_LENGTH",
]

MAX_QUERY_LENGTH = 200
# The language of the site's stories, for stemming ("elections" finds "election").
SEARCH_CONFIG = "english"
# Headline over deck over body: PostgreSQL's default weights for A, B and C, which SQLite's bm25() takes as well.
COLUMN_WEIGHTS = (1.0, 0.4, 0.2)
MAX_TERMS = 10
# How many matches a search ranks and pages through at most; past it the page says "more than 1,000".
RESULTS_CAP = 1000
# The function SQLite's index triggers call for a story's plain text (migration 0006 creates them).
SQLITE_PLAIN_TEXT = "articles_plain_text"

_TERM = re.compile(r'(-?)"([^"]+)"|(-?)(\S+)')
# A term with no letter or digit has no word for the tokenizer, and FTS5 matches nothing for an empty phrase.
_HAS_WORD = re.compile(r"[^\W_]")
# A word as the admin's prefix search takes it: letters and digits, nothing the query languages would read.
_WORD = re.compile(r"[^\W_]+")


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search stories"),
        max_length=MAX_QUERY_LENGTH,
        strip=True,
        error_messages={
            "required": _("Type one or more words to search for."),
            "max_length": format_lazy(
                _("That search is too long: use at most {limit} characters."), limit=MAX_QUERY_LENGTH
            ),
        },
    )


class CappedPaginator(Paginator):
    """Pages of at most `cap` results, counted no further than `cap` + 1: `more` says whether there are others."""

    def __init__(self, object_list, per_page, *, cap: int | None = None, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.cap = cap if cap is not None else RESULTS_CAP

    @cached_property
    def _found(self) -> int:
        return self.object_list[: self.cap + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self._found, self.cap)

    @property
    def more(self) -> bool:
        return self._found > self.cap


class SearchTooBroad(Exception):
    """The search would take longer than SEARCH_TIME_LIMIT_MS: the reader is asked for more words instead."""


@contextmanager
def time_limit():
    """Run a search's queries under PostgreSQL's statement_timeout: ranking a word found in most of a 100,000-story
    archive takes seconds, and no reader's search may hold a worker thread that long. SQLite's FTS5 needs none."""
    connection = connections["default"]
    if connection.vendor != "postgresql":
        yield
        return
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL statement_timeout = %s", [settings.SEARCH_TIME_LIMIT_MS])
            yield
    except OperationalError as error:  # psycopg's QueryCanceled
        if "statement timeout" not in str(error):
            raise
        raise SearchTooBroad from error


def search_stories(query: str, stories: QuerySet[Article] | None = None, *, prefix: bool = False) -> QuerySet[Article]:
    """Live stories matching `query` (web-search syntax: words, "phrases", -excluded), best match first. With
    `prefix`, as an editor types in the admin: every word of the query, each as the start of a word ("How t"
    finds "How the storm...")."""
    stories = stories if stories is not None else Article.objects.published()
    if prefix:
        words = _WORD.findall(query)[:MAX_TERMS]
        if not words:
            return stories.none()
        if connections[stories.db].vendor == "postgresql":
            # Each word is letters and digits only, so nothing typed is read as tsquery syntax.
            raw = " & ".join(f"{word}:*" for word in words)
            return _postgres_search(stories, SearchQuery(raw, search_type="raw", config=SEARCH_CONFIG))
        return _sqlite_search(stories, " AND ".join(f'"{word}"*' for word in words))
    wanted, excluded = _terms(query)
    if not wanted:
        # Only exclusions ("-rain") would list nearly every story: that is browsing, not a search.
        return stories.none()
    if connections[stories.db].vendor == "postgresql":
        return _postgres_search(stories, SearchQuery(query, search_type="websearch", config=SEARCH_CONFIG))
    return _sqlite_search(stories, fts5_query(wanted, excluded))


def _postgres_search(stories: QuerySet[Article], search_query: SearchQuery) -> QuerySet[Article]:
    """The RESULTS_CAP + 1 newest matches (one more, so the paginator knows there are others), best first."""
    newest = stories.filter(search_document=search_query).order_by("-publish_at", "-pk").values("pk")
    return (
        stories.filter(pk__in=newest[: RESULTS_CAP + 1])
        .annotate(rank=SearchRank(F("search_document"), search_query))
        .order_by("-rank", "-publish_at", "-pk")
    )


def _terms(query: str) -> tuple[list[str], list[str]]:
    """Wanted and excluded terms, websearch-style: quotes keep a phrase together, a leading minus excludes."""
    wanted, excluded = [], []
    for quoted_minus, phrase, minus, word in _TERM.findall(query):
        term = (phrase or word).strip()
        if not _HAS_WORD.search(term):
            continue
        (excluded if (quoted_minus or minus) else wanted).append(term)
    return wanted[:MAX_TERMS], excluded[:MAX_TERMS]


def fts5_query(wanted: list[str], excluded: list[str]) -> str:
    """An FTS5 MATCH expression: every wanted term and none of the excluded. Each term is one double-quoted
    string, so nothing a reader types is read as FTS5 syntax (operators, columns, prefixes, parentheses); a
    quoted string of several words is a phrase."""

    def quoted(term: str) -> str:
        return '"' + term.replace('"', '""') + '"'

    match = " AND ".join(quoted(term) for term in wanted)
    if excluded:
        match = f"({match}) NOT ({' OR '.join(quoted(term) for term in excluded)})"
    return match


class _Match(Lookup):
    """FTS5's condition `<table> MATCH <query>`, on the hidden column named after the table."""

    lookup_name = "match"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} MATCH {rhs}", [*lhs_params, *rhs_params]


StorySearchEntry._meta.get_field("document").register_lookup(_Match)


class _BM25(Func):
    """FTS5's relevance of the matched row with per-column weights: lower is better."""

    function = "bm25"
    output_field = FloatField()


def _sqlite_search(stories: QuerySet[Article], match: str) -> QuerySet[Article]:
    return (
        stories.filter(search_entry__document__match=match)
        .annotate(rank=_BM25("search_entry__document", *(Value(weight) for weight in COLUMN_WEIGHTS)))
        .order_by("rank", "-publish_at", "-pk")
    )


def sqlite_functions(sender, connection, **kwargs) -> None:
    """On each new SQLite connection, the plain-text function the search index's triggers call."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(SQLITE_PLAIN_TEXT, 1, text.plain_text, deterministic=True)
