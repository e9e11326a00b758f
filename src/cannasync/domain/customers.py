"""Shoppers, and the normal forms used to match them against a POS's customers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_DIGITS = re.compile(r"\D+")


class InvalidCustomer(ValueError):
    """The customer details cannot be used as given; the message says what to fix."""


def normalise_phone(raw: str | None) -> str | None:
    """Ten digits for a North American number (a leading country code 1 is dropped); None when empty.

    POS systems store phones in every format; comparing digits is the only reliable match.
    """
    if raw is None:
        return None
    digits = _DIGITS.sub("", raw)
    if not digits:
        if raw.strip():  # "call me maybe" is not an empty phone: dropping it silently would lose what was meant
            raise InvalidCustomer(f"phone {raw!r} has no digits: give a 10-digit number or leave it empty")
        return None
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) != 10:
        raise InvalidCustomer(f"phone {raw!r} is not a 10-digit number")
    return digits


def normalise_email(raw: str | None) -> str | None:
    if raw is None or not raw.strip():
        return None
    email = raw.strip().lower()
    if "@" not in email or email.startswith("@") or email.endswith("@"):
        raise InvalidCustomer(f"email {raw!r} is not an address")
    return email


@dataclass(frozen=True, slots=True)
class CustomerDetails:
    """What a shopper gives at checkout, already normalised."""

    first_name: str
    last_name: str
    date_of_birth: date | None = None
    phone: str | None = None
    email: str | None = None
    medical_id: str | None = None
    medical_id_expiration: date | None = None


def age_on(born: date, day: date) -> int:
    """Whole years of age on ``day`` (a birthday counts from the day itself)."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))
