"""A store's hours and address (domain/stores.py): what a shop page shows and what the console refuses."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cannasync.domain.stores import address_lines, hours_problem, known_zone, open_state, week, zone

LATE = {"fri": {"open": "18:00", "close": "02:00"}, "sat": {"open": "09:30", "close": "17:00"}}


@pytest.mark.parametrize(
    ("hours", "problem"),
    [
        ({"mon": {"open": "09:00", "close": "21:00"}, "sun": None}, None),
        ({"fri": {"open": "18:00", "close": "02:00"}}, None),  # past midnight is allowed
        ({"monday": {"open": "09:00", "close": "21:00"}}, "'monday' is not a weekday (mon … sun)"),
        ({"mon": {"open": "09:00"}}, "mon needs an open and a close time"),
        ({"tue": "9-5"}, "tue needs an open and a close time"),
        ({"wed": {"open": "9:00", "close": "21:00"}}, "wed open must be a 24-hour time like 09:00"),
        ({"wed": {"open": "09:00", "close": "24:00"}}, "wed close must be a 24-hour time like 09:00"),
        ({"thu": {"open": "10:00", "close": "10:00"}}, "thu opens and closes at the same time"),
    ],
)
def test_an_hours_table_is_refused_saying_what_is_wrong(hours: dict[str, object], problem: str | None) -> None:
    assert hours_problem(hours) == problem


def test_a_late_opening_runs_past_midnight_into_the_next_day() -> None:
    # Friday 4 December 2026 in Detroit (EST, UTC-5).
    assert open_state(LATE, datetime(2026, 12, 5, 6, 0, tzinfo=UTC), "America/Detroit").text == (
        "Open now · until 2 AM"  # 01:00 on Saturday: still Friday's opening
    )
    assert open_state(LATE, datetime(2026, 12, 5, 8, 0, tzinfo=UTC), "America/Detroit").text == (
        "Closed · opens 9:30 AM"
    )
    assert open_state(LATE, datetime(2026, 12, 5, 23, 0, tzinfo=UTC), "America/Detroit").text == (
        "Closed · opens Fri 6 PM"  # Saturday 18:00: next Friday
    )


def test_a_store_without_hours_says_nothing_and_one_never_open_says_closed() -> None:
    moment = datetime(2026, 12, 5, 23, 0, tzinfo=UTC)
    assert open_state(None, moment, "America/Detroit") == open_state({}, moment, "America/Detroit")
    assert open_state(None, moment, "America/Detroit").known is False
    never = open_state({"mon": None}, moment, "America/Detroit")
    assert (never.known, never.open, never.text) == (True, False, "Closed")


def test_the_week_as_a_shopper_reads_it() -> None:
    assert week(LATE) == [
        ("Monday", "Closed"),
        ("Tuesday", "Closed"),
        ("Wednesday", "Closed"),
        ("Thursday", "Closed"),
        ("Friday", "6 PM – 2 AM"),
        ("Saturday", "9:30 AM – 5 PM"),
        ("Sunday", "Closed"),
    ]


@pytest.mark.parametrize(
    ("name", "known"),
    [
        ("America/Detroit", True),
        ("UTC", True),
        ("EST", False),
        ("Mars/Olympus_Mons", False),
        ("", False),
        (None, False),
    ],
)
def test_a_store_zone_must_be_an_iana_name(name: str | None, known: bool) -> None:
    assert known_zone(name) is known


def test_an_unknown_zone_reads_as_utc_rather_than_failing_a_page() -> None:
    assert str(zone("Mars/Olympus_Mons")) == "UTC" and str(zone(None)) == "UTC"
    assert str(zone("America/Detroit")) == "America/Detroit"


def test_an_address_prints_as_an_envelope_does() -> None:
    full = {"line1": "412 Main St", "line2": "Suite 2", "city": "Vancouver", "state": "WA", "postcode": "98660"}
    assert address_lines(full) == ["412 Main St", "Suite 2", "Vancouver, WA 98660"]
    assert address_lines({"line1": " 412 Main St ", "city": "Vancouver", "state": "WA"}) == [
        "412 Main St",
        "Vancouver, WA",
    ]
    assert address_lines({"state": "WA", "postcode": "98660"}) == ["WA 98660"]
    assert address_lines(None) == [] and address_lines({}) == []
