"""Parsing what learners type into settings, with friendly messages for what does not parse."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.learning.curriculum import DAY_NAMES, parse_days

_TIME = re.compile(r"^(\d{1,2})(?:[:.h](\d{2}))?\s*(am|pm)?$")
_ZONE = re.compile(r"^[A-Za-z_]+(?:/[A-Za-z0-9_+\-]+){0,2}$")
_ZONE_ALIASES = {"utc": "UTC", "gmt": "UTC", "z": "UTC"}


class InvalidSetting(ValueError):
    """The message is shown to the learner as is."""


def parse_zone(text: str) -> str:
    raw = text.strip()
    if raw.lower() in _ZONE_ALIASES:
        return _ZONE_ALIASES[raw.lower()]
    if not _ZONE.match(raw) or len(raw) > 64:
        raise InvalidSetting(
            f"\u201c{raw[:40]}\u201d isn't a time zone I know. Use a name like Europe/Berlin, "
            "America/New_York or Asia/Kolkata."
        )
    by_lower = {z.lower(): z for z in _zones()}
    name = by_lower.get(raw.lower())
    if name is None:
        raise InvalidSetting(
            f"\u201c{raw}\u201d isn't a time zone I know. Use a name like Europe/Berlin, "
            "America/New_York or Asia/Kolkata."
        )
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidSetting(f"\u201c{raw}\u201d isn't a usable time zone.") from None
    return name


_ZONE_CACHE: frozenset[str] | None = None


def _zones() -> frozenset[str]:
    global _ZONE_CACHE
    if _ZONE_CACHE is None:
        _ZONE_CACHE = frozenset(available_timezones())
    return _ZONE_CACHE


def parse_time(text: str) -> int:
    """'19:00', '7pm', '07.30', '7:30 am' -> minutes after midnight."""
    m = _TIME.match(text.strip().lower())
    if not m:
        raise InvalidSetting(
            f"\u201c{text.strip()[:20]}\u201d isn't a time I understand. Use 24-hour HH:MM, like 07:30 or 19:00."
        )
    hour, minute, ampm = int(m.group(1)), int(m.group(2) or 0), m.group(3)
    if ampm:
        if not 1 <= hour <= 12:
            raise InvalidSetting("With am/pm the hour must be 1 to 12, like 7pm.")
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    if hour > 23 or minute > 59:
        raise InvalidSetting(
            f"\u201c{text.strip()[:20]}\u201d isn't a valid time of day. Use 24-hour HH:MM, like 07:30 or 19:00."
        )
    return hour * 60 + minute


def format_minute(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def parse_day_mask(text: str) -> int:
    try:
        days = parse_days(text)
    except ValueError:
        raise InvalidSetting(
            "I couldn't read those days. Try \u201cmon-fri\u201d, \u201cmon,wed,fri\u201d or \u201cevery day\u201d."
        ) from None
    return sum(1 << d for d in days)


def days_from_mask(mask: int) -> frozenset[int]:
    return frozenset(d for d in range(7) if mask & (1 << d))


def format_days(mask: int) -> str:
    days = sorted(days_from_mask(mask))
    if len(days) == 7:
        return "every day"
    if days == [0, 1, 2, 3, 4]:
        return "Mon-Fri"
    return ", ".join(DAY_NAMES[d].capitalize() for d in days)


def parse_pace(text: str) -> int:
    m = re.match(
        r"^(\d{1,5})\s*(m|min|mins|minutes)?$|^(\d{1,2}(?:\.\d)?)\s*(h|hr|hrs|hours?)$",
        text.strip().lower(),
    )
    if not m:
        raise InvalidSetting("Give your daily study time in minutes (like 90) or hours (like 2h).")
    minutes = int(m.group(1)) if m.group(1) else round(float(m.group(3)) * 60)
    if not 15 <= minutes <= 720:
        raise InvalidSetting("Daily study time must be between 15 minutes and 12 hours.")
    return minutes
