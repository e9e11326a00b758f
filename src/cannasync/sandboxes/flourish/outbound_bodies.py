"""Outbound order bodies as Flourish's own B2B plugin writes them.

What the vendor's client sends
------------------------------
Flourish's WooCommerce B2B plugin (``flourishsoftware/flourish-woocommerce-b2b``,
``src/Handlers/HandlerOrdersSyncNow.php`` ``handle_order_outbound`` and ``sync_products_with_flourish``,
``src/Handlers/HandlerOrdersOutbound.php`` ``create_destination_object``, ``get_order_lines``,
``get_customer_notes`` and ``validate_facility_config``) creates an outbound order with
``POST /outbound-orders`` and edits it with ``PUT /outbound-orders/{id}``, both with the same body:

* ``original_order_id`` (string), ``order_timestamp`` (``Y-m-d\\TH:i:s.v\\Z``);
* ``order_lines``: ``[{"sku", "order_qty", "unit_price", "discount_price"}]``: lines name the item by
  **SKU alone** (no ``item_id``); ``discount_price`` is the line's whole discount (the per-unit discount
  times the quantity). An older plugin version (fork ``Arunasalamganesan/flourish-woocommerce``) sent
  ``{"sku", "order_qty"}`` only, so ``unit_price`` may be absent;
* ``destination``: the buyer's details: ``{"type": "Dispensary", "name", "company_email",
  "company_phone_number", "address_line_1", "address_line_2", "city", "state", "zip_code", "country",
  "license_number", "billing": {address_line_1 … country}, "external_id"}``. The first plugin
  (``flourishsoftware/flourish-woocommerce``, ``HandlerOrdersOutbound.php``) looked the destination up with
  ``GET /destinations?license_number=`` and added its ``id`` to the object when found; the B2B plugin has
  that lookup commented out and sends the details alone, leaving the match to Flourish;
* ``notes``: a list of ``{"subject", "note", "internal_only"}`` (empty when the shopper wrote none);
* ``sales_rep``: ``{"id"}``, sent when the facility's ``sales_rep_required_for_outbound`` is true (read
  from ``GET /facilities/{id}``) or a rep was chosen;
* on a PUT of a still-``Created`` order: ``order_status: "Shipped"`` when WooCommerce marks it complete
  (``sync_products_with_flourish``), ``order_status: "Cancelled"`` when it is cancelled or trashed there
  (``HandlerOrdersCancel.php``: ``{original_order_id, destination, order_timestamp, order_status}``).

The earlier shape this sandbox served (``destination_id``, ``sales_rep_id``, lines with ``item_id``,
``notes`` as a string) is no client's we have found; it is still accepted so that old callers and tests
keep working, and the connector no longer sends it.

Choices where the plugin is silent
----------------------------------
32. A ``destination`` object with an ``id`` names that destination (an unknown id is a 422); without
    one it is matched to an existing destination by ``license_number`` (case-insensitive, as the
    plugin's own lookup), else a new destination is made from it (``name`` required).
    ``destination`` wins over ``destination_id`` when both are sent.
33. A line may name ``item_id``, ``sku`` or both (then they must agree); an unknown SKU is a 422. Without
    ``unit_price`` the item's ``wholesale_price`` (else ``retail_price``, else ``price``) is used. ``line_total`` =
    qty × price − ``discount_price`` (never below 0).
34. ``order_status: "Shipped"`` or ``"Cancelled"`` in a PUT of a Created or Partially Allocated order
    ships or cancels it, as the plugin expects, although the public notes say statuses change only in
    Flourish (the same conflict as the retail plugin's cancel; see ``orders.py``). Any other status
    change in a PUT is a 422.
"""

from __future__ import annotations

from dataclasses import dataclass

from cannasync.sandboxes._kit.values import number
from cannasync.sandboxes.flourish.order_bodies import line_objects
from cannasync.sandboxes.flourish.wire import JSON, ApiError, id_value, optional_id, optional_str

#: The statuses a PUT may move a still-editable order to (choice 34).
PUT_MOVES = frozenset({"Shipped", "Cancelled"})

#: The address keys of the plugin's destination object (``zip_code``, not retail's ``postcode``).
DESTINATION_ADDRESS_KEYS: tuple[str, ...] = ("address_line_1", "address_line_2", "city", "state", "zip_code", "country")


@dataclass(frozen=True)
class OutboundLine:
    item_id: str | None
    sku: str | None
    order_qty: int | float
    unit_price: int | float | None
    discount_price: int | float


def parse_outbound_lines(raw: object) -> list[OutboundLine]:
    lines = []
    for where, line, qty in line_objects(raw):
        price = line.get("unit_price")
        if price is not None and (number(price) is None or price < 0):
            raise ApiError(422, f"{where}.unit_price must be a number >= 0")
        discount = line.get("discount_price")
        discount = 0 if discount is None else discount
        if number(discount) is None or discount < 0:
            raise ApiError(422, f"{where}.discount_price must be a number >= 0")
        sku = line.get("sku")
        if sku is not None and (not isinstance(sku, str) or not sku.strip()):
            raise ApiError(422, f"{where}.sku must be a non-empty string")
        item_id = optional_id(line, "item_id")
        if item_id is None and sku is None:
            raise ApiError(422, f"{where} must name its item by sku (or item_id)")
        lines.append(OutboundLine(item_id, sku.strip() if sku else None, qty, price, discount))
    return lines


def parse_destination_details(raw: object) -> JSON:
    """The plugin's ``destination`` object: ``{"id"}`` when it names one, else destination fields."""
    if not isinstance(raw, dict):
        raise ApiError(422, "destination must be an object")
    if raw.get("id") is not None:
        return {"id": id_value(raw["id"], "destination.id")}
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ApiError(422, "destination.name is required")
    texts: JSON = {}
    for key in ("type", "license_number", "company_email", "company_phone_number", *DESTINATION_ADDRESS_KEYS):
        value = raw.get(key)
        if value is not None and not isinstance(value, str):
            raise ApiError(422, f"destination.{key} must be a string")
        texts[key] = value.strip() if isinstance(value, str) else None
    external_id = raw.get("external_id")
    return {
        "name": name.strip(),
        "type": texts["type"],
        "license_number": texts["license_number"] or None,
        "email": texts["company_email"],
        "phone": texts["company_phone_number"],
        "address": {
            **{key: texts[key] for key in DESTINATION_ADDRESS_KEYS if key != "zip_code"},
            "postcode": texts["zip_code"],
        },
        "external_id": None if external_id in (None, "") else id_value(external_id, "destination.external_id"),
    }


def parse_notes(body: JSON) -> str | list[JSON] | None:
    """``notes``: the plugin's list of ``{subject, note, internal_only}``, or a plain string."""
    raw = body.get("notes")
    if raw is None or isinstance(raw, str):
        return raw
    if not isinstance(raw, list):
        raise ApiError(422, "notes must be a list of {subject, note, internal_only} (or a string)")
    notes = []
    for index, entry in enumerate(raw):
        where = f"notes[{index}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("note"), str):
            raise ApiError(422, f"{where}.note is required (string)")
        subject = optional_str(entry, "subject")
        internal = entry.get("internal_only", False)
        if not isinstance(internal, bool):
            raise ApiError(422, f"{where}.internal_only must be true or false")
        notes.append({"subject": subject, "note": entry["note"], "internal_only": internal})
    return notes


def parse_sales_rep(body: JSON) -> tuple[bool, str | None]:
    """Whether the body names a sales rep, and which: the plugin's ``sales_rep: {id}`` or ``sales_rep_id``."""
    if "sales_rep" in body:
        rep = body["sales_rep"]
        if rep is None:
            return True, None
        if not isinstance(rep, dict):
            raise ApiError(422, "sales_rep must be an object {id}")
        return True, id_value(rep.get("id"), "sales_rep.id")
    if "sales_rep_id" in body:
        return True, optional_id(body, "sales_rep_id")
    return False, None
