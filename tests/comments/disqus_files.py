"""Build Disqus export files by hand, in the shape Disqus's "Export comments" writes (not with our own writer)."""

from dataclasses import dataclass, field
from xml.sax.saxutils import escape

HEADER = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xsi:schemaLocation="http://disqus.com/api/schemas/1.0/disqus.xsd '
    'http://disqus.com/api/schemas/1.0/internals.xsd">\n'
)


@dataclass
class T:
    """A thread."""

    dsq_id: str
    link: str = ""
    identifier: str = ""
    title: str = "A story"


@dataclass
class P:
    """A post; `parent` and `thread` are dsq:ids."""

    dsq_id: str
    thread: str
    parent: str = ""
    message: str = "<p>Hello.</p>"
    created: str = "2015-03-01T10:00:00Z"
    deleted: bool = False
    spam: bool = False
    name: str = "Alice Reader"
    username: str = "alice"
    email: str = "alice@example.com"
    anonymous: bool = False
    extra: dict = field(default_factory=dict)


def _bool(value: bool) -> str:
    return "true" if value else "false"


def thread_xml(thread: T) -> str:
    return (
        f'  <thread dsq:id="{thread.dsq_id}">\n'
        f"    <id>{escape(thread.identifier)}</id>\n    <forum>oldpaper</forum>\n"
        f'    <category dsq:id="1"/>\n    <link>{escape(thread.link)}</link>\n'
        f"    <title>{escape(thread.title)}</title>\n    <message/>\n"
        "    <createdAt>2015-03-01T09:00:00Z</createdAt>\n"
        "    <author><email>desk@oldpaper.example</email><name>Desk</name><isAnonymous>false</isAnonymous>"
        "<username>desk</username></author>\n"
        "    <ipAddress>127.0.0.1</ipAddress>\n    <isClosed>false</isClosed>\n    <isDeleted>false</isDeleted>\n"
        "  </thread>\n"
    )


def post_xml(post: P) -> str:
    author = f"<email>{escape(post.email)}</email><name>{escape(post.name)}</name>"
    author += f"<isAnonymous>{_bool(post.anonymous)}</isAnonymous>"
    if not post.anonymous:
        author += f"<username>{escape(post.username)}</username>"
    parent = f'\n    <parent dsq:id="{post.parent}"/>' if post.parent else ""
    message = post.message.replace("]]>", "]]]]><![CDATA[>")
    return (
        f'  <post dsq:id="{post.dsq_id}">\n    <id/>\n    <message><![CDATA[{message}]]></message>\n'
        f"    <createdAt>{post.created}</createdAt>\n    <isDeleted>{_bool(post.deleted)}</isDeleted>\n"
        f"    <isSpam>{_bool(post.spam)}</isSpam>\n    <author>{author}</author>\n"
        f'    <ipAddress>127.0.0.1</ipAddress>\n    <thread dsq:id="{post.thread}"/>{parent}\n  </post>\n'
    )


def export_file(threads: list[T], posts: list[P]) -> bytes:
    body = '  <category dsq:id="1">\n    <forum>oldpaper</forum>\n    <title>General</title>\n'
    body += "    <isDefault>true</isDefault>\n  </category>\n"
    body += "".join(thread_xml(t) for t in threads) + "".join(post_xml(p) for p in posts)
    return (HEADER + body + "</disqus>\n").encode()


def write_export(tmp_path, threads: list[T], posts: list[P], name: str = "export.xml"):
    path = tmp_path / name
    path.write_bytes(export_file(threads, posts))
    return path


def minutes(n: int) -> str:
    """A createdAt n minutes after 10:00 on March 1st 2015."""
    return f"2015-03-01T{10 + n // 60:02d}:{n % 60:02d}:00Z"
