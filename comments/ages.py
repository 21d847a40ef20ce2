"""How long ago something happened, in the one format the discussion uses: its largest unit ("2 hours ago")."""

from datetime import datetime

from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext

__all__ = ["ago"]


def ago(then: datetime, now: datetime | None = None) -> str:
    """ "just now" under a minute, else the largest unit alone: "2 hours ago", never "2 hours, 33 minutes ago"."""
    now = now or timezone.now()
    if (now - then).total_seconds() < 60:
        return gettext("just now")
    return gettext("%(time)s ago") % {"time": timesince(then, now, depth=1)}
