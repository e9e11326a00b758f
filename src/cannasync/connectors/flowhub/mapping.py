"""Pure translation between Flowhub JSON and the domain (seed 001's rules, no I/O).

- category: Custom Category, else Type, else Category (the store's mapping table applies later);
- subtype: with "Map Custom Category to Sub Category" on, the custom category name when present; otherwise
  the product type, else the main category: a subtype is always assigned;
- strain types and terpenes in every spelling Flowhub uses (Greek letters included) map through ``vocab``;
- prices are minor units (cents); weight tiers keep their gram amounts;
- orders go through Order Ahead with a medical id or a phone (Flowhub's rule), fees in pennies, the
  requested fulfilment window and a postback URL for status changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from cannasync.connectors import values
from cannasync.connectors.base import PosOrder, Postback
from cannasync.connectors.statuses import DELIVERY, NOT_DELIVERY, Row, StatusTable
from cannasync.domain.catalog import Potency, PriceTier, Product, StrainType, Unit
from cannasync.domain.orders import Fulfillment, OrderStatus
from cannasync.domain.sync import MappingError
from cannasync.vocab import canonical_cannabinoid, canonical_strain_type, canonical_terpene, canonical_unit


def _lab_values(entries: Any, canonical: Any, what: str) -> tuple[Potency, ...]:
    found: dict[str, Potency] = {}
    for entry in values.objects(entries, what):
        name = canonical(values.text(entry.get("name")))
        if name is None:
            continue  # not one the store shows (CBC, Valencene, ...)
        # A range (lowerRange..upperRange); both ends must be numbers, the upper one is what the menu shows.
        bounds = [
            values.decimal(entry[end], f"{name} {end}")
            for end in ("lowerRange", "upperRange")
            if entry.get(end) is not None
        ]
        if not bounds:
            raise MappingError(f"{name} has neither lowerRange nor upperRange")
        unit = canonical_unit(values.text(entry.get("unitOfMeasure")) or "%")
        if unit is None:
            raise MappingError(f"{name} unit {entry.get('unitOfMeasure')!r} is not % or mg")
        found[name] = Potency(name, bounds[-1], Unit(unit))
    return tuple(sorted(found.values(), key=lambda potency: potency.name))


def category_of(item: Mapping[str, Any]) -> str | None:
    """Seed 001: Custom Category, else Type, else Category."""
    return (
        values.text(item.get("customCategoryName"))
        or values.text(item.get("type"))
        or values.text(item.get("category"))
    )


def subtype_of(item: Mapping[str, Any], *, map_custom_category: bool) -> str | None:
    custom = values.text(item.get("customCategoryName"))
    if map_custom_category and custom:
        return custom
    return values.text(item.get("type")) or values.text(item.get("category"))


def product_from_item(item: Mapping[str, Any], *, map_custom_category: bool, sync_terpenes: bool) -> Product:
    """One Flowhub inventory item as a product; raises MappingError with the quarantine reason."""
    product_id = values.identifier(item.get("productId"), "productId")
    name = values.text(item.get("productName"))
    if name is None:
        raise MappingError("item has no productName")
    category = category_of(item)
    if category is None:
        raise MappingError("item has no custom category, type or category")
    strain = canonical_strain_type(values.text(item.get("speciesName")))
    tiers = tuple(
        PriceTier(
            label=values.text(tier.get("name")) or "",
            quantity=values.decimal(tier.get("gramAmount"), "weight tier gramAmount"),
            unit="g",
            price_cents=values.cents(tier.get("pricePerUnitInMinorUnits"), "weight tier price", minor_units=True),
        )
        for tier in values.objects(item.get("weightTierInformation"), "weightTierInformation")
    )
    picture = values.text(item.get("productPictureURL"))
    # One unit's weight in grams: ``productUnitOfMeasureToGramsMultiplier`` (InventoryItem, yerba-buena/
    # flowhub-client-ts src/types/inventory.ts, beside ``productUnitOfMeasure`` and ``productWeight``) turns one
    # of the product's units into grams: 1 for a product sold by the gram, the package's grams for one sold
    # "each". Purchase limits count it.
    weight, weight_unit = values.net_weight(item.get("productUnitOfMeasureToGramsMultiplier"), "g")
    return Product(
        external_id=product_id,
        name=name,
        category=category,
        subcategory=subtype_of(item, map_custom_category=map_custom_category),
        brand=values.text(item.get("brand")),
        strain_type=StrainType(strain) if strain else None,
        description=values.text(item.get("productDescription")) or "",
        sku=values.text(item.get("sku")),
        cannabinoids=_lab_values(item.get("cannabinoidInformation"), canonical_cannabinoid, "cannabinoidInformation"),
        terpenes=_lab_values(item.get("terpenes"), canonical_terpene, "terpenes") if sync_terpenes else None,
        rec_price_cents=values.cents(item.get("priceInMinorUnits"), "priceInMinorUnits", minor_units=True),
        price_tiers=tiers,
        base_category=values.text(item.get("category")),
        net_weight=weight,
        net_weight_unit=weight_unit,
        pos_quantity=values.quantity(item.get("quantity"), "quantity"),
        images=(picture,) if picture else (),
    )


def is_wanted(item: Mapping[str, Any], *, room_id: str | None, purchase_category: str | None) -> bool:
    """The store's room and purchase-category filters; items sold to both categories always pass."""
    if room_id is not None and item.get("roomId") != room_id:
        return False
    category = values.text(item.get("purchaseCategory"))
    return purchase_category is None or category in (None, "both", purchase_category)


# --- orders ----------------------------------------------------------------------------------------------------


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def e164(phone: str | None) -> str | None:
    """Flowhub takes phones as E.164; our phones are ten North American digits."""
    return f"+1{phone}" if phone else None


def _discount_notes(order: PosOrder) -> tuple[dict[str, str], str]:
    per_item: dict[str, str] = {}
    whole_order = []
    for offer in order.offers:
        note = f"{offer.label} (-${Decimal(offer.amount_cents) / 100:.2f})"
        if offer.pos_item_id:
            per_item[offer.pos_item_id] = "; ".join(filter(None, [per_item.get(offer.pos_item_id), note]))
        else:
            whole_order.append(note)
    return per_item, "; ".join(whole_order)


def _product_id(pos_item_id: str) -> int:
    """Order Ahead's ``orderItems.productId`` is numeric (vendor-apis.md §2 "Order Ahead"): a line bound to any
    other id cannot be sent, and says so (a bare ValueError would escape the push's refusal handling)."""
    if not (pos_item_id.isascii() and pos_item_id.isdigit()):
        raise MappingError(f"Flowhub productId {pos_item_id!r} of a line is not a number")
    return int(pos_item_id)


def order_body(order: PosOrder) -> dict[str, Any]:
    """An Order Ahead order. Flowhub prices it from its own menu; offers travel as discount notes.

    The documented body has no ``locationId`` (vendor-apis.md §2; flowhub-client-ts src/types/orders.ts): the
    location comes with the Order Ahead credential. Nor has it an order-level ``externalId``: only the customer
    carries one, so ours is not sent (an API that validates its bodies may refuse a field it does not document),
    and a lost create is found again by content (``FlowhubConnector.find_orders``).
    """
    customer = order.customer
    if not (customer.medical_id or customer.phone):
        raise MappingError("Flowhub needs a medical id or a phone number on every order")
    if customer.date_of_birth is None:
        raise MappingError("Flowhub needs the customer's date of birth")
    item_notes, cart_note = _discount_notes(order)
    person: dict[str, Any] = {
        "firstName": customer.first_name,
        "lastName": customer.last_name,
        "birthDate": customer.date_of_birth.isoformat(),
        "externalId": order.customer_reference or None,
        "email": customer.email,
        "phone": e164(customer.phone),
        "medRecOrBoth": "med" if order.is_medical else "rec",
    }
    if customer.medical_id:
        if customer.medical_id_expiration is None:
            raise MappingError("Flowhub needs the medical card's expiry date with the medical id")
        person["medId"] = customer.medical_id
        person["medExp"] = customer.medical_id_expiration.isoformat()
    body: dict[str, Any] = {
        "externalCreatedAt": _timestamp(order.placed_at),
        "customer": {key: value for key, value in person.items() if value is not None},
        "orderItems": [
            {
                "productId": _product_id(line.pos_item_id),
                "quantityPurchased": line.quantity,
                **({"discountNote": item_notes[line.pos_item_id]} if line.pos_item_id in item_notes else {}),
            }
            for line in order.lines
        ],
        "orderType": order.fulfillment.value,
        "customerNote": order.notes,
        "cartDiscountNote": cart_note,
        "fees": [{"name": fee.name, "amount": fee.amount_cents} for fee in order.fees],
    }
    if order.window_start:
        body["requestedFulfillmentTimeStart"] = _timestamp(order.window_start)
        body["requestedFulfillmentTimeEnd"] = _timestamp(order.window_end or order.window_start)
    if order.fulfillment == Fulfillment.DELIVERY:
        address = order.delivery_address
        if address is None:
            raise MappingError("a delivery order needs a delivery address")
        body["address"] = {
            "street1": address.line1,
            "street2": address.line2,
            "city": address.city,
            "state": address.state,
            "zip": address.postcode,
        }
    if order.status_callback_url:
        body["postbackUrl"] = order.status_callback_url
    return body


# Flowhub status → what it means for an online order.
STATUSES = StatusTable(
    {
        "new": Row(OrderStatus.SUBMITTED),
        "started": Row(OrderStatus.SUBMITTED),
        "ready": Row(OrderStatus.READY_FOR_PICKUP, not_for=DELIVERY),  # a packed delivery waits for its driver
        "inQueue": Row(None),
        "inTransit": Row(OrderStatus.OUT_FOR_DELIVERY, not_for=NOT_DELIVERY),
        "delivered": Row(OrderStatus.CLOSED),
        "sold": Row(OrderStatus.CLOSED),
        "unableToComplete": Row(OrderStatus.CANCELLED),
        "unableToVerify": Row(OrderStatus.CANCELLED),
        "deleted": Row(OrderStatus.CANCELLED),
    }
)
canonical_status = STATUSES.meaning


def postback(body: Any) -> Postback:
    if not isinstance(body, Mapping):
        raise MappingError("a Flowhub postback is a JSON object")
    order_id, status = values.text(body.get("orderId")), values.text(body.get("status"))
    if order_id is None or status is None:
        raise MappingError("a Flowhub postback needs orderId and status")
    if status not in STATUSES:
        raise MappingError(f"unknown Flowhub status {status!r}")
    return Postback(order_id, status)
