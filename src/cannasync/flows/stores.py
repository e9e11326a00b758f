"""A store's own settings: where it is, when it is open, what it offers, its purchase limits, and how it tells
shoppers about their orders (texts, e-mails).

The API and the console both change a store through :func:`apply`, so a rule (a phone of ten digits, override
keys the store's state has) is checked once, with a message naming the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cannasync.domain import limits
from cannasync.domain.customers import InvalidCustomer, normalise_phone
from cannasync.domain.stores import hours_problem, known_zone
from cannasync.store.tables import Store

#: Fields a change may carry, and the order they are applied in (the address before the limits it picks).
FIELDS: tuple[str, ...] = (
    "name",
    "timezone",
    "randomized_order_numbers",
    "address",
    "phone",
    "hours",
    "pickup_enabled",
    "delivery_enabled",
    "delivery_fee_cents",
    "delivery_minimum_cents",
    "limit_overrides",
    "order_sms_enabled",
    "order_email_enabled",
)


class InvalidStore(ValueError):
    """A setting the store cannot take; ``field`` names it for a form."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _address(value: Mapping[str, Any] | None) -> dict[str, str] | None:
    if not value:
        return None
    cleaned = {key: str(value.get(key) or "").strip() for key in ("line1", "line2", "city", "state", "postcode")}
    cleaned["state"] = cleaned["state"].upper()
    return cleaned if any(cleaned.values()) else None


def _overrides(store: Store, value: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not value:
        return None
    problem = limits.override_problem(value)
    if problem:
        raise InvalidStore("limit_overrides", problem)
    state = (store.address or {}).get("state")
    kept: dict[str, Any] = {}
    for customer, amounts in value.items():
        known = {limit.key for limit in limits.limits_for(state, limits.Customer(customer))}
        for key, amount in amounts.items():
            if key not in known:
                names = ", ".join(sorted(known)) or "none"
                where = state or "a store with no state"
                raise InvalidStore("limit_overrides", f"{key!r} is not one of {where}'s {customer} limits ({names})")
            if amount is not None:
                kept.setdefault(customer, {})[key] = str(amount)
    return kept or None


def apply(store: Store, changes: Mapping[str, Any]) -> None:
    """Set the fields in ``changes`` (already typed by the API's or the form's model) on ``store``."""
    for field in FIELDS:
        if field not in changes:
            continue
        value = changes[field]
        if field == "timezone":
            if value is None or not known_zone(value):
                raise InvalidStore("timezone", f"{value!r} is not a time zone name such as America/Detroit")
            store.timezone = value
            store.timezone_chosen = True  # the POS location's zone no longer replaces it
        elif field == "phone":
            try:
                store.phone = normalise_phone(value)
            except InvalidCustomer:
                raise InvalidStore("phone", "give a 10-digit phone number") from None
        elif field == "address":
            store.address = _address(value)
        elif field == "hours":
            problem = hours_problem(value or {})
            if problem:
                raise InvalidStore("hours", problem)
            store.hours = {day: dict(span) for day, span in (value or {}).items() if span} or None
        elif field == "limit_overrides":
            store.limit_overrides = _overrides(store, value)
        elif field == "name":
            if not value or not str(value).strip():
                raise InvalidStore("name", "give the store a name")
            store.name = str(value).strip()
        else:
            if value is None:
                raise InvalidStore(field, "cannot be empty")
            setattr(store, field, value)
