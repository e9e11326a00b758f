"""In-store sales: the completed orders rung up at Flourish's own counter.

In-store sales are not double counted: ``POST /_sandbox/sales`` (and the seeded sales history) stands for
a sale rung up at Flourish's own counter, whose discounts are taken off once, through the lines
(``total = Σ net_line_total``). The quirk belongs to how API-created orders encode ``applied_discounts``.

Loyalty data: customers, sales history, retail discounts
--------------------------------------------------------
What a loyalty platform pulls from Flourish (cannasync issue 5):

* A sale's ``applied_discounts`` are ``{"discount_id", "discount_name", "discount_amount", "item_id"}``
  where ``discount_id`` is the retail discount's id (a string such as ``"501"``), so a loyalty platform
  can match a redemption to the POS discount it triggered.

The shape of a sale as an order, and the ``GET /retail-orders/`` filters a loyalty platform pulls sales
with, are in ``orders.py`` (choice 16).

Choices where Flourish's public notes are silent
------------------------------------------------
Each is a guess kept easy to change; none is confirmed by Flourish.

18. ``POST /_sandbox/sales``: ``facility_id`` is required (unknown → 404); ``customer_id`` may be null
    or absent for an anonymous walk-in (an unknown one is a 422); ``order_qty`` defaults to 1 and
    ``unit_price`` to the item's ``retail_price`` (422 if the item has no usable price); unknown items
    are 422s; stock is not changed. Each applied discount must name a discount **of that facility**
    (422 otherwise, even if deleted since); without ``discount_amount`` the amount is worked out from
    the discount: a Dollar discount's value, a Percent discount's share of the sale (or of the named
    item's lines), in cents, never more than what it applies to. The discount is then taken off once
    (see "In-store sales are not double counted" above). Discount time windows and dates are not
    enforced on a control sale; the seeded history only uses all-day discounts valid on the sale's day.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from decimal import Decimal

from cannasync.sandboxes._kit.values import cents, iso_ms, now, number
from cannasync.sandboxes.flourish.base import StateBase
from cannasync.sandboxes.flourish.order_bodies import Discount, Line, compute_totals
from cannasync.sandboxes.flourish.orders import ORDER_STATUSES
from cannasync.sandboxes.flourish.seeds import Sale
from cannasync.sandboxes.flourish.wire import JSON, ApiError, id_value, money, optional_str, parse_iso, status_stamp_key


class SalesMixin(StateBase):
    """Recording a sale (the control route, and the seeded history)."""

    def record_sale(self, parsed: JSON) -> JSON:
        """A completed in-store sale rung up at the counter (the control route ``POST /_sandbox/sales``)."""
        with self.lock:
            return self._record_sale(parsed)

    def _record_sale(self, parsed: JSON) -> JSON:
        facility_id = parsed["facility_id"]
        if facility_id not in self.facilities:
            raise ApiError(404, f"Facility {facility_id} not found")
        customer_id = parsed["customer_id"]
        if customer_id is not None and customer_id not in self._customers:
            raise ApiError(422, f"Customer {customer_id} not found")
        lines: list[Line] = []
        for index, (item_id, qty, price) in enumerate(parsed["lines"]):
            item = self._items_by_id.get(item_id)
            if item is None:
                raise ApiError(422, f"lines[{index}].item_id {item_id} not found")
            if price is None:
                price = number(item.get("retail_price"))
                if price is None or price < 0:
                    raise ApiError(422, f"lines[{index}].unit_price is required: item {item_id} has no usable price")
            lines.append(Line(item_id, item["sku"], qty, price))
        line_totals = {line.item_id: Decimal(0) for line in lines}
        for line in lines:
            line_totals[line.item_id] += cents(Decimal(str(line.order_qty)) * Decimal(str(line.unit_price)))
        discounts: list[Discount] = []
        for index, (discount_id, amount, item_id) in enumerate(parsed["applied_discounts"]):
            where = f"applied_discounts[{index}]"
            discount = self._discounts.get(discount_id)
            if discount is None:
                raise ApiError(422, f"{where}.discount_id {discount_id} not found")
            if discount["facility_id"] != facility_id:
                raise ApiError(422, f"{where}.discount_id {discount_id} belongs to facility {discount['facility_id']}")
            if item_id is not None and item_id not in line_totals:
                raise ApiError(422, f"{where}.item_id {item_id} is not on the sale")
            if amount is None:
                amount = money(_discount_amount(discount, line_totals, item_id))
            discounts.append(Discount(discount_id, discount["discount_name"], amount, item_id))
        rows, totals = compute_totals(lines, discounts, 0, double_count=False)
        stamp = iso_ms(parsed["completed_at"] or now())
        order_id = f"RO-{self._next_order:06d}"
        self._next_order += 1
        order = {
            "id": order_id,
            "facility_id": facility_id,
            "order_status": "Completed",
            "order_origin": "Flourish",
            "order_payment_status": "Paid",
            "original_order_id": None,
            "customer_id": customer_id,
            "is_recreational": parsed["is_recreational"],
            "fulfillment_type": "in-store",
            "order_timestamp": stamp,
            "notes": None,
            "expected_pickup_timestamp": None,
            "expected_delivery_timestamp": None,
            "delivery_address": None,
            "delivery_contact_no": None,
            "delivery_email": None,
            "order_lines": rows,
            "applied_discounts": [asdict(discount) for discount in discounts],
            **totals,
            "created_timestamp": stamp,
            "last_updated_timestamp": stamp,
            **{status_stamp_key(s): None for s in ORDER_STATUSES[1:]},
            "submitted_timestamp": stamp,
            "completed_timestamp": stamp,
        }
        self._orders[order_id] = order
        self._emit("retail_order", order)
        return order


def _discount_amount(discount: JSON, line_totals: Mapping[str, Decimal], item_id: str | None) -> Decimal:
    """What a retail discount takes off: of the named line, or of the whole sale; never more than that."""
    base = line_totals[item_id] if item_id is not None else sum(line_totals.values(), Decimal(0))
    value = Decimal(str(discount["discount_value"]))
    amount = base * value / 100 if discount["discount_type"] == "Percent" else value
    return min(cents(amount), base)


def seeded_sale(sale: Sale, discounts: Mapping[str, JSON]) -> JSON:
    """A generated sale in the shape ``parse_sale_body`` produces."""
    return {
        "facility_id": sale.facility_id,
        "customer_id": sale.customer_id,
        "is_recreational": sale.is_recreational,
        "lines": [(line.item_id, line.order_qty, line.unit_price) for line in sale.lines],
        "applied_discounts": [(discount_id, None, None) for discount_id in sale.discount_ids],
        "completed_at": sale.completed_at,
    }


def parse_sale_body(body: JSON) -> JSON:
    """Validate a ``POST /_sandbox/sales`` body; existence checks happen against the state."""
    facility_id = id_value(body.get("facility_id"), "facility_id")
    raw_customer = body.get("customer_id")
    customer_id = None if raw_customer is None else id_value(raw_customer, "customer_id")
    is_recreational = body.get("is_recreational", True)
    if not isinstance(is_recreational, bool):
        raise ApiError(422, "is_recreational must be a boolean")
    raw_lines = body.get("lines")
    if not isinstance(raw_lines, list) or not raw_lines:
        raise ApiError(422, "lines must be a non-empty list")
    lines = []
    for index, line in enumerate(raw_lines):
        where = f"lines[{index}]"
        if not isinstance(line, dict):
            raise ApiError(422, f"{where} must be an object")
        qty = number(line.get("order_qty", 1))
        if qty is None or qty <= 0:
            raise ApiError(422, f"{where}.order_qty must be a number greater than 0")
        price = None if line.get("unit_price") is None else number(line["unit_price"])
        if line.get("unit_price") is not None and (price is None or price < 0):
            raise ApiError(422, f"{where}.unit_price must be a number >= 0")
        lines.append((id_value(line.get("item_id"), f"{where}.item_id"), qty, price))
    raw_discounts = body.get("applied_discounts") or []
    if not isinstance(raw_discounts, list):
        raise ApiError(422, "applied_discounts must be a list")
    discounts = []
    for index, discount in enumerate(raw_discounts):
        where = f"applied_discounts[{index}]"
        if not isinstance(discount, dict):
            raise ApiError(422, f"{where} must be an object")
        discount_id = id_value(discount.get("discount_id"), f"{where}.discount_id")
        amount = None if discount.get("discount_amount") is None else number(discount["discount_amount"])
        if discount.get("discount_amount") is not None and (amount is None or amount < 0):
            raise ApiError(422, f"{where}.discount_amount must be a number >= 0")
        item_id = None if discount.get("item_id") is None else id_value(discount["item_id"], f"{where}.item_id")
        discounts.append((discount_id, amount, item_id))
    completed_at = optional_str(body, "completed_at")
    return {
        "facility_id": facility_id,
        "customer_id": customer_id,
        "is_recreational": is_recreational,
        "lines": lines,
        "applied_discounts": discounts,
        "completed_at": parse_iso(completed_at, "completed_at", status=422) if completed_at else None,
    }
