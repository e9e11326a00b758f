"""The loyalty program's rules (domain/loyalty.py): earning, the program's dates, and SMS double opt-in replies."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from cannasync.domain.loyalty import ConsentState, EarningRule, earns, eligible_by_date, opt_in_message, reply_meaning


@pytest.mark.parametrize(
    ("per_dollar", "total_cents", "points"),
    [
        (Decimal(1), 1999, 19),  # $19.99 at a point a dollar: 19, never rounded up
        (Decimal(1), 2000, 20),
        (Decimal("1.5"), 999, 14),  # 14.985 points: 14
        (Decimal("1.5"), 1000, 15),
        (Decimal(2), 1, 0),
        (Decimal(1), 0, 0),  # a zero sale earns nothing
        (Decimal(1), -2500, 0),  # nor does a refund
    ],
)
def test_a_sale_earns_whole_points_rounded_down(per_dollar: Decimal, total_cents: int, points: int) -> None:
    assert EarningRule(per_dollar).points_for(total_cents) == points


def test_enrolled_shoppers_earn_from_their_enrolment_day_on() -> None:
    enrolled = date(2026, 3, 1)
    assert earns(date(2026, 3, 1), enrolled)
    assert earns(date(2026, 7, 4), enrolled)
    assert not earns(date(2026, 2, 28), enrolled)
    assert not earns(date(2026, 7, 4), None)  # not enrolled: no points


def test_a_sale_on_or_after_a_program_date_makes_its_shopper_eligible() -> None:
    start = date(2026, 1, 15)
    assert eligible_by_date(date(2026, 1, 15), start)
    assert not eligible_by_date(date(2026, 1, 14), start)
    assert not eligible_by_date(date(2026, 1, 15), None)  # no date set: nobody becomes eligible


@pytest.mark.parametrize(
    ("reply", "meaning"),
    [
        ("YES", ConsentState.CONFIRMED),
        (" yes! ", ConsentState.CONFIRMED),
        ("Y", ConsentState.CONFIRMED),
        ("ok.", ConsentState.CONFIRMED),
        ("START", ConsentState.CONFIRMED),
        ("No", ConsentState.DECLINED),
        ("STOP", ConsentState.DECLINED),
        ("stop.", ConsentState.DECLINED),
        ("Unsubscribe", ConsentState.DECLINED),
        ("quit", ConsentState.DECLINED),
        ("maybe later", None),  # anything else: ask again later
        ("yes please", None),
        ("", None),
    ],
)
def test_an_sms_reply_confirms_declines_or_leaves_the_question_open(reply: str, meaning: ConsentState | None) -> None:
    assert reply_meaning(reply) == meaning


def test_the_opt_in_request_names_the_program_and_how_to_answer() -> None:
    text = opt_in_message("Green Rewards")
    assert text.startswith("Green Rewards: reply YES")
    assert "or NO to decline" in text and text.endswith("Msg & data rates may apply.")
    assert reply_meaning("YES") == ConsentState.CONFIRMED and reply_meaning("NO") == ConsentState.DECLINED
