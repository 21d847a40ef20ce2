"""What the live "N new comments" poll costs the origin: python -m bench.live

Why: every reader with a recent story open polls comments/story/<id>/since/<version>/ every 15 s (static/js/live.js),
so the answer must be nearly free: under 5 ms uncached when nothing changed (issue 18). This builds one story with
50,000 comments on PostgreSQL (bench.data, the issue-6 shape; a database of its own, BENCH_POSTGRES_URL's server,
dropped afterwards), gives its comments the versions their posts would have given them, and times the poll through
django.test.Client with DEBUG off, nothing cached in between (the edge is what caches it): at the current version
(nothing changed), ten versions behind (ten new comments), and the fragment of those ten. Prints median and p95 in
ms, the queries per request and the answer's bytes. With --edge, then the same poll through Varnish: a web node
(gunicorn, production's command) behind deploy/varnish/default.vcl, wrk polling at about --rate requests a second
(readers spread over ten versions) while a comment is posted every --post-every seconds (each purges the story's
key), and the web node's CPU seconds per second from /proc; then, at --burst-per-minute comments a minute (500),
how long after its post each comment is first announced to readers polling through Varnish as static/js/live.js
does (every LIVE_POLL_INTERVAL, from the version they last saw; --readers of them, their polls spread over the
interval): the worst and the 95th percentile. Last, a live blog of --entries entries (2,000), its "since" and "new"
answers and its page, the same way. Not part of `make test`: `make bench-live`.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
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


def time_addresses(client, cases: dict[str, str], *, requests: int, warmup: int) -> dict:
    """Each labelled address's times, queries (one request counted) and answer's bytes; each must answer 200."""
    counter, figures = QueryCounter(), {}
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
    return figures


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

    def url(name: str, version: int) -> str:
        return reverse(f"comments:{name}", kwargs={"article_pk": article.pk, "version": version})

    cases = {
        # The framework's own cost per request (middleware, URL resolving), for scale: a page with no query.
        "baseline: /robots.txt": "/robots.txt",
        "since, nothing changed": url("live_since", current),
        "since, 10 new comments": url("live_since", current - 10),
        "new, the 10 comments (fragment)": url("live_new", current - 10),
    }
    figures = time_addresses(client, cases, requests=requests, warmup=warmup)
    for label, address in cases.items():
        if label.startswith("since"):
            figures[label]["answer"] = client.get(address).json()
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


# Each wrk connection asks for one of the poll addresses in turn and waits `delay` ms between its requests.
WRK_SCRIPT = """
paths = {%s}
n = 0
request = function()
  n = n + 1
  return wrk.format("GET", paths[(n %% #paths) + 1])
end
delay = function()
  return %d
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('RESULT {"requests": %%d, "duration_us": %%d, "errors": %%d, "status_errors": %%d,'
    .. ' "timeouts": %%d, "p50_us": %%d, "p95_us": %%d}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.status + e.timeout,
    e.status, e.timeout, latency:percentile(50), latency:percentile(95)))
end
"""


def _group_cpu(session: int) -> float:
    """CPU seconds used so far by every process of a session (a web node's master and workers), from /proc."""
    tick, total = os.sysconf("SC_CLK_TCK"), 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == session:
            total += sum(int(x) for x in fields[11:15]) / tick
    return total


class Readers:
    """`count` readers polling the story's "since" answer through the edge as static/js/live.js does: each every
    `interval` seconds (their first polls spread over one interval), from the version it last saw. Each answer
    that brings a reader from version a to b announces the comments of versions a+1..b; their delay is the time
    since each was posted (`posted`: version -> monotonic time, filled by the poster)."""

    def __init__(self, base: str, article_pk: int, version: int, *, count: int, interval: float, posted: dict):
        self.base, self.pk, self.start_version = base, article_pk, version
        self.count, self.interval, self.posted = count, interval, posted
        self.delays: list[float] = []
        self.errors = 0
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._read, args=(n,), daemon=True) for n in range(count)]

    def _read(self, n: int) -> None:
        seen = self.start_version
        if self.stop.wait(self.interval * n / self.count):
            return
        while not self.stop.is_set():
            try:
                with urllib.request.urlopen(f"{self.base}/comments/story/{self.pk}/since/{seen}/", timeout=5) as r:
                    answer = json.load(r)
            except OSError:
                self.errors += 1
            else:
                now = time.monotonic()
                for version in range(seen + 1, answer["version"] + 1):
                    if version in self.posted:
                        self.delays.append(now - self.posted[version])
                seen = max(seen, answer["version"])
            self.stop.wait(self.interval)

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join()

    def figures(self) -> dict:
        delays = sorted(self.delays)
        if not delays:
            return {"announced": 0, "errors": self.errors}
        return {
            "announced": len(delays),
            "median_s": round(statistics.median(delays), 2),
            "p95_s": round(delays[min(len(delays) - 1, int(len(delays) * 0.95))], 2),
            "worst_s": round(delays[-1], 2),
            "errors": self.errors,
        }


def through_edge(
    article, *, url: str, rate: int, seconds: int, post_every: float, burst_per_minute: int, readers: int
) -> dict:
    """Poll through Varnish at about `rate` requests a second while comments arrive; the origin's CPU per second.
    Then a burst of `burst_per_minute` comments a minute with `readers` polling as the script does: how long each
    comment takes to be announced."""
    from django.test import override_settings
    from django.urls import reverse

    from bench import data
    from comments import services
    from comments.models import Discussion
    from tests.servers import Varnish, WebNode, wait_for

    # Enough connections that each waits a little between polls (a reader's pause) and together they make `rate`.
    connections = max(rate // 40, 1)
    delay_ms = max(connections * 1000 * 4 // (rate * 5), 1)  # 4/5 of the even spacing: the answers take time too
    with tempfile.TemporaryDirectory(prefix="newsroom-live-edge-") as tmp:
        tmp = Path(tmp)
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "newsroom.settings",
            "DJANGO_ENV_FILE": "/nonexistent",
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": "live-bench-" + "x" * 40,
            # The VCL's probe asks as news.example.com (its backends' host_header).
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,news.example.com",
            "DJANGO_BEHIND_PROXY": "true",
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "DATABASE_URL": url,
            "DJANGO_STATIC_ROOT": str(tmp / "static"),
            "DJANGO_LOG_LEVEL": "WARNING",
            "GUNICORN_WORKERS": "1",
        }
        (tmp / "varnish").mkdir()
        node = WebNode(env, tmp / "gunicorn.log").start()
        varnish = Varnish(shutil.which("varnishd") or "/usr/sbin/varnishd", tmp / "varnish", [node.port])
        try:
            varnish.start()
            wait_for(
                lambda: "healthy" in varnish.backend_health().values(),
                timeout=30,
                what="Varnish's probe finding the web node healthy",
            )
            current = Discussion.of(article).version
            versions = range(current - 9, current + 1)
            paths = ", ".join(
                json.dumps(reverse("comments:live_since", kwargs={"article_pk": article.pk, "version": v}))
                for v in versions
            )
            script = tmp / "poll.lua"
            script.write_text(WRK_SCRIPT % (paths, delay_ms))
            command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s", "-s", str(script)]
            session = int(Path(f"/proc/{node.pid}/stat").read_text().rsplit(")", 1)[1].split()[3])
            cpu_before, started = _group_cpu(session), time.monotonic()
            load = subprocess.Popen([*command, varnish.url], stdout=subprocess.PIPE, text=True)
            users, posted = data.commenters(), 0
            with override_settings(
                EDGE_PURGE_URLS=[f"{varnish.url}/"], COMMENTS_RATE_PER_MINUTE=0, COMMENTS_PREMODERATE_FIRST=0
            ):
                while load.poll() is None:
                    services.comment_create(article=article, author=users[posted % len(users)], body="New.")
                    posted += 1
                    time.sleep(post_every)
            out = load.communicate()[0]
            elapsed = time.monotonic() - started
            cpu = _group_cpu(session) - cpu_before
            burst = announcements(
                article, varnish.url, users, per_minute=burst_per_minute, readers=readers, seconds=seconds * 2
            )
            burst["origin_cpu_seconds_per_second"] = round(
                (_group_cpu(session) - cpu_before - cpu) / burst["seconds"], 4
            )
        finally:
            if varnish.process is not None:
                varnish.stop()
            node.stop()
    figures = json.loads(next(line for line in out.splitlines() if line.startswith("RESULT ")).removeprefix("RESULT "))
    return {
        "rps": round(figures["requests"] / (figures["duration_us"] / 1e6), 1),
        "errors": figures["errors"],
        "non_2xx": figures["status_errors"],
        "timeouts": figures["timeouts"],
        "p50_ms": figures["p50_us"] / 1000,
        "p95_ms": figures["p95_us"] / 1000,
        "comments_posted": posted,
        "origin_cpu_seconds_per_second": round(cpu / elapsed, 4),
        "seconds": round(elapsed, 1),
        "burst": burst,
    }


def announcements(article, edge: str, users, *, per_minute: int, readers: int, seconds: int) -> dict:
    """Post `per_minute` comments a minute for `seconds` while `readers` poll through the edge; their delays."""
    from django.conf import settings
    from django.test import override_settings

    from comments import services
    from comments.models import Discussion

    posted: dict[int, float] = {}
    every = 60 / per_minute
    interval = settings.LIVE_POLL_INTERVAL
    # The bench's few commenters post far more often than real ones: surge mode's slow mode would refuse them (a
    # real surge has thousands of readers posting once each), so it is off here; what is measured is the announcing.
    quiet = {"COMMENTS_RATE_PER_MINUTE": 0, "COMMENTS_PREMODERATE_FIRST": 0, "COMMENTS_SURGE_PER_MINUTE": 0}
    with override_settings(EDGE_PURGE_URLS=[f"{edge}/"], **quiet):
        with Readers(
            edge, article.pk, Discussion.of(article).version, count=readers, interval=interval, posted=posted
        ) as polling:
            started = time.monotonic()
            n = 0
            while time.monotonic() - started < seconds:
                comment = services.comment_create(article=article, author=users[n % len(users)], body="Breaking.")
                posted[comment.version] = time.monotonic()
                n += 1
                time.sleep(max(0.0, started + n * every - time.monotonic()))
            # The last comments are announced by the next round of polls.
            time.sleep(interval + settings.LIVE_SHARED_SECONDS * 2)
        elapsed = time.monotonic() - started
    return {
        "comments_posted": n,
        "per_minute": round(n / (elapsed - interval - settings.LIVE_SHARED_SECONDS * 2) * 60),
        "readers": readers,
        "poll_interval_s": interval,
        "seconds": round(elapsed, 1),
        **polling.figures(),
    }


def live_blog(entries: int, *, requests: int, warmup: int) -> dict:
    """A published live blog of `entries` entries written through articles.services.live_entry_save; its "since"
    (nothing new, 5 new, past the cap) and "new" answers and its page, uncached."""
    from datetime import timedelta

    from django.conf import settings
    from django.test import Client, override_settings
    from django.utils import timezone

    from articles import services
    from articles.models import Article, LiveEntry, LiveTextBlock, Section

    section, _ = Section.objects.get_or_create(slug="live-bench", defaults={"name": "Live bench"})
    blog = Article.objects.create(
        headline="Bench live blog",
        deck="A live blog.",
        slug="bench-live-blog",
        section=section,
        status=Article.Status.PUBLISHED,
        publish_at=timezone.now() - timedelta(days=1),
        is_live_blog=True,
    )
    start = timezone.now() - timedelta(hours=20)
    for n in range(entries):
        entry = LiveEntry(article=blog, headline=f"Update {n}", published_at=start + timedelta(seconds=30 * n))
        services.live_entry_save(entry=entry, blocks=[LiveTextBlock(text=f"<p>Update number {n}.</p>")])
    blog.refresh_from_db()
    client, v = Client(), blog.live_version
    # The page names its static files; the bench collects none, so their plain names do.
    plain = override_settings(
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
    )
    plain.enable()
    cases = {
        # Timed again here: the machine's load moves between the comments' figures and these.
        "baseline: /robots.txt": "/robots.txt",
        "since, nothing new": f"/live/{blog.pk}/since/{v}/",
        "since, 5 new": f"/live/{blog.pk}/since/{v - 5}/",
        "since, past the cap": f"/live/{blog.pk}/since/0/",
        "new, 5 entries (fragment)": f"/live/{blog.pk}/new/{v - 5}/",
        "the page (newest 20 entries)": blog.get_absolute_url(),
    }
    figures = time_addresses(client, cases, requests=requests, warmup=warmup)
    plain.disable()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--edge", action="store_true", help="also poll through Varnish with wrk")
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--post-every", type=float, default=2.0)
    parser.add_argument("--burst-per-minute", type=int, default=500)
    parser.add_argument("--readers", type=int, default=30)
    parser.add_argument("--entries", type=int, default=2000, help="the live blog's entries")
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
        edge = None
        if args.edge:
            edge = through_edge(
                article,
                url=url,
                rate=args.rate,
                seconds=args.seconds,
                post_every=args.post_every,
                burst_per_minute=args.burst_per_minute,
                readers=args.readers,
            )
        blog = live_blog(args.entries, requests=args.requests, warmup=args.warmup)
    say(f"live poll at a story with {args.comments:,} comments, uncached, django.test.Client, PostgreSQL:")
    plans = figures.pop("plans")
    for label, f in figures.items():
        say(
            f"  {label:<34} median {f['median_ms']:6.2f} ms  p95 {f['p95_ms']:6.2f} ms  "
            f"{f['queries']} quer{'y' if f['queries'] == 1 else 'ies'}  {f['bytes']:,} bytes"
        )
    for label, plan in plans.items():
        say(f"  query: {label:<27} executes in {plan['execution_ms']:.3f} ms, index {', '.join(plan['indexes'])}")
    say(f"a live blog of {args.entries:,} entries, uncached:")
    for label, f in blog.items():
        say(
            f"  {label:<34} median {f['median_ms']:6.2f} ms  p95 {f['p95_ms']:6.2f} ms  "
            f"{f['queries']} quer{'y' if f['queries'] == 1 else 'ies'}  {f['bytes']:,} bytes"
        )
    result = {"comments": args.comments, "requests": figures, "plans": plans, "live_blog": blog}
    if edge:
        say(
            f"through Varnish: {edge['rps']:,} polls/s for {edge['seconds']} s, p95 {edge['p95_ms']} ms, "
            f"{edge['errors']} errors ({edge['non_2xx']} non-2xx, {edge['timeouts']} timeouts), "
            f"{edge['comments_posted']} comments posted meanwhile; origin (gunicorn) "
            f"{edge['origin_cpu_seconds_per_second']:.3f} CPU s per s"
        )
        b = edge["burst"]
        say(
            f"a burst of {b['per_minute']} comments a minute for {b['seconds']} s, {b['readers']} readers polling "
            f"through Varnish every {b['poll_interval_s']} s: {b['announced']:,} announcements, delay from post to "
            f"announcement median {b.get('median_s')} s, p95 {b.get('p95_s')} s, worst {b.get('worst_s')} s, "
            f"{b['errors']} errors; origin {b['origin_cpu_seconds_per_second']:.3f} CPU s per s"
        )
        result["edge"] = edge
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n")
    else:
        sys.stdout.write(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
