"""Moderation in the admin: the queue, bulk actions through the services, and lists that stay cheap."""

from datetime import timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from articles.models import Article
from comments.models import Comment, Discussion, Restriction
from tests.comments.conftest import assert_trees_sound
from tests.factories import ArticleFactory, CommentFactory, UserFactory, report, reports_rule

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:comments_comment_changelist")
QUEUE = reverse("admin:comments_moderationitem_changelist")


@pytest.fixture
def moderator(client):
    user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


def act(client, url, action, comments):
    return client.post(url, {"action": action, ACTION_CHECKBOX_NAME: [c.pk for c in comments]}, follow=True)


@pytest.mark.parametrize("url", [CHANGELIST, QUEUE], ids=["comments", "queue"])
def test_lists_cost_the_same_queries_with_more_comments(client, moderator, django_assert_max_num_queries, url):
    article = ArticleFactory(discussion_mode=Discussion.Mode.PREMODERATED)
    for _ in range(3):
        report(CommentFactory(parent=CommentFactory()), "spam")
    with django_assert_max_num_queries(12) as few:
        assert client.get(url).status_code == 200
    for _ in range(20):
        c = CommentFactory(article=article, parent=None)
        report(c, "abuse")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200


def test_queue_holds_pending_and_reported_with_parent_context(client, moderator):
    parent = CommentFactory(body="The parent says hello")
    reported = CommentFactory(parent=parent, body="Reported reply")
    report(reported, "spam")
    pending = CommentFactory(article=ArticleFactory(discussion_mode=Discussion.Mode.PREMODERATED), body="Pending one")
    CommentFactory(body="Quiet comment")
    html = client.get(QUEUE).content.decode()
    assert "Reported reply" in html and "Pending one" in html and "The parent says hello" in html
    assert "Quiet comment" not in html
    assert pending.status == Comment.Status.PENDING


def test_queue_says_what_it_is_why_each_comment_was_reported_and_filters_by_why(client, moderator, settings):
    reports_rule(5)  # three reports, still up: "reported", not "waiting"
    reported = CommentFactory(body="Reported reply")
    for reason in ("spam", "spam", "abuse"):
        report(reported, reason)
    CommentFactory(article=ArticleFactory(discussion_mode=Discussion.Mode.PREMODERATED), body="Pending one")
    html = client.get(QUEUE).content.decode()
    assert "Moderation queue: comments waiting for a moderator or reported" in html
    assert "Select comment to moderate to change" not in html
    assert "3: Spam (2), Abuse or harassment" in html
    assert "Removed by a moderator" not in html  # the queue never holds removed or deleted comments
    assert "comments to moderate" in html
    pending_only = client.get(QUEUE + "?held=pending").content.decode()
    assert "Pending one" in pending_only and "Reported reply" not in pending_only
    reported_only = client.get(QUEUE + "?held=reported").content.decode()
    assert "Reported reply" in reported_only and "Pending one" not in reported_only


def test_bulk_approve_and_remove_with_reason(client, moderator):
    story = ArticleFactory(discussion_mode=Discussion.Mode.PREMODERATED)
    held = [CommentFactory(article=story) for _ in range(2)]
    act(client, QUEUE, "approve", held)
    assert set(Comment.objects.values_list("status", flat=True)) == {Comment.Status.VISIBLE}
    act(client, CHANGELIST, "remove_spam", held[:1])
    removed = Comment.objects.get(pk=held[0].pk)
    assert removed.status == Comment.Status.REMOVED and removed.removal_reason == "Spam"


def removal_on_stories(client, stories: int, django_assert_max_num_queries, *, limit: int | None = None):
    ticked = [CommentFactory(article=ArticleFactory()) for _ in range(stories)]
    ticked += [CommentFactory(parent=ticked[0])]  # two on one story
    with django_assert_max_num_queries(limit or 1000) as captured:
        response = act(client, CHANGELIST, "remove_spam", ticked)
    assert response.status_code == 200 and f"Removed {stories + 1} comment(s): Spam." in response.content.decode()
    assert set(Comment.objects.filter(pk__in=[c.pk for c in ticked]).values_list("status", flat=True)) == {"removed"}
    counts = dict(Discussion.objects.filter(pk__in=[c.article_id for c in ticked]).values_list("pk", "comment_count"))
    assert set(counts.values()) == {0}
    return len(captured.captured_queries)


def test_bulk_removal_costs_the_same_statements_on_3_and_60_stories(client, moderator, django_assert_max_num_queries):
    small = removal_on_stories(client, 3, django_assert_max_num_queries)
    Article.objects.all().delete()
    assert removal_on_stories(client, 60, django_assert_max_num_queries, limit=small) <= small


def test_an_action_on_1200_ticked_comments_is_not_refused(client, moderator, django_assert_max_num_queries):
    story = ArticleFactory()
    comments = [CommentFactory(article=story) for _ in range(3)]
    ids = [c.pk for c in comments] + list(range(10**8, 10**8 + 1200))  # ids that no longer exist count as fields
    with django_assert_max_num_queries(40):
        response = client.post(CHANGELIST, {"action": "remove_spam", ACTION_CHECKBOX_NAME: ids}, follow=True)
    assert response.status_code == 200 and "Removed 3 comment(s)" in response.content.decode()


def test_select_all_matching_acts_on_the_filtered_list_only(client, moderator):
    story = ArticleFactory(discussion_mode=Discussion.Mode.PREMODERATED)
    held = [CommentFactory(article=story) for _ in range(4)]
    visible = CommentFactory()
    data = {"action": "remove_rules", ACTION_CHECKBOX_NAME: [held[0].pk], "select_across": "1", "index": "0"}
    response = client.post(f"{CHANGELIST}?status__exact=pending", data, follow=True)
    assert "Removed 4 comment(s)" in response.content.decode()
    assert Comment.objects.get(pk=visible.pk).status == Comment.Status.VISIBLE
    assert Discussion.objects.get(pk=story.pk).comment_count == 0


def test_search_finds_by_handle_or_number_not_by_words(client, moderator):
    marta = UserFactory(handle="Marta_K")
    by_marta = CommentFactory(author=marta, body="Harbour words")
    other = CommentFactory(body="Harbour words too")
    for term in ("marta_k", "@Marta_K"):
        html = client.get(CHANGELIST, {"q": term}).content.decode()
        assert f"/{by_marta.pk}/change/" in html and f"/{other.pk}/change/" not in html
    html = client.get(CHANGELIST, {"q": str(other.pk)}).content.decode()
    assert f"/{other.pk}/change/" in html and f"/{by_marta.pk}/change/" not in html
    assert "/change/" not in client.get(CHANGELIST, {"q": "harbour"}).content.decode().split("result_list")[-1]


def test_lists_show_the_newest_first(client, moderator):
    older, newer = CommentFactory(body="Older comment"), CommentFactory(body="Newer comment")
    html = client.get(CHANGELIST).content.decode()
    assert html.index(f"/{newer.pk}/change/") < html.index(f"/{older.pk}/change/")


def test_the_estimated_count_counts_exactly_up_to_its_limit(client, moderator, monkeypatch):
    from newsroom.http import EstimatedCountPaginator

    monkeypatch.setattr(EstimatedCountPaginator, "exact_up_to", 5)
    for _ in range(4):
        CommentFactory()
    assert EstimatedCountPaginator(Comment.objects.all(), 50).count == 4
    for _ in range(4):
        CommentFactory()
    assert EstimatedCountPaginator(Comment.objects.all(), 50).count >= 6  # exact or the planner's, never fewer
    assert client.get(CHANGELIST).status_code == 200


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans")
def test_the_queue_reads_its_partial_index_in_order():
    # Whether the index can give the order, whatever the table's statistics (other tests' bulk inserts leave some
    # behind, and then sorting seven estimated rows is cheaper): a plan still sorts when nothing else can order.
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
    plan = Comment.objects.in_queue().order_by("-report_count", "-id")[:50].explain()
    assert "comment_queue_idx" in plan and "Sort" not in plan, plan


def restrict(client, comments, **form):
    data = {"action": "restrict_authors", ACTION_CHECKBOX_NAME: [c.pk for c in comments], "apply": "1", **form}
    return client.post(CHANGELIST, data, follow=True)


def test_suspend_and_ban_authors_with_a_length_and_a_reason_typed(client, moderator):
    a, b = CommentFactory(), CommentFactory()
    restrict(client, [a], kind="suspension", days=3, reason="Insults in three threads.")
    restrict(client, [b], kind="ban", reason="Spam account.")
    suspension = Restriction.objects.get(user=a.author)
    assert suspension.kind == "suspension" and suspension.reason == "Insults in three threads."
    assert timedelta(days=2, hours=23) < suspension.until - timezone.now() <= timedelta(days=3)
    assert Restriction.objects.get(user=b.author).until is None


def test_the_restrict_action_asks_for_the_length_and_reason_first(client, moderator):
    rude = CommentFactory()
    page = act(client, CHANGELIST, "restrict_authors", [rude])
    assert page.status_code == 200 and f"@{rude.author.handle}" in page.content.decode()
    assert not Restriction.objects.exists()
    page = restrict(client, [rude], kind="suspension", days="", reason="")
    assert page.status_code == 400 and "length in days" in page.content.decode()
    assert not Restriction.objects.exists()


def test_admin_delete_goes_through_the_locked_purge_and_keeps_trees_sound(client, moderator):
    root = CommentFactory()
    child = CommentFactory(parent=root)
    CommentFactory(parent=child)
    CommentFactory(parent=root)
    response = client.post(reverse("admin:comments_comment_delete", args=[child.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert Comment.objects.count() == 2
    assert_trees_sound()


def test_bulk_actions_and_deletes_move_the_story_count_by_what_they_change(client, moderator):
    article = ArticleFactory(discussion_mode=Discussion.Mode.PREMODERATED)
    shown = [CommentFactory(article=article, author=moderator) for _ in range(3)]  # staff posts go up at once
    held = [CommentFactory(article=article) for _ in range(2)]
    Discussion.objects.filter(pk=article.pk).update(comment_count=3 + 50)  # drift a recount would erase

    def count():
        return Discussion.objects.get(pk=article.pk).comment_count - 50

    act(client, QUEUE, "approve", held)
    assert count() == 5
    act(client, CHANGELIST, "remove_spam", [shown[0], held[0]])
    assert count() == 3
    act(client, CHANGELIST, "approve", shown)  # visible ones stay; the removed one is not approved
    assert count() == 3
    client.post(reverse("admin:comments_comment_delete", args=[shown[1].pk]), {"post": "yes"})
    assert count() == 2 == Comment.objects.filter(article=article, status=Comment.Status.VISIBLE).count()


def test_an_editor_sets_the_discussion_on_the_story_page_and_the_counts_stay_the_comment_writes(client):
    from comments.admin import DiscussionForm
    from newsroom.services import editors_group

    editor = UserFactory(is_staff=True)
    editor.groups.add(editors_group())
    client.force_login(editor)
    article = ArticleFactory()
    CommentFactory(article=article)
    page = client.get(reverse("admin:articles_article_change", args=[article.pk])).content.decode()
    assert 'name="discussion-0-mode"' in page and "Open, held for moderation" in page
    stale = Discussion.objects.get(pk=article.pk)  # what the form loaded
    CommentFactory(article=article)  # posted meanwhile
    form = DiscussionForm({"mode": Discussion.Mode.CLOSED}, instance=stale)
    assert form.is_valid()
    form.save()
    discussion = Discussion.objects.get(pk=article.pk)
    assert discussion.mode == Discussion.Mode.CLOSED
    assert discussion.comment_count == 2 and discussion.version == stale.version + 2  # the post, then the mode
    html = client.get(article.get_absolute_url()).content.decode()
    assert "Comments on this story are closed" in html and 'id="comment-form"' not in html
