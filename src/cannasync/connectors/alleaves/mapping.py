"""Pure translation between Alleaves JSON and the domain (seed 003's rules, no I/O).

- price: with OTD pricing on, the out-the-door price; otherwise the price for the menu type (recreational,
  medical); tiered ("deli style") items keep their tiers;
- quantity: the chosen areas' total; at or below the location's low-quantity threshold it is 0 and the
  product leaves the menu;
- images: all of them, in their ``position`` order;
- terpenes: only the sixteen names of seed 003, matched exactly as written there (anything else is left out
  and counted); the unit comes from the value (``%`` or ``mg``), mg when none.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from cannasync.connectors import values
from cannasync.connectors.base import PlacedOrder, PosOrder, PosOrderLine
from cannasync.connectors.statuses import DELIVERY, NOT_DELIVERY, Row, StatusTable
from cannasync.domain.catalog import Potency, PriceTier, Product, StrainType, Unit
from cannasync.domain.customers import CustomerDetails
from cannasync.domain.orders import Fulfillment, OrderStatus
from cannasync.domain.sync import MappingError
from cannasync.vocab import canonical_cannabinoid, canonical_strain_type, canonical_terpene

_AMOUNT = re.compile(r"^\s*(?P<number>[0-9]*\.?[0-9]+)\s*(?P<unit>%|mg)?\s*$", re.IGNORECASE)


def amount(text: Any, compound: str) -> tuple[Decimal, Unit]:
    """A value as a store types it: ``1.2%``, ``1.2 %``, ``3 mg``, ``3mg``, ``0.8`` (mg when no unit is given)."""
    match = _AMOUNT.match(str(text)) if isinstance(text, str | int | float) else None
    if match is None:
        raise MappingError(f"{compound} value {text!r} is not a number with an optional % or mg")
    unit = Unit.PERCENT if (match["unit"] or "mg").lower() == "%" else Unit.MG
    return values.decimal(match["number"], f"{compound} value"), unit


def chemical_profile(
    entries: Any, *, sync_terpenes: bool
) -> tuple[tuple[Potency, ...], tuple[Potency, ...] | None, int]:
    """Cannabinoids, terpenes (None when not synced) and how many terpenes were left out."""
    entries = values.objects(entries, "chemical_profile")
    cannabinoids: dict[str, Potency] = {}
    terpenes: dict[str, Potency] = {}
    left_out = 0
    for entry in entries:
        compound = values.text(entry.get("compound")) or ""
        if entry.get("kind") == "cannabinoid":
            name = canonical_cannabinoid(compound)
            if name is not None:
                cannabinoids[name] = Potency(name, *amount(entry.get("value"), name))
        elif entry.get("kind") == "terpene" and sync_terpenes:
            name = canonical_terpene(compound, exact=True)
            if name is None:
                left_out += 1
                continue
            terpenes[name] = Potency(name, *amount(entry.get("value"), name))
    by_name = lambda potency: potency.name  # noqa: E731
    return (
        tuple(sorted(cannabinoids.values(), key=by_name)),
        tuple(sorted(terpenes.values(), key=by_name)) if sync_terpenes else None,
        left_out,
    )


def _images(entries: Any) -> tuple[str, ...]:
    ordered = []
    for entry in values.objects(entries, "images"):
        url = values.text(entry.get("url"))
        if url is None:
            raise MappingError("an image has no url")
        position = entry.get("position")
        ordered.append((position if isinstance(position, int) else 1_000_000, url))
    return tuple(url for _, url in sorted(ordered, key=lambda pair: pair[0]))


def _price(pricing: Mapping[str, Any], key: str) -> int | None:
    value = pricing.get(key)
    return None if value is None else values.cents(value, f"pricing.{key}")


def product_from_item(
    item: Mapping[str, Any], *, threshold: int, otd_pricing: bool, sync_terpenes: bool
) -> tuple[Product, dict[str, int]]:
    """One Alleaves item as a product, and what was left out of it by kind (``terpenes`` not among the sixteen;
    ``otd_price`` when OTD pricing is on but the item has none, so its menu-type prices are used)."""
    item_id = values.identifier(item.get("item_id"), "item_id")
    name = values.text(item.get("name"))
    if name is None:
        raise MappingError("item has no name")
    category = values.text(item.get("category"))
    if category is None:
        raise MappingError("item has no category")
    pricing = item.get("pricing")
    if not isinstance(pricing, Mapping):
        raise MappingError("item has no pricing")
    otd = _price(pricing, "otd_price")
    rec: int | None
    med: int | None
    if otd_pricing and otd is not None:
        rec, med = otd, otd
    else:  # OTD off, or an item with no OTD price yet: the menu-type prices (counted, so the store can see it)
        rec, med = _price(pricing, "recreational"), _price(pricing, "medical")
    if rec is None and med is None:
        raise MappingError("item has no price for either menu type")
    tiers: tuple[PriceTier, ...] = ()
    if pricing.get("is_tiered"):
        raw_tiers = values.objects(pricing.get("tiers"), "pricing.tiers")
        tiers = tuple(
            PriceTier(
                label=values.text(tier.get("label")) or "",
                quantity=values.decimal(tier.get("quantity"), "tier quantity"),
                unit=values.text(tier.get("unit")) or "g",
                price_cents=values.cents(tier.get("price"), "tier price"),
            )
            for tier in raw_tiers
        )
    cannabinoids, terpenes, left_out = chemical_profile(item.get("chemical_profile"), sync_terpenes=sync_terpenes)
    available = values.quantity(item.get("quantity_available"), "quantity_available")
    listed = available > threshold
    strain = canonical_strain_type(values.text(item.get("strain_type")))
    product = Product(
        external_id=item_id,
        name=name,
        category=category,
        base_category=category,
        subcategory=values.text(item.get("subcategory")),
        brand=values.text(item.get("brand")),
        strain_type=StrainType(strain) if strain else None,
        description=values.text(item.get("description")) or "",
        sku=values.text(item.get("sku")),
        cannabinoids=cannabinoids,
        terpenes=terpenes,
        rec_price_cents=rec,
        med_price_cents=med,
        price_tiers=tiers,
        pos_quantity=available if listed else 0,
        images=_images(item.get("images")),
        listed=listed,
    )
    counts = {"terpenes": left_out, "otd_price": int(otd_pricing and otd is None)}
    return product, {kind: count for kind, count in counts.items() if count}


# --- patients and orders ---------------------------------------------------------------------------------------


def patient_body(details: CustomerDetails) -> dict[str, Any]:
    if details.date_of_birth is None:
        raise MappingError("Alleaves needs the patient's date of birth")
    body = {
        "first_name": details.first_name,
        "last_name": details.last_name,
        "date_of_birth": details.date_of_birth.isoformat(),
        "phone": details.phone,
        "email": details.email,
        "medical_id": details.medical_id,
        "medical_id_expiration": details.medical_id_expiration.isoformat() if details.medical_id_expiration else None,
        "is_medical": details.medical_id is not None,
    }
    return {key: value for key, value in body.items() if value is not None}


def _dollars(cents: int) -> float:
    return float(Decimal(cents) / 100)


def placed_order(order: Mapping[str, Any]) -> PlacedOrder:
    """An order found by our reference: its ``total`` is list prices less ``discount_total`` (fees go to notes),
    our subtotal less our discounts."""
    return PlacedOrder(
        pos_order_id=str(order["order_id"]),
        reference=str(order.get("external_id")),
        created_at=values.moment(order.get("created_at"), "created_at"),
        quantities=values.tally(order.get("lines"), "item_id", "quantity", "lines"),
        goods_cents=values.cents(order.get("total"), "total"),
        customer_pos_id=values.text(order.get("patient_id")),
    )


def _line(line: PosOrderLine) -> dict[str, Any]:
    """A line as Alleaves takes it: a bulk product's weight tiers as their grams at the price per gram.

    Alleaves quantities are "whole units, or grams (in halves) for bulk flower" and an order line's ``quantity``
    may be a fraction "for grams" (sandboxes/alleaves/items.py and orders.py, the wire format we designed from
    seed 003's deli-style tiers: vendor-apis.md section 3 has no public Alleaves documentation). The per-gram price
    is sent unrounded so quantity x unit_price is the tier's price to the cent.
    """
    if line.tier_quantity is None:
        return {"item_id": line.pos_item_id, "quantity": line.quantity, "unit_price": _dollars(line.unit_price_cents)}
    per_gram = Decimal(line.unit_price_cents) / 100 / line.tier_quantity
    return {"item_id": line.pos_item_id, "quantity": float(line.weight()), "unit_price": float(per_gram)}


def order_body(order: PosOrder) -> dict[str, Any]:
    """An Alleaves order: list prices, the discounts as one total, and the delivery window when delivering."""
    if order.customer_pos_id is None:
        raise MappingError("an Alleaves order needs the patient id")
    notes = [order.notes.strip()] if order.notes.strip() else []
    notes += [f"Fee: {fee.name} ${Decimal(fee.amount_cents) / 100:.2f}" for fee in order.fees]
    notes += [f"Offer: {offer.label} (-${Decimal(offer.amount_cents) / 100:.2f})" for offer in order.offers]
    body: dict[str, Any] = {
        "external_id": order.reference,
        "patient_id": order.customer_pos_id,
        "order_type": "delivery" if order.fulfillment == Fulfillment.DELIVERY else "pickup",
        "menu_type": "medical" if order.is_medical else "recreational",
        "lines": [_line(line) for line in order.lines],
        "discount_total": _dollars(sum(line.discount_cents for line in order.lines)),
        "notes": "\n".join(notes),
    }
    if order.fulfillment == Fulfillment.DELIVERY:
        address = order.delivery_address
        if address is None or order.window_start is None or order.window_end is None:
            raise MappingError("an Alleaves delivery needs the address and the window's start and end")
        body["delivery"] = {
            "address": {
                "line1": address.line1,
                "line2": address.line2,
                "city": address.city,
                "state": address.state,
                "postcode": address.postcode,
            },
            "window_start": order.window_start.isoformat(),
            "window_end": order.window_end.isoformat(),
        }
    return body


# Alleaves status → what it means for an online order.
STATUSES = StatusTable(
    {
        "received": Row(OrderStatus.SUBMITTED),
        "accepted": Row(OrderStatus.SUBMITTED),
        "in_progress": Row(OrderStatus.SUBMITTED),
        "ready": Row(OrderStatus.READY_FOR_PICKUP, not_for=DELIVERY),
        "out_for_delivery": Row(OrderStatus.OUT_FOR_DELIVERY, not_for=NOT_DELIVERY),
        "completed": Row(OrderStatus.CLOSED),
        "cancelled": Row(OrderStatus.CANCELLED),
        "rejected": Row(OrderStatus.CANCELLED),
    }
)
canonical_status = STATUSES.meaning
