"""Online orders: the canonical status machine, and how offers and fees make the total.

Every POS status is mapped onto :class:`OrderStatus`; the machine only moves forward, so a late or repeated
update from a vendor can be recognised and ignored instead of dragging an order back.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum


class OrderStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    SUBMITTED = "submitted"
    READY_FOR_PICKUP = "ready_for_pickup"
    OUT_FOR_DELIVERY = "out_for_delivery"
    CLOSED = "closed"
    CANCELLED = "cancelled"

    @property
    def is_open(self) -> bool:
        return self not in FINAL_STATUSES


class Fulfillment(StrEnum):
    PICKUP = "pickup"
    DELIVERY = "delivery"
    KIOSK = "kiosk"


FINAL_STATUSES = frozenset({OrderStatus.CLOSED, OrderStatus.CANCELLED})

# Progress along the happy path; Ready for Pickup and Out for Delivery are the same step for different orders.
_RANK = {
    OrderStatus.PENDING: 0,
    OrderStatus.CONFIRMED: 1,
    OrderStatus.SUBMITTED: 2,
    OrderStatus.READY_FOR_PICKUP: 3,
    OrderStatus.OUT_FOR_DELIVERY: 3,
    OrderStatus.CLOSED: 4,
}


def transition_problem(current: OrderStatus, target: OrderStatus, fulfillment: Fulfillment) -> str | None:
    """Why ``current → target`` is not allowed, or None when it is.

    Forward moves may skip steps (a POS can complete an order it never marked packed); Cancelled is reachable
    from every open status; nothing leaves Closed or Cancelled.
    """
    if current == target:
        return f"the order is already {current.value}"
    if current in FINAL_STATUSES:
        return f"the order is {current.value} and can no longer change"
    if target == OrderStatus.CANCELLED:
        return None
    if target == OrderStatus.PENDING:
        return "an order cannot go back to pending"
    if target == OrderStatus.READY_FOR_PICKUP and fulfillment == Fulfillment.DELIVERY:
        return "a delivery order is never ready for pickup"
    if target == OrderStatus.OUT_FOR_DELIVERY and fulfillment != Fulfillment.DELIVERY:
        return f"a {fulfillment.value} order is never out for delivery"
    if _RANK[target] <= _RANK[current]:
        return f"{target.value} would move the order backwards from {current.value}"
    return None


# --- pricing ---------------------------------------------------------------------------------------------------


class OfferKind(StrEnum):
    PERCENT = "percent"
    AMOUNT = "amount"


@dataclass(frozen=True, slots=True)
class Offer:
    """A discount the store applied: ``value`` is a percentage or an amount in cents.

    ``line`` is the index of the line it applies to, or None for the whole order.
    """

    label: str
    kind: OfferKind
    value: Decimal
    line: int | None = None


@dataclass(frozen=True, slots=True)
class LineDraft:
    quantity: int
    unit_price_cents: int


@dataclass(frozen=True, slots=True)
class PricedLine:
    quantity: int
    unit_price_cents: int
    discount_cents: int

    @property
    def gross_cents(self) -> int:
        return self.quantity * self.unit_price_cents

    @property
    def net_cents(self) -> int:
        return self.gross_cents - self.discount_cents


@dataclass(frozen=True, slots=True)
class AppliedOffer:
    offer: Offer
    amount_cents: int


@dataclass(frozen=True, slots=True)
class Fee:
    name: str
    amount_cents: int


@dataclass(frozen=True, slots=True)
class PricedOrder:
    lines: tuple[PricedLine, ...]
    offers: tuple[AppliedOffer, ...]
    fees: tuple[Fee, ...]

    @property
    def subtotal_cents(self) -> int:
        return sum(line.gross_cents for line in self.lines)

    @property
    def discount_cents(self) -> int:
        return sum(line.discount_cents for line in self.lines)

    @property
    def fees_cents(self) -> int:
        return sum(fee.amount_cents for fee in self.fees)

    @property
    def total_cents(self) -> int:
        return self.subtotal_cents - self.discount_cents + self.fees_cents


class InvalidOrder(ValueError):
    """The order cannot be priced or placed as given; the message says what to fix."""


def _percent_of(cents: int, percent: Decimal) -> int:
    return int((Decimal(cents) * percent / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _offer_amount(offer: Offer, base_cents: int) -> int:
    if offer.value < 0:
        raise InvalidOrder(f"offer {offer.label!r} has a negative value")
    if offer.kind == OfferKind.PERCENT:
        if offer.value > 100:
            raise InvalidOrder(f"offer {offer.label!r} is more than 100%")
        return _percent_of(base_cents, offer.value)
    return min(int(offer.value), base_cents)


def _spread(amount: int, weights: Sequence[int]) -> list[int]:
    """Split ``amount`` over lines in proportion to ``weights``, whole cents, summing exactly (largest remainder)."""
    total = sum(weights)
    if total == 0:
        return [0] * len(weights)
    shares = [amount * weight // total for weight in weights]
    remainders = sorted(range(len(weights)), key=lambda i: (amount * weights[i]) % total, reverse=True)
    for i in remainders[: amount - sum(shares)]:
        shares[i] += 1
    return shares


def price_order(lines: Sequence[LineDraft], offers: Sequence[Offer], fees: Sequence[Fee] = ()) -> PricedOrder:
    """Apply line offers to their lines, then order offers across all lines in proportion to what is left.

    Every discount ends up attached to a line in whole cents, so a POS that wants post-discount unit prices
    and one that wants order-level discounts can both be told the same total.
    """
    if not lines:
        raise InvalidOrder("an order needs at least one line")
    for draft in lines:
        if draft.quantity <= 0:
            raise InvalidOrder("every line needs a quantity of at least 1")
        if draft.unit_price_cents < 0:
            raise InvalidOrder("a line cannot have a negative price")
    for fee in fees:
        if fee.amount_cents < 0:
            raise InvalidOrder(f"fee {fee.name!r} is negative")
    discounts = [0] * len(lines)
    applied: list[AppliedOffer] = []
    for offer in (o for o in offers if o.line is not None):
        index = offer.line
        assert index is not None
        if not 0 <= index < len(lines):
            raise InvalidOrder(f"offer {offer.label!r} names line {index}, which the order does not have")
        gross = lines[index].quantity * lines[index].unit_price_cents
        remaining = gross - discounts[index]
        base = gross if offer.kind == OfferKind.PERCENT else remaining
        amount = min(_offer_amount(offer, base), remaining)
        discounts[index] += amount
        applied.append(AppliedOffer(offer, amount))
    for offer in (o for o in offers if o.line is None):
        nets = [d.quantity * d.unit_price_cents - discounts[i] for i, d in enumerate(lines)]
        amount = _offer_amount(offer, sum(nets))
        for i, share in enumerate(_spread(amount, nets)):
            discounts[i] += share
        applied.append(AppliedOffer(offer, amount))
    priced = tuple(PricedLine(d.quantity, d.unit_price_cents, discounts[i]) for i, d in enumerate(lines))
    return PricedOrder(priced, tuple(applied), tuple(fees))


# --- order numbers -------------------------------------------------------------------------------------------

_RANDOM_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O or 1/I: read aloud at the counter


def random_order_number(length: int = 8) -> str:
    """A customer-facing number that reveals nothing about volume (the store's "Randomized Order Number")."""
    return "".join(secrets.choice(_RANDOM_ALPHABET) for _ in range(length))


def sequential_order_number(sequence: int) -> str:
    return str(sequence)
