"""A multipart body without its closing boundary is a 400 that stores nothing: by the test client and a socket."""

import http.client
import io
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from comments.models import Comment
from newsroom.middleware import CutShortBody, _ClosingBoundaryCheck
from tests.factories import ArticleFactory, UserFactory

BOUNDARY = "----newsroomTestBoundary7MA4YWxkTrZu0gW"
CUT_SHORT = "The form arrived cut short"

SIGN_UP = {
    "handle": "late_comer",
    "email": "late@example.com",
    "password1": "a long and sound passphrase",
    "password2": "a long and sound passphrase",
    "display_name": "Late Comer",
}


def multipart(fields: dict[str, str]) -> bytes:
    """A whole multipart/form-data body, as a browser sends it."""
    parts = "".join(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields.items()
    )
    return f"{parts}--{BOUNDARY}--\r\n".encode()


def cut(body: bytes, before: str) -> bytes:
    """The body up to (not including) the text `before`: a client or proxy that stopped sending there."""
    return body[: body.index(before.encode())]


WHERE = ["inside the last value", "without the closing boundary", "inside the closing boundary"]


def truncations(fields: dict[str, str], last_value: str) -> dict[str, bytes]:
    whole = multipart(fields)
    stops = [last_value[len(last_value) // 2 :], f"--{BOUNDARY}--", f"{BOUNDARY[6:]}--"]
    return {where: cut(whole, stop) for where, stop in zip(WHERE, stops, strict=True)}


CONTENT_TYPE = f"multipart/form-data; boundary={BOUNDARY}"


@pytest.fixture
def client():
    return Client(raise_request_exception=False)


@pytest.fixture
def story_and_reader(db):
    return ArticleFactory(), UserFactory()


def comment_url(article) -> str:
    return reverse("comments:post", kwargs={"article_pk": article.pk})


def test_a_whole_multipart_comment_is_posted(client, story_and_reader):
    article, reader = story_and_reader
    client.force_login(reader)
    response = client.post(comment_url(article), multipart({"body": "Hello world"}), content_type=CONTENT_TYPE)
    assert response.status_code == 302
    assert Comment.objects.get().body == "Hello world"


@pytest.mark.parametrize("where", WHERE)
def test_a_comment_cut_short_is_a_400_that_stores_nothing(client, story_and_reader, where):
    article, reader = story_and_reader
    client.force_login(reader)
    body = truncations({"body": "Hello world, this is the whole comment"}, "this is the whole comment")[where]
    response = client.post(comment_url(article), body, content_type=CONTENT_TYPE)
    assert response.status_code == 400
    assert CUT_SHORT in response.content.decode()
    assert not Comment.objects.exists()


@pytest.mark.parametrize("where", WHERE)
def test_a_sign_up_cut_short_is_a_400_that_stores_nothing(client, db, where):
    response = client.post(reverse("signup"), truncations(SIGN_UP, "Late Comer")[where], content_type=CONTENT_TYPE)
    assert response.status_code == 400
    assert CUT_SHORT in response.content.decode()
    assert not get_user_model().objects.exists()


def test_a_whole_multipart_sign_up_signs_up(client, db):
    assert client.post(reverse("signup"), multipart(SIGN_UP), content_type=CONTENT_TYPE).status_code == 302
    assert get_user_model().objects.get().display_name == "Late Comer"


def test_a_body_with_an_epilogue_after_its_closing_boundary_is_whole(client, story_and_reader):
    # RFC 2046 lets text follow the closing boundary (an "epilogue"), to be ignored.
    article, reader = story_and_reader
    client.force_login(reader)
    body = multipart({"body": "Hello world"}) + b"This is the epilogue.\r\n"
    assert client.post(comment_url(article), body, content_type=CONTENT_TYPE).status_code == 302


def raw_post(live_server, path: str, body: bytes, cookies: dict[str, str]) -> tuple[int, str]:
    """A hand-built POST over a socket, its Content-Length exactly the bytes sent: the server has the whole request."""
    address = urlsplit(live_server.url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
    try:
        connection.putrequest("POST", path)
        connection.putheader("Content-Type", CONTENT_TYPE)
        connection.putheader("Content-Length", str(len(body)))
        connection.putheader("Cookie", "; ".join(f"{name}={value}" for name, value in cookies.items()))
        connection.endheaders(body)
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_over_a_socket_a_body_cut_short_is_a_400_that_stores_nothing(live_server, record_property):
    article, reader = ArticleFactory(), UserFactory()
    browser = Client()
    browser.force_login(reader)
    browser.get(article.get_absolute_url())  # a page with a form: the CSRF cookie
    signed_in = {name: browser.cookies[name].value for name in (settings.SESSION_COOKIE_NAME, "csrftoken")}
    signed_out = {"csrftoken": signed_in["csrftoken"]}
    token = {"csrfmiddlewaretoken": signed_in["csrftoken"]}
    comment = {**token, "body": "Hello world, this is the whole comment"}
    sign_up = {**token, **SIGN_UP}
    tried = 0
    for where, body in truncations(comment, "this is the whole comment").items():
        status, html = raw_post(live_server, comment_url(article), body, signed_in)
        assert (where, status, CUT_SHORT in html) == (where, 400, True)
        tried += 1
    for where, body in truncations(sign_up, "Late Comer").items():
        status, html = raw_post(live_server, reverse("signup"), body, signed_out)
        assert (where, status, CUT_SHORT in html) == (where, 400, True)
        tried += 1
    assert not Comment.objects.exists()
    assert list(get_user_model().objects.values_list("handle", flat=True)) == [reader.handle]
    # The same bodies whole go through: the check refuses only what is cut short.
    assert raw_post(live_server, comment_url(article), multipart(comment), signed_in)[0] == 302
    assert raw_post(live_server, reverse("signup"), multipart(sign_up), signed_out)[0] == 302
    assert Comment.objects.count() == 1 and get_user_model().objects.count() == 2
    record_property("figures", f"{tried} bad inputs tried (multipart bodies cut short, over a socket): all 4xx (400)")


@pytest.mark.parametrize("size", [1, 7, len(BOUNDARY) + 3])
def test_the_closing_boundary_is_found_across_reads_of_any_size(size):
    whole = multipart({"body": "Hello world"})
    check = _ClosingBoundaryCheck(io.BytesIO(whole), BOUNDARY.encode())
    assert b"".join(iter(lambda: check.read(size), b"")) == whole
    short = _ClosingBoundaryCheck(io.BytesIO(whole[:-3]), BOUNDARY.encode())
    with pytest.raises(CutShortBody):
        while short.read(size):
            pass
