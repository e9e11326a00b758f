"""Alleaves JSON ↔ domain, pure: seed 003's menu rules, quarantine reasons, patients, the order body and statuses.

Alleaves publishes no API (vendor-apis.md §3), so the shapes are our wire format as the sandbox documents it:
items in sandboxes/alleaves/items.py (route 3), patients in sandboxes/alleaves/patients.py (route 4), orders and
their statuses in sandboxes/alleaves/orders.py (route 5); the rules are seed 003's.
"""

from __future__ import annotations

import copy
import dataclasses
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from cannasync.connectors.alleaves import mapping
from cannasync.connectors.base import Address, PosOffer, PosOrder, PosOrderLine
from cannasync.domain.catalog import PriceTier, StrainType, Unit
from cannasync.domain.customers import CustomerDetails
from cannasync.domain.orders import Fee, Fulfillment, OrderStatus, transition_problem
from cannasync.domain.sync import MappingError

# Bulk ("deli style") flower as the Alleaves sandbox generates it (ITM-000006 of seed 7, items.py route 3).
ITEM: dict[str, Any] = {
    "item_id": "ITM-000006",
    "sku": "YVS-FL-00006",
    "name": "Super Lemon Haze (Bulk)",
    "brand": "Yakima Valley Sun",
    "category": "Flower",
    "subcategory": "Bulk",
    "strain_type": "Sativa",
    "description": "Super Lemon Haze, weighed to order at the counter, deli style.",
    "active": True,
    "updated_at": "2025-03-13T14:44:18.404Z",
    "images": [
        {"url": "https://alleaves.example/_sandbox/images/ITM-000006/3.png", "position": 3},
        {"url": "https://alleaves.example/_sandbox/images/ITM-000006/1.png", "position": 1},
        {"url": "https://alleaves.example/_sandbox/images/ITM-000006/2.png", "position": 2},
    ],
    "pricing": {
        "recreational": 10.0,
        "medical": 9.0,
        "otd_price": 12.0,
        "is_tiered": True,
        "tiers": [
            {"label": "1g", "quantity": 1, "unit": "g", "price": 10.0},
            {"label": "3.5g", "quantity": 3.5, "unit": "g", "price": 32.2},
            {"label": "28g", "quantity": 28, "unit": "g", "price": 201.6},
        ],
    },
    "chemical_profile": [
        {"compound": "THCA", "kind": "cannabinoid", "value": "20.3%"},
        {"compound": "THC", "kind": "cannabinoid", "value": "1.5%"},
        {"compound": "Caryophyllene Oxide", "kind": "terpene", "value": "2.28%"},
        {"compound": "Beta Pinene", "kind": "terpene", "value": "3 mg"},
        {"compound": "Limonene", "kind": "terpene", "value": "0.8"},
        {"compound": "beta myrcene", "kind": "terpene", "value": "0.1%"},
        {"compound": "Lemonene", "kind": "terpene", "value": "0.4%"},
    ],
    "quantities": [{"area_id": "AREA-RETAIL", "quantity": 40.5}, {"area_id": "AREA-VAULT", "quantity": 0}],
    "quantity_available": 40.5,
}


def item(**changes: Any) -> dict[str, Any]:
    return {**copy.deepcopy(ITEM), **changes}


def pricing(**changes: Any) -> dict[str, Any]:
    return {**copy.deepcopy(ITEM["pricing"]), **changes}


def product(*, threshold: int = 5, otd_pricing: bool = False, sync_terpenes: bool = False, **changes: Any):  # type: ignore[no-untyped-def]
    return mapping.product_from_item(
        item(**changes), threshold=threshold, otd_pricing=otd_pricing, sync_terpenes=sync_terpenes
    )


# --- menu ------------------------------------------------------------------------------------------------------


def test_a_deli_style_item_keeps_its_menu_prices_tiers_and_images_in_position_order() -> None:
    mapped, left_out = product()
    assert left_out == {}
    assert (mapped.external_id, mapped.name, mapped.sku) == ("ITM-000006", "Super Lemon Haze (Bulk)", "YVS-FL-00006")
    assert (mapped.category, mapped.base_category, mapped.subcategory) == ("Flower", "Flower", "Bulk")
    assert mapped.strain_type == StrainType.SATIVA
    assert (mapped.rec_price_cents, mapped.med_price_cents) == (1000, 900)  # OTD off: the menu-type prices
    assert mapped.price_tiers == (
        PriceTier("1g", Decimal(1), "g", 1000),
        PriceTier("3.5g", Decimal("3.5"), "g", 3220),  # each tier's price is the whole tier's, in dollars
        PriceTier("28g", Decimal(28), "g", 20160),
    )
    assert mapped.images == tuple(f"https://alleaves.example/_sandbox/images/ITM-000006/{n}.png" for n in (1, 2, 3))
    assert (mapped.pos_quantity, mapped.listed) == (40, True)
    assert [(c.name, c.value, c.unit) for c in mapped.cannabinoids] == [
        ("THC", Decimal("1.5"), Unit.PERCENT),
        ("THCa", Decimal("20.3"), Unit.PERCENT),
    ]


def test_with_otd_pricing_on_both_menus_show_the_out_the_door_price() -> None:
    mapped, left_out = product(otd_pricing=True)
    assert (mapped.rec_price_cents, mapped.med_price_cents) == (1200, 1200)
    assert left_out == {}


def test_an_item_without_an_otd_price_keeps_its_menu_prices_and_is_counted() -> None:
    mapped, left_out = product(otd_pricing=True, pricing=pricing(otd_price=None))
    assert (mapped.rec_price_cents, mapped.med_price_cents) == (1000, 900)
    assert left_out == {"otd_price": 1}  # so the store can see which items lack one


def test_an_item_sold_on_one_menu_only_has_no_price_on_the_other() -> None:
    mapped, _ = product(pricing=pricing(medical=None, is_tiered=False, tiers=None))
    assert (mapped.rec_price_cents, mapped.med_price_cents) == (1000, None)
    assert mapped.price_tiers == ()  # tiers are read only from items marked tiered


@pytest.mark.parametrize(
    ("available", "threshold", "shown", "listed"),
    [(40.5, 5, 40, True), (6, 5, 6, True), (5, 5, 0, False), (3, 5, 0, False), (0, 0, 0, False), (1, 0, 1, True)],
)
def test_at_or_below_the_low_quantity_threshold_the_product_leaves_the_menu(
    available: float, threshold: int, shown: int, listed: bool
) -> None:
    """Seed 003: "less than or equal to Per Location Low Quantity Threshold" → quantity zero, off the menu."""
    mapped, _ = product(quantity_available=available, threshold=threshold)
    assert (mapped.pos_quantity, mapped.listed) == (shown, listed)


def test_only_seed_003s_sixteen_terpenes_written_exactly_are_kept_each_with_its_own_unit() -> None:
    mapped, left_out = product(sync_terpenes=True)
    assert mapped.terpenes is not None
    assert [(t.name, t.value, t.unit) for t in mapped.terpenes] == [
        ("Beta Pinene", Decimal(3), Unit.MG),
        ("Caryophyllene Oxide", Decimal("2.28"), Unit.PERCENT),
        ("Limonene", Decimal("0.8"), Unit.MG),  # no unit given: mg (seed 003)
    ]
    # "beta myrcene" and "Lemonene" are not written as the seed lists them: left out, and counted.
    assert left_out == {"terpenes": 2}
    off, off_left_out = product(sync_terpenes=False)
    assert off.terpenes is None and off_left_out == {}


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("1.2%", Decimal("1.2"), Unit.PERCENT),
        ("1.2 %", Decimal("1.2"), Unit.PERCENT),
        ("3 mg", Decimal(3), Unit.MG),
        ("3mg", Decimal(3), Unit.MG),
        ("3 MG", Decimal(3), Unit.MG),
        ("0.8", Decimal("0.8"), Unit.MG),
        (".5%", Decimal(".5"), Unit.PERCENT),
        (2, Decimal(2), Unit.MG),
    ],
)
def test_a_chemical_profile_value_as_a_store_types_it(text: Any, value: Decimal, unit: Unit) -> None:
    assert mapping.amount(text, "Limonene") == (value, unit)


@pytest.mark.parametrize("text", ["n/a", "1,2%", "-1%", "1.2 g", "", None, "12%%"])
def test_a_value_that_is_not_a_number_with_percent_or_mg_is_refused_by_name(text: Any) -> None:
    with pytest.raises(MappingError, match="Limonene value"):
        mapping.amount(text, "Limonene")


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        # The sandbox's planted damage (sandboxes/alleaves/catalog.py, _corrupt):
        ({"name": None}, "no name"),
        ({"pricing": pricing(recreational="call")}, "pricing.recreational"),
        ({"pricing": pricing(otd_price=-12.5)}, "pricing.otd_price"),
        ({"images": [{"url": "https://alleaves.example/1.png", "position": 1}, {"position": 2}]}, "image has no url"),
        # And what else a record can lack or garble:
        ({"item_id": None}, "item_id"),
        ({"category": " "}, "category"),
        ({"pricing": None}, "no pricing"),
        ({"pricing": pricing(recreational=None, medical=None)}, "no price for either menu type"),
        ({"pricing": pricing(tiers=[{"label": "1g", "quantity": 1, "price": None}])}, "tier price"),
        ({"pricing": pricing(tiers="1g $10")}, "pricing.tiers"),
        ({"chemical_profile": [{"compound": "THC", "kind": "cannabinoid", "value": "lots"}]}, "THC value"),
        ({"chemical_profile": "THC 20%"}, "chemical_profile"),
        ({"images": ["https://alleaves.example/1.png"]}, "images"),
        ({"quantity_available": "many"}, "quantity_available"),
    ],
)
def test_a_record_that_cannot_be_mapped_is_quarantined_with_its_reason(changes: dict[str, Any], reason: str) -> None:
    with pytest.raises(MappingError, match=reason):
        product(**changes)


def test_a_broken_terpene_value_is_ignored_when_terpenes_are_not_synced() -> None:
    broken = [{"compound": "Limonene", "kind": "terpene", "value": "lots"}]
    mapped, _ = product(chemical_profile=broken, sync_terpenes=False)
    assert mapped.terpenes is None
    with pytest.raises(MappingError, match="Limonene value"):
        product(chemical_profile=broken, sync_terpenes=True)


# --- patients --------------------------------------------------------------------------------------------------


def test_a_medical_patient_body_has_the_card_and_its_expiry() -> None:
    details = CustomerDetails(
        "Jordan", "Reyes", date(1988, 2, 14), "5550001111", "jordan@example.com", "WA-MED-1", date(2027, 3, 1)
    )
    assert mapping.patient_body(details) == {
        "first_name": "Jordan",
        "last_name": "Reyes",
        "date_of_birth": "1988-02-14",
        "phone": "5550001111",
        "email": "jordan@example.com",
        "medical_id": "WA-MED-1",
        "medical_id_expiration": "2027-03-01",
        "is_medical": True,
    }


def test_a_recreational_patient_body_sends_only_what_is_known() -> None:
    body = mapping.patient_body(CustomerDetails("Jordan", "Reyes", date(1988, 2, 14)))
    assert body == {"first_name": "Jordan", "last_name": "Reyes", "date_of_birth": "1988-02-14", "is_medical": False}


def test_a_patient_without_a_date_of_birth_cannot_be_created() -> None:
    with pytest.raises(MappingError, match="date of birth"):
        mapping.patient_body(CustomerDetails("Jordan", "Reyes", None, "5550001111"))


# --- orders ----------------------------------------------------------------------------------------------------


def _order(**changes: Any) -> PosOrder:
    order = PosOrder(
        reference="A7K2M9QX",
        customer_pos_id="PAT-00042",
        customer=CustomerDetails("Jordan", "Reyes", date(1988, 2, 14), "5550001111"),
        fulfillment=Fulfillment.DELIVERY,
        is_medical=False,
        placed_at=datetime(2025, 6, 1, 16, 5, tzinfo=UTC),
        lines=[
            PosOrderLine("ITM-000006", "YVS-FL-00006", "Super Lemon Haze (Bulk)", 3, 1_000, 450),
            PosOrderLine("ITM-000004", "SSB-ED-00004", "Mango Chili Gummies 100mg", 1, 2_300, 0),
        ],
        offers=[PosOffer("Spring 15%", 450)],
        fees=[Fee("Delivery", 500)],
        notes="Gate code 1234",
        delivery_address=Address("412 Main St", "Vancouver", "WA", "98660", line2="Unit 2"),
        window_start=datetime(2025, 6, 1, 17, 0, tzinfo=ZoneInfo("America/Los_Angeles")),
        window_end=datetime(2025, 6, 1, 18, 0, tzinfo=ZoneInfo("America/Los_Angeles")),
    )
    return dataclasses.replace(order, **changes)


def test_a_delivery_body_has_list_prices_one_discount_total_and_the_window() -> None:
    assert mapping.order_body(_order()) == {
        "external_id": "A7K2M9QX",  # our customer-facing number: how the order is found again
        "patient_id": "PAT-00042",
        "order_type": "delivery",
        "menu_type": "recreational",
        "lines": [
            {"item_id": "ITM-000006", "quantity": 3, "unit_price": 10.0},
            {"item_id": "ITM-000004", "quantity": 1, "unit_price": 23.0},
        ],
        "discount_total": 4.5,
        "notes": "Gate code 1234\nFee: Delivery $5.00\nOffer: Spring 15% (-$4.50)",
        "delivery": {
            "address": {
                "line1": "412 Main St",
                "line2": "Unit 2",
                "city": "Vancouver",
                "state": "WA",
                "postcode": "98660",
            },
            # Seed 003: the start and end time of a delivery are pushed to Alleaves.
            "window_start": "2025-06-01T17:00:00-07:00",
            "window_end": "2025-06-01T18:00:00-07:00",
        },
    }


def test_a_medical_pickup_or_kiosk_order_is_a_medical_pickup_without_delivery() -> None:
    for fulfillment in (Fulfillment.PICKUP, Fulfillment.KIOSK):
        body = mapping.order_body(
            _order(fulfillment=fulfillment, is_medical=True, delivery_address=None, window_start=None, notes=" ")
        )
        assert (body["order_type"], body["menu_type"]) == ("pickup", "medical")
        assert "delivery" not in body
        assert body["notes"] == "Fee: Delivery $5.00\nOffer: Spring 15% (-$4.50)"


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"customer_pos_id": None}, "patient id"),
        ({"delivery_address": None}, "address and the window"),
        ({"window_start": None}, "address and the window"),
        ({"window_end": None}, "address and the window"),
    ],
)
def test_an_order_alleaves_would_refuse_is_not_sent(changes: dict[str, Any], reason: str) -> None:
    with pytest.raises(MappingError, match=reason):
        mapping.order_body(_order(**changes))


def test_an_order_found_by_our_reference_reads_back_its_goods_value_and_lines() -> None:
    # The order as the sandbox answers it (orders.py, route 5): the first line sent split in two.
    found = {
        "order_id": "ORD-000017",
        "location_id": "ALV-1001",
        "external_id": "A7K2M9QX",
        "patient_id": "PAT-00042",
        "status": "received",
        "lines": [
            {"item_id": "ITM-000006", "quantity": 2, "unit_price": 10.0},
            {"item_id": "ITM-000006", "quantity": 1, "unit_price": 10.0},
            {"item_id": "ITM-000004", "quantity": 1, "unit_price": 23.0},
        ],
        "subtotal": 53.0,
        "discount_total": 4.5,
        "total": 48.5,
        "created_at": "2025-06-01T16:05:03.120Z",
    }
    placed = mapping.placed_order(found)
    assert (placed.pos_order_id, placed.reference, placed.customer_pos_id) == ("ORD-000017", "A7K2M9QX", "PAT-00042")
    assert placed.quantities == {"ITM-000006": 3, "ITM-000004": 1}
    assert placed.goods_cents == 4850  # our subtotal less our discounts; fees travel in the notes
    assert placed.created_at == datetime(2025, 6, 1, 16, 5, 3, 120_000, tzinfo=UTC)


# --- statuses --------------------------------------------------------------------------------------------------

#: Every status of our Alleaves wire format (sandboxes/alleaves/orders.py), for a pickup and for a delivery.
STATUS_TABLE: dict[str, tuple[OrderStatus | None, OrderStatus | None]] = {
    "received": (OrderStatus.SUBMITTED, OrderStatus.SUBMITTED),
    "accepted": (OrderStatus.SUBMITTED, OrderStatus.SUBMITTED),
    "in_progress": (OrderStatus.SUBMITTED, OrderStatus.SUBMITTED),
    "ready": (OrderStatus.READY_FOR_PICKUP, None),  # a packed delivery waits for its driver
    "out_for_delivery": (None, OrderStatus.OUT_FOR_DELIVERY),
    "completed": (OrderStatus.CLOSED, OrderStatus.CLOSED),
    "cancelled": (OrderStatus.CANCELLED, OrderStatus.CANCELLED),
    "rejected": (OrderStatus.CANCELLED, OrderStatus.CANCELLED),
}


@pytest.mark.parametrize("raw", sorted(STATUS_TABLE))
def test_every_alleaves_status_maps(raw: str) -> None:
    pickup, delivery = STATUS_TABLE[raw]
    assert mapping.canonical_status(raw, Fulfillment.PICKUP) == pickup
    assert mapping.canonical_status(raw, Fulfillment.KIOSK) == pickup
    assert mapping.canonical_status(raw, Fulfillment.DELIVERY) == delivery


def test_the_staff_road_of_each_kind_of_order_only_moves_it_forward() -> None:
    """The sandbox's roads (orders.py): pickup received → accepted → in_progress → ready → completed; delivery
    through out_for_delivery. Read as canonical statuses, each is a road the order machine allows."""
    roads = {
        Fulfillment.PICKUP: ["received", "accepted", "in_progress", "ready", "completed"],
        Fulfillment.DELIVERY: ["received", "accepted", "in_progress", "ready", "out_for_delivery", "completed"],
    }
    for fulfillment, road in roads.items():
        current = OrderStatus.CONFIRMED
        for raw in road:
            target = mapping.canonical_status(raw, fulfillment)
            if target is None or target == current:
                continue
            assert transition_problem(current, target, fulfillment) is None, (fulfillment, raw)
            current = target
        assert current == OrderStatus.CLOSED


@pytest.mark.parametrize("raw", ["Completed", "READY", "voided", "", "(not found)"])
def test_an_unknown_status_changes_nothing(raw: str) -> None:
    for fulfillment in Fulfillment:
        assert mapping.canonical_status(raw, fulfillment) is None
