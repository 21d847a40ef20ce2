"""The same measurements for django-comments-xtd, the peer: python -m bench.peer --out FILE.json [--db sqlite,postgres]

Runs in its own virtualenv (.bench-venv, from PyPI; `make bench-peer` makes it). Writes a throwaway Django project
into a temporary folder: a Story model, xtd set up as its tutorial does (threads up to level 8, feedback and
flagging on, the tree rendered with render_xtdcomment_tree), then loads the bench.shape discussion for each N twice,
once written by registered commenters and once by anonymous ones, and times the story page (xtd shows the whole
tree) as an anonymous reader, and posting through xtd's own view.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from bench.run import DB_PREFIX

ROOT = Path(__file__).resolve().parent.parent
SIZES = (100, 1000, 10_000)
PG_NAME = f"{DB_PREFIX}_peer_pg"

SETTINGS = """
import os
DEBUG = False
SECRET_KEY = "peer-bench-" + "x" * 40
ALLOWED_HOSTS = ["testserver"]
INSTALLED_APPS = [
    "django.contrib.auth", "django.contrib.contenttypes", "django.contrib.sessions", "django.contrib.messages",
    "django.contrib.sites", "django_comments_xtd", "django_comments", "stories",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "peerurls"
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "DIRS": [os.path.join(os.path.dirname(__file__), "templates")],
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]},
}]
import environ
DATABASES = {"default": environ.Env.db_url_config(os.environ["PEER_DATABASE_URL"])}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "UTC"
SITE_ID = 1
STATIC_URL = "static/"
COMMENTS_APP = "django_comments_xtd"
COMMENTS_XTD_MAX_THREAD_LEVEL = 8
COMMENTS_XTD_CONFIRM_EMAIL = False
COMMENTS_XTD_THREADED_EMAILS = False
EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
COMMENTS_XTD_APP_MODEL_OPTIONS = {
    "default": {"allow_flagging": True, "allow_feedback": True, "show_feedback": True, "who_can_post": "all"}
}
"""

URLS = """
from django.urls import include, path
from stories import views
urlpatterns = [
    path("story/<int:pk>/", views.story, name="story"),
    path("comments/", include("django_comments_xtd.urls")),
]
"""

MODELS = """
from django.db import models
from django.urls import reverse

class Story(models.Model):
    title = models.CharField(max_length=200)
    body = models.TextField()

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("story", kwargs={"pk": self.pk})
"""

VIEWS = """
from django.shortcuts import get_object_or_404, render
from stories.models import Story

def story(request, pk):
    return render(request, "story.html", {"object": get_object_or_404(Story, pk=pk)})
"""

TEMPLATE = """{% load comments comments_xtd %}<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{ object.title }}</title></head>
<body><article><h1>{{ object.title }}</h1>{{ object.body|linebreaks }}</article>
{% get_comment_count for object as comment_count %}<h2>{{ comment_count }} comments</h2>
{% render_comment_form for object %}
{% render_xtdcomment_tree for object allow_flagging allow_feedback show_feedback %}
</body></html>
"""


def write_project(folder: Path) -> None:
    (folder / "stories" / "migrations").mkdir(parents=True)
    (folder / "templates").mkdir()
    (folder / "peersettings.py").write_text(textwrap.dedent(SETTINGS))
    (folder / "peerurls.py").write_text(URLS)
    (folder / "stories" / "__init__.py").write_text("")
    (folder / "stories" / "migrations" / "__init__.py").write_text("")
    (folder / "stories" / "models.py").write_text(MODELS)
    (folder / "stories" / "views.py").write_text(VIEWS)
    (folder / "templates" / "story.html").write_text(TEMPLATE)


def say(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


# ------------------------------------------------------------------------------
# Inside the project (a child process per database)
# ------------------------------------------------------------------------------
def load(n: int, registered: bool, users, *, single_thread: bool = False):
    """The shaped discussion as xtd stores it: comment rows with explicit ids, thread ids, DFS order, levels."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection
    from django.utils import timezone
    from django_comments.models import Comment
    from django_comments_xtd.models import XtdComment
    from stories.models import Story

    from bench import shape

    who = "registered" if registered else "anonymous"
    story = Story.objects.create(title=f"A busy story ({n} comments, {who} commenters)", body="News.")
    content_type = ContentType.objects.get_for_model(Story)
    shaped = shape.discussion(n, single_thread=single_thread)
    base = (Comment.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    ids = [base + item.index for item in shaped]
    children: dict[int, list[int]] = {}
    for item in shaped:
        if item.parent is not None:
            children.setdefault(item.parent, []).append(item.index)
    order, nested, thread = {}, {}, {}

    def walk(root: int) -> None:  # iterative DFS: order within the thread, descendants per comment
        counter, stack, post = 0, [root], []
        while stack:
            node = stack.pop()
            counter += 1
            order[node] = counter
            thread[node] = ids[root]
            post.append(node)
            stack.extend(reversed(children.get(node, [])))
        for node in reversed(post):
            nested[node] = sum(1 + nested[c] for c in children.get(node, []))

    for item in shaped:
        if item.parent is None:
            walk(item.index)
    start = timezone.now() - timezone.timedelta(hours=49)
    Comment.objects.bulk_create(
        [
            Comment(
                pk=ids[item.index],
                content_type=content_type,
                object_pk=str(story.pk),
                site_id=1,
                user=users[item.author] if registered else None,
                user_name=shape.commenter_handle(item.author),
                user_email=f"{shape.commenter_handle(item.author)}@example.com",
                comment=item.body,
                submit_date=start + timezone.timedelta(minutes=item.minutes),
                is_public=True,
                is_removed=False,
            )
            for item in shaped
        ],
        batch_size=2000,
    )
    table = connection.ops.quote_name(XtdComment._meta.db_table)
    columns = ", ".join(
        connection.ops.quote_name(c)
        for c in ("comment_ptr_id", "thread_id", "parent_id", "level", "order", "followup", "nested_count")
    )
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            [
                (
                    ids[i.index],
                    thread[i.index],
                    ids[i.parent] if i.parent is not None else ids[i.index],
                    i.level,
                    order[i.index],
                    False,
                    nested[i.index],
                )
                for i in shaped
            ],
        )
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('django_comments', 'id'), (SELECT MAX(id) FROM django_comments))"
            )
    return story, [ids[i.index] for i in shaped if i.level < shape.MAX_LEVEL]


def inner(sizes: list[int], requests: int, budget: float) -> dict:
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.urls import reverse
    from django_comments.forms import CommentSecurityForm

    from bench import shape
    from bench.run import QueryCounter, timed

    call_command("migrate", verbosity=0, interactive=False)
    User.objects.bulk_create(
        User(username=shape.commenter_handle(n), email=f"{shape.commenter_handle(n)}@example.com")
        for n in range(shape.COMMENTERS)
    )
    users = list(User.objects.order_by("pk"))
    reader = Client()
    results: dict = {"sizes": {}}
    stories = {}
    for n in sizes:
        entry = {}
        for registered in (True, False):
            story, ids = load(n, registered, users)
            stories[(n, registered)] = (story, ids)
            url = story.get_absolute_url()
            with QueryCounter().counting() as queries:  # the first request warms up and counts
                t0 = time.perf_counter()
                response = reader.get(url)
                first = time.perf_counter() - t0
            assert response.status_code == 200, response.status_code
            label = "registered" if registered else "anonymous"
            if first > budget / 2:
                # Tens of seconds a request: a second one would say nothing new and blow the run's time.
                entry[label] = {"median_ms": round(first * 1000, 2), "p90_ms": round(first * 1000, 2), "n": 1}
            else:
                entry[label] = timed(lambda u=url: reader.get(u), requests=requests, warmup=0, budget=budget, minimum=1)
            entry[label].update(queries=queries.count, bytes=len(response.content))
            say(f"[xtd {connection.vendor}] N={n} {label}: {entry[label]}")
        results["sizes"][str(n)] = entry

    # Posting as a signed-in registered reader, through django_comments' post view (xtd's form and signals).
    poster = Client()
    poster.force_login(users[0])
    largest = max(sizes)
    big, big_ids = stories[(largest, True)]
    thread_story, thread_ids = load(1001, True, users, single_thread=True)
    post_url = reverse("comments-post-comment")

    def post(story, reply_to: int, number: int):
        data = CommentSecurityForm(story).generate_security_data()
        data.update(
            name="Reader",
            email="reader@example.com",
            url="",
            comment=f"A reply, number {number}, long enough to look like a real reader's comment.",
            reply_to=reply_to,
            followup="",
            honeypot="",
        )
        response = poster.post(post_url, data)
        assert response.status_code == 302, (response.status_code, response.content[:500])

    def measure(story, targets: list[int]) -> dict:
        import statistics

        samples, counts = [], []
        for number in range(22):
            with QueryCounter().counting() as queries:
                t0 = time.perf_counter()
                post(story, targets[number % len(targets)], number)
                elapsed = time.perf_counter() - t0
            if number >= 2:
                samples.append(elapsed)
                counts.append(queries.count)
        return {"median_ms": round(statistics.median(samples) * 1000, 2), "queries": max(counts), "n": len(samples)}

    results["posting"] = {
        f"top_level_N{largest}": measure(big, [0]),
        f"reply_small_thread_N{largest}": measure(big, big_ids[-40::2]),
        "reply_thread_of_1000": measure(thread_story, thread_ids[1 :: max(1, len(thread_ids) // 25)][:25]),
    }
    say(f"[xtd {connection.vendor}] posting: {results['posting']}")
    return results


# ------------------------------------------------------------------------------
# Outside: one child per database
# ------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--budget", type=float, default=20.0, help="seconds of samples per page at most")
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--pg-url", default=os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    )
    args = parser.parse_args()
    sizes = [int(n) for n in args.sizes.split(",")]
    if args.inner:
        results = inner(sizes, args.requests, args.budget)
        args.out.write_text(json.dumps(results))
        return

    import django
    import django_comments_xtd

    from bench.run import database

    combined = {
        "project": "django-comments-xtd",
        "xtd": django_comments_xtd.get_version() if hasattr(django_comments_xtd, "get_version") else "",
        "django": django.get_version(),
        "python": platform.python_version(),
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()}",
        "databases": {},
    }
    with tempfile.TemporaryDirectory(prefix="xtd-peer-") as tmp:
        folder = Path(tmp)
        write_project(folder)
        env = {
            **os.environ,
            "PYTHONPATH": f"{folder}{os.pathsep}{ROOT}",
            "DJANGO_SETTINGS_MODULE": "peersettings",
            "PEER_DATABASE_URL": f"sqlite:///{folder}/make.sqlite3",
        }
        subprocess.run(
            [sys.executable, "-m", "django", "makemigrations", "stories", "-v", "0"], env=env, cwd=folder, check=True
        )
        for kind in args.db.split(","):
            with database(kind, args.pg_url, PG_NAME) as url:
                out = folder / f"{kind}.json"
                child = [sys.executable, "-m", "bench.peer", "--inner", "--out", str(out), "--sizes", args.sizes]
                child += ["--requests", str(args.requests), "--budget", str(args.budget)]
                subprocess.run(child, env={**env, "PEER_DATABASE_URL": url}, cwd=folder, check=True)
                combined["databases"][kind] = json.loads(out.read_text())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(combined, indent=2) + "\n")
    say(f"wrote {args.out}")


if __name__ == "__main__":
    main()
