"""The customer rules (domain/customers.py): the normal forms shoppers are matched by, and age."""

from __future__ import annotations

from datetime import date

import pytest

from cannasync.domain.customers import InvalidCustomer, age_on, normalise_email, normalise_phone


@pytest.mark.parametrize(
    ("typed", "digits"),
    [
        ("(555) 000-2222", "5550002222"),
        ("555.000.2222", "5550002222"),
        ("+1 555 000 2222", "5550002222"),  # the country code is dropped
        ("15550002222", "5550002222"),
        ("5550002222", "5550002222"),
        (None, None),
        ("", None),
        ("   ", None),
    ],
)
def test_a_phone_is_ten_digits_however_it_was_typed(typed: str | None, digits: str | None) -> None:
    assert normalise_phone(typed) == digits


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("555-0002", "is not a 10-digit number"),
        ("25550002222", "is not a 10-digit number"),  # eleven digits, but not a leading 1
        ("+44 20 7946 0958", "is not a 10-digit number"),
        ("call me maybe", "has no digits: give a 10-digit number or leave it empty"),
    ],
)
def test_a_phone_that_is_not_one_is_refused_saying_what_to_fix(typed: str, reason: str) -> None:
    with pytest.raises(InvalidCustomer, match=reason):
        normalise_phone(typed)


def test_an_email_is_compared_trimmed_and_in_lower_case() -> None:
    assert normalise_email("  Casey.Morgan@Example.COM ") == "casey.morgan@example.com"
    assert normalise_email(None) is None and normalise_email("  ") is None


@pytest.mark.parametrize("typed", ["casey", "@example.com", "casey@"])
def test_an_email_that_is_no_address_is_refused(typed: str) -> None:
    with pytest.raises(InvalidCustomer, match="is not an address"):
        normalise_email(typed)


@pytest.mark.parametrize(
    ("born", "day", "age"),
    [
        (date(2005, 6, 1), date(2026, 6, 1), 21),  # the birthday itself counts
        (date(2005, 6, 1), date(2026, 5, 31), 20),  # the day before: not yet
        (date(2004, 2, 29), date(2025, 2, 28), 20),  # a leap-day birthday: not until March 1 in other years
        (date(2004, 2, 29), date(2025, 3, 1), 21),
        (date(2004, 2, 29), date(2028, 2, 29), 24),
    ],
)
def test_age_is_whole_years_on_the_day(born: date, day: date, age: int) -> None:
    assert age_on(born, day) == age
