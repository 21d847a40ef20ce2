"""Bring a Disqus export in: read the whole file first, then write story by story, each in one transaction.

Why two passes: Disqus lists every thread before any post, and a thread's posts (children before parents, at
times) are spread over the file, so no story can be written until the file has been read to the end. The first
pass streams the XML into a temporary SQLite file (memory stays flat at any size) and proves the file complete
and well-formed; only then does the second pass write, one story per transaction under the locks of the story's
trees, building each story's trees in memory and inserting them a generation at a time: no save per post, no
table rebuild.
"""

import os
import sqlite3
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import BinaryIO
from urllib.parse import urlsplit

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Max
from django.urls import Resolver404, resolve

from articles.models import Article, SlugHistory
from comments import services
from comments.disqus.accounts import ImportedAuthor, imported_accounts
from comments.disqus.mentions import imported_mentions_link
from comments.disqus.planning import DELETED, PENDING, REMOVED, Entry, plan_story
from comments.disqus.reader import Author, ExportError, Post, Thread, read_export
from comments.disqus.text import html_to_text
from comments.locking import lock_story_trees
from comments.mentions import find_mentions
from comments.models import Comment, Mention
from comments.trees import Row, expected_positions, number_forest

__all__ = ["StoryFailed", "MappingError", "Unmatched", "ImportReport", "read_mapping", "import_disqus"]

Progress = Callable[[str, int, int | None, float | None], None]  # (phase, posts done, posts in all, share read)

DSQ_ID_MAX = Comment._meta.get_field("disqus_id").max_length
SPAM_REASON = "Marked as spam on Disqus; kept hidden because replies answer it."
PENDING_REASON = "Imported from Disqus, where it was waiting for moderation."
REASONS = {REMOVED: SPAM_REASON, PENDING: PENDING_REASON}


class StoryFailed(Exception):
    """The database refused one story's writes (e.g. a concurrent sign-up took a handle); earlier stories stay."""


class MappingError(Exception):
    """The --map file names a story that does not exist, or is not in the "old-url,story-slug" form."""


@dataclass
class Unmatched:
    dsq_id: str
    link: str
    identifier: str
    posts: int


@dataclass
class ImportReport:
    dry_run: bool = False
    posts_read: int = 0
    threads_matched: int = 0
    threads_unmatched: list[Unmatched] = field(default_factory=list)
    threads_without_posts: int = 0
    stories: int = 0
    imported: int = 0  # comments written (or that would be), tombstones and placeholders included
    tombstones: int = 0  # deleted posts kept to hold their replies
    spam_placeholders: int = 0  # spam posts kept, hidden as "removed", to hold their replies
    pending: int = 0
    skipped_spam: int = 0
    skipped_deleted: int = 0
    skipped_empty: int = 0
    duplicates_in_file: int = 0
    already_imported: int = 0
    without_id: int = 0
    in_unmatched_threads: int = 0
    broken_parents: int = 0
    anonymous: int = 0
    accounts_created: set[str] = field(default_factory=set)  # usernames, so a commenter counts once
    accounts_reused: set[str] = field(default_factory=set)
    cut_to_length: int = 0  # messages longer than COMMENTS_MAX_LENGTH, cut with a marker
    # The first comment written whose @handle named no account yet (perhaps one a later story makes), if any.
    unlinked_from: int | None = None


# ------------------------------------------------------------------------------
# Matching threads to stories
# ------------------------------------------------------------------------------
def _url_key(url: str) -> str:
    """An address compared without its scheme, "www.", letter case of the host, trailing slash or fragment."""
    parts = urlsplit(url.strip())
    host = parts.netloc.lower().removeprefix("www.")
    path = parts.path.rstrip("/") or "/"
    return f"{host}{path}" + (f"?{parts.query}" if parts.query else "")


def read_mapping(lines: Iterable[str]) -> dict[str, str]:
    """`old-url,story-slug` (or `identifier,story-slug`) per line; blank lines and # comments ignored."""
    mapping = {}
    for number, line in enumerate(lines, start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        old, comma, slug = line.rpartition(",")
        if not comma or not old.strip() or not slug.strip():
            raise MappingError(f"Line {number} of the map is not “old-url,story-slug”: {line[:100]!r}.")
        mapping[old.strip()] = slug.strip()
    return mapping


def _slug_in_url(link: str) -> str | None:
    """The story slug when `link`'s path is a story address of this site (any host: the old site's may differ)."""
    path = urlsplit(link.strip()).path
    if not path:
        return None
    for candidate in dict.fromkeys([path, path if path.endswith("/") else f"{path}/"]):
        try:
            match = resolve(candidate)
        except Resolver404:
            continue
        if match.view_name == "articles:detail":
            return match.kwargs["slug"]
    return None


def _stories_by_slug(slugs: set[str]) -> dict[str, int]:
    """Story id per slug, current slugs first, then old ones (SlugHistory)."""
    found: dict[str, int] = {}
    ordered = sorted(slugs)
    for start in range(0, len(ordered), 500):
        chunk = ordered[start : start + 500]
        found.update(Article.objects.filter(slug__in=chunk).values_list("slug", "pk"))
        for slug, article_id in SlugHistory.objects.filter(slug__in=chunk).values_list("slug", "article_id"):
            found.setdefault(slug, article_id)
    return found


def _match_threads(threads: list[Thread], mapping: dict[str, str]) -> dict[str, int]:
    """Story id per thread dsq:id, for the threads that can be matched: the map first (by address or identifier),
    then the address as a story URL of this site (current or old slug), then the identifier as a slug."""
    mapped = {_url_key(old) if "://" in old else old: slug for old, slug in mapping.items()}
    candidates: dict[str, list[str]] = {}
    for thread in threads:
        slugs = [
            mapped.get(_url_key(thread.link)) if thread.link else None,
            mapped.get(thread.identifier) if thread.identifier else None,
            _slug_in_url(thread.link) if thread.link else None,
            thread.identifier or None,
            # WordPress's plugin writes identifiers like "528 https://example.com/?p=528".
            _slug_in_url(thread.identifier.split()[-1]) if "://" in thread.identifier else None,
        ]
        candidates[thread.dsq_id] = [slug for slug in slugs if slug]
    stories = _stories_by_slug({slug for slugs in candidates.values() for slug in slugs})
    matched = {}
    for dsq_id, slugs in candidates.items():
        story = next((stories[slug] for slug in slugs if slug in stories), None)
        if story is not None:
            matched[dsq_id] = story
    return matched


def _check_mapping(mapping: dict[str, str]) -> None:
    stories = _stories_by_slug(set(mapping.values()))
    missing = sorted(set(mapping.values()) - set(stories))
    if missing:
        raise MappingError(
            f"The map names {len(missing)} story slug(s) that no story has or had: {', '.join(missing[:10])}. "
            "Nothing was imported."
        )


# ------------------------------------------------------------------------------
# Pass 1: the file into a temporary SQLite file
# ------------------------------------------------------------------------------
class _Stage:
    """Posts as read, keyed by dsq:id, with the message already reduced to text; threads by dsq:id."""

    def __init__(self, directory: str):
        self.db = sqlite3.connect(os.path.join(directory, "stage.sqlite3"))
        self.db.executescript(
            """
            PRAGMA journal_mode = OFF;
            PRAGMA synchronous = OFF;
            CREATE TABLE thread (dsq_id TEXT PRIMARY KEY, identifier TEXT, link TEXT, title TEXT);
            CREATE TABLE post (
                seq INTEGER PRIMARY KEY, dsq_id TEXT UNIQUE, thread TEXT, parent TEXT, created TEXT,
                deleted INTEGER, spam INTEGER, approved INTEGER, anonymous INTEGER, username TEXT, name TEXT,
                email TEXT, body TEXT
            );
            """
        )
        self.pending: list[tuple] = []

    def add_thread(self, thread: Thread) -> None:
        self.db.execute(
            "INSERT OR IGNORE INTO thread VALUES (?, ?, ?, ?)",
            (thread.dsq_id, thread.identifier, thread.link, thread.title),
        )

    def add_post(self, seq: int, post: Post) -> None:
        author = post.author
        self.pending.append(
            (
                seq,
                post.dsq_id,
                post.thread_id,
                post.parent_id,
                post.created_at.isoformat(),
                post.deleted,
                post.spam,
                post.approved,
                author.anonymous,
                author.username,
                author.name,
                author.email,
                html_to_text(post.message),
            )
        )
        if len(self.pending) >= 1000:
            self.flush()

    def flush(self) -> int:
        """Write the waiting posts; returns how many repeated a dsq:id already read (kept: the first)."""
        before = self.db.total_changes
        self.db.executemany("INSERT OR IGNORE INTO post VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", self.pending)
        duplicates = len(self.pending) - (self.db.total_changes - before)
        self.pending = []
        return duplicates

    def threads_with_posts(self) -> tuple[list[tuple[Thread, int]], int]:
        """Declared threads that have posts (with their count), and how many declared threads have none."""
        rows = self.db.execute(
            "SELECT p.thread, count(*), t.identifier, t.link, t.title FROM post p "
            "LEFT JOIN thread t ON t.dsq_id = p.thread GROUP BY p.thread ORDER BY min(p.seq)"
        ).fetchall()
        empty = self.db.execute("SELECT count(*) FROM thread WHERE dsq_id NOT IN (SELECT thread FROM post)").fetchone()
        threads = [
            (Thread(dsq_id, ident or "", link or "", title or ""), count) for dsq_id, count, ident, link, title in rows
        ]
        return threads, empty[0]

    def entries(self, thread_ids: list[str]) -> list[Entry]:
        marks = ",".join("?" * len(thread_ids))
        rows = self.db.execute(
            "SELECT seq, dsq_id, parent, created, deleted, spam, approved, anonymous, username, name, email, body "
            f"FROM post WHERE thread IN ({marks}) ORDER BY seq",
            thread_ids,
        )
        return [
            Entry(
                seq=seq,
                dsq_id=dsq_id,
                parent_id=parent,
                created_at=datetime.fromisoformat(created),
                deleted=bool(deleted),
                spam=bool(spam),
                approved=bool(approved),
                author=Author(name=name, username=username, email=email, anonymous=bool(anonymous)),
                body=body,
            )
            for seq, dsq_id, parent, created, deleted, spam, approved, anonymous, username, name, email, body in rows
        ]


def _read(source: BinaryIO, stage: _Stage, report: ImportReport, progress: Progress | None) -> None:
    size = os.fstat(source.fileno()).st_size if hasattr(source, "fileno") else 0
    for item in read_export(source):
        if isinstance(item, Thread):
            if item.dsq_id:
                stage.add_thread(item)
            continue
        report.posts_read += 1
        if not item.dsq_id or len(item.dsq_id) > DSQ_ID_MAX or not item.thread_id:
            report.without_id += 1
        else:
            stage.add_post(report.posts_read, item)
        if progress and report.posts_read % 500 == 0:
            progress("read", report.posts_read, None, min(source.tell() / size, 0.99) if size else None)
    report.duplicates_in_file += stage.flush()
    if progress:
        progress("read", report.posts_read, None, 1.0)


# ------------------------------------------------------------------------------
# Pass 2: one story
# ------------------------------------------------------------------------------
def _imported_already(dsq_ids: list[str]) -> dict[str, tuple[int, int, int]]:
    """(pk, story id, tree id) per dsq:id already imported."""
    found = {}
    for start in range(0, len(dsq_ids), 2000):
        found.update(
            (dsq_id, (pk, article_id, tree_id))
            for dsq_id, pk, article_id, tree_id in Comment.objects.filter(
                disqus_id__in=dsq_ids[start : start + 2000]
            ).values_list("disqus_id", "pk", "article_id", "tree_id")
        )
    return found


def _renumber(tree_ids: Iterable[int]) -> None:
    """Bring trees that gained imported replies back in line with a rebuild (children in id order, as the
    site inserts them) by updating only the rows whose numbers changed."""
    for tree_id in tree_ids:
        rows = [Row(*row) for row in Comment.objects.filter(tree_id=tree_id).order_by().values_list(
            "id", "parent_id", "tree_id", "lft", "rght", "level"
        )]  # fmt: skip
        positions = expected_positions(rows)
        changed = [
            Comment(pk=row.id, lft=lft, rght=rght, level=level)
            for row in rows
            for lft, rght, level in [positions[row.id]]
            if (row.lft, row.rght, row.level) != (lft, rght, level)
        ]
        Comment.objects.bulk_update(changed, ["lft", "rght", "level"], batch_size=1000)


def within_length(body: str, limit: int) -> str:
    """A message longer than the site's comment limit, cut at a word boundary, with a marker saying so."""
    marker = f"\n\n[Cut on import: the original message was {len(body):,} characters long.]"
    kept = body[: limit - len(marker)]
    if " " in kept[-200:]:
        kept = kept.rsplit(" ", 1)[0]
    return kept.rstrip() + marker


def _import_story(article_id: int, entries: list[Entry], report: ImportReport) -> None:
    dry_run = report.dry_run
    if not dry_run:
        lock_story_trees(article_id, new_thread=True)
    wanted = sorted({e.dsq_id for e in entries} | {e.parent_id for e in entries if e.parent_id})
    known = _imported_already(wanted)
    new = [e for e in entries if e.dsq_id not in known]
    report.already_imported += len(entries) - len(new)
    parents_here = {dsq_id: pk for dsq_id, (pk, story, _) in known.items() if story == article_id}
    plan = plan_story(new, parents_here)
    report.skipped_spam += plan.skipped_spam
    report.skipped_deleted += plan.skipped_deleted
    report.skipped_empty += plan.skipped_empty
    report.broken_parents += plan.broken_parents
    kept = [plan.entries[dsq_id] for dsq_id in plan.status]
    if not kept:
        return
    report.stories += 1

    named = {e.author.username: e.author for e in kept if not e.author.anonymous}
    accounts = imported_accounts(
        [ImportedAuthor(username=a.username, name=a.name, email=a.email) for a in named.values()], dry_run=dry_run
    )
    report.accounts_created.update(accounts.created)
    report.accounts_reused.update(name for name in accounts.reused if name not in report.accounts_created)
    for status in plan.status.values():
        report.imported += 1
        report.tombstones += status == DELETED
        report.spam_placeholders += status == REMOVED
        report.pending += status == PENDING
    report.anonymous += sum(1 for e in kept if e.author.anonymous)
    for dsq_id in plan.status:
        entry = plan.entries[dsq_id]
        if len(entry.body) > settings.COMMENTS_MAX_LENGTH:
            plan.entries[dsq_id] = entry._replace(body=within_length(entry.body, settings.COMMENTS_MAX_LENGTH))
            report.cut_to_length += 1
    if dry_run:
        return

    shown = [dsq_id for dsq_id, status in plan.status.items() if status != DELETED]
    rendered = dict(zip(shown, services.render_bodies([plan.entries[d].body for d in shown]), strict=True))
    next_tree = (Comment.objects.aggregate(top=Max("tree_id"))["top"] or 0) + 1
    positions = number_forest(plan.roots, plan.children)
    attached_trees = {}
    if plan.attached:
        attached_trees = dict(
            Comment.objects.filter(pk__in=set(plan.existing.values())).values_list("pk", "tree_id")
        )  # fmt: skip
    parent_in_plan = {child: parent for parent, kids in plan.children.items() for child in kids}
    pks: dict[str, int] = {}
    tree_of: dict[str, int] = {}
    mentions = []
    for generation in plan.generations():
        rows = []
        for dsq_id in generation:
            entry = plan.entries[dsq_id]
            status = plan.status[dsq_id]
            parent = parent_in_plan.get(dsq_id)
            if dsq_id in positions:
                index, lft, rght, level = positions[dsq_id]
                tree_id = next_tree + index
            else:  # answers a comment already here: numbered by _renumber below
                tree_id = tree_of[parent] if parent else attached_trees[plan.existing[dsq_id]]
                lft = rght = level = 0
            tree_of[dsq_id] = tree_id
            html, mentioned = rendered.get(dsq_id, ("", []))
            author = accounts.by_username.get(entry.author.username) if not entry.author.anonymous else None
            rows.append(
                Comment(
                    article_id=article_id,
                    author_id=author,
                    author_name="" if author else (entry.author.name or "Guest")[:60],
                    parent_id=pks[parent] if parent else plan.existing.get(dsq_id),
                    body="" if status == DELETED else entry.body,
                    body_html=html,
                    status=status,
                    removal_reason=REASONS.get(status, ""),
                    created_at=entry.created_at,
                    disqus_id=dsq_id,
                    tree_id=tree_id,
                    lft=lft,
                    rght=rght,
                    level=level,
                )
            )
        created = Comment.objects.bulk_create(rows, batch_size=1000)
        for dsq_id, comment in zip(generation, created, strict=True):
            pks[dsq_id] = comment.pk
            linked = rendered.get(dsq_id, ("", []))[1]
            mentions.extend(Mention(comment=comment, user=user) for user in linked)
            if "@" in comment.body and len(find_mentions(comment.body)) > len(linked):
                report.unlinked_from = min(comment.pk, report.unlinked_from or comment.pk)
    Mention.objects.bulk_create(mentions, batch_size=1000)
    _renumber(sorted({tree_of[dsq_id] for dsq_id in plan.attached}))
    visible = sum(status == Comment.Status.VISIBLE for status in plan.status.values())
    services.discussion_changed(article_id, visible_delta=visible)  # its count, and its cached discussion retired


# ------------------------------------------------------------------------------
# The whole import
# ------------------------------------------------------------------------------
def _stories(stage: _Stage, report: ImportReport, mapping: dict[str, str]) -> Iterator[tuple[int, list[str], int]]:
    threads, report.threads_without_posts = stage.threads_with_posts()
    matched = _match_threads([thread for thread, _ in threads], mapping)
    by_story: dict[int, list[str]] = defaultdict(list)
    counts: dict[int, int] = defaultdict(int)
    for thread, count in threads:
        story = matched.get(thread.dsq_id)
        if story is None:
            report.threads_unmatched.append(Unmatched(thread.dsq_id, thread.link, thread.identifier, count))
            report.in_unmatched_threads += count
        else:
            report.threads_matched += 1
            by_story[story].append(thread.dsq_id)
            counts[story] += count
    for story in sorted(by_story):
        yield story, by_story[story], counts[story]


def import_disqus(
    source: BinaryIO, *, mapping: dict[str, str] | None = None, dry_run: bool = False, progress: Progress | None = None
) -> ImportReport:
    """Import a Disqus export from the binary file `source`. Raises ExportError (nothing imported) for a file
    that is not a complete Disqus export, MappingError for a map naming unknown stories. Each story is written
    in its own transaction, so an interruption leaves every story either fully imported or untouched, and a
    second run imports only what is missing."""
    if not connection.features.can_return_rows_from_bulk_insert:
        raise ExportError("This database cannot return ids from bulk inserts (SQLite 3.35 or later is needed).")
    mapping = mapping or {}
    _check_mapping(mapping)
    report = ImportReport(dry_run=dry_run)
    with tempfile.TemporaryDirectory(prefix="disqus-import-") as directory:
        stage = _Stage(directory)
        try:
            _read(source, stage, report, progress)
            stories = list(_stories(stage, report, mapping))
            total = sum(count for _, _, count in stories)
            done = 0
            for story, thread_ids, count in stories:
                entries = stage.entries(thread_ids)
                try:
                    with transaction.atomic():
                        _import_story(story, entries, report)
                except DatabaseError as error:
                    raise StoryFailed(
                        f"Writing the comments of story {story} failed ({error}); that story was left untouched, "
                        f"the {report.stories:,} stories before it are imported. Run the import again to continue."
                    ) from error
                done += count
                if progress:
                    progress("write", done, total, None)
        finally:
            stage.db.close()
    if report.unlinked_from is not None:
        # A mention of a commenter whose account a later story of this file made: linked now that all exist.
        imported_mentions_link(after_pk=report.unlinked_from - 1)
    return report
