"""Another story during a lock wait: python -m bench.lockwait [--out FILE.json]

A hot story's row lock is held (as a long write would hold it) while readers post replies to it: each post waits
for the lock up to COMMENTS_LOCK_TIMEOUT. Meanwhile a reader of another story asks for its page, over and over. Two
servings are compared in one run, on PostgreSQL with gunicorn on 127.0.0.1:
- "sync": 2 sync workers and the old 10 s lock wait (how the site was served);
- "threads": deploy/gunicorn.conf.py (2 workers x 8 threads) and the default lock wait.
Then a slowloris pair: two connections that send half their headers and stop, and the same reader's page meanwhile.
Prints the other story's page times (median and worst), the posts' outcomes, and writes them as JSON.
"""

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import psycopg

from bench.load import free_port, serve
from bench.run import DB_PREFIX, ROOT, database, say

PG_NAME = f"{DB_PREFIX}_lockwait"
POSTS = 4  # more than the sync workers: every one of them is held
SETUP = """
import django; django.setup()
from importlib import import_module
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from bench import data
from newsroom.models import User
hot, other = data.build_story(10, slug="hot-story"), data.build_story(10, slug="other-story")
reader = User.objects.create_user("lock_reader", "r@example.com", "unused", display_name="Reader")
session = import_module(settings.SESSION_ENGINE).SessionStore()
session.update({SESSION_KEY: str(reader.pk), BACKEND_SESSION_KEY: "newsroom.backends.ModelBackend",
                HASH_SESSION_KEY: reader.get_session_auth_hash()})
session.create()
print(hot.pk, other.get_absolute_url(), session.session_key)
"""


def page_time(url: str) -> float:
    t0 = time.perf_counter()
    with urllib.request.urlopen(url, timeout=60) as response:
        response.read()
    return (time.perf_counter() - t0) * 1000


def post(base: str, article_pk: int, session_key: str, outcomes: list) -> None:
    token = "b" * 32
    body = urllib.parse.urlencode({"body": "Posted while the story is locked.", "csrfmiddlewaretoken": token}).encode()
    request = urllib.request.Request(
        f"{base}/comments/story/{article_pk}/post/",
        data=body,
        headers={"Cookie": f"sessionid={session_key}; csrftoken={token}"},
    )
    t0 = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    outcomes.append({"status": status, "ms": round((time.perf_counter() - t0) * 1000)})


def during_lock(base: str, pg_url: str, hot_pk: int, other_url: str, session_key: str, hold: float) -> dict:
    with psycopg.connect(pg_url) as holder:
        # The row every comment write takes last (comments.locking.lock_discussion): the story's discussion row.
        holder.execute("SELECT article_id FROM comments_discussion WHERE article_id = %s FOR UPDATE", [hot_pk])
        outcomes: list = []
        posters = [threading.Thread(target=post, args=(base, hot_pk, session_key, outcomes)) for _ in range(POSTS)]
        for thread in posters:
            thread.start()
        time.sleep(0.5)  # the posts are in, waiting for the lock
        samples, started = [], time.monotonic()
        while time.monotonic() - started < hold:
            samples.append(page_time(base + other_url))
        holder.rollback()  # the lock goes
    for thread in posters:
        thread.join()
    return {
        "other_story_median_ms": round(statistics.median(samples), 1),
        "other_story_worst_ms": round(max(samples)),
        "other_story_requests": len(samples),
        "posts": sorted(outcomes, key=lambda outcome: outcome["ms"]),
    }


def during_slowloris(base: str, port: int, other_url: str, hold: float) -> dict:
    slow = []
    for _ in range(2):
        connection = socket.create_connection(("127.0.0.1", port))
        connection.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # and never the blank line
        slow.append(connection)
    time.sleep(0.5)
    samples, started = [], time.monotonic()
    try:
        while time.monotonic() - started < hold:
            samples.append(page_time(base + other_url))
    finally:
        for connection in slow:
            connection.close()
    return {"other_story_median_ms": round(statistics.median(samples), 1), "other_story_worst_ms": round(max(samples))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "lockwait.json")
    parser.add_argument("--hold", type=float, default=6.0, help="seconds the hot story stays locked")
    parser.add_argument(
        "--pg-url", default=os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    )
    parser.add_argument("--cache-url", default=os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/11"))
    args = parser.parse_args()
    results = {"date": time.strftime("%Y-%m-%d %H:%M %Z"), "hold_s": args.hold, "posts": POSTS, "runs": {}}
    with database("postgres", args.pg_url, PG_NAME) as url, tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "newsroom.settings",
            "DJANGO_ENV_FILE": os.devnull,
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": "lockwait-" + "x" * 40,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "CACHE_URL": args.cache_url,
            "DATABASE_URL": url,
            "DJANGO_STATIC_ROOT": str(Path(tmp) / "static"),
            "DJANGO_LOG_LEVEL": "ERROR",
            "COMMENTS_RATE_PER_MINUTE": "0",
            "COMMENTS_CACHE_SECONDS": "0",  # every page of the other story is rendered, as for signed-in readers
        }
        for command in (["migrate", "--noinput"], ["collectstatic", "--noinput"]):
            subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True, capture_output=True)
        out = subprocess.run(
            [sys.executable, "-c", SETUP], cwd=ROOT, env=env, check=True, capture_output=True, text=True
        )
        hot_pk, other_url, session_key = out.stdout.split()[-3:]
        for config, lock_timeout in (("sync", "10"), ("threads", None)):
            port = free_port()
            served = {**env, **({"COMMENTS_LOCK_TIMEOUT": lock_timeout} if lock_timeout else {})}
            server = serve(served, port, 2, config)
            base = f"http://127.0.0.1:{port}"
            try:
                quiet = [page_time(base + other_url) for _ in range(10)]
                run = {"quiet_median_ms": round(statistics.median(quiet), 1)}
                run["lock"] = during_lock(base, url, int(hot_pk), other_url, session_key, args.hold)
                run["slowloris"] = during_slowloris(base, port, other_url, min(args.hold, 5.0))
            finally:
                server.terminate()
                server.wait(timeout=30)
            results["runs"][config] = run
            say(f"[lockwait] {config}: {json.dumps(run)}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    say(f"wrote {args.out}")


if __name__ == "__main__":
    main()
