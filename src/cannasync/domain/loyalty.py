"""The loyalty program's rules: earning, enrolment, double opt-in, rewards. Pure; the ledger is the truth.

A balance is never stored: it is the sum of the ledger, and every ledger entry is unique per (kind, reference),
so a sale earns once and a redemption is charged once however often either is seen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_FLOOR, Decimal
from enum import StrEnum


class ConsentState(StrEnum):
    PENDING = "pending"  # eligible: the daily job will ask
    REQUESTED = "requested"  # asked; waiting for the reply
    CONFIRMED = "confirmed"
    DECLINED = "declined"


class Channel(StrEnum):
    SMS = "sms"
    EMAIL = "email"


class RewardKind(StrEnum):
    FLAT = "flat"  # dollars off
    PERCENT = "percent"


class LoyaltyRefused(ValueError):
    """A loyalty action that cannot be done as asked; the message says why."""


class NotEnoughPoints(LoyaltyRefused):
    """A redemption past the shopper's balance."""


class PosOwnsContact(LoyaltyRefused):
    """A contact edit for a shopper whose POS is the source of truth."""


@dataclass(frozen=True, slots=True)
class EarningRule:
    points_per_dollar: Decimal

    def points_for(self, total_cents: int) -> int:
        """Whole points for a sale, rounded down; refunds and zero sales earn nothing."""
        if total_cents <= 0:
            return 0
        return int((Decimal(total_cents) / 100 * self.points_per_dollar).to_integral_value(rounding=ROUND_FLOOR))


def earns(sale_day: date, earns_from: date | None) -> bool:
    """Seed 002: enrolled shoppers earn points for sales on or after the day they were enrolled from."""
    return earns_from is not None and sale_day >= earns_from


def eligible_by_date(sale_day: date, after: date | None) -> bool:
    """A sale on or after a program date (opt-in requests, enrolment) makes its shopper eligible."""
    return after is not None and sale_day >= after


_YES = {"yes", "y", "start", "unstop", "confirm", "ok"}
_NO = {"no", "n", "stop", "stopall", "unsubscribe", "cancel", "end", "quit"}


def reply_meaning(text: str) -> ConsentState | None:
    """What an SMS reply to an opt-in request means: confirmed, declined, or None (ask again later)."""
    word = text.strip().lower().strip(".!")
    if word in _YES:
        return ConsentState.CONFIRMED
    if word in _NO:
        return ConsentState.DECLINED
    return None


@dataclass(frozen=True, slots=True)
class DateChangePreview:
    """What changing the program's dates would do, shown before it is saved.

    Changing or removing a date only decides who becomes eligible from now on: nobody already asked, confirmed
    or enrolled is touched, and no points are taken back (the original platform warns it loses members here).
    """

    newly_requested: int
    newly_enrolled: int
    losing_membership: int = 0
    losing_points: int = 0


def opt_in_message(program_name: str) -> str:
    return (
        f"{program_name}: reply YES to get texts about deals and your loyalty points, or NO to decline. "
        "Msg & data rates may apply."
    )
