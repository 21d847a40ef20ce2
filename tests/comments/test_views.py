"""The discussion on the story page and its forms: what readers see, what they may do, and the query budget."""

import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from articles.models import BODY_BLOCKS, Article
from comments import selectors, services
from comments.models import Comment, CommentLike, CommentReport, Discussion, Notification
from tests.factories import ArticleFactory, AuthorFactory, CommentFactory, UserFactory

pytestmark = pytest.mark.django_db


def post_url(article):
    return reverse("comments:post", kwargs={"article_pk": article.pk})


def make_discussion(article, threads=3, replies=3):
    for _ in range(threads):
        parent = CommentFactory(article=article)
        for _ in range(replies):
            parent = CommentFactory(parent=parent)


def test_story_page_shows_count_comments_and_action_bar_link(client):
    article = ArticleFactory()
    alex = UserFactory(handle="alex", display_name="Alex Doe")
    root = CommentFactory(article=article, author=alex, body="Good piece, see example.co/abc")
    CommentFactory(parent=root, body="@alex agreed")
    html = client.get(article.get_absolute_url()).content.decode()
    assert '<h2 id="comments-heading">2 comments</h2>' in html
    assert '<a class="action-bar__comments" href="#comments">2 comments</a>' in html
    assert 'Alex Doe</a> <span class="handle">@alex</span>' in html
    assert f'id="comment-{root.pk}"' in html and 'class="comment comment--visible indent-1"' in html
    assert 'rel="nofollow ugc noopener"' in html
    assert f'<time datetime="{root.created_at.isoformat()}"' in html or "<time datetime=" in html
    assert "Sign in to join the discussion" in html


@pytest.mark.parametrize("cache_seconds", [0, 60], ids=["uncached", "cached"])
# The story's 3 and one per kind of body block (articles.body), the discussion's 2; signed in, 3 more.
@pytest.mark.parametrize(
    ("signed_in", "budget"),
    [(False, 6 + len(BODY_BLOCKS)), (True, 9 + len(BODY_BLOCKS))],
    ids=["anonymous", "signed-in"],
)
def test_story_page_queries_do_not_grow_with_comments(
    client, django_assert_max_num_queries, settings, signed_in, budget, cache_seconds
):
    """Issue 6: a fixed number of queries for an anonymous reader, 3 more signed in (the reader's session, account,
    likes, mutes and saved state), cached or not, however many comments; the page's newsroom replies are one."""
    settings.COMMENTS_CACHE_SECONDS = cache_seconds
    article = ArticleFactory()
    reader = UserFactory()
    if signed_in:
        client.force_login(reader)
    client.get("/")  # the section bar of every page is cached (articles.selectors.nav_sections)
    make_discussion(article, threads=2, replies=2)
    with django_assert_max_num_queries(budget) as small:
        client.get(article.get_absolute_url())
    make_discussion(article, threads=12, replies=6)
    CommentFactory(parent=Comment.objects.filter(article=article).last())  # the reader's likes and own comments
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(article.get_absolute_url())
    assert response.context["discussion"].threads.next_page == 2


def test_show_more_is_a_real_link_and_the_fragment_holds_the_next_threads(client, settings):
    settings.COMMENTS_THREADS_PER_PAGE = 2
    article = ArticleFactory()
    roots = [CommentFactory(article=article, body=f"Thread {n}") for n in range(3)]
    html = client.get(article.get_absolute_url()).content.decode()
    assert f'href="{article.get_absolute_url()}?page=2#comments"' in html and "Thread 2" not in html
    page2 = client.get(article.get_absolute_url() + "?page=2").content.decode()
    assert "Thread 2" in page2 and "Thread 0" not in page2
    fragment = client.get(reverse("comments:story_threads", kwargs={"article_pk": article.pk}) + "?page=2")
    assert f'id="comment-{roots[2].pk}"' in fragment.content.decode()
    assert "<html" not in fragment.content.decode()


def test_sorts_keep_replies_in_time_order(client):
    article = ArticleFactory()
    old = CommentFactory(article=article, body="old")
    new = CommentFactory(article=article, body="new")
    first, second = CommentFactory(parent=old), CommentFactory(parent=old)
    services_like = UserFactory()

    services.comment_like(comment=new, user=services_like)
    for sort, order in [("oldest", [old, first, second, new]), ("newest", [new, old, first, second])]:
        rows = selectors.story_threads(article=article, user=services_like, sort=sort).comments
        assert [r.pk for r in rows] == [c.pk for c in order]
    liked = selectors.story_threads(article=article, user=services_like, sort="liked").comments
    assert [r.pk for r in liked][0] == new.pk
    client.force_login(services_like)
    html = client.get(article.get_absolute_url() + "?sort=liked").content.decode()
    assert html.count('aria-pressed="true">Unlike</button>') == 1
    assert html.index(f'action="/comments/{new.pk}/like/"') < html.index(f'action="/comments/{old.pk}/like/"')


def test_deep_threads_indent_to_the_cap_and_continue_on_a_thread_page(client, settings):
    settings.COMMENTS_REPLIES_PER_THREAD = 20
    parent = root = CommentFactory()
    chain = [root]
    for _ in range(9):
        parent = CommentFactory(parent=parent)
        chain.append(parent)
    rows = selectors.story_threads(article=root.article, user=UserFactory()).comments
    assert [r.indent for r in rows] == [0, 1, 2, 3, 4, 5, 6]
    capped = rows[-1]
    assert capped.reply_to_handle == chain[5].author.handle
    assert capped.pk == chain[6].pk and capped.continue_count == 3
    story = client.get(root.article.get_absolute_url()).content.decode()
    assert f'<a href="/comments/{chain[6].pk}/thread/">Continue this thread (3 more replies)</a>' in story
    html = client.get(f"/comments/{chain[6].pk}/thread/").content.decode()
    assert f'id="comment-{chain[9].pk}"' in html
    # Whom it answers, linked to that comment.
    assert f'in reply to <a href="/comments/{chain[5].pk}/">@{chain[5].author.handle}</a>' in html
    # The permalink of a comment past the cap goes to the thread page that shows it.
    assert client.get(chain[9].get_absolute_url()).url == f"/comments/{chain[6].pk}/thread/#comment-{chain[9].pk}"


def test_permalink_redirects_to_the_right_page_and_anchor(client, settings):
    settings.COMMENTS_THREADS_PER_PAGE = 2
    article = ArticleFactory()
    roots = [CommentFactory(article=article) for _ in range(3)]
    reply = CommentFactory(parent=roots[2])
    assert client.get(roots[0].get_absolute_url()).url == f"{article.get_absolute_url()}#comment-{roots[0].pk}"
    assert client.get(reply.get_absolute_url()).url == f"{article.get_absolute_url()}?page=2#comment-{reply.pk}"


def test_signed_in_reader_posts_and_lands_on_the_comment(client):
    article, reader = ArticleFactory(), UserFactory()
    client.force_login(reader)
    response = client.post(post_url(article), {"body": "Well reported."})
    comment = Comment.objects.get()
    assert response.url == f"{article.get_absolute_url()}#comment-{comment.pk}"
    client.post(post_url(article), {"body": "Replying to myself", "parent": comment.pk})
    assert Comment.objects.get(body="Replying to myself").parent_id == comment.pk


def form_token(html: str, form_id: str = "comment-form") -> str:
    form = html.split(f'id="{form_id}"', 1)[1].split("</form>", 1)[0]
    return re.search(r'<input type="hidden" name="token" value="([A-Za-z0-9_-]+)">', form).group(1)


def test_a_form_sent_twice_stores_one_comment_and_both_answers_land_on_it(client):
    """A double click, or a retry after the first answer was lost: the form's one-time token makes it one post."""
    article = ArticleFactory()
    client.force_login(UserFactory())
    token = form_token(client.get(article.get_absolute_url()).content.decode())
    first = client.post(post_url(article), {"body": "Well reported.", "token": token})
    again = client.post(post_url(article), {"body": "Well reported.", "token": token})
    comment = Comment.objects.get()
    assert first.status_code == again.status_code == 302
    assert first.url == again.url == f"{article.get_absolute_url()}#comment-{comment.pk}"


def test_every_form_shown_carries_a_fresh_token(client):
    article = ArticleFactory()
    parent = CommentFactory(article=article)
    client.force_login(UserFactory())
    tokens = {form_token(client.get(article.get_absolute_url()).content.decode()) for _ in range(2)}
    tokens.add(form_token(client.get(f"/comments/{parent.pk}/reply/").content.decode(), "reply-form"))
    assert len(tokens) == 3


def test_one_token_with_another_text_or_in_another_place_is_another_comment(client):
    """The form reused after Back with a new text, and the reply forms the script copies from the page's form
    (token and all): each is a comment of its own, so nothing a reader typed is lost."""
    article = ArticleFactory()
    client.force_login(UserFactory())
    token = form_token(client.get(article.get_absolute_url()).content.decode())
    client.post(post_url(article), {"body": "First thought.", "token": token})
    client.post(post_url(article), {"body": "Second thought.", "token": token})
    first = Comment.objects.get(body="First thought.")
    client.post(post_url(article), {"body": "First thought.", "token": token, "parent": first.pk})
    assert list(Comment.objects.order_by("pk").values_list("body", "parent")) == [
        ("First thought.", None),
        ("Second thought.", None),
        ("First thought.", first.pk),
    ]


def test_a_form_shown_again_after_an_error_keeps_its_token_so_the_retry_is_one_post(client, settings):
    settings.COMMENTS_RATE_PER_MINUTE = 1
    article = ArticleFactory()
    client.force_login(UserFactory())
    client.post(post_url(article), {"body": "one"})
    refused = client.post(post_url(article), {"body": "second thoughts", "token": "a" * 22})
    assert refused.status_code == 429 and form_token(refused.content.decode()) == "a" * 22
    settings.COMMENTS_RATE_PER_MINUTE = 0
    for _ in range(2):
        client.post(post_url(article), {"body": "second thoughts", "token": "a" * 22})
    assert Comment.objects.filter(body="second thoughts").count() == 1


@pytest.mark.parametrize("token", ["", "short", "<script>" * 3, "x" * 65])
def test_a_missing_or_damaged_token_still_posts(client, token):
    article = ArticleFactory()
    client.force_login(UserFactory())
    response = client.post(post_url(article), {"body": "Posted anyway.", "token": token})
    assert response.status_code == 302
    assert Comment.objects.get().post_key == ""


def test_anonymous_post_is_sent_to_sign_in_and_back():
    article = ArticleFactory()
    response = Client().post(post_url(article), {"body": "hi"})
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/?next=") and "%23comments" in response.url
    assert not Comment.objects.exists()


@pytest.mark.parametrize(
    ("setup", "data", "status", "message"),
    [
        ("open", {"body": ""}, 400, "the comment is empty"),
        ("open", {"body": "y" * 5001}, 400, "at most 5,000 characters"),
        ("closed", {"body": "kept text"}, 400, "closed"),
        # A parent the reader may not see is answered as one that never existed (comments.models.visible_q).
        ("other-story-parent", {"body": "kept text"}, 404, "not available"),
        ("removed-parent", {"body": "kept text"}, 404, "not available"),
        ("removed-parent-with-reply", {"body": "kept text"}, 400, "removed"),
    ],
)
def test_bad_input_gets_a_message_and_keeps_the_text(client, setup, data, status, message):
    article = ArticleFactory(discussion_mode=Discussion.Mode.CLOSED if setup == "closed" else Discussion.Mode.OPEN)
    if setup == "other-story-parent":
        data["parent"] = CommentFactory().pk
    if setup.startswith("removed-parent"):
        parent = CommentFactory(article=article)
        if setup.endswith("with-reply"):
            CommentFactory(parent=parent)  # the thread keeps it, as a tombstone
        Comment.objects.filter(pk=parent.pk).update(status=Comment.Status.REMOVED)
        data["parent"] = parent.pk
    client.force_login(UserFactory())
    response = client.post(post_url(article), data)
    html = response.content.decode()
    assert response.status_code == status
    assert message in html
    assert data["body"][:50] in html


def test_rate_limited_reader_gets_429_and_keeps_the_text(client, settings):
    settings.COMMENTS_RATE_PER_MINUTE = 1
    article = ArticleFactory()
    client.force_login(UserFactory())
    client.post(post_url(article), {"body": "one"})
    response = client.post(post_url(article), {"body": "second thoughts"})
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    html = response.content.decode()
    assert re.search(r"Wait \d+ seconds", html) and "second thoughts" in html


def test_edits_are_rate_limited_too_and_keep_the_text(client, settings):
    settings.COMMENTS_EDITS_PER_MINUTE = 2
    author = UserFactory()
    comment = CommentFactory(author=author, body="First version.")
    client.force_login(author)
    edit_url = comment.get_absolute_url() + "edit/"
    for number in range(2):
        assert client.post(edit_url, {"body": f"Version {number}."}).status_code == 302
    response = client.post(edit_url, {"body": "One edit too many."})
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    html = response.content.decode()
    assert "edits in the last minute" in html and "One edit too many." in html
    comment.refresh_from_db()
    assert comment.body == "Version 1."


def test_missing_csrf_token_gets_a_clear_403_page():
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory())
    response = client.post(post_url(ArticleFactory()), {"body": "hi"})
    assert response.status_code == 403
    assert "That form could not be sent" in response.content.decode()


def test_closed_story_is_read_only_with_a_notice(client):
    article = ArticleFactory(discussion_mode=Discussion.Mode.CLOSED)
    client.force_login(UserFactory())
    html = client.get(article.get_absolute_url()).content.decode()
    assert "Comments on this story are closed" in html
    assert 'id="comment-form"' not in html


def test_pending_comment_is_shown_to_its_author_only(client):
    article = ArticleFactory(discussion_mode=Discussion.Mode.PREMODERATED)
    pending = CommentFactory(article=article, body="Held text")
    client.force_login(pending.author)
    assert "Waiting for moderation" in client.get(article.get_absolute_url()).content.decode()
    client.force_login(UserFactory())
    assert "Held text" not in client.get(article.get_absolute_url()).content.decode()


def test_tombstone_keeps_replies_visible(client):
    root = CommentFactory(body="Gone soon")
    CommentFactory(parent=root, body="Still here")
    client.force_login(root.author)
    client.post(f"/comments/{root.pk}/delete/")
    html = client.get(root.article.get_absolute_url()).content.decode()
    assert "Comment deleted." in html and "Still here" in html and "Gone soon" not in html


def test_others_cannot_edit_or_delete(client):
    comment = CommentFactory()
    client.force_login(UserFactory())
    assert client.post(f"/comments/{comment.pk}/edit/", {"body": "x"}).status_code == 403
    assert client.post(f"/comments/{comment.pk}/delete/").status_code == 403
    assert client.get(f"/comments/{comment.pk}/edit/").status_code == 403


def test_author_edits_and_sees_edited(client):
    comment = CommentFactory(body="Frist")
    client.force_login(comment.author)
    assert client.get(f"/comments/{comment.pk}/edit/").status_code == 200
    client.post(f"/comments/{comment.pk}/edit/", {"body": "First"})
    assert "· edited" in client.get(comment.article.get_absolute_url()).content.decode()


def test_a_like_sent_twice_counts_once_and_unlike_sent_twice_takes_it_back(client):
    comment, reader = CommentFactory(), UserFactory()
    client.force_login(reader)
    url, story = reverse("comments:like", kwargs={"pk": comment.pk}), comment.article.get_absolute_url()
    like = 'name="liked" value="true" class="link-button" aria-pressed="false">Like<'
    assert like in client.get(story).content.decode()
    for _ in range(2):  # a double click, or the same page open in two tabs
        assert client.post(url, {"liked": "true"}).status_code == 302
    assert Comment.objects.get(pk=comment.pk).like_count == 1 and CommentLike.objects.count() == 1
    unlike = 'name="liked" value="false" class="link-button" aria-pressed="true">Unlike<'
    assert unlike in client.get(story).content.decode()
    for _ in range(2):
        assert client.post(url, {"liked": "false"}).status_code == 302
    assert Comment.objects.get(pk=comment.pk).like_count == 0 and not CommentLike.objects.exists()


def test_like_and_report_forms(client):
    comment = CommentFactory()
    reader = UserFactory()
    client.force_login(reader)
    client.post(f"/comments/{comment.pk}/like/")
    assert CommentLike.objects.filter(user=reader).exists()
    assert client.get(f"/comments/{comment.pk}/report/").status_code == 200
    client.post(f"/comments/{comment.pk}/report/", {"reason": "spam", "note": "ads"})
    assert CommentReport.objects.get().reason == "spam"


def test_reply_page_works_without_javascript(client):
    parent = CommentFactory(body="Parent text")
    client.force_login(UserFactory())
    html = client.get(f"/comments/{parent.pk}/reply/").content.decode()
    assert "Parent text" in html and f'name="parent" value="{parent.pk}"' in html


def test_thread_page_and_fragment_queries_do_not_grow_with_replies(client, django_assert_max_num_queries):
    root = CommentFactory()
    client.force_login(UserFactory())
    parent = CommentFactory(parent=root)
    thread_url = f"/comments/{root.pk}/thread/"
    fragment_url = reverse("comments:story_threads", kwargs={"article_pk": root.article_id})
    client.get("/")  # the section bar of every page is cached (articles.selectors.nav_sections)
    # Thread: session, account, comment, its thread, bylines, parent, discussion, likes. Fragment: session,
    # account, story, discussion, likes, threads, bylines, newsroom replies.
    with django_assert_max_num_queries(8) as thread_few:
        client.get(thread_url)
    with django_assert_max_num_queries(8) as fragment_few:
        client.get(fragment_url)
    for _ in range(15):
        parent = CommentFactory(parent=parent if parent.level < 4 else root)
    with django_assert_max_num_queries(len(thread_few.captured_queries)):
        assert client.get(thread_url).status_code == 200
    with django_assert_max_num_queries(len(fragment_few.captured_queries)):
        assert client.get(fragment_url).status_code == 200


def test_story_author_and_staff_badges(client):
    reporter = UserFactory(handle="reporter", display_name="Ines Valcourt")
    article = ArticleFactory(authors=[AuthorFactory(user=reporter)])
    other_story = ArticleFactory()
    editor = UserFactory(handle="deskeditor", is_staff=True)
    CommentFactory(article=article, author=reporter, body="Reporter here: the figures are in the report.")
    CommentFactory(article=article, author=editor, body="Editor's note.")
    CommentFactory(article=other_story, author=reporter, body="On someone else's story.")
    html = client.get(article.get_absolute_url()).content.decode()
    assert html.count('<span class="badge badge--author">Author</span>') == 1
    assert html.count('<span class="badge">Staff</span>') == 1
    assert "badge--author" not in client.get(other_story.get_absolute_url()).content.decode()


def test_likes_are_rate_limited_with_a_429_that_says_when(client, settings):
    settings.COMMENTS_LIKES_PER_MINUTE = 2
    reader = UserFactory()
    comments = [CommentFactory() for _ in range(3)]
    client.force_login(reader)
    for comment in comments[:2]:
        assert client.post(reverse("comments:like", args=[comment.pk])).status_code == 302
    response = client.post(reverse("comments:like", args=[comments[2].pk]))
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    assert re.search(r"2 likes in the last minute. Wait \d+ seconds", response.content.decode())
    assert not CommentLike.objects.filter(comment=comments[2]).exists()


def test_reports_are_rate_limited_and_keep_the_note(client, settings):
    settings.COMMENTS_REPORTS_PER_HOUR = 1
    reader = UserFactory()
    first, second = CommentFactory(), CommentFactory()
    client.force_login(reader)
    client.post(reverse("comments:report", args=[first.pk]), {"reason": "spam", "note": "first"})
    response = client.post(
        reverse("comments:report", args=[second.pk]), {"reason": "abuse", "note": "My carefully written note"}
    )
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    html = response.content.decode()
    assert "1 report in the last hour" in html and "My carefully written note" in html
    assert not CommentReport.objects.filter(comment=second).exists()


def all_url(article) -> str:
    return reverse("comments:story_all", kwargs={"article_pk": article.pk})


def test_story_page_cuts_long_threads_and_links_to_the_rest(client, settings):
    settings.COMMENTS_REPLIES_PER_THREAD = 2
    root = CommentFactory(body="Busy thread")
    replies = [CommentFactory(parent=root, body=f"Reply {n}") for n in range(5)]
    html = client.get(root.article.get_absolute_url()).content.decode()
    assert "Reply 1" in html and "Reply 2" not in html
    assert f'<a href="/comments/{root.pk}/thread/">3 more replies in this thread</a>' in html
    thread = client.get(f"/comments/{root.pk}/thread/").content.decode()
    assert all(f'id="comment-{reply.pk}"' in thread for reply in replies)


def test_all_comments_page_shows_every_comment_at_every_depth(client, settings):
    settings.COMMENTS_REPLIES_PER_THREAD = 1
    settings.COMMENTS_THREADS_PER_PAGE = 1
    article = ArticleFactory()
    parent = CommentFactory(article=article, body="First thread")
    chain = [parent]
    for depth in range(9):
        parent = CommentFactory(parent=parent, body=f"Depth {depth + 1}")
        chain.append(parent)
    second = CommentFactory(article=article, body="Second thread")
    story = client.get(article.get_absolute_url()).content.decode()
    assert f'href="{all_url(article)}">All comments, whole threads</a>' in story
    assert "Second thread" not in story and "Depth 2" not in story
    html = client.get(all_url(article)).getvalue().decode()
    assert all(f'id="comment-{c.pk}"' in html for c in [*chain, second])
    assert "Continue this thread" not in html and "more replies in this thread" not in html
    # Past the indent cap, each reply stays at the last indent and says whom it answers.
    assert html.count("indent-6") == 4
    assert f'in reply to <a href="/comments/{chain[8].pk}/">@{chain[8].author.handle}</a>' in html
    assert '<link rel="canonical" href="' in html and article.get_absolute_url() in html
    newest = client.get(all_url(article) + "?sort=newest").getvalue().decode()
    assert newest.index("Second thread") < newest.index("First thread")


def test_all_comments_pages_hold_whole_threads_up_to_the_budget_and_cut_a_thread_longer_than_that(client, settings):
    settings.COMMENTS_ALL_PER_PAGE = 6
    article = ArticleFactory()
    threads = []
    for n, size in enumerate([3, 2, 4, 9]):
        root = CommentFactory(article=article, body=f"Thread {n}")
        threads.append([root, *(CommentFactory(parent=root, body=f"Thread {n} reply {r}") for r in range(size - 1))])
    first = client.get(all_url(article)).content.decode()
    # 3 + 2 comments fit in 6; the third thread (4) does not: it starts the next page.
    assert all(f'id="comment-{c.pk}"' in first for c in threads[0] + threads[1])
    assert "Thread 2" not in first
    assert f'<a rel="next" href="?after={threads[1][0].pk}">Next page</a>' in first
    second = client.get(f"{all_url(article)}?after={threads[1][0].pk}").content.decode()
    assert all(f'id="comment-{c.pk}"' in second for c in threads[2]) and "Thread 3" not in second
    assert f'href="{all_url(article)}">First page</a>' in second
    # A thread longer than a page alone: its first comments, and a link to the rest on its own page.
    third = client.get(f"{all_url(article)}?after={threads[2][0].pk}").content.decode()
    assert all(f'id="comment-{c.pk}"' in third for c in threads[3][:6]) and "Thread 3 reply 6" not in third
    assert f'<a href="/comments/{threads[3][0].pk}/thread/">3 more replies in this thread</a>' in third
    assert 'rel="next"' not in third
    # A cursor that is no thread of this story, or no number, is no page.
    other = CommentFactory()
    for after in [str(other.pk), "abc", "9" * 30]:
        assert client.get(f"{all_url(article)}?after={after}").status_code == 404


def test_all_comments_page_is_for_published_stories_only(client):
    draft = ArticleFactory(status=Article.Status.DRAFT)
    assert client.get(all_url(draft)).status_code == 404


@pytest.mark.parametrize(("signed_in", "budget"), [(False, 5), (True, 8)], ids=["anonymous", "signed-in"])
def test_all_comments_page_queries_do_not_grow_with_comments(client, django_assert_max_num_queries, signed_in, budget):
    """Story, discussion, bylines, the page's threads, their comments; signed in, also session, account and likes."""
    article = ArticleFactory()
    if signed_in:
        client.force_login(UserFactory())
    client.get("/")  # the section bar of every page is cached (articles.selectors.nav_sections)
    make_discussion(article, threads=2, replies=2)
    with django_assert_max_num_queries(budget) as few:
        assert client.get(all_url(article)).status_code == 200
    make_discussion(article, threads=10, replies=8)
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = client.get(all_url(article)).getvalue().decode()
    assert html.count('class="comment comment--visible') == Comment.objects.filter(article=article).count()


def test_cut_thread_shows_its_first_replies_in_thread_order(settings):
    settings.COMMENTS_REPLIES_PER_THREAD = 5
    root = CommentFactory()
    order = [root]
    for _ in range(4):
        child = CommentFactory(parent=root)
        order.append(child)
        for _ in range(2):
            order.append(CommentFactory(parent=child))
    tree_order = list(Comment.objects.filter(tree_id=root.tree_id).order_by("lft").values_list("pk", flat=True))
    rows = selectors.story_threads(article=root.article, user=UserFactory()).comments
    assert [row.pk for row in rows] == tree_order[:6]
    assert rows[-1].thread_more == len(tree_order) - 6 and not any(row.thread_more for row in rows[:-1])


def pages_nav(html: str) -> str:
    return html.split('<nav class="pagination discussion__pages" aria-label="Pages of comments">', 1)[1].split(
        "</nav>"
    )[0]


@pytest.mark.parametrize("cache_seconds", [0, 60], ids=["uncached", "cached"])
def test_without_javascript_a_reader_moves_through_the_pages_both_ways(client, settings, cache_seconds):
    settings.COMMENTS_THREADS_PER_PAGE = 2
    settings.COMMENTS_CACHE_SECONDS = cache_seconds
    article = ArticleFactory()
    story = article.get_absolute_url()
    for n in range(5):
        CommentFactory(article=article, body=f"Thread {n}")
    # Held for moderation: neither shown to others nor counted in their pages.
    Comment.objects.filter(pk=CommentFactory(article=article).pk).update(status=Comment.Status.PENDING)
    first = pages_nav(client.get(story).content.decode())
    assert "Page 1 of 3" in first and 'rel="prev"' not in first
    assert f'<a rel="next" href="{story}?page=2#comments"' in first and ">Show more comments</a>" in first
    second = client.get(f"{story}?page=2").content.decode()
    assert "Thread 2" in second and "Thread 1" not in second
    nav = pages_nav(second)
    assert f'<a rel="prev" href="{story}#comments">Previous page</a>' in nav and "Page 2 of 3" in nav
    assert f'<a rel="next" href="{story}?page=3#comments"' in nav
    last = pages_nav(client.get(f"{story}?page=3").content.decode())
    assert f'<a rel="prev" href="{story}?page=2#comments">Previous page</a>' in last
    assert "Page 3 of 3" in last and 'rel="next"' not in last
    # The sort goes along; a page past the end is no page (newsroom.http.page_number's rule for every list).
    newest = pages_nav(client.get(f"{story}?page=2&sort=newest").content.decode())
    assert f'href="{story}?sort=newest#comments">Previous page' in newest
    assert f'href="{story}?page=3&amp;sort=newest#comments"' in newest
    assert client.get(f"{story}?page=4").status_code == 404


def test_one_page_of_comments_has_no_page_links(client):
    article = ArticleFactory()
    CommentFactory(article=article)
    assert "discussion__pages" not in client.get(article.get_absolute_url()).content.decode()


def textarea(html: str) -> str:
    return re.search(r'<textarea name="body"[^>]*>', html).group(0)


def test_one_length_limit_from_the_setting_in_every_form_and_message(client, settings):
    settings.COMMENTS_MAX_LENGTH = 120
    article = ArticleFactory()
    mine = CommentFactory(article=article)
    client.force_login(mine.author)
    for url in [article.get_absolute_url(), f"/comments/{mine.pk}/reply/", f"/comments/{mine.pk}/edit/"]:
        box = textarea(client.get(url).content.decode())
        # The counter's limit, and no maxlength: a browser would cut a pasted text silently.
        assert 'data-counter="120"' in box and "maxlength" not in box, url
    text = "Twenty thousand characters, or here one hundred and fifty. " * 2 + "x" * 32
    assert len(text) == 150
    for url, data in [(post_url(article), {"body": text}), (f"/comments/{mine.pk}/edit/", {"body": text})]:
        response = client.post(url, data)
        html = response.content.decode()
        assert response.status_code == 400
        assert "Comments are at most 120 characters; this one has 150. Shorten it by 30" in html
        assert "Ensure this value" not in html and f">\n{text}</textarea>" in html
    with pytest.raises(ValidationError, match="at most 120 characters; this one has 121"):
        Comment(article=article, body="x" * 121, body_html="").full_clean(exclude=["author", "parent"])


def test_the_edit_page_saves_changes_or_cancels_back_to_the_comment(client):
    comment = CommentFactory(body="Frist")
    client.force_login(comment.author)
    html = client.get(f"/comments/{comment.pk}/edit/").content.decode()
    assert f'<button type="submit">Save changes</button> <a href="/comments/{comment.pk}/">Cancel</a>' in html
    assert "Post comment" not in html
    response = client.post(f"/comments/{comment.pk}/edit/", {"body": "First"}, follow=True)
    assert "Your changes are saved." in response.content.decode()


def test_after_the_edit_window_the_edit_page_explains_and_shows_no_form(client, settings):
    settings.COMMENTS_EDIT_WINDOW_MINUTES = 15
    comment = CommentFactory(body="Too late to change.")
    Comment.objects.filter(pk=comment.pk).update(created_at=comment.created_at - timedelta(minutes=16))
    client.force_login(comment.author)
    response = client.get(f"/comments/{comment.pk}/edit/")
    html = response.content.decode()
    assert response.status_code == 403
    assert "Comments can be edited for 15 minutes after posting; the time to edit this one has passed." in html
    assert "<textarea" not in html and f'href="/comments/{comment.pk}/delete/"' in html
    # Text sent from a form opened in time is kept, with the same reason.
    response = client.post(f"/comments/{comment.pk}/edit/", {"body": "Changed at the last second"})
    assert response.status_code == 400 and "Changed at the last second" in response.content.decode()
    assert "the time to edit this one has passed" in response.content.decode()


def test_the_delete_page_mentions_replies_only_when_there_are_some(client):
    lonely, answered = CommentFactory(), CommentFactory()
    CommentFactory(parent=answered)
    client.force_login(lonely.author)
    html = client.get(f"/comments/{lonely.pk}/delete/").content.decode()
    assert "Replies to it stay" not in html and "It will be removed from the discussion." in html
    client.force_login(answered.author)
    assert "Replies to it stay" in client.get(f"/comments/{answered.pk}/delete/").content.decode()


def test_a_like_count_shows_only_when_there_is_one(client):
    liked, unliked = CommentFactory(), CommentFactory()
    services.comment_like(comment=liked, user=UserFactory())
    reader = UserFactory()
    client.force_login(reader)
    html = client.get(liked.article.get_absolute_url()).content.decode()
    assert '<span class="comment__likes">1 like</span>' in html
    html = client.get(unliked.article.get_absolute_url()).content.decode()
    assert "0 likes" not in html and "comment__likes" not in html
    assert f'action="/comments/{unliked.pk}/like/"' in html and 'aria-pressed="false">Like</button>' in html


def test_notification_times_read_as_comment_times_do(client):
    alex = UserFactory()
    root = CommentFactory(author=alex)
    reply = CommentFactory(parent=root)
    then = timezone.now() - timedelta(hours=2, minutes=33)
    Comment.objects.filter(pk=reply.pk).update(created_at=then)
    Notification.objects.filter(comment=reply).update(created_at=then)
    client.force_login(alex)
    # timesince keeps a number and its unit together with a no-break space.
    assert '">2\xa0hours ago</time>' in client.get(reply.article.get_absolute_url()).content.decode()
    html = client.get(reverse("notifications:list")).content.decode()
    assert '">2\xa0hours ago</time>' in html and "minutes" not in html


def test_the_report_page_shows_whose_comment_it_is(client):
    comment = CommentFactory(author=UserFactory(handle="ines", display_name="Ines Valcourt"), body="Buy watches")
    client.force_login(UserFactory())
    html = client.get(f"/comments/{comment.pk}/report/").content.decode()
    assert 'Ines Valcourt <span class="handle">@ines</span> wrote:' in html and "Buy watches" in html


def test_a_long_thread_page_comes_in_pages_of_its_own_depth_and_a_permalink_lands_on_its_page(client, settings):
    settings.COMMENTS_THREAD_PER_PAGE = 4
    settings.COMMENTS_REPLIES_PER_THREAD = 1
    root = CommentFactory(body="Mega thread")
    replies = [CommentFactory(parent=root, body=f"Reply {n}") for n in range(9)]
    held = CommentFactory(parent=replies[4], body="Held reply")
    under_held = CommentFactory(parent=held, body="Under the held one")
    Comment.objects.filter(pk=held.pk).update(status=Comment.Status.PENDING)
    url = f"/comments/{root.pk}/thread/"
    first = client.get(url).content.decode()
    assert "Reply 2" in first and "Reply 3" not in first  # the root and three replies
    start = re.search(r'<a rel="next" href="[^"]*\?from=(\d+)">Next page</a>', first).group(1)
    pages = [first]
    while start:
        html = client.get(f"{url}?from={start}").content.decode()
        assert f'<a href="{url}">Start of the thread</a>' in html
        pages.append(html)
        found = re.search(r'<a rel="next" href="[^"]*\?from=(\d+)">Next page</a>', html)
        start = found.group(1) if found else None
    shown = "".join(pages)
    assert all(shown.count(f'id="comment-{reply.pk}"') == 1 for reply in replies)
    # A held comment hides what is under it, also on a page that starts below it.
    assert "Held reply" not in shown and "Under the held one" not in shown
    inside = client.get(f"{url}?from={Comment.objects.get(pk=under_held.pk).lft}").content.decode()
    assert "Under the held one" not in inside
    # A permalink past the story page lands on the page that starts at the comment.
    deep = Comment.objects.get(pk=replies[7].pk)
    assert client.get(deep.get_absolute_url()).url == f"{url}?from={deep.lft}#comment-{deep.pk}"
    for bad in ["abc", "9" * 30]:
        assert client.get(f"{url}?from={bad}").status_code == 404
