"""With the cache server gone, the site degrades: pages render uncached, writes that need a rate limit get a clear
503 with the form kept, and /readyz says so. Against django-redis, as production runs it, on a port nobody serves."""

import json
import os
import socket
import subprocess
import sys

import pytest
from django.test import override_settings
from django.urls import reverse

from comments.models import Comment
from tests.factories import ArticleFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


def redis_aliases(url: str) -> dict:
    """The two aliases as newsroom.settings builds them for a redis:// CACHE_URL."""
    options = {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5}
    backend = "django_redis.cache.RedisCache"
    return {
        "default": {"BACKEND": backend, "LOCATION": url, "OPTIONS": {**options, "IGNORE_EXCEPTIONS": True}},
        "ratelimit": {"BACKEND": backend, "LOCATION": url, "OPTIONS": options},
    }


@pytest.fixture
def redis_down():
    with socket.socket() as probe:  # a free port: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with override_settings(CACHES=redis_aliases(f"redis://127.0.0.1:{port}/0")):
        yield


@pytest.fixture
def redis_up():
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        pytest.fail("Redis at 127.0.0.1:6379 is needed for this test (the machine starts it)")
    with override_settings(CACHES=redis_aliases("redis://127.0.0.1:6379/14")):
        yield


def test_the_settings_build_these_aliases_from_a_redis_cache_url():
    code = "import django, json; django.setup(); from django.conf import settings; print(json.dumps(settings.CACHES))"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CACHE_URL"))}
    env.update(
        DJANGO_SETTINGS_MODULE="newsroom.settings",
        DJANGO_ENV_FILE=os.devnull,
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="x" * 50,
        CACHE_URL="redis://127.0.0.1:6379/1",
    )
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == redis_aliases("redis://127.0.0.1:6379/1")


def test_story_pages_and_the_front_render_while_the_cache_is_down(redis_down, client):
    story = ArticleFactory()
    assert client.get(reverse("articles:home")).status_code == 200
    response = client.get(story.get_absolute_url())
    assert response.status_code == 200 and story.headline in response.content.decode()


def test_sign_in_is_a_clear_503_that_keeps_the_handle_while_the_cache_is_down(redis_down, client):
    UserFactory(handle="marta")
    response = client.post(reverse("login"), {"username": "marta", "password": PASSWORD})
    assert response.status_code == 503
    html = response.content.decode()
    assert "unavailable for a moment" in html and 'value="marta"' in html
    assert int(response["Retry-After"]) > 0


def test_sign_up_is_a_clear_503_that_keeps_the_form_while_the_cache_is_down(redis_down, client):
    data = {"display_name": "Kept", "handle": "kept_one", "email": "k@example.com"}
    response = client.post(reverse("signup"), {**data, "password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 503
    assert (
        "cannot be made for a moment" in response.content.decode() and 'value="kept_one"' in response.content.decode()
    )


def test_a_comment_is_a_clear_503_that_keeps_the_text_while_the_cache_is_down(redis_down, client):
    story = ArticleFactory()
    client.force_login(UserFactory())
    response = client.post(reverse("comments:post", kwargs={"article_pk": story.pk}), {"body": "Words worth keeping."})
    assert response.status_code == 503
    html = response.content.decode()
    assert "problem on our side" in html and "Words worth keeping." in html
    assert not Comment.objects.exists()


def test_readyz_reports_a_degraded_cache_and_stays_in_service(redis_down, client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "database": "ok",
        "cache": "unreachable",
        "broker": "ok",
        "storage": "ok",
        "status": "degraded",
    }
    assert "no-cache" in response["Cache-Control"]


def test_readyz_with_a_real_redis(redis_up, client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "cache": "ok", "broker": "ok", "storage": "ok", "status": "ok"}


def test_rate_limits_count_in_a_real_redis(redis_up, client):
    from django.core.cache import caches

    caches["ratelimit"].clear()
    UserFactory(handle="marta")
    with override_settings(LOGIN_FAILURES_PER_IP=2):
        for _ in range(2):
            assert client.post(reverse("login"), {"username": "marta", "password": "wrong"}).status_code == 400
        assert client.post(reverse("login"), {"username": "marta", "password": "wrong"}).status_code == 429
    caches["ratelimit"].clear()
