"""Which local dates and nudge minutes are due at an instant, for learners, groups and weekly
digests alike."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession


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


async def due_now(
    s: AsyncSession,
    now: datetime,
    grace_minutes: int,
    *,
    key: Any,
    tz: Any,
    minute: Any,
    active: ColumnElement[bool],
    on_day: Callable[[date], ColumnElement[bool]],
) -> list[tuple[Any, date, str]]:
    """(key, local date, zone) of every `active` row whose local `minute` has come within the
    grace window, on a local date for which `on_day(date)` holds (one of its days, nothing sent
    yet). Two queries whatever the number of zones: daily nudges, group posts and weekly
    digests all ask this every tick, so the time-zone arithmetic exists once."""
    zones = list((await s.execute(select(tz).where(active).distinct())).scalars())
    # Every (zone bucket, window) is one branch of a single query; a row's local date is the
    # window its minute falls in (a zone's windows never overlap).
    branches: dict[str, list[tuple[date, int, int]]] = {}
    conditions = []
    for (day, minute_now), bucket in zone_buckets(zones, now).items():
        for wday, lo, hi in windows(day, minute_now, grace_minutes):
            conditions.append(and_(tz.in_(bucket), minute.between(lo, hi), on_day(wday)))
            for zone in bucket:
                branches.setdefault(zone, []).append((wday, lo, hi))
    if not conditions:
        return []
    rows = await s.execute(select(key, tz, minute).where(active, or_(*conditions)))
    return [
        (k, wday, zone) for k, zone, at in rows for wday, lo, hi in branches[zone] if lo <= at <= hi
    ]


def week_of(day: date) -> date:
    """The Monday that starts the local week of `day`: a weekly digest's key."""
    return day - timedelta(days=day.weekday())
