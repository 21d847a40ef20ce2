"""A story's words as plain text, for SQLite's search index (its triggers call this on every connection)."""

import html

import nh3

__all__ = ["plain_text"]


def plain_text(body: str) -> str:
    """The words a reader sees: every tag dropped, entities decoded ("&amp;" is "&")."""
    return html.unescape(nh3.clean(body, tags=set()))
