"""The edge: a real varnishd (Debian's, with vmod xkey) with the repository's VCL, in front of a live Django server
on loopback, purged by surrogate key when stories and discussions change (newsroom.edge, deploy/varnish)."""

import http.client
from urllib.parse import urlencode, urlsplit

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from articles import services as article_services
from comments import services as comment_services
from comments.models import Comment
from newsroom import edge
from newsroom.services import editors_group
from tests import tools
from tests.articles.test_admin import admin_post_data
from tests.factories import ArticleFactory, UserFactory
from tests.servers import Varnish, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def edge_cache(live_server, tmp_path, settings):
    """A varnishd of this test's own in front of the live server, the one edge the site purges."""
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "news.example.com"]  # the VCL's probe asks for it
    varnish = Varnish(tools.varnishd(), tmp_path, [urlsplit(live_server.url).port]).start()
    settings.EDGE_PURGE_URLS = [f"{varnish.url}/"]
    yield varnish
    varnish.stop()


def request(edge_cache, path, *, method="GET", cookies=None, body=None, headers=None, source="127.0.0.1"):
    """One request to the edge, no redirect followed: (status, headers, text)."""
    connection = http.client.HTTPConnection("127.0.0.1", edge_cache.port, timeout=10, source_address=(source, 0))
    try:
        sent = dict(headers or {})
        if cookies:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
        if body is not None:
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        return response.status, response.headers, response.read().decode()
    finally:
        connection.close()


def signed_in_cookies(user, article) -> dict[str, str]:
    browser = Client()
    browser.force_login(user)
    browser.get(article.get_absolute_url())  # a page with a form: the CSRF cookie
    return {name: browser.cookies[name].value for name in (settings.SESSION_COOKIE_NAME, "csrftoken")}


def test_a_signed_out_story_page_is_a_miss_then_a_hit_with_cookies_stripped(edge_cache):
    article = ArticleFactory()
    url = article.get_absolute_url()
    status, headers, first = request(edge_cache, url)
    assert (status, headers["X-Cache"]) == (200, "MISS")
    assert article.headline in first
    # The keys are the edge's business: readers never see them.
    assert headers["Surrogate-Key"] is None and headers["xkey"] is None
    status, headers, second = request(edge_cache, url, cookies={"csrftoken": "stale", "_ga": "tracking"})
    assert (status, headers["X-Cache"], second) == (200, "HIT", first)


def test_the_edge_keeps_one_copy_per_language_not_one_per_accept_language(edge_cache):
    """Pages vary by Accept-Language; the VCL turns the header (and the language cookie) into the one offered
    language the reader gets, so "es-ES,es;q=0.9" and "es" share a copy, and English has its own."""
    url = ArticleFactory().get_absolute_url()

    def get(language: str | None = None, cookies=None):
        status, headers, text = request(
            edge_cache, url, headers={"Accept-Language": language} if language else None, cookies=cookies
        )
        assert status == 200
        return headers["X-Cache"], headers["Content-Language"], text

    cache, language, spanish = get("es-ES,es;q=0.9")
    assert (cache, language) == ("MISS", "es") and "Idioma" in spanish
    assert get("es") == ("HIT", "es", spanish)
    assert get("fr-FR,es;q=0.5,en;q=0.3") == ("HIT", "es", spanish)  # the first offered language the browser lists
    cache, language, english = get("en-US,en;q=0.9")
    assert (cache, language) == ("MISS", "en") and english != spanish and "Language" in english
    assert get("de") == ("HIT", "en", english)  # nothing offered: the site's language
    assert get() == ("HIT", "en", english)
    # The chooser's cookie outranks the browser, and goes with the other cookies of a signed-out reader.
    assert get("en-US,en;q=0.9", cookies={"django_language": "es", "_ga": "tracking"}) == ("HIT", "es", spanish)


def test_a_page_that_sets_a_cookie_is_never_kept(edge_cache, settings):
    settings.ROOT_URLCONF = "tests.newsroom.edge_urls"
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if not m.endswith("private_when_setting_cookies")]
    for _ in range(2):
        status, headers, _text = request(edge_cache, "/public-with-cookie/")
        assert (status, headers["X-Cache"], headers["Set-Cookie"]) == (200, "PASS", "reader=one; Path=/")


def test_a_signed_in_reader_always_passes(edge_cache):
    article, reader = ArticleFactory(), UserFactory(handle="ada")
    cookies = signed_in_cookies(reader, article)
    request(edge_cache, article.get_absolute_url())  # the signed-out copy, kept
    for _ in range(2):
        status, headers, text = request(edge_cache, article.get_absolute_url(), cookies=cookies)
        assert (status, headers["X-Cache"]) == (200, "PASS")
        assert "@ada" in text and "Sign out" in text


def test_the_admin_accounts_and_posts_are_never_cached(edge_cache):
    article = ArticleFactory()
    for path in ["/admin/login/", "/accounts/login/"]:
        for _ in range(2):
            assert request(edge_cache, path)[1]["X-Cache"] == "PASS"
    for _ in range(2):
        status, headers, _text = request(edge_cache, article.get_absolute_url(), method="POST", body="a=1")
        assert headers["X-Cache"] == "PASS"


def test_a_comment_posted_through_the_site_purges_the_story_page(edge_cache):
    article, reader = ArticleFactory(), UserFactory()
    url = article.get_absolute_url()
    request(edge_cache, url)
    assert request(edge_cache, url)[1]["X-Cache"] == "HIT"
    cookies = signed_in_cookies(reader, article)
    form = {"csrfmiddlewaretoken": cookies["csrftoken"], "body": "Breaking: the bridge is open again"}
    status, _headers, _text = request(
        edge_cache, f"/comments/story/{article.pk}/post/", method="POST", cookies=cookies, body=urlencode(form)
    )
    assert status == 302 and Comment.objects.filter(article=article).count() == 1
    # The purge ran as the post committed (the immediate task backend here; an RQ worker in production): soft, so
    # the next reader may still get the old page, at once, while it is fetched afresh for the readers after.
    shows_it(edge_cache, url, "Breaking: the bridge is open again")
    assert request(edge_cache, url)[1]["X-Cache"] == "HIT"


def shows_it(edge_cache, path, text, *, shown=True) -> None:
    """Signed-out readers of `path` get a page with (or without) `text` within a second."""
    wait_for(
        lambda: (text in request(edge_cache, path)[2]) == shown,
        timeout=1,
        interval=0.05,
        what=f"{path} {'showing' if shown else 'no longer showing'} {text!r} at the edge",
    )


def test_publishing_unpublishing_and_editing_purge_the_story_and_the_lists(edge_cache):
    article = ArticleFactory(headline="Rates held steady")
    url = article.get_absolute_url()

    def warm():
        for path in [url, "/"]:
            request(edge_cache, path)
            assert request(edge_cache, path)[1]["X-Cache"] == "HIT"

    editor = UserFactory(is_staff=True)
    editor.groups.add(editors_group())
    warm()
    article_services.article_unpublish(article=article, by=editor)
    wait_for(lambda: request(edge_cache, url)[0] == 404, timeout=1, interval=0.05, what="the story withdrawn")
    shows_it(edge_cache, "/", "Rates held steady", shown=False)

    article_services.article_publish(article=article, by=editor)
    wait_for(lambda: request(edge_cache, url)[0] == 200, timeout=1, interval=0.05, what="the story back")
    shows_it(edge_cache, "/", "Rates held steady")
    warm()
    # An edit saved in the admin, by an editor, as the change form posts it.
    article.refresh_from_db()  # the edit version the actions moved
    desk = Client()
    desk.force_login(editor)
    change_url = reverse("admin:articles_article_change", args=[article.pk])
    response = desk.post(change_url, admin_post_data(desk.get(change_url), headline="Rates cut by half a point"))
    assert response.status_code == 302
    for path in [url, "/"]:
        shows_it(edge_cache, path, "Rates cut by half a point")


def test_with_the_backend_down_a_kept_page_is_served_stale(edge_cache, refusing_relay):
    article = ArticleFactory()
    url = article.get_absolute_url()
    _status, _headers, kept = request(edge_cache, url)
    assert edge_cache.backend_health() == {"web1": "healthy"}  # its probe of /readyz is answered
    edge_cache.point_at([refusing_relay])  # the web node is gone
    # Purged (softly) after it went: the page expires, and stale-if-error serves it, at once and after the
    # health probe has marked the node sick.
    edge.purge_keys.call([article.surrogate_key])
    status, headers, text = request(edge_cache, url)
    assert (status, headers["X-Cache"], text) == (200, "STALE", kept)
    wait_for(
        lambda: edge_cache.backend_health() == {"web1": "sick"}, timeout=10, what="the probe marking the node sick"
    )
    status, headers, text = request(edge_cache, url)
    assert (status, headers["X-Cache"], text) == (200, "STALE", kept)
    # What it never had, it cannot serve.
    assert request(edge_cache, "/never-fetched/")[0] == 503


def test_a_purge_from_an_address_outside_the_acl_is_refused(edge_cache):
    article = ArticleFactory()
    request(edge_cache, article.get_absolute_url())
    purge = {"xkey-purge": article.surrogate_key}
    # 127.0.0.2 is loopback too, but not in the VCL's purgers.
    assert request(edge_cache, "/", method="PURGE", headers=purge, source="127.0.0.2")[0] == 403
    assert request(edge_cache, article.get_absolute_url())[1]["X-Cache"] == "HIT"
    assert request(edge_cache, "/", method="PURGE")[0] == 400  # no keys named
    assert request(edge_cache, "/", method="PURGE", headers=purge)[0] == 200
    assert request(edge_cache, article.get_absolute_url())[1]["X-Cache"] == "STALE"


def test_a_purge_that_fails_raises_for_the_queue_and_never_fails_the_write(settings, refusing_relay):
    settings.EDGE_PURGE_URLS = [f"http://127.0.0.1:{refusing_relay}/"]
    with pytest.raises(edge.EdgePurgeFailed, match="story-1"):
        edge.purge_keys.call(["story-1"])
    article, reader = ArticleFactory(), UserFactory()
    comment_services.comment_create(article=article, author=reader, body="Still saved", form_token="t1")
    assert Comment.objects.get().body == "Still saved"


@pytest.mark.django_db
def test_without_an_edge_nothing_is_enqueued(settings, django_capture_on_commit_callbacks):
    settings.EDGE_PURGE_URLS = []
    with django_capture_on_commit_callbacks() as callbacks:
        edge.purge_on_commit("story-1")
    assert callbacks == []
    settings.EDGE_PURGE_URLS = ["http://127.0.0.1:9/"]
    with django_capture_on_commit_callbacks() as callbacks:
        edge.purge_on_commit("story-1", "stories", "story-1")
    assert len(callbacks) == 1


def test_a_burst_of_writes_queues_one_purge_until_it_starts_then_a_write_queues_its_own(broker, settings):
    """Several comments a second on one story: a purge queued and not started covers them all; once it starts
    (the page may be refetched before the next write commits), the next write queues another."""
    from django_rq import get_queue
    from django_tasks_rq import Job

    settings.EDGE_PURGE_URLS = ["http://127.0.0.1:9/"]  # nobody listens: the task, run here, fails and says so
    queue = get_queue("default", job_class=Job)
    for _ in range(3):
        edge.purge_on_commit("story-1")  # outside a transaction: as at each commit
    assert queue.count == 1
    edge.purge_on_commit("stories", "story-2")
    assert queue.count == 2
    with pytest.raises(edge.EdgePurgeFailed):
        edge.purge_keys.call(["story-1"])  # what the worker does with the first job
    edge.purge_on_commit("story-1")
    edge.purge_on_commit("story-2", "stories")
    assert queue.count == 3
