"""How long a post holds its story's lock, small story against huge: python -m bench.lockhold [--out FILE.json]

Why: every write to a story's discussion runs under the story's row lock (comments.locking), so the time a post
holds it is the time every other writer of that story waits. Held from the moment the story's SELECT ... FOR UPDATE
returns until the transaction has committed (its first on_commit callback), for top-level posts through the real
view, alternating between a 10-comment and a 50,000-comment story. PostgreSQL only: SQLite has no row locks.
`make bench` runs it inside bench.run; alone it builds its own database.
"""

import argparse
import json
import os
import statistics
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from bench.run import database, say

SMALL, LARGE = 10, 50_000
PG_NAME = "newsroom_bench_lockhold"


class LockClock:
    """Times each story lock from its SELECT ... FOR UPDATE to the commit that releases it."""

    def __init__(self):
        self.held: list[float] = []

    def __call__(self, execute, sql, params, many, context):
        from django.db import transaction

        result = execute(sql, params, many, context)
        if "FOR UPDATE" in sql and '"articles_article"' in sql:
            started = time.perf_counter()
            transaction.on_commit(lambda: self.held.append(time.perf_counter() - started))
        return result

    @contextmanager
    def timing(self):
        from django.db import connection

        self.held = []
        with connection.execute_wrapper(self):
            yield self


def _summary(samples: list[float]) -> dict:
    samples = sorted(samples)
    return {
        "median_ms": round(statistics.median(samples) * 1000, 2),
        "p90_ms": round(samples[min(len(samples) - 1, int(len(samples) * 0.9))] * 1000, 2),
        "n": len(samples),
    }


def measure(client_for, small, large, *, posts: int = 30, warmup: int = 3, first_client: int = 100) -> dict:
    """Top-level posts by distinct commenters (the rate limit counts per reader), alternating between the stories,
    each first in turn, so that drift in the machine's load falls on both alike; the figure is the ratio of the
    median hold times."""
    from django.urls import reverse

    held: dict[str, list[float]] = {"small": [], "large": []}
    clock = LockClock()
    pair = (("small", small), ("large", large))
    for number in range(warmup + posts):
        for name, story in pair if number % 2 else reversed(pair):  # neither always goes first
            client = client_for(first_client + 2 * number + (name == "large"))
            url = reverse("comments:post", kwargs={"article_pk": story.pk})
            with clock.timing():
                response = client.post(url, {"body": f"A {name} story's post, number {number}, to time the lock."})
            assert response.status_code == 302, (response.status_code, name)
            assert len(clock.held) == 1, clock.held  # one lock per post, released by its commit
            if number >= warmup:
                held[name].extend(clock.held)
    result = {f"N{SMALL if name == 'small' else LARGE}": _summary(samples) for name, samples in held.items()}
    result["ratio"] = round(result[f"N{LARGE}"]["median_ms"] / result[f"N{SMALL}"]["median_ms"], 2)
    return result


def stories():
    """The two stories, built with bench.data's shaped discussions."""
    from bench import data

    return data.build_story(SMALL, slug="lock-small"), data.build_story(LARGE, slug="lock-large")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path)
    parser.add_argument("--posts", type=int, default=30)
    parser.add_argument(
        "--pg-url", default=os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    )
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    with database("postgres", args.pg_url, name=PG_NAME) as url:
        os.environ["BENCH_DATABASE_URL"] = url
        import django
        from django.core.management import call_command
        from django.test import Client

        django.setup()
        call_command("migrate", verbosity=0, interactive=False)
        from bench import data

        users = data.commenters()
        t0 = time.perf_counter()
        small, large = stories()
        say(f"built the {SMALL}- and {LARGE:,}-comment stories in {time.perf_counter() - t0:.1f}s")

        def client_for(number: int) -> Client:
            client = Client()
            client.force_login(users[number % len(users)])
            return client

        result = measure(client_for, small, large, posts=args.posts)
    sys.stdout.write(json.dumps(result, indent=2) + "\n")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
