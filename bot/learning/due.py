"""Which local dates and nudge minutes are due at an instant, for learners and groups alike."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo


def zone_buckets(zones: list[str], now: datetime) -> dict[tuple[date, int], list[str]]:
    """Zones grouped by their current local (date, minute of day): one query per bucket."""
    buckets: dict[tuple[date, int], list[str]] = defaultdict(list)
    for zone in zones:
        local = now.astimezone(ZoneInfo(zone))
        buckets[(local.date(), local.hour * 60 + local.minute)].append(zone)
    return buckets


def windows(day: date, minute: int, grace_minutes: int) -> list[tuple[date, int, int]]:
    """(local date, lowest, highest nudge minute) that are due now, across midnight too."""
    out = [(day, max(0, minute - grace_minutes), minute)]
    if minute - grace_minutes < 0:
        out.append((day - timedelta(days=1), 1440 + minute - grace_minutes, 1439))
    return out
