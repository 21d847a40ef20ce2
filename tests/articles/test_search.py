"""Search: live stories only, ranked headline over deck over body, on SQLite and PostgreSQL alike."""

import pytest
from django.db import connection
from django.utils import timezone

from articles import search
from articles.models import Article
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def headlines(query):
    return [article.headline for article in search.search_stories(query)]


def test_headline_match_ranks_above_deck_match_above_body_only_match():
    ArticleFactory(headline="Markets steady", body="The harbour reopened after the storm.")
    ArticleFactory(headline="Ferries return", deck="The harbour reopened on Monday.")
    ArticleFactory(headline="Harbour reopens after storm")
    ArticleFactory(headline="Unrelated story")
    assert headlines("harbour") == ["Harbour reopens after storm", "Ferries return", "Markets steady"]


def test_drafts_and_scheduled_stories_never_appear():
    ArticleFactory(headline="Live harbour story")
    ArticleFactory(headline="Draft harbour story", status=Article.Status.DRAFT)
    ArticleFactory(headline="Review harbour story", status=Article.Status.REVIEW)
    ArticleFactory(headline="Scheduled harbour story", publish_at=timezone.now() + timezone.timedelta(hours=1))
    assert headlines("harbour") == ["Live harbour story"]


def test_every_word_must_match():
    ArticleFactory(headline="Harbour reopens", body="Boats are back.")
    ArticleFactory(headline="Harbour closes", body="Nothing moves.")
    assert headlines("harbour boats") == ["Harbour reopens"]


def test_excluded_words_and_phrases():
    ArticleFactory(headline="Harbour reopens", body="The boats are back in town.")
    ArticleFactory(headline="Harbour closes", body="The back of the boats.")
    assert headlines("harbour -closes") == ["Harbour reopens"]
    assert headlines('"boats are back"') == ["Harbour reopens"]


@pytest.mark.parametrize("query", ["", "   ", "-", '""', "-harbour"])
def test_queries_without_wanted_words_find_nothing_and_do_not_fail(query):
    ArticleFactory(headline="Harbour reopens")
    ArticleFactory(headline="Markets steady")
    assert headlines(query) == []


def test_hostile_query_is_just_text():
    ArticleFactory(headline="Harbour reopens")
    assert headlines("'); DROP TABLE articles_article; -- <script>") == []
    assert Article.objects.count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="stemming is PostgreSQL full-text search")
def test_postgres_search_stems_words():
    ArticleFactory(headline="Elections called early")
    assert headlines("election") == ["Elections called early"]


def test_search_page_lists_ranked_results_and_keeps_the_query(client):
    ArticleFactory(headline="Markets steady", body="The harbour reopened.")
    ArticleFactory(headline="Harbour reopens")
    response = client.get("/search/", {"q": "harbour"})
    html = response.content.decode()
    assert response.status_code == 200
    assert html.index("Harbour reopens") < html.index("Markets steady")
    assert '<input id="search-q" type="search" name="q" maxlength="200" value="harbour"' in html
    assert "2 stories for “harbour”" in html
    assert '<meta name="robots" content="noindex, follow">' in html
    assert response["X-Robots-Tag"] == "noindex"


def test_search_box_in_every_page_header(client):
    html = client.get("/").content.decode()
    assert (
        '<form class="masthead__search" role="search" aria-label="Site search" method="get" action="/search/">' in html
    )


def test_search_box_keeps_the_query_in_the_header(client):
    html = client.get("/search/", {"q": '"><script>'}).content.decode()
    assert 'value="&quot;&gt;&lt;script&gt;"' in html
    assert '"><script>' not in html


def test_empty_query_asks_for_words(client):
    ArticleFactory(headline="Harbour reopens")
    for params in ({"q": ""}, {"q": "   "}):
        html = client.get("/search/", params).content.decode()
        assert "Type one or more words to search for." in html
        assert "Harbour reopens" not in html


def test_search_page_without_a_query_shows_just_the_form(client):
    html = client.get("/search/").content.decode()
    assert 'name="q"' in html
    assert "Type one or more words" not in html


def test_too_long_query_is_refused_with_a_message(client):
    html = client.get("/search/", {"q": "harbour " * 40}).content.decode()
    assert "That search is too long: use at most 200 characters." in html


def test_no_results_says_so(client):
    html = client.get("/search/", {"q": "nothing-matches-this"}).content.decode()
    assert "No stories match these words." in html


def test_results_are_paginated_and_page_links_keep_the_query(client, django_assert_max_num_queries):
    ArticleFactory.create_batch(25, headline="Harbour news")
    with django_assert_max_num_queries(6):
        html = client.get("/search/", {"q": "harbour news"}).content.decode()
    assert html.count("Harbour news") == 20
    assert 'href="?q=harbour%20news&amp;page=2"' in html
    html = client.get("/search/", {"q": "harbour news", "page": 2}).content.decode()
    assert html.count("Harbour news") == 5
