"""Flowhub JSON ↔ domain, pure: seed 001's menu rules, quarantine reasons, the status table and the Order Ahead body.

Shapes: ``InventoryItem`` as vendor-apis.md §2 "Inventory (v0)" lists its fields and as the sandbox's catalogue
serves them (sandboxes/flowhub/catalog.py, choice 5: weight tiers priced per whole tier in minor units, lab values
as ``lowerRange``/``upperRange`` ranges); the Order Ahead create body of vendor-apis.md §2 "Order Ahead".
"""

from __future__ import annotations

import copy
import dataclasses
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from cannasync.connectors.base import Address, PosOffer, PosOrder, PosOrderLine
from cannasync.connectors.flowhub import mapping
from cannasync.domain.catalog import PriceTier, StrainType, Unit
from cannasync.domain.customers import CustomerDetails
from cannasync.domain.orders import Fee, Fulfillment, OrderStatus, transition_problem
from cannasync.domain.sync import MappingError

# A flower item sold by the gram with its weight tiers, as the Flowhub sandbox generates one (product 30014 of
# seed 7, trimmed of fields the mapping never reads); field names from vendor-apis.md §2 InventoryItem.
ITEM: dict[str, Any] = {
    "productId": 30014,
    "productName": "Strawberry Cough Bulk",
    "sku": "BIB-FL-30014",
    "brand": "Belle Isle Botanicals",
    "category": "Flower",
    "customCategoryName": None,
    "type": "Greenhouse",
    "purchaseCategory": "rec",
    "speciesName": "Sativa Hybrid",
    "roomId": "0f3c1a7e5b2d4c6a8e9f0a1b2c3d4e5f",
    "cannabinoidInformation": [
        {"name": "THC", "lowerRange": 0.88, "upperRange": 0.88, "unitOfMeasure": "%"},
        {"name": "THCA", "lowerRange": 29.29, "upperRange": 31.81, "unitOfMeasure": "%"},
        {"name": "CBC", "lowerRange": 0.2, "upperRange": 0.2, "unitOfMeasure": "%"},
    ],
    "terpenes": [
        {"name": "α-Pinene", "lowerRange": 0.58, "upperRange": 0.72, "unitOfMeasure": "%"},
        {"name": "β-Myrcene", "lowerRange": 0.54, "upperRange": 0.54, "unitOfMeasure": "%"},
        {"name": "delta 3 Carene", "lowerRange": 0.29, "upperRange": 0.29, "unitOfMeasure": "%"},
        {"name": "Valencene", "lowerRange": 0.1, "upperRange": 0.1, "unitOfMeasure": "%"},
    ],
    "priceInMinorUnits": 1000,
    "weightTierInformation": [
        {"name": "1g", "gramAmount": 1.0, "pricePerUnitInMinorUnits": 1000},
        {"name": "1/8 oz", "gramAmount": 3.5, "pricePerUnitInMinorUnits": 3300},
        {"name": "1 oz", "gramAmount": 28.0, "pricePerUnitInMinorUnits": 21800},
    ],
    "quantity": 112.5,
    "productUnitOfMeasure": "g",
    "productUnitOfMeasureToGramsMultiplier": 1.0,
    "productDescription": "Strawberry Cough, weighed to order at the counter.",
    "productPictureURL": "https://api.flowhub.example/_sandbox/images/30014.png",
}


def item(**changes: Any) -> dict[str, Any]:
    return {**copy.deepcopy(ITEM), **changes}


def product(*, map_custom_category: bool = False, sync_terpenes: bool = False, **changes: Any):  # type: ignore[no-untyped-def]
    return mapping.product_from_item(
        item(**changes), map_custom_category=map_custom_category, sync_terpenes=sync_terpenes
    )


# --- menu ------------------------------------------------------------------------------------------------------


def test_an_inventory_item_becomes_a_product_priced_in_cents_with_its_weight_tiers() -> None:
    mapped = product()
    assert mapped.external_id == "30014"  # Flowhub's numeric productId, as text
    assert mapped.name == "Strawberry Cough Bulk"
    assert mapped.brand == "Belle Isle Botanicals" and mapped.sku == "BIB-FL-30014"
    assert mapped.strain_type == StrainType.SATIVA_HYBRID
    assert mapped.rec_price_cents == 1000  # priceInMinorUnits is already cents: $10.00, not $1,000
    assert mapped.med_price_cents is None
    assert mapped.price_tiers == (
        PriceTier("1g", Decimal("1.0"), "g", 1000),
        PriceTier("1/8 oz", Decimal("3.5"), "g", 3300),  # the price of the whole eighth
        PriceTier("1 oz", Decimal("28.0"), "g", 21800),
    )
    assert mapped.pos_quantity == 112  # grams in stock; half a gram cannot be sold
    assert mapped.images == ("https://api.flowhub.example/_sandbox/images/30014.png",)
    assert mapped.description == "Strawberry Cough, weighed to order at the counter."
    assert (mapped.net_weight, mapped.net_weight_unit) == (Decimal(1), "g")
    assert mapped.base_category == "Flower"


def test_a_range_shows_its_upper_end_and_only_the_six_cannabinoids_the_store_shows() -> None:
    assert [(c.name, c.value, c.unit) for c in product().cannabinoids] == [
        ("THC", Decimal("0.88"), Unit.PERCENT),
        ("THCa", Decimal("31.81"), Unit.PERCENT),  # 29.29..31.81: the menu shows 31.81; CBC is dropped
    ]
    only_lower = product(cannabinoidInformation=[{"name": "CBD", "lowerRange": 12, "unitOfMeasure": "mg"}])
    assert [(c.name, c.value, c.unit) for c in only_lower.cannabinoids] == [("CBD", Decimal(12), Unit.MG)]


def test_an_edible_sold_each_counts_its_package_weight_and_milligrams() -> None:
    # Product 30007 of the sandbox's seed 7: a 5 mg beverage sold "each", 60 g a package.
    mapped = product(
        category="Edibles",
        type="Beverage",
        speciesName="Indica",
        weightTierInformation=[],
        productUnitOfMeasure="each",
        productUnitOfMeasureToGramsMultiplier=60.0,
        cannabinoidInformation=[{"name": "THC", "lowerRange": 5.0, "upperRange": 5.0, "unitOfMeasure": "mg"}],
        priceInMinorUnits=900,
        quantity=24,
    )
    assert mapped.category == "Beverage" and mapped.base_category == "Edibles"
    assert mapped.price_tiers == ()
    assert (mapped.net_weight, mapped.net_weight_unit) == (Decimal(60), "g")
    assert [(c.name, c.value, c.unit) for c in mapped.cannabinoids] == [("THC", Decimal(5), Unit.MG)]
    assert (mapped.rec_price_cents, mapped.pos_quantity) == (900, 24)


def test_terpenes_in_flowhubs_greek_spellings_map_when_the_store_syncs_them() -> None:
    assert product(sync_terpenes=False).terpenes is None
    on = product(sync_terpenes=True).terpenes
    assert on is not None
    # α-Pinene, β-Myrcene and "delta 3 Carene" are seed 001's spellings; Valencene is not among them.
    assert [(t.name, t.value) for t in on] == [
        ("3-Carene", Decimal("0.29")),
        ("Alpha Pinene", Decimal("0.72")),
        ("Beta Myrcene", Decimal("0.54")),
    ]


@pytest.mark.parametrize(
    ("spelling", "expected"),
    [
        ("Indica-Dom", StrainType.INDICA_HYBRID),
        ("hybrid indica", StrainType.INDICA_HYBRID),
        ("50/50", StrainType.HYBRID),
        ("Sativa-Dom", StrainType.SATIVA_HYBRID),
        ("hybrid sativa", StrainType.SATIVA_HYBRID),
        ("CBD", StrainType.CBD),
        (None, None),
        ("Ruderalis", None),
    ],
)
def test_seed_001s_strain_type_spellings(spelling: str | None, expected: StrainType | None) -> None:
    assert product(speciesName=spelling).strain_type == expected


@pytest.mark.parametrize(
    ("custom", "kind", "category", "expected"),
    [
        ("Top Shelf", "Greenhouse", "Flower", "Top Shelf"),
        (None, "Greenhouse", "Flower", "Greenhouse"),
        ("", "Greenhouse", "Flower", "Greenhouse"),
        (None, None, "Flower", "Flower"),
        ("  ", " ", "Flower", "Flower"),
    ],
)
def test_category_is_the_custom_category_then_the_type_then_the_category(
    custom: str | None, kind: str | None, category: str, expected: str
) -> None:
    assert product(customCategoryName=custom, type=kind, category=category).category == expected


@pytest.mark.parametrize(
    ("custom", "kind", "setting", "expected"),
    [
        ("Top Shelf", "Greenhouse", True, "Top Shelf"),  # the setting on, with a custom category: that name
        ("Top Shelf", "Greenhouse", False, "Greenhouse"),  # off: the type
        (None, "Greenhouse", True, "Greenhouse"),  # on, but no custom category: the type
        (None, None, True, "Flower"),  # no type: the main category, so a subtype is always assigned
        (None, None, False, "Flower"),
    ],
)
def test_the_subtype_follows_map_custom_category_to_sub_category(
    custom: str | None, kind: str | None, setting: bool, expected: str
) -> None:
    mapped = product(map_custom_category=setting, customCategoryName=custom, type=kind)
    assert mapped.subcategory == expected


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        # The sandbox's planted damage (sandboxes/flowhub/catalog.py, choice 6):
        ({"productName": None}, "productName"),
        ({"priceInMinorUnits": -2500}, "priceInMinorUnits"),
        ({"priceInMinorUnits": "24.99"}, "whole number of cents"),  # dollars where cents belong
        ({"cannabinoidInformation": [{"name": "THC", "lowerRange": "n/a", "upperRange": 20}]}, "THC lowerRange"),
        # And what else a record can lack or garble:
        ({"productId": None}, "productId"),
        ({"productId": {"id": 1}}, "productId"),
        ({"productName": "   "}, "productName"),
        ({"priceInMinorUnits": None}, "priceInMinorUnits"),
        ({"customCategoryName": None, "type": None, "category": None}, "category"),
        ({"cannabinoidInformation": [{"name": "CBD", "unitOfMeasure": "%"}]}, "CBD has neither"),
        ({"cannabinoidInformation": [{"name": "THC", "upperRange": 20, "unitOfMeasure": "oz"}]}, "not % or mg"),
        ({"cannabinoidInformation": "THC 20%"}, "cannabinoidInformation"),
        ({"weightTierInformation": [{"name": "1g", "gramAmount": 1}]}, "weight tier price"),
        ({"weightTierInformation": [{"name": "1g", "gramAmount": -1, "pricePerUnitInMinorUnits": 9}]}, "gramAmount"),
        ({"weightTierInformation": ["1/8 for $33"]}, "weightTierInformation"),
        ({"quantity": "lots"}, "quantity"),
    ],
)
def test_a_record_that_cannot_be_mapped_is_quarantined_with_its_reason(changes: dict[str, Any], reason: str) -> None:
    with pytest.raises(MappingError, match=reason):
        product(**changes)


def test_a_missing_picture_or_weight_is_no_reason_to_quarantine() -> None:
    mapped = product(productPictureURL=None, productUnitOfMeasureToGramsMultiplier=None, quantity=-4)
    assert mapped.images == ()
    assert (mapped.net_weight, mapped.net_weight_unit) == (None, None)
    assert mapped.pos_quantity == 0  # oversold stock is nothing to sell


@pytest.mark.parametrize(
    ("room", "purchase_category", "item_room", "item_category", "wanted"),
    [
        (None, None, "room-a", "med", True),
        ("room-a", None, "room-a", "rec", True),
        ("room-a", None, "room-b", "rec", False),
        (None, "rec", None, "rec", True),
        (None, "rec", None, "med", False),
        (None, "rec", None, "both", True),  # sold to both: always passes
        (None, "med", None, None, True),  # no purchase category: not filtered out
    ],
)
def test_the_room_and_purchase_category_filters(
    room: str | None, purchase_category: str | None, item_room: str | None, item_category: str | None, wanted: bool
) -> None:
    record = item(roomId=item_room, purchaseCategory=item_category)
    assert mapping.is_wanted(record, room_id=room, purchase_category=purchase_category) is wanted


# --- statuses --------------------------------------------------------------------------------------------------

#: Every Order Ahead status vendor-apis.md §2 lists, and what it means for a pickup and for a delivery.
STATUS_TABLE: dict[str, tuple[OrderStatus | None, OrderStatus | None]] = {
    "new": (OrderStatus.SUBMITTED, OrderStatus.SUBMITTED),
    "started": (OrderStatus.SUBMITTED, OrderStatus.SUBMITTED),
    "ready": (OrderStatus.READY_FOR_PICKUP, None),  # a packed delivery waits for its driver
    "inQueue": (None, None),
    "inTransit": (None, OrderStatus.OUT_FOR_DELIVERY),
    "delivered": (OrderStatus.CLOSED, OrderStatus.CLOSED),
    "sold": (OrderStatus.CLOSED, OrderStatus.CLOSED),
    "unableToComplete": (OrderStatus.CANCELLED, OrderStatus.CANCELLED),
    "unableToVerify": (OrderStatus.CANCELLED, OrderStatus.CANCELLED),
    "deleted": (OrderStatus.CANCELLED, OrderStatus.CANCELLED),
}


@pytest.mark.parametrize("raw", sorted(STATUS_TABLE))
def test_every_order_ahead_status_maps_for_pickups_kiosks_and_deliveries(raw: str) -> None:
    pickup, delivery = STATUS_TABLE[raw]
    assert mapping.canonical_status(raw, Fulfillment.PICKUP) == pickup
    assert mapping.canonical_status(raw, Fulfillment.KIOSK) == pickup
    assert mapping.canonical_status(raw, Fulfillment.DELIVERY) == delivery
    assert mapping.postback({"orderId": "fh-1", "status": raw}).raw_status == raw


def test_the_table_reaches_every_status_an_order_ahead_order_can_have_and_nothing_the_machine_forbids() -> None:
    for fulfillment in Fulfillment:
        reached = {mapping.canonical_status(raw, fulfillment) for raw in STATUS_TABLE} - {None}
        ending = OrderStatus.OUT_FOR_DELIVERY if fulfillment == Fulfillment.DELIVERY else OrderStatus.READY_FOR_PICKUP
        assert reached == {OrderStatus.SUBMITTED, ending, OrderStatus.CLOSED, OrderStatus.CANCELLED}, fulfillment
        for status in reached - {OrderStatus.SUBMITTED}:
            assert transition_problem(OrderStatus.SUBMITTED, status, fulfillment) is None


@pytest.mark.parametrize("raw", ["Sold", "NEW", "voided", "", "cancelled"])
def test_an_unknown_status_changes_nothing_and_its_postback_is_refused_by_name(raw: str) -> None:
    """Flowhub's casing differs between its APIs (vendor-apis.md §2, Sales: "Sold"); only Order Ahead's own
    spellings are statuses here."""
    assert mapping.canonical_status(raw, Fulfillment.PICKUP) is None
    with pytest.raises(MappingError, match="orderId and status" if not raw else f"unknown Flowhub status '{raw}'"):
        mapping.postback({"orderId": "fh-1", "status": raw})


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (["fh-1", "ready"], "JSON object"),
        ({"status": "ready"}, "orderId and status"),
        ({"orderId": "fh-1"}, "orderId and status"),
        ({"orderId": " ", "status": "ready"}, "orderId and status"),
    ],
)
def test_a_malformed_postback_is_refused_with_its_reason(body: Any, reason: str) -> None:
    with pytest.raises(MappingError, match=reason):
        mapping.postback(body)


# --- orders ----------------------------------------------------------------------------------------------------


def _order(**changes: Any) -> PosOrder:
    order = PosOrder(
        reference="1042",
        customer_pos_id=None,  # Flowhub takes the customer inline
        customer=CustomerDetails(
            "Casey", "Morgan", date(1992, 9, 30), "5550002222", "casey@example.com", "MI-MED-0042", date(2027, 1, 31)
        ),
        fulfillment=Fulfillment.DELIVERY,
        is_medical=True,
        placed_at=datetime(2025, 6, 1, 16, 5, 7, 250_000, tzinfo=UTC),
        lines=[
            PosOrderLine("30014", "BIB-FL-30014", "Strawberry Cough Bulk", 3, 1_000, 300),
            PosOrderLine("30007", None, "Watermelon Sparkling Water", 2, 900, 0),
        ],
        offers=[PosOffer("Flower 10%", 300, pos_item_id="30014"), PosOffer("Welcome $5", 500)],
        fees=[Fee("Delivery", 500), Fee("Small order", 199)],
        notes="Ring twice",
        delivery_address=Address("2150 Packard St", "Ann Arbor", "MI", "48104", line2="Apt 4"),
        window_start=datetime(2025, 6, 1, 17, 30, tzinfo=ZoneInfo("America/Detroit")),
        window_end=datetime(2025, 6, 1, 18, 30, tzinfo=ZoneInfo("America/Detroit")),
        customer_reference="c-77",
        status_callback_url="https://hub.example/hooks/flowhub/status",
    )
    return dataclasses.replace(order, **changes)


def test_a_medical_delivery_body_is_the_documented_order_ahead_body() -> None:
    body = mapping.order_body(_order())
    assert body == {
        "externalCreatedAt": "2025-06-01T16:05:07Z",
        "customer": {
            "firstName": "Casey",
            "lastName": "Morgan",
            "birthDate": "1992-09-30",
            "externalId": "c-77",  # our customer id: the one external id the documented body carries
            "email": "casey@example.com",
            "phone": "+15550002222",  # E.164
            "medRecOrBoth": "med",
            "medId": "MI-MED-0042",
            "medExp": "2027-01-31",
        },
        "orderItems": [
            {"productId": 30014, "quantityPurchased": 3, "discountNote": "Flower 10% (-$3.00)"},  # numeric id
            {"productId": 30007, "quantityPurchased": 2},
        ],
        "orderType": "delivery",
        "customerNote": "Ring twice",  # seed 001: delivery notes are sent
        "cartDiscountNote": "Welcome $5 (-$5.00)",
        "fees": [{"name": "Delivery", "amount": 500}, {"name": "Small order", "amount": 199}],  # pennies
        # 17:30-18:30 in Detroit (EDT) is 21:30-22:30 UTC.
        "requestedFulfillmentTimeStart": "2025-06-01T21:30:00Z",
        "requestedFulfillmentTimeEnd": "2025-06-01T22:30:00Z",
        "address": {
            "street1": "2150 Packard St",
            "street2": "Apt 4",
            "city": "Ann Arbor",
            "state": "MI",
            "zip": "48104",
        },
        "postbackUrl": "https://hub.example/hooks/flowhub/status",
    }


def test_a_recreational_kiosk_body_has_no_medical_card_address_or_window() -> None:
    body = mapping.order_body(
        _order(
            fulfillment=Fulfillment.KIOSK,
            is_medical=False,
            customer=CustomerDetails("Casey", "Morgan", date(1992, 9, 30), phone="5550002222"),
            delivery_address=None,
            window_start=None,
            window_end=None,
            offers=[],
            fees=[],
            customer_reference="",
            status_callback_url=None,
        )
    )
    assert body["orderType"] == "kiosk"
    assert body["customer"] == {
        "firstName": "Casey",
        "lastName": "Morgan",
        "birthDate": "1992-09-30",
        "phone": "+15550002222",
        "medRecOrBoth": "rec",
    }
    assert "address" not in body and "requestedFulfillmentTimeStart" not in body and "postbackUrl" not in body
    assert body["fees"] == [] and body["cartDiscountNote"] == ""
    assert all("discountNote" not in line for line in body["orderItems"])


def test_a_window_without_an_end_asks_for_its_start() -> None:
    body = mapping.order_body(_order(fulfillment=Fulfillment.PICKUP, delivery_address=None, window_end=None))
    assert body["requestedFulfillmentTimeStart"] == body["requestedFulfillmentTimeEnd"] == "2025-06-01T21:30:00Z"


def test_the_order_carries_no_reference_field_flowhub_does_not_document() -> None:
    """The documented create body has no order-level external id (vendor-apis.md §2 "Order Ahead"): our number
    goes nowhere a validating API could refuse it."""
    body = mapping.order_body(_order())
    assert "1042" not in repr(body)
    assert not {"externalId", "reference", "locationId"} & set(body)


def test_two_offers_on_one_line_share_its_discount_note() -> None:
    offers = [PosOffer("Flower 10%", 300, pos_item_id="30014"), PosOffer("Bundle", 150, pos_item_id="30014")]
    body = mapping.order_body(_order(offers=offers))
    assert body["orderItems"][0]["discountNote"] == "Flower 10% (-$3.00); Bundle (-$1.50)"
    assert body["cartDiscountNote"] == ""


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        (
            {"customer": CustomerDetails("Casey", "Morgan", date(1992, 9, 30), email="casey@example.com")},
            "medical id or a phone",  # seed 001: Flowhub requires one of them on every order
        ),
        ({"customer": CustomerDetails("Casey", "Morgan", None, "5550002222")}, "date of birth"),
        (
            {"customer": CustomerDetails("Casey", "Morgan", date(1992, 9, 30), medical_id="MI-MED-0042")},
            "expiry date",
        ),
        ({"delivery_address": None}, "delivery address"),
        ({"lines": [PosOrderLine("BIB-FL-30014", None, "Strawberry Cough", 1, 1_000, 0)]}, "productId"),
    ],
)
def test_an_order_flowhub_would_refuse_is_not_sent_and_the_reason_says_what_is_missing(
    changes: dict[str, Any], reason: str
) -> None:
    with pytest.raises(MappingError, match=reason):
        mapping.order_body(_order(**changes))


def test_a_medical_id_alone_is_enough_without_a_phone() -> None:
    customer = CustomerDetails("Casey", "Morgan", date(1992, 9, 30), medical_id="MI-1", medical_id_expiration=None)
    with pytest.raises(MappingError):
        mapping.order_body(_order(customer=customer))
    customer = dataclasses.replace(customer, medical_id_expiration=date(2027, 1, 31))
    body = mapping.order_body(_order(customer=customer))
    assert body["customer"]["medId"] == "MI-1" and "phone" not in body["customer"]


def test_e164_phones() -> None:
    assert mapping.e164("5550002222") == "+15550002222"
    assert mapping.e164(None) is None and mapping.e164("") is None
