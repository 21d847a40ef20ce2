"""The Disqus export format written: the header and footer, and one element per category, thread and post."""

import re
from datetime import UTC, datetime
from xml.sax.saxutils import escape, quoteattr

from comments.disqus.reader import DSQ, NS, Author

__all__ = ["format_time", "XML_HEADER", "XML_FOOTER", "category_xml", "thread_xml", "post_xml"]

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
