"""Breaking news against the whole stack: python -m bench.load_stack [--duration 180] [--rate 500] [--out FILE]

`make load-stack`. Starts the stack of scripts/stack.py in .bench/stack/ (PostgreSQL primary and streaming replica,
PgBouncer, two gunicorn nodes, an RQ worker, Varnish; Redis as running here), with the demo and a hot story of
1,000 comments, then:

1. the edge's worth: wrk on the signed-out story page straight at both web nodes, then the same through Varnish;
2. breaking news for --duration seconds: signed-out readers (wrk) on the home page and the hot story through the
   edge; signed-in readers posting to that story at --rate comments a minute (a third top-level, the rest replies),
   open loop; signed-in readers re-fetching the story page; a signed-out reader waiting for new comments to show;
   a third of the way through, one web node is killed (SIGKILL) and started again 20 s later.

It reports requests/s, p50/p95/p99 by kind, the Varnish hit ratio, errors, comments accepted and stored (lost,
duplicated, stored without an answer), corrupt trees (check_comment_trees), the replica's lag, and how long a new
comment takes to reach a signed-out reader. Everything it started is stopped and its folder removed afterwards.
"""

import argparse
import http.client
import json
import os
import random
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from scripts.stack import ROOT, Stack

WRK_SCRIPT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests": %d, "duration_us": %d, "errors": %d, "status_errors": %d, "p50_us": %d, "p95_us": %d,'
    .. ' "p99_us": %d}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.status + e.timeout, e.status,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""
# Signed-out readers in the breaking-news run: each wrk connection waits this long between its requests, so that
# they leave the two cores to the posting they share them with (the edge's worth is measured unpaced, before it).
PACE = """
delay = function()
  return %d
end
"""
ANCHOR = re.compile(r"comment-(\d+)")
KILL_FOR = 20  # seconds the killed node stays down
OWN_SAMPLE = 10  # every 10th poster follows the redirect to their comment, signed in


def say(line: str) -> None:
    sys.stdout.write(f"[load-stack {time.strftime('%H:%M:%S')}] {line}\n")
    sys.stdout.flush()


class Timings:
    """Latencies and outcomes of one kind of request, from any thread."""

    def __init__(self):
        self.lock = threading.Lock()
        self.seconds: list[float] = []
        self.statuses: dict[str, int] = {}

    def add(self, seconds: float, status: str) -> None:
        with self.lock:
            self.seconds.append(seconds)
            self.statuses[status] = self.statuses.get(status, 0) + 1

    def summary(self, duration: float) -> dict:
        ordered = sorted(self.seconds)

        def percentile(p):
            return round(ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000, 1) if ordered else None

        return {
            "requests": len(ordered),
            "rps": round(len(ordered) / duration, 1),
            "p50_ms": percentile(50),
            "p95_ms": percentile(95),
            "p99_ms": percentile(99),
            "statuses": dict(sorted(self.statuses.items())),
        }


def request(port: int, path: str, *, method: str = "GET", cookies: dict | None = None, body: dict | None = None):
    """(status, headers, text) of one request on a new connection, or ("error", {}, reason)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    headers = {"Accept-Encoding": "identity"}
    if cookies:
        headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
    data = None
    if body is not None:
        data = urlencode(body)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        return response.status, response.headers, response.read().decode(errors="replace")
    except (OSError, http.client.HTTPException) as error:
        return "error", {}, type(error).__name__
    finally:
        connection.close()


def outcome(status, headers, text: str) -> str:
    """The status, and for a 503 whether the edge made it (no web node answered) or the site (e.g. a lock wait)."""
    if status == 503:
        return "503 edge" if "The site is not answering" in text else "503 site"
    return str(status)


def wrk(url: str, *, connections: int, seconds: int, script: Path) -> dict:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s", "-s", str(script), url]
    out = subprocess.run(command, check=True, capture_output=True, text=True, timeout=seconds + 60).stdout
    figures = json.loads(next(line for line in out.splitlines() if line.startswith("RESULT ")).removeprefix("RESULT "))
    return {
        "rps": round(figures["requests"] / (figures["duration_us"] / 1e6), 1),
        "requests": figures["requests"],
        "errors": figures["errors"],
        "non_2xx_3xx": figures["status_errors"],
        "p50_ms": figures["p50_us"] / 1000,
        "p95_ms": figures["p95_us"] / 1000,
        "p99_ms": figures["p99_us"] / 1000,
    }


def in_background(function, *args, **kwargs):
    """Run function(*args) in a thread; returns a callable that waits for and returns its result."""
    box = {}
    thread = threading.Thread(target=lambda: box.update(result=function(*args, **kwargs)), daemon=True)
    thread.start()

    def result():
        thread.join()
        return box["result"]

    return result


def _stat(pid: int) -> list[str]:
    """/proc/<pid>/stat's fields after the command name: state, ppid, pgrp, session, ... utime (11) to cstime (14)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def cpu_seconds(stack: Stack) -> dict[str, float]:
    """CPU seconds used so far by each part of the stack: every process of its session (each server was started in
    one of its own; a finished child, such as the worker's work horse, counts in its parent's cutime)."""
    cluster_pid = {name: int((cluster.directory / "postmaster.pid").read_text().split()[0])
                   for name, cluster in (("primary", stack.primary), ("replica", stack.replica))}  # fmt: skip
    parts = {
        **{f"web{n}": node.pid for n, node in enumerate(stack.web, start=1)},
        "worker": stack.worker.process.pid,
        "varnish": stack.varnish.process.pid,
        "pgbouncer": stack.bouncer.pid,
        **cluster_pid,
        "load generator (wrk, this script)": os.getpid(),
    }
    by_session = {}
    for name, pid in parts.items():
        try:
            by_session[int(_stat(pid)[3])] = name
        except OSError:  # a node killed and not yet started again
            continue
    by_parent = {pid: name for name, pid in cluster_pid.items()}
    totals = dict.fromkeys(parts, 0.0)
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = _stat(int(entry.name))
        except OSError:
            continue
        # PostgreSQL's backends leave the postmaster's session (setsid): they count as their parent's.
        name = by_session.get(int(fields[3])) or by_parent.get(int(fields[1]))
        if name:
            totals[name] += sum(int(x) for x in fields[11:15]) / tick
    return totals


def varnish_counters(stack: Stack) -> dict[str, int]:
    out = subprocess.run(
        ["varnishstat", "-n", str(stack.varnish.directory / "work"), "-1", "-j"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    counters = json.loads(out)
    counters = counters.get("counters", counters)  # Varnish 7 nests them
    names = ("MAIN.cache_hit", "MAIN.cache_hit_grace", "MAIN.cache_miss", "MAIN.cache_hitpass", "MAIN.s_pass")
    return {name: counters[name]["value"] for name in names if name in counters}


def setup_story(stack: Stack, readers: int) -> dict:
    """The hot story (1,000 comments in the bench shape, by the 200 bench commenters) and a session for each of up
    to `readers` of the commenters who have a visible comment there."""
    code = f"""
import json
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from bench import data
from comments.models import Comment
article = data.build_story(1000, slug="breaking")
data.analyze()
# Replies go to comments a reader can see (the shape has removed and pending ones, which refuse replies with a 404).
visible = Comment.objects.visible_to(AnonymousUser()).filter(article=article)
sessions = []
# Commenters with a visible comment already: a reader's first comment waits for a moderator (premoderation), and a
# reply to a held comment is refused as to one the reader may not see.
trusted = set(visible.values_list("author_id", flat=True))
for user in [user for user in data.commenters() if user.pk in trusted][:{readers}]:
    client = Client()
    client.force_login(user)
    sessions.append(client.cookies["sessionid"].value)
ids = list(visible.values_list("pk", flat=True))
print(json.dumps({{"pk": article.pk, "url": article.get_absolute_url(), "sessions": sessions, "ids": ids}}))
"""
    return json.loads(stack.python(code).strip().splitlines()[-1])


def stored_comments(stack: Stack, marker: str) -> dict:
    code = f"""
import json
from django.db.models import Count
from comments.models import Comment
rows = Comment.objects.filter(body__startswith={marker!r}).values("body").annotate(n=Count("pk"))
print(json.dumps({{row["body"]: row["n"] for row in rows}}))
"""
    return json.loads(stack.python(code).strip().splitlines()[-1])


def breaking_news(stack: Stack, story: dict, args, script: Path) -> dict:
    edge = stack.varnish.port
    marker = f"load-{secrets.token_hex(3)}"
    csrf = secrets.token_hex(16)  # 32 characters: Django takes the cookie's secret itself as the form's token
    sessions = story["sessions"]
    known = list(story["ids"])
    known_lock = threading.Lock()
    posts, reads, probes = Timings(), Timings(), Timings()
    accepted: dict[str, int] = {}  # body -> comment id, for every post answered with success
    top_level_done: list[tuple[float, int]] = []
    lag: list[dict] = []
    visible: list[float] = []
    own = {"seen": 0, "missed": 0}
    failures: list[float] = []  # when each post answered 5xx (or not at all) was sent, in seconds into the run
    events: dict[str, float] = {}
    stop = threading.Event()
    started = time.monotonic()
    post_path = f"/comments/story/{story['pk']}/post/"

    def post(n: int) -> None:
        rng = random.Random(n)
        with known_lock:
            parent = rng.choice(known) if rng.random() >= 1 / 3 else None
        body = f"{marker} {n}: {'a reply' if parent else 'a new thread'} on the breaking story."
        cookies = {"sessionid": sessions[n % len(sessions)], "csrftoken": csrf}
        form = {"body": body, "csrfmiddlewaretoken": csrf, "token": secrets.token_hex(16)}
        if parent:
            form["parent"] = parent
        t0 = time.monotonic()
        status, headers, text = request(edge, post_path, method="POST", cookies=cookies, body=form)
        took = time.monotonic() - t0
        posts.add(took, outcome(status, headers, text))
        if str(status).startswith("5") or status == "error":
            with known_lock:
                failures.append(t0 - started)
        found = ANCHOR.search(headers.get("Location", "")) if status == 302 else None
        if found:
            pk = int(found.group(1))
            with known_lock:
                accepted[body] = pk
                known.append(pk)
                if parent is None:
                    top_level_done.append((time.monotonic(), pk))
            if n % OWN_SAMPLE == 0:
                own_comment(headers, cookies, pk)

    def own_comment(headers, cookies: dict, pk: int) -> None:
        """The poster lands where the site sent them, as a browser does, with the cookies it was given (the pin to
        the primary among them): their comment must be on that page."""
        given = SimpleCookie()
        for header in headers.get_all("Set-Cookie") or []:
            given.load(header)
        landing = urlsplit(headers["Location"])
        t0 = time.monotonic()
        status, _, text = request(edge, f"{landing.path}?{landing.query}" if landing.query else landing.path,
                                  cookies={**cookies, **{name: m.value for name, m in given.items()}})  # fmt: skip
        reads.add(time.monotonic() - t0, outcome(status, {}, text))
        with known_lock:
            own["seen" if status == 200 and f'id="comment-{pk}"' in text else "missed"] += 1

    def post_open_loop() -> None:
        interval = 60 / args.rate
        with ThreadPoolExecutor(max_workers=48) as pool:
            n = 0
            while not stop.is_set():
                pool.submit(post, n)
                n += 1
                next_at = started + n * interval
                time.sleep(max(0.0, next_at - time.monotonic()))

    def signed_in_reader(n: int) -> None:
        cookies = {"sessionid": sessions[-1 - n], "csrftoken": csrf}
        while not stop.is_set():
            t0 = time.monotonic()
            status, headers, text = request(edge, story["url"], cookies=cookies)
            reads.add(time.monotonic() - t0, outcome(status, headers, text))
            stop.wait(args.signed_in_every)

    def signed_out_probe() -> None:
        """Every 0.2 s: the story page as a signed-out reader gets it, through the edge (the node-kill window)."""
        while not stop.is_set():
            t0 = time.monotonic()
            status, headers, text = request(edge, story["url"])
            probes.add(time.monotonic() - t0, f"{outcome(status, headers, text)} {headers.get('X-Cache', '')}".strip())
            stop.wait(0.2)

    def visibility() -> None:
        """Every 5 s, the newest accepted top-level comment: how long until a signed-out reader of the newest-first
        page sees it through the edge (the page is cached, so only the purge makes it appear). Seen when the page
        shows it, or shows a newer one (by then 10 newer threads may have pushed it to page 2): that page was
        rendered after a later write than ours, which committed before it was answered."""
        page = f"{story['url']}?sort=newest"
        while not stop.wait(5):
            with known_lock:
                if not top_level_done:
                    continue
                answered, pk = top_level_done[-1]
            while time.monotonic() - answered < stack_ttl + 10 and not stop.is_set():
                status, _, text = request(edge, page)
                if status == 200 and max(map(int, ANCHOR.findall(text)), default=0) >= pk:
                    visible.append(time.monotonic() - answered)
                    break
                time.sleep(0.05)

    def replica_lag() -> None:
        while not stop.wait(1):
            try:
                lag.append(stack.replica.lag())
            except Exception as error:  # a lag query that fails is a figure too
                lag.append({"error": str(error)})

    def kill_a_node() -> None:
        if stop.wait(args.duration / 3):
            return
        node = stack.web[-1]
        say(f"killing web node {node.url} (SIGKILL)")
        events["killed_at_s"] = round(time.monotonic() - started, 1)
        name = f"web{len(stack.web)}"
        # What the node used until now; its successor's session counts from zero.
        cpu_before[name] -= cpu_seconds(stack)[name]
        node.kill()
        if stop.wait(KILL_FOR):
            return
        stack.web[-1] = type(node)(stack.env(), node.log, port=node.port).start()
        events["restarted_at_s"] = round(time.monotonic() - started, 1)
        say("web node started again")

    stack_ttl = int(stack.env().get("HTTP_SHARED_MAX_AGE", "60"))
    before = varnish_counters(stack)
    cpu_before = cpu_seconds(stack)
    paced = script.with_name("paced.lua")
    paced.write_text(WRK_SCRIPT + PACE % args.pace_ms)
    home = in_background(wrk, f"{stack.varnish.url}/", connections=4, seconds=args.duration, script=paced)
    hot = in_background(wrk, f"{stack.varnish.url}{story['url']}", connections=8, seconds=args.duration, script=paced)
    threads = [
        threading.Thread(target=target, daemon=True)
        for target in (post_open_loop, signed_out_probe, visibility, replica_lag, kill_a_node)
    ]
    threads += [threading.Thread(target=signed_in_reader, args=(n,), daemon=True) for n in range(args.signed_in)]
    for thread in threads:
        thread.start()
    time.sleep(args.duration)
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    duration = time.monotonic() - started
    results = {"signed_out_home": home(), "signed_out_story": hot()}
    after = varnish_counters(stack)
    cpu_after = cpu_seconds(stack)
    counted = {name: after[name] - before.get(name, 0) for name in after}
    hits = counted.get("MAIN.cache_hit", 0)
    misses = counted.get("MAIN.cache_miss", 0)

    time.sleep(3)  # the last posts' tasks
    stored = stored_comments(stack, marker)
    trees = subprocess.run(
        [sys.executable, "manage.py", "check_comment_trees"], cwd=ROOT, env=stack.env(), capture_output=True, text=True
    )
    killed = events.get("killed_at_s", float("inf"))
    lags = [entry["seconds"] for entry in lag if entry.get("seconds") is not None]
    lag_bytes = [entry["bytes"] for entry in lag if entry.get("bytes") is not None]
    results.update(
        {
            "posts": posts.summary(duration),
            "signed_in_story": reads.summary(duration),
            "signed_out_probe": probes.summary(duration),
            "varnish": {**counted, "hit_ratio": round(hits / (hits + misses), 4) if hits + misses else None},
            "comments": {
                "sent": sum(posts.statuses.values()),
                "accepted": len(accepted),
                "stored": sum(stored.values()),
                "lost": sum(1 for body in accepted if body not in stored),
                "duplicated": sum(n - 1 for n in stored.values() if n > 1),
                "stored_without_an_answer": sum(1 for body in stored if body not in accepted),
            },
            "trees": {"check_comment_trees_exit": trees.returncode, "output": trees.stdout.strip()[-500:]},
            "new_comment_visible_s": {
                "samples": len(visible),
                "median": round(statistics.median(visible), 3) if visible else None,
                "max": round(max(visible), 3) if visible else None,
                "ttl_s": stack_ttl,
            },
            "replica_lag": {
                "samples": len(lag),
                "max_s": round(max(lags), 3) if lags else None,
                "median_s": round(statistics.median(lags), 3) if lags else None,
                "max_bytes": max(lag_bytes) if lag_bytes else None,
                "errors": sum(1 for entry in lag if "error" in entry),
            },
            # Of the run's duration x 2 cores CPU seconds.
            "cpu_seconds": {name: round(cpu_after[name] - cpu_before.get(name, 0), 1) for name in cpu_after},
            "node_kill": {
                **events,
                # The probe takes a dead node out within 2-4 s: failures from the kill to 5 s after it are the kill's.
                "posts_failed_within_5_s_of_the_kill": sum(1 for t in failures if killed <= t <= killed + 5),
                "posts_failed_at_other_times": sum(1 for t in failures if not killed <= t <= killed + 5),
            },
            "own_comment_after_posting": {**own, "sampled": f"every {OWN_SAMPLE}th accepted post"},
        }
    )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=180, help="seconds of breaking news (default 180)")
    parser.add_argument("--rate", type=int, default=500, help="comments a minute (default 500)")
    parser.add_argument("--ratio-seconds", type=int, default=15, help="seconds of each run of the edge's worth")
    parser.add_argument("--readers", type=int, default=200, help="signed-in readers who post (rate limits apply)")
    parser.add_argument("--signed-in", type=int, default=8, help="signed-in readers re-fetching the story")
    parser.add_argument("--signed-in-every", type=float, default=5.0, help="seconds between their re-fetches")
    parser.add_argument("--pace-ms", type=int, default=20, help="each signed-out connection's wait between requests")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "load-stack.json")
    parser.add_argument("--dir", type=Path, default=ROOT / ".bench" / "stack")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: `make load-stack` installs it (apt-get install wrk)")
    if args.dir.exists():
        shutil.rmtree(args.dir)
    # Its own Redis database numbers, so that it never meets a `make stack` running beside it.
    stack = Stack(args.dir, cache_db=9, tasks_db=9)
    results = {
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "duration_s": args.duration,
        "rate_per_minute": args.rate,
        "signed_out_pace_ms": args.pace_ms,
    }
    try:
        say("starting the stack")
        stack.up(say=say)
        story = setup_story(stack, args.readers)
        say(f"hot story {story['url']} with {len(story['ids'])} comments; {len(story['sessions'])} signed-in readers")
        script = args.dir / "report.lua"
        script.write_text(WRK_SCRIPT)
        page = story["url"]
        for url in [f"{node.url}{page}" for node in stack.web] + [f"{stack.varnish.url}{page}"]:
            wrk(url, connections=2, seconds=2, script=script)  # warm up each
        say("the edge's worth: the story page at the web nodes, then through Varnish")
        at_nodes = [in_background(wrk, f"{node.url}{page}", connections=4, seconds=args.ratio_seconds, script=script)
                    for node in stack.web]  # fmt: skip
        nodes = [result() for result in at_nodes]
        edge = wrk(f"{stack.varnish.url}{page}", connections=8, seconds=args.ratio_seconds, script=script)
        nodes_rps = sum(run["rps"] for run in nodes)
        results["edge_worth"] = {
            "web_nodes_uncached": {"rps": round(nodes_rps, 1), "runs": nodes},
            "through_varnish": edge,
            "ratio": round(edge["rps"] / nodes_rps, 1) if nodes_rps else None,
        }
        say(f"web nodes {nodes_rps:.0f} req/s, Varnish {edge['rps']:.0f} req/s")
        say(f"breaking news for {args.duration} s at {args.rate} comments a minute")
        results.update(breaking_news(stack, story, args, script))
    finally:
        stack.down()
        shutil.rmtree(args.dir, ignore_errors=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    sys.stdout.write(report(results) + "\n")
    say(f"wrote {args.out}")


def report(results: dict) -> str:
    lines = ["", f"breaking news, {results['rate_per_minute']} comments/min for {results['duration_s']} s"]
    worth = results.get("edge_worth", {})
    if worth:
        lines.append(
            f"signed-out story page: web nodes {worth['web_nodes_uncached']['rps']} req/s, Varnish "
            f"{worth['through_varnish']['rps']} req/s: {worth['ratio']}x"
        )
    lines.append(f"{'kind':<20} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}  outcome")
    for kind in ("signed_out_home", "signed_out_story", "signed_in_story", "posts", "signed_out_probe"):
        row = results.get(kind)
        if row:
            outcome = row.get("statuses") or f"{row['errors']} errors, {row['non_2xx_3xx']} non-2xx/3xx"
            lines.append(
                f"{kind:<20} {row['rps']:>8} {row['p50_ms']:>8} {row['p95_ms']:>8} {row['p99_ms']:>8}  {outcome}"
            )
    for key in (
        "cpu_seconds",
        "comments",
        "trees",
        "varnish",
        "new_comment_visible_s",
        "replica_lag",
        "own_comment_after_posting",
        "node_kill",
    ):
        if key in results:
            lines.append(f"{key}: {json.dumps(results[key])}")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
