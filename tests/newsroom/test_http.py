"""Page numbers from the query string: one rule (newsroom.http.page_number) for every list, a clear 404 otherwise."""

from urllib.parse import quote

import pytest
from django.http import Http404
from django.test import Client, RequestFactory
from django.urls import reverse

from articles.models import Article
from newsroom.http import MAX_PAGE, NO_SUCH_PAGE, NO_SUCH_POSITION, page_number
from tests.factories import ArticleFactory, AuthorFactory, CommentFactory, TagFactory, UserFactory

BAD_PAGES = ["99999999999999999999", "-1", "abc", "1e3", "0", "2.0", "+1", " 1", "١", str(MAX_PAGE + 1), "9" * 5000]


@pytest.mark.parametrize("value", ["", "1", "7", "07", str(MAX_PAGE)])
def test_a_page_number_is_a_whole_number_from_one_to_the_cap(value):
    request = RequestFactory().get("/", {"page": value})
    assert page_number(request) == (int(value) if value else 1)


def test_no_page_in_the_query_is_page_one():
    assert page_number(RequestFactory().get("/")) == 1


@pytest.mark.parametrize("value", BAD_PAGES)
def test_anything_else_is_no_such_page(value):
    with pytest.raises(Http404, match=str(NO_SUCH_PAGE)):
        page_number(RequestFactory().get("/", {"page": value}))


@pytest.fixture
def reader(db):
    return UserFactory()


@pytest.fixture
def paged_urls(reader):
    """Every address that reads `page` from its query, each with something on its first page."""
    author, tag = AuthorFactory(), TagFactory(name="Harbour")
    article = ArticleFactory(authors=[author], headline="Harbour news")
    article.tags.add(tag)
    comment = CommentFactory(article=article, author=reader)
    CommentFactory(article=article, parent=comment)  # a reply: the reader's one notification
    reader.saved_articles.create(article=article)
    return [
        author.get_absolute_url(),
        tag.get_absolute_url(),
        reverse("articles:search") + "?q=harbour",
        reverse("articles:saved"),
        article.get_absolute_url(),
        reverse("comments:story_threads", kwargs={"article_pk": article.pk}),
    ]


@pytest.fixture
def keyset_urls(reader, paged_urls):
    """Every list paged by "newer" and "older" (newsroom.http.keyset_page) instead of numbers."""
    article = Article.objects.get()
    return [reverse("articles:home"), article.section.get_absolute_url(), reader.get_absolute_url(), "/notifications/"]


def with_page(url: str, value: str, name: str = "page") -> str:
    return f"{url}{'&' if '?' in url else '?'}{name}={quote(value)}"


@pytest.fixture
def client(reader):
    client = Client(raise_request_exception=False)
    client.force_login(reader)
    return client


def test_every_list_answers_its_first_page(client, paged_urls):
    for url in paged_urls:
        assert client.get(with_page(url, "1")).status_code == 200, url


def test_every_list_answers_a_bad_page_number_with_a_404_that_says_so(client, paged_urls, record_property):
    tried, wrong = 0, []
    for url in paged_urls:
        for value in [*BAD_PAGES, "2"]:  # "2": a real number, past the last page of these one-page lists
            response = client.get(with_page(url, value))
            if response.status_code != 404 or str(NO_SUCH_PAGE) not in response.content.decode():
                wrong.append((url, value[:25], response.status_code))
            tried += 1
    assert wrong == []
    record_property("figures", f"{tried} bad inputs tried (page numbers on {len(paged_urls)} lists): all 4xx (404)")


BAD_POSITIONS = [
    *(value for value in BAD_PAGES if value != "2.0"),
    "1.",
    ".1",
    "1.2.3",
    "1.-2",
    "-1.2",
    "1_0.2",
    "１.2",
    "9" * 30 + ".1",
]


def test_every_keyset_list_answers_a_position_not_its_own_with_a_404_that_says_so(client, keyset_urls):
    wrong = []
    for url in keyset_urls:
        assert client.get(url).status_code == 200, url
        for name in ("before", "after"):
            for value in BAD_POSITIONS:
                response = client.get(with_page(url, value, name))
                if response.status_code != 404 or str(NO_SUCH_POSITION) not in response.content.decode():
                    wrong.append((url, name, value[:25], response.status_code))
        # A real position past either end of these one-item lists: nothing there.
        for query in ("before=1.1", f"after={10**17}.1"):
            if client.get(f"{url}?{query}").status_code != 404:
                wrong.append((url, query))
    assert wrong == []


@pytest.mark.parametrize("section", ["stories", "sections", "home"])
def test_sitemaps_refuse_a_bad_page_number_with_a_404(client, paged_urls, section):
    # Django's sitemap view reads `p` and answers 404 for a page it does not have; ours add nothing to it. (It reads
    # the number with int(), so " 1", "+1" and "١" are its page 1: lenient, never a 500.)
    url = reverse("sitemap_section", kwargs={"section": section})
    assert client.get(with_page(url, "1", "p")).status_code == 200
    answers = {value[:25]: client.get(with_page(url, value, "p")).status_code for value in [*BAD_PAGES, "2"]}
    assert answers == {value[:25]: 200 if value in (" 1", "+1", "١") else 404 for value in [*BAD_PAGES, "2"]}
    assert client.get(with_page(reverse("news_sitemap"), "99999999999999999999", "p")).status_code == 404
