"""The order model, pure: the canonical status machine, pricing with offers and fees, and order numbers."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cannasync.domain.orders import (
    Fee,
    Fulfillment,
    InvalidOrder,
    LineDraft,
    Offer,
    OfferKind,
    OrderStatus,
    price_order,
    random_order_number,
    sequential_order_number,
    transition_problem,
)

PENDING, CONFIRMED, SUBMITTED, READY, OUT, CLOSED, CANCELLED = (
    OrderStatus.PENDING,
    OrderStatus.CONFIRMED,
    OrderStatus.SUBMITTED,
    OrderStatus.READY_FOR_PICKUP,
    OrderStatus.OUT_FOR_DELIVERY,
    OrderStatus.CLOSED,
    OrderStatus.CANCELLED,
)

# The machine written out by hand (issue 2 §2 and seed 000's status table): forward only, steps may be skipped
# (a POS can complete an order it never marked packed), Cancelled from any open state, nothing leaves the end.
# Keys are the statuses an order of that kind can be in: a pickup order is never out for delivery, and vice versa.
PICKUP_MACHINE = {
    PENDING: {CONFIRMED, SUBMITTED, READY, CLOSED, CANCELLED},
    CONFIRMED: {SUBMITTED, READY, CLOSED, CANCELLED},
    SUBMITTED: {READY, CLOSED, CANCELLED},
    READY: {CLOSED, CANCELLED},
    CLOSED: set(),
    CANCELLED: set(),
}
DELIVERY_MACHINE = {
    PENDING: {CONFIRMED, SUBMITTED, OUT, CLOSED, CANCELLED},
    CONFIRMED: {SUBMITTED, OUT, CLOSED, CANCELLED},
    SUBMITTED: {OUT, CLOSED, CANCELLED},
    OUT: {CLOSED, CANCELLED},
    CLOSED: set(),
    CANCELLED: set(),
}
MACHINE = {
    Fulfillment.PICKUP: PICKUP_MACHINE,
    Fulfillment.KIOSK: PICKUP_MACHINE,
    Fulfillment.DELIVERY: DELIVERY_MACHINE,
}


@pytest.mark.parametrize("fulfillment", list(Fulfillment))
def test_every_transition_is_allowed_or_refused_as_the_machine_says(fulfillment: Fulfillment):
    for current, allowed in MACHINE[fulfillment].items():
        for target in OrderStatus:
            problem = transition_problem(current, target, fulfillment)
            if target in allowed:
                assert problem is None, f"{fulfillment}: {current} → {target} refused: {problem}"
            else:
                assert isinstance(problem, str) and problem, f"{fulfillment}: {current} → {target} allowed"


def test_the_fulfilment_decides_between_ready_for_pickup_and_out_for_delivery():
    for current in (PENDING, CONFIRMED, SUBMITTED):
        assert "delivery" in (transition_problem(current, READY, Fulfillment.DELIVERY) or "")
        assert transition_problem(current, OUT, Fulfillment.PICKUP) is not None
        assert transition_problem(current, OUT, Fulfillment.KIOSK) is not None
        assert transition_problem(current, READY, Fulfillment.PICKUP) is None
        assert transition_problem(current, READY, Fulfillment.KIOSK) is None
        assert transition_problem(current, OUT, Fulfillment.DELIVERY) is None


def test_nothing_leaves_closed_or_cancelled():
    for fulfillment, final, target in itertools.product(Fulfillment, (CLOSED, CANCELLED), OrderStatus):
        assert transition_problem(final, target, fulfillment) is not None
    assert not CLOSED.is_open and not CANCELLED.is_open
    assert all(status.is_open for status in (PENDING, CONFIRMED, SUBMITTED, READY, OUT))


def test_cancel_is_allowed_from_every_open_state():
    for fulfillment in Fulfillment:
        for current in MACHINE[fulfillment]:
            if current.is_open:
                assert transition_problem(current, CANCELLED, fulfillment) is None


def test_no_backwards_moves_and_no_repeats():
    path = [PENDING, CONFIRMED, SUBMITTED]
    for fulfillment in Fulfillment:
        step = READY if fulfillment != Fulfillment.DELIVERY else OUT
        full = [*path, step, CLOSED]
        for i, later in enumerate(full):
            assert transition_problem(later, later, fulfillment) is not None  # already there
            for earlier in full[:i]:
                assert transition_problem(later, earlier, fulfillment) is not None, (later, earlier)


@settings(max_examples=200, deadline=None)
@given(
    fulfillment=st.sampled_from(list(Fulfillment)),
    targets=st.lists(st.sampled_from(list(OrderStatus)), max_size=12),
)
def test_any_sequence_of_updates_only_moves_forward(fulfillment: Fulfillment, targets: list[OrderStatus]):
    """Apply a stream of vendor updates, skipping the refused ones: the order never goes back nor leaves the end."""
    rank = {PENDING: 0, CONFIRMED: 1, SUBMITTED: 2, READY: 3, OUT: 3, CLOSED: 4, CANCELLED: 4}
    current = PENDING
    for target in targets:
        if transition_problem(current, target, fulfillment) is None:
            assert current.is_open
            assert rank[target] > rank[current] or target == CANCELLED
            current = target
    assert current in MACHINE[fulfillment]


# --- pricing ---------------------------------------------------------------------------------------------------

lines_st = st.lists(
    st.builds(LineDraft, quantity=st.integers(1, 50), unit_price_cents=st.integers(0, 100_000)), min_size=1, max_size=6
)
fees_st = st.lists(st.builds(Fee, name=st.sampled_from(["Delivery", "Service"]), amount_cents=st.integers(0, 5_000)))
percent_st = st.decimals(min_value=0, max_value=100, places=2)
amount_st = st.integers(0, 600_000).map(Decimal)


@st.composite
def orders_st(draw: st.DrawFn) -> tuple[list[LineDraft], list[Offer], list[Fee]]:
    lines = draw(lines_st)
    offers = []
    for i in range(draw(st.integers(0, 5))):
        kind = draw(st.sampled_from(list(OfferKind)))
        value = draw(percent_st if kind == OfferKind.PERCENT else amount_st)
        line = draw(st.none() | st.integers(0, len(lines) - 1))
        offers.append(Offer(f"offer {i}", kind, value, line))
    return lines, offers, draw(fees_st)


@settings(max_examples=400, deadline=None)
@given(orders_st())
def test_pricing_adds_up_in_whole_non_negative_cents(order: tuple[list[LineDraft], list[Offer], list[Fee]]):
    lines, offers, fees = order
    priced = price_order(lines, offers, fees)
    assert len(priced.lines) == len(lines)
    for draft, line in zip(lines, priced.lines, strict=True):
        assert (line.quantity, line.unit_price_cents) == (draft.quantity, draft.unit_price_cents)
        assert isinstance(line.discount_cents, int)
        assert 0 <= line.discount_cents <= draft.quantity * draft.unit_price_cents
    assert [applied.offer for applied in priced.offers] == [o for o in offers if o.line is not None] + [
        o for o in offers if o.line is None
    ]
    assert all(isinstance(a.amount_cents, int) and a.amount_cents >= 0 for a in priced.offers)
    assert sum(a.amount_cents for a in priced.offers) == priced.discount_cents
    assert priced.subtotal_cents == sum(d.quantity * d.unit_price_cents for d in lines)
    assert priced.fees_cents == sum(f.amount_cents for f in fees)
    assert priced.total_cents == priced.subtotal_cents - priced.discount_cents + priced.fees_cents
    for value in (priced.subtotal_cents, priced.discount_cents, priced.fees_cents, priced.total_cents):
        assert isinstance(value, int) and value >= 0


@settings(max_examples=200, deadline=None)
@given(orders_st())
def test_a_hundred_percent_order_offer_leaves_only_the_fees(order: tuple[list[LineDraft], list[Offer], list[Fee]]):
    lines, offers, fees = order
    priced = price_order(lines, [*offers, Offer("Free", OfferKind.PERCENT, Decimal(100))], fees)
    assert priced.total_cents == priced.fees_cents == sum(f.amount_cents for f in fees)
    assert all(line.net_cents == 0 for line in priced.lines)
    assert priced.discount_cents == priced.subtotal_cents


@settings(max_examples=200, deadline=None)
@given(lines=lines_st, percent=percent_st)
def test_a_percent_line_offer_discounts_only_its_line(lines: list[LineDraft], percent: Decimal):
    target = len(lines) - 1
    priced = price_order(lines, [Offer("Line deal", OfferKind.PERCENT, percent, target)])
    gross = lines[target].quantity * lines[target].unit_price_cents
    exact = Decimal(gross) * percent / 100
    assert abs(priced.lines[target].discount_cents - exact) <= Decimal("0.5")
    assert all(line.discount_cents == 0 for i, line in enumerate(priced.lines) if i != target)


def test_order_offers_are_spread_over_lines_in_proportion():
    lines = [LineDraft(1, 1_000), LineDraft(3, 1_000)]
    priced = price_order(lines, [Offer("$4 off", OfferKind.AMOUNT, Decimal(400))])
    assert [line.discount_cents for line in priced.lines] == [100, 300]
    assert priced.total_cents == 3_600

    # An order offer is spread over what is left after line offers: line 0 is free already, so gets nothing.
    priced = price_order(
        lines,
        [Offer("10% off", OfferKind.PERCENT, Decimal(10)), Offer("Line 0 free", OfferKind.PERCENT, Decimal(100), 0)],
    )
    assert [line.discount_cents for line in priced.lines] == [1_000, 300]
    assert [a.amount_cents for a in priced.offers] == [1_000, 300]

    # Cents that do not divide go to the lines with the largest remainders, summing exactly.
    priced = price_order([LineDraft(1, 100)] * 3, [Offer("$1 off", OfferKind.AMOUNT, Decimal(100))])
    assert sorted(line.discount_cents for line in priced.lines) == [33, 33, 34]


@settings(max_examples=300, deadline=None)
@given(
    lines=lines_st, offer=st.one_of(percent_st.map(lambda v: ("percent", v)), amount_st.map(lambda v: ("amount", v)))
)
def test_an_order_offer_gives_each_line_its_proportional_share_within_a_cent(
    lines: list[LineDraft], offer: tuple[str, Decimal]
):
    kind, value = offer
    priced = price_order(lines, [Offer("Deal", OfferKind(kind), value)])
    amount = priced.offers[0].amount_cents
    subtotal = priced.subtotal_cents
    if kind == "amount":
        assert amount == min(int(value), subtotal)
    else:
        assert abs(amount - Decimal(subtotal) * value / 100) <= Decimal("0.5")
    for line in priced.lines:
        share = Decimal(amount) * line.gross_cents / subtotal if subtotal else Decimal(0)
        assert abs(line.discount_cents - share) < 1


def test_an_amount_offer_never_makes_a_line_negative():
    priced = price_order([LineDraft(2, 500)], [Offer("$50 off", OfferKind.AMOUNT, Decimal(5_000), 0)])
    assert priced.lines[0].discount_cents == 1_000 and priced.total_cents == 0
    assert priced.offers[0].amount_cents == 1_000


@pytest.mark.parametrize(
    ("lines", "offers", "fees", "words"),
    [
        ([], [], [], "line"),
        ([LineDraft(0, 100)], [], [], "quantity"),
        ([LineDraft(-1, 100)], [], [], "quantity"),
        ([LineDraft(1, -1)], [], [], "price"),
        ([LineDraft(1, 100)], [], [Fee("Delivery", -1)], "Delivery"),
        ([LineDraft(1, 100)], [Offer("Minus", OfferKind.AMOUNT, Decimal(-1))], [], "Minus"),
        ([LineDraft(1, 100)], [Offer("Minus", OfferKind.PERCENT, Decimal(-5))], [], "Minus"),
        ([LineDraft(1, 100)], [Offer("Greedy", OfferKind.PERCENT, Decimal("100.01"))], [], "Greedy"),
        ([LineDraft(1, 100)], [Offer("Stray", OfferKind.PERCENT, Decimal(10), 1)], [], "Stray"),
        ([LineDraft(1, 100)], [Offer("Stray", OfferKind.PERCENT, Decimal(10), -1)], [], "Stray"),
    ],
)
def test_invalid_orders_are_refused_with_a_reason(lines, offers, fees, words):
    with pytest.raises(InvalidOrder, match=words):
        price_order(lines, offers, fees)


# --- order numbers ---------------------------------------------------------------------------------------------

UNAMBIGUOUS = set("23456789ABCDEFGHJKLMNPQRSTUVWXYZ")


def test_random_order_numbers_use_eight_unambiguous_characters():
    numbers = [random_order_number() for _ in range(4_000)]
    assert all(len(number) == 8 for number in numbers)
    used = set("".join(numbers))
    assert used <= UNAMBIGUOUS
    assert not used & set("01IO")
    assert used == UNAMBIGUOUS  # every character turns up in 32 000 draws: none is left out
    assert len(set(numbers)) == len(numbers)
    assert len(random_order_number(12)) == 12


def test_sequential_order_numbers_are_the_sequence():
    assert [sequential_order_number(n) for n in (1001, 1002, 99999)] == ["1001", "1002", "99999"]
