"""What a reply costs as its thread grows, and the thread-size cap that follows: python -m bench.megathread

Why: comments are nested sets (django-mptt), so a reply shifts lft/rght of every row to its right in its tree. The
worst case is a reply to the root's first child in a flat thread: all the thread's rows move. This builds one story
per size with such a thread (bulk inserts, sound trees), then times comment_create replying to the first child,
the sizes taken in turn round after round so that drift in the machine's load falls on all alike, and prints the
median per size. The cap (COMMENTS_MAX_THREAD_SIZE) is the largest round size whose reply, on the straight line
fitted through the medians, costs at most 3x a reply in the 10-comment thread. PostgreSQL only, on a database of
its own (BENCH_POSTGRES_URL's server), dropped afterwards. Not part of `make test`: `make bench-megathread`.
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

from bench.run import DB_PREFIX, database, say

SIZES = (10, 1_000, 5_000, 10_000, 20_000)
PG_NAME = f"{DB_PREFIX}_megathread"
RATIO = 3.0


def flat_thread(replies: int, *, users, slug: str):
    """A story whose one thread is a root and `replies` direct replies to it; returns (story, first reply)."""
    from django.db.models import Max

    from bench import data
    from comments import services
    from comments.models import Comment

    story = data.busy_story(slug, hours_ago=49)
    tree_id = (Comment.objects.aggregate(top=Max("tree_id"))["top"] or 0) + 1

    def row(n: int, **place) -> Comment:
        body = f"Comment {n} of a long thread."
        return Comment(article=story, author=users[n % len(users)], body=body, body_html=f"<p>{body}</p>", **place)

    root = Comment.objects.create(
        **{f.attname: getattr(row(0), f.attname) for f in Comment._meta.concrete_fields if f.attname != "id"}
        | {"tree_id": tree_id, "lft": 1, "rght": 2 * replies + 2, "level": 0}
    )
    children = [row(n, parent=root, tree_id=tree_id, lft=2 * n, rght=2 * n + 1, level=1) for n in range(1, replies + 1)]
    Comment.objects.bulk_create(children, batch_size=5000)
    services.discussion_changed(story.pk, visible_delta=replies + 1)
    return story, children[0]


def measure(threads: dict[int, tuple], users, *, rounds: int, warmup: int) -> dict[int, dict]:
    from django.test import override_settings

    from comments import services

    samples: dict[int, list[float]] = {size: [] for size in threads}
    # Measure past any cap, with no rate limit and no first-comment hold: the cost of the insert alone.
    with override_settings(
        COMMENTS_MAX_THREAD_SIZE=10**9, COMMENTS_RATE_PER_MINUTE=10**6, COMMENTS_PREMODERATE_FIRST=0
    ):
        for number in range(warmup + rounds):
            order = list(threads) if number % 2 else list(reversed(threads))
            for size in order:
                story, first = threads[size]
                author = users[(number + size) % len(users)]
                t0 = time.perf_counter()
                services.comment_create(
                    article=story, author=author, parent=first.pk, body=f"Reply {number}.", notify_by_email=False
                )
                if number >= warmup:
                    samples[size].append(time.perf_counter() - t0)
    return {
        size: {"median_ms": round(statistics.median(s) * 1000, 2), "max_ms": round(max(s) * 1000, 2), "n": len(s)}
        for size, s in samples.items()
    }


def choose_cap(figures: dict[int, dict], *, ratio: float = RATIO) -> dict:
    """The fitted line cost = a + b * size through the medians, and the size where it reaches `ratio` times the
    smallest thread's median, rounded down to a thousand."""
    sizes = sorted(figures)
    xs, ys = sizes, [figures[size]["median_ms"] for size in sizes]
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sum((x - mean_x) ** 2 for x in xs)
    intercept = mean_y - slope * mean_x
    budget = ratio * figures[sizes[0]]["median_ms"]
    reach = (budget - intercept) / slope if slope > 0 else float(sizes[-1])
    return {
        "ms_per_1000_rows": round(slope * 1000, 2),
        "intercept_ms": round(intercept, 2),
        "budget_ms": round(budget, 2),
        "reach": int(reach),
        "cap": max(1000, int(reach) // 1000 * 1000),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--out", type=Path)
    parser.add_argument(
        "--pg-url", default=os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    )
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    with database("postgres", args.pg_url, name=PG_NAME) as url:
        os.environ["BENCH_DATABASE_URL"] = url
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0, interactive=False)
        from bench import data

        users = data.commenters()
        t0 = time.perf_counter()
        threads = {size: flat_thread(size, users=users, slug=f"megathread-{size}") for size in sizes}
        data.analyze()
        say(f"built threads of {', '.join(f'{s:,}' for s in sizes)} replies in {time.perf_counter() - t0:.1f}s")
        figures = measure(threads, users, rounds=args.rounds, warmup=args.warmup)
    base = figures[sizes[0]]["median_ms"]
    say("reply to the root's first child (every row of the thread shifts), comment_create, PostgreSQL:")
    for size in sizes:
        f = figures[size]
        ratio = f["median_ms"] / base
        say(f"  {size:>7,} replies: median {f['median_ms']:8.2f} ms  max {f['max_ms']:8.2f} ms  {ratio:5.2f}x")
    cap = choose_cap(figures)
    say(
        f"fitted {cap['intercept_ms']} ms + {cap['ms_per_1000_rows']} ms per 1,000 rows; {RATIO:g}x the "
        f"{sizes[0]}-reply thread = {cap['budget_ms']} ms at {cap['reach']:,} replies: cap {cap['cap']:,}"
    )
    result = {"replies": {str(size): figures[size] for size in sizes}, "cap": cap}
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n")
    else:
        sys.stdout.write(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
