"""The Disqus format without a database: streaming reader, message HTML to text, tree planning, numbering."""

import io
import tracemalloc
from datetime import UTC, datetime

import pytest

from comments.disqus.planning import Entry, plan_story
from comments.disqus.reader import Author, ExportError, Post, Thread, read_export
from comments.disqus.text import html_to_text
from comments.disqus.writer import post_xml
from comments.trees import Row, expected_positions, number_forest
from tests.comments.disqus_files import HEADER, P, T, export_file, minutes


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>One</p><p>Two</p>", "One\n\nTwo"),
        ("<p>Line<br>break<br/>again</p>", "Line\nbreak\nagain"),
        ("<p>Source line\nwraps are spaces</p>", "Source line wraps are spaces"),
        ("<p><b>Bold</b>, <i>italic</i>, <u>under</u> and <code>x = 1</code></p>", "Bold, italic, under and x = 1"),
        ("<blockquote>Quoted</blockquote>Reply", "Quoted\n\nReply"),
        ('<a href="https://example.com/page">https://example.com/page</a>', "https://example.com/page"),
        ('<a href="https://example.co/abc">example.co/abc</a>', "example.co/abc"),
        ('<a href="https://example.com/long/path/here" title="x">https://example.com/long/pa...</a>',
         "https://example.com/long/path/here"),
        ('<a href="https://example.com/long/path/here">example.com/long/pa…</a>', "https://example.com/long/path/here"),
        ('<a href="https://example.org/report">the report</a>', "the report (https://example.org/report)"),
        ('<a href="javascript:alert(1)">click</a>', "click"),
        ('<a href="/comments/member/3/" class="mention">@jane</a>', "@jane"),
        ('<img src="https://cdn.example/pic.jpg" onerror="alert(1)">', "https://cdn.example/pic.jpg"),
        ('<img src="data:image/png;base64,AAAA">Caption', "Caption"),
        ("<p>before</p><script>alert(1)</script><style>p{}</style><p>after</p>", "before\n\nafter"),
        ("&lt;script&gt;alert(1)&lt;/script&gt;", "<script>alert(1)</script>"),
        ("Plain text\nwith a line break", "Plain text\nwith a line break"),
        ("<p>  padded  </p>\n\n\n<p>\u202eevil\x00</p>", "padded\n\nevil"),
        ("<pre>code\n  kept</pre>", "code\nkept"),
        ("<![><img src=x onerror=alert(1)>]>text", "]>text"),
        ("", ""),
    ],
)  # fmt: skip
def test_html_is_reduced_to_plain_text(html, text):
    assert html_to_text(html) == text


def test_reader_streams_threads_and_posts_with_their_fields():
    data = export_file(
        [T("t1", link="https://old.example/a", identifier="a-1", title="A & B")],
        [
            P("2", "t1", parent="1", created="2015-03-01T10:00:00", deleted=True, spam=True, username="bob"),
            P("3", "t1", anonymous=True, name="Guest Name", username=""),
        ],
    )
    items = list(read_export(io.BytesIO(data)))
    assert items[0] == Thread("t1", "a-1", "https://old.example/a", "A & B")
    reply, guest = items[1:]
    assert (reply.dsq_id, reply.thread_id, reply.parent_id, reply.deleted, reply.spam) == ("2", "t1", "1", True, True)
    assert reply.created_at == datetime(2015, 3, 1, 10, tzinfo=UTC)  # no Z: UTC all the same
    assert reply.author == Author(name="Alice Reader", username="bob", email="alice@example.com", anonymous=False)
    assert guest.author.anonymous and guest.parent_id == ""
    assert reply.message == "<p>Hello.</p>"


def test_reader_refuses_a_bad_date_naming_the_post():
    data = export_file([T("t1")], [P("9", "t1", created="last Tuesday")])
    with pytest.raises(ExportError, match="post 9: createdAt 'last Tuesday'"):
        list(read_export(io.BytesIO(data)))


def test_reader_accepts_a_file_without_the_namespace_but_not_another_root():
    assert list(read_export(io.BytesIO(b"<disqus></disqus>"))) == []
    with pytest.raises(ExportError, match="root element is <feed>"):
        list(read_export(io.BytesIO(b'<feed xmlns="http://www.w3.org/2005/Atom"/>')))


def test_reader_refuses_external_entities():
    data = (
        b'<?xml version="1.0"?><!DOCTYPE disqus [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'
        b'<disqus xmlns="http://disqus.com"><category>&secret;</category></disqus>'
    )
    with pytest.raises(ExportError, match="DTD or entities"):
        list(read_export(io.BytesIO(data)))


def test_reader_memory_stays_flat_however_many_posts():
    def file_of(count: int) -> io.BytesIO:
        posts = "".join(
            f'<post dsq:id="{n}"><message><![CDATA[<p>{"x" * 500}</p>]]></message>'
            f'<createdAt>2015-03-01T10:00:00Z</createdAt><thread dsq:id="t"/></post>'
            for n in range(count)
        )
        return io.BytesIO((HEADER + posts + "</disqus>").encode())

    def peak(count: int) -> int:
        source = file_of(count)
        tracemalloc.start()
        for _ in read_export(source):
            pass
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top

    assert peak(10_000) < 2 * peak(1_000)


def test_writer_output_reads_back():
    author = Author(name="Ann <x>", username="ann", email="ann@example.com", anonymous=False)
    moment = datetime(2016, 5, 4, 3, 2, 1, 999, tzinfo=UTC)
    text = post_xml(
        dsq_id="p1", thread_id="t1", parent_id="p0", message="<p>A & B</p>", created_at=moment, deleted=False,
        spam=True, approved=False, author=author,
    )  # fmt: skip
    (post,) = read_export(io.BytesIO((HEADER + text + "</disqus>").encode()))
    assert post == Post("p1", "t1", "p0", moment.replace(microsecond=0), False, True, False, author, "<p>A & B</p>")


def entry(dsq_id: str, parent: str = "", n: int = 0, **flags) -> Entry:
    return Entry(
        seq=n,
        dsq_id=dsq_id,
        parent_id=parent,
        created_at=datetime.fromisoformat(minutes(n)),
        deleted=flags.get("deleted", False),
        spam=flags.get("spam", False),
        approved=flags.get("approved", True),
        author=Author("A", "a", "", False),
        body=flags.get("body", "text"),
    )


def test_plan_orders_by_time_whatever_the_file_order_and_cuts_loops():
    entries = [
        entry("c", "b", 3),
        entry("b", "a", 2),
        entry("a", "", 1),
        entry("d", "a", 4),
        entry("x", "y", 5),  # x and y answer each other
        entry("y", "x", 6),
        entry("z", "z", 7),  # answers itself
    ]
    plan = plan_story(entries, {})
    assert plan.roots == ["a", "x", "z"]
    assert plan.children == {"a": ["b", "d"], "b": ["c"], "x": ["y"]}
    assert plan.broken_parents == 2
    assert list(plan.generations()) == [["a", "x", "z"], ["b", "d", "y"], ["c"]]


def test_plan_keeps_deleted_and_spam_only_above_kept_replies():
    entries = [
        entry("a", "", 1, deleted=True),
        entry("b", "a", 2, spam=True),
        entry("c", "b", 3),
        entry("d", "", 4, deleted=True),
        entry("e", "d", 5, spam=True),
        entry("f", "", 6, body=""),
        entry("g", "", 7, approved=False),
    ]
    plan = plan_story(entries, {})
    assert plan.status == {"c": "visible", "b": "removed", "a": "deleted", "g": "pending"}
    assert (plan.skipped_deleted, plan.skipped_spam, plan.skipped_empty) == (1, 1, 1)


def test_plan_attaches_replies_to_comments_already_on_the_site():
    plan = plan_story([entry("r", "old", 1), entry("s", "r", 2)], {"old": 41})
    assert (plan.roots, plan.attached, plan.existing) == ([], ["r"], {"r": 41})
    assert plan.children == {"r": ["s"]}


def test_number_forest_matches_a_rebuild():
    children = {1: [2, 5], 2: [3, 4], 6: [7]}
    positions = number_forest([1, 6], children)
    rows = [Row(n, p, 0, 0, 0, 0) for n, p in [(1, None), (2, 1), (3, 2), (4, 2), (5, 1)]]
    assert {n: pos[1:] for n, pos in positions.items() if pos[0] == 0} == expected_positions(rows)
    assert positions[6] == (1, 1, 4, 0) and positions[7] == (1, 2, 3, 1)


def test_number_forest_handles_threads_deeper_than_the_recursion_limit():
    depth = 5000
    positions = number_forest([0], {n: [n + 1] for n in range(depth)})
    assert positions[0] == (0, 1, 2 * depth + 2, 0)
    assert positions[depth] == (0, depth + 1, depth + 2, depth)
