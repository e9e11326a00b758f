"""LeafLink's values: timestamps at its fixed UTC-06:00 offset, and the DRF field readers request bodies go
through (each raises DRF's 400 ``{"<field>": ["<message>"]}``).

* Timestamps are ISO 8601 with microseconds, written at a fixed UTC-06:00 offset like LeafLink's examples
  (``2020-06-10T15:15:03.776119-06:00``). Filters read any ISO 8601 date or date-time; a naive one, or a
  date alone (midnight), is read at that same UTC-06:00 offset; a bad one is 400 ``{"<param>": ["Enter a
  valid date/time."]}``.
* Money is ``{"amount": "<decimal string>", "currency": "USD"}`` (amount a string with two places, as the
  schema types it); quantities are decimal strings with four places (``"800.0000"``), including
  ``available_inventory``. Request bodies may send amounts and quantities as JSON numbers or decimal
  strings.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from cannasync.sandboxes.leaflink.errors import ApiError, invalid

JSON = dict[str, Any]

#: LeafLink writes timestamps at a fixed UTC-06:00 offset, as in its examples.
LEAFLINK_TZ = timezone(timedelta(hours=-6))
ZERO = Decimal(0)
_CENT = Decimal("0.01")


def stamp(moment: datetime) -> str:
    """A timestamp as LeafLink writes it: microseconds, fixed UTC-06:00 offset."""
    return moment.astimezone(LEAFLINK_TZ).isoformat(timespec="microseconds")


def parse_time(value: str, name: str) -> datetime:
    text = value.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime(day.year, day.month, day.day, tzinfo=LEAFLINK_TZ)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise invalid(name, "Enter a valid date/time.") from None
    return moment.replace(tzinfo=LEAFLINK_TZ) if moment.tzinfo is None else moment


def read_decimal(value: object, name: str, *, minimum: Decimal | None = ZERO, positive: bool = False) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise invalid(name, "A valid number is required.")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise invalid(name, "A valid number is required.") from None
    if not number.is_finite():
        raise invalid(name, "A valid number is required.")
    if positive and number <= 0:
        raise invalid(name, "Ensure this value is greater than 0.")
    if minimum is not None and number < minimum:
        raise invalid(name, f"Ensure this value is greater than or equal to {minimum}.")
    return number


def read_money(value: object, name: str) -> Decimal:
    """The amount of a money object ``{"amount", "currency"}`` (USD only)."""
    if not isinstance(value, dict):
        raise invalid(name, "Expected an object with amount and currency.")
    if "amount" not in value:
        raise ApiError(400, {name: {"amount": ["This field is required."]}})
    currency = value.get("currency", "USD")
    if currency != "USD":
        raise ApiError(400, {name: {"currency": ["Only USD is supported."]}})
    return read_decimal(value["amount"], name)


def read_integer(value: object, name: str) -> int:
    if isinstance(value, bool):
        raise invalid(name, "A valid integer is required.")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        return int(value)
    raise invalid(name, "A valid integer is required.")


def read_string(value: object, name: str, *, nullable: bool = False, max_length: int | None = None) -> str | None:
    if value is None and nullable:
        return None
    if not isinstance(value, str):
        raise invalid(name, "Not a valid string.")
    if max_length is not None and len(value) > max_length:
        raise invalid(name, f"Ensure this field has no more than {max_length} characters.")
    return value


def read_boolean(value: object, name: str) -> bool:
    if not isinstance(value, bool):
        raise invalid(name, "Must be a valid boolean.")
    return value


def read_time(value: object, name: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise invalid(name, "Datetime has wrong format.")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise invalid(name, "Datetime has wrong format.") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def read_date(value: object, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise invalid(name, "Date has wrong format. Use one of these formats instead: YYYY-MM-DD.")
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise invalid(name, "Date has wrong format. Use one of these formats instead: YYYY-MM-DD.") from None


def read_external_ids(value: object, name: str = "external_ids") -> JSON:
    if not isinstance(value, dict):
        raise invalid(name, "Expected a dictionary of items.")
    for key in value:
        if len(key) > 36:
            raise invalid(name, f"Key {key!r} is longer than 36 characters.")
    return dict(value)


def cents(value: Decimal) -> Decimal:
    """Rounded to the cent half to even (Python's default context), not half up like the kit's ``cents``:
    LeafLink publishes no rounding rule, and this is how the sandbox has always rounded its order totals."""
    return value.quantize(_CENT)
