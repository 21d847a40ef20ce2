"""How long a live blog's "since" and "new" answers take at the origin, uncached (issue 18's target: "since" under
5 ms when nothing changed).

Usage: python scripts/live_bench.py [--database sqlite|postgres://...] [--entries 2000] [--runs 300]

On a database of its own (as scripts/import_bench.py: a temporary SQLite file, or the URL's name with "_bench"
appended, dropped and made afresh): one published live blog with `--entries` entries written through
articles.services.live_entry_save. Each figure is the whole request through the real view (django.test.Client,
DEBUG off, signed out): median and 90th percentile of `--runs` requests after ten warm-ups.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from import_bench import manage, prepare_database, say

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def timed(client, url: str, runs: int) -> tuple[float, float, int]:
    for _ in range(10):
        client.get(url)
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.9)], len(response.content)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="sqlite", help='"sqlite" or a postgres:// URL')
    parser.add_argument("--entries", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args()
    env = {
        **os.environ,
        "DATABASE_URL": prepare_database(args.database),
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "live-bench-only",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_ALLOWED_HOSTS": "testserver",
        "CACHE_URL": f"filecache://{tempfile.mkdtemp(prefix='live-bench-cache-')}",
        "DJANGO_STATIC_ROOT": tempfile.mkdtemp(prefix="live-bench-static-"),
    }
    os.environ.update(env)
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "collectstatic", "--noinput", "-v", "0")

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
    django.setup()
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from articles import services
    from articles.models import Article, LiveEntry, Section

    section = Section.objects.create(name="World", slug="world")
    blog = Article.objects.create(
        headline="Bench live",
        deck="A live blog.",
        slug="bench-live",
        section=section,
        status=Article.Status.PUBLISHED,
        publish_at=timezone.now() - timezone.timedelta(days=1),
        is_live_blog=True,
    )
    start = timezone.now() - timezone.timedelta(hours=20)
    for n in range(args.entries):
        entry = LiveEntry(
            article=blog,
            headline=f"Update {n}",
            body=f"<p>Update number {n}.</p>",
            published_at=start + timezone.timedelta(seconds=30 * n),
        )
        services.live_entry_save(entry=entry)
    blog.refresh_from_db()
    client = Client()
    v = blog.live_version
    say(f"{connection.vendor}: a live blog of {args.entries:,} entries, version {v}; {args.runs} requests each")
    for name, url in [
        ("robots.txt (the middleware alone)", "/robots.txt"),
        ("since, nothing new", f"/live/{blog.pk}/since/{v}/"),
        ("since, 5 new", f"/live/{blog.pk}/since/{v - 5}/"),
        ("since, past the cap", f"/live/{blog.pk}/since/0/"),
        ("new, 5 entries", f"/live/{blog.pk}/new/{v - 5}/"),
        ("the page (newest 20 entries)", blog.get_absolute_url()),
    ]:
        median, p90, size = timed(client, url, args.runs)
        say(f"  {name:34} median {median:6.2f} ms   p90 {p90:6.2f} ms   {size:,} bytes")


if __name__ == "__main__":
    main()
