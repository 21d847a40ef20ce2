"""The discussions API's first page of threads at N=100 and N=10,000 comments: python -m bench.api --db sqlite|postgres

Builds each story with the issue-6 data shape (bench.data.build_story, in a database of its own: a temporary SQLite
file, or $BENCH_DB_PREFIX_api on BENCH_POSTGRES_URL's server, dropped afterwards), then times
GET /api/v1/stories/<id>/comments/ in each sort, the sizes and sorts taken in turn, through django.test.Client with
DEBUG off, signed out and uncached (nothing in front of the origin: what a request costs when the edge does not hold
the answer), and prints the median and p95 over the repeated requests, the queries and the bytes of an answer. Not
part of `make test`: `make bench-api`.
"""

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

from bench.run import DB_PREFIX, QueryCounter, database, interleaved, say

SIZES = (100, 10_000)
SORTS = ("oldest", "newest", "liked")
PG_NAME = f"{DB_PREFIX}_api"


def measure(sizes, *, requests: int, warmup: int) -> dict:
    """Build a story per size, then time its first page of threads in every sort, the requests of every size and
    sort taken in turn (bench.run.interleaved), so that the machine's drift in load falls on all alike; figures by
    size, then sort."""
    from django.test import Client

    from bench import data

    client, counter = Client(), QueryCounter()
    results: dict = {}
    calls = {}
    for n in sizes:
        t0 = time.perf_counter()
        article = data.build_story(n, slug=f"api-{n}")
        results[str(n)] = {"build_s": round(time.perf_counter() - t0, 1)}
        for sort in SORTS:
            url = f"/api/v1/stories/{article.pk}/comments/?sort={sort}"

            def call(url=url):
                response = client.get(url)
                assert response.status_code == 200, response.content[:300]
                return response

            with counter.counting():
                body = call().json()
            results[str(n)][sort] = {
                "queries": counter.count,
                "threads": len(body["threads"]),
                "comments": sum(len(thread["comments"]) for thread in body["threads"]),
                "bytes": len(call().content),
            }
            calls[(str(n), sort)] = call
    data.analyze()
    figures = interleaved({f"{n} {sort}": call for (n, sort), call in calls.items()}, rounds=requests, warmup=warmup)
    for n, sort in calls:
        results[n][sort] |= figures[f"{n} {sort}"]
    return results


def report(results: dict) -> str:
    lines = ["first page of threads, GET /api/v1/stories/<id>/comments/, signed out, uncached:"]
    for n, figures in results.items():
        for sort in SORTS:
            f = figures[sort]
            lines.append(
                f"  N={int(n):>6,} {sort:<6}  median {f['median_ms']:7.2f} ms  p95 {f['p95_ms']:7.2f} ms  "
                f"({f['n']} requests, {f['queries']} queries, {f['threads']} threads, {f['comments']} comments, "
                f"{f['bytes']:,} bytes)"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], required=True)
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--out", type=Path)
    parser.add_argument(
        "--pg-url", default=os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    )
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    sizes = [int(n) for n in args.sizes.split(",")]
    with database(args.db, args.pg_url, name=PG_NAME) as url:
        os.environ["BENCH_DATABASE_URL"] = url
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0, interactive=False)
        results = measure(sizes, requests=args.requests, warmup=args.warmup)
    say(f"[{args.db}] " + report(results))
    output = {
        "database": args.db,
        "sizes": results,
        "requests": args.requests,
        "django": django.get_version(),
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()}",
    }
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(output, indent=2) + "\n")
    else:
        sys.stdout.write(json.dumps(output, indent=2) + "\n")


if __name__ == "__main__":
    main()
