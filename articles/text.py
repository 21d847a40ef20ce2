"""Story body text: editors' plain paragraphs with a small safe subset of inline HTML."""

import html
import re

import nh3

__all__ = ["render_paragraphs", "paragraph_previews", "plain_text"]

ALLOWED_TAGS = {"a", "em", "strong", "i", "b"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = {"http", "https", "mailto"}

_BLANK_LINE = re.compile(r"\n\s*\n")


def split_paragraphs(body: str) -> list[str]:
    return [part.strip() for part in _BLANK_LINE.split(body.replace("\r\n", "\n")) if part.strip()]


def render_paragraphs(body: str) -> list[str]:
    """Each paragraph as safe HTML: anything beyond links and emphasis is stripped, text is escaped."""
    return [
        nh3.clean(
            paragraph.replace("\n", " "),
            tags=ALLOWED_TAGS,
            attributes=ALLOWED_ATTRIBUTES,
            url_schemes=URL_SCHEMES,
            link_rel="noopener",
        )
        for paragraph in split_paragraphs(body)
    ]


def paragraph_previews(body: str, words: int = 8) -> list[str]:
    """The first words of each paragraph as plain text, numbered from 1, for the editors' placement choice."""
    previews = []
    for number, paragraph in enumerate(split_paragraphs(body), start=1):
        plain = nh3.clean(paragraph, tags=set()).split()
        snippet = " ".join(plain[:words]) + (" …" if len(plain) > words else "")
        previews.append(f"{number}. {snippet}")
    return previews


def plain_text(body: str) -> str:
    """The words a reader sees, for the search index: every tag dropped, entities decoded ("&amp;" is "&")."""
    return html.unescape(nh3.clean(body, tags=set()))
