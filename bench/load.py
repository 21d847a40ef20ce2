"""Load test on loopback: python -m bench.load --out FILE.json [--db postgres|sqlite] [--duration 15s]

Serves the production settings (DEBUG off, Redis cache, collected static files) with gunicorn as shipped
(deploy/gunicorn.conf.py: 2 workers x 8 threads), on
127.0.0.1, with a story of 1,000 comments in the bench shape; wrk then asks for its default page as a browser behind
the TLS proxy would (X-Forwarded-Proto: https, Accept-Encoding: gzip): once with the discussion cache off, once on.
Every run is bounded by --duration; the server is stopped and the database dropped afterwards.
"""

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.run import DB_PREFIX, ROOT, database, say

PG_NAME = f"{DB_PREFIX}_load_pg"
# wrk prints its own summary; this adds the figures we keep (p95 included) as one JSON line. (Headers go on the
# command line: Debian's wrk formats script-set headers with bare LFs, which gunicorn refuses.)
WRK_SCRIPT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests": %d, "duration_us": %d, "errors": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def setup(env: dict, comments: int) -> str:
    """Migrate, collect static files, build the story; returns its path."""
    bin_python = sys.executable
    for command in (["migrate", "--noinput"], ["collectstatic", "--noinput"]):
        subprocess.run([bin_python, "manage.py", *command], cwd=ROOT, env=env, check=True, capture_output=True)
    code = (
        "import django; django.setup()\n"
        "from bench import data\n"
        f"article = data.build_story({comments}, slug='load-story')\n"
        "print(article.get_absolute_url())\n"
    )
    out = subprocess.run([bin_python, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    return out.stdout.strip().splitlines()[-1]


def serve(env: dict, port: int, workers: int, config: str = "threads") -> subprocess.Popen:
    """gunicorn on 127.0.0.1:`port`: "threads" is the shipped deploy/gunicorn.conf.py, "sync" plain sync workers."""
    gunicorn = Path(sys.executable).parent / "gunicorn"
    if config == "sync":
        command = [gunicorn, "newsroom.wsgi", "--workers", str(workers), "--timeout", "30"]
    else:
        command = [gunicorn, "-c", str(ROOT / "deploy" / "gunicorn.conf.py"), "newsroom.wsgi"]
    process = subprocess.Popen(
        [*command, "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "--access-logfile", "/dev/null"],
        cwd=ROOT,
        env={**env, "GUNICORN_WORKERS": str(workers)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    probe = urllib.request.Request(f"http://127.0.0.1:{port}/robots.txt", headers={"X-Forwarded-Proto": "https"})
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(probe, timeout=2):
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"gunicorn did not start: {process.stderr.read().decode()[-2000:]}")


def sequential(url: str, count: int = 30) -> float:
    """Median time of one request at a time (no queueing): what a single reader waits, for comparison."""
    request = urllib.request.Request(url, headers={"X-Forwarded-Proto": "https", "Accept-Encoding": "gzip"})
    samples = []
    for _ in range(count):
        t0 = time.perf_counter()
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()
        samples.append(time.perf_counter() - t0)
    return round(statistics.median(samples) * 1000, 2)


def wrk(url: str, *, threads: int, connections: int, duration: str, script: Path) -> dict:
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}", "--timeout", "5s", "-s", str(script)]
    command += ["-H", "X-Forwarded-Proto: https", "-H", "Accept-Encoding: gzip", url]
    out = subprocess.run(command, check=True, capture_output=True, text=True, timeout=600).stdout
    line = next(line for line in out.splitlines() if line.startswith("RESULT "))
    figures = json.loads(line.removeprefix("RESULT "))
    return {
        "rps": figures["requests"] / (figures["duration_us"] / 1e6),
        "p50_ms": figures["p50_us"] / 1000,
        "p95_ms": figures["p95_us"] / 1000,
        "p99_ms": figures["p99_us"] / 1000,
        "requests": figures["requests"],
        "errors": figures["errors"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--comments", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--config", choices=["threads", "sync"], default="threads", help="as shipped, or sync workers")
    # One wrk thread: it shares the two cores with the two workers, so it should take as little of them as it can.
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--duration", default="15s")
    parser.add_argument("--cache-url", default=os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/11"))
    parser.add_argument(
        "--pg-url", default=os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    )
    args = parser.parse_args()
    with database(args.db, args.pg_url, PG_NAME) as url, tempfile.TemporaryDirectory(prefix="newsroom-load-") as tmp:
        script = Path(tmp) / "report.lua"
        script.write_text(WRK_SCRIPT)
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "newsroom.settings",
            "DJANGO_ENV_FILE": "/nonexistent",
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": "load-test-" + "x" * 40,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "DJANGO_BEHIND_PROXY": "true",
            "CACHE_URL": args.cache_url,
            "DATABASE_URL": url,
            "DJANGO_STATIC_ROOT": str(Path(tmp) / "static"),
            "DJANGO_MEDIA_ROOT": str(Path(tmp) / "media"),
            "DJANGO_LOG_LEVEL": "WARNING",
            # The test readers all come from 127.0.0.1; only posting is rate limited, and wrk only reads.
        }
        path = setup(env, args.comments)
        results = {
            "database": args.db,
            "comments": args.comments,
            "workers": args.workers,
            "config": args.config,
            "threads": args.threads,
            "connections": args.connections,
            "duration": args.duration,
            "date": time.strftime("%Y-%m-%d %H:%M %Z"),
            "runs": {},
        }
        for name, seconds in (("uncached", "0"), ("cached", "60")):
            port = free_port()
            server = serve({**env, "COMMENTS_CACHE_SECONDS": seconds}, port, args.workers, args.config)
            try:
                page = f"http://127.0.0.1:{port}{path}"
                wrk(page, threads=args.threads, connections=args.connections, duration="3s", script=script)  # warm up
                single = sequential(page)
                results["runs"][name] = wrk(
                    page, threads=args.threads, connections=args.connections, duration=args.duration, script=script
                )
                results["runs"][name]["one_at_a_time_ms"] = single
                say(f"[load] {name}: {results['runs'][name]}")
            finally:
                server.terminate()
                server.wait(timeout=30)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    say(f"wrote {args.out}")


if __name__ == "__main__":
    main()
