"""Build a newsroom's archive for `make bench-archive` (issue 15): stories, discussions, heavy readers, reports.

At scale 1.0 ("large"): 100,000 live stories over ten sections, 10,000 of them with the issue-6 discussion shape
(44 comments each), one story of 50,000 comments, one thread of 20,000 replies, a reader who wrote 20,000 of the
comments and one with 20,000 notifications, 1% of comments reported, 0.1% waiting for a moderator: 510,000+
comments. At scale 0.001 ("small") the same shape with a thousandth of the rows (100 stories, about 510 comments).
Everything goes in with bulk inserts; tree fields are numbered by bench.data as django-mptt numbers them and
checked afterwards, counts go through comments.services.discussion_changed like every write.
"""

import random
import sys
import time
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.html import escape

from articles.models import Article, Author, Byline, Section, TextBlock
from bench import data, shape
from comments import services
from comments.models import Comment, CommentReport, Notification
from comments.trees import Row, tree_problems
from newsroom.models import User

__all__ = ["RARE_WORD", "COMMON_WORD", "Progress", "build"]

# Search targets: one word in about 3% of the stories, one in about 93%.
RARE_WORD, RARE_SHARE = "glacier", 0.03
COMMON_WORD, COMMON_SHARE = "council", 0.93
SECTIONS = 10
STORIES = 100_000
DISCUSSED_STORIES = 10_000
COMMENTS_PER_DISCUSSION = 44
BIG_STORY_COMMENTS = 50_000
THREAD_REPLIES = 20_000
HEAVY_COMMENTS = 20_000
NOTIFICATIONS = 20_000
REPORTED_EVERY, PENDING_EVERY = 100, 1000

_VOCABULARY = (
    "the of and to in a is that for on was with as by at from said it its are has have be were will this year people "
    "government police new would could after two more first last week report water plan school rail museum storm "
    "bridge harbour vote budget mayor residents night funding season market ferry street river minister court "
    "health hospital workers union strike election party campaign tax prices energy power farmers drought flood "
    "coast village town region border talks agreement money bank jobs housing rent students"
)
_WORDS = _VOCABULARY.split()


class Progress:
    """A one-line progress bar on standard error: what is being built, how far, and the time so far."""

    def __init__(self, total: int, label: str = "building"):
        self.total, self.done, self.label, self.started = total, 0, label, time.monotonic()

    def step(self, amount: int, label: str | None = None) -> None:
        self.done = min(self.total, self.done + amount)
        self.label = label or self.label
        filled = int(30 * self.done / self.total)
        elapsed = time.monotonic() - self.started
        sys.stderr.write(
            f"\r[{'#' * filled}{'.' * (30 - filled)}] {100 * self.done / self.total:5.1f}%  {elapsed:6.0f}s  "
            f"{self.label:<40}"
        )
        sys.stderr.flush()

    def finish(self) -> None:
        self.step(self.total - self.done, "done")
        sys.stderr.write("\n")


@dataclass(frozen=True)
class Scale:
    factor: float

    def of(self, count: int, least: int = 1) -> int:
        return max(least, round(count * self.factor))


def _story_text(rng: random.Random, number: int) -> dict:
    def sentence(n: int) -> str:
        return " ".join(rng.choices(_WORDS, k=n)).capitalize() + "."

    paragraphs = [" ".join(sentence(rng.randint(8, 16)) for _ in range(3)) for _ in range(rng.randint(3, 6))]
    if rng.random() < COMMON_SHARE:
        paragraphs[rng.randrange(len(paragraphs))] += f" The {COMMON_WORD} met."
    if rng.random() < RARE_SHARE:
        paragraphs[-1] += f" A {RARE_WORD} was seen."
    return {
        "headline": f"{sentence(rng.randint(5, 10))[:-1]} ({number})",
        "deck": sentence(rng.randint(12, 24)),
        "body": "\n\n".join(paragraphs),
    }


def _readers() -> dict[str, User]:
    password = make_password(None)
    wanted = {
        "heavy": ("archive_heavy", "A Reader With 20,000 Comments"),
        "notified": ("archive_notified", "A Reader With 20,000 Notifications"),
        "admin": ("archive_admin", "Archive Moderator"),
    }
    made = {}
    for key, (handle, name) in wanted.items():
        made[key] = User.objects.create(
            handle=handle,
            display_name=name,
            email=f"{handle}@example.com",
            password=password,
            is_staff=key == "admin",
            is_superuser=key == "admin",
        )
    return made


def _stories(scale: Scale, progress: Progress) -> tuple[list[Section], list[int]]:
    """The stories, newest first in id order reversed: story n went live n * 50 minutes ago (about 9.5 years)."""
    sections = Section.objects.bulk_create(
        Section(name=f"Section {n}", slug=f"section-{n}", order=n) for n in range(SECTIONS)
    )
    author = Author.objects.create(name="Archive Reporter", slug="archive-reporter")
    rng = random.Random(15)
    now = timezone.now()
    total, batch, ids = scale.of(STORIES, least=SECTIONS), 2000, []
    for start in range(0, total, batch):
        stories = Article.objects.bulk_create(
            Article(
                **_story_text(rng, n),
                slug=f"archive-{n}",
                section=sections[n % SECTIONS],
                status=Article.Status.PUBLISHED,
                publish_at=now - timedelta(minutes=50 * n + 60),
            )
            for n in range(start, min(start + batch, total))
        )
        Byline.objects.bulk_create(Byline(article=story, author=author) for story in stories)
        # The body as the page renders it: one text block of the same paragraphs (the body column is their words).
        TextBlock.objects.bulk_create(
            TextBlock(
                parent=story,
                region="body",
                ordering=10,
                text="".join(f"<p>{escape(paragraph)}</p>" for paragraph in story.body.split("\n\n")),
            )
            for story in stories
        )
        ids.extend(story.pk for story in stories)
        progress.step(len(stories), f"stories {len(ids):,} of {total:,}")
    return sections, ids


def build(factor: float) -> dict:
    """Fill an empty, migrated database; returns what the measurements need to find (ids, handles, words)."""
    scale = Scale(factor)
    discussed = scale.of(DISCUSSED_STORIES)
    total_rows = (
        scale.of(STORIES, least=SECTIONS)
        + discussed * COMMENTS_PER_DISCUSSION
        + scale.of(BIG_STORY_COMMENTS)
        + scale.of(THREAD_REPLIES)
    )
    progress = Progress(total_rows)
    with transaction.atomic():
        users = data.commenters()
        readers = _readers()
        links = data.member_links(users)
        sections, story_ids = _stories(scale, progress)
    # The two busy stories are the newest, as on a news site.
    big = data.busy_story("archive-big-story", hours_ago=20, section=sections[0])
    rows, next_tree = data.unsaved_discussion(
        big, shape.discussion(scale.of(BIG_STORY_COMMENTS)), users=users, links=links, first_tree=1
    )
    data.insert_discussions([rows])
    services.discussion_changed(big.pk, visible_delta=len(rows))
    progress.step(len(rows), "the 50,000-comment story")
    thread = data.busy_story("archive-mega-thread", hours_ago=10, section=sections[1])
    rows, next_tree = data.unsaved_discussion(
        thread,
        shape.discussion(scale.of(THREAD_REPLIES) + 1, single_thread=True),
        users=users,
        links=links,
        first_tree=next_tree,
    )
    data.insert_discussions([rows])
    services.discussion_changed(thread.pk, visible_delta=len(rows))
    progress.step(len(rows) - 1, "the 20,000-reply thread")

    # Every tenth story has a discussion; the heavy reader wrote every n-th comment of them (20,000 in all).
    heavy_every = max(1, discussed * COMMENTS_PER_DISCUSSION // scale.of(HEAVY_COMMENTS))
    counter = 0
    chosen = story_ids[:: max(1, len(story_ids) // discussed)][:discussed]
    stories = Article.objects.in_bulk(chosen)
    users_and_heavy = [*users, readers["heavy"]]
    for start in range(0, len(chosen), 250):
        batch = []
        for pk in chosen[start : start + 250]:
            shaped = shape.discussion(COMMENTS_PER_DISCUSSION, seed=pk)
            rows, next_tree = data.unsaved_discussion(
                stories[pk], shaped, users=users_and_heavy, links=links, first_tree=next_tree
            )
            for _, comment, _ in rows:
                counter += 1
                if counter % heavy_every == 0:
                    comment.author = readers["heavy"]
            batch.append(rows)
        with transaction.atomic():
            data.insert_discussions(batch, batch_size=5000)
            for rows in batch:
                services.discussion_changed(rows[0][1].article_id, visible_delta=len(rows))
        progress.step(sum(map(len, batch)), f"discussions {min(start + 250, len(chosen)):,} of {len(chosen):,}")
    progress.finish()
    _reports_and_queue(chosen, readers, users)
    _notifications(readers["notified"], scale.of(NOTIFICATIONS), exclude_author=readers["heavy"])
    say("checking the trees")
    problems = tree_problems(
        Row(*row) for row in Comment.objects.values_list("id", "parent_id", "tree_id", "lft", "rght", "level")
    )
    assert not problems, list(problems.items())[:5]
    if connection.vendor == "postgresql" and not connection.in_atomic_block:  # (a test runs inside a transaction)
        say("VACUUM ANALYZE")
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    return {
        "big_story": big.pk,
        "thread_story": thread.pk,
        "heavy": readers["heavy"].pk,
        "notified": readers["notified"].pk,
        "admin": readers["admin"].pk,
        "section": sections[3].slug,
        "rare_word": RARE_WORD,
        "common_word": COMMON_WORD,
        "stories": Article.objects.count(),
        "comments": Comment.objects.count(),
        "max_tree_id": Comment.objects.aggregate(top=Max("tree_id"))["top"],
    }


def _reports_and_queue(story_ids: list[int], readers: dict[str, User], users: list[User]) -> None:
    """1% of the discussed comments reported by one to three readers, 0.1% waiting for a moderator."""
    say("reports and the moderation queue")
    ids = list(
        Comment.objects.filter(article_id__in=story_ids)
        .exclude(author=readers["heavy"])
        .order_by("pk")
        .values_list("pk", "author_id", "article_id")
    )
    reports = []
    for number, (pk, author_id, _) in enumerate(ids[::REPORTED_EVERY]):
        reporters = [u for u in users[number % 50 : number % 50 + 3] if u.pk != author_id][: 1 + number % 3]
        reports.extend(
            CommentReport(comment_id=pk, user=user, reason=CommentReport.Reason.choices[number % 4][0])
            for user in reporters
        )
    CommentReport.objects.bulk_create(reports, batch_size=5000)
    pending = ids[REPORTED_EVERY // 2 :: PENDING_EVERY]
    with transaction.atomic():
        Comment.objects.filter(pk__in=[pk for pk, _, _ in pending]).update(
            status=Comment.Status.PENDING, removal_reason="New readers' first comments are checked by a moderator."
        )
        per_story: dict[int, int] = {}
        for _, _, article_id in pending:
            per_story[article_id] = per_story.get(article_id, 0) + 1
        for article_id, held in per_story.items():
            services.discussion_changed(article_id, visible_delta=-held)


def _notifications(recipient: User, count: int, *, exclude_author: User) -> None:
    """`count` reply notifications for one reader, a quarter of them read."""
    say(f"{count:,} notifications")
    comments = (
        Comment.objects.filter(status=Comment.Status.VISIBLE, parent__isnull=False)
        .exclude(author=exclude_author)
        .order_by("pk")
        .values_list("pk", "created_at")[:count]
    )
    Notification.objects.bulk_create(
        (
            Notification(
                recipient=recipient,
                comment_id=pk,
                is_reply=True,
                created_at=created_at,
                read_at=created_at + timedelta(hours=1) if number % 4 == 0 else None,
            )
            for number, (pk, created_at) in enumerate(comments)
        ),
        batch_size=5000,
    )


def say(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()
