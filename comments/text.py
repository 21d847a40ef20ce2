"""A reader's plain text to safe HTML: escaped, paragraphs and line breaks kept, addresses and known @handles linked."""

import re
import unicodedata
from collections.abc import Iterable, Mapping

import nh3
from django.utils.html import escape

from comments.tokens import tokenize

__all__ = ["clean_text", "render", "find_banned_word", "LINK_REL"]

LINK_REL = "nofollow ugc noopener"

_BLANK_LINE = re.compile(r"\n[^\S\n]*\n\s*")
# Direction overrides and isolates can make text read differently from what it is ("Trojan Source").
_BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# What _keep drops, as one character class: Unicode's Cc is exactly U+0000-U+001F and U+007F-U+009F, Cs exactly
# U+D800-U+DFFF. A regex does in C what a per-character loop did in Python (the Disqus import cleans 100,000 bodies).
# Also the noncharacters (U+FDD0-U+FDEF, the last two code points of each plane): never text, forbidden in HTML.
_NONCHARACTERS = "\ufdd0-\ufdef" + "".join(chr(plane << 16 | 0xFFFE) + chr(plane << 16 | 0xFFFF) for plane in range(17))
_DROPPED = re.compile(f"[\x00-\x09\x0b-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069{_NONCHARACTERS}]")


def _keep(char: str) -> bool:
    if char == "\n":
        return True
    if char in _BIDI_CONTROLS:
        return False
    if 0xFDD0 <= ord(char) <= 0xFDEF or ord(char) & 0xFFFE == 0xFFFE:
        return False  # noncharacters: never text, and forbidden in HTML
    # Cc: control characters (NUL breaks PostgreSQL); Cs: lone surrogates, which no database can store.
    return unicodedata.category(char) not in {"Cc", "Cs"}


def clean_text(text: str) -> str:
    """The body as stored: line endings unified, tabs as spaces, control characters gone, outer blank space trimmed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    return _DROPPED.sub("", text).strip()


def _render_line(line: str, mentions: Mapping[str, str]) -> str:
    parts = []
    for token in tokenize(line):
        if token.kind == "url":
            parts.append(f'<a href="{escape(token.value)}" rel="{LINK_REL}">{escape(token.text)}</a>')
        elif token.kind == "mention" and token.value.lower() in mentions:
            href = mentions[token.value.lower()]
            parts.append(f'<a href="{escape(href)}" class="mention">@{escape(token.value)}</a>')
        else:
            parts.append(escape(token.text))
    return "".join(parts)


def render(text: str, mentions: Mapping[str, str] | None = None) -> str:
    """Safe HTML for `text`. `mentions` maps lower-cased handles that name real readers to their profile links."""
    mentions = mentions or {}
    paragraphs = [part for part in _BLANK_LINE.split(clean_text(text)) if part.strip()]
    html = "".join(
        "<p>" + "<br>".join(_render_line(line.strip(), mentions) for line in paragraph.split("\n")) + "</p>"
        for paragraph in paragraphs
    )
    # Everything above is escaped by construction; the sanitiser is the last line of defence against our own bugs.
    return nh3.clean(
        html,
        tags={"p", "br", "a"},
        attributes={"a": {"href", "rel", "class"}},
        url_schemes={"http", "https"},
        link_rel=None,
    )


def find_banned_word(text: str, words: Iterable[str]) -> str | None:
    """The first banned word or phrase found as whole words, ignoring case, or None."""
    lowered = text.lower()
    for word in words:
        if word and re.search(rf"(?<!\w){re.escape(word.lower())}(?!\w)", lowered):
            return word
    return None
