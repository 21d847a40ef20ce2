"""The Disqus export format read as a stream: its threads and posts, in file order, in flat memory."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import BinaryIO
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

__all__ = ["NS", "DSQ", "ExportError", "Author", "Thread", "Post", "read_export"]

NS = "http://disqus.com"
DSQ = "http://disqus.com/disqus-internals"
_DSQ_ID = f"{{{DSQ}}}id"


class ExportError(Exception):
    """The file cannot be read as a Disqus export; the message says why, for the person running the import."""


@dataclass(frozen=True, slots=True)
class Author:
    name: str
    username: str
    email: str
    anonymous: bool


@dataclass(slots=True)
class Thread:
    dsq_id: str
    identifier: str
    link: str
    title: str


@dataclass(slots=True)
class Post:
    dsq_id: str
    thread_id: str
    parent_id: str
    created_at: datetime
    deleted: bool
    spam: bool
    approved: bool
    author: Author
    message: str  # HTML, as Disqus stores it


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _namespace(tag: str) -> str:
    return tag[1:].partition("}")[0] if tag.startswith("{") else ""


def _child(element: Element, name: str) -> Element | None:
    for child in element:
        if _local(child.tag) == name:
            return child
    return None


def _text(element: Element, name: str) -> str:
    child = _child(element, name)
    return (child.text or "").strip() if child is not None else ""


def _ref(element: Element, name: str) -> str:
    """The dsq:id a <thread> or <parent> reference carries ("" when absent)."""
    child = _child(element, name)
    if child is None:
        return ""
    return (child.get(_DSQ_ID) or child.get("id") or "").strip()


def _flag(element: Element, name: str, default: bool = False) -> bool:
    value = _text(element, name).lower()
    return value in ("true", "1") if value else default


def _dsq_id(element: Element) -> str:
    return (element.get(_DSQ_ID) or "").strip()


def _time(value: str, where: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ExportError(f"{where}: createdAt {value!r} is not a date and time; nothing was imported.") from None
    # Disqus writes UTC; its own example omits the "Z".
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _author(element: Element) -> Author:
    author = _child(element, "author")
    if author is None:
        return Author(name="", username="", email="", anonymous=True)
    username = _text(author, "username")
    return Author(
        name=_text(author, "name"),
        username=username,
        email=_text(author, "email"),
        # A username longer than any platform allows is no identity to keep an account under.
        anonymous=_flag(author, "isAnonymous") or not username or len(username) > 255,
    )


def _thread(element: Element) -> Thread:
    return Thread(
        dsq_id=_dsq_id(element),
        identifier=_text(element, "id"),
        link=_text(element, "link"),
        title=_text(element, "title"),
    )


def _post(element: Element) -> Post:
    dsq_id = _dsq_id(element)
    message = _child(element, "message")
    return Post(
        dsq_id=dsq_id,
        thread_id=_ref(element, "thread"),
        parent_id=_ref(element, "parent"),
        created_at=_time(_text(element, "createdAt"), f"post {dsq_id or '(without dsq:id)'}"),
        deleted=_flag(element, "isDeleted"),
        spam=_flag(element, "isSpam"),
        # Not in Disqus's published example; our own export writes it for comments waiting for moderation.
        approved=_flag(element, "isApproved", default=True),
        author=_author(element),
        message=(message.text or "") if message is not None else "",
    )


def read_export(source: BinaryIO) -> Iterator[Thread | Post]:
    """Threads and posts in file order, streamed: each top-level element is dropped once read, so memory stays
    flat however large the file. Raises ExportError for a file that is not XML, not a Disqus export, truncated,
    or that declares a DTD or entities (which Disqus never writes: refusing them stops entity-expansion bombs)."""
    depth = 0
    root: Element | None = None
    try:
        for event, element in iterparse(source, events=("start", "end"), forbid_dtd=True):
            if event == "start":
                depth += 1
                if depth == 1:
                    if _local(element.tag) != "disqus" or _namespace(element.tag) not in (NS, ""):
                        raise ExportError(
                            f"This is not a Disqus export: its root element is <{_local(element.tag)}>, "
                            "not <disqus>. Nothing was imported."
                        )
                    root = element
                continue
            depth -= 1
            if depth == 1:
                kind = _local(element.tag)
                if kind == "thread":
                    yield _thread(element)
                elif kind == "post":
                    yield _post(element)
                root.clear()
    except ParseError as error:
        raise ExportError(
            f"The file is not complete, well-formed XML ({error}): is it truncated, or not an export at all? "
            "Nothing was imported."
        ) from None
    except DefusedXmlException as error:
        raise ExportError(
            f"The file declares a DTD or entities ({type(error).__name__}), which Disqus exports never do; it is "
            "refused as a possible entity-expansion attack. Nothing was imported."
        ) from None
    if root is None:
        raise ExportError("The file is empty. Nothing was imported.")
