"""The rules for readers' names and handles, in one place: the sign-up and settings forms and the importer's
accounts follow them. Pure functions, no database."""

import unicodedata

from django.conf import settings

__all__ = [
    "RESERVED_HANDLES",
    "has_refused_characters",
    "is_reserved_handle",
    "name_skeleton",
    "one_line",
    "without_refused_characters",
]

# Names a reader may not take: the site's own roles and accounts, and words that would pass for staff.
RESERVED_HANDLES = frozenset(
    {
        "admin",
        "administrator",
        "anonymous",
        "deleted",
        "editor",
        "editors",
        "help",
        "mod",
        "moderator",
        "moderators",
        "newsroom",
        "root",
        "staff",
        "support",
        "system",
        "thenewsroom",
        "webmaster",
    }
)


# Unicode categories a name may not hold: controls (a newline would break the headers of the mail that carries the
# name), format characters (bidi overrides, zero-width joiners and spaces), line and paragraph separators, private
# use, surrogates and unassigned code points.
REFUSED_IN_NAMES = frozenset({"Cc", "Cf", "Zl", "Zp", "Co", "Cs", "Cn"})


def name_skeleton(name: str) -> str:
    """What a name looks like to a reader, for telling look-alikes apart: letters and digits, case folded."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", name).casefold() if ch.isalnum())


def has_refused_characters(name: str) -> bool:
    return any(unicodedata.category(ch) in REFUSED_IN_NAMES for ch in name)


def without_refused_characters(name: str) -> str:
    """A name from elsewhere (an import) made safe to show: refused characters dropped, then one_line()."""
    return one_line("".join(ch if unicodedata.category(ch) not in REFUSED_IN_NAMES else " " for ch in name))


def one_line(name: str) -> str:
    """NFKC-normalised, single spaces, no leading or trailing space."""
    return " ".join(unicodedata.normalize("NFKC", name).split())


def is_reserved_handle(handle: str) -> bool:
    """The site's own roles and accounts, and the site's name: no reader may take them, in any case."""
    site_name = "".join(ch for ch in settings.SITE_NAME.lower() if ch.isalnum())
    return handle.lower() in RESERVED_HANDLES or handle.lower() == site_name
