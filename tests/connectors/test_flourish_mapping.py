"""Flourish JSON ↔ domain, pure: seed 000's menu rules, quarantine reasons, the status table and the order body."""

from __future__ import annotations

import copy
import dataclasses
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cannasync.connectors.base import Address, PosOffer, PosOrder, PosOrderLine
from cannasync.connectors.flourish import mapping
from cannasync.domain.catalog import StrainType, Unit
from cannasync.domain.customers import CustomerDetails
from cannasync.domain.orders import Fee, Fulfillment, LineDraft, Offer, OfferKind, OrderStatus, price_order
from cannasync.domain.sync import MappingError

ITEM: dict[str, Any] = {
    "id": "10001",
    "item_name": "Purple Punch Live Resin Cart 1g",
    "retail_display_name": "Blue Ridge Resin Purple Punch Live Resin Cart 1g",
    "ecommerce_item_name": "Purple Punch Cart",
    "item_description": "Purple Punch live resin cart on a 510 thread.",
    "sku": "BRR-VP-10001",
    "item_category": "Vapes",
    "ecommerce_sub_category_name": "Live Resin Carts",
    "active": True,
    "ecommerce_active": True,
    "sellable": True,
    "brand": "Blue Ridge Resin",
    "strain_type_name": "Indica",
    "retail_price": 64.5,
    "med_price": 58.05,
    "price_tiers": [],
    "cannabinoids": [
        {"name": "THC", "value": 81.15, "uom": "%"},
        {"name": "THCa", "value": 3.18, "uom": "%"},
        {"name": "CBC", "value": 0.4, "uom": "%"},
    ],
    "terpenes": [
        {"name": "Guaiol", "value": 4.24, "uom": "%"},
        {"name": "Beta Myrcene", "value": 2.15, "uom": "%"},
        {"name": "Valencene", "value": 0.3, "uom": "%"},
    ],
}


def item(**changes: Any) -> dict[str, Any]:
    return {**copy.deepcopy(ITEM), **changes}


def product(sellable_qty: Any = 7, *, sync_terpenes: bool = False, **changes: Any):
    return mapping.product_from_item(item(**changes), sellable_qty, sync_terpenes=sync_terpenes)


# --- menu ------------------------------------------------------------------------------------------------------


def test_a_listed_item_becomes_a_product():
    mapped = product()
    assert mapped.external_id == "10001"
    assert mapped.name == "Purple Punch Cart"
    assert mapped.category == "Live Resin Carts" and mapped.subcategory == "Live Resin Carts"
    assert mapped.brand == "Blue Ridge Resin" and mapped.sku == "BRR-VP-10001"
    assert mapped.strain_type == StrainType.INDICA
    assert (mapped.rec_price_cents, mapped.med_price_cents) == (6450, 5805)
    assert mapped.pos_quantity == 7
    # Cannabinoids always, but only the six the store shows (CBC is dropped).
    assert [(c.name, c.value, c.unit) for c in mapped.cannabinoids] == [
        ("THC", Decimal("81.15"), Unit.PERCENT),
        ("THCa", Decimal("3.18"), Unit.PERCENT),
    ]


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (("Web Name", "Display Name", "Item Name"), "Web Name"),
        ((None, "Display Name", "Item Name"), "Display Name"),
        (("", "Display Name", "Item Name"), "Display Name"),
        (("   ", "Display Name", "Item Name"), "Display Name"),
        ((None, None, "Item Name"), "Item Name"),
        ((None, "", "  Item Name "), "Item Name"),
    ],
)
def test_name_is_the_ecommerce_name_then_the_retail_display_name_then_the_item_name(names, expected):
    web, display, plain = names
    assert product(ecommerce_item_name=web, retail_display_name=display, item_name=plain).name == expected


@pytest.mark.parametrize(
    ("subcategory", "category", "expected"),
    [("Live Resin Carts", "Vapes", "Live Resin Carts"), (None, "Vapes", "Vapes"), ("", "Vapes", "Vapes")],
)
def test_category_is_the_ecommerce_subcategory_then_the_item_category(subcategory, category, expected):
    mapped = product(ecommerce_sub_category_name=subcategory, item_category=category)
    assert mapped.category == expected


def test_is_listed_needs_active_ecommerce_active_and_sellable():
    assert mapping.is_listed(item())
    for field in ("active", "ecommerce_active", "sellable"):
        assert not mapping.is_listed(item(**{field: False})), field
    for field in ("ecommerce_active", "sellable"):
        unknown = item()
        del unknown[field]
        assert not mapping.is_listed(unknown), f"missing {field} must not list the item"
        assert not mapping.is_listed(item(**{field: None})), field


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"ecommerce_item_name": None, "retail_display_name": None, "item_name": None}, "name"),
        ({"ecommerce_item_name": "", "retail_display_name": " ", "item_name": ""}, "name"),
        ({"retail_price": "twelve"}, "retail_price"),
        ({"retail_price": "12,50"}, "retail_price"),
        ({"retail_price": "NaN"}, "retail_price"),
        ({"retail_price": -5}, "retail_price"),
        ({"retail_price": None, "price": None}, "retail_price"),
        ({"med_price": "n/a"}, "med_price"),
        ({"cannabinoids": [{"name": "THC", "value": "n/a", "uom": "%"}]}, "THC"),
        ({"cannabinoids": [{"name": "CBD", "value": -1, "uom": "%"}]}, "CBD"),
        ({"cannabinoids": [{"name": "THC", "value": None, "uom": "%"}]}, "THC"),
        ({"cannabinoids": [{"name": "THC", "value": 20, "uom": "oz"}]}, "THC"),
        ({"ecommerce_sub_category_name": None, "item_category": None}, "category"),
        ({"id": None}, "id"),
    ],
)
def test_a_record_that_cannot_be_mapped_is_quarantined_with_its_reason(changes, reason):
    with pytest.raises(MappingError, match=reason):
        product(**changes)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("cannabinoids", "THC 20%"),
        ("cannabinoids", ["THC"]),
        ("cannabinoids", [None]),
        ("cannabinoids", [["THC", 20]]),
        ("price_tiers", ["1/8 oz for $35"]),
        ("price_tiers", 35),
    ],
    ids=[
        "cannabinoids-string",
        "cannabinoids-names",
        "cannabinoids-null",
        "cannabinoids-pairs",
        "tiers-strings",
        "tiers-number",
    ],
)
def test_structurally_broken_item_data_is_quarantined_not_a_crash(field, value):
    """A malformed record must become a quarantine entry (MappingError), never an exception that ends the run."""
    with pytest.raises(MappingError, match=field.split("_")[0]):
        product(**{field: value})


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"retail_price": 1e300}, "retail_price"),
        ({"retail_price": "1e999999"}, "retail_price"),
        ({"med_price": 1e30}, "med_price"),
        ({"sellable_qty": "NaN"}, "sellable_qty"),
        ({"sellable_qty": float("inf")}, "sellable_qty"),
        ({"sellable_qty": "abc"}, "sellable_qty"),
    ],
)
def test_absurd_numbers_are_quarantined_not_a_crash(changes, reason):
    """decimal's InvalidOperation/Overflow and int()'s ValueError must not escape: the run would end on them."""
    with pytest.raises(MappingError, match=reason):
        product(**changes)


def test_terpenes_are_none_when_terpene_sync_is_off_and_canonical_when_on():
    assert product(sync_terpenes=False).terpenes is None
    on = product(sync_terpenes=True).terpenes
    assert on is not None
    assert [(t.name, t.value, t.unit) for t in on] == [
        ("Beta Myrcene", Decimal("2.15"), Unit.PERCENT),
        ("Guaiol", Decimal("4.24"), Unit.PERCENT),
    ]  # Valencene is not one of the sixteen
    assert product(sync_terpenes=True, terpenes=[]).terpenes == ()


def test_quantity_is_a_whole_non_negative_number():
    assert product(sellable_qty=None).pos_quantity == 0
    assert product(sellable_qty=-3).pos_quantity == 0
    assert product(sellable_qty="12").pos_quantity == 12
    assert product(sellable_qty=4.0).pos_quantity == 4


# --- statuses --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flourish_status", "fulfillment", "expected"),
    [
        ("Created", Fulfillment.PICKUP, None),
        ("Submitted", Fulfillment.PICKUP, OrderStatus.SUBMITTED),
        ("Packed", Fulfillment.PICKUP, OrderStatus.READY_FOR_PICKUP),
        ("Packed", Fulfillment.KIOSK, OrderStatus.READY_FOR_PICKUP),
        ("Packed", Fulfillment.DELIVERY, None),
        ("Out for Delivery", Fulfillment.DELIVERY, OrderStatus.OUT_FOR_DELIVERY),
        ("Completed", Fulfillment.PICKUP, OrderStatus.CLOSED),
        ("Completed", Fulfillment.DELIVERY, OrderStatus.CLOSED),
        ("Cancelled", Fulfillment.PICKUP, OrderStatus.CANCELLED),
        ("Cancelled", Fulfillment.DELIVERY, OrderStatus.CANCELLED),
        ("Undeliverable", Fulfillment.DELIVERY, OrderStatus.CANCELLED),
        ("Something New", Fulfillment.PICKUP, None),
        ("", Fulfillment.PICKUP, None),
    ],
)
def test_flourish_statuses_map_onto_the_canonical_machine(flourish_status, fulfillment, expected):
    assert mapping.canonical_status(flourish_status, fulfillment) == expected


# --- orders ----------------------------------------------------------------------------------------------------


def _cents(unit_price: float) -> int:
    exact = Decimal(str(unit_price)) * 100
    assert exact == exact.to_integral_value(), f"{unit_price} is not a whole number of cents"
    return int(exact)


@settings(max_examples=500, deadline=None)
@given(data=st.data(), quantity=st.integers(1, 50), unit_price=st.integers(0, 100_000))
def test_order_lines_carry_the_discount_in_unit_prices_to_the_cent(data: st.DataObject, quantity: int, unit_price: int):
    gross = quantity * unit_price
    discount = data.draw(st.integers(0, gross), label="discount")
    line = PosOrderLine("10001", "BRR-VP-10001", "Purple Punch Cart", quantity, unit_price, discount)
    parts = mapping.order_lines(line)
    assert 1 <= len(parts) <= 2
    assert all(part["item_id"] == "10001" and part["sku"] == "BRR-VP-10001" for part in parts)
    assert all(part["order_qty"] >= 1 for part in parts)
    assert sum(part["order_qty"] for part in parts) == quantity
    units = [_cents(part["unit_price"]) for part in parts]
    assert all(0 <= unit <= unit_price for unit in units)
    assert sum(part["order_qty"] * unit for part, unit in zip(parts, units, strict=True)) == gross - discount
    assert max(units) - min(units) <= 1


def _delivery_order(**changes: Any) -> PosOrder:
    drafts = [LineDraft(3, 1_999), LineDraft(1, 4_500)]
    priced = price_order(drafts, [Offer("Spring 15%", OfferKind.PERCENT, Decimal(15))], [Fee("Delivery", 500)])
    lines = [
        PosOrderLine("10001", "BRR-VP-10001", "Purple Punch Cart", 3, 1_999, priced.lines[0].discount_cents),
        PosOrderLine("10002", None, "Gummies 100mg", 1, 4_500, priced.lines[1].discount_cents),
    ]
    order = PosOrder(
        reference="1042",
        customer_pos_id="70002",
        customer=CustomerDetails("Casey", "Morgan", date(1992, 9, 30), "5550002222", "casey@example.com"),
        fulfillment=Fulfillment.DELIVERY,
        is_medical=False,
        placed_at=datetime(2025, 6, 1, 16, 5, 7, 250_000, tzinfo=UTC),
        lines=lines,
        offers=[PosOffer("Spring 15%", priced.offers[0].amount_cents)],
        fees=list(priced.fees),
        notes="Ring twice",
        delivery_address=Address("2150 Packard St", "Ann Arbor", "MI", "48104", line2="Apt 4"),
        window_start=datetime(2025, 6, 1, 17, 30, tzinfo=ZoneInfo("America/Detroit")),
        window_end=datetime(2025, 6, 1, 18, 30, tzinfo=ZoneInfo("America/Detroit")),
        total_cents=priced.total_cents,
    )
    return dataclasses.replace(order, **changes)


def test_a_delivery_order_body_has_the_delivery_fields_and_totals_like_ours():
    order = _delivery_order()
    body = mapping.order_body(order)
    assert body["original_order_id"] == "1042"
    assert body["customer_id"] == "70002"
    assert body["is_recreational"] is True
    assert body["order_status"] == "submitted"
    assert body["fulfillment_type"] == "delivery"
    assert body["applied_discounts"] == []  # Flourish would count them twice
    assert body["delivery_address"] == {
        "address_line_1": "2150 Packard St",
        "address_line_2": "Apt 4",
        "city": "Ann Arbor",
        "state": "MI",
        "postcode": "48104",
    }
    assert body["delivery_fee"] == 5.0
    # 17:30 in Detroit (EDT, UTC-4) is 21:30 UTC.
    assert body["expected_delivery_timestamp"] == "2025-06-01T21:30:00.000Z"
    assert body["order_timestamp"] == "2025-06-01T16:05:07.250Z"
    assert body["delivery_contact_no"] == "5550002222" and body["delivery_email"] == "casey@example.com"
    assert "expected_pickup_timestamp" not in body
    assert "Ring twice" in body["notes"] and "Spring 15%" in body["notes"]
    # What Flourish computes from this body equals our total, to the cent.
    lines_cents = sum(line["order_qty"] * _cents(line["unit_price"]) for line in body["order_lines"])
    assert lines_cents + _cents(body["delivery_fee"]) == order.total_cents
    assert {line["item_id"] for line in body["order_lines"]} == {"10001", "10002"}


def test_a_medical_pickup_order_body():
    order = _delivery_order(
        fulfillment=Fulfillment.PICKUP, is_medical=True, delivery_address=None, fees=[], window_start=None
    )
    body = mapping.order_body(order)
    assert body["is_recreational"] is False
    assert body["fulfillment_type"] == "pickup"
    assert body["expected_pickup_timestamp"] == "2025-06-01T16:05:07.250Z"  # no window: when it was placed
    assert "delivery_address" not in body and "expected_delivery_timestamp" not in body
    assert mapping.order_body(_delivery_order(fulfillment=Fulfillment.KIOSK))["fulfillment_type"] == "in-store"


def test_a_delivery_order_without_an_address_cannot_be_sent():
    with pytest.raises(MappingError, match="address"):
        mapping.order_body(_delivery_order(delivery_address=None))
