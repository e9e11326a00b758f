"""The online store's side of an order: place it (holding its stock), confirm it, cancel it.

Placing an order prices it, records it and holds its quantities in one transaction: either the shopper gets the
order and the stock is held, or neither happens. An ``Idempotency-Key`` makes a retried checkout return the order
it already placed instead of placing a second one.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError

from cannasync.connectors.base import Traits
from cannasync.connectors.registry import pos_options, vendor
from cannasync.domain import limits, variants
from cannasync.domain.catalog import PriceTier
from cannasync.domain.customers import CustomerDetails, age_on
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
from cannasync.flows import shopper_messages
from cannasync.store.catalog.holds import OutOfStock
from cannasync.store.orders import contact_record
from cannasync.store.tables import Integration, Order, OrderLine, OrderOffer, Product, Store
from cannasync.store.uow import Database, UnitOfWork

PUSH_ORDER = "push_order"
#: The name of the store's delivery fee on an order (and in the POS push).
DELIVERY_FEE = "Delivery"

__all__ = [
    "CheckoutLine",
    "CheckoutRequest",
    "IdempotencyConflict",
    "InvalidOrder",
    "OutOfStock",
    "OverLimit",
    "place_order",
]

OverLimit = limits.OverLimit


class IdempotencyConflict(Exception):
    """The Idempotency-Key was used before for a different order."""


class StatusConflict(Exception):
    """The order is not in a state that allows the change asked for."""


@dataclass(frozen=True, slots=True)
class CheckoutLine:
    product_id: int
    quantity: int
    #: The weight tier's label, for a bulk product sold by weight ("1/8 oz"): ``quantity`` then counts tiers.
    tier: str | None = None


@dataclass(frozen=True, slots=True)
class CheckoutOffer:
    label: str
    kind: OfferKind
    value: Decimal  # percent, or cents for an amount
    line: int | None = None


@dataclass(frozen=True, slots=True)
class CheckoutRequest:
    customer: CustomerDetails
    lines: Sequence[CheckoutLine]
    fulfillment: Fulfillment = Fulfillment.PICKUP
    is_medical: bool = False
    offers: Sequence[CheckoutOffer] = ()
    fees: Sequence[Fee] = ()
    notes: str = ""
    delivery_address: dict[str, str] | None = None
    window_start: datetime | None = None
    window_end: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def digest(self) -> str:
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True, default=str).encode()).hexdigest()


def _validate(request: CheckoutRequest, traits: Traits | None) -> None:
    if request.is_medical and not request.customer.medical_id:
        raise InvalidOrder("a medical order needs the customer's medical id")
    if request.fulfillment == Fulfillment.DELIVERY and not request.delivery_address:
        raise InvalidOrder("a delivery order needs a delivery address")
    if (
        traits is not None
        and traits.requires_medical_id_or_phone
        and not (request.customer.medical_id or request.customer.phone)
    ):
        raise InvalidOrder("this store's POS needs a medical id or a phone number on every order")
    if (
        traits is not None
        and traits.requires_medical_id_expiration
        and request.customer.medical_id
        and request.customer.medical_id_expiration is None
    ):
        raise InvalidOrder("this store's POS needs the medical card's expiry date with the medical id")
    expires = request.customer.medical_id_expiration
    if request.is_medical and expires is not None and expires < date.today():
        raise InvalidOrder("the medical card has expired")
    if traits is not None and traits.requires_date_of_birth and request.customer.date_of_birth is None:
        raise InvalidOrder("this store's POS needs the shopper's date of birth")
    if request.customer.date_of_birth is not None:
        age = age_on(request.customer.date_of_birth, date.today())
        minimum = 18 if request.is_medical else 21
        if age < minimum:
            kind = "medical" if request.is_medical else "recreational"
            raise InvalidOrder(f"a {kind} order needs a shopper aged {minimum} or over")
    if (
        traits is not None
        and traits.requires_delivery_window
        and request.fulfillment == Fulfillment.DELIVERY
        and not (request.window_start and request.window_end)
    ):
        raise InvalidOrder("this store's POS needs the delivery window's start and end")
    if request.window_start and request.window_end and request.window_end < request.window_start:
        raise InvalidOrder("the fulfilment window ends before it starts")


#: The most an order's totals may come to: what their integer columns hold (a line's quantity may be as large as the
#: store's stock, so its price times that can be more).
MAX_ORDER_CENTS = 2**31 - 1


def _dollars(cents: int) -> str:
    return f"${cents / 100:,.2f}"


def order_limits(store: Store, is_medical: bool) -> list[limits.Limit]:
    """The purchase limits an order at ``store`` is held to: its state's, with the store's own amounts."""
    customer = limits.Customer.MEDICAL if is_medical else limits.Customer.ADULT_USE
    return limits.limits_for((store.address or {}).get("state"), customer, store.limit_overrides)


def limit_item(product: Product, quantity: int, tier: PriceTier | None = None) -> limits.Item:
    """A product row as the purchase limits count it (its weight and THC from the POS's data; a line sold by a
    weight tier weighs what the tier does)."""
    weight, unit = (
        (str(tier.quantity), tier.unit) if tier is not None else (product.net_weight, product.net_weight_unit)
    )
    return limits.item(
        product.name,
        quantity,
        (product.base_category, product.category, product.subcategory, product.pos_category),
        weight,
        unit,
        product.cannabinoids or [],
    )


def line_tier(product: Product, label: str | None) -> PriceTier | None:
    """The weight tier a line names (None: sold by the unit); InvalidOrder naming the choices for a bad one."""
    try:
        return variants.choose_tier(product.name, variants.tiers_of(product.price_tiers), label)
    except variants.UnknownTier as bad:
        raise InvalidOrder(str(bad)) from None


def stock_wanted(lines: Sequence[tuple[int, int, Decimal | None]]) -> dict[int, int]:
    """The whole stock units each product's lines hold, from (product id, quantity, tier weight or None): a line's
    tiers in the product's stock unit (grams), added up per product, then rounded up."""
    amounts: dict[int, Decimal] = {}
    for product_id, quantity, tier_quantity in lines:
        amounts[product_id] = amounts.get(product_id, Decimal(0)) + variants.stock_units(quantity, tier_quantity)
    return {product_id: variants.held_units(amount) for product_id, amount in amounts.items()}


def _store_rules(
    store: Store, request: CheckoutRequest, products: Sequence[Product], tiers: Sequence[PriceTier | None]
) -> None:
    """What the store offers (pickup, delivery) and the purchase limits of its state (or its own)."""
    if request.fulfillment == Fulfillment.PICKUP and not store.pickup_enabled:
        raise InvalidOrder("this store does not take pickup orders online; choose delivery")
    if request.fulfillment == Fulfillment.DELIVERY and not store.delivery_enabled:
        raise InvalidOrder("this store does not deliver; choose pickup")
    items = [
        limit_item(product, line.quantity, tier)
        for line, product, tier in zip(request.lines, products, tiers, strict=True)
    ]
    limits.check(items, order_limits(store, request.is_medical))


def _number(uow: UnitOfWork, store_id: int, randomized: bool) -> str:
    if not randomized:
        return sequential_order_number(uow.orders.next_sequence(store_id))
    for _ in range(20):
        candidate = random_order_number()
        if not uow.orders.number_taken(store_id, candidate):
            return candidate
    raise RuntimeError("could not find a free random order number")  # pragma: no cover - 32^8 space


def place_order(
    db: Database, store_id: int, request: CheckoutRequest, idempotency_key: str | None, page_key: str | None = None
) -> tuple[int, bool]:
    """Place an order; returns (order id, created). With a known key, returns the earlier order, created False.

    ``page_key`` is the last part of the shopper's order page address (the shop's checkout form key); without one
    the order gets a random key of its own, so every order has a page its messages can link to.
    """
    digest = request.digest()
    try:
        with db.uow() as uow:
            if idempotency_key:
                earlier = uow.orders.by_idempotency_key(store_id, idempotency_key)
                if earlier is not None:
                    if earlier.request_digest != digest:
                        raise IdempotencyConflict("this Idempotency-Key was already used for a different order")
                    return earlier.id, False
            return _place(uow, store_id, request, idempotency_key, digest, page_key or new_page_key()), True
    except IntegrityError:
        if not idempotency_key:
            raise
        # Two requests with one key raced; the other one won. Answer with its order.
        with db.uow() as uow:
            earlier = uow.orders.by_idempotency_key(store_id, idempotency_key)
            if earlier is None:
                raise
            if earlier.request_digest != digest:
                raise IdempotencyConflict("this Idempotency-Key was already used for a different order") from None
            return earlier.id, False


def new_page_key() -> str:
    """An order page's address part: 24 random bytes, so a page cannot be found by guessing or counting."""
    return secrets.token_urlsafe(24)


def _place(
    uow: UnitOfWork, store_id: int, request: CheckoutRequest, key: str | None, digest: str, page_key: str
) -> int:
    store = uow.accounts.store(store_id)
    if store is None:
        raise InvalidOrder(f"store {store_id} does not exist")
    products = []
    known = uow.catalog.products_by_id([line.product_id for line in request.lines])  # one query for every line
    for line in request.lines:
        product = known.get(line.product_id)
        if product is None or product.store_id != store_id or not product.visible:
            raise InvalidOrder(f"product {line.product_id} is not on this store's menu")
        products.append(product)
    integration_ids = {product.integration_id for product in products}
    if len(integration_ids) > 1:
        raise InvalidOrder("an order's products must all come from one POS")
    integration = uow.accounts.integration(integration_ids.pop()) if integration_ids else None
    traits = vendor(integration.vendor).traits if integration else None
    _validate(request, traits)
    tiers = [line_tier(product, line.tier) for line, product in zip(request.lines, products, strict=True)]
    if any(tiers) and not (traits is not None and traits.sells_weight_tiers):
        raise InvalidOrder("this store's POS takes no orders by weight tier online: leave out the tier")
    _store_rules(store, request, products, tiers)

    def price(product: Any, tier: PriceTier | None) -> int:
        if tier is not None:
            return tier.price_cents
        cents = product.med_price_cents if request.is_medical and product.med_price_cents else product.rec_price_cents
        if cents is None:
            raise InvalidOrder(f"{product.name!r} has no price")
        return int(cents)

    # Stock first, in product-id order (so concurrent checkouts cannot deadlock on PostgreSQL): a checkout refused
    # for stock then never waits on the store row that sequential order numbers lock until commit.
    wanted = stock_wanted(
        [
            (line.product_id, line.quantity, tier.quantity if tier else None)
            for line, tier in zip(request.lines, tiers, strict=True)
        ]
    )
    for product_id in sorted(wanted):
        uow.holds.take(product_id, wanted[product_id])

    fees = list(request.fees)
    if request.fulfillment == Fulfillment.DELIVERY and store.delivery_fee_cents > 0:
        fees.append(Fee(DELIVERY_FEE, store.delivery_fee_cents))
    priced = price_order(
        [
            LineDraft(line.quantity, price(product, tier))
            for line, product, tier in zip(request.lines, products, tiers, strict=True)
        ],
        [Offer(o.label, o.kind, o.value, o.line) for o in request.offers],
        fees,
    )
    if max(priced.subtotal_cents, priced.total_cents) > MAX_ORDER_CENTS:
        raise InvalidOrder(f"this order comes to more than {_dollars(MAX_ORDER_CENTS)}: lower a quantity")
    minimum = store.delivery_minimum_cents
    if request.fulfillment == Fulfillment.DELIVERY and priced.subtotal_cents < minimum:
        raise InvalidOrder(
            f"delivery orders start at {_dollars(minimum)} of products; this one is {_dollars(priced.subtotal_cents)}"
        )
    customer = uow.orders.save_customer(store_id, request.customer)
    order = Order(
        store_id=store_id,
        integration_id=integration.id if integration else None,
        number=_number(uow, store_id, store.randomized_order_numbers),
        idempotency_key=key,
        request_digest=digest,
        status=OrderStatus.PENDING.value,
        fulfillment=request.fulfillment.value,
        is_medical=request.is_medical,
        customer_id=customer.id,
        contact=contact_record(request.customer),
        subtotal_cents=priced.subtotal_cents,
        discount_cents=priced.discount_cents,
        fees_cents=priced.fees_cents,
        total_cents=priced.total_cents,
        fees=[{"name": fee.name, "amount_cents": fee.amount_cents} for fee in priced.fees],
        notes=request.notes,
        delivery_address=request.delivery_address,
        window_start=request.window_start,
        window_end=request.window_end,
        page_key=page_key,
    )
    order.lines = [
        OrderLine(
            position=i,
            product_id=product.id,
            name=product.name,
            quantity=line.quantity,
            unit_price_cents=priced_line.unit_price_cents,
            discount_cents=priced_line.discount_cents,
            tier_label=tier.label if tier else None,
            tier_quantity=str(tier.quantity) if tier else None,
            tier_unit=tier.unit if tier else None,
        )
        for i, (line, product, priced_line, tier) in enumerate(
            zip(request.lines, products, priced.lines, tiers, strict=True)
        )
    ]
    order.offers = [
        OrderOffer(
            label=applied.offer.label,
            kind=applied.offer.kind.value,
            value=str(applied.offer.value),
            line_position=applied.offer.line,
            amount_cents=applied.amount_cents,
        )
        for applied in priced.offers
    ]
    uow.session.add(order)
    uow.session.flush()
    for product_id, quantity in wanted.items():
        uow.holds.record_hold(order.id, product_id, quantity)
    uow.orders.record(order.id, "status", "shopper", "order placed", to_status=OrderStatus.PENDING.value)
    shopper_messages.queue(uow, order, OrderStatus.PENDING, "shopper", "order placed")
    return order.id


def confirm_order(db: Database, order_id: int) -> None:
    """The store accepts the order; with Sync Orders on, it is queued for the POS in the same transaction."""
    with db.uow() as uow:
        order = uow.orders.get(order_id, lock=True)
        if order is None:
            raise InvalidOrder(f"order {order_id} does not exist")
        _move(uow, order, OrderStatus.CONFIRMED, "merchant", "confirmed by the store")
        integration = uow.accounts.integration(order.integration_id) if order.integration_id else None
        if integration is not None and pushes_orders(integration):
            uow.outbox.enqueue(integration.id, PUSH_ORDER, order.id, f"{PUSH_ORDER}:{order.id}")
            uow.orders.record(order.id, "push", "hub", "queued for the POS")


def pushes_orders(integration: Integration) -> bool:
    """Whether an order confirmed for this POS connection is queued for the POS: the connection is on and its
    Sync Orders switch too."""
    return integration.enabled and pos_options(integration.vendor, integration.settings).sync_orders


def cancel_order(db: Database, order_id: int, *, source: str, reason: str) -> None:
    with db.uow() as uow:
        order = uow.orders.get(order_id, lock=True)
        if order is None:
            raise InvalidOrder(f"order {order_id} does not exist")
        _move(uow, order, OrderStatus.CANCELLED, source, reason)
        # A push not yet tried is dropped. One under way (sending, or retrying after an unknown outcome) is left
        # to finish: it sees the order cancelled, and cancels in the POS whatever it created or finds there.
        uow.outbox.cancel_pending(PUSH_ORDER, order.id)
        if order.pos_order_id and source != "pos":
            queue_pos_cancel(uow, order)


def queue_pos_cancel(uow: UnitOfWork, order: Order) -> None:
    """Have the push sender cancel the order's live POS order (or leave staff a task when the POS API cannot).

    The same outbox and sender as the push, so a POS outage delays the cancel and loses nothing.
    """
    if order.integration_id is None:
        return
    uow.outbox.enqueue(order.integration_id, PUSH_ORDER, order.id, f"{PUSH_ORDER}:{order.id}:cancel")
    uow.orders.record(order.id, "push", "hub", f"POS order {order.pos_order_id} to be cancelled in the POS too")


def _move(uow: UnitOfWork, order: Order, target: OrderStatus, source: str, detail: str) -> None:
    current = OrderStatus(order.status)
    problem = transition_problem(current, target, Fulfillment(order.fulfillment))
    if problem:
        raise StatusConflict(problem)
    apply_status(uow, order, target, source, detail)


def apply_status(uow: UnitOfWork, order: Order, target: OrderStatus, source: str, detail: str) -> None:
    """Move an order (already checked), tell its shopper when the move is worth a message, and give back its stock
    when it ends."""
    previous = order.status
    order.status = target.value
    uow.orders.record(order.id, "status", source, detail, from_status=previous, to_status=target.value)
    shopper_messages.queue(uow, order, target, source, detail)
    uow.holds.release_for_status(order.id, target)


def tier_quantity(line: OrderLine) -> Decimal | None:
    """The weight of one of a line's tiers (None: the line is sold by the unit)."""
    return Decimal(line.tier_quantity) if line.tier_quantity is not None else None
