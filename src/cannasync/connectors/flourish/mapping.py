"""Pure translation between Flourish JSON and the domain. No I/O: every rule of seed 000 is testable here.

Rules (seed 000):
- only items active for e-commerce and sellable;
- name: ``ecommerce_item_name``, else ``retail_display_name`` (``item_name`` as a last resort);
- category: ``ecommerce_sub_category_name``, else ``item_category`` (the store's mapping table applies later);
- cannabinoids THC, THCa, CBD, CBDa, CBG, CBN always; terpenes only when the store syncs them;
- statuses: Packed → Ready for Pickup (not for delivery), Out for Delivery, Completed → Closed,
  Cancelled and Undeliverable → Cancelled.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from cannasync.connectors import values
from cannasync.connectors.base import PlacedOrder, PosOrder, PosOrderLine
from cannasync.connectors.statuses import DELIVERY, Row, StatusTable
from cannasync.domain.catalog import Potency, PriceTier, Product, StrainType, Unit
from cannasync.domain.customers import CustomerDetails
from cannasync.domain.orders import Fulfillment, OrderStatus
from cannasync.domain.sync import MappingError
from cannasync.vocab import canonical_cannabinoid, canonical_strain_type, canonical_terpene, canonical_unit

# --- menu ------------------------------------------------------------------------------------------------------


def is_listed(item: Mapping[str, Any]) -> bool:
    """Seed 000: only items both active for e-commerce and sellable reach the menu."""
    return bool(item.get("active", True)) and item.get("ecommerce_active") is True and item.get("sellable") is True


def _cents(value: Any, field: str) -> int | None:
    if value is None or value == "":
        return None
    return values.cents(value, field)


def _unit(value: Any, what: str) -> Unit:
    canonical = canonical_unit(values.text(value) or "%")
    if canonical is None:
        raise MappingError(f"{what} unit {value!r} is not % or mg")
    return Unit(canonical)


def _lab_values(entries: Any, canonical: Any, what: str) -> tuple[Potency, ...]:
    found = []
    for entry in values.objects(entries, what):
        name = canonical(values.text(entry.get("name")))
        if name is None:
            continue  # not one the store shows (e.g. CBC, Valencene)
        found.append(Potency(name, values.decimal(entry.get("value"), f"{name} value"), _unit(entry.get("uom"), name)))
    return tuple(sorted(found, key=lambda potency: potency.name))


def _tiers(entries: Any) -> tuple[PriceTier, ...]:
    tiers = []
    for entry in values.objects(entries, "price_tiers"):
        price = _cents(entry.get("price"), "price tier")
        if price is None:
            raise MappingError(f"price tier {entry.get('name')!r} has no price")
        tiers.append(
            PriceTier(
                label=values.text(entry.get("name")) or "",
                quantity=values.decimal(entry.get("quantity"), "price tier quantity"),
                unit=values.text(entry.get("uom")) or "g",
                price_cents=price,
            )
        )
    return tuple(tiers)


def product_from_item(item: Mapping[str, Any], sellable_qty: Any, *, sync_terpenes: bool) -> Product:
    """One listed Flourish item as a product; raises MappingError with the quarantine reason."""
    external_id = values.identifier(item.get("id"), "item id")
    name = (
        values.text(item.get("ecommerce_item_name"))
        or values.text(item.get("retail_display_name"))
        or values.text(item.get("item_name"))
    )
    if name is None:
        raise MappingError("item has no e-commerce name, retail display name or item name")
    category = values.text(item.get("ecommerce_sub_category_name")) or values.text(item.get("item_category"))
    if category is None:
        raise MappingError("item has neither an e-commerce subcategory nor an item category")
    rec_price = _cents(item.get("retail_price", item.get("price")), "retail_price")
    if rec_price is None:
        raise MappingError("item has no retail_price")
    strain = canonical_strain_type(values.text(item.get("strain_type_name")))
    quantity = values.quantity(sellable_qty, "sellable_qty")
    # One unit's net weight: ``unit_weight`` in ``weight_uom`` (g, ml, oz ...), the item fields Flourish's own
    # WooCommerce plugin reads (reference/vendor-apis.md, Flourish items). Purchase limits count it.
    weight, weight_unit = values.net_weight(item.get("unit_weight"), item.get("weight_uom"))
    return Product(
        external_id=external_id,
        name=name,
        category=category,
        subcategory=values.text(item.get("ecommerce_sub_category_name")),
        brand=values.text(item.get("brand")),
        strain_type=StrainType(strain) if strain else None,
        description=values.text(item.get("item_description")) or "",
        sku=values.text(item.get("sku")),
        cannabinoids=_lab_values(item.get("cannabinoids"), canonical_cannabinoid, "cannabinoids"),
        terpenes=_lab_values(item.get("terpenes"), canonical_terpene, "terpenes") if sync_terpenes else None,
        rec_price_cents=rec_price,
        med_price_cents=_cents(item.get("med_price"), "med_price"),
        price_tiers=_tiers(item.get("price_tiers")),
        base_category=values.text(item.get("item_category")),
        net_weight=weight,
        net_weight_unit=weight_unit,
        pos_quantity=quantity,
    )


def art_links(art: Mapping[str, Any] | None) -> tuple[str, ...]:
    """Item art in the order a shopper should see it: product shot, then packaging, then label."""
    if not art:
        return ()
    return tuple(url for key in ("product", "packaging", "label") if (url := values.text(art.get(key))))


# --- customers -------------------------------------------------------------------------------------------------


def customer_body(details: CustomerDetails, *, needs_id_verification: bool) -> dict[str, Any]:
    """A new Flourish customer. ``is_verified`` false is how Flourish flags an ID to check at pickup."""
    body: dict[str, Any] = {
        "first_name": details.first_name,
        "last_name": details.last_name,
        "dob": details.date_of_birth.isoformat() if details.date_of_birth else None,
        "email": details.email,
        "phone": details.phone,
        "patient_id": details.medical_id,
        "is_verified": not needs_id_verification,
    }
    return {key: value for key, value in body.items() if value is not None}


# --- orders ----------------------------------------------------------------------------------------------------

_FULFILLMENT = {Fulfillment.PICKUP: "pickup", Fulfillment.DELIVERY: "delivery", Fulfillment.KIOSK: "in-store"}


def _money(cents: int) -> float:
    return float(Decimal(cents) / 100)


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


timestamp = _timestamp


def placed_order(order: Mapping[str, Any]) -> PlacedOrder:
    """What a retail order found by our reference says about itself, to compare with the order we sent.

    Its value before fees is its ``total`` less the ``delivery_fee`` (the one fee Flourish keeps): lines carry
    post-discount prices, so that is our subtotal less our discounts, to the cent.
    """
    total = values.cents(order.get("total"), "total")
    fee = values.cents(order.get("delivery_fee") or 0, "delivery_fee")
    return PlacedOrder(
        pos_order_id=str(order["id"]),
        reference=str(order.get("original_order_id")),
        created_at=values.moment(order.get("created_timestamp"), "created_timestamp"),
        quantities=values.tally(order.get("order_lines"), "item_id", "order_qty", "order_lines"),
        goods_cents=total - fee,
        customer_pos_id=values.text(order.get("customer_id")),
    )


def order_lines(line: PosOrderLine) -> list[dict[str, Any]]:
    """A line at its post-discount unit price, in whole cents.

    Flourish applies ``applied_discounts`` to the line totals and again to the order total, so discounts are
    folded into the unit price instead. When the discount does not divide evenly by the quantity the line is
    sent as two lines of the same item, one cent apart, so that Flourish's total equals ours to the cent.
    """
    net = line.quantity * line.unit_price_cents - line.discount_cents
    base, extra_cents = divmod(net, line.quantity)
    parts = [(line.quantity - extra_cents, base), (extra_cents, base + 1)]
    return [
        {"item_id": line.pos_item_id, "sku": line.sku, "order_qty": quantity, "unit_price": _money(unit)}
        for quantity, unit in parts
        if quantity
    ]


def _offer_notes(order: PosOrder) -> str:
    offers = [f"{offer.label} (-${Decimal(offer.amount_cents) / 100:.2f})" for offer in order.offers]
    fees = [f"{fee.name} (${Decimal(fee.amount_cents) / 100:.2f})" for fee in order.fees if fee.amount_cents]
    parts = [order.notes.strip()] if order.notes.strip() else []
    if offers:
        parts.append("Online offers applied in prices: " + "; ".join(offers))
    if fees:
        parts.append("Fees in delivery_fee: " + "; ".join(fees))
    return "\n".join(parts)


def _fee(order: PosOrder) -> float | None:
    """Every fee of the order, whatever its name or fulfilment, as the order's one fee field.

    A Flourish retail order has a single fee field, ``delivery_fee`` (POST /v1/retail-orders body fields,
    vendor-apis.md), and Flourish adds it to the order total. Flourish's own WooCommerce plugin
    (flourishsoftware/flourish-woocommerce-b2c, src/Handlers/HandlerOrdersRetail.php, get_delivery_information)
    sends the shop's shipping total there and nothing else, so any other fee would be missing from Flourish's
    total. A pickup's bag or service fee therefore goes there too (its name is in the notes), so that Flourish's
    total equals ours to the cent.
    """
    total = sum(fee.amount_cents for fee in order.fees)
    return _money(total) if total else None


def order_body(order: PosOrder, status: str = "submitted") -> dict[str, Any]:
    """A Flourish retail order carrying our customer-facing number, created as Submitted (seed 000) unless the
    store chose Created, the vendor plugin's "Draft" (flourishsoftware/flourish-woocommerce-b2c,
    src/Admin/SettingsPage.php ``order_status``: ``submitted`` or ``created``)."""
    if order.customer_pos_id is None:
        raise MappingError("a Flourish order needs the Flourish customer id")
    body: dict[str, Any] = {
        "original_order_id": order.reference,
        "customer_id": order.customer_pos_id,
        "is_recreational": not order.is_medical,
        "order_status": status,
        "fulfillment_type": _FULFILLMENT[order.fulfillment],
        "order_timestamp": _timestamp(order.placed_at),
        "notes": _offer_notes(order),
        "order_lines": [part for line in order.lines for part in order_lines(line)],
        "applied_discounts": [],
    }
    window = order.window_start or order.placed_at
    if order.fulfillment == Fulfillment.DELIVERY:
        address = order.delivery_address
        if address is None:
            raise MappingError("a delivery order needs a delivery address")
        body["expected_delivery_timestamp"] = _timestamp(window)
        body["delivery_address"] = {
            "address_line_1": address.line1,
            "address_line_2": address.line2,
            "city": address.city,
            "state": address.state,
            "postcode": address.postcode,
        }
        body["delivery_contact_no"] = order.customer.phone
        body["delivery_email"] = order.customer.email
    else:
        body["expected_pickup_timestamp"] = _timestamp(window)
    fee = _fee(order)
    if fee is not None:
        body["delivery_fee"] = fee
    return body


# Flourish status → what it means for an online order (seed 000's table).
STATUSES = StatusTable(
    {
        "Created": Row(None),
        "Submitted": Row(OrderStatus.SUBMITTED),
        "Packed": Row(OrderStatus.READY_FOR_PICKUP, not_for=DELIVERY),  # a packed delivery waits for its driver
        "Out for Delivery": Row(OrderStatus.OUT_FOR_DELIVERY),
        "Completed": Row(OrderStatus.CLOSED),
        "Cancelled": Row(OrderStatus.CANCELLED),
        "Undeliverable": Row(OrderStatus.CANCELLED),
    }
)
canonical_status = STATUSES.meaning
