"""Value helpers every sandbox needs: the clock, timestamps that only go up, phone digits, numbers, images."""

from __future__ import annotations

import re
import struct
import zlib
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

_CENT = Decimal("0.01")


def now() -> datetime:
    return datetime.now(UTC)


def iso_ms(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and a ``Z`` (``2025-06-01T12:00:00.000Z``)."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def later_than(previous: datetime | None) -> str:
    """Now, or 1 ms after ``previous`` if the clock has not moved past it (a record's timestamps only go up)."""
    moment = now()
    if previous is not None and moment <= previous:
        moment = previous + timedelta(milliseconds=1)
    return iso_ms(moment)


def digits(phone: str) -> str:
    """A phone number's digits, without a leading US country code."""
    found = re.sub(r"\D", "", phone)
    return found[1:] if len(found) == 11 and found.startswith("1") else found


def number(value: object) -> int | float | None:
    """``value`` if it is a JSON number (booleans are not), else None."""
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def integer(value: object) -> int | None:
    """``value`` if it is a JSON integer (booleans are not), else None."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def cents(value: Decimal) -> Decimal:
    """Rounded to the cent, half up, as the POS vendors round money."""
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


def png(rgb: tuple[int, int, int]) -> bytes:
    """A valid 1x1 RGB PNG of one colour (the sandboxes' product pictures)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(bytes((0, *rgb)))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
