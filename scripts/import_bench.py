"""Scale check for import_disqus: generate a Disqus export of 100,000 posts, import it, print time and peak memory.

Usage: python scripts/import_bench.py [--database sqlite|postgres://...] [--posts 100000] [--stories 500]

It works on a database of its own: a temporary SQLite file, or on PostgreSQL a database named after the URL's
with "_bench" appended, dropped and created afresh. The import runs as a child process, so its peak resident
memory (getrusage ru_maxrss of the children) is the import's alone, not this script's.
"""

import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORDS = [
    *("the council harbour vote budget school rail museum storm bridge water plan local said would could", ""),
    *("mayor residents night week report police funding season people market ferry street years new", ""),
]
WORDS = " ".join(WORDS).split()


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def message(rng: random.Random) -> str:
    paragraphs = []
    for _ in range(rng.choice((1, 1, 2, 3))):
        sentence = " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 40))).capitalize() + "."
        if rng.random() < 0.1:
            url = f"https://example.com/{rng.choice(WORDS)}/{rng.randint(1, 10**6)}"
            sentence += f' See <a href="{url}" rel="nofollow noopener">{url[:30]}...</a>'
        if rng.random() < 0.2:
            sentence += "<br>" + rng.choice(WORDS).capitalize() + "!"
        paragraphs.append(f"<p>{sentence}</p>")
    return "".join(paragraphs)


def generate(path: Path, stories: list[tuple[int, str]], posts: int, seed: int = 8) -> None:
    """`posts` posts over the stories (a few stories take most, as on a real site), threads up to ~12 deep,
    3% deleted, 2% spam, 10% anonymous, written in shuffled order so replies often come before parents."""
    rng = random.Random(seed)
    weights = [1 / (rank + 1) ** 0.8 for rank in range(len(stories))]
    story_of = rng.choices(range(len(stories)), weights=weights, k=posts)
    start = datetime(2014, 1, 1, tzinfo=UTC)
    records = []
    per_story: dict[int, list[tuple[int, int]]] = {}
    for n, story in enumerate(story_of, start=1):
        earlier = per_story.setdefault(story, [])
        parent, depth = 0, 0
        if earlier and rng.random() < 0.65:
            parent, parent_depth = rng.choice(earlier[-30:])
            depth = parent_depth + 1
            if depth > 12:
                parent, depth = 0, 0
        earlier.append((n, depth))
        records.append((n, story, parent))
    rng.shuffle(records)
    with path.open("w", encoding="utf-8") as out:
        out.write(
            '<?xml version="1.0" encoding="utf-8"?>\n<disqus xmlns="http://disqus.com" '
            'xmlns:dsq="http://disqus.com/disqus-internals">\n'
            '<category dsq:id="1"><forum>bench</forum><title>General</title></category>\n'
        )
        for index, (_, url) in enumerate(stories):
            out.write(
                f'<thread dsq:id="t{index}"><id></id><forum>bench</forum><category dsq:id="1"/>'
                f"<link>https://oldpaper.example{escape(url)}</link><title>Story {index}</title></thread>\n"
            )
        for n, story, parent in records:
            created = start + timedelta(minutes=n)
            anonymous = rng.random() < 0.1
            user = rng.randint(1, 5000)
            author = (
                f"<author><name>Guest {user}</name><isAnonymous>true</isAnonymous></author>"
                if anonymous
                else f"<author><email>reader{user}@example.com</email><name>Reader {user}</name>"
                f"<isAnonymous>false</isAnonymous><username>reader_{user}</username></author>"
            )
            parent_xml = f'<parent dsq:id="{parent}"/>' if parent else ""
            out.write(
                f'<post dsq:id="{n}"><id/><message><![CDATA[{message(rng)}]]></message>'
                f"<createdAt>{created:%Y-%m-%dT%H:%M:%SZ}</createdAt>"
                f"<isDeleted>{'true' if rng.random() < 0.03 else 'false'}</isDeleted>"
                f"<isSpam>{'true' if rng.random() < 0.02 else 'false'}</isSpam>{author}"
                f'<thread dsq:id="t{story}"/>{parent_xml}</post>\n'
            )
        out.write("</disqus>\n")


def prepare_database(url: str) -> str:
    """A fresh, empty database for the run; returns its URL."""
    if url == "sqlite":
        return f"sqlite:///{tempfile.mkdtemp(prefix='import-bench-')}/bench.sqlite3"
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/") + "_bench"
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path=f"/{name}"))


def manage(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], env=env, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="sqlite", help='"sqlite" or a postgres:// URL')
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--stories", type=int, default=500)
    args = parser.parse_args()

    # Production settings, not debug ones: with DEBUG on, Django keeps the last 9,000 queries' SQL in memory, which
    # with bulk inserts of 1,000 rows would be most of the peak measured.
    env = {
        **os.environ,
        "DATABASE_URL": prepare_database(args.database),
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "import-bench-only",
        "CACHE_URL": f"filecache://{tempfile.mkdtemp(prefix='import-bench-cache-')}",
    }
    os.environ.update(env)
    manage(env, "migrate", "--noinput", "-v", "0")

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
    django.setup()
    from django.utils import timezone

    from articles.models import Article, Section

    section = Section.objects.create(name="News", slug="news")
    Article.objects.bulk_create(
        Article(
            headline=f"Story {n}",
            deck="A story.",
            slug=f"story-{n}",
            section=section,
            body="Text.",
            status=Article.Status.PUBLISHED,
            publish_at=timezone.now() - timedelta(days=n),
        )
        for n in range(args.stories)
    )
    stories = [(a.pk, a.get_absolute_url()) for a in Article.objects.select_related("section").order_by("pk")]

    with tempfile.TemporaryDirectory(prefix="import-bench-") as directory:
        export = Path(directory) / "export.xml"
        started = time.monotonic()
        generate(export, stories, args.posts)
        size = export.stat().st_size
        say(
            f"Generated {args.posts:,} posts over {len(stories)} stories: {size / 2**20:.1f} MiB in "
            f"{time.monotonic() - started:.1f} s."
        )

        started = time.monotonic()
        manage(env, "import_disqus", str(export), "--progress-every", "15")
        elapsed = time.monotonic() - started
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # kilobytes on Linux
        vendor = "SQLite" if args.database == "sqlite" else "PostgreSQL"
        say(
            f"\n{vendor}: imported {args.posts:,} posts in {elapsed:.1f} s ({args.posts / elapsed:,.0f} posts/s), "
            f"peak memory {peak:.0f} MiB (largest child process, ru_maxrss)."
        )
        manage(env, "check_comment_trees")
        started = time.monotonic()
        manage(env, "import_disqus", str(export), "--progress-every", "60")
        say(f"Second run (nothing new to import): {time.monotonic() - started:.1f} s.")


if __name__ == "__main__":
    main()
