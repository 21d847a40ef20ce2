"""A day given on a management command's line, as the aware moment it starts in the site's time zone."""

import argparse
from datetime import datetime

from django.utils import timezone
from django.utils.dateparse import parse_date


def day(value: str) -> datetime:
    parsed = parse_date(value) if value else None
    if parsed is None:
        raise argparse.ArgumentTypeError(f"{value!r} is not a day (YYYY-MM-DD)")
    return timezone.make_aware(datetime.combine(parsed, datetime.min.time()))
