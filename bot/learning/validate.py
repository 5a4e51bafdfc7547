"""Parsing what learners type into settings, with friendly messages for what does not parse."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.learning.curriculum import DAY_FULL_NAMES, DAY_NAMES, parse_days
from bot.textutil import joined

_TIME = re.compile(r"^(\d{1,2})(?:[:.h](\d{2}))?\s*(am|pm)?$")
_ZONE_ALIASES = {"utc": "UTC", "gmt": "UTC", "z": "UTC"}
# Abbreviations learners type for their zone. One that names a single region is taken as
# that region's zone (with its summer time); one several regions share gets the choice.
# Those that are zone names themselves (EST, CET) are taken as such, with a warning.
_ZONE_ABBREVIATIONS = {
    "ist": ["Asia/Kolkata", "Asia/Jerusalem", "Europe/Dublin"],
    "cst": ["America/Chicago", "Asia/Shanghai"],
    "bst": ["Europe/London", "Asia/Dhaka"],
    "pst": ["America/Los_Angeles"],
    "pdt": ["America/Los_Angeles"],
    "pt": ["America/Los_Angeles"],
    "mdt": ["America/Denver"],
    "cdt": ["America/Chicago"],
    "edt": ["America/New_York"],
    "et": ["America/New_York"],
    "cest": ["Europe/Berlin"],
    "eest": ["Europe/Athens"],
    "msk": ["Europe/Moscow"],
    "jst": ["Asia/Tokyo"],
    "kst": ["Asia/Seoul"],
    "sgt": ["Asia/Singapore"],
    "hkt": ["Asia/Hong_Kong"],
    "pkt": ["Asia/Karachi"],
    "wib": ["Asia/Jakarta"],
    "aest": ["Australia/Sydney"],
    "aedt": ["Australia/Sydney"],
    "nzst": ["Pacific/Auckland"],
    "nzdt": ["Pacific/Auckland"],
    "brt": ["America/Sao_Paulo"],
    "wat": ["Africa/Lagos"],
    "cat": ["Africa/Maputo"],
    "eat": ["Africa/Nairobi"],
    "sast": ["Africa/Johannesburg"],
}


class InvalidSetting(ValueError):
    """The message is shown to the learner as is."""


def parse_zone(text: str) -> str:
    """An IANA zone name, matched without regard to case; a city alone ("berlin", "new york")
    when exactly one zone has that city. Otherwise a friendly error with suggestions."""
    raw = text.strip()
    if raw.lower() in _ZONE_ALIASES:
        return _ZONE_ALIASES[raw.lower()]
    if len(raw) > 64:
        raise InvalidSetting(_unknown_zone(raw[:40], []))
    name = {z.lower(): z for z in _zones()}.get(raw.lower())
    meant = _ZONE_ABBREVIATIONS.get(raw.lower(), []) if name is None else []
    if len(meant) > 1:
        raise InvalidSetting(
            f"\u201c{raw}\u201d stands for several time zones. Did you mean {joined(meant, 'or')}?"
        )
    name = name or (meant[0] if meant else None) or _offset_zone(raw)
    if name is None:
        cities = zones_for_city(raw)
        if len(cities) == 1:
            name = cities[0]
        else:
            raise InvalidSetting(_unknown_zone(raw, cities))
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidSetting(f"\u201c{raw[:40]}\u201d isn't a usable time zone.") from None
    return name


_OFFSET = re.compile(r"^(?:utc|gmt)?\s*(?P<sign>[+-])\s*(?P<h>\d{1,2})(?::?(?P<m>\d{2}))?$", re.I)


def _offset_zone(raw: str) -> str | None:
    """ "UTC+1", "GMT-5": the fixed-offset zone (Etc/GMT-1: POSIX signs are reversed), which
    the settings reply warns has no summer time. "+05:30" has none: the zones at that offset
    now are offered instead."""
    m = _OFFSET.match(raw.strip())
    if m is None:
        return None
    hours, minutes, east = int(m["h"]), int(m["m"] or 0), m["sign"] == "+"
    if minutes == 0 and hours <= (14 if east else 12):
        return "UTC" if hours == 0 else f"Etc/GMT{'-' if east else '+'}{hours}"
    offset = timedelta(hours=hours, minutes=minutes) * (1 if east else -1)
    now = datetime.now(UTC)
    there = sorted(
        z for z in _zones()
        if "/" in z and not z.startswith("Etc/") and ZoneInfo(z).utcoffset(now) == offset
    )  # fmt: skip
    raise InvalidSetting(_unknown_zone(raw, there))


def _unknown_zone(raw: str, cities: list[str]) -> str:
    head = f"\u201c{raw[:40]}\u201d isn't a time zone I know."
    if cities:
        return f"{head} Did you mean {joined(cities[:4], 'or')}?"
    close = zones_for_city(raw, fuzzy=True) if len(raw) <= 64 else []
    if close:
        return f"{head} Did you mean {joined(close[:3], 'or')}?"
    return f"{head} Use a name like Europe/Berlin, America/New_York or Asia/Kolkata."


def _city_key(text: str) -> str:
    return re.sub(r"[\s_-]+", " ", text.strip().lower())


def zones_for_city(text: str, fuzzy: bool = False) -> list[str]:
    """Zones whose last part is this city ("Europe/Berlin" for "berlin"); with `fuzzy`, the
    closest city names for a typo ("Berlln")."""
    import difflib

    key = _city_key(text)
    by_city: dict[str, list[str]] = {}
    for zone in sorted(_zones()):
        if "/" in zone and not zone.startswith(("Etc/", "SystemV/", "US/")):
            by_city.setdefault(_city_key(zone.rsplit("/", 1)[1]), []).append(zone)
    if not fuzzy:
        return by_city.get(key, [])
    close = difflib.get_close_matches(key, list(by_city), n=3, cutoff=0.8)
    return [zone for city in close for zone in by_city[city][:1]]


# Fixed offsets (no daylight saving) that people mean as a region's time, and what to use.
_FIXED = {
    "EST": "America/New_York",
    "MST": "America/Denver (or America/Phoenix, which keeps MST all year)",
    "HST": "Pacific/Honolulu",
}


def zone_warning(name: str) -> str | None:
    """A warning for zones that are fixed offsets, which are an hour off in summer for the
    places people mean by them (EST for New York); None for ordinary zones."""
    if name in _FIXED:
        return (
            f"Note: {name} is a fixed offset with no daylight saving, so in summer your "
            f"nudges come an hour off for most places that use it. For local time, use "
            f"/settings tz {_FIXED[name]}."
        )
    if name.startswith("Etc/GMT") and name != "Etc/GMT":
        hours = -int(name[len("Etc/GMT") :])  # Etc/GMT-1 is UTC+1: POSIX signs are reversed
        return (
            f"Note: {name} is UTC{hours:+d} all year, with no daylight saving. If your clocks "
            "change in summer, use your city's zone instead, like Europe/Berlin or "
            "America/New_York."
        )
    return None


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


DIGEST_OFF = ("off", "no", "stop", "none")


def parse_digest_day(text: str, current: int | None) -> int | None:
    """/settings digest: `off`, `on` (the current day, else Sunday) or a weekday ("fri",
    "friday"); the weekday number (0 = Monday) or None for off."""
    word = text.strip().lower()
    if word in DIGEST_OFF:
        return None
    if word in ("on", "yes", ""):
        return current if current is not None else 6
    for number, name in enumerate(DAY_FULL_NAMES):
        if len(word) >= 3 and name.lower().startswith(word.rstrip("s")):
            return number
    raise InvalidSetting(
        f"\u201c{text.strip()[:20]}\u201d isn't a day I know. Use a weekday like sunday or "
        "fri, or off to stop the weekly digest."
    )


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
    per_day = re.sub(r"\s*(?:(?:/|a|per|each|every)\s*day|daily)$", "", text.strip().lower())
    m = re.match(r"^(\d+)\s*(m|min|mins|minutes)?$|^(\d+(?:\.\d+)?)\s*(h|hr|hrs|hours?)$", per_day)
    if not m:
        raise InvalidSetting("Give your daily study time in minutes (like 90) or hours (like 2h).")
    number = m.group(1) or m.group(3)
    if len(number) > 6:  # "100000000": far out of range, and kept from int()'s digit limit
        raise InvalidSetting("Daily study time must be between 15 minutes and 12 hours.")
    minutes = int(m.group(1)) if m.group(1) else round(float(m.group(3)) * 60)
    if not 15 <= minutes <= 720:
        raise InvalidSetting("Daily study time must be between 15 minutes and 12 hours.")
    return minutes
