"""How long a post holds its story's row, small story against huge: python -m bench.lockhold [--out FILE.json]

Why: every write to a story's discussion ends by taking the story's comments_discussion row FOR UPDATE
(comments.locking.lock_discussion, after its thread's lock and its tree shift, issue 15), so the time a post holds
it is the time every other writer of that story, in any thread, waits. Held from the moment that SELECT ... FOR
UPDATE returns until the transaction has committed (its first on_commit callback), for posts through the real view,
top-level comments and replies to a short thread, alternating between a 10-comment and a 50,000-comment story.
Before issue 13 each write recounted the story's visible comments under the lock (16-21 ms at 50,000 comments); now
the count moves by one. PostgreSQL only: SQLite has no row locks. `make bench` runs it inside bench.run; alone it
builds its own database.
"""

import argparse
import json
import os
import statistics
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from bench.run import DB_PREFIX, database, say

SMALL, LARGE = 10, 50_000
PG_NAME = f"{DB_PREFIX}_lockhold"


class LockClock:
    """Times each story lock (the discussion row, read FOR UPDATE) from its SELECT to the commit that releases it."""

    def __init__(self):
        from comments.models import Discussion

        self.held: list[float] = []
        self.table = f'"{Discussion._meta.db_table}"'

    def __call__(self, execute, sql, params, many, context):
        from django.db import transaction

        result = execute(sql, params, many, context)
        if "FOR UPDATE" in sql and f"FROM {self.table}" in sql:
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


def measure(client_for, small, large, *, posts: int = 30, warmup: int = 3, first_client: int = 30) -> dict:
    """Top-level posts, then replies to the stories' shortest threads, by distinct commenters (the rate limit
    counts per reader), alternating between the stories, each first in turn, so that drift in the machine's load
    falls on both alike; the figure is the ratio of the median hold times, large story over small."""
    from django.urls import reverse

    from comments.models import Comment

    clock = LockClock()
    pair = (("small", small), ("large", large))
    short_threads = {
        name: list(
            Comment.objects.filter(article=story, parent=None).order_by("rght", "pk").values_list("pk", flat=True)[:10]
        )
        for name, story in pair
    }
    result: dict = {"comments": {name: Comment.objects.filter(article=story).count() for name, story in pair}}
    for kind in ("top_level", "reply"):
        held: dict[str, list[float]] = {"small": [], "large": []}
        for number in range(warmup + posts):
            for name, story in pair if number % 2 else reversed(pair):  # neither always goes first
                client = client_for(first_client + 2 * number + (name == "large"))
                data = {"body": f"A {name} story's {kind} post, number {number}, to time the lock."}
                if kind == "reply":
                    data["parent"] = short_threads[name][number % len(short_threads[name])]
                with clock.timing():
                    response = client.post(reverse("comments:post", kwargs={"article_pk": story.pk}), data)
                assert response.status_code == 302 and "#comment-" in response.url, (response.status_code, name)
                assert len(clock.held) == 1, clock.held  # the story lock, once per post, released by its commit
                if number >= warmup:
                    held[name].extend(clock.held)
        first_client += 2 * (warmup + posts)  # other commenters for the replies
        result[kind] = {name: _summary(samples) for name, samples in held.items()}
        result[kind]["ratio"] = round(result[kind]["large"]["median_ms"] / result[kind]["small"]["median_ms"], 2)
    return result


def stories(small: int = SMALL, large: int = LARGE):
    """The two stories, built with bench.data's shaped discussions, then the planner's statistics gathered (with
    the statistics of before the 50,000 comments, a reply held the lock of the large story 4x longer)."""
    from bench import data

    built = data.build_story(small, slug="lock-small"), data.build_story(large, slug="lock-large")
    data.analyze()
    return built


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
