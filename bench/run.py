"""Measure our discussion pages on one database: python -m bench.run --db sqlite|postgres --out FILE.json

Builds the issue-6 data shape for each N in its own database (a temporary SQLite file, or a PostgreSQL database
named newsroom_bench_pg that is dropped afterwards), then times in-process requests through django.test.Client
with DEBUG off: the story page as a reader first sees it (anonymous and signed in), the whole discussion on one
page, each with the discussion cache off and on; the plain-Python floor; posting through the real view; on
PostgreSQL, how long a post holds the story lock on a 10- and a 50,000-comment story (bench.lockhold).
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

SIZES = (100, 1000, 10_000)
PG_NAME = "newsroom_bench_pg"
ROOT = Path(__file__).resolve().parent.parent


def say(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def _pg_admin(url: str, sql: str) -> None:
    import environ
    import psycopg

    config = environ.Env.db_url_config(url)
    with psycopg.connect(
        dbname="postgres",
        user=config.get("USER") or None,
        password=config.get("PASSWORD") or None,
        host=config.get("HOST") or None,
        port=config.get("PORT") or None,
        autocommit=True,
    ) as connection:
        connection.execute(sql)


@contextmanager
def database(kind: str, pg_url: str, name: str = PG_NAME):
    """A fresh, empty database for the run, removed afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="newsroom-bench-") as tmp:
            yield f"sqlite:///{tmp}/bench.sqlite3"
        return
    base = pg_url.rsplit("/", 1)[0]
    _pg_admin(pg_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    _pg_admin(pg_url, f"CREATE DATABASE {name}")
    try:
        yield f"{base}/{name}"
    finally:
        from django.conf import settings
        from django.db import connections

        if settings.configured:
            connections.close_all()
        _pg_admin(pg_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def timed(call, *, requests: int, warmup: int, budget: float = 120.0, minimum: int = 3) -> dict:
    """Median and p90 of `requests` calls after `warmup` calls; fewer (but `minimum`) once `budget` seconds are
    spent, for pages that take seconds each."""
    for _ in range(warmup):
        call()
    samples = []
    started = time.perf_counter()
    while len(samples) < requests and (len(samples) < minimum or time.perf_counter() - started < budget):
        t0 = time.perf_counter()
        call()
        samples.append(time.perf_counter() - t0)
    samples.sort()
    return {
        "median_ms": round(statistics.median(samples) * 1000, 2),
        "p90_ms": round(samples[min(len(samples) - 1, int(len(samples) * 0.9))] * 1000, 2),
        "n": len(samples),
    }


class QueryCounter:
    """Counts the SQL a block runs (CaptureQueriesContext loses them: each request resets the query log)."""

    def __init__(self):
        self.count = 0
        self.sql: list[str] = []

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        self.sql.append(sql)
        return execute(sql, params, many, context)

    @contextmanager
    def counting(self):
        from django.db import connection

        self.count, self.sql = 0, []
        with connection.execute_wrapper(self):
            yield self


def measure_page(client, url: str, *, requests: int, warmup: int, budget: float = 120.0) -> dict:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    # getvalue(): a streamed page is timed until its last byte, as a server would send it.
    result = timed(lambda: client.get(url).getvalue(), requests=requests, warmup=warmup, budget=budget)
    with QueryCounter().counting() as queries:
        body = client.get(url).getvalue()
    zipped = client.get(url, headers={"Accept-Encoding": "gzip"})
    zipped_size = len(zipped.getvalue()) if zipped.get("Content-Encoding") == "gzip" else None
    result.update(queries=queries.count, bytes=len(body), gzip_bytes=zipped_size)
    return result


def measure_posts(client_for, article, parent_ids: list[int], *, label: str, count: int) -> dict:
    """`count` posts through the real view, each by another commenter (the rate limit counts per reader)."""
    from django.urls import reverse

    url = reverse("comments:post", kwargs={"article_pk": article.pk})
    samples, queries = [], []
    for number in range(count + 2):
        client = client_for(number)
        data = {"body": f"A {label} post, number {number}, long enough to look like a real reader's comment."}
        if parent_ids:
            data["parent"] = parent_ids[number % len(parent_ids)]
        with QueryCounter().counting() as captured:
            t0 = time.perf_counter()
            response = client.post(url, data)
            elapsed = time.perf_counter() - t0
        assert response.status_code == 302 and "/comments/" in response.url, (response.status_code, label)
        if number >= 2:  # the first two warm up
            samples.append(elapsed)
            queries.append(captured.count)
    return {
        "median_ms": round(statistics.median(samples) * 1000, 2),
        "p90_ms": round(sorted(samples)[int(len(samples) * 0.9) - 1] * 1000, 2),
        "queries": max(queries),
        "n": len(samples),
    }


def run(kind: str, sizes, requests: int, warmup: int) -> dict:
    import django
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client
    from django.urls import reverse

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    call_command("collectstatic", verbosity=0, interactive=False)  # hashed names, as production serves them

    from bench import data, floor
    from comments.models import Comment
    from comments.trees import Row, tree_problems

    users = data.commenters()
    reader = users[0]
    clients = {}

    def client_for(number: int) -> Client:
        user = users[number % len(users)]
        if user.pk not in clients:
            clients[user.pk] = Client()
            clients[user.pk].force_login(user)
        return clients[user.pk]

    anonymous, signed_in = Client(), client_for(0)
    results: dict = {"sizes": {}}
    for n in sizes:
        t0 = time.perf_counter()
        article = data.build_story(n, liker=reader)
        rows = Comment.objects.filter(article=article).values_list("id", "parent_id", "tree_id", "lft", "rght", "level")
        problems = tree_problems(Row(*row) for row in rows)
        assert not problems, problems
        built = time.perf_counter() - t0
        story = article.get_absolute_url()
        whole = reverse("comments:story_all", kwargs={"article_pk": article.pk})
        size: dict = {"build_s": round(built, 1)}
        say(f"[{kind}] N={n}: built in {built:.1f}s")
        for cache_seconds, cached in ((0, "uncached"), (60, "cached")):
            settings.COMMENTS_CACHE_SECONDS = cache_seconds
            for page, url in (("story", story), ("all", whole)):
                for who, client in (("anon", anonymous), ("signed", signed_in)):
                    key = f"{page}_{who}_{cached}"
                    size[key] = measure_page(client, url, requests=requests, warmup=warmup)
                    say(f"[{kind}] N={n} {key}: {size[key]}")
        # The reference Django template loop for the same rows, cache off: the figure for "the template misses".
        settings.COMMENTS_CACHE_SECONDS, settings.COMMENTS_ROWS_RENDERER = 0, "template"
        size["all_anon_uncached_template"] = measure_page(anonymous, whole, requests=requests, warmup=1, budget=15)
        settings.COMMENTS_CACHE_SECONDS, settings.COMMENTS_ROWS_RENDERER = 60, "python"
        say(f"[{kind}] N={n} all_anon_uncached_template: {size['all_anon_uncached_template']}")
        # The floor twice: as a page through the same request cycle as ours (the figure ratios use), and as the
        # bare function (its query and string building alone).
        size["floor"] = measure_page(
            anonymous, reverse("bench_floor", args=[article.pk]), requests=requests, warmup=warmup
        )
        html = floor.floor_html(article.pk)
        size["floor_function"] = timed(lambda a=article: floor.floor_html(a.pk), requests=requests, warmup=warmup)
        size["floor_function"].update(queries=1, bytes=len(html.encode()))
        say(f"[{kind}] N={n} floor: {size['floor']}, as a bare function: {size['floor_function']}")
        size["article_pk"] = article.pk
        results["sizes"][str(n)] = size
    settings.COMMENTS_CACHE_SECONDS = 60

    # Posting: a top-level comment and a reply on the largest story, and replies into one thread of 1,000 replies.
    largest = max(sizes)
    big = results["sizes"][str(largest)]["article_pk"]
    from articles.models import Article

    big_story = Article.objects.get(pk=big)
    small_thread = list(
        Comment.objects.filter(article=big_story, parent=None, rght__lte=7)
        .order_by("-pk")
        .values_list("pk", flat=True)[:20]
    )
    thread_story = data.build_story(1001, single_thread=True, liker=None)
    in_thread = list(
        Comment.objects.filter(article=thread_story).exclude(parent=None).order_by("lft").values_list("pk", flat=True)
    )
    # Replies spread through the thread: each moves the lft/rght of every comment after it.
    targets = in_thread[:: max(1, len(in_thread) // 25)][:25]
    results["posting"] = {
        f"top_level_N{largest}": measure_posts(client_for, big_story, [], label="top-level", count=20),
        f"reply_small_thread_N{largest}": measure_posts(client_for, big_story, small_thread, label="reply", count=20),
        "reply_thread_of_1000": measure_posts(client_for, thread_story, targets, label="deep reply", count=20),
    }
    say(f"[{kind}] posting: {results['posting']}")
    if kind == "postgres":  # SQLite has no row locks to hold
        from bench import lockhold

        results["lock_hold"] = lockhold.measure(client_for, *lockhold.stories())
        say(f"[{kind}] story lock held by a post: {results['lock_hold']}")
    rows = Comment.objects.values_list("id", "parent_id", "tree_id", "lft", "rght", "level")
    problems = tree_problems(Row(*row) for row in rows)
    assert not problems, problems
    return results


def peak_rss(database_url: str, article_pk: int) -> float:
    """Peak RSS (MB) of a fresh process that renders the whole discussion of `article_pk` three times, uncached.
    Read from VmHWM: getrusage's ru_maxrss survives exec, so a child would report this (large) process's peak."""
    code = (
        "import django; django.setup()\n"
        "from django.conf import settings; settings.COMMENTS_CACHE_SECONDS = 0\n"
        "from django.test import Client; from django.urls import reverse\n"
        f"url = reverse('comments:story_all', kwargs={{'article_pk': {article_pk}}}); c = Client()\n"
        "for _ in range(3):\n"
        "    response = c.get(url)\n"
        "    assert response.status_code == 200\n"
        "    for chunk in (response.streaming_content if response.streaming else [response.content]): pass\n"
        "status = open('/proc/self/status').read()\n"
        "print(int(status.split('VmHWM:')[1].split()[0]) / 1024)\n"
    )
    env = {**os.environ, "BENCH_DATABASE_URL": database_url}
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    return round(float(out.stdout.strip().splitlines()[-1]), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument(
        "--pg-url", default=os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    )
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    sizes = [int(n) for n in args.sizes.split(",")]
    with database(args.db, args.pg_url) as url, tempfile.TemporaryDirectory(prefix="newsroom-static-") as static:
        os.environ["BENCH_DATABASE_URL"] = url
        os.environ["DJANGO_STATIC_ROOT"] = static
        results = run(args.db, sizes, args.requests, args.warmup)
        biggest = results["sizes"][str(max(sizes))]["article_pk"]
        results["peak_rss_mb_whole_discussion"] = {str(max(sizes)): peak_rss(url, biggest)}
    import django

    results.update(
        project="newsroom",
        database=args.db,
        django=django.get_version(),
        python=platform.python_version(),
        machine=f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()}",
        date=time.strftime("%Y-%m-%d %H:%M %Z"),
        requests=args.requests,
        warmup=args.warmup,
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    say(f"wrote {args.out}")


if __name__ == "__main__":
    main()
