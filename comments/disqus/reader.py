"""The Disqus export format: read it as a stream, reduce message HTML to our plain text, plan trees, write it."""

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import unescape
from html.parser import HTMLParser
from typing import BinaryIO, NamedTuple
from urllib.parse import urlsplit
from xml.etree.ElementTree import Element, ParseError
from xml.sax.saxutils import escape, quoteattr

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from comments.text import clean_text

__all__ = [
    "NS",
    "DSQ",
    "ExportError",
    "Author",
    "Thread",
    "Post",
    "read_export",
    "html_to_text",
    "format_time",
    "XML_HEADER",
    "XML_FOOTER",
    "category_xml",
    "thread_xml",
    "post_xml",
    "Entry",
    "StoryPlan",
    "plan_story",
]

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


# ------------------------------------------------------------------------------
# Reading
# ------------------------------------------------------------------------------
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


# ------------------------------------------------------------------------------
# Message HTML -> our plain text
# ------------------------------------------------------------------------------
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


# ------------------------------------------------------------------------------
# Writing
# ------------------------------------------------------------------------------
# Characters XML 1.0 cannot carry at all, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")

XML_HEADER = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    f'<disqus xmlns="{NS}" xmlns:dsq="{DSQ}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xsi:schemaLocation="http://disqus.com/api/schemas/1.0/disqus.xsd '
    'http://disqus.com/api/schemas/1.0/internals.xsd">\n'
)
XML_FOOTER = "</disqus>\n"


def _x(value: str) -> str:
    return escape(_NOT_XML.sub("", value))


def _attr(value: str) -> str:
    return quoteattr(_NOT_XML.sub("", value))


def _bool(value: bool) -> str:
    return "true" if value else "false"


def format_time(moment: datetime) -> str:
    """createdAt as Disqus writes it: UTC, to the second, with a Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def category_xml(*, dsq_id: str, forum: str, title: str, is_default: bool = False) -> str:
    return (
        f"<category dsq:id={_attr(dsq_id)}><forum>{_x(forum)}</forum><title>{_x(title)}</title>"
        f"<isDefault>{_bool(is_default)}</isDefault></category>\n"
    )


def _author_xml(author: Author) -> str:
    username = "" if author.anonymous else f"<username>{_x(author.username)}</username>"
    email = f"<email>{_x(author.email)}</email>" if author.email else ""
    return (
        f"<author>{email}<name>{_x(author.name)}</name><isAnonymous>{_bool(author.anonymous)}</isAnonymous>"
        f"{username}</author>"
    )


def thread_xml(
    *, dsq_id: str, identifier: str, forum: str, category_id: str, link: str, title: str, created_at: datetime,
    closed: bool, author: Author,
) -> str:  # fmt: skip
    return (
        f"<thread dsq:id={_attr(dsq_id)}><id>{_x(identifier)}</id><forum>{_x(forum)}</forum>"
        f"<category dsq:id={_attr(category_id)}/><link>{_x(link)}</link><title>{_x(title)}</title>"
        f"<message></message><createdAt>{format_time(created_at)}</createdAt>{_author_xml(author)}"
        f"<isClosed>{_bool(closed)}</isClosed><isDeleted>false</isDeleted></thread>\n"
    )


def post_xml(
    *, dsq_id: str, thread_id: str, parent_id: str, message: str, created_at: datetime, deleted: bool, spam: bool,
    approved: bool, author: Author,
) -> str:  # fmt: skip
    parent = f"<parent dsq:id={_attr(parent_id)}/>" if parent_id else ""
    pending = "" if approved else "<isApproved>false</isApproved>"
    return (
        f"<post dsq:id={_attr(dsq_id)}><id></id><message>{_x(message)}</message>"
        f"<createdAt>{format_time(created_at)}</createdAt><isDeleted>{_bool(deleted)}</isDeleted>"
        f"<isSpam>{_bool(spam)}</isSpam>{pending}{_author_xml(author)}<thread dsq:id={_attr(thread_id)}/>{parent}"
        "</post>\n"
    )


# ------------------------------------------------------------------------------
# Planning one story's trees
# ------------------------------------------------------------------------------
class Entry(NamedTuple):
    """One post as the importer keeps it between reading and writing: the message already reduced to text."""

    seq: int  # position in the file
    dsq_id: str
    parent_id: str
    created_at: datetime
    deleted: bool
    spam: bool
    approved: bool
    author: Author
    body: str


# What an imported post becomes (the values of Comment.Status).
VISIBLE, PENDING, DELETED, REMOVED = "visible", "pending", "deleted", "removed"


@dataclass
class StoryPlan:
    """The posts of one story to write, as forests: `roots` start new trees, `attached` answer comments already
    on the site (`existing[dsq_id]` is that comment's pk), `children` in time order; `status` per post kept."""

    roots: list[str] = field(default_factory=list)
    attached: list[str] = field(default_factory=list)
    existing: dict[str, int] = field(default_factory=dict)
    children: dict[str, list[str]] = field(default_factory=dict)
    entries: dict[str, Entry] = field(default_factory=dict)
    status: dict[str, str] = field(default_factory=dict)
    skipped_spam: int = 0
    skipped_deleted: int = 0
    skipped_empty: int = 0
    broken_parents: int = 0

    def generations(self) -> Iterator[list[str]]:
        """Kept posts, parents before children: each list only answers posts of the lists before it (or comments
        already on the site), so each can be inserted in one statement once the previous ones have their ids."""
        level = self.roots + self.attached
        while level:
            yield level
            level = [child for node in level for child in self.children.get(node, ())]


def plan_story(entries: Sequence[Entry], existing_parents: Mapping[str, int]) -> StoryPlan:
    """Decide what of a story's new posts is written and where, whatever order the file had them in.

    A reply whose parent is missing (not in the file, in another story, itself, or in a loop of replies) becomes a
    top-level comment and counts as a broken parent link. Deleted and spam posts are kept only to hold replies
    that are kept: a deleted one as a "deleted" tombstone, spam as "removed" (hidden, reviewable); without such
    replies they are skipped. A post that is empty once reduced to text is treated as deleted.
    """
    plan = StoryPlan(entries={entry.dsq_id: entry for entry in entries})
    by_id = plan.entries
    parent_of: dict[str, str] = {}
    for entry in by_id.values():
        parent = entry.parent_id
        if not parent:
            continue
        if parent in by_id and parent != entry.dsq_id:
            parent_of[entry.dsq_id] = parent
        elif parent in existing_parents:
            plan.existing[entry.dsq_id] = existing_parents[parent]
        else:
            plan.broken_parents += 1

    def order(dsq_id: str) -> tuple[datetime, int]:
        return by_id[dsq_id].created_at, by_id[dsq_id].seq

    # A loop of replies has no way up to a top-level comment: cut it at its oldest post.
    state: dict[str, int] = {}  # 1: on the path being walked, 2: known to reach a root
    for start in by_id:
        path: list[str] = []
        node = start
        while node in parent_of and node not in state:
            state[node] = 1
            path.append(node)
            node = parent_of[node]
        if state.get(node) == 1:
            cut = min(path[path.index(node) :], key=order)
            del parent_of[cut]
            plan.broken_parents += 1
        for walked in path:
            state[walked] = 2

    children: dict[str, list[str]] = {}
    for child, parent in parent_of.items():
        children.setdefault(parent, []).append(child)
    for siblings in children.values():
        siblings.sort(key=order)
    tops = sorted((d for d in by_id if d not in parent_of), key=order)

    # Depth-first preorder, then decide bottom-up whether each post is kept.
    preorder: list[str] = []
    stack = list(reversed(tops))
    while stack:
        node = stack.pop()
        preorder.append(node)
        stack.extend(reversed(children.get(node, ())))
    kept: set[str] = set()
    for node in reversed(preorder):
        entry = by_id[node]
        holds_replies = any(child in kept for child in children.get(node, ()))
        if entry.deleted or (not entry.body and not entry.spam):
            if holds_replies:
                plan.status[node] = DELETED
            elif entry.deleted:
                plan.skipped_deleted += 1
            else:
                plan.skipped_empty += 1
        elif entry.spam:
            if holds_replies:
                plan.status[node] = REMOVED
            else:
                plan.skipped_spam += 1
        else:
            plan.status[node] = VISIBLE if entry.approved else PENDING
        if node in plan.status:
            kept.add(node)

    plan.children = {
        parent: [child for child in siblings if child in kept]
        for parent, siblings in children.items()
        if parent in kept
    }
    plan.roots = [d for d in tops if d in kept and d not in plan.existing]
    plan.attached = [d for d in tops if d in kept and d in plan.existing]
    return plan
