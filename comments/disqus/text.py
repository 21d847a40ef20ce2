"""A Disqus message's HTML reduced to the plain text a reader could have typed here."""

import re
from html import unescape
from html.parser import HTMLParser
from urllib.parse import urlsplit

from comments.text import clean_text

__all__ = ["html_to_text"]

_BLOCKS = frozenset(
    {"p", "div", "blockquote", "pre", "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "tr", "hr"}
    | {"section", "article", "header", "footer"}
)
# Never visible text: dropped with everything inside them.
_INVISIBLE = frozenset({"script", "style", "template", "head", "title", "noscript", "iframe", "object"})
_TAG = re.compile(r"<[A-Za-z/!]")
_ANY_TAG = re.compile(r"<[^>]*>?")
_BLANK_LINES = re.compile(r"\n{3,}")
_WEB = ("http", "https")


def _link_text(text: str, href: str) -> str:
    """A link as plain text: its address, or "words (address)" when the words were more than the address.

    Addresses a reader typed come back as typed (with or without https://), so our own export round-trips;
    Disqus shortens long ones ("https://example.com/a-lo..."), and then the full address wins.
    """
    words = " ".join(text.split())
    href = href.strip()
    if urlsplit(href).scheme.lower() not in _WEB:
        return words  # @mentions, javascript:, relative links: the words only
    if not words or words == href or href in (f"https://{words}", f"http://{words}"):
        return words or href
    stem = words.rstrip(".…")
    if stem != words and (href.startswith(stem) or href.split("://", 1)[-1].startswith(stem)):
        return href
    return f"{words} ({href})"


class _TextExtractor(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0
        self.pre = 0
        self.links: list[tuple[str, int]] = []

    def handle_starttag(self, tag, attrs):
        if tag in _INVISIBLE:
            self.hidden += 1
        elif self.hidden:
            return
        elif tag == "br":
            self.parts.append("\n")
        elif tag in _BLOCKS:
            self.parts.append("\n\n")
            self.pre += tag == "pre"
        elif tag == "a":
            self.links.append((dict(attrs).get("href") or "", len(self.parts)))
        elif tag == "img":
            src = (dict(attrs).get("src") or "").strip()
            if urlsplit(src).scheme.lower() in _WEB:
                self.parts.append(f" {src} ")

    def handle_startendtag(self, tag, attrs):
        if tag not in _INVISIBLE:
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag in _INVISIBLE:
            self.hidden = max(0, self.hidden - 1)
        elif self.hidden:
            return
        elif tag in _BLOCKS:
            self.parts.append("\n\n")
            self.pre -= tag == "pre" and self.pre > 0
        elif tag == "a" and self.links:
            href, start = self.links.pop()
            self.parts[start:] = [_link_text("".join(self.parts[start:]), href)]

    def handle_data(self, data):
        if self.hidden:
            return
        if not self.pre:
            # In HTML a line break in the source is only a space; <br> and <p> make the breaks.
            data = data.replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
        self.parts.append(data)

    def text(self) -> str:
        while self.links:  # an <a> never closed
            href, start = self.links.pop()
            self.parts[start:] = [_link_text("".join(self.parts[start:]), href)]
        return "".join(self.parts)


def html_to_text(message: str) -> str:
    """A Disqus message reduced to the plain text a reader could have typed here: paragraphs, line breaks and
    links as their addresses; every other tag dropped, script and style with their content. The result is
    text, not HTML: it goes through comments.text.render like anything typed, which escapes it."""
    if not _TAG.search(message):
        raw = unescape(message)  # an old or hand-made export: plain text, its line breaks meant
    else:
        parser = _TextExtractor()
        try:
            parser.feed(message)
            parser.close()
            raw = parser.text()
        except AssertionError:
            # Python's HTMLParser gives up on some malformed markup ("<![><img ...>"); the tags go, the text stays.
            raw = unescape(_ANY_TAG.sub(" ", message))
    lines = "\n".join(line.strip() for line in raw.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    return clean_text(_BLANK_LINES.sub("\n\n", lines))
