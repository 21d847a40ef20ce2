"""Scale check for reader search: generate 100,000 live stories, then time the search page for typical queries.

Usage: python scripts/search_bench.py [--database sqlite|postgres://...] [--stories 100000] [--runs 15]

It works on a database of its own, as scripts/import_bench.py does (a temporary SQLite file, or on PostgreSQL the
URL's database name with "_bench" appended, dropped and created afresh). Stories are written with bulk inserts,
so SQLite's index triggers and PostgreSQL's GIN index are maintained row by row as any write would. Each query is
the whole search page through the real view (django.test.Client, DEBUG off): the capped count, 20 ranked results
with their cards, the template; median and 90th percentile of `--runs` requests after two warm-ups.
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from import_bench import manage, prepare_database, say

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

COMMON = " ".join(
    (
        "the of and to in a is that for on was with as by at from said it its are has have be were will this year",
        "council city people government police new would could after two more first last week report water plan",
        "school rail museum storm bridge harbour vote budget mayor residents night funding season market ferry street",
        "river minister court health hospital workers union strike election party campaign tax prices energy power",
        "farmers drought flood coast village town region border talks agreement money bank jobs housing rent students",
    )
).split()
# Words each in about 1 in 200 stories, and one phrase, so the queries below find a few hundred stories.
RARE = ["glacier", "observatory", "transcribe", "seedbank", "ceasefire", "referendum"]
PHRASE = "sea wall"
QUERIES = [
    ("one common word", "council"),
    ("two common words", "harbour storm"),
    ("one rare word (stemmed)", "glaciers"),
    ("a phrase", f'"{PHRASE}"'),
    ("a word, minus another", "referendum -election"),
    ("no match", "zzyzxquux"),
]


def vocabulary(rng: random.Random, size: int = 20_000) -> list[str]:
    """Common news words first, then made-up ones, in a Zipf-like order of frequency."""
    syllables = " ".join(("ba ko ri ta ne lu mo sa vi de", "pa ru lo ki na to me si fa go")).split()
    made_up = {"".join(rng.choices(syllables, k=rng.randint(2, 4))) for _ in range(size)}
    return COMMON + sorted(made_up - set(COMMON))


def text(rng: random.Random, words: list[str], weights: list[float], n: int) -> str:
    return " ".join(rng.choices(words, cum_weights=weights, k=n))


def story_fields(rng: random.Random, words: list[str], weights: list[float]) -> dict:
    paragraphs = []
    for _ in range(rng.randint(4, 10)):
        paragraph = text(rng, words, weights, rng.randint(25, 45)).capitalize() + "."
        if rng.random() < 0.15:
            paragraph += f' See <a href="https://example.org/{rng.choice(words)}">the {rng.choice(words)} report</a>.'
        if rng.random() < 0.1:
            paragraph = f"<em>{paragraph}</em>"
        paragraphs.append(paragraph)
    if rng.random() < 0.03:
        paragraphs.insert(rng.randrange(len(paragraphs)), f"The {PHRASE} held.")
    for rare in RARE:
        if rng.random() < 0.005:
            paragraphs.append(f"The {rare} story.")
    return {
        "headline": text(rng, words, weights, rng.randint(6, 12)).capitalize(),
        "deck": text(rng, words, weights, rng.randint(15, 30)).capitalize() + ".",
        "body": "\n\n".join(paragraphs),
    }


def load(count: int, seed: int = 11) -> float:
    from django.utils import timezone

    from articles.models import Article, Section

    rng = random.Random(seed)
    words = vocabulary(rng)
    cumulative, total = [], 0.0
    for rank in range(len(words)):
        total += 1 / (rank + 1)
        cumulative.append(total)
    section = Section.objects.create(name="News", slug="news")
    now = timezone.now()
    started = time.monotonic()
    batch = 2_000
    for start in range(0, count, batch):
        Article.objects.bulk_create(
            Article(
                **story_fields(rng, words, cumulative),
                slug=f"story-{n}",
                section=section,
                status=Article.Status.PUBLISHED,
                publish_at=now - timedelta(minutes=n),
            )
            for n in range(start, min(start + batch, count))
        )
    return time.monotonic() - started


def measure(runs: int) -> list[dict]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from articles import search

    client = Client()
    results = []
    for label, query in QUERIES:
        for _ in range(2):
            assert client.get("/search/", {"q": query}).status_code == 200
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            response = client.get("/search/", {"q": query})
            times.append(time.perf_counter() - started)
            assert response.status_code == 200
        with CaptureQueriesContext(connection) as queries:
            client.get("/search/", {"q": query})
        # Counted as the page counts them: no further than the cap.
        paginator = search.CappedPaginator(search.search_stories(query), 20)
        matches = f"{paginator.count:,}{'+' if paginator.more else ''}"
        results.append(
            {
                "label": label,
                "query": query,
                "matches": matches,
                "median_ms": statistics.median(times) * 1000,
                "p90_ms": statistics.quantiles(times, n=10)[-1] * 1000,
                "queries": len(queries),
            }
        )
        say(
            f"  {label:26} {query!r:24} {matches:>7} found  median {results[-1]['median_ms']:7.1f} ms  "
            f"p90 {results[-1]['p90_ms']:7.1f} ms  {len(queries)} queries"
        )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="sqlite", help='"sqlite" or a postgres:// URL')
    parser.add_argument("--stories", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()

    env = {
        **os.environ,
        "DATABASE_URL": prepare_database(args.database),
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "search-bench-only",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_ALLOWED_HOSTS": "testserver",
        "CACHE_URL": f"filecache://{tempfile.mkdtemp(prefix='search-bench-cache-')}",
        "DJANGO_STATIC_ROOT": tempfile.mkdtemp(prefix="search-bench-static-"),
    }
    os.environ.update(env)
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "collectstatic", "--noinput", "-v", "0")  # hashed names, as production serves them

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
    django.setup()
    from django.db import connection

    elapsed = load(args.stories)
    say(f"{connection.vendor}: wrote {args.stories:,} stories (index kept as they were written) in {elapsed:.1f} s.")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    measure(args.runs)


if __name__ == "__main__":
    main()
