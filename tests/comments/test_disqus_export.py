"""export_comments writes the Disqus format, and importing our own export gives back the same discussions."""

import io
import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from comments import services
from comments.disqus.reader import Post, Thread, read_export
from comments.models import Comment
from newsroom.services import account_erase
from tests.comments.conftest import assert_trees_sound
from tests.factories import ArticleFactory, CommentFactory, UserFactory

pytestmark = pytest.mark.django_db


def discussions(*, handle=lambda author: author.handle) -> dict:
    """Each story's comments in tree order, as what a reader sees of them (tree ids and pks aside); `handle` names
    the commenter behind an account."""
    result = {}
    comments = Comment.objects.select_related("article", "author", "author__imported_account")
    for comment in comments.order_by("article__slug", "tree_id", "lft"):
        result.setdefault(comment.article.slug, []).append(
            (
                comment.level,
                comment.status,
                comment.body,
                comment.body_html,
                comment.shown_name,
                handle(comment.author) if comment.author_id else None,
                comment.created_at.replace(microsecond=0),
            )
        )
    return result


@pytest.fixture
def site_discussions(settings):
    settings.COMMENTS_RATE_PER_MINUTE = 0
    alice = UserFactory(handle="alice", display_name="Alice")
    bob = UserFactory(handle="bob", display_name="Bob <b>B</b> & co")
    leaver = UserFactory(handle="leaver")
    story, other = ArticleFactory(slug="first-story"), ArticleFactory(slug="second-story")
    root = CommentFactory(article=story, author=alice, body="Opening <remark> & more.")
    reply = CommentFactory(
        parent=root, author=bob, body="Line one\nline two\n\nSee example.co/abc, https://x.org/a_(b) @alice"
    )
    CommentFactory(parent=reply, author=alice, body="Deep reply.")
    gone = CommentFactory(article=story, author=bob, body="I will delete this.")
    CommentFactory(parent=gone, author=alice, body="Answer to a deleted comment.")
    services.comment_delete(comment=gone, user=bob)
    removed = CommentFactory(article=story, author=bob, body="Off-topic rant.")
    CommentFactory(parent=removed, author=alice, body="Please stay on topic.")
    services.comment_remove(comments=[removed], moderator=alice, reason="Off-topic")
    pending = CommentFactory(article=other, author=bob, body="Waiting for a moderator.")
    Comment.objects.filter(pk=pending.pk).update(status=Comment.Status.PENDING)
    # A reader who leaves: the comment with a reply stays as a "deleted account" tombstone, the other goes.
    left = CommentFactory(article=other, author=leaver, body="Written before I left.")
    CommentFactory(parent=left, author=alice, body="A reply to someone who left.")
    CommentFactory(article=other, author=leaver, body="Nobody answered this.")
    account_erase(user=leaver)
    return story, other


def test_export_is_a_disqus_file_with_categories_threads_and_posts(site_discussions, tmp_path):
    story, _ = site_discussions
    path = tmp_path / "out.xml"
    call_command("export_comments", "--output", str(path), "--base-url", "https://news.example", stderr=io.StringIO())

    text = path.read_text()
    assert text.startswith('<?xml version="1.0" encoding="utf-8"?>\n<disqus xmlns="http://disqus.com"')
    assert f'<category dsq:id="newsroom-section-{story.section_id}">' in text
    with path.open("rb") as source:
        items = list(read_export(source))
    threads = [item for item in items if isinstance(item, Thread)]
    posts = [item for item in items if isinstance(item, Post)]
    assert {(t.identifier, t.link) for t in threads} >= {
        ("first-story", "https://news.example" + story.get_absolute_url())
    }
    assert len(posts) == Comment.objects.count()
    by_id = {post.dsq_id: post for post in posts}
    # Parents come before their replies, as Disqus writes them.
    seen = set()
    for post in posts:
        assert not post.parent_id or post.parent_id in seen
        seen.add(post.dsq_id)
    bob_reply = next(post for post in posts if "example.co/abc" in post.message)
    assert bob_reply.author.username == "bob" and bob_reply.author.name == "Bob <b>B</b> & co"
    assert bob_reply.author.email == "bob@example.com"
    assert by_id[bob_reply.parent_id].author.username == "alice"
    deleted = [post for post in posts if post.deleted]
    assert len(deleted) == 2 and {post.message for post in deleted} == {""}
    assert [post.message for post in posts if post.spam] == ["<p>Off-topic rant.</p>"]
    assert [post.approved for post in posts].count(False) == 1
    anonymous = [post.author for post in posts if post.author.anonymous]
    assert [a.name for a in anonymous] == ["Former reader"]


def test_import_of_our_own_export_round_trips(site_discussions, tmp_path):
    before = discussions()
    path = tmp_path / "out.xml"
    call_command("export_comments", "--output", str(path), stderr=io.StringIO())
    Comment.objects.all().delete()

    out = io.StringIO()
    call_command("import_disqus", str(path), stdout=out)

    # The commenters come back as imported accounts to be claimed (a live account is never matched), each for the
    # handle it was exported under.
    assert discussions(handle=lambda author: author.imported_account.username) == before
    assert_trees_sound()
    assert "Broken parent links: 0" in out.getvalue()
    assert "2 imported accounts created" in out.getvalue()
    # Exported again, the comments keep the ids of the first export: a third import adds nothing.
    again = tmp_path / "again.xml"
    call_command("export_comments", "--output", str(again), stderr=io.StringIO())
    out = io.StringIO()
    call_command("import_disqus", str(again), stdout=out)
    assert "Posts imported: 0 into 0 stories" in out.getvalue()


def test_export_to_standard_output_in_bounded_queries(site_discussions, django_assert_max_num_queries):
    out = io.StringIO()
    with django_assert_max_num_queries(6):
        call_command("export_comments", stdout=out)
    assert out.getvalue().rstrip().endswith("</disqus>")


def test_export_drops_characters_xml_cannot_carry(tmp_path):
    reader = UserFactory(handle="ctrl", display_name="Bell\x07 Name")
    CommentFactory(author=reader, body="Fine text.")
    out = io.StringIO()
    call_command("export_comments", stdout=out)
    items = list(read_export(io.BytesIO(out.getvalue().encode())))
    assert next(i for i in items if isinstance(i, Post)).author.name == "Bell Name"


# ------------------------------------------------------------------------------
# A reader's own comments as JSON
# ------------------------------------------------------------------------------
def test_comments_download_needs_sign_in(client):
    response = client.get(reverse("account_comments_json"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_reader_downloads_only_their_own_comments_as_an_attachment(client, settings, django_assert_max_num_queries):
    settings.COMMENTS_RATE_PER_MINUTE = 0
    reader, other = UserFactory(handle="keeper"), UserFactory()
    story = ArticleFactory(headline="Harbour reopens")
    first = CommentFactory(article=story, author=reader, body="My first <comment>.")
    CommentFactory(parent=first, author=other, body="Someone else's reply.")
    for n in range(5):
        CommentFactory(article=story, author=reader, body=f"Comment {n}")
    client.force_login(reader)

    with django_assert_max_num_queries(4):
        response = client.get(reverse("account_comments_json"))
        content = b"".join(response.streaming_content)  # streamed: the comments are read as it is sent

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == 'attachment; filename="comments-keeper.json"'
    data = json.loads(content)
    assert data["account"]["handle"] == "keeper"
    assert [c["text"] for c in data["comments"]] == ["My first <comment>."] + [f"Comment {n}" for n in range(5)]
    entry = data["comments"][0]
    assert entry["story"] == {"headline": "Harbour reopens", "url": "http://testserver" + story.get_absolute_url()}
    assert entry["url"] == f"http://testserver/comments/{first.pk}/"
    assert entry["in_reply_to"] is None and entry["status"] == "visible"


def test_account_page_links_to_the_download(client):
    client.force_login(UserFactory())
    response = client.get(reverse("account"))
    assert reverse("account_comments_json") in response.content.decode()


def test_export_finds_the_stories_with_comments_by_exists_not_distinct(site_discussions):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        call_command("export_comments", stdout=io.StringIO())
    assert len(queries) and not any("DISTINCT" in query["sql"] for query in queries.captured_queries)
