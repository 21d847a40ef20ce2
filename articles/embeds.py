"""The outside services a story may embed, and how: an allow list of address patterns. A story shows each embed as a
link card; videos play in place only when the reader asks (a privacy-enhanced player, allowed by the CSP's
frame-src), posts open at their service. No service's script ever loads on our pages."""

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from django.core.exceptions import ValidationError
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

__all__ = ["Embed", "PROVIDERS", "HELP_TEXT", "FRAME_ORIGINS", "parse", "validate_embed_url"]


@dataclass(frozen=True)
class Embed:
    provider: str  # as readers know it: "YouTube"
    kind: str  # "video" or "post"
    url: str  # the address the editor gave: the card's link
    player: str = ""  # for videos, the player's address, loaded in a frame on the reader's click


def _youtube(url, host, path, query):
    if host in {"youtube.com", "www.youtube.com", "m.youtube.com"}:
        if path == "/watch":
            video = (parse_qs(query).get("v") or [""])[0]
        else:
            video = (re.fullmatch(r"/(?:shorts|embed|live)/([\w-]+)/?", path) or [None, ""])[1]
    elif host == "youtu.be":
        video = path.strip("/")
    else:
        return None
    if not re.fullmatch(r"[\w-]{11}", video or ""):
        return None
    return Embed("YouTube", "video", url, f"https://www.youtube-nocookie.com/embed/{video}?autoplay=1")


def _vimeo(url, host, path, query):
    if host not in {"vimeo.com", "www.vimeo.com"} or not (match := re.fullmatch(r"/(\d+)/?", path)):
        return None
    return Embed("Vimeo", "video", url, f"https://player.vimeo.com/video/{match[1]}?dnt=1&autoplay=1")


def _bluesky(url, host, path, query):
    if host != "bsky.app" or not re.fullmatch(r"/profile/[\w.:-]+/post/\w+/?", path):
        return None
    return Embed("Bluesky", "post", url)


def _mastodon_social(url, host, path, query):
    if host != "mastodon.social" or not re.fullmatch(r"/@\w+/\d+/?", path):
        return None
    return Embed("Mastodon", "post", url)


# The kinds an editor may embed, as the refusal names them, and the parser that recognises each.
PROVIDERS = {
    gettext_noop("YouTube videos (youtube.com/watch?v=…, youtu.be/…)"): _youtube,
    gettext_noop("Vimeo videos (vimeo.com/…)"): _vimeo,
    gettext_noop("Bluesky posts (bsky.app/profile/…/post/…)"): _bluesky,
    gettext_noop("Mastodon posts on mastodon.social"): _mastodon_social,
}


def _kinds() -> str:
    """The kinds, in the active language."""
    return "; ".join(_(kind) for kind in PROVIDERS)


HELP_TEXT = format_lazy(gettext_lazy("The address of one of: {}."), lazy(_kinds, str)())
# What the CSP's frame-src allows: the players above, and nothing else.
FRAME_ORIGINS = ["https://www.youtube-nocookie.com", "https://player.vimeo.com"]


def parse(url: str) -> Embed | None:
    parts = urlsplit(url.strip())
    if parts.scheme != "https":
        return None
    host = (parts.hostname or "").lower()
    for recognise in PROVIDERS.values():
        if embed := recognise(url.strip(), host, parts.path, parts.query):
            return embed
    return None


def validate_embed_url(url: str) -> None:
    if parse(url) is None:
        raise ValidationError(
            _("This address cannot be embedded. Allowed: %(kinds)s. Put other addresses in a text block as a link."),
            params={"kinds": _kinds()},
            code="embed_not_allowed",
        )
