"""What the live "N new comments" poll costs the origin: python -m bench.live

Why: every reader with a recent story open polls comments/story/<id>/since/<version>/ every 15 s (static/js/live.js),
so the answer must be nearly free: under 5 ms uncached when nothing changed (issue 18). This builds one story with
50,000 comments on PostgreSQL (bench.data, the issue-6 shape; a database of its own, BENCH_POSTGRES_URL's server,
dropped afterwards), gives its comments the versions their posts would have given them, and times the poll through
django.test.Client with DEBUG off, nothing cached in between (the edge is what caches it): at the current version
(nothing changed), ten versions behind (ten new comments), and the fragment of those ten. Prints median and p95 in
ms, the queries per request and the answer's bytes. Not part of `make test`: `make bench-live`.
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

from bench.run import DB_PREFIX, QueryCounter, database, say

PG_NAME = f"{DB_PREFIX}_live"


def timed(call, *, requests: int, warmup: int) -> dict:
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(requests):
        t0 = time.perf_counter()
        call()
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    return {
        "median_ms": round(statistics.median(samples), 3),
        "p95_ms": round(samples[min(len(samples) - 1, int(len(samples) * 0.95))], 3),
        "n": len(samples),
    }


def build(comments: int):
    """The story, its comments numbered 1..n in posting order as their versions, the discussion at version n."""
    from django.db import connection

    from bench import data
    from comments.models import Comment, Discussion

    article = data.build_story(comments, slug="live-bench")
    table = Comment._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET version = ranked.n FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY created_at, id) AS n "
            f"FROM {table} WHERE article_id = %s) ranked WHERE {table}.id = ranked.id",
            [article.pk],
        )
    Discussion.objects.filter(pk=article.pk).update(version=comments)
    data.analyze()
    return article


def measure(article, *, requests: int, warmup: int) -> dict:
    from django.test import Client
    from django.urls import reverse

    from comments.models import Discussion

    client = Client()
    current = Discussion.of(article).version
    counter = QueryCounter()

    def url(name: str, version: int) -> str:
        return reverse(f"comments:{name}", kwargs={"article_pk": article.pk, "version": version})

    cases = {
        # The framework's own cost per request (middleware, URL resolving), for scale: a page with no query.
        "baseline: /robots.txt": "/robots.txt",
        "since, nothing changed": url("live_since", current),
        "since, 10 new comments": url("live_since", current - 10),
        "new, the 10 comments (fragment)": url("live_new", current - 10),
    }
    figures = {}
    for label, address in cases.items():
        response = client.get(address)
        assert response.status_code == 200, (address, response.status_code, response.content[:200])
        with counter.counting():
            client.get(address)
        figures[label] = {
            **timed(lambda address=address: client.get(address), requests=requests, warmup=warmup),
            "queries": counter.count,
            "bytes": len(response.content),
            "url": address,
        }
        if label.startswith("since"):
            figures[label]["answer"] = response.json()
    figures["plans"] = plans(article, current)
    return figures


def plans(article, current: int) -> dict:
    """PostgreSQL's plan and execution time of the poll's two queries (the index each reads)."""
    from django.db import connection

    from comments import selectors

    selectors.live_version(article.pk)  # warm
    found = {}
    queries = {
        "version": selectors.Article.objects.published()
        .filter(pk=article.pk)
        .values_list("discussion__version", flat=True)[:1],
        "count of 10 new": selectors._live_new(article_pk=article.pk, since=current - 10, upto=current, thread=None)
        .order_by()
        .values("pk")[:51],
    }
    for label, queryset in queries.items():
        sql, params = queryset.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params)
            plan = cursor.fetchone()[0]
        plan = plan[0] if isinstance(plan, list) else json.loads(plan)[0]
        indexes = sorted(set(_indexes(plan["Plan"])))
        found[label] = {"execution_ms": plan["Execution Time"], "indexes": indexes}
    return found


def _indexes(node: dict):
    if "Index Name" in node:
        yield node["Index Name"]
    for child in node.get("Plans", []):
        yield from _indexes(child)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--out", type=Path)
    parser.add_argument(
        "--pg-url", default=os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    )
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    with database("postgres", args.pg_url, name=PG_NAME) as url:
        os.environ["BENCH_DATABASE_URL"] = url
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0, interactive=False)
        t0 = time.perf_counter()
        article = build(args.comments)
        say(f"built a story with {args.comments:,} comments in {time.perf_counter() - t0:.1f}s")
        figures = measure(article, requests=args.requests, warmup=args.warmup)
    say(f"live poll at a story with {args.comments:,} comments, uncached, django.test.Client, PostgreSQL:")
    plans = figures.pop("plans")
    for label, f in figures.items():
        say(
            f"  {label:<34} median {f['median_ms']:6.2f} ms  p95 {f['p95_ms']:6.2f} ms  "
            f"{f['queries']} quer{'y' if f['queries'] == 1 else 'ies'}  {f['bytes']:,} bytes"
        )
    for label, plan in plans.items():
        say(f"  query: {label:<27} executes in {plan['execution_ms']:.3f} ms, index {', '.join(plan['indexes'])}")
    result = {"comments": args.comments, "requests": figures, "plans": plans}
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n")
    else:
        sys.stdout.write(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
