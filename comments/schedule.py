"""When a story's discussion closes by the clock: N days after publication, and night hours (no database)."""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils.translation import gettext

__all__ = ["Night", "parse_night", "night_window", "Closure"]


@dataclass(frozen=True)
class Night:
    """Night hours on the wall clock, e.g. 00:00-06:00 or 22:00-06:00 (across midnight)."""

    start: time
    end: time

    def __str__(self):
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


def parse_night(value: str) -> Night | None:
    """ "HH:MM-HH:MM" (empty: no night closing). A malformed value raises ValueError, so settings refuse to load it
    rather than comments staying open (or closed) by accident."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        start, end = (time.fromisoformat(part.strip()) for part in value.split("-"))
    except ValueError:
        raise ValueError(f"Night hours must look like 00:00-06:00, not {value!r}.") from None
    if start == end:
        raise ValueError(f"Night hours {value!r} start and end at the same time.")
    return Night(start, end)


def night_window(night: Night, now: datetime, zone: ZoneInfo) -> tuple[datetime | None, datetime]:
    """(when the night we are in ends, or None outside the night; when the next night starts), aware datetimes.
    Read from the wall clock in `zone`, so a night is 00:00-06:00 local whatever the clock change: on the night
    the clocks go back the night is an hour longer in real time, never shorter, and it ends at 06:00 local."""
    local = now.astimezone(zone)
    today = local.date()

    def at(day, clock: time) -> datetime:
        return datetime.combine(day, clock, tzinfo=zone)

    day_before = today - timedelta(days=1)
    # The nights that may contain `now`: the one starting today and the one starting yesterday (across midnight).
    for start_day in (today, day_before):
        start = at(start_day, night.start)
        end_day = start_day if night.end > night.start else start_day + timedelta(days=1)
        end = at(end_day, night.end)
        if start <= local < end:
            next_start = at(start_day + timedelta(days=1), night.start)
            return end, next_start
    start = at(today, night.start)
    if start <= local:
        start = at(today + timedelta(days=1), night.start)
    return None, start


@dataclass(frozen=True)
class Closure:
    """Why a discussion is closed now: `kind` is "mode" (closed by hand), "days" (N days after publication, final)
    or "night"; `reason` says so in a sentence, `message` adds that the discussion stays readable; `reopens_at`
    when it reopens on its own (nights only)."""

    kind: str
    reason: str
    reopens_at: datetime | None = None

    @property
    def message(self) -> str:
        return f"{self.reason} {gettext('The discussion stays readable.')}"
