"""Tests for the image upload pipeline: what is refused, what metadata survives, and the renditions cut."""

import io
import json
import struct

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image, ImageCms, ImageFile, ImageStat, IptcImagePlugin, PngImagePlugin

from articles.images import clean_upload, make_renditions
from tests.corpora import naughty_strings, xss_payloads
from tests.hostile_images import (
    ATTRIBUTE,
    SCRIPT,
    jpeg_html_polyglot,
    jpeg_with_script_in_every_field,
    png_bomb,
    png_with_script_in_every_chunk,
    svgs_with_script,
)

MB = 1024 * 1024
LIMITS = {"max_bytes": 15 * MB, "max_pixels": 40_000_000}

# Metadata keys Pillow reports when a file still carries EXIF, XMP, ICC, comments or PNG text chunks.
METADATA_KEYS = {"exif", "xmp", "XML:com.adobe.xmp", "icc_profile", "comment", "photoshop", "Comment", "Software"}


def encode(im: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    im.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def decode(content: bytes) -> Image.Image:
    im = Image.open(io.BytesIO(content))
    im.load()  # PNG text chunks after the image data only show up once it is loaded
    return im


def halves(size: tuple[int, int], left: str = "red", right: str = "blue", mode: str = "RGB") -> Image.Image:
    im = Image.new(mode, size, left)
    im.paste(Image.new(mode, (size[0] - size[0] // 2, size[1]), right), (size[0] // 2, 0))
    return im


def noise_jpeg(size: tuple[int, int] = (200, 200)) -> bytes:
    # Noise keeps the entropy-coded data long, so cutting the file really loses pixels.
    return encode(Image.effect_noise(size, 64).convert("RGB"), "JPEG", quality=95)


def refusal(content: bytes, **limits: int) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        clean_upload(io.BytesIO(content), **{**LIMITS, **limits})
    return caught.value


def metadata_left(im: Image.Image) -> set[str]:
    text_chunks = set(getattr(im, "text", {}))
    return METADATA_KEYS & set(im.info) | text_chunks | ({"exif"} if im.getexif() else set())


# --------------------------------------------------------------------------------------------------------------------
# Hostile files (tests/hostile_images.py builds them; the text ones are the corpora of tests/corpora.py)
# --------------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(svgs_with_script()))
def test_svg_that_runs_script_is_refused_saying_svg_is_not_accepted(name):
    error = refusal(svgs_with_script()[name])

    assert error.code == "svg_not_accepted"
    assert error.messages[0].startswith("SVG images are not accepted")


def test_the_xss_corpus_as_a_file_is_text_not_an_svg():
    text = "\n".join(xss_payloads()).encode()
    # Starts with "<script" and mentions "<svg" further down: text, not an SVG.
    assert text.startswith(b"<script") and b"<svg" in text

    assert refusal(text).code == "not_an_image"


def test_the_naughty_strings_as_a_file_are_not_an_image():
    assert refusal(json.dumps(naughty_strings()).encode()).code == "not_an_image"


def iptc(im: Image.Image) -> dict:
    return IptcImagePlugin.getiptcinfo(im) or {}


def exif_values(im: Image.Image) -> list:
    exif = im.getexif()
    return [*exif.values(), *exif.get_ifd(ExifTags.IFD.Exif).values(), *exif.get_ifd(ExifTags.IFD.GPSInfo).values()]


def test_script_in_every_jpeg_metadata_field_is_stripped():
    original = jpeg_with_script_in_every_field()
    im = decode(original)
    # The script really is in each place a photo carries text: EXIF (IFD0, Exif, GPS, Windows' UTF-16 tags),
    # XMP, IPTC and the JPEG comment.
    script = SCRIPT.encode()
    values = [v if isinstance(v, bytes) else str(v).encode() for v in exif_values(im)]
    assert sum(script in v for v in values) == 16  # 8 in IFD0, 6 in the Exif IFD, 2 in GPS
    assert sum(SCRIPT.encode("utf-16-le") in v for v in values) == 5  # Windows' XP* tags
    assert b"&lt;script&gt;" in im.info["xmp"] and script in im.info["xmp"]
    assert list(iptc(im).values()) == [script] * 9
    assert im.info["comment"] == script

    clean = clean_upload(io.BytesIO(original), **LIMITS)

    assert clean.format == "JPEG"
    assert b"alert(" not in clean.content and "alert(".encode("utf-16-le") not in clean.content
    out = decode(clean.content)
    assert (out.format, out.size) == ("JPEG", (clean.width, clean.height))
    assert metadata_left(out) == set()
    assert iptc(out) == {}


def test_script_in_every_png_text_chunk_and_exif_is_stripped():
    original = png_with_script_in_every_chunk()
    im = decode(original)
    # tEXt, zTXt, iTXt (plain and compressed), XMP, and the tEXt chunk after the image data; EXIF too.
    assert im.text == dict.fromkeys(("Comment", "Title", "Description", "Author", "Software"), ATTRIBUTE) | {
        "XML:com.adobe.xmp": im.text["XML:com.adobe.xmp"]
    }
    assert original.index(b"Software\0") > original.index(b"IDAT")
    assert ATTRIBUTE in exif_values(im)

    clean = clean_upload(io.BytesIO(original), **LIMITS)

    assert clean.format == "PNG"
    assert b"alert(" not in clean.content and b"onload" not in clean.content
    out = decode(clean.content)
    assert (out.format, out.size) == ("PNG", (clean.width, clean.height))
    assert metadata_left(out) == set()
    assert out.text == {}


def test_jpeg_html_polyglot_is_kept_as_pixels_only():
    polyglot = jpeg_html_polyglot()
    # Both at once: Pillow decodes it as a JPEG, and its bytes hold a whole script element for an HTML parser.
    assert decode(polyglot).format == "JPEG"
    assert b"<html><body><script>alert(document.domain)</script>" in polyglot

    clean = clean_upload(io.BytesIO(polyglot), **LIMITS)

    assert (clean.format, clean.width, clean.height) == ("JPEG", 96, 64)
    assert b"<script" not in clean.content and b"<html" not in clean.content
    assert metadata_left(decode(clean.content)) == set()


# --------------------------------------------------------------------------------------------------------------------
# Refusals
# --------------------------------------------------------------------------------------------------------------------


def test_decompression_bomb_is_refused_from_its_header_without_decoding(monkeypatch):
    bomb = png_bomb(30_000, 30_000)
    assert len(bomb) < 1024

    def decode_pixels(im):
        raise AssertionError("decoded the pixels of a 900-megapixel image (2.7 GB) before refusing it")

    monkeypatch.setattr(ImageFile.ImageFile, "load", decode_pixels)
    error = refusal(bomb, max_pixels=40_000_000)

    assert error.code == "too_many_pixels"
    assert error.messages == ["The image is 30000 x 30000 pixels; the limit is 40 megapixels."]


def gif_with_oversized_frame(screen: tuple[int, int], frame: tuple[int, int]) -> bytes:
    """A GIF whose header is small but whose first frame claims to be huge: Pillow grows the image as it parses."""
    header = b"GIF89a" + struct.pack("<HHBBB", *screen, 0, 0, 0)
    return header + b"," + struct.pack("<HHHHB", 0, 0, *frame, 0) + b"\x02\x00;"


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        ((7_000, 7_000), "The image is 7000 x 7000 pixels; the limit is 40 megapixels."),
        # Past Pillow's own limit, Pillow stops it while parsing, before any size is known.
        ((30_000, 30_000), "The image is larger than the limit of 40 megapixels."),
    ],
)
def test_gif_frame_larger_than_its_header_is_refused(frame, message):
    error = refusal(gif_with_oversized_frame((10, 10), frame), max_pixels=40_000_000)

    assert (error.code, error.messages) == ("too_many_pixels", [message])


def test_image_just_over_the_pixel_limit_is_refused():
    error = refusal(encode(Image.new("RGB", (101, 100)), "PNG"), max_pixels=10_000)

    assert error.code == "too_many_pixels"
    assert error.messages == ["The image is 101 x 100 pixels; the limit is 0.01 megapixels."]


def test_image_exactly_at_the_pixel_limit_is_accepted():
    clean = clean_upload(io.BytesIO(encode(Image.new("RGB", (100, 100)), "PNG")), max_bytes=MB, max_pixels=10_000)

    assert (clean.width, clean.height) == (100, 100)


@pytest.mark.parametrize(
    ("fmt", "mode"),
    [("BMP", "RGB"), ("TIFF", "RGB"), ("ICO", "RGBA"), ("PPM", "RGB"), ("PCX", "RGB")],
)
def test_other_image_formats_are_refused_by_name(fmt, mode):
    error = refusal(encode(Image.new(mode, (32, 32), "green"), fmt))

    assert error.code == "unsupported_format"
    assert error.messages == [f"Only JPEG, PNG, WebP and GIF images are accepted; this file is {fmt}."]


def test_format_is_sniffed_from_content_not_the_file_name():
    upload = SimpleUploadedFile("holiday.jpg", encode(Image.new("RGB", (8, 8)), "BMP"), content_type="image/jpeg")

    with pytest.raises(ValidationError) as caught:
        clean_upload(upload, **LIMITS)

    assert caught.value.code == "unsupported_format"


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(noise_jpeg()[:3000], id="truncated-jpeg"),
        pytest.param(encode(Image.effect_noise((200, 200), 64), "PNG")[:5000], id="truncated-png"),
        pytest.param(encode(Image.new("RGB", (50, 50)), "WEBP")[:40], id="truncated-webp"),
    ],
)
def test_damaged_images_are_refused(content):
    error = refusal(content)

    assert error.code in {"corrupt_image", "not_an_image"}
    assert "could not be read" in error.messages[0] or "not an image" in error.messages[0]


def test_truncated_jpeg_is_refused_as_damaged():
    error = refusal(noise_jpeg()[:3000])

    assert error.code == "corrupt_image"
    assert error.messages[0].startswith("This image could not be read; it may be damaged")


@pytest.mark.parametrize(
    "content",
    [b"<html><body><img src=x onerror=alert(1)></body></html>", b"just some text\n", b"\x89PNG\r\n\x1a\n"],
)
def test_non_images_are_refused(content):
    assert refusal(content).code == "not_an_image"


def test_empty_file_is_refused():
    assert refusal(b"").messages == ["The file is empty."]


def test_oversize_file_is_refused_with_both_sizes():
    error = refusal(bytes(int(23.1 * MB)), max_bytes=15 * MB)

    assert error.code == "file_too_large"
    assert error.messages == ["The file is 23.1 MB; the limit is 15 MB."]


def test_oversize_check_does_not_trust_the_reported_size():
    upload = SimpleUploadedFile("small.jpg", noise_jpeg())
    upload.size = 10

    with pytest.raises(ValidationError) as caught:
        clean_upload(upload, max_bytes=1000, max_pixels=LIMITS["max_pixels"])

    assert caught.value.code == "file_too_large"


def test_django_uploaded_file_is_accepted():
    upload = SimpleUploadedFile("photo.jpg", noise_jpeg(), content_type="image/jpeg")

    clean = clean_upload(upload, **LIMITS)

    assert (clean.format, clean.extension, clean.width, clean.height) == ("JPEG", "jpg", 200, 200)


# --------------------------------------------------------------------------------------------------------------------
# Re-encoding
# --------------------------------------------------------------------------------------------------------------------


def test_exif_orientation_is_applied_then_dropped():
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # "rotate 90 degrees clockwise to display"
    photo = encode(halves((400, 200), "red", "blue"), "JPEG", exif=exif)

    clean = clean_upload(io.BytesIO(photo), **LIMITS)

    im = decode(clean.content)
    assert (clean.width, clean.height) == im.size == (200, 400)
    # Turning clockwise brings the left (red) half to the top.
    assert im.getpixel((100, 50))[0] > 200
    assert im.getpixel((100, 350))[2] > 200
    assert not im.getexif()
    assert b"Exif" not in clean.content


def make_gps_exif() -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "SecretCam"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (51.0, 30.0, 26.0)
    return exif


def png_with_everything() -> bytes:
    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", "tEXt-marker")
    text.add_itxt("Description", "iTXt-marker", zip=True)
    text.add_text("XML:com.adobe.xmp", "xmp-marker")
    return encode(
        Image.new("RGB", (64, 64), "teal"),
        "PNG",
        pnginfo=text,
        exif=make_gps_exif(),
        icc_profile=ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes(),
    )


@pytest.mark.parametrize(
    ("content", "markers"),
    [
        pytest.param(
            encode(
                Image.new("RGB", (64, 64), "teal"),
                "JPEG",
                exif=make_gps_exif(),
                comment=b"comment-marker",
                xmp=b"<x:xmpmeta>xmp-marker</x:xmpmeta>",
            ),
            [b"SecretCam", b"comment-marker", b"xmp-marker"],
            id="jpeg",
        ),
        # The ICC profile and the iTXt chunk are compressed, so they are checked through Pillow instead.
        pytest.param(png_with_everything(), [b"SecretCam", b"tEXt-marker", b"xmp-marker"], id="png"),
        pytest.param(
            encode(
                Image.new("RGB", (64, 64), "teal"),
                "WEBP",
                exif=make_gps_exif(),
                xmp=b"<x:xmpmeta>xmp-marker</x:xmpmeta>",
            ),
            [b"SecretCam", b"xmp-marker"],
            id="webp",
        ),
        pytest.param(
            encode(Image.new("P", (64, 64), 3), "GIF", comment=b"comment-marker"), [b"comment-marker"], id="gif"
        ),
    ],
)
def test_all_metadata_is_stripped_in_every_format(content, markers):
    assert all(marker in content for marker in markers)
    assert metadata_left(decode(content))

    clean = clean_upload(io.BytesIO(content), **LIMITS)

    assert [marker for marker in markers if marker in clean.content] == []
    im = decode(clean.content)
    assert metadata_left(im) == set()
    assert ExifTags.IFD.GPSInfo not in im.getexif()


@pytest.mark.parametrize(
    ("fmt", "mode", "extension"),
    [("JPEG", "RGB", "jpg"), ("PNG", "RGB", "png"), ("WEBP", "RGB", "webp"), ("GIF", "P", "gif")],
)
def test_format_is_kept(fmt, mode, extension):
    clean = clean_upload(io.BytesIO(encode(Image.new(mode, (30, 20)), fmt)), **LIMITS)

    assert (clean.format, clean.extension, clean.width, clean.height) == (fmt, extension, 30, 20)
    assert decode(clean.content).format == fmt


def test_multi_picture_jpeg_from_a_phone_is_kept_as_a_plain_jpeg():
    frames = [Image.new("RGB", (30, 20), "red"), Image.new("RGB", (30, 20), "blue")]
    mpo = encode(frames[0], "MPO", save_all=True, append_images=frames[1:])

    clean = clean_upload(io.BytesIO(mpo), **LIMITS)

    out = decode(clean.content)
    assert (clean.format, clean.extension, out.format, getattr(out, "n_frames", 1)) == ("JPEG", "jpg", "JPEG", 1)


def test_jpeg_renditions_are_progressive_and_the_master_is_plain():
    clean = clean_upload(io.BytesIO(noise_jpeg()), **LIMITS)

    assert not decode(clean.content).info.get("progressive")  # written by the upload request: quick to encode
    rendition = next(r for r in make_renditions(clean.content) if r.format == "JPEG")
    assert decode(rendition.content).info.get("progressive")  # what readers are sent


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_alpha_is_kept(fmt):
    im = Image.new("RGBA", (20, 20), (255, 0, 0, 255))
    im.paste((0, 0, 0, 0), (0, 0, 10, 20))

    clean = clean_upload(io.BytesIO(encode(im, fmt)), **LIMITS)

    out = decode(clean.content)
    assert (out.format, out.mode) == (fmt, "RGBA")
    assert out.getpixel((2, 2))[3] == 0
    red, green, blue, alpha = out.getpixel((15, 2))
    assert (alpha, red > 250, green < 5, blue < 5) == (255, True, True, True)  # WebP is lossy


def test_palette_png_keeps_its_palette_and_transparent_index():
    im = Image.new("P", (10, 10), 1)
    im.putpalette([0, 0, 0, 255, 0, 0])
    im.putpixel((0, 0), 0)

    out = decode(clean_upload(io.BytesIO(encode(im, "PNG", transparency=0)), **LIMITS).content)

    rgba = out.convert("RGBA")
    assert rgba.getpixel((0, 0))[3] == 0
    assert rgba.getpixel((5, 5)) == (255, 0, 0, 255)


def test_animated_gif_keeps_only_its_first_frame():
    frames = [Image.new("RGB", (16, 16), colour) for colour in ("red", "green", "blue")]
    gif = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    assert Image.open(io.BytesIO(gif)).n_frames == 3

    out = decode(clean_upload(io.BytesIO(gif), **LIMITS).content)

    assert (out.format, getattr(out, "n_frames", 1)) == ("GIF", 1)
    assert out.convert("RGB").getpixel((8, 8)) == (255, 0, 0)


def test_cmyk_jpeg_becomes_rgb():
    clean = clean_upload(io.BytesIO(encode(Image.new("CMYK", (20, 20), (0, 255, 255, 0)), "JPEG")), **LIMITS)

    out = decode(clean.content)
    assert (out.format, out.mode) == ("JPEG", "RGB")
    red, green, blue = out.getpixel((10, 10))
    assert red > 200 and green < 60 and blue < 60


def test_sixteen_bit_greyscale_is_scaled_not_clipped():
    im = Image.new("I;16", (4, 4), 32768)

    out = decode(clean_upload(io.BytesIO(encode(im, "PNG")), **LIMITS).content)

    assert out.mode == "L"
    assert out.getpixel((0, 0)) == 128


# --------------------------------------------------------------------------------------------------------------------
# Renditions
# --------------------------------------------------------------------------------------------------------------------


def renditions_of(im: Image.Image, fmt: str = "PNG", **options: object):
    return make_renditions(encode(im, fmt), **options)


def full_sizes(renditions, fmt: str) -> list[tuple[int, int]]:
    return [(r.width, r.height) for r in renditions if r.crop == "full" and r.format == fmt]


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        ((2000, 1000), [(480, 240), (800, 400), (1200, 600), (1600, 800)]),
        ((1600, 900), [(480, 270), (800, 450), (1200, 675), (1600, 900)]),
        ((1000, 500), [(480, 240), (800, 400)]),
        ((300, 200), [(300, 200)]),  # smaller than the smallest width: its own size, never upscaled
    ],
)
def test_full_renditions_cover_each_width_up_to_the_image(size, expected):
    renditions = renditions_of(Image.new("RGB", size, "grey"))

    assert full_sizes(renditions, "WEBP") == expected
    assert full_sizes(renditions, "JPEG") == expected


def test_every_rendition_decodes_to_its_declared_format_and_size():
    for rendition in renditions_of(Image.new("RGB", (1700, 1100), "grey")):
        im = decode(rendition.content)
        assert (im.format, im.size) == (rendition.format, (rendition.width, rendition.height)), rendition.crop


def test_card_crops_have_their_aspect_ratio_at_1200_wide():
    renditions = renditions_of(Image.new("RGB", (3000, 2000), "grey"))

    cards = {r.crop: (r.format, r.width, r.height) for r in renditions if r.crop != "full"}
    assert cards == {"16x9": ("JPEG", 1200, 675), "4x3": ("JPEG", 1200, 900), "1x1": ("JPEG", 1200, 1200)}


@pytest.mark.parametrize(
    ("source", "crop", "size"),
    [
        ((900, 600), "16x9", (900, 506)),
        ((900, 600), "4x3", (800, 600)),
        ((900, 600), "1x1", (600, 600)),
        ((300, 1000), "16x9", (300, 169)),
    ],
)
def test_card_crops_of_small_images_are_not_upscaled(source, crop, size):
    [card] = [r for r in renditions_of(Image.new("RGB", source, "grey")) if r.crop == crop]

    assert (card.width, card.height) == size


@pytest.mark.parametrize(
    ("focal_x", "colour_channel"),
    [(0.1, 0), (0.9, 2)],  # red on the left, blue on the right
)
def test_focal_point_moves_the_crop_window(focal_x, colour_channel):
    renditions = renditions_of(halves((2000, 1000), "red", "blue"), focal_x=focal_x)

    [square] = [r for r in renditions if r.crop == "1x1"]
    mean = ImageStat.Stat(decode(square.content)).mean
    assert mean[colour_channel] > 200
    assert mean[2 - colour_channel] < 40


def test_focal_point_on_the_vertical_axis():
    im = Image.new("RGB", (1000, 2000), "red")
    im.paste("blue", (0, 1000, 1000, 2000))

    [top] = [r for r in renditions_of(im, focal_y=0.0) if r.crop == "16x9"]
    [bottom] = [r for r in renditions_of(im, focal_y=1.0) if r.crop == "16x9"]

    assert ImageStat.Stat(decode(top.content)).mean[0] > 200
    assert ImageStat.Stat(decode(bottom.content)).mean[2] > 200


def test_jpeg_renditions_flatten_alpha_on_white_and_webp_keeps_it():
    im = Image.new("RGBA", (600, 400), (0, 0, 0, 0))

    renditions = renditions_of(im)

    for rendition in renditions:
        out = decode(rendition.content)
        if rendition.format == "JPEG":
            assert out.mode == "RGB"
            assert min(out.getpixel((10, 10))) > 245
        else:
            assert out.getpixel((10, 10))[3] == 0


@pytest.mark.parametrize("fmt", ["GIF", "JPEG", "WEBP"])
def test_renditions_of_other_clean_formats(fmt):
    source = Image.new("P" if fmt == "GIF" else "RGB", (500, 300))

    renditions = renditions_of(source, fmt)

    assert {r.crop for r in renditions} == {"full", "16x9", "4x3", "1x1"}
    assert full_sizes(renditions, "JPEG") == [(480, 288)]


def test_renditions_of_a_cleaned_upload_carry_no_metadata():
    clean = clean_upload(io.BytesIO(jpeg_with_script_in_every_field()), **LIMITS)

    for rendition in make_renditions(clean.content):
        assert b"alert(" not in rendition.content
        assert metadata_left(decode(rendition.content)) == set()


@pytest.mark.parametrize(("focal_x", "focal_y"), [(-0.1, 0.5), (0.5, 1.5), (float("nan"), 0.5)])
def test_focal_point_outside_the_image_is_a_programming_error(focal_x, focal_y):
    with pytest.raises(ValueError, match="focal point"):
        renditions_of(Image.new("RGB", (10, 10)), focal_x=focal_x, focal_y=focal_y)
