"""The task queue's targets: python -m bench.queue [--db sqlite|postgres] [--out FILE.json]

Real processes throughout: the site's code in this process (Django's test client, the whole middleware stack), one
RQ worker (`manage.py rqworker`, as `make worker` runs it) on the real Redis (database 7), a real SMTP server
(aiosmtpd, tests/servers.py) that is stopped or slowed on purpose, and a database of its own (a temporary SQLite
file, or PostgreSQL's newsroom_bench_queue, dropped afterwards). Prints and writes:
- posting a reply that notifies: median and p95 with the relay up, down and 5 s slow, and their ratios;
- a 24-megapixel JPEG uploaded in the admin: the upload's answer, and the renditions ready with one worker;
- e-mail across a warm worker restart while replies keep coming: sent, lost and doubled, counted at the SMTP server;
- a reader with 20,000 comments: the comments download (first byte, whole file) and the account deletion's answer,
  and the worker's time to erase the account.
`--only upload,leaving` runs some of these (posting, upload, restart, leaving).
"""

import argparse
import collections
import contextlib
import io
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.servers import SmtpServer, Worker, database_url, wait_for  # noqa: E402

# Another database and Redis number where another run of the bench or of the queue tests (Redis 5-7) could collide.
PG_NAME = os.environ.get("BENCH_QUEUE_PG_NAME", "newsroom_bench_queue")
REDIS_URL = os.environ.get("BENCH_QUEUE_REDIS_URL", "redis://127.0.0.1:6379/7")
POSTS = 40
RESTART_POSTS = 120
LEAVING_COMMENTS = 20_000


def say(*parts) -> None:
    print(*parts, flush=True)  # noqa: T201 (a benchmark prints its figures)


def configure(db: str, tmp: Path, smtp: SmtpServer) -> dict[str, str]:
    env = {
        "DJANGO_SETTINGS_MODULE": "newsroom.settings",
        "DJANGO_ENV_FILE": os.devnull,
        "DJANGO_DEBUG": "true",
        "DJANGO_ALLOWED_HOSTS": "testserver,127.0.0.1",
        "CACHE_URL": "locmemcache://",
        "TASKS_URL": REDIS_URL,
        "TASKS_RETRY_DELAYS": "1,2,4,8,16",
        "NOTIFICATIONS_EMAIL_WINDOW": "1",
        "EMAIL_URL": smtp.email_url,
        "DJANGO_EMAIL_TIMEOUT": "10",
        "DJANGO_MEDIA_ROOT": str(tmp / "media"),
        "COMMENTS_RATE_PER_MINUTE": "100000",
        "COMMENTS_PREMODERATE_FIRST": "0",
        "DJANGO_LOG_LEVEL": "WARNING",
        "DJANGO_DB_CONN_MAX_AGE": "0",
    }
    if db == "postgres":
        import psycopg

        server = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {PG_NAME} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {PG_NAME}")
        env["DATABASE_URL"] = server.rsplit("/", 1)[0] + "/" + PG_NAME
    else:
        env["DATABASE_URL"] = f"sqlite:///{tmp / 'bench.sqlite3'}"
    os.environ.update(env)
    return env


def figures(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(ordered[max(0, round(len(ordered) * 0.95) - 1)] * 1000, 1),
        "n": len(ordered),
    }


def post_replies(count: int, tag: str) -> list[float]:
    from django.test import Client

    from comments.services import comment_create
    from tests.factories import ArticleFactory, UserFactory

    story = ArticleFactory()
    times = []
    for number in range(count):
        reader, poster = UserFactory(), UserFactory()
        root = comment_create(article=story, author=reader, body=f"{tag} root {number}", notify_by_email=False)
        client = Client()
        client.force_login(poster)
        started = time.perf_counter()
        response = client.post(
            f"/comments/story/{story.pk}/post/", {"body": f"{tag} reply {number} to you", "parent": root.pk}
        )
        times.append(time.perf_counter() - started)
        assert response.status_code == 302, response.status_code
    return times


def photo_jpeg(width: int = 6000, height: int = 4000) -> bytes:
    """A 24-megapixel photograph's worth of detail (gradients and grain) as a camera JPEG, under the 15 MB cap."""
    from PIL import Image, ImageFilter

    base = Image.linear_gradient("L").resize((width, height))
    grain = Image.effect_noise((width, height), 40).filter(ImageFilter.GaussianBlur(1))
    picture = Image.merge("RGB", (base, grain, Image.blend(base, grain, 0.5)))
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "queue.json"))
    parser.add_argument("--only", default="posting,upload,restart,leaving", help="comma-separated parts to run")
    args = parser.parse_args()
    parts = set(args.only.split(","))
    tmp = Path(tempfile.mkdtemp(prefix="bench-queue-"))
    smtp = SmtpServer().start()
    env = configure(args.db, tmp, smtp)
    import django

    django.setup()
    import redis
    from django.core.management import call_command
    from django.db import connection

    redis.Redis.from_url(REDIS_URL).flushdb()
    call_command("migrate", "--noinput", verbosity=0)
    worker_env = {**os.environ, **env, "DATABASE_URL": database_url(connection.settings_dict)}
    worker = Worker(worker_env, tmp / "worker.log").start()
    results: dict = {"database": args.db}
    try:
        if "posting" in parts:
            results["posting"] = bench_posting(smtp)
            worker.kill()  # its mail is not counted; a warm stop would wait out a 5 s-a-message batch
            reset(smtp)
            worker = Worker(worker_env, tmp / "worker.log").start()
        if "upload" in parts:
            results["upload"] = bench_upload()
        if "restart" in parts:
            results["restart"], worker = bench_restart(smtp, worker, worker_env, tmp)
        if "leaving" in parts:
            results["leaving"] = bench_leaving()
    finally:
        worker.stop()
        smtp.stop()
        if args.db == "postgres":
            connection.close()
            import psycopg

            server = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
            with psycopg.connect(server, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {PG_NAME} WITH (FORCE)")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=1) + "\n")
    say(f"\nWritten to {args.out}")


def bench_posting(smtp: SmtpServer) -> dict:
    say(f"Posting a reply that notifies ({POSTS} posts each; the worker sends the e-mail):")
    conditions = {}
    post_replies(5, "warm-up")
    for name, prepare in (
        ("smtp up", lambda: None),
        ("smtp down", smtp.stop),
        ("smtp 5 s slow", lambda: (smtp.start(), setattr(smtp, "delay", 5))),
    ):
        prepare()
        conditions[name] = figures(post_replies(POSTS, name))
        say(f"  {name:14} median {conditions[name]['median_ms']:7.1f} ms   p95 {conditions[name]['p95_ms']:7.1f} ms")
    medians = [c["median_ms"] for c in conditions.values()]
    p95s = [c["p95_ms"] for c in conditions.values()]
    ratio = {"median": round(max(medians) / min(medians), 2), "p95": round(max(p95s) / min(p95s), 2)}
    say(f"  largest ratio between conditions: median {ratio['median']}x, p95 {ratio['p95']}x (target: within 1.2x)")
    return {"conditions": conditions, "ratio": ratio, "target_met": max(ratio.values()) <= 1.2}


def reset(smtp: SmtpServer) -> None:
    """Between parts: the mail of the posting part is dropped unsent, and the queue emptied (with the killed
    worker's scheduler lock)."""
    import redis

    from comments.models import Notification

    Notification.objects.update(email=Notification.Email.SKIPPED)
    redis.Redis.from_url(REDIS_URL).flushdb()
    smtp.delay = 0
    smtp.messages.clear()


def bench_upload() -> dict:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    from articles.models import Image
    from tests.factories import UserFactory

    content = photo_jpeg()
    say(f"\nA 24-megapixel JPEG (6000 x 4000, {len(content) / 1024**2:.1f} MB) uploaded in the admin, one worker:")
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    started = time.perf_counter()
    response = client.post(
        "/admin/articles/image/add/",
        {
            "file": SimpleUploadedFile("photo.jpg", content, content_type="image/jpeg"),
            "alt_text": "A big photograph",
            "focal_x": "0.5",
            "focal_y": "0.5",
        },
    )
    answered = time.perf_counter() - started
    assert response.status_code == 302, response.content[:500]
    image = wait_for(lambda: Image.objects.exclude(renditions=[]).first(), timeout=120, what="renditions")
    ready = time.perf_counter() - started
    say(
        f"  upload answered in {answered:.2f} s (target < 2 s);",
        f"{len(image.renditions)} renditions ready after {ready:.1f} s (target < 30 s)",
    )
    return {
        "bytes": len(content),
        "answered_s": round(answered, 2),
        "renditions_ready_s": round(ready, 1),
        "renditions": len(image.renditions),
        "target_met": answered < 2 and ready < 30,
    }


def bench_restart(smtp: SmtpServer, worker: Worker, worker_env: dict, tmp: Path):
    smtp.delay = 0.02
    say(f"\n{RESTART_POSTS} replies to {RESTART_POSTS} readers, the worker restarted (warm shutdown) halfway:")
    post_replies(RESTART_POSTS // 2, "before")
    worker.stop()  # SIGTERM: the running task finishes, the rest waits in Redis and the rows
    post_replies(RESTART_POSTS // 2, "during")
    worker = Worker(worker_env, tmp / "worker.log").start()
    with contextlib.suppress(AssertionError):  # what is missing is counted below
        wait_for(lambda: len(smtp.messages) >= RESTART_POSTS, timeout=180, what="every e-mail sent")
    time.sleep(5)  # anything sent twice would arrive meanwhile
    recipients = collections.Counter(message["To"] for message in smtp.messages)
    lost = RESTART_POSTS - len(recipients)
    doubled = sum(1 for count in recipients.values() if count > 1)
    say(
        f"  e-mails at the SMTP server: {len(smtp.messages)} for {len(recipients)} readers;",
        f"lost {lost}, doubled {doubled}",
    )
    return {"posts": RESTART_POSTS, "received": len(smtp.messages), "lost": lost, "doubled": doubled}, worker


def bench_leaving(comments: int = LEAVING_COMMENTS) -> dict:
    from django.test import Client

    from comments.models import Comment
    from newsroom.models import User
    from tests.comments.test_leaving_reader import history
    from tests.factories import UserFactory

    reader, other = UserFactory(handle="heavy_reader"), UserFactory()
    history(reader, other, per_story=500, stories=comments // 500)  # bulk-inserted, sound trees
    mine = Comment.objects.filter(author=reader).count()
    say(f"\nA reader with {mine:,} comments ({Comment.objects.count():,} in their stories' threads), one worker:")
    client = Client()
    client.force_login(reader)
    started = time.perf_counter()
    response = client.get("/accounts/comments.json")
    chunks = iter(response.streaming_content)
    size = len(next(chunks))
    first_byte = time.perf_counter() - started
    size += sum(len(chunk) for chunk in chunks)
    whole = time.perf_counter() - started
    say(f"  download: first byte after {first_byte * 1000:.0f} ms, all {size / 1024**2:.1f} MB after {whole:.2f} s")
    started = time.perf_counter()
    response = client.post("/accounts/delete/", {"password": "not the password"})
    refused = time.perf_counter() - started  # the same password hashing (PBKDF2), and nothing else
    assert response.status_code == 400, response.status_code
    started = time.perf_counter()
    response = client.post("/accounts/delete/", {"password": "correct horse battery staple"})
    answered = time.perf_counter() - started
    assert response.status_code == 302, response.status_code
    wait_for(lambda: not User.objects.filter(pk=reader.pk).exists(), timeout=600, interval=0.2, what="erased")
    erased = time.perf_counter() - started
    say(
        f"  deletion answered in {answered * 1000:.0f} ms (target < 1 s; a wrong password's answer, the same",
        f"password hashing: {refused * 1000:.0f} ms); the worker erased it after {erased:.1f} s",
    )
    return {
        "comments": mine,
        "download_first_byte_ms": round(first_byte * 1000),
        "download_whole_s": round(whole, 2),
        "download_mb": round(size / 1024**2, 1),
        "deletion_answered_ms": round(answered * 1000),
        "wrong_password_answered_ms": round(refused * 1000),
        "erased_by_worker_s": round(erased, 1),
        "target_met": answered < 1 and first_byte < 1,
    }


if __name__ == "__main__":
    main()
