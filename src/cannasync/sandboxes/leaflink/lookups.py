"""DRF-style lookups for the LeafLink sandbox's lists: the documented filters that name a field of the record.

LeafLink's lists are django-filter filter sets: a query parameter ``<field>`` or ``<field>__<lookup>`` narrows the
list on that field of the record. The OpenAPI file documents which ones each list takes (``GET /customers/``
alone documents about ninety). The sandbox has hand-written filters where the semantics are special (an order's
``customer`` is a name search, ``status`` a comma list); every other documented filter that names a top-level
field of the served record goes through here, on the record as it is served, so the filter means what the
record shows. Which parameters each list takes this way is the ``LOOKUPS`` table (the file's parameters, minus
the hand-written ones, minus those naming no field of the record, which ``products.py``'s notes list).

Lookups (choice L2): none (exact), ``__in`` (comma list), ``__startswith``, ``__icontains``, ``__iexact``,
``__isnull``, ``__lt``/``__lte``/``__gt``/``__gte``. Strings compare case-insensitively (the docs say so of
``sku`` and the status filters; the sandbox reads them all so); booleans take true/false (or 1/0); numbers and
numeric strings compare as numbers; ranges on dates and date-times compare as instants (a naive value is read
at LeafLink's UTC-06:00, as every date filter). A value that cannot be read for the field is a 400 naming the
parameter. A record whose field is null matches only ``__isnull=true``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

JSON = dict[str, Any]
Check = Callable[[JSON], bool]

LOOKUP_SUFFIXES: tuple[str, ...] = ("in", "startswith", "icontains", "iexact", "isnull", "lt", "lte", "gt", "gte")

#: Route → documented parameter → the served field it reads. Parameters are listed as documented in
#: ``leaflink-marketplace-v2.openapi.yml``; a parameter naming a field under another name maps to it.
LOOKUPS: Mapping[str, Mapping[str, str]] = {
    "/products/": {
        "display_name": "display_name",
        "company": "seller",
        "parent": "parent",
        "parent__isnull": "parent",
        "product_line": "product_line",
        "category": "category",
        "sub_category": "sub_category",
        "sub_category__isnull": "sub_category",
        "seller_internal_id": "seller_internal_id",
        "strains": "strains",
    },
    "/orders-received/": {
        "classification": "classification",
        "user": "user",
        "manual": "manual",
    },
    "/customers/": {
        **{
            f"{field}{suffix}": field
            for field in (
                "nickname",
                "phone",
                "dba",
                "external_id",
                "ein",
                "old_license_number",
                "brand",
                "address",
                "business_license_name",
                "name",
                "business_identifier",
                "license_number",
                "ext_acct_id",
                "email",
                "website",
            )
            for suffix in ("", "__in", "__startswith")
            # ``name``, ``nickname`` and ``external_id`` alone have hand-written filters (customers.py).
            if suffix or field not in ("name", "nickname", "external_id")
        },
        "ext_acct_id__isnull": "ext_acct_id",
        "id__in": "id",
        **{f"next_contact_date__{op}": "next_contact_date" for op in ("lt", "lte", "gt", "gte")},
        **{f"discount_percent__{op}": "discount_percent" for op in ("lt", "lte", "gt", "gte")},
        **{
            field: field
            for field in (
                "owner",
                "partner",
                "tier",
                "price_schedule",
                "service_zone",
                "license_type",
                "license_inactive",
                "payment_term",
                "status",
                "state",
                "leaflink_source",
            )
        },
        "is_archived": "archived",
        "payment_method": "payment_methods",
    },
    "/line-items/": {"is_sample": "is_sample"},
    "/brands/": {"company": "company", "company__in": "company"},
    "/company-staff/": {"company": "company", "is_admin": "is_admin"},
}

#: Route → documented range parameter → the served field it reads. ``GET /batches/`` documents ``thc``, ``cbd``
#: … as "Filter by a range of THC percent" without saying how a range is written; the sandbox reads
#: ``<min>,<max>`` (either side may be empty: ``20,`` is at least 20) and a single number as exactly it.
RANGES: Mapping[str, Mapping[str, str]] = {
    "/batches/": {
        field: field for field in ("thc", "thca", "total_thc", "cbd", "cbda", "cbg", "cbn", "total_cannabinoids")
    },
}


class BadLookup(ValueError):
    """A parameter whose value cannot be read for its field: (parameter, message)."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter
        self.message = message


def _split(parameter: str) -> tuple[str, str]:
    head, _, tail = parameter.rpartition("__")
    return (head, tail) if head and tail in LOOKUP_SUFFIXES else (parameter, "exact")


def _number(value: object) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _instant(value: str, parse_time: Callable[[str, str], datetime], parameter: str) -> datetime:
    return parse_time(value, parameter)


def _equal(actual: object, wanted: str, parameter: str) -> bool:
    if actual is None:
        return False
    if isinstance(actual, bool):
        lowered = wanted.lower()
        if lowered not in ("true", "false", "1", "0"):
            raise BadLookup(parameter, "Select a valid choice.")
        return actual == (lowered in ("true", "1"))
    if isinstance(actual, int | float):
        number = _number(wanted)
        if number is None:
            raise BadLookup(parameter, "Enter a number.")
        return Decimal(str(actual)) == number
    if isinstance(actual, list):
        return any(_equal(item, wanted, parameter) for item in actual)
    return str(actual).lower() == wanted.lower()


def _ordered(actual: object, wanted: str, op: str, parameter: str, parse_time: Callable[[str, str], datetime]) -> bool:
    if actual is None:
        return False
    compare: Callable[[Any, Any], bool] = {
        "lt": lambda a, b: a < b,
        "lte": lambda a, b: a <= b,
        "gt": lambda a, b: a > b,
        "gte": lambda a, b: a >= b,
    }[op]
    left = _number(actual)
    if left is not None:
        right = _number(wanted)
        if right is None:
            raise BadLookup(parameter, "Enter a number.")
        return compare(left, right)
    text = str(actual)
    if len(text) == 10:  # a date field: compare dates
        try:
            return compare(date.fromisoformat(text), parse_time(wanted, parameter).date())
        except ValueError:
            raise BadLookup(parameter, "Enter a valid date.") from None
    return compare(datetime.fromisoformat(text), _instant(wanted, parse_time, parameter))


def check(parameter: str, field: str, raw: str, parse_time: Callable[[str, str], datetime]) -> Check:
    """The predicate of one lookup parameter reading ``field`` of served records."""
    _, lookup = _split(parameter)
    if lookup == "isnull":
        lowered = raw.lower()
        if lowered not in ("true", "false", "1", "0"):
            raise BadLookup(parameter, "Select a valid choice.")
        wanted_null = lowered in ("true", "1")
        return lambda record: (record.get(field) in (None, "")) == wanted_null
    if lookup == "in":
        values = [part.strip() for part in raw.split(",") if part.strip()]
        return lambda record: any(_equal(record.get(field), value, parameter) for value in values)
    if lookup in ("startswith", "icontains"):
        needle = raw.lower()
        if lookup == "startswith":
            return lambda record: record.get(field) is not None and str(record[field]).lower().startswith(needle)
        return lambda record: record.get(field) is not None and needle in str(record[field]).lower()
    if lookup in ("lt", "lte", "gt", "gte"):
        return lambda record: _ordered(record.get(field), raw, lookup, parameter, parse_time)
    return lambda record: _equal(record.get(field), raw, parameter)


def range_check(parameter: str, field: str, raw: str) -> Check:
    """``<min>,<max>`` (inclusive, either side may be empty) or one number, on a numeric field (``RANGES``)."""
    parts = [part.strip() for part in raw.split(",")]
    if len(parts) > 2:
        raise BadLookup(parameter, "Enter a range as <min>,<max>.")
    bounds = [None if part == "" else _number(part) for part in parts]
    if any(bound is None and part != "" for bound, part in zip(bounds, parts, strict=True)):
        raise BadLookup(parameter, "Enter a number.")
    low, high = (bounds[0], bounds[0]) if len(bounds) == 1 else (bounds[0], bounds[1])

    def within(record: JSON) -> bool:
        value = _number(record.get(field))
        return value is not None and (low is None or value >= low) and (high is None or value <= high)

    return within


def checks(route: str, params: Iterable[tuple[str, str]], parse_time: Callable[[str, str], datetime]) -> list[Check]:
    """The lookup predicates of ``route`` (``"/customers/"``) that the query ``params`` ask for."""
    table, ranges = LOOKUPS.get(route, {}), RANGES.get(route, {})
    found: list[Check] = []
    for name, value in params:
        if value == "":
            continue
        if name in table:
            found.append(check(name, table[name], value, parse_time))
        elif name in ranges:
            found.append(range_check(name, ranges[name], value))
    return found


def apply(records: list[JSON], predicates: list[Check]) -> list[JSON]:
    """The records every predicate accepts (a ``BadLookup`` raised while reading is the caller's 400)."""
    if not predicates:
        return records
    return [record for record in records if all(predicate(record) for predicate in predicates)]
