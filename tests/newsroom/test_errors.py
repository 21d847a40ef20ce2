"""Error pages: each looks like the site and says what went wrong; bad input never reaches the database."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

SITE_LOOK = ('class="masthead__name"', "/static/css/site.css")


@pytest.fixture
def client():
    return Client(raise_request_exception=False)


@pytest.fixture
def failing_urls(settings):
    settings.ROOT_URLCONF = "tests.newsroom.errors_urls"


def page(response, status):
    assert response.status_code == status
    html = response.content.decode()
    assert all(part in html for part in SITE_LOOK), html[:500]
    return html


@pytest.mark.parametrize("path", ["/@%00/", "/@a%00b/", "/search/?q=a%00b", "/?page=1%01", "/?a%00=1", "/@a%1fb/"])
def test_control_characters_in_the_address_are_a_400_that_says_so(client, path):
    html = page(client.get(path), 400)
    assert "NUL or a control character" in html


@pytest.mark.parametrize("path", ["/search/?q=tab%09and%0Anewline", "/@no_such_reader/"])
def test_ordinary_whitespace_and_unknown_handles_pass_the_check(client, path):
    assert client.get(path).status_code in (200, 404)


def test_a_form_in_another_charset_is_a_400_that_names_the_problem(client):
    response = client.post(
        "/accounts/login/",
        data="username=cafe&password=x",
        content_type="application/x-www-form-urlencoded; charset=iso-8859-1",
    )
    assert "must be UTF-8 encoded" in page(response, 400)


def test_404_page(client):
    assert "Page not found" in page(client.get("/no/such/page/"), 404)


def test_403_page(client, failing_urls):
    assert "You can't do that here" in page(client.get("/refuses/"), 403)


def test_500_page_needs_neither_the_request_nor_the_database(client, failing_urls):
    html = page(client.get("/fails/"), 500)
    assert "Something went wrong on our side" in html and "a bug" not in html
