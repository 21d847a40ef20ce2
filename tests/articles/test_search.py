"""Search: live stories only, ranked headline over deck over body, on SQLite and PostgreSQL alike."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles import search
from articles.models import Article
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db

sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's FTS5 index")
postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL full-text search")

# What readers type into search boxes by accident or on purpose: FTS5 and tsquery syntax, unbalanced quotes and
# brackets, SQL, markup, scripts from both directions, invisible characters, one very long word.
HOSTILE_QUERIES = [
    '"',
    '"""',
    '"harbour',
    'harbour"',
    "*",
    "harbour*",
    "^harbour",
    "NEAR(",
    "NEAR(harbour storm, 2)",
    "harbour NEAR storm",
    "-",
    "--",
    "- -harbour",
    "AND",
    "harbour AND",
    "OR NOT AND",
    "harbour OR",
    "(",
    "harbour)",
    "{headline deck}: harbour",
    "headline:harbour",
    "body : storm",
    "+harbour",
    "harbour & storm | !rain <-> sea",
    "'",
    "'); DROP TABLE articles_storysearch; --",
    "<script>alert(1)</script>",
    "Zürich Ærø ﬁsh İstanbul",
    "北京 天气",
    "مرفأ العاصفة",
    "🙂🌊",
    "\u200b\u200d\ufeff",
    "harbour\u0301",
    "_",
    "x" * 200,
]


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


def test_search_stems_words():
    ArticleFactory(headline="Elections called early")
    assert headlines("election") == ["Elections called early"]


def test_words_match_whole_words_not_fragments_of_longer_ones():
    ArticleFactory(headline="Storm hits the coast", body="The sea wall was damaged overnight.")
    ArticleFactory(headline="Reservoir holds", body="The dam held through the night.")
    ArticleFactory(headline="Meltwater rises", body="The dam below the glacier is full.")
    assert headlines("dam -glacier") == ["Reservoir holds"]


def test_plurals_and_verb_forms_find_each_other():
    ArticleFactory(headline="The glacier retreats", body="Ice is lost every summer.")
    ArticleFactory(headline="Trains run late", body="Signals failed.")
    ArticleFactory(headline="Running repairs", body="The pier is patched.")
    assert headlines("glaciers") == ["The glacier retreats"]
    assert sorted(headlines("running")) == ["Running repairs", "Trains run late"]
    assert sorted(headlines("run")) == ["Running repairs", "Trains run late"]


def test_markup_in_the_body_is_not_searched_only_its_text():
    ArticleFactory(
        headline="Flood report out",
        body='Read <a href="https://example.org/report" title="pdf">the full study</a> and <strong>act</strong>.',
    )
    assert headlines("study") == ["Flood report out"]
    for word in ("href", "example", "pdf", "strong"):
        assert headlines(word) == [], word


def test_an_edited_story_is_found_by_its_new_words_and_no_longer_by_its_old_ones():
    story = ArticleFactory(headline="Harbour reopens", deck="Boats return.", body="Fishing resumes at dawn.")
    story.headline, story.deck, story.body = "Ferry service resumes", "Crossings restart.", "Passengers queue."
    story.save()
    for old in ("harbour", "boats", "fishing"):
        assert headlines(old) == [], old
    for new in ("ferry", "crossings", "passengers"):
        assert headlines(new) == ["Ferry service resumes"], new
    # A write that bypasses the model (a bulk update, the shell, another program) keeps the index right too.
    Article.objects.filter(pk=story.pk).update(body="Gulls circle the quay.")
    assert headlines("passengers") == []
    assert headlines("gulls") == ["Ferry service resumes"]


def test_a_story_taken_down_is_no_longer_found():
    story = ArticleFactory(headline="Harbour reopens")
    story.status = Article.Status.DRAFT
    story.save()
    assert headlines("harbour") == []


@pytest.mark.parametrize("query", HOSTILE_QUERIES)
def test_hostile_queries_answer_a_page_and_never_fail(client, query):
    ArticleFactory(headline="Harbour reopens after the storm", body="Zürich and 北京 report calm seas.")
    response = client.get("/search/", {"q": query})
    assert response.status_code == 200
    assert response.context["search_query"] == query
    assert isinstance(headlines(query * 5), list)  # past the form's limit, straight to the search


def test_punctuation_around_a_word_still_finds_it():
    ArticleFactory(headline="Harbour reopens after the storm")
    for query in ('"harbour', "harbour*", "(harbour)", "+harbour", "harbour!"):
        assert headlines(query) == ["Harbour reopens after the storm"], query


@sqlite_only
def test_fts5_query_quotes_every_term_so_nothing_typed_is_syntax():
    assert search.fts5_query(['say "no"', "NEAR(", "AND"], ["x*", "col:y"]) == (
        '("say ""no""" AND "NEAR(" AND "AND") NOT ("x*" OR "col:y")'
    )


@sqlite_only
def test_sqlite_search_ignores_accents():
    ArticleFactory(headline="Zürich votes", body="A café reopens in São Paulo.")
    assert headlines("zurich") == ["Zürich votes"]
    assert headlines("cafe sao") == ["Zürich votes"]


@sqlite_only
def test_sqlite_index_stays_consistent_through_inserts_edits_and_deletes():
    stories = ArticleFactory.create_batch(3, body='Some <em>marked-up</em> <a href="https://example.org">text</a>.')
    stories[0].body = "A new body."
    stories[0].save()
    Article.objects.filter(pk=stories[1].pk).update(headline="A new headline", body="Plain now & then.")
    stories[2].delete()
    with connection.cursor() as cursor:
        # FTS5 compares its index with what the content view gives and raises "database disk image is malformed"
        # on any difference.
        cursor.execute("INSERT INTO articles_storysearch(articles_storysearch, rank) VALUES ('integrity-check', 1)")
        cursor.execute("SELECT count(*) FROM articles_storysearch WHERE articles_storysearch MATCH 'marked'")
        assert cursor.fetchone() == (0,)


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
    ArticleFactory.create_batch(3, headline="Harbour news")
    with CaptureQueriesContext(connection) as few:
        client.get("/search/", {"q": "harbour news"})
    ArticleFactory.create_batch(22, headline="Harbour news")
    with django_assert_max_num_queries(len(few)):
        html = client.get("/search/", {"q": "harbour news"}).content.decode()
    # On PostgreSQL the time limit adds its SET LOCAL and, inside the test's transaction, a savepoint and its release.
    assert len(few) <= (9 if connection.vendor == "postgresql" else 6)
    assert html.count("Harbour news") == 20
    assert 'href="?q=harbour%20news&amp;page=2"' in html
    html = client.get("/search/", {"q": "harbour news", "page": 2}).content.decode()
    assert html.count("Harbour news") == 5


@postgres_only
def test_postgres_search_reads_the_gin_index_of_the_stored_documents():
    ArticleFactory.create_batch(3)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a table this small would be read whole otherwise
    # All stories, so that the index of live ones is no way in: the words' index or reading the table.
    plan = search.search_stories("harbour -storm", stories=Article.objects.all()).explain()
    assert "article_search_document_idx" in plan, plan


@postgres_only
def test_a_search_that_runs_too_long_asks_for_more_words_and_keeps_the_query(client, settings, monkeypatch):
    ArticleFactory(headline="Council meets")
    settings.SEARCH_TIME_LIMIT_MS = 50
    real = search.search_stories

    def slow(query, stories=None):  # ranking a word in most of a big archive, as slow as it gets there
        return real(query, stories).extra(where=["pg_sleep(0.5)::text = ''"])

    monkeypatch.setattr(search, "search_stories", slow)
    response = client.get("/search/?q=council")
    assert response.status_code == 200
    html = response.content.decode()
    assert "So many stories match that the search took too long" in html and 'value="council"' in html
    # The connection is usable afterwards, and a quick search is not limited.
    monkeypatch.setattr(search, "search_stories", real)
    assert "Council meets" in client.get("/search/?q=council").content.decode()


def test_past_the_cap_the_page_says_more_and_counts_no_further(client, monkeypatch, django_assert_max_num_queries):
    monkeypatch.setattr(search, "RESULTS_CAP", 5)
    now = timezone.now()
    for n in range(8):
        ArticleFactory(headline=f"Harbour news {n}", publish_at=now - timezone.timedelta(hours=n))
    with CaptureQueriesContext(connection) as few:
        html = client.get("/search/", {"q": "harbour"}).content.decode()
    assert "More than 5 stories for “harbour”: the 5 newest, best match first" in html
    assert html.count("Harbour news") == 5
    if connection.vendor == "postgresql":  # ranked within the newest matches
        assert all(f"Harbour news {n}" in html for n in range(5))
    # The count reads at most cap + 1 rows: the same queries with a hundred more matches.
    ArticleFactory.create_batch(100, headline="Harbour news again")
    with django_assert_max_num_queries(len(few)):
        assert "More than 5 stories" in client.get("/search/", {"q": "harbour"}).content.decode()
    assert client.get("/search/", {"q": "harbour", "page": 2}).status_code == 404


def test_under_the_cap_the_page_gives_the_exact_count(client):
    ArticleFactory.create_batch(2, headline="Harbour news")
    assert "2 stories for “harbour”" in client.get("/search/", {"q": "harbour"}).content.decode()


@postgres_only
def test_the_stored_document_follows_the_words_whatever_writes_the_row():
    story = ArticleFactory(headline="Council meets")
    Article.objects.filter(pk=story.pk).update(headline="Glacier melts")  # no save(), no signal: the trigger
    assert headlines("glacier") == ["Glacier melts"] and headlines("council") == []
    Article.objects.filter(pk=story.pk).update(correction="A note")  # not a searched column: the document stays
    assert headlines("glacier") == ["Glacier melts"]


@pytest.mark.django_db
def test_the_admin_autocomplete_finds_a_story_from_a_word_still_being_typed():
    """Editors pick a MORE link's story by typing its headline: the last word counts as the start of one (on
    PostgreSQL, of a word that is indexed: "How t" finds nothing there, "the" being a stop word)."""
    wanted = ArticleFactory(headline="How the storm was forecast")
    ArticleFactory(headline="Harbour reopens after the storm")
    assert list(search.search_stories("How the storm fore", stories=Article.objects.all(), prefix=True)) == [wanted]
    assert list(search.search_stories("forec", stories=Article.objects.all(), prefix=True)) == [wanted]
    assert set(search.search_stories("storm", stories=Article.objects.all(), prefix=True)) == set(Article.objects.all())
    # A reader's search matches whole words only; query syntax typed as the last word is only text.
    assert list(search.search_stories("forec")) == []
    for typed in ["t:*", "t&", "'", "(t", 'How "t']:
        list(search.search_stories(typed, stories=Article.objects.all(), prefix=True))
