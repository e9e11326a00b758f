"""Retail order bodies: what a create or replace says, and what the order comes to.

The discount double counting
----------------------------
Flourish's own WooCommerce plugin warns that ``applied_discounts`` are counted twice, so it sends
post-discount unit prices instead. The sandbox reproduces that on purpose, in ``Decimal`` rounded to cents
(ROUND_HALF_UP):

* ``line_total = order_qty * unit_price`` for each line; ``subtotal`` is their sum;
* every applied discount is taken off the line whose ``item_id`` it names, or spread over all lines in
  proportion to their totals when it names none (``line_discount``, leaving ``net_line_total``);
* then the sum of **all** discounts (``total_discounts``) is subtracted **again** from the order total:
  ``total = Σ net_line_total − total_discounts + delivery_fee`` (never below 0).

So an order encoded naively (list prices plus ``applied_discounts``) comes out short by the discount
amount; an order with post-discount unit prices and no ``applied_discounts`` totals correctly.

In-store sales take their discounts off once (``compute_totals(..., double_count=False)``; see
``sales.py``).

Choices where Flourish's public notes are silent
------------------------------------------------
Each is a guess kept easy to change; none is confirmed by Flourish.

7. Order create defaults: ``order_status`` absent → ``Created``; ``fulfillment_type`` absent →
   ``pickup``; ``is_recreational`` absent → true; ``delivery_fee`` absent → 0. ``fulfillment_type`` is
   stored and echoed in lower case as sent (``pickup``, ``delivery``, ``in-store``). Numbers in bodies
   must be JSON numbers (numeric strings and booleans are 422s); ids (``customer_id``, ``item_id``) may
   be strings or integers and are compared as strings. A delivery needs a ``delivery_address`` object
   with ``address_line_1``. Lines for inactive or unsellable items are accepted. A discount naming an
   ``item_id`` that is not on the order is a 422.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal

from cannasync.sandboxes._kit.values import cents, number
from cannasync.sandboxes.flourish.wire import JSON, ApiError, canonical, id_value, money, optional_str, parse_iso

FULFILLMENT_TYPES = frozenset({"pickup", "delivery", "in-store"})


def _optional_timestamp(body: JSON, name: str) -> str | None:
    value = optional_str(body, name)
    if value:
        parse_iso(value, name, status=422)
    return value


@dataclass(frozen=True)
class Line:
    item_id: str
    sku: str | None
    order_qty: int | float
    unit_price: int | float


@dataclass(frozen=True)
class Discount:
    #: An integer on API-created orders (as sent); a retail discount's id (a string) on in-store sales.
    discount_id: int | str
    discount_name: str
    discount_amount: int | float
    item_id: str | None


def line_objects(raw: object) -> Iterator[tuple[str, JSON, int | float]]:
    """Each of ``order_lines`` as ``(where, line, order_qty)``: the checks retail and outbound orders share (a
    non-empty list of objects, each with a quantity above 0)."""
    if not isinstance(raw, list) or not raw:
        raise ApiError(422, "order_lines must be a non-empty list")
    for index, line in enumerate(raw):
        where = f"order_lines[{index}]"
        if not isinstance(line, dict):
            raise ApiError(422, f"{where} must be an object")
        qty = number(line.get("order_qty"))
        if qty is None or qty <= 0:
            raise ApiError(422, f"{where}.order_qty must be a number greater than 0")
        yield where, line, qty


def parse_lines(raw: object) -> list[Line]:
    lines = []
    for where, line, qty in line_objects(raw):
        price = number(line.get("unit_price"))
        if price is None or price < 0:
            raise ApiError(422, f"{where}.unit_price must be a number >= 0")
        sku = line.get("sku")
        if sku is not None and not isinstance(sku, str):
            raise ApiError(422, f"{where}.sku must be a string")
        lines.append(Line(id_value(line.get("item_id"), f"{where}.item_id"), sku, qty, price))
    return lines


def _parse_discounts(raw: object, lines: Sequence[Line]) -> list[Discount]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ApiError(422, "applied_discounts must be a list")
    on_order = {line.item_id for line in lines}
    discounts = []
    for index, discount in enumerate(raw):
        where = f"applied_discounts[{index}]"
        if not isinstance(discount, dict):
            raise ApiError(422, f"{where} must be an object")
        discount_id, amount = discount.get("discount_id"), number(discount.get("discount_amount"))
        if not isinstance(discount_id, int) or isinstance(discount_id, bool):
            raise ApiError(422, f"{where}.discount_id must be an integer")
        if amount is None or amount < 0:
            raise ApiError(422, f"{where}.discount_amount must be a number >= 0")
        name = discount.get("discount_name") or ""
        if not isinstance(name, str):
            raise ApiError(422, f"{where}.discount_name must be a string")
        item_id = discount.get("item_id")
        if item_id is not None:
            item_id = id_value(item_id, f"{where}.item_id")
            if item_id not in on_order:
                raise ApiError(422, f"{where}.item_id {item_id} is not on the order")
        discounts.append(Discount(discount_id, name, amount, item_id))
    return discounts


def parse_order_body(body: JSON, statuses: Sequence[str] = ("Submitted", "Created")) -> JSON:
    """Validate the shape of a create/replace body; existence checks happen against the state.

    ``statuses`` are the ``order_status`` values accepted: create takes only Submitted or Created,
    while replace parses any status so that an attempted change is reported as such.
    """
    original_order_id = body.get("original_order_id")
    if not isinstance(original_order_id, str) or not original_order_id.strip():
        raise ApiError(422, "original_order_id is required (string)")
    customer_id = id_value(body.get("customer_id"), "customer_id")
    is_recreational = body.get("is_recreational", True)
    if not isinstance(is_recreational, bool):
        raise ApiError(422, "is_recreational must be a boolean")
    status = body.get("order_status")
    if status is not None:
        status = canonical(status, statuses)
    fulfillment = body.get("fulfillment_type", "pickup")
    if not isinstance(fulfillment, str) or fulfillment.strip().lower() not in FULFILLMENT_TYPES:
        raise ApiError(422, "fulfillment_type must be one of: pickup, delivery, in-store")
    fulfillment = fulfillment.strip().lower()
    address = body.get("delivery_address")
    if address is not None and not isinstance(address, dict):
        raise ApiError(422, "delivery_address must be an object")
    if fulfillment == "delivery" and not (address and address.get("address_line_1")):
        raise ApiError(422, "delivery_address is required for delivery orders")
    raw_fee = body.get("delivery_fee")
    fee = 0 if raw_fee is None else number(raw_fee)
    if fee is None or fee < 0:
        raise ApiError(422, "delivery_fee must be a number >= 0")
    lines = parse_lines(body.get("order_lines"))
    return {
        "original_order_id": original_order_id,
        "customer_id": customer_id,
        "is_recreational": is_recreational,
        "order_status": status,
        "fulfillment_type": fulfillment,
        "order_timestamp": _optional_timestamp(body, "order_timestamp"),
        "notes": optional_str(body, "notes"),
        "expected_pickup_timestamp": _optional_timestamp(body, "expected_pickup_timestamp"),
        "expected_delivery_timestamp": _optional_timestamp(body, "expected_delivery_timestamp"),
        "delivery_address": (
            {key: address.get(key) for key in ("address_line_1", "address_line_2", "city", "state", "postcode")}
            if address
            else None
        ),
        "delivery_contact_no": optional_str(body, "delivery_contact_no"),
        "delivery_email": optional_str(body, "delivery_email"),
        "delivery_fee": fee,
        "order_lines": lines,
        "applied_discounts": _parse_discounts(body.get("applied_discounts"), lines),
    }


def _spread(amount: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """Split ``amount`` over ``weights`` proportionally, in cents, the last share taking the remainder."""
    if not weights:
        return []
    total = sum(weights, Decimal(0))
    shares: list[Decimal] = []
    for weight in weights[:-1]:
        share = amount * weight / total if total else amount / len(weights)
        shares.append(cents(share))
    shares.append(amount - sum(shares, Decimal(0)))
    return shares


def compute_totals(
    lines: Sequence[Line], discounts: Sequence[Discount], delivery_fee: int | float, *, double_count: bool = True
) -> tuple[list[JSON], JSON]:
    """Line rows and order totals, double counting discounts as Flourish does (see the module docstring).

    ``double_count=False`` (in-store sales) takes the discounts off once, through the lines only.
    """
    line_totals = [cents(Decimal(str(line.order_qty)) * Decimal(str(line.unit_price))) for line in lines]
    line_discounts = [Decimal(0)] * len(lines)
    for discount in discounts:
        amount = cents(Decimal(str(discount.discount_amount)))
        targets = [
            index for index, line in enumerate(lines) if discount.item_id is None or line.item_id == discount.item_id
        ]
        for index, share in zip(targets, _spread(amount, [line_totals[i] for i in targets]), strict=True):
            line_discounts[index] += share
    net = [total - discount for total, discount in zip(line_totals, line_discounts, strict=True)]
    total_discounts = sum((cents(Decimal(str(d.discount_amount))) for d in discounts), Decimal(0))
    # ``delivery_fee`` is the retail order's only fee field and the body takes it whatever the
    # ``fulfillment_type`` (POST /v1/retail-orders body fields, vendor-apis.md): it is added to every order's
    # total, a pickup's as well as a delivery's.
    fee = cents(Decimal(str(delivery_fee)))
    again = total_discounts if double_count else Decimal(0)
    total = max(sum(net, Decimal(0)) - again + fee, Decimal(0))
    rows = [
        {
            "item_id": line.item_id,
            "sku": line.sku,
            "order_qty": line.order_qty,
            "unit_price": line.unit_price,
            "line_total": money(line_total),
            "line_discount": money(line_discount),
            "net_line_total": money(line_net),
        }
        for line, line_total, line_discount, line_net in zip(lines, line_totals, line_discounts, net, strict=True)
    ]
    totals = {
        "subtotal": money(sum(line_totals, Decimal(0))),
        "total_discounts": money(total_discounts),
        "delivery_fee": money(fee),
        "total": money(total),
    }
    return rows, totals
