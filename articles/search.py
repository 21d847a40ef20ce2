"""Reader search: published stories ranked by relevance, full-text on PostgreSQL, a word match elsewhere."""

import re
from functools import reduce
from operator import add

from django import forms
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connections
from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When

from articles.models import Article

__all__ = ["SearchForm", "search_stories", "MAX_QUERY_LENGTH"]

MAX_QUERY_LENGTH = 200
# The language of the site's stories, for stemming ("elections" finds "election").
SEARCH_CONFIG = "english"
MAX_FALLBACK_TERMS = 10

_TERM = re.compile(r'(-?)"([^"]+)"|(-?)(\S+)')


class SearchForm(forms.Form):
    q = forms.CharField(
        label="Search stories",
        max_length=MAX_QUERY_LENGTH,
        strip=True,
        error_messages={
            "required": "Type one or more words to search for.",
            "max_length": f"That search is too long: use at most {MAX_QUERY_LENGTH} characters.",
        },
    )


def search_stories(query: str, stories: QuerySet[Article] | None = None) -> QuerySet[Article]:
    """Live stories matching `query` (web-search syntax: words, "phrases", -excluded), best match first."""
    stories = stories if stories is not None else Article.objects.published()
    if not _terms(query)[0]:
        # Only exclusions ("-rain") would list nearly every story: that is browsing, not a search.
        return stories.none()
    if connections[stories.db].vendor == "postgresql":
        return _postgres_search(stories, query)
    return _fallback_search(stories, query)


def _postgres_search(stories: QuerySet[Article], query: str) -> QuerySet[Article]:
    vector = (
        SearchVector("headline", weight="A", config=SEARCH_CONFIG)
        + SearchVector("deck", weight="B", config=SEARCH_CONFIG)
        + SearchVector("body", weight="C", config=SEARCH_CONFIG)
    )
    search_query = SearchQuery(query, search_type="websearch", config=SEARCH_CONFIG)
    return (
        stories.annotate(search=vector, rank=SearchRank(vector, search_query))
        .filter(search=search_query)
        .order_by("-rank", "-publish_at", "-pk")
    )


def _terms(query: str) -> tuple[list[str], list[str]]:
    """Wanted and excluded terms, websearch-style: quotes keep a phrase together, a leading minus excludes."""
    wanted, excluded = [], []
    for quoted_minus, phrase, minus, word in _TERM.findall(query):
        term = (phrase or word).strip()
        if not term or term == "-":
            continue
        (excluded if (quoted_minus or minus) else wanted).append(term)
    return wanted[:MAX_FALLBACK_TERMS], excluded[:MAX_FALLBACK_TERMS]


def _fallback_search(stories: QuerySet[Article], query: str) -> QuerySet[Article]:
    """Every wanted term somewhere in the story; each scores by where it matches, headline over deck over body."""
    wanted, excluded = _terms(query)
    if not wanted:
        return stories.none()
    for term in wanted:
        stories = stories.filter(Q(headline__icontains=term) | Q(deck__icontains=term) | Q(body__icontains=term))
    for term in excluded:
        stories = stories.exclude(Q(headline__icontains=term) | Q(deck__icontains=term) | Q(body__icontains=term))
    scores = [
        Case(
            When(headline__icontains=term, then=Value(4)),
            When(deck__icontains=term, then=Value(2)),
            default=Value(1),
            output_field=IntegerField(),
        )
        for term in wanted
    ]
    return stories.annotate(rank=reduce(add, scores)).order_by(F("rank").desc(), "-publish_at", "-pk")
