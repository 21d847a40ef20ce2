"""Mega-threads (issue 15): a write takes its thread's lock, the story's discussion row only last, so a reply
shifting a huge thread holds up that thread alone; moderators racing replies in one tree never deadlock; and a
thread past COMMENTS_MAX_THREAD_SIZE replies takes no more, saying so and keeping the text."""

import contextlib
import random
import threading

import pytest
from django.db import OperationalError, connection, connections, transaction
from django.db.models import Count, F, Q
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from comments import services
from comments.locking import lock_tree_of, lock_trees
from comments.models import Comment, Discussion
from tests.comments.conftest import assert_trees_sound
from tests.factories import CommentFactory, UserFactory

ON_POSTGRESQL = connection.vendor == "postgresql"
# comment_create's queries, a reply (with its notification's two) and a new thread: PostgreSQL sets lock_timeout
# and takes its locks in statements of their own; SQLite counts its BEGIN. The moderation rules come from the cache.
QUERIES_REPLY, QUERIES_TOP_LEVEL = (15, 12) if ON_POSTGRESQL else (14, 10)
needs_postgresql = pytest.mark.skipif(
    not ON_POSTGRESQL, reason="locks that block another connection: PostgreSQL (SQLite has one writer at a time)"
)


def flat_thread(replies: int, **kwargs) -> Comment:
    root = CommentFactory(**kwargs)
    for _ in range(replies):
        CommentFactory(parent=root)
    root.refresh_from_db()
    return root


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_post_to_another_thread_goes_through_while_a_thread_is_being_shifted(settings):
    """One connection holds thread A as a reply's shift does (its tree lock, every row of the tree written, not yet
    committed); on another, a reply to thread B and a new thread of the same story are stored and committed
    meanwhile, and a reply to thread A waits and gives up past COMMENTS_LOCK_TIMEOUT."""
    settings.COMMENTS_LOCK_TIMEOUT = 1
    settings.COMMENTS_RATE_PER_MINUTE = 0
    thread_a = flat_thread(3)
    article = thread_a.article
    thread_b = flat_thread(2, article=article)
    reader = UserFactory()
    holding, release, released = threading.Event(), threading.Event(), threading.Event()

    def shift_thread_a():
        try:
            with transaction.atomic():
                assert lock_tree_of(thread_a.pk, article_id=article.pk) == thread_a.tree_id
                Comment.objects.filter(tree_id=thread_a.tree_id).update(rght=F("rght") + 0)  # the shift's row locks
                holding.set()
                release.wait(timeout=30)
            released.set()
        finally:
            connection.close()

    holder = threading.Thread(target=shift_thread_a)
    holder.start()
    try:
        assert holding.wait(timeout=10)
        reply_b = services.comment_create(article=article, author=reader, body="Into thread B.", parent=thread_b.pk)
        new_thread = services.comment_create(article=article, author=reader, body="A thread of its own.")
        assert not released.is_set(), "thread A's transaction ended before the other posts were stored"
        with pytest.raises(OperationalError, match="lock timeout"):
            services.comment_create(article=article, author=reader, body="Into thread A.", parent=thread_a.pk)
        assert not released.is_set()
    finally:
        release.set()
        holder.join()
    assert released.is_set()
    assert Comment.objects.get(pk=reply_b.pk).parent_id == thread_b.pk
    assert Comment.objects.filter(pk=new_thread.pk, parent=None).exists()
    assert not Comment.objects.filter(body="Into thread A.").exists()
    # Once thread A is free its reply goes through; the story's count took every stored post.
    services.comment_create(article=article, author=reader, body="Into thread A.", parent=thread_a.pk)
    assert Discussion.objects.get(pk=article.pk).comment_count == Comment.objects.filter(article=article).count()
    assert_trees_sound()


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_moderators_racing_replies_in_one_tree_never_deadlock_and_leave_sound_trees(settings, record_property):
    """Readers reply into one big thread (and another of the same story) while moderators remove, approve and
    bulk-act on comments of both threads and readers report and delete: every write completes (PostgreSQL would
    abort one of a deadlocked pair with "deadlock detected"), the trees equal a rebuild, the count is true."""
    settings.COMMENTS_RATE_PER_MINUTE = 0
    settings.COMMENTS_REPORTS_PER_HOUR = 0
    settings.COMMENTS_LOCK_TIMEOUT = 30  # a deadlock shows as PostgreSQL's deadlock error, not as a timeout
    big = flat_thread(40)
    article = big.article
    other = flat_thread(10, article=article)
    readers = [UserFactory() for _ in range(4)]
    moderator = UserFactory(is_staff=True)
    errors: list[BaseException] = []
    start = threading.Barrier(len(readers) + 2)
    rounds = 25

    def ids(tree_id=None):
        qs = Comment.objects.filter(article=article).exclude(status=Comment.Status.DELETED)
        return list((qs.filter(tree_id=tree_id) if tree_id else qs).values_list("pk", flat=True))

    def reader_work(reader, seed):
        rng = random.Random(seed)
        try:
            start.wait()
            for n in range(rounds):
                parents = [pk for pk in ids() if pk not in (big.pk, other.pk)][:5] + [big.pk, other.pk]
                try:
                    mine = services.comment_create(
                        article=article, author=reader, body=f"{seed}/{n}", parent=rng.choice(parents)
                    )
                    if n % 4 == 3:
                        services.comment_delete(comment=mine, user=reader)
                except services.ValidationError:  # the parent was removed meanwhile: refused, as it should be
                    continue
                if n % 5 == 0:
                    target = Comment.objects.get(pk=rng.choice(ids()))
                    if target.author_id != reader.pk:
                        with contextlib.suppress(services.ValidationError):  # reported already
                            services.comment_report(comment=target, user=reader, reason="spam")
        except BaseException as error:  # reported to the main thread below
            errors.append(error)
        finally:
            connections.close_all()

    def moderator_work(seed):
        rng = random.Random(seed)
        try:
            start.wait()
            for n in range(rounds):
                picked = rng.sample(ids(), 4)
                if n % 2:
                    services.comment_remove(
                        comments=Comment.objects.filter(pk__in=picked), moderator=moderator, reason="r"
                    )
                else:
                    services.comment_approve(comments=Comment.objects.filter(pk__in=picked), moderator=moderator)
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=reader_work, args=(r, n)) for n, r in enumerate(readers)]
    workers += [threading.Thread(target=moderator_work, args=(n,)) for n in (100, 101)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    assert_trees_sound()
    visible = Comment.objects.filter(article=article).aggregate(n=Count("pk", filter=Q(status="visible")))["n"]
    assert Discussion.objects.get(pk=article.pk).comment_count == visible
    record_property("figures", f"{Comment.objects.filter(article=article).count()} comments after the race, 0 errors")


@pytest.mark.django_db
def test_a_full_thread_refuses_a_reply_keeping_the_text_and_hides_its_reply_links(client, settings):
    settings.COMMENTS_RATE_PER_MINUTE = 0
    settings.COMMENTS_MAX_THREAD_SIZE = 3
    full = flat_thread(3)
    article = full.article
    open_thread = flat_thread(1, article=article)
    client.force_login(UserFactory())
    url = reverse("comments:post", kwargs={"article_pk": article.pk})
    last_reply = Comment.objects.filter(parent=full).last()
    response = client.post(url, {"body": "One more word on this.", "parent": last_reply.pk})
    assert response.status_code == 400
    html = response.content.decode()
    assert "This thread is full: it has 3 replies" in html
    assert "start a new comment at the top of the discussion" in html
    assert "One more word on this." in html
    assert Comment.objects.filter(tree_id=full.tree_id).count() == 4
    # The thread below the cap still takes replies; a new top-level comment always can.
    assert client.post(url, {"body": "Into the open thread.", "parent": open_thread.pk}).status_code == 302
    assert client.post(url, {"body": "A new thread, as invited."}).status_code == 302
    page = client.get(article.get_absolute_url()).content.decode()
    assert f'data-reply-to="{full.pk}"' not in page and f'data-reply-to="{last_reply.pk}"' not in page
    assert f'data-reply-to="{open_thread.pk}"' in page


def test_lock_trees_needs_a_transaction():
    with pytest.raises(RuntimeError, match="needs an open transaction"):
        lock_trees([1])


@pytest.mark.django_db
@pytest.mark.parametrize("replies", [2, 30])
def test_a_reply_and_a_new_thread_take_a_fixed_number_of_queries(settings, replies):
    """The thread's size never adds a query: the thread's size comes with the parent's read, the lock with the
    read of the parent's tree id."""
    settings.COMMENTS_RATE_PER_MINUTE = 0
    root = flat_thread(replies)
    first = Comment.objects.filter(parent=root).first()
    article, reader = root.article, UserFactory()
    CommentFactory(author=reader)  # not a first comment, so not held
    with CaptureQueriesContext(connection) as reply:
        services.comment_create(article=article, author=reader, body="A reply.", parent=first.pk)
    with CaptureQueriesContext(connection) as top_level:
        services.comment_create(article=article, author=reader, body="A thread.")
    assert (len(reply), len(top_level)) == (QUERIES_REPLY, QUERIES_TOP_LEVEL), (
        [q["sql"][:90] for q in reply.captured_queries],
        [q["sql"][:90] for q in top_level.captured_queries],
    )
