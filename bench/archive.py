"""`make bench-archive` (issue 15): every page and write of the table, on a small database and a newsroom's archive.

    python -m bench.archive [--rebuild] [--rows key,key] [--baseline FILE] [--out FILE]

Two PostgreSQL databases, `<name>_small` and `<name>_large` (name from ARCHIVE_POSTGRES_URL, default
postgres://postgres@127.0.0.1:5432/newsroom_archive), built by bench.archive_data at scales 0.001 and 1.0 and
KEPT between runs: building the archive takes minutes. A database is rebuilt when asked (--rebuild), when the
builder's version changed, or when it holds a migration this checkout lacks (another branch's schema); new
migrations of this checkout are applied to it as a deployment would. Each size is measured in a child process
(in-process requests through django.test.Client, DEBUG off, Redis cache), which prints nothing but JSON; the
parent prints the table: medians, queries, the large/small ratio, and with --baseline the large figure of an
earlier run beside it. Writes run inside a transaction that is rolled back, so the archive stays as built.

Rows are the ROWS list below: a key, a label, and a function of the Context that returns one measurement.
Add a row by adding a function with @row.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.run import QueryCounter, _pg_admin, say, timed

ROOT = Path(__file__).resolve().parent.parent
SIZES = {"small": 0.001, "large": 1.0}
# Bump when bench.archive_data builds something different: kept databases of an older version are rebuilt.
BUILD_VERSION = 1
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/newsroom_archive"
META_TABLE = "bench_archive_meta"


# ---------------------------------------------------------------------------------------------------------------
# Measuring (child process, Django set up)
# ---------------------------------------------------------------------------------------------------------------


def sample(call: Callable[[], object], *, requests: int = 7, budget: float = 20.0) -> dict:
    """bench.run.timed after one warm-up: at least 3 calls, or one when a call takes over 10 s (the old archive's
    worst pages take a minute)."""
    t0 = time.perf_counter()
    call()
    least = 1 if time.perf_counter() - t0 > 10 else 3
    return timed(call, requests=requests, warmup=0, budget=budget, minimum=min(least, requests))


def counted(call: Callable[[], object], **options) -> dict:
    """sample() of `call`, with the queries of one more call."""
    result = sample(call, **options)
    with QueryCounter().counting() as queries:
        call()
    result.update(queries=queries.count)
    return result


@dataclass
class Context:
    """What rows measure with: the ids the builder recorded, signed-in clients, and helpers."""

    facts: dict

    def __post_init__(self):
        from django.test import Client

        from newsroom.models import User

        self.anonymous = Client()
        self._clients: dict[str, Client] = {}
        self.users = {key: User.objects.get(pk=self.facts[key]) for key in ("heavy", "notified", "admin")}

    def client(self, who: str | None):
        from django.test import Client

        if who is None:
            return self.anonymous
        if who not in self._clients:
            self._clients[who] = Client()
            self._clients[who].force_login(self.users[who], backend="newsroom.backends.ModelBackend")
        return self._clients[who]

    def page(self, url: str, *, who: str | None = None, expect: str | None = None, **options) -> dict:
        """A GET through the whole request cycle, timed to its last byte; `expect`: text the page must hold."""
        client = self.client(who)
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        body = response.getvalue().decode()
        if expect is not None:
            assert expect in body, (url, expect)
        result = sample(lambda: client.get(url).getvalue(), **options)
        with QueryCounter().counting() as queries:
            client.get(url).getvalue()
        result.update(queries=queries.count, bytes=len(body))
        return result

    def rolled_back(self, call: Callable[[], object], **options) -> dict:
        """A write timed inside a transaction that is rolled back each time (the archive stays as built)."""
        from django.db import transaction

        def once():
            with transaction.atomic():
                outcome = call()
                transaction.set_rollback(True)
            return outcome

        return {**counted(once, **options), **once()}


ROWS: list[tuple[str, str, Callable[[Context], dict]]] = []


def row(key: str, label: str):
    def register(function: Callable[[Context], dict]):
        ROWS.append((key, label, function))
        return function

    return register


def _deep_page(url: str, items, per_page: int, fields: list[str]) -> str:
    """The address of a list's oldest page, as a reader reaches it by following "older" to the end: the last page
    number for numbered pages; with keyset pages (newsroom.http.older_than_query), the page older than the item
    before the oldest `per_page` items, whose order `fields` name as the list sorts them."""
    try:
        from newsroom.http import older_than_query
    except ImportError:
        older_than_query = None
    count = items.count()
    first_of_last = max(0, (count - 1) // per_page * per_page)
    if older_than_query is None:
        return f"{url}?page={first_of_last // per_page + 1}"
    if first_of_last == 0:  # one page: the newest is the oldest
        return url
    boundary = items.order_by(*fields).values_list(*[f.lstrip("-") for f in fields])[first_of_last - 1]
    return f"{url}?{older_than_query(boundary)}"


@row("search_rare", "search, a word in 3% of stories")
def _search_rare(ctx: Context) -> dict:
    return ctx.page(f"/search/?q={ctx.facts['rare_word']}")


@row("search_common", "search, a word in 93% of stories")
def _search_common(ctx: Context) -> dict:
    from django.conf import settings

    result = ctx.page(f"/search/?q={ctx.facts['common_word']}")
    body = ctx.anonymous.get(f"/search/?q={ctx.facts['common_word']}").getvalue().decode()
    if "took too long" in body:
        result["note"] = f"refused after the {settings.SEARCH_TIME_LIMIT_MS} ms limit"
    return result


@row("sitemap_index", "/sitemap.xml")
def _sitemap_index(ctx: Context) -> dict:
    return ctx.page("/sitemap.xml")


@row("sitemap_index_cold", "/sitemap.xml, cache emptied before each request")
def _sitemap_index_cold(ctx: Context) -> dict:
    from django.core.cache import cache

    client = ctx.anonymous

    def call():
        cache.clear()
        return client.get("/sitemap.xml").getvalue()

    return counted(call)


@row("sitemap_stories", "stories sitemap, its last file")
def _sitemap_stories(ctx: Context) -> dict:
    from articles.sitemaps import StorySitemap

    last = StorySitemap().paginator.num_pages
    return ctx.page(f"/sitemap-stories.xml?p={last}")


@row("admin_comments", "comment changelist (admin)")
def _admin_comments(ctx: Context) -> dict:
    return ctx.page("/admin/comments/comment/", who="admin")


@row("admin_queue", "moderation queue (admin)")
def _admin_queue(ctx: Context) -> dict:
    return ctx.page("/admin/comments/moderationitem/", who="admin")


@row("admin_comment_search", "comment changelist, search by handle")
def _admin_comment_search(ctx: Context) -> dict:
    return ctx.page("/admin/comments/comment/?q=archive_notified", who="admin")


def _remove(ctx: Context, pks: list[int], *, select_all: bool = False) -> Callable[[], dict]:
    client = ctx.client("admin")
    data = {"action": "remove_spam", "index": "0"}
    if select_all:
        data.update(select_across="1", _selected_action=pks[:1])
    else:
        data["_selected_action"] = [str(pk) for pk in pks]

    def call():
        response = client.post("/admin/comments/comment/", data)
        return {"status": response.status_code}

    return call


def _visible_comments_on_many_stories(count: int) -> list[int]:
    from comments.models import Comment

    firsts = (
        Comment.objects.filter(status=Comment.Status.VISIBLE, parent=None)
        .order_by("article_id", "pk")
        .distinct("article_id")
        .values_list("pk", flat=True)[:count]
    )
    return list(firsts)


@row("admin_remove_one", "admin action: remove one comment")
def _admin_remove_one(ctx: Context) -> dict:
    return ctx.rolled_back(_remove(ctx, _visible_comments_on_many_stories(1)))


@row("admin_remove_bulk", "admin action: remove 1,000 ticked comments on 1,000 stories")
def _admin_remove_bulk(ctx: Context) -> dict:
    wanted = min(1000, ctx.facts["comments"] // 2)
    return ctx.rolled_back(_remove(ctx, _visible_comments_on_many_stories(wanted)), requests=3)


@row("admin_story_search", "story admin search")
def _admin_story_search(ctx: Context) -> dict:
    return ctx.page(f"/admin/articles/article/?q={ctx.facts['rare_word']}", who="admin")


@row("admin_autocomplete", "MORE-link autocomplete")
def _admin_autocomplete(ctx: Context) -> dict:
    return ctx.page(
        "/admin/autocomplete/?app_label=articles&model_name=relatedlink&field_name=target&term="
        + ctx.facts["rare_word"],
        who="admin",
    )


@row("profile_first", "profile page 1 (20,000 comments)")
def _profile_first(ctx: Context) -> dict:
    return ctx.page("/@archive_heavy/")


@row("profile_last", "profile, oldest page")
def _profile_last(ctx: Context) -> dict:
    from django.contrib.auth.models import AnonymousUser

    from comments.selectors import member_comments

    items = member_comments(ctx.users["heavy"], viewer=AnonymousUser())
    return ctx.page(_deep_page("/@archive_heavy/", items, 20, ["-created_at", "-pk"]))


@row("notifications_first", "notifications page (20,000)")
def _notifications(ctx: Context) -> dict:
    return ctx.page("/notifications/", who="notified")


@row("notifications_last", "notifications, oldest page")
def _notifications_last(ctx: Context) -> dict:
    from comments.selectors import notifications_for

    items = notifications_for(ctx.users["notified"])
    return ctx.page(_deep_page("/notifications/", items, 30, ["-created_at", "-pk"]), who="notified")


@row("bell", "the bell: signed-in reader loaded with the count")
def _bell(ctx: Context) -> dict:
    from newsroom.backends import ModelBackend

    backend, pk = ModelBackend(), ctx.users["notified"].pk
    return {
        **counted(lambda: backend.get_user(pk), requests=15),
        "note": f"shows {backend.get_user(pk).unread_notifications}",
    }


@row("home_first", "home page")
def _home_first(ctx: Context) -> dict:
    return ctx.page("/")


@row("home_last", "home page, oldest page")
def _home_last(ctx: Context) -> dict:
    from articles.models import Article

    return ctx.page(_deep_page("/", Article.objects.published(), 20, ["-publish_at", "-pk"]))


@row("section_last", "section page, oldest page")
def _section_last(ctx: Context) -> dict:
    from articles.models import Article

    stories = Article.objects.published().filter(section__slug=ctx.facts["section"])
    return ctx.page(_deep_page(f"/{ctx.facts['section']}/", stories, 20, ["-publish_at", "-pk"]))


@row("post_heavy", "posting by a reader with 20,000 comments")
def _post_heavy(ctx: Context) -> dict:
    from django.conf import settings

    from articles.models import Article

    settings.COMMENTS_RATE_PER_MINUTE = 0  # one reader posts every sample
    settings.COMMENTS_PREMODERATE_FIRST = max(settings.COMMENTS_PREMODERATE_FIRST, 1)
    story = Article.objects.published().exclude(pk__in=[ctx.facts["big_story"], ctx.facts["thread_story"]]).first()
    client, url = ctx.client("heavy"), f"/comments/story/{story.pk}/post/"

    def call():
        response = client.post(url, {"body": "A reader who has written twenty thousand comments writes one more."})
        assert response.status_code == 302, response.status_code
        return {"status": response.status_code}

    return ctx.rolled_back(call)


@row("export_stories", "export_comments of the whole archive")
def _export_stories(ctx: Context) -> dict:
    """`export_comments` of every comment, the file written nowhere (the issue's DISTINCT is its first query)."""
    from comments.disqus import exporter

    def call():
        written = []
        exporter.export_disqus(lambda text: written.append(len(text)) if len(written) < 1 else None, base_url="x")

    return counted(call, requests=1, budget=0)  # the whole export takes seconds: once is enough


def _mega(ctx: Context):
    """The 20,000-reply thread: its root, and its first reply (a reply to it shifts nearly every row)."""
    from comments.models import Comment

    root = Comment.objects.get(article_id=ctx.facts["thread_story"], lft=1)
    return root, Comment.objects.filter(tree_id=root.tree_id, parent=root).order_by("lft").first()


@row("mega_reply", "reply into the 20,000-reply thread (past the cap: refused, text kept)")
def _mega_reply(ctx: Context) -> dict:
    from django.conf import settings

    settings.COMMENTS_RATE_PER_MINUTE = 0
    _, first = _mega(ctx)
    client, url = ctx.client("heavy"), f"/comments/story/{ctx.facts['thread_story']}/post/"

    def call():
        response = client.post(url, {"body": "One more reply to a long thread.", "parent": first.pk})
        return {"status": response.status_code}

    return ctx.rolled_back(call)


@row("mega_delete_leaf", "author deletes an early leaf in the 20,000-reply thread")
def _mega_delete_leaf(ctx: Context) -> dict:
    from django.db.models import F
    from django.test import Client

    from comments.models import Comment

    root, _ = _mega(ctx)
    leaf = (
        Comment.objects.filter(tree_id=root.tree_id, rght=F("lft") + 1, author__isnull=False, status="visible")
        .order_by("lft")
        .first()
    )
    client = Client()
    client.force_login(leaf.author, backend="newsroom.backends.ModelBackend")

    def call():
        response = client.post(f"/comments/{leaf.pk}/delete/")
        assert response.status_code == 302, response.status_code
        return {"status": response.status_code}

    return ctx.rolled_back(call, requests=3)


@row("mega_thread_page", "thread page of the 20,000-reply thread's root")
def _mega_thread_page(ctx: Context) -> dict:
    root, _ = _mega(ctx)
    return ctx.page(f"/comments/{root.pk}/thread/")


@row("mega_permalink", "permalink to the last reply of the 20,000-reply thread")
def _mega_permalink(ctx: Context) -> dict:
    from comments.models import Comment

    root, _ = _mega(ctx)
    last = Comment.objects.filter(tree_id=root.tree_id).order_by("-lft").first()
    client = ctx.client(None)

    def call():
        response = client.get(f"/comments/{last.pk}/")
        assert response.status_code == 302, response.status_code

    return counted(call)


@row("all_comments_big", "all-comments page of the 50,000-comment story")
def _all_comments_big(ctx: Context) -> dict:
    return ctx.page(f"/comments/story/{ctx.facts['big_story']}/all/")


@row("account_delete", "account deletion of a reader with 20,000 comments (the request's part)")
def _account_delete(ctx: Context) -> dict:
    from newsroom import services

    heavy = ctx.users["heavy"]
    # What the request does (the erasure runs in a task after commit, which the rollback leaves out).
    return ctx.rolled_back(lambda: services.account_delete(user=heavy) or {}, requests=3)


@row("download", "the reader's comments download, 20,000 comments (streamed, to the last byte)")
def _download(ctx: Context) -> dict:
    client = ctx.client("heavy")

    def call():
        response = client.get("/accounts/comments.json")
        assert response.status_code == 200, response.status_code
        return len(b"".join(response.streaming_content))

    return counted(call, requests=3)


def measure(facts: dict, keys: list[str] | None) -> dict:
    import django

    django.setup()
    from django.conf import settings

    settings.COMMENTS_CACHE_SECONDS = 60
    ctx = Context(facts)
    results = {}
    for key, _label, function in ROWS:
        if keys and key not in keys:
            continue
        started = time.perf_counter()
        try:
            results[key] = function(ctx)
        except Exception as error:  # a row that fails is reported, the others still run
            results[key] = {"error": f"{type(error).__name__}: {error}"[:300]}
        say(f"  {key}: {results[key]} ({time.perf_counter() - started:.0f}s)")
    return results


# ---------------------------------------------------------------------------------------------------------------
# Building and keeping the databases
# ---------------------------------------------------------------------------------------------------------------


def _database_url(base_url: str, size: str) -> str:
    base, name = base_url.rsplit("/", 1)
    return f"{base}/{name}_{size}"


def _exists(base_url: str, url: str) -> bool:
    import environ

    sys.path.insert(0, str(ROOT / "scripts"))
    from postgres_ready import maintenance

    name = url.rsplit("/", 1)[1]
    with maintenance(environ.Env.db_url_config(base_url), autocommit=True) as connection:
        return connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def ensure(size: str) -> dict:
    """Child process: the database of `size` as this checkout needs it; returns the builder's facts."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    def meta() -> dict | None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT to_regclass(%s)", [META_TABLE])
            if cursor.fetchone()[0] is None:
                return None
            cursor.execute(f"SELECT value FROM {META_TABLE} WHERE key = 'facts'")
            found = cursor.fetchone()
            return json.loads(found[0]) if found else None

    facts = meta()
    if facts is not None and facts.get("version") == BUILD_VERSION:
        loader = MigrationLoader(connection)
        foreign = set(loader.applied_migrations) - set(loader.disk_migrations)
        if not foreign:
            pending = set(loader.disk_migrations) - set(loader.applied_migrations)
            if pending:
                say(f"[{size}] applying {len(pending)} new migration(s) to the kept archive")
                started = time.perf_counter()
                call_command("migrate", verbosity=0, interactive=False)
                say(f"[{size}] migrated in {time.perf_counter() - started:.1f}s")
            return facts
        say(f"[{size}] the kept archive has migrations this checkout lacks ({sorted(foreign)[:3]}): rebuilding")
    return {"rebuild": True}


def build_child(size: str) -> dict:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from bench import archive_data

    call_command("migrate", verbosity=0, interactive=False)
    started = time.perf_counter()
    facts = archive_data.build(SIZES[size])
    facts.update(version=BUILD_VERSION, build_s=round(time.perf_counter() - started, 1))
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {META_TABLE} (key text PRIMARY KEY, value text)")
        cursor.execute(f"INSERT INTO {META_TABLE} VALUES ('facts', %s)", [json.dumps(facts)])
    return facts


def child(args) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    if args.child == "ensure":
        out = ensure(args.size)
    elif args.child == "build":
        out = build_child(args.size)
    else:
        out = measure(json.loads(os.environ["ARCHIVE_FACTS"]), args.rows.split(",") if args.rows else None)
    sys.stdout.write(json.dumps(out) + "\n")


def run_child(url: str, *arguments: str, facts: dict | None = None, static: str) -> dict:
    env = {
        **os.environ,
        "BENCH_DATABASE_URL": url,
        "DJANGO_STATIC_ROOT": static,
        "CACHE_URL": os.environ.get("ARCHIVE_CACHE_URL", "redis://127.0.0.1:6379/8"),
        "ARCHIVE_FACTS": json.dumps(facts or {}),
    }
    out = subprocess.run(
        [sys.executable, "-m", "bench.archive", *arguments], env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    if out.returncode:
        raise SystemExit(f"bench.archive {' '.join(arguments)} failed ({out.returncode})")
    return json.loads(out.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------------------------------------------


def _ms(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value / 1000:.2f} s" if value >= 1000 else f"{value:.1f} ms" if value < 100 else f"{value:.0f} ms"


def table(results: dict, baseline: dict | None = None) -> str:
    small, large = results["sizes"].get("small", {}), results["sizes"].get("large", {})
    before = (baseline or {}).get("sizes", {}).get("large", {})
    header = "| page or write | small | large | large ÷ small | queries (small / large) |"
    rule = "| --- | ---: | ---: | ---: | ---: |"
    if baseline:
        header += " before: large (queries) |"
        rule += " ---: |"
    lines = [header, rule]
    for key, label, _ in ROWS:
        s, big = small.get(key), large.get(key)
        if s is None and big is None:
            continue
        s, big = s or {}, big or {}
        ratio = f"{big['median_ms'] / s['median_ms']:.1f}x" if s.get("median_ms") and big.get("median_ms") else "—"
        notes = "; ".join(x for x in (s.get("error"), big.get("error"), big.get("note")) if x)
        status = big.get("status")
        if status and status >= 400:
            notes = f"HTTP {status}" + (f"; {notes}" if notes else "")
        cells = [
            label + (f" ({notes})" if notes else ""),
            _ms(s.get("median_ms")),
            _ms(big.get("median_ms")),
            ratio,
            f"{s.get('queries', '—')} / {big.get('queries', '—')}",
        ]
        if baseline:
            old = before.get(key) or {}
            old_note = f", HTTP {old['status']}" if old.get("status", 200) >= 400 else ""
            cells.append(f"{_ms(old.get('median_ms'))} ({old.get('queries', '—')}{old_note})" if old else "—")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rebuild", action="store_true", help="build both databases afresh")
    parser.add_argument("--rows", default="", help="only these row keys, comma-separated")
    parser.add_argument("--sizes", default="small,large")
    parser.add_argument("--baseline", type=Path, help="an earlier run's JSON: its large figures go beside")
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/archive.json")
    parser.add_argument("--child", choices=["ensure", "build", "measure"], help=argparse.SUPPRESS)
    parser.add_argument("--size", choices=list(SIZES), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    import tempfile

    base_url = os.environ.get("ARCHIVE_POSTGRES_URL", DEFAULT_URL)
    results: dict = {"sizes": {}, "facts": {}}
    with tempfile.TemporaryDirectory(prefix="newsroom-static-") as static:
        for size in args.sizes.split(","):
            url = _database_url(base_url, size)
            name = url.rsplit("/", 1)[1]
            facts = {"rebuild": True}
            if _exists(base_url, url) and not args.rebuild:
                facts = run_child(url, "--child", "ensure", "--size", size, static=static)
            if facts.get("rebuild"):
                say(f"[{size}] building {name} (scale {SIZES[size]})")
                _pg_admin(base_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
                _pg_admin(base_url, f"CREATE DATABASE {name}")
                facts = run_child(url, "--child", "build", "--size", size, static=static)
                say(f"[{size}] built in {facts['build_s']}s")
            else:
                say(f"[{size}] reusing {name}")
            say(f"[{size}] {facts['stories']:,} stories, {facts['comments']:,} comments")
            subprocess.run(
                [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
                env={**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings", "BENCH_DATABASE_URL": url,
                     "DJANGO_STATIC_ROOT": static},
                cwd=ROOT, check=True,
            )  # fmt: skip
            say(f"[{size}] measuring")
            results["facts"][size] = facts
            results["sizes"][size] = run_child(
                url, "--child", "measure", "--size", size, "--rows", args.rows, facts=facts, static=static
            )
    import django

    results.update(
        django=django.get_version(),
        python=platform.python_version(),
        machine=f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()}",
        date=time.strftime("%Y-%m-%d %H:%M %Z"),
    )
    if args.rows and args.out.exists():  # a partial run updates the rows it measured
        previous = json.loads(args.out.read_text())
        for size, rows in results["sizes"].items():
            previous.setdefault("sizes", {}).setdefault(size, {}).update(rows)
        previous.update({k: v for k, v in results.items() if k != "sizes"})
        results = previous
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    baseline = json.loads(args.baseline.read_text()) if args.baseline and args.baseline.exists() else None
    text = table(results, baseline)
    args.out.with_suffix(".md").write_text(text + "\n")
    sys.stdout.write(text + "\n")
    say(f"wrote {args.out} and {args.out.with_suffix('.md')}")


if __name__ == "__main__":
    main()
