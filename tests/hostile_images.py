"""Hostile uploads, made with Pillow (and a few hand-written bytes) when a test runs rather than kept as opaque files.

Each builder returns the file's bytes: a JPEG with script in every EXIF, XMP and IPTC field and its comment; a PNG
with script in tEXt, zTXt and iTXt chunks (one after the image data) and in EXIF; SVGs that run script; a JPEG that
is also an HTML page running script; and a decompression bomb, a few hundred bytes declaring 900 megapixels.
"""

import io
import struct
import zlib

from PIL import ExifTags, Image, PngImagePlugin

__all__ = [
    "SCRIPT",
    "ATTRIBUTE",
    "jpeg_with_script_in_every_field",
    "png_with_script_in_every_chunk",
    "svgs_with_script",
    "jpeg_html_polyglot",
    "png_bomb",
]

SCRIPT = "<script>alert(1)</script>"
ATTRIBUTE = '"><svg onload=alert(1)>'  # breaks out of an attribute a page might copy the field into

# Every text field a camera, phone or photo editor writes: IFD0, the Exif sub-IFD and GPS.
_EXIF_TEXT = [
    ExifTags.Base.ImageDescription,
    ExifTags.Base.Make,
    ExifTags.Base.Model,
    ExifTags.Base.Software,
    ExifTags.Base.Artist,
    ExifTags.Base.Copyright,
    ExifTags.Base.DocumentName,
    ExifTags.Base.HostComputer,
]
_EXIF_WINDOWS = [  # Windows' XP* tags hold UTF-16 text as bytes
    ExifTags.Base.XPTitle,
    ExifTags.Base.XPComment,
    ExifTags.Base.XPAuthor,
    ExifTags.Base.XPKeywords,
    ExifTags.Base.XPSubject,
]
_EXIF_SUB_TEXT = [
    ExifTags.Base.ImageUniqueID,
    ExifTags.Base.CameraOwnerName,
    ExifTags.Base.BodySerialNumber,
    ExifTags.Base.LensMake,
    ExifTags.Base.LensModel,
]
# IPTC IIM record 2: object name, keywords, by-line, city, headline, credit, source, copyright, caption.
_IPTC_DATASETS = [5, 25, 80, 90, 105, 110, 115, 116, 120]


def _exif(text: str) -> Image.Exif:
    exif = Image.Exif()
    for tag in _EXIF_TEXT:
        exif[tag] = text
    for tag in _EXIF_WINDOWS:
        exif[tag] = text.encode("utf-16-le") + b"\0\0"
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    for tag in _EXIF_SUB_TEXT:
        sub[tag] = text
    sub[ExifTags.Base.UserComment] = b"ASCII\0\0\0" + text.encode()
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (51.0, 30.0, 26.0)
    gps[ExifTags.GPS.GPSProcessingMethod] = b"ASCII\0\0\0" + text.encode()
    gps[ExifTags.GPS.GPSAreaInformation] = b"ASCII\0\0\0" + text.encode()
    return exif


def _xmp(text: str) -> bytes:
    """An XMP packet with the text in Dublin Core and Photoshop fields, escaped as XML requires and as CDATA."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"'
        ' xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/">'
        f'<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{escaped}</rdf:li></rdf:Alt></dc:title>'
        f'<dc:description><rdf:Alt><rdf:li xml:lang="x-default"><![CDATA[{text}]]></rdf:li></rdf:Alt></dc:description>'
        f"<dc:creator><rdf:Seq><rdf:li>{escaped}</rdf:li></rdf:Seq></dc:creator>"
        f"<photoshop:Headline>{escaped}</photoshop:Headline>"
        '</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
    ).encode()


def _iptc_segment(text: str) -> bytes:
    """A JPEG APP13 segment: Photoshop's image resource 0x0404 holding IPTC IIM datasets."""
    iim = b"".join(
        b"\x1c\x02" + bytes([n]) + struct.pack(">H", len(text.encode())) + text.encode() for n in _IPTC_DATASETS
    )
    iim += b"\0" * (len(iim) % 2)
    resource = b"8BIM" + struct.pack(">H", 0x0404) + b"\0\0" + struct.pack(">I", len(iim)) + iim
    body = b"Photoshop 3.0\0" + resource
    return b"\xff\xed" + struct.pack(">H", len(body) + 2) + body


def _after_first_segment(jpeg: bytes, segment: bytes) -> bytes:
    """Insert a marker segment after SOI and the first APPn (JFIF wants its APP0 first)."""
    assert jpeg[:2] == b"\xff\xd8" and jpeg[2] == 0xFF
    end = 4 + struct.unpack(">H", jpeg[4:6])[0]
    return jpeg[:end] + segment + jpeg[end:]


def _picture(size: tuple[int, int] = (96, 64)) -> Image.Image:
    return Image.linear_gradient("L").resize(size).convert("RGB")


def jpeg_with_script_in_every_field(text: str = SCRIPT) -> bytes:
    buffer = io.BytesIO()
    _picture().save(buffer, "JPEG", exif=_exif(text), xmp=_xmp(text), comment=text.encode())
    return _after_first_segment(buffer.getvalue(), _iptc_segment(text))


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_with_script_in_every_chunk(text: str = ATTRIBUTE) -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", text)  # tEXt
    info.add_text("Title", text, zip=True)  # zTXt
    info.add_itxt("Description", text, lang="en", tkey="Description")  # iTXt
    info.add_itxt("Author", text, zip=True)  # compressed iTXt
    info.add_text("XML:com.adobe.xmp", _xmp(text).decode())
    buffer = io.BytesIO()
    _picture().save(buffer, "PNG", pnginfo=info, exif=_exif(text))
    png = buffer.getvalue()
    # One more tEXt after the image data, where a reader that stops at IDAT never looks.
    iend = png.rindex(b"IEND") - 4
    return png[:iend] + _png_chunk(b"tEXt", b"Software\0" + text.encode()) + png[iend:]


def svgs_with_script() -> dict[str, bytes]:
    """SVGs that run script when opened as a document, each starting the way real files do."""
    return {
        "onload": b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="9" height="9"/></svg>',
        "script-element": (
            b'<?xml version="1.0" encoding="UTF-8"?>\n'
            b'<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"><script>alert(1)</script></svg>'
        ),
        "doctype-and-comment": (
            b'<?xml version="1.0"?>\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
            b'"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd" [<!ENTITY x "y">]>\n<!-- made by hand -->\n'
            b'<svg xmlns="http://www.w3.org/2000/svg"><image href="x" onerror="alert(1)"/></svg>'
        ),
        "cdata-breakout": b"<svg><desc><![CDATA[</desc><script>alert(1)</script>]]></svg>",
    }


def jpeg_html_polyglot() -> bytes:
    """A valid JPEG that is also an HTML page running script: the markup sits in a comment segment after SOI."""
    buffer = io.BytesIO()
    _picture().save(buffer, "JPEG")
    jpeg = buffer.getvalue()
    html = b"<html><body><script>alert(document.domain)</script><!--"
    return jpeg[:2] + b"\xff\xfe" + struct.pack(">H", len(html) + 2) + html + jpeg[2:]


def png_bomb(width: int = 30_000, height: int = 30_000) -> bytes:
    """A valid PNG header declaring width x height RGB pixels, then a few bytes of compressed zeros."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    body = zlib.compress(bytes(64 * 1024))
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", body) + _png_chunk(b"IEND", b"")
