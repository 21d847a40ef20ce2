"""Measure our discussion pages on one database: python -m bench.run --db sqlite|postgres --out FILE.json

Builds the issue-6 data shape for each N in its own database (a temporary SQLite file, or a PostgreSQL database
named $BENCH_DB_PREFIX_pg, newsroom_bench_pg by default, dropped afterwards), then times in-process requests through
django.test.Client with DEBUG off (issue 13's targets, bench/report.py checks them):
- the default story page, signed out and signed in, with the fragment cache off (COMMENTS_CACHE_SECONDS=0; every
  request renders its page of threads, which the bench checks) and on; queries, bytes, peak memory;
- the shared-cache check of the pages signed-out readers get (no cookie, the same bytes for two readers,
  Cache-Control for shared caches, a Surrogate-Key);
- the first page of "All comments" and the thread page of the largest thread;
- posting through the real view, and on PostgreSQL how long a post holds the story lock (bench.lockhold).
"""

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import tracemalloc
from contextlib import contextmanager
from pathlib import Path

SIZES = (100, 1000, 10_000)
THREAD_REPLIES = 1000
# Every database the benchmarks make is named from this prefix, so that runs on one server can keep apart.
DB_PREFIX = os.environ.get("BENCH_DB_PREFIX", "newsroom_bench")
PG_NAME = f"{DB_PREFIX}_pg"
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


class ThreadReads:
    """Counts the reads of a page of threads (comments.selectors), so the bench knows whether a page rendered its
    threads or took them from the fragment cache."""

    NAMES = ("story_threads", "all_threads", "thread_for_comment")

    def __init__(self):
        self.count = 0

    @contextmanager
    def counting(self):
        from comments import selectors

        originals = {name: getattr(selectors, name) for name in self.NAMES}

        def counted(function):
            def call(*args, **kwargs):
                self.count += 1
                return function(*args, **kwargs)

            return call

        self.count = 0
        for name, function in originals.items():
            setattr(selectors, name, counted(function))
        try:
            yield self
        finally:
            for name, function in originals.items():
                setattr(selectors, name, function)


def interleaved(calls: dict, *, rounds: int, warmup: int) -> dict:
    """Median, p90 and p95 of each call, the calls taken in turn (each first in its turn), so that the machine's drift
    in load falls on all alike: the figures a ratio between them is taken from."""
    names = list(calls)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for number in range(warmup + rounds):
        shift = number % len(names)
        for name in names[shift:] + names[:shift]:
            t0 = time.perf_counter()
            calls[name]()
            if number >= warmup:
                samples[name].append(time.perf_counter() - t0)
    return {
        name: {
            "median_ms": round(statistics.median(times) * 1000, 2),
            "p90_ms": round(sorted(times)[min(len(times) - 1, int(len(times) * 0.9))] * 1000, 2),
            "p95_ms": round(sorted(times)[min(len(times) - 1, int(len(times) * 0.95))] * 1000, 2),
            "n": len(times),
        }
        for name, times in samples.items()
    }


def peak_request_memory(client, url: str) -> float:
    """MB: the most Python memory one request held at once beyond what was allocated before it (tracemalloc)."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        client.get(url).getvalue()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return round((peak - before) / 1_000_000, 2)


def page_facts(client, url: str) -> dict:
    """Queries, bytes (and gzipped), comments shown, reads of threads from the database and peak memory of one
    request for a page, after a first one that warms what every page caches (the section bar), as the suite's
    query tests do."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    with QueryCounter().counting() as queries, ThreadReads().counting() as reads:
        body = client.get(url).getvalue()
    zipped = client.get(url, headers={"Accept-Encoding": "gzip"})
    return {
        "queries": queries.count,
        "thread_reads": reads.count,
        "comments_shown": body.count(b'<li id="comment-'),
        "bytes": len(body),
        "gzip_bytes": len(zipped.getvalue()) if zipped.get("Content-Encoding") == "gzip" else None,
        "peak_mb": peak_request_memory(client, url),
    }


def measure_pages(client, urls: dict[str, str], *, requests: int, warmup: int) -> dict[str, dict]:
    """One page of each story (by N), timed in turn (see interleaved), with each one's page_facts."""
    facts = {n: page_facts(client, url) for n, url in urls.items()}
    calls = {n: (lambda u=url: client.get(u).getvalue()) for n, url in urls.items()}
    timings = interleaved(calls, rounds=requests, warmup=warmup)
    return {n: {**timings[n], **facts[n]} for n in urls}


def shared_cache_check(url: str) -> dict:
    """What a shared HTTP cache needs of the page signed-out readers get: two readers (fresh clients, no cookies)
    ask for it; the page must set no cookie, be the same bytes for both, allow shared caches (public, s-maxage)
    and name its surrogate keys."""
    from django.test import Client

    first, second = Client().get(url), Client().get(url)
    assert first.status_code == second.status_code == 200, (url, first.status_code, second.status_code)
    cache_control = {part.strip().split("=")[0] for part in first.get("Cache-Control", "").split(",")}
    return {
        "set_cookie": sorted({*first.cookies, *second.cookies}),
        "identical_bodies": first.content == second.content,
        "cache_control": first.get("Cache-Control", ""),
        "public_s_maxage": {"public", "s-maxage"} <= cache_control,
        "surrogate_key": first.get("Surrogate-Key", ""),
        "vary": first.get("Vary", ""),
    }


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
        assert response.status_code == 302 and "#comment-" in response.url, (response.status_code, label)
        if number >= 2:  # the first two warm up
            samples.append(elapsed)
            queries.append(captured.count)
    return {
        "median_ms": round(statistics.median(samples) * 1000, 2),
        "p90_ms": round(sorted(samples)[min(len(samples) - 1, int(len(samples) * 0.9))] * 1000, 2),
        "queries": max(queries),
        "n": len(samples),
    }


def run(
    kind: str,
    sizes,
    requests: int,
    warmup: int,
    *,
    thread_replies: int = THREAD_REPLIES,
    posts: int = 20,
    lock_sizes: tuple[int, int] = (10, 50_000),
    lock_posts: int = 30,
) -> dict:
    """Every measurement of one database, on the database the settings name (migrated): `sizes` the stories of
    the pages, `thread_replies` the replies of the one-thread story, `lock_sizes` the comments on the two stories
    of the lock hold (PostgreSQL only), smaller for a quick run."""
    from django.conf import settings
    from django.test import Client
    from django.urls import reverse

    from articles.models import Article
    from bench import data
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
    stories: dict[str, Article] = {}
    for n in sizes:
        t0 = time.perf_counter()
        article = data.build_story(n, liker=reader)
        rows = Comment.objects.filter(article=article).values_list("id", "parent_id", "tree_id", "lft", "rght", "level")
        problems = tree_problems(Row(*row) for row in rows)
        assert not problems, problems
        stories[str(n)] = article
        results["sizes"][str(n)] = {"build_s": round(time.perf_counter() - t0, 1), "article_pk": article.pk}
        say(f"[{kind}] N={n}: built in {results['sizes'][str(n)]['build_s']}s")
    data.analyze()
    addresses = {
        "story": {n: article.get_absolute_url() for n, article in stories.items()},
        "all": {n: reverse("comments:story_all", kwargs={"article_pk": a.pk}) for n, a in stories.items()},
    }
    # Each page is timed at every N in turn, so that the ratios between sizes come from the same minutes of a
    # shared machine. Uncached first: with COMMENTS_CACHE_SECONDS=0 the {% cache %} tag stores nothing, and the
    # pages' reads of threads (checked here) show that no fragment came from the cache.
    for cache_seconds, cached in ((0, "uncached"), (60, "cached")):
        settings.COMMENTS_CACHE_SECONDS = cache_seconds
        for page, urls in addresses.items():
            for who, client in (("anon", anonymous), ("signed", signed_in)):
                key = f"{page}_{who}_{cached}"
                for n, figures in measure_pages(client, urls, requests=requests, warmup=warmup).items():
                    results["sizes"][n][key] = figures
                    say(f"[{kind}] N={n} {key}: {figures}")
                    rendered = figures["thread_reads"] == 1
                    assert rendered if cached == "uncached" or who == "signed" else not rendered, (key, figures)

    largest = max(sizes)
    big_story = Article.objects.get(pk=results["sizes"][str(largest)]["article_pk"])
    url = big_story.get_absolute_url()
    results["shared_cache"] = {}
    for cache_seconds, cached in ((0, "uncached"), (60, "cached")):
        settings.COMMENTS_CACHE_SECONDS = cache_seconds
        results["shared_cache"][f"story_{cached}"] = shared_cache_check(url)
    say(f"[{kind}] shared-cache check, story page at N={largest}: {results['shared_cache']}")

    # Thread pages (never fragment-cached): the largest thread of the largest story, and a thread of 1,000 replies.
    settings.COMMENTS_CACHE_SECONDS = 0
    thread_story = data.build_story(thread_replies + 1, single_thread=True, liker=None)
    data.analyze()
    biggest_root = Comment.objects.filter(article=big_story, parent=None).order_by("-rght").first()
    lone_root = Comment.objects.get(article=thread_story, parent=None)
    results["thread"] = {}
    roots = {f"largest_thread_N{largest}": biggest_root, f"thread_of_{thread_replies}": lone_root}
    urls = {label: reverse("comments:thread", kwargs={"pk": root.pk}) for label, root in roots.items()}
    for who, client in (("anon", anonymous), ("signed", signed_in)):
        for label, entry in measure_pages(client, urls, requests=requests, warmup=warmup).items():
            entry["replies"] = (roots[label].rght - roots[label].lft - 1) // 2
            results["thread"][f"{label}_{who}"] = entry
            say(f"[{kind}] thread page {label} {who}: {entry}")
    settings.COMMENTS_CACHE_SECONDS = 60

    # Posting: a top-level comment and a reply on the largest story, and replies into the thread of 1,000 replies.
    small_thread = list(
        Comment.objects.filter(article=big_story, parent=None, rght__lte=7)
        .order_by("-pk")
        .values_list("pk", flat=True)[:20]
    )
    in_thread = list(
        Comment.objects.filter(article=thread_story).exclude(parent=None).order_by("lft").values_list("pk", flat=True)
    )
    # Replies spread through the thread: each moves the lft/rght of every comment after it.
    targets = in_thread[:: max(1, len(in_thread) // 25)][:25]
    results["posting"] = {
        f"top_level_N{largest}": measure_posts(client_for, big_story, [], label="top-level", count=posts),
        f"reply_small_thread_N{largest}": measure_posts(
            client_for, big_story, small_thread, label="reply", count=posts
        ),
        f"reply_thread_of_{thread_replies}": measure_posts(
            client_for, thread_story, targets, label="deep", count=posts
        ),
    }
    say(f"[{kind}] posting: {results['posting']}")
    if kind == "postgres":  # SQLite has no row locks to hold
        from bench import lockhold

        stories = lockhold.stories(*lock_sizes)
        results["lock_hold"] = lockhold.measure(client_for, *stories, posts=lock_posts)
        say(f"[{kind}] story lock held by a post: {results['lock_hold']}")
    rows = Comment.objects.values_list("id", "parent_id", "tree_id", "lft", "rght", "level")
    problems = tree_problems(Row(*row) for row in rows)
    assert not problems, problems
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--posts", type=int, default=20, help="posts per posting case")
    parser.add_argument("--thread-replies", type=int, default=THREAD_REPLIES)
    parser.add_argument("--lock-sizes", default="10,50000", help="comments on the two stories of the lock hold")
    parser.add_argument("--lock-posts", type=int, default=30, help="posts per story and kind in the lock hold")
    parser.add_argument(
        "--pg-url", default=os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    )
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    sizes = [int(n) for n in args.sizes.split(",")]
    with database(args.db, args.pg_url) as url, tempfile.TemporaryDirectory(prefix="newsroom-static-") as static:
        os.environ["BENCH_DATABASE_URL"] = url
        os.environ["DJANGO_STATIC_ROOT"] = static
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0, interactive=False)
        call_command("collectstatic", verbosity=0, interactive=False)  # hashed names, as production serves them
        results = run(
            args.db,
            sizes,
            args.requests,
            args.warmup,
            thread_replies=args.thread_replies,
            posts=args.posts,
            lock_sizes=tuple(int(n) for n in args.lock_sizes.split(",")),
            lock_posts=args.lock_posts,
        )
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
