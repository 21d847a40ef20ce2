"""Many readers posting at once on PostgreSQL: every accepted comment stored once, no tree corrupted (issue 7's figures:
16 workers x 50 posts, a third top-level, the rest replies to random comments across several stories), the posts
through a real PgBouncer in transaction mode with fewer server connections than posting threads (issue 17)."""

import http.client
import random
import re
import threading
from urllib.parse import urlencode, urlsplit

import pytest
from django.conf import settings
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from comments import services
from comments.models import Comment, Discussion
from tests.comments.conftest import assert_trees_sound
from tests.factories import ArticleFactory, CommentFactory, UserFactory

THREADS = 16
POSTS_PER_THREAD = 50
STORIES = 4
# PgBouncer's server connections for the 16 threads: each transaction runs on whichever of them is free.
POOL_SIZE = 4
TOP_LEVEL_SHARE = 1 / 3

ON_POSTGRESQL = "postgresql" in settings.DATABASES["default"]["ENGINE"]


def snapshot() -> dict[int, tuple]:
    """Each comment's place: its lft/rght/level, and which comment is the root of the tree it sits in."""
    rows = list(Comment.objects.order_by().values_list("pk", "parent_id", "tree_id", "lft", "rght", "level"))
    root_of_tree = {tree_id: pk for pk, parent_id, tree_id, *_ in rows if parent_id is None}
    return {pk: (lft, rght, level, root_of_tree.get(tree_id)) for pk, _, tree_id, lft, rght, level in rows}


@pytest.mark.skipif(
    not ON_POSTGRESQL,
    reason="needs PostgreSQL: SQLite allows one writer at a time, so concurrent tree writes cannot race there",
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_posts_across_stories_keep_every_tree_equal_to_a_rebuild(
    settings, record_property, through_pgbouncer
):
    settings.COMMENTS_RATE_PER_MINUTE = 0
    stories = [ArticleFactory() for _ in range(STORIES)]
    readers = [UserFactory() for _ in range(THREADS)]
    through_pgbouncer(pool_size=POOL_SIZE)
    backends: set[int] = set()  # the PostgreSQL backends the threads' statements ran on
    posted: list[Comment] = []
    posted_lock = threading.Lock()
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def backend() -> int:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            return cursor.fetchone()[0]

    def post_many(reader, seed):
        rng = random.Random(seed)
        try:
            start.wait()
            backends.add(backend())
            for n in range(POSTS_PER_THREAD):
                with posted_lock:
                    parent = rng.choice(posted) if posted and rng.random() >= TOP_LEVEL_SHARE else None
                story = parent.article if parent else rng.choice(stories)
                body = f"worker {seed} post {n}"
                comment = services.comment_create(article=story, author=reader, body=body, parent=parent)
                with posted_lock:
                    posted.append(comment)
            backends.add(backend())
        except BaseException as error:  # reported to the main thread below
            errors.append(error)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=post_many, args=(reader, n)) for n, reader in enumerate(readers)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert errors == []
    # Sixteen clients connected at once, their statements on at most four backends: transactions really shared them.
    assert 1 <= len(backends) <= POOL_SIZE < THREADS
    total = THREADS * POSTS_PER_THREAD
    # Every accepted comment is stored, once, with its own text, in the story and under the parent it was given.
    accepted = {c.pk: (c.body, c.article_id, c.parent_id) for c in posted}
    stored = {
        pk: (body, article, parent)
        for pk, body, article, parent in Comment.objects.values_list("pk", "body", "article_id", "parent_id")
    }
    assert len(posted) == len(accepted) == total
    assert stored == accepted
    assert len({body for body, _, _ in stored.values()}) == total
    # Each post moved its story's count by one in its own transaction: none lost to another.
    counts = dict(Discussion.objects.filter(pk__in=[s.pk for s in stories]).values_list("pk", "comment_count"))
    assert counts == {s.pk: sum(1 for _, article, _ in stored.values() if article == s.pk) for s in stories}
    roots = list(Comment.objects.filter(parent=None).values_list("tree_id", flat=True))
    assert len(roots) == len(set(roots)), "two top-level comments share a tree_id"
    replies = total - len(roots)
    assert replies > total // 2  # replies really raced too
    before = snapshot()
    Comment.objects.rebuild()
    after = snapshot()
    differing = [pk for pk in before if before[pk] != after[pk]]
    assert differing == []
    assert_trees_sound()
    record_property(
        "figures",
        f"{total} concurrent posts ({THREADS} workers x {POSTS_PER_THREAD}, {len(roots)} top-level, {replies} replies, "
        f"{STORIES} stories, through PgBouncer on {len(backends)} server connections): {len(stored)} stored, 0 lost, "
        f"0 duplicated, {len(differing)} tree corruptions",
    )
    connection.close()


@pytest.mark.skipif(not ON_POSTGRESQL, reason="needs PostgreSQL: two requests at once, each on its own connection")
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_submits_of_one_form_store_one_comment(live_server, record_property):
    """A double click as the server sees it: the same form (same one-time token) POSTed twice at the same moment,
    to the live server on two connections, each request in its own thread and database connection."""
    article = ArticleFactory()
    parent = CommentFactory(article=article, body="The comment replied to.")
    reader = UserFactory()
    client = Client()
    client.force_login(reader)
    page = client.get(article.get_absolute_url())
    form = page.content.decode().split('id="comment-form"', 1)[1]
    token = re.search(r'name="token" value="([^"]+)"', form).group(1)
    csrf = client.cookies[settings.CSRF_COOKIE_NAME].value
    cookies = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}; "
    cookies += f"{settings.CSRF_COOKIE_NAME}={csrf}"
    body = urlencode({"csrfmiddlewaretoken": csrf, "body": "Said once.", "parent": parent.pk, "token": token})
    host, port = urlsplit(live_server.url).hostname, urlsplit(live_server.url).port
    path = reverse("comments:post", kwargs={"article_pk": article.pk})
    start = threading.Barrier(2)
    answers: list[tuple[int, str]] = []

    def submit():
        connection = http.client.HTTPConnection(host, port, timeout=30)
        start.wait()
        connection.request("POST", path, body, {"Cookie": cookies, "Content-Type": "application/x-www-form-urlencoded"})
        response = connection.getresponse()
        answers.append((response.status, response.getheader("Location")))
        connection.close()

    submits = [threading.Thread(target=submit) for _ in range(2)]
    for thread in submits:
        thread.start()
    for thread in submits:
        thread.join()

    reply = Comment.objects.get(parent=parent)
    assert Comment.objects.filter(author=reader).count() == 1
    assert answers == [(302, f"{article.get_absolute_url()}#comment-{reply.pk}")] * 2
    assert_trees_sound()
    record_property("figures", "2 simultaneous submits of one form: 1 comment stored, both answers land on it")
