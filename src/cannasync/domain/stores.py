"""A store's opening hours, read in its own time zone: open now or not, and the week as a shopper reads it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

#: Weekdays as ``hours`` keys them, Monday first (``datetime.weekday()`` order).
DAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES: Mapping[str, str] = dict(
    zip(DAYS, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"), strict=True)
)
_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def zone(name: str | None) -> ZoneInfo:
    """The store's zone; a name the system does not know reads as UTC rather than failing a page."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def known_zone(name: str | None) -> bool:
    """Whether ``name`` is an IANA time zone this system knows ("America/Detroit")."""
    if not name or ("/" not in name and name != "UTC"):
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def hours_problem(hours: Mapping[str, Any]) -> str | None:
    """What is wrong with an hours table, or None. Each day is {"open": "HH:MM", "close": "HH:MM"} or absent."""
    for day, span in hours.items():
        if day not in DAYS:
            return f"{day!r} is not a weekday (mon … sun)"
        if span is None:
            continue
        if not isinstance(span, Mapping) or set(span) != {"open", "close"}:
            return f"{day} needs an open and a close time"
        for end in ("open", "close"):
            if not isinstance(span[end], str) or not _CLOCK.match(span[end]):
                return f"{day} {end} must be a 24-hour time like 09:00"
        if span["open"] == span["close"]:
            return f"{day} opens and closes at the same time"
    return None


def _clock(text: str) -> time:
    hour, minute = text.split(":")
    return time(int(hour), int(minute))


def _spans(hours: Mapping[str, Any], day: datetime) -> list[tuple[datetime, datetime]]:
    """The day's opening as local datetimes; a close at or before the open runs past midnight."""
    span = hours.get(DAYS[day.weekday()])
    if not span:
        return []
    start = datetime.combine(day.date(), _clock(span["open"]), day.tzinfo)
    end = datetime.combine(day.date(), _clock(span["close"]), day.tzinfo)
    if end <= start:
        end += timedelta(days=1)
    return [(start, end)]


@dataclass(frozen=True, slots=True)
class OpenState:
    known: bool  # the store has set its hours
    open: bool
    #: "Open until 9 PM", "Closed · opens Tue 10 AM", or "" when the hours are not known.
    text: str


def _short(moment: datetime) -> str:
    return moment.strftime("%-I:%M %p").replace(":00 ", " ")


def open_state(hours: Mapping[str, Any] | None, now: datetime, zone_name: str | None) -> OpenState:
    """Whether the store is open at ``now`` (any aware time), read in the store's zone."""
    if not hours:
        return OpenState(False, False, "")
    local = now.astimezone(zone(zone_name))
    for back in (1, 0):  # yesterday's late opening may still run
        for start, end in _spans(hours, local - timedelta(days=back)):
            if start <= local < end:
                return OpenState(True, True, f"Open now · until {_short(end)}")
    for ahead in range(0, 8):
        for start, _ in _spans(hours, local + timedelta(days=ahead)):
            if start > local:
                when = _short(start) if ahead == 0 else f"{start.strftime('%a')} {_short(start)}"
                return OpenState(True, False, f"Closed · opens {when}")
    return OpenState(True, False, "Closed")


def week(hours: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """(day, "9 AM – 9 PM" or "Closed") for each weekday, Monday first."""
    rows = []
    for day in DAYS:
        span = (hours or {}).get(day)
        if span:
            opens = datetime.combine(datetime.min.date(), _clock(span["open"]))
            closes = datetime.combine(datetime.min.date(), _clock(span["close"]))
            rows.append((DAY_NAMES[day], f"{_short(opens)} – {_short(closes)}"))
        else:
            rows.append((DAY_NAMES[day], "Closed"))
    return rows


def address_lines(address: Mapping[str, Any] | None) -> list[str]:
    """ "412 Main St", "Vancouver, WA 98660": the store's address as an envelope prints it."""
    if not address:
        return []
    lines = [str(address.get(key) or "").strip() for key in ("line1", "line2")]
    city = str(address.get("city") or "").strip()
    region = " ".join(
        part for part in (str(address.get("state") or "").strip(), str(address.get("postcode") or "").strip()) if part
    )
    lines.append(", ".join(part for part in (city, region) if part))
    return [line for line in lines if line]
