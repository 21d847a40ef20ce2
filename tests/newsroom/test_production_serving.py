"""DJANGO_DEBUG=false with gunicorn serves a complete site: compressed pages and their hashed, compressed CSS."""

import gzip
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, **headers) -> tuple[int, dict, bytes]:
    # As the TLS-terminating proxy would forward it.
    headers = {"Accept-Encoding": "gzip", "X-Forwarded-Proto": "https", **headers}
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, dict(response.headers), response.read()


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    """gunicorn serving the production settings; (its address, the folder its static files were collected to)."""
    tmp = tmp_path_factory.mktemp("prod")
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "newsroom.settings",
        "DJANGO_ENV_FILE": "/nonexistent",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "production-test-" + "x" * 40,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_BEHIND_PROXY": "true",
        "CACHE_URL": "redis://127.0.0.1:6379/15",
        "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}",
        "DJANGO_STATIC_ROOT": str(tmp / "static"),
        "DJANGO_MEDIA_ROOT": str(tmp / "media"),
    }
    for command in (["migrate", "--noinput"], ["collectstatic", "--noinput"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True, capture_output=True)
    # The shipped configuration (threads), with one worker.
    process = subprocess.Popen(
        [BIN / "gunicorn", "-c", ROOT / "deploy" / "gunicorn.conf.py", "newsroom.wsgi"],
        cwd=ROOT,
        env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            get(base + "/")
            break
        except OSError:
            if process.poll() is not None:
                pytest.fail(f"gunicorn exited: {process.stderr.read().decode()}")
            time.sleep(0.2)
    yield base, tmp / "static"
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def server(production):
    return production[0]


def half_sent_requests(port: int, count: int) -> list[socket.socket]:
    """Connections that send half their headers and stop, as a slowloris client does."""
    connections = []
    for _ in range(count):
        connection = socket.create_connection(("127.0.0.1", port))
        connection.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        connections.append(connection)
    return connections


def test_home_page_links_hashed_css_that_whitenoise_serves_compressed(server):
    status, headers, body = get(server + "/")
    assert status == 200
    assert headers.get("Content-Encoding") == "gzip"  # pages too (GZipMiddleware)
    css = re.search(r'href="(/static/css/site\.[0-9a-f]{12}\.css)"', gzip.decompress(body).decode())
    assert css, "the page should link the hashed stylesheet from the manifest"
    status, headers, body = get(server + css.group(1))
    assert status == 200
    assert headers["Content-Type"].startswith("text/css")
    assert headers.get("Content-Encoding") == "gzip"
    assert "max-age=315360000" in headers["Cache-Control"]


def test_debug_pages_are_off(server):
    try:
        get(server + "/no/such/page/here/")
    except urllib.error.HTTPError as error:
        assert error.code == 404
        assert b"URLconf" not in error.read()
    else:
        pytest.fail("expected a 404")


def test_plain_http_is_redirected_to_https_and_https_gets_hsts(server):
    opener = urllib.request.build_opener(NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as caught:
        opener.open(urllib.request.Request(server + "/", headers={"X-Forwarded-Proto": "http"}), timeout=10)
    assert caught.value.code == 301
    assert caught.value.headers["Location"].startswith("https://127.0.0.1")
    status, headers, _ = get(server + "/")
    assert status == 200
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert headers["X-Frame-Options"] == "DENY"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_clients_that_never_finish_their_headers_do_not_stop_other_readers(server):
    port = int(server.rsplit(":", 1)[1])
    slow = half_sent_requests(port, 2)  # as many as the old sync workers, which they held for 30 s
    try:
        status, _, _ = get(server + "/")  # answered within get()'s 10 s timeout, by another thread
        assert status == 200
    finally:
        for connection in slow:
            connection.close()
