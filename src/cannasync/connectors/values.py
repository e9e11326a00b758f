"""Reading numbers out of vendor JSON: every way one can be broken ends as a MappingError that names the field.

A vendor field can hold a string, a boolean, NaN, infinity or 1e300; none of them may crash a sync, and none may
reach the store as a price.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field

from cannasync.domain.catalog import MAX_EXTERNAL_ID
from cannasync.domain.sync import MappingError
from cannasync.domain.text import clean
from cannasync.domain.tokens import same_secret

MAX_PRICE_CENTS = 100_000_000  # $1,000,000: no dispensary item costs more; anything above is a data error
MAX_QUANTITY = 1_000_000_000


def decimal(value: Any, field: str) -> Decimal:
    """A finite, non-negative decimal."""
    if isinstance(value, bool) or value is None:
        raise MappingError(f"{field} {value!r} is not a number")
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise MappingError(f"{field} {value!r} is not a number") from None
    if not number.is_finite() or number < 0:
        raise MappingError(f"{field} {value!r} is not a valid amount")
    return number


def cents(value: Any, field: str, *, minor_units: bool = False) -> int:
    """A price in whole cents, from dollars (``12.5``) or, with ``minor_units``, from cents (``1250``)."""
    amount = decimal(value, field)
    if amount > MAX_PRICE_CENTS:  # checked before scaling, so 1e300 never reaches quantize
        raise MappingError(f"{field} {value!r} is not a plausible price")
    scaled = amount if minor_units else amount * 100
    if minor_units and scaled != scaled.to_integral_value():
        raise MappingError(f"{field} {value!r} is not a whole number of cents")
    result = int(scaled.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    if result > MAX_PRICE_CENTS:
        raise MappingError(f"{field} {value!r} is not a plausible price")
    return result


def quantity(value: Any, field: str) -> int:
    """A whole stock count. POSes report oversold stock as negative: that is nothing to sell, so 0.
    Fractions are rounded down (half a unit cannot be sold)."""
    if value is None or value == "":
        return 0
    if isinstance(value, bool):
        raise MappingError(f"{field} {value!r} is not a number")
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise MappingError(f"{field} {value!r} is not a number") from None
    if not amount.is_finite() or amount > MAX_QUANTITY:
        raise MappingError(f"{field} {value!r} is not a plausible quantity")
    return max(0, int(amount))


def text(value: Any) -> str | None:
    """A trimmed string, or None for null and blank; NUL characters dropped and lone surrogates replaced
    (``domain.text.clean``), since neither can be stored or shown."""
    if value is None:
        return None
    stripped = clean(str(value)).strip()
    return stripped or None


_ID_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def identifier(value: Any, field: str) -> str:
    """A vendor's record id: a string or a whole number, at most MAX_EXTERNAL_ID characters, or a MappingError.

    An id names the record across syncs, so it is never "repaired": an object, a list, a boolean, a fraction, a
    blank, control characters, lone surrogates or a 300-character id would each become a product of its own
    (``str({...})``), hiding the real one.
    """
    if isinstance(value, bool) or value is None:
        raise MappingError(f"{field} is missing" if value is None else f"{field} {value!r} is not an id")
    if isinstance(value, int):
        return str(value)
    if not isinstance(value, str):
        raise MappingError(f"{field} is a {type(value).__name__}, not an id")
    stripped = value.strip()
    if not stripped:
        raise MappingError(f"{field} is blank")
    if clean(stripped) != stripped or _ID_CHARACTERS.search(stripped):
        raise MappingError(f"{field} {_shown(stripped)} has characters an id cannot have")
    if len(stripped) > MAX_EXTERNAL_ID:
        raise MappingError(f"{field} is {len(stripped)} characters long (at most {MAX_EXTERNAL_ID})")
    return stripped


def _shown(value: str) -> str:
    return ascii(value[:40] + ("…" if len(value) > 40 else ""))


def objects(value: Any, field: str) -> list[Mapping[str, Any]]:
    """A list of JSON objects (null is an empty list), or a MappingError that names the broken field."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(entry, Mapping) for entry in value):
        raise MappingError(f"{field} is not a list of objects")
    return value


def signed_json(raw_body: bytes, given: str | None, expected: str, vendor: str) -> dict[str, Any]:
    """A webhook body whose signature matched (compared in constant time), parsed as a JSON object."""
    if not given or not same_secret(given.strip(), expected):
        raise MappingError(f"the {vendor} webhook's signature does not match")
    payload = json_document(raw_body, f"the {vendor} webhook")
    if not isinstance(payload, dict):
        raise MappingError(f"the {vendor} webhook is not a JSON object")
    return payload


def moment(value: Any, field: str) -> datetime | None:
    """An ISO 8601 timestamp as an aware UTC datetime (a naive one is taken as UTC); None when absent."""
    if value is None or value == "":
        return None
    try:
        parsed = datetime.fromisoformat(str(value).strip())
    except ValueError:
        raise MappingError(f"{field} {value!r} is not a timestamp") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def tally(lines: Any, item_key: str, quantity_key: str, field: str) -> dict[str, Decimal]:
    """An order's lines as POS item id -> quantity, lines of one item added up (a line may be sent split).

    Exact, not rounded down as a stock count is: an order line of bulk flower may be grams in halves (3.5 g)."""
    counts: dict[str, Decimal] = {}
    for line in objects(lines, field):
        item = text(line.get(item_key))
        if item is None:
            raise MappingError(f"{field} has a line without {item_key}")
        amount = decimal(line.get(quantity_key), f"{field} {quantity_key}")
        counts[item] = counts.get(item, Decimal(0)) + amount
    return counts


def json_document(raw_body: bytes, what: str) -> Any:
    """A JSON body someone sent us, or a MappingError: broken JSON and nesting too deep to parse (a
    ``RecursionError``, which is not a ``ValueError``) are both the sender's mistake, never our 500."""
    try:
        return json.loads(raw_body)
    except (ValueError, RecursionError):
        raise MappingError(f"{what} is not a JSON document we can read") from None


def _api_root(value: str) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{value[:100]!r} is not an http(s) address such as https://api.example.com/v1")
    return value.strip()


def read_deadline(default: float) -> Any:
    """The settings field for ``ReadLimits.deadline_seconds`` (each vendor model declares its own default)."""
    return Field(
        default, gt=0, le=3600, description="The longest one answer may take to arrive whole, however it trickles in"
    )


def page_cap(default: int) -> Any:
    """The settings field for ``ReadLimits.max_pages``."""
    return Field(default, ge=1, le=1_000_000, description="Pages one read may take before it is stopped as endless")


def body_cap(default: float) -> Any:
    """The settings field for ``ReadLimits.max_body_bytes``, in megabytes."""
    return Field(default, gt=0, le=2048, description="The largest answer taken (MB); a larger one is refused")


#: A vendor API root in a settings model: an http(s) URL with a host, refused with a 422 otherwise (never "cannot
#: be reached, try again").
ApiRoot = Annotated[str, Field(max_length=500), AfterValidator(_api_root)]


#: A unit of weight or volume → (the unit purchase limits count in, how many of it one unit is).
_NET_UNITS: dict[str, tuple[str, Decimal]] = {
    "g": ("g", Decimal(1)),
    "gram": ("g", Decimal(1)),
    "grams": ("g", Decimal(1)),
    "mg": ("g", Decimal("0.001")),
    "kg": ("g", Decimal(1000)),
    "oz": ("g", Decimal("28.349523125")),
    "lb": ("g", Decimal("453.59237")),
    "ml": ("ml", Decimal(1)),
    "l": ("ml", Decimal(1000)),
    "floz": ("ml", Decimal("29.5735295625")),
    "fl oz": ("ml", Decimal("29.5735295625")),
}


def net_weight(amount: Any, unit: Any) -> tuple[Decimal | None, str | None]:
    """One unit's net weight in grams (or volume in ml) from a vendor's amount and unit; (None, None) when either
    is missing or not plausible. Optional data: a product without it is counted by the limits table's default
    for its category, so a bad figure is left out rather than quarantining the product."""
    known = _NET_UNITS.get(str(unit or "").strip().lower())
    if known is None or isinstance(amount, bool) or amount is None:
        return None, None
    try:
        number = Decimal(str(amount).strip())
    except (InvalidOperation, ValueError):
        return None, None
    if not number.is_finite() or number <= 0 or number > 1_000_000:
        return None, None
    base, factor = known
    return (number * factor).quantize(Decimal("0.001")).normalize(), base
