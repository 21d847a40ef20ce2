"""import_disqus: threads matched to stories, trees kept whatever the file order, authors, safety, idempotency."""

import io
import re
from html import escape
from html.parser import HTMLParser

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F

from articles.models import SlugHistory
from comments.models import Comment, Discussion, Mention
from comments.text import clean_text
from newsroom.models import ImportedAccount, User
from tests.comments.conftest import assert_trees_sound
from tests.comments.disqus_files import P, T, minutes, write_export
from tests.corpora import xss_payloads
from tests.factories import ArticleFactory, CommentFactory, UserFactory

pytestmark = pytest.mark.django_db

XML_ILLEGAL = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def run(path, *args) -> str:
    out = io.StringIO()
    call_command("import_disqus", str(path), *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def shape(article) -> list[tuple]:
    """The story's trees as (disqus id, parent's disqus id, level, status), in tree order."""
    return [
        (c.disqus_id, c.parent.disqus_id if c.parent_id else None, c.level, c.status)
        for c in Comment.objects.filter(article=article).select_related("parent").order_by("tree_id", "lft")
    ]


@pytest.fixture
def story():
    return ArticleFactory(slug="harbour-reopens")


def link(article) -> str:
    return "https://oldpaper.example" + article.get_absolute_url()


def test_six_deep_thread_listed_children_first_keeps_its_shape_and_times(tmp_path, story):
    chain = [P(f"{n}", "t1", parent=f"{n - 1}" if n > 1 else "", created=minutes(n)) for n in range(1, 7)]
    sibling = P("7", "t1", parent="1", created=minutes(10), username="bob", name="Bob", email="bob@example.com")
    root2 = P("8", "t1", created=minutes(20))
    path = write_export(tmp_path, [T("t1", link=link(story))], [root2, *reversed(chain), sibling])

    out = run(path)

    assert shape(story) == [
        ("1", None, 0, "visible"),
        ("2", "1", 1, "visible"),
        ("3", "2", 2, "visible"),
        ("4", "3", 3, "visible"),
        ("5", "4", 4, "visible"),
        ("6", "5", 5, "visible"),
        ("7", "1", 1, "visible"),
        ("8", None, 0, "visible"),
    ]
    assert_trees_sound()
    call_command("check_comment_trees", stdout=io.StringIO())
    deepest = Comment.objects.get(disqus_id="6")
    assert deepest.created_at.isoformat() == "2015-03-01T10:06:00+00:00"
    assert "Posts imported: 8 into 1 stories" in out
    assert "Threads: 1 matched to stories, 0 unmatched" in out


def test_deleted_posts_become_tombstones_only_when_they_hold_replies(tmp_path, story):
    posts = [
        P("1", "t1", deleted=True, message="<p>I regret this</p>"),
        P("2", "t1", parent="1", created=minutes(1)),
        P("3", "t1", deleted=True, created=minutes(2)),
        # A deleted reply under a deleted post: nothing kept holds either of them.
        P("4", "t1", deleted=True, created=minutes(3)),
        P("5", "t1", parent="4", deleted=True, created=minutes(4)),
    ]
    out = run(write_export(tmp_path, [T("t1", link=link(story))], posts))

    assert shape(story) == [("1", None, 0, "deleted"), ("2", "1", 1, "visible")]
    tombstone = Comment.objects.get(disqus_id="1")
    assert tombstone.body == tombstone.body_html == ""
    assert "3 deleted without replies" in out
    assert "1 deleted tombstones holding replies" in out


def test_spam_is_skipped_unless_replies_hang_on_it_then_hidden_as_removed(tmp_path, story):
    posts = [
        P("1", "t1", spam=True, message="<p>Buy pills</p>"),
        P("2", "t1", spam=True, created=minutes(1), message="<p>Cheap watches</p>"),
        P("3", "t1", parent="2", created=minutes(2), message="<p>Reported, this is spam</p>"),
    ]
    out = run(write_export(tmp_path, [T("t1", link=link(story))], posts))

    assert shape(story) == [("2", None, 0, "removed"), ("3", "2", 1, "visible")]
    assert Comment.objects.get(disqus_id="2").removal_reason.startswith("Marked as spam on Disqus")
    assert "Skipped: 1 spam" in out
    assert "1 spam kept hidden" in out


def test_anonymous_authors_are_shown_by_name_without_an_account(tmp_path, story):
    posts = [
        P("1", "t1", anonymous=True, name="A Passer-by", username="", email="guest@example.com"),
        P("2", "t1", anonymous=True, name="", username="", created=minutes(1)),
    ]
    users_before = User.objects.count()
    run(write_export(tmp_path, [T("t1", link=link(story))], posts))

    first, second = Comment.objects.order_by("created_at")
    assert (first.author, first.author_name, first.shown_name) == (None, "A Passer-by", "A Passer-by")
    assert second.shown_name == "Guest"
    assert User.objects.count() == users_before


def test_named_authors_become_inactive_claimable_accounts_with_valid_unique_handles(tmp_path, story):
    UserFactory(handle="alice", email="someone-else@example.com")  # same handle, another person
    posts = [
        P("1", "t1", username="alice", name="Alice Reader", email="alice@example.com"),
        P("2", "t1", username="José.Pérez-Ñ", name="José", email="not an address", created=minutes(1)),
        P("3", "t1", username="x", name="X", email="x@example.com", created=minutes(2)),
        P("4", "t1", username="admin", name="Not Staff", email="admin@example.com", created=minutes(3)),
    ]
    out = run(write_export(tmp_path, [T("t1", link=link(story))], posts))

    handles = dict(ImportedAccount.objects.values_list("username", "user__handle"))
    assert handles == {"alice": "alice_2", "José.Pérez-Ñ": "Jose_Perez_N", "x": "reader_x", "admin": "admin_2"}
    for imported in ImportedAccount.objects.select_related("user"):
        user = imported.user
        assert not user.is_active and not user.has_usable_password()
        user.full_clean(exclude=["password"])  # a handle the sign-up rules accept
    alice = User.objects.get(handle="alice_2")
    assert (alice.display_name, alice.email) == ("Alice Reader", "alice@example.com")
    assert User.objects.get(handle="Jose_Perez_N").email == ""
    assert Comment.objects.get(disqus_id="1").author == alice
    assert "4 imported accounts created" in out


def test_imported_names_lose_line_breaks_and_invisible_characters(tmp_path, story):
    name = "Evil\u202e\nName\t\u2066 \u200bhere"  # what XML can carry of the refused characters
    run(write_export(tmp_path, [T("t1", link=link(story))], [P("1", "t1", username="evil", name=name)]))
    assert Comment.objects.get().author.display_name == "Evil Name here"


def test_a_site_account_with_the_same_handle_and_email_is_never_matched(tmp_path, story):
    # No address on the site is confirmed: whoever signed up first with a commenter's handle and e-mail could be a
    # squatter, so the history goes to an imported account that the mailbox's owner claims.
    squatter = UserFactory(handle="Alice", email="Alice@Example.com")
    run(write_export(tmp_path, [T("t1", link=link(story))], [P("1", "t1", username="alice")]))

    author = Comment.objects.get().author
    assert author != squatter and not author.is_active
    assert author.imported_account.username == "alice" and author.email == "alice@example.com"


def test_messages_over_the_length_limit_are_cut_with_a_marker_and_counted(tmp_path, story, settings):
    settings.COMMENTS_MAX_LENGTH = 500
    huge = "word " * 200_000  # a million characters
    out = run(write_export(tmp_path, [T("t1", link=link(story))], [P("1", "t1", message=f"<p>{huge}</p>")]))

    body = Comment.objects.get().body
    assert len(body) <= 500
    assert body.startswith("word word") and body.endswith(
        "[Cut on import: the original message was 999,999 characters long.]"
    )
    assert "Cut to the comment length limit (500 characters): 1 messages" in out


def test_threads_match_by_canonical_url_old_slug_identifier_and_map_and_the_rest_are_reported(tmp_path):
    by_url, by_old_slug, by_identifier, by_map = (ArticleFactory() for _ in range(4))
    SlugHistory.objects.create(article=by_old_slug, slug="first-draft-headline")
    old_url = by_old_slug.get_absolute_url().replace(by_old_slug.slug, "first-draft-headline")
    threads = [
        T("t1", link=link(by_url)),
        T("t2", link="http://www.oldpaper.example" + old_url.rstrip("/")),
        T("t3", link="https://oldpaper.example/?p=42", identifier=by_identifier.slug),
        T("t4", link="https://oldpaper.example/2014/05/old-cms-address.html"),
        T("t5", link="https://oldpaper.example/about-us", identifier="page-7"),
        T("t6", link="https://oldpaper.example/no-comments-here"),
    ]
    posts = [P(f"{n}", f"t{n}", created=minutes(n)) for n in range(1, 6)]
    mapping = tmp_path / "map.csv"
    mapping.write_text(
        f"# old address, story slug\n\nhttps://oldpaper.example/2014/05/old-cms-address.html,{by_map.slug}\n"
    )

    out = run(write_export(tmp_path, threads, posts), "--map", str(mapping))

    assert [Comment.objects.get(disqus_id=f"{n}").article for n in range(1, 5)] == [
        by_url,
        by_old_slug,
        by_identifier,
        by_map,
    ]
    assert not Comment.objects.filter(disqus_id="5").exists()
    assert "Threads: 4 matched to stories, 1 unmatched (1 posts not imported), 1 without posts." in out
    assert "unmatched thread t5: https://oldpaper.example/about-us [identifier page-7], 1 posts" in out


def test_map_naming_an_unknown_story_stops_before_anything_is_written(tmp_path, story):
    mapping = tmp_path / "map.csv"
    mapping.write_text("https://oldpaper.example/a.html,no-such-story\n")
    path = write_export(tmp_path, [T("t1", link=link(story))], [P("1", "t1")])
    with pytest.raises(CommandError, match="no-such-story"):
        run(path, "--map", str(mapping))
    assert not Comment.objects.exists()


def test_broken_parent_links_become_top_level_and_are_counted(tmp_path, story):
    other = ArticleFactory()
    posts = [
        P("1", "t1", parent="404"),  # parent not in the file
        P("2", "t2", created=minutes(1)),
        P("3", "t1", parent="2", created=minutes(2)),  # parent in another story
        P("4", "t1", parent="5", created=minutes(3)),  # a loop: 4 -> 5 -> 4
        P("5", "t1", parent="4", created=minutes(4)),
    ]
    out = run(write_export(tmp_path, [T("t1", link=link(story)), T("t2", link=link(other))], posts))

    assert shape(story) == [
        ("1", None, 0, "visible"),
        ("3", None, 0, "visible"),
        ("4", None, 0, "visible"),
        ("5", "4", 1, "visible"),
    ]
    assert "Broken parent links: 3" in out
    assert_trees_sound()


class _Markup(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def assert_inert(html: str) -> None:
    """Only what our renderer writes: p, br, and links to http(s) addresses with our rel; no other attribute."""
    markup = _Markup()
    markup.feed(html)
    for tag, attrs in markup.tags:
        assert tag in ("p", "br", "a"), html
        if tag == "a":
            assert set(attrs) <= {"href", "rel", "class"}, html
            assert attrs["href"].startswith(("https://", "http://", "/comments/member/")), html
        else:
            assert not attrs, html


def test_hostile_message_html_comes_out_inert(tmp_path, story):
    # XML 1.0 cannot carry most control characters at all, so no export holds the payloads that use them.
    payloads = [p for p in xss_payloads() if not XML_ILLEGAL.search(p)]
    assert len(payloads) > 4000
    posts = []
    for n, payload in enumerate(payloads, start=1):
        # As markup in the message (a hostile or broken export), and as a reader typed it (Disqus escapes it).
        posts.append(P(f"raw{n}", "t1", message=payload, created=minutes(n % 600)))
        typed = "<br>".join(escape(line) for line in re.split("\r\n|\r|\n", payload))  # a typed line break
        posts.append(P(f"typed{n}", "t1", message=f"<p>{typed}</p>", created=minutes(n % 600)))
    posts.append(P("x1", "t1", message='<p>See <a href="javascript:alert(1)" onclick="alert(2)">this</a></p>'))
    run(write_export(tmp_path, [T("t1", link=link(story))], posts))

    imported = list(Comment.objects.filter(article=story))
    assert len(imported) > len(payloads)
    for comment in imported:
        assert_inert(comment.body_html)
    typed = Comment.objects.filter(disqus_id__startswith="typed")
    assert typed.count() == len(payloads)
    bodies = dict(typed.values_list("disqus_id", "body"))
    # The same text, less the spaces around a line break (HTML does not keep them either).
    expected = [re.sub(" *\n *", "\n", clean_text(p)) for p in payloads]
    assert [bodies[f"typed{n}"] for n in range(1, len(payloads) + 1)] == expected
    assert Comment.objects.get(disqus_id="x1").body_html == "<p>See this</p>"


def test_links_paragraphs_and_mentions_go_through_the_comment_pipeline(tmp_path, story):
    UserFactory(handle="editor_jane")
    message = (
        "<p>First line<br>second line</p><p>Read "
        '<a href="https://example.com/a/very/long/path/indeed" rel="nofollow noopener" '
        'title="https://example.com/a/very/long/path/indeed">https://example.com/a/very/lo...</a>, @editor_jane</p>'
    )
    run(write_export(tmp_path, [T("t1", link=link(story))], [P("1", "t1", message=message)]))

    comment = Comment.objects.get()
    assert comment.body == "First line\nsecond line\n\nRead https://example.com/a/very/long/path/indeed, @editor_jane"
    assert comment.body_html.startswith("<p>First line<br>second line</p><p>Read <a href=")
    assert 'class="mention">@editor_jane</a>' in comment.body_html
    assert Mention.objects.filter(comment=comment, user__handle="editor_jane").exists()


def test_second_run_imports_nothing_new(tmp_path, story):
    posts = [P("1", "t1"), P("2", "t1", parent="1", created=minutes(1), username="bob", email="bob@example.com")]
    path = write_export(tmp_path, [T("t1", link=link(story))], posts)
    run(path)
    users = User.objects.count()

    out = run(path)

    assert Comment.objects.count() == 2
    assert User.objects.count() == users
    assert "Posts imported: 0 into 0 stories" in out
    assert "2 already imported" in out


def test_later_export_adds_replies_to_comments_already_imported(tmp_path, story):
    first = [P("1", "t1"), P("2", "t1", parent="1", created=minutes(1))]
    run(write_export(tmp_path, [T("t1", link=link(story))], first))
    CommentFactory(article=story)  # a comment written here in between
    later = [*first, P("3", "t1", parent="1", created=minutes(5)), P("4", "t1", parent="3", created=minutes(6))]

    run(write_export(tmp_path, [T("t1", link=link(story))], later, name="later.xml"))

    assert [row for row in shape(story) if row[0]] == [
        ("1", None, 0, "visible"),
        ("2", "1", 1, "visible"),
        ("3", "1", 1, "visible"),
        ("4", "3", 2, "visible"),
    ]
    assert_trees_sound()


def test_duplicate_posts_in_the_file_are_imported_once(tmp_path, story):
    posts = [P("1", "t1"), P("1", "t1", message="<p>Again</p>")]
    out = run(write_export(tmp_path, [T("t1", link=link(story))], posts))
    assert Comment.objects.get().body == "Hello."
    assert "1 duplicates in the file" in out


def test_dry_run_reports_and_writes_nothing(tmp_path, story):
    posts = [P("1", "t1"), P("2", "t1", parent="1", created=minutes(1), username="bob", email="b@example.com")]
    users = User.objects.count()

    out = run(write_export(tmp_path, [T("t1", link=link(story))], posts), "--dry-run")

    assert not Comment.objects.exists()
    assert User.objects.count() == users
    assert not ImportedAccount.objects.exists()
    assert "Dry run: nothing was written." in out
    assert "Posts imported: 2 into 1 stories (would be written)" in out
    assert "2 imported accounts would be created" in out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"This is a CSV, not XML\n", "not complete, well-formed XML"),
        (b'<?xml version="1.0"?><rss version="2.0"><channel/></rss>', "not a Disqus export"),
        (b"", "not complete, well-formed XML"),
        (
            b'<?xml version="1.0"?><!DOCTYPE disqus [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
            b'<disqus xmlns="http://disqus.com">&b;</disqus>',
            "DTD or entities",
        ),
    ],
)
def test_bad_files_are_refused_clearly(tmp_path, content, message):
    path = tmp_path / "bad.xml"
    path.write_bytes(content)
    with pytest.raises(CommandError, match=message):
        run(path)
    assert not Comment.objects.exists()


def test_truncated_file_imports_nothing_even_stories_complete_before_the_cut(tmp_path):
    first, second = ArticleFactory(), ArticleFactory()
    posts = [P("1", "t1"), P("2", "t1", parent="1", created=minutes(1)), P("3", "t2", created=minutes(2))]
    whole = write_export(tmp_path, [T("t1", link=link(first)), T("t2", link=link(second))], posts).read_bytes()
    cut = tmp_path / "cut.xml"
    cut.write_bytes(whole[: whole.index(b'<post dsq:id="3"') + 40])

    with pytest.raises(CommandError, match="truncated"):
        run(cut)
    assert not Comment.objects.exists()
    assert not ImportedAccount.objects.exists()


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        run(tmp_path / "nowhere.xml")


def _many(count: int, prefix: str = "") -> list[P]:
    posts = []
    for n in range(1, count + 1):
        parent = "" if n % 5 == 1 else f"{prefix}{n - 1}"  # threads of five, each a chain four replies deep
        posts.append(P(f"{prefix}{n}", "t1", parent=parent, created=minutes(n % 600), username=f"reader{n % 7}"))
    return posts


def test_queries_do_not_grow_with_the_number_of_posts(tmp_path, django_assert_max_num_queries):
    small, large = ArticleFactory(), ArticleFactory()
    small_file = write_export(tmp_path, [T("t1", link=link(small))], _many(20), name="small.xml")
    large_file = write_export(tmp_path, [T("t1", link=link(large))], _many(400, "L"), name="large.xml")

    # Story lock, lookups, accounts, one insert per generation (five), mentions, commit: about twenty.
    with django_assert_max_num_queries(25):
        run(small_file)
    with django_assert_max_num_queries(25):
        run(large_file)
    assert Comment.objects.filter(article=large).count() == 400
    assert_trees_sound()


def test_progress_is_printed_as_plain_lines_off_a_terminal(tmp_path, story):
    out = run(write_export(tmp_path, [T("t1", link=link(story))], _many(1200)), "--progress-every", "0")
    assert "Reading: " in out and "% of the file, 500 posts" in out
    assert "Writing: 1,200 of 1,200 posts" in out
    assert "\r" not in out


def test_imported_comments_show_on_the_story_page_without_a_profile_link(client, tmp_path, story):
    posts = [P("1", "t1", username="oldtimer", name="Old Timer", message="<p>From the archive.</p>")]
    run(write_export(tmp_path, [T("t1", link=link(story))], posts))

    page = client.get(story.get_absolute_url()).content.decode()

    assert "From the archive." in page
    assert '<span class="comment__name">Old Timer</span>' in page
    assert "@oldtimer" not in page


def test_oversized_ids_usernames_and_addresses_are_not_forced_into_the_database(tmp_path, story):
    long_mail = "a" * 250 + "@example.com"
    posts = [
        P("9" * 100, "t1"),
        P("1", "t1", username="u" * 300, name="Long Name " * 10, created=minutes(1)),
        P("2", "t1", username="mailer", email=long_mail, created=minutes(2)),
        P("3", "", created=minutes(3)),  # no thread
    ]
    out = run(write_export(tmp_path, [T("t1", link=link(story))], posts))

    assert "2 without a usable id or thread" in out
    first, second = Comment.objects.order_by("created_at")
    assert first.author is None and first.author_name == ("Long Name " * 10)[:60]
    assert second.author.email == ""


def test_a_story_that_fails_midway_is_left_untouched_and_a_rerun_completes(tmp_path, monkeypatch):
    from django.db import DatabaseError

    from comments.disqus import importer

    first, second = ArticleFactory(), ArticleFactory()
    posts = [P("1", "t1"), P("2", "t2", created=minutes(1)), P("3", "t2", parent="2", created=minutes(2))]
    path = write_export(tmp_path, [T("t1", link=link(first)), T("t2", link=link(second))], posts)
    real_renumber, calls = importer._renumber, []

    def failing_on_second_story(tree_ids):
        calls.append(tree_ids)
        if len(calls) == 2:  # after the second story's comments were inserted
            raise DatabaseError("disk full")
        real_renumber(tree_ids)

    monkeypatch.setattr(importer, "_renumber", failing_on_second_story)
    with pytest.raises(CommandError, match=f"story {second.pk} failed .disk full.; that story was left untouched"):
        run(path)
    assert list(Comment.objects.values_list("disqus_id", flat=True)) == ["1"]

    monkeypatch.setattr(importer, "_renumber", real_renumber)
    out = run(path)
    assert sorted(Comment.objects.values_list("disqus_id", flat=True)) == ["1", "2", "3"]
    assert "1 already imported" in out
    assert_trees_sound()


def test_progress_on_a_terminal_is_one_redrawn_bar():
    from django.core.management.base import OutputWrapper

    from comments.disqus.report import ProgressLine

    buffer = io.StringIO()
    progress = ProgressLine(OutputWrapper(buffer), tty=True)
    progress("read", 500, None, 0.5)
    progress("read", 1000, None, 1.0)
    progress("write", 1000, 1000, None)
    progress.close()
    text = buffer.getvalue()
    assert text.count("\n") == 2  # one line per phase, redrawn with \r
    assert "\r[##############################] Reading: 100% of the file, 1,000 posts" in text
    assert "\r[##############################] Writing: 1,000 of 1,000 posts" in text


def test_a_commenter_on_many_stories_gets_one_account_counted_once(tmp_path):
    first, second = ArticleFactory(), ArticleFactory()
    threads = [T("t1", link=link(first)), T("t2", link=link(second))]
    out = run(write_export(tmp_path, threads, [P("1", "t1"), P("2", "t2", created=minutes(1))]))
    assert "Accounts: 1 imported accounts created (inactive, claimable by e-mail), 0 from earlier imports" in out

    out = run(write_export(tmp_path, threads, [P("3", "t1", created=minutes(2))], name="later.xml"))
    assert "Accounts: 0 imported accounts created (inactive, claimable by e-mail), 1 from earlier imports" in out
    assert Comment.objects.filter(author__handle="alice").count() == 3


def test_the_story_count_grows_by_the_visible_comments_imported_and_a_rerun_leaves_it(tmp_path, story):
    CommentFactory(article=story)  # written here before the import
    Discussion.objects.filter(pk=story.pk).update(comment_count=F("comment_count") + 10)  # drift a recount would erase
    posts = [
        P("1", "t1", deleted=True),
        P("2", "t1", parent="1", created=minutes(1)),
        P("3", "t1", spam=True, created=minutes(2)),
        P("4", "t1", parent="3", created=minutes(3)),
        P("5", "t1", created=minutes(4)),
    ]
    path = write_export(tmp_path, [T("t1", link=link(story))], posts)
    run(path)
    assert Comment.objects.filter(article=story, status=Comment.Status.VISIBLE).count() == 4
    assert Discussion.objects.get(pk=story.pk).comment_count == 4 + 10
    run(path)
    assert Discussion.objects.get(pk=story.pk).comment_count == 4 + 10
