"""deploy/nginx.conf in front of gunicorn (deploy/gunicorn.conf.py), both real servers on loopback: TLS, the
forwarded scheme, http redirected, static files from disk, and slow clients held at the proxy."""

import contextlib
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.newsroom.test_production_serving import free_port, production  # noqa: F401
from tests.tools import MISSING_TOOL

ROOT = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def shipped_config(*, upstream: int, http: int, https: int, tmp: Path, static: Path) -> str:
    """The shipped server blocks, pointed at this test's ports, certificate and folders (and a 2 s header timeout,
    so the slow-client test is quick); everything else as shipped."""
    text = (ROOT / "deploy" / "nginx.conf").read_text()
    replacements = [
        (r"server 127\.0\.0\.1:8000;", f"server 127.0.0.1:{upstream};"),
        (r"listen 80;", f"listen 127.0.0.1:{http};"),
        (r"listen 443 ssl http2;", f"listen 127.0.0.1:{https} ssl http2;"),
        (r"return 301 https://\$host\$request_uri;", f"return 301 https://$host:{https}$request_uri;"),
        (r"ssl_certificate +\S+;", f"ssl_certificate {tmp / 'cert.pem'};"),
        (r"ssl_certificate_key +\S+;", f"ssl_certificate_key {tmp / 'key.pem'};"),
        (r"alias /srv/newsroom/static/;", f"alias {static}/;"),
        (r"alias /srv/newsroom/media/;", f"alias {tmp / 'media'}/;"),
        (r"client_header_timeout 10s;", "client_header_timeout 2s;"),
    ]
    for pattern, replacement in replacements:
        text, count = re.subn(pattern, replacement.replace("\\", "\\\\"), text)
        assert count, f"deploy/nginx.conf no longer has {pattern!r}"
    return text


@pytest.fixture(scope="module")
def proxy(production, tmp_path_factory):  # noqa: F811
    if not os.access(NGINX, os.X_OK):
        pytest.skip(f"{MISSING_TOOL} nginx (apt-get install nginx-light; `make test` installs it)")
    tmp = tmp_path_factory.mktemp("nginx")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-keyout", tmp / "key.pem", "-out", tmp / "cert.pem"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    server, static = production
    http, https = free_port(), free_port()
    site = shipped_config(upstream=int(server.rsplit(":", 1)[1]), http=http, https=https, tmp=tmp, static=static)
    (tmp / "site.conf").write_text(site)
    (tmp / "nginx.conf").write_text(
        # As root (CI), workers would run as nobody, who cannot read the test's private temporary folders.
        f"{'user root;' if os.geteuid() == 0 else ''}\n"
        f"daemon off;\nmaster_process on;\nworker_processes 1;\npid {tmp / 'nginx.pid'};\n"
        f"error_log {tmp / 'error.log'} warn;\nevents {{ worker_connections 256; }}\n"
        f"http {{\n  access_log off;\n  client_body_temp_path {tmp / 'body'};\n  proxy_temp_path {tmp / 'proxy'};\n"
        f"  include {tmp / 'site.conf'};\n}}\n"
    )
    check = subprocess.run([NGINX, "-t", "-c", tmp / "nginx.conf"], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    process = subprocess.Popen([NGINX, "-c", tmp / "nginx.conf"], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", https), timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    yield {"http": http, "https": https}
    process.send_signal(signal.SIGQUIT)
    process.wait(timeout=10)


def fetch(url: str, **headers):
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE  # the test's own certificate
    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context), NoRedirect)
    try:
        response = opener.open(urllib.request.Request(url, headers=headers), timeout=10)
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()
    return response.status, dict(response.headers), response.read()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_pages_come_through_tls_with_the_forwarded_scheme(proxy):
    status, headers, body = fetch(f"https://127.0.0.1:{proxy['https']}/")
    assert status == 200 and b"masthead" in body
    # Django saw https from X-Forwarded-Proto (DJANGO_BEHIND_PROXY): it sends HSTS and does not redirect.
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_plain_http_is_sent_to_https(proxy):
    status, headers, _ = fetch(f"http://127.0.0.1:{proxy['http']}/some/page/?q=1")
    assert status == 301
    assert headers["Location"] == f"https://127.0.0.1:{proxy['https']}/some/page/?q=1"


def test_static_files_come_from_disk_with_a_long_cache(proxy):
    _, _, page = fetch(f"https://127.0.0.1:{proxy['https']}/")
    css = re.search(rb'href="(/static/css/site\.[0-9a-f]{12}\.css)"', page).group(1).decode()
    status, headers, _ = fetch(f"https://127.0.0.1:{proxy['https']}{css}")
    assert status == 200
    assert "immutable" in headers["Cache-Control"]


def test_slow_clients_are_held_at_the_proxy_and_cut_off(proxy):
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    slow = []
    for _ in range(20):  # more than gunicorn's threads
        raw = socket.create_connection(("127.0.0.1", proxy["https"]))
        connection = context.wrap_socket(raw, server_hostname="127.0.0.1")
        connection.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        slow.append(connection)
    try:
        status, _, _ = fetch(f"https://127.0.0.1:{proxy['https']}/")
        assert status == 200
        time.sleep(3)  # past client_header_timeout: nginx has closed every one of them
        for connection in slow:
            connection.settimeout(5)
            with contextlib.suppress(ConnectionResetError, ssl.SSLError):  # closed under it: as good
                assert connection.recv(1024) == b""
    finally:
        for connection in slow:
            connection.close()
