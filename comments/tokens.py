"""Split one line of a comment into plain text, web addresses and @handles; shared by rendering and mentions."""

import re
from collections.abc import Iterator
from typing import NamedTuple

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


def tokenize(line: str) -> Iterator[Token]:
    position = 0
    for match in _TOKENS.finditer(line):
        start = match.start()
        if match.group("url"):
            typed = _trim_url(match.group("url"))
            href = typed if "://" in typed else f"https://{typed}"
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
