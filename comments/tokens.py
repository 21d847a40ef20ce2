"""Split one line of a comment into plain text, web addresses and @handles; shared by rendering and mentions."""

import re
from collections.abc import Iterator
from typing import NamedTuple
from urllib.parse import quote, urlsplit

__all__ = ["Token", "tokenize", "HANDLE_PATTERN"]

HANDLE_PATTERN = r"[A-Za-z0-9_]{3,30}"

# Bare addresses ("example.co/abc") are linked only under top-level domains people actually type, so that
# "file.txt" or "e.g." stay text. With an explicit http(s):// any host is accepted.
COMMON_TLDS = frozenset(
    {"com", "net", "org", "info", "biz", "edu", "gov", "mil", "int", "io", "co", "uk", "us", "ca", "au", "nz"}
    | {"ie", "de", "fr", "es", "it", "nl", "be", "ch", "at", "se", "no", "dk", "fi", "pl", "pt", "cz", "ru"}
    | {"ua", "jp", "cn", "kr", "in", "br", "mx", "ar", "za", "eu", "me", "tv", "ly", "gl", "gd", "to", "fm"}
    | {"am", "app", "dev", "news", "blog", "online", "site", "xyz", "ai", "ngo"}
)
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_PATH = r"(?:[/?#][^\s<>\"'`]*)?"
_SCHEMED = rf"https?://{_LABEL}(?:\.{_LABEL})*(?::\d{{1,5}})?{_PATH}"
_BARE = (
    rf"(?:{_LABEL}\.)+(?:{'|'.join(sorted(COMMON_TLDS, key=len, reverse=True))})(?![A-Za-z0-9-])(?::\d{{1,5}})?{_PATH}"
)

_TOKENS = re.compile(
    # Not glued to a word, an "@" (e-mail addresses), a dot or a slash (the middle of another address).
    rf"(?<![\w@./:-])(?P<url>{_SCHEMED}|{_BARE})"
    rf"|(?<![\w@./:+-])@(?P<handle>{HANDLE_PATTERN})(?![\w@])",
    re.IGNORECASE,
)
_TRAILING = ".,;:!?'\"*"
# What a URL may hold as typed (RFC 3986); anything else, and a "%" not starting an escape, is percent-encoded.
_NOT_URL = re.compile(r"%(?![0-9A-Fa-f]{2})|[^A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]")
# A host whose last label is a number is an IPv4 address to a browser, also written in hex or octal (0x42, 0102).
_NUMERIC_LABEL = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)", re.IGNORECASE)
_DECIMAL_OCTET = re.compile(r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])")


class Token(NamedTuple):
    kind: str  # "text", "url" or "mention"
    text: str  # what the reader typed
    value: str = ""  # the address to link ("url") or the handle without "@" ("mention")


def _trim_url(url: str) -> str:
    """Drop punctuation that ends the sentence rather than the address, and a ")" that closes the reader's aside."""
    while url:
        closes_aside = url[-1] == ")" and url.count("(") < url.count(")")
        if url[-1] in _TRAILING or closes_aside:
            url = url[:-1]
        else:
            break
    return url


def _href(typed: str) -> str | None:
    """The address to link for what the reader typed: a valid URL, or None for a disguised IP address
    ("http://0x42.0102.7.147/"), which stays text."""
    href = typed if "://" in typed else f"https://{typed}"
    try:
        host = urlsplit(href).hostname or ""
    except ValueError:
        return None
    labels = host.split(".")
    if _NUMERIC_LABEL.fullmatch(labels[-1]) and not (
        len(labels) == 4 and all(_DECIMAL_OCTET.fullmatch(label) for label in labels)
    ):
        return None
    return _NOT_URL.sub(lambda match: quote(match.group(0), safe=""), href)


def tokenize(line: str) -> Iterator[Token]:
    position = 0
    for match in _TOKENS.finditer(line):
        start = match.start()
        if match.group("url"):
            typed = _trim_url(match.group("url"))
            href = _href(typed)
            if href is None:
                continue  # left in the surrounding text
            end = start + len(typed)
            token = Token("url", typed, href)
        else:
            end = match.end()
            token = Token("mention", match.group(0), match.group("handle"))
        if start > position:
            yield Token("text", line[position:start])
        yield token
        position = end
    if position < len(line):
        yield Token("text", line[position:])
