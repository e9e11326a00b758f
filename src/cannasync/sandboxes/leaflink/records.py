"""The wire form of the stored records: products, line items, orders (with totals and payment options) and
customers, as LeafLink's response schemas have them.

Orders
------
* Fields: every OrderResponse field, plus ``available_payment_options`` (in LeafLink's example, not in
  the schema). ``number`` is a UUID, ``short_id`` its last 8 hex digits; ``order_number``,
  ``order_short_number``, ``order_seller_number`` (``external_id_seller`` or ``short_id``) and
  ``order_buyer_number`` follow. ``status`` is capitalised (``"Accepted"``); ``available_transitions``
  lists lower-case target states (``["fulfilled", "rejected"]``). ``customer`` is ``{"id",
  "display_name" (nickname, else name), "ext_acct_id", "delinquent"}``; ``sales_reps`` ``[{"id"
  (company-staff id), "user" (display name)}]``; ``brand`` the brand of every line when they share one,
  else null; ``facility_id`` the seller's LeafLink facility (7001, 7002); ``user`` the username of the last
  editor: ``<company slug>.api`` for writes through the API (so a client can recognise its own writes), the
  buyer's e-mail for buyer actions, a staff username for seller actions in the UI.
* Totals: a line's price is its ``sale_price`` when above 0, else ``ordered_unit_price``; subtotal = Σ
  quantity × price; ``discount`` is a percentage of the subtotal (``discount_type`` ``%``) or dollars
  (``$``); ``tax_amount`` likewise on what remains; ``total`` = subtotal - discount + tax +
  ``shipping_charge``; ``final_tax`` the tax; ``payment_balance`` the total, or ``"0.00"`` once ``paid``.
* Payment terms (``payment_term {id, term, days, code}``; ids and codes from the legacy table in the
  OpenAPI file): 20 COD (cod), 12 Consignment (consign), 8 Net 3, 2 Net 7, 5 Net 10, 9 Net 14, 3 Net 15,
  6 Net 20, 4 Net 30, 7 Net 60, 14 Net 90 (net3 … net90), 10 Pre-Payment (prepay), and 21 "LeafLink
  Financial" (llf), a LeafLink-internal term the Flourish integration does not support. Every order offers
  all thirteen as ``available_payment_options`` (one method each: COD → Cash, Consignment → Check,
  Pre-Payment → Wire Transfer, the rest ACH; option id = company × 1000 + term id; ``is_default`` on the
  customer's default term). ``selected_payment_option`` is one of them or null; ``payment_term`` is its
  term (``"Net 15"``) or null; ``payment_methods`` its method name in a list. Set it with
  ``selected_payment_option`` ``{"payment_method_id", "payment_term_id"}`` (must be an offered pair,
  else 400) or the deprecated ``payment_term`` (a term or code, case-insensitive; null clears).

Choices where LeafLink's public material is silent
--------------------------------------------------
Each is a guess kept easy to change (numbered across the sandbox; the others are beside the code they govern).

6. Customers' and products' fields that the schema neither marks nullable nor shows null in an example
   always have a value (ids 1 for ``tier``, ``price_schedule``, ``service_zone``, ``status``; 2 for
   ``license_type``; ``""`` for empty strings); ``sell_in_unit_of_measure`` is ``"Case"`` on every product
   (the only value the schema allows). Fields LeafLink's examples show as null are null.
7. Fields the schema types as strings are served as strings even where LeafLink's example shows numbers
   (money amounts, ``payment_balance``, ``available_inventory``, ``children_count``, ``image_count``,
   ``inventory_management``, ``price_schedule_price``, ``has_deals_eligible_children``), except
   ``available_transitions`` (a list) and ``is_combination`` (a boolean), where the example and the docs
   agree against the schema.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

from cannasync.sandboxes.leaflink.catalog import (
    PAYMENT_METHODS,
    PAYMENT_TERMS,
    STRAIN_CLASSIFICATIONS,
    TERMS_BY_CODE,
    PaymentTerm,
    money,
    quantity_text,
)
from cannasync.sandboxes.leaflink.errors import not_found
from cannasync.sandboxes.leaflink.states import TRANSITIONS
from cannasync.sandboxes.leaflink.store import Line, Store
from cannasync.sandboxes.leaflink.values import ZERO, cents, stamp

JSON = dict[str, Any]


class Records(Store):
    """Serialising stored records (lock held), finding them by id for a key's company, and the order webhook."""

    def _product(self, company_id: int | None, product_id: int) -> JSON:
        product = self._products.get(product_id)
        if product is None or (company_id is not None and product["company_id"] != company_id):
            raise not_found()
        return product

    def _order(self, company_id: int | None, number: str) -> JSON:
        order = self._orders.get(number.lower())
        if order is None or (company_id is not None and order["company_id"] != company_id):
            raise not_found()
        return order

    def _newest_first(self, keep: Callable[[JSON], bool]) -> list[JSON]:
        """Stored orders (raw records) that ``keep`` accepts, newest first; call with the lock held."""
        chosen = [order for order in self._orders.values() if keep(order)]
        chosen.sort(key=lambda o: (o["created_on"], o["number"]), reverse=True)
        return chosen

    def _emit_order(self, order: JSON, event: str = "order.updated") -> JSON:
        record = self._order_json(order, lines=True)
        self._emit(order["company_id"], event, record)
        return record

    def _option(self, company_id: int, term: PaymentTerm, default_code: str | None) -> JSON:
        return {
            "id": company_id * 1000 + term.id,
            "is_default": term.code == default_code,
            "payment_program": None,
            "payment_strategy": None,
            "payment_method": {"id": term.method_id, "method": PAYMENT_METHODS[term.method_id]},
            "payment_term": term.record(),
        }

    def _product_json(self, product: JSON, *, update_response: bool = False) -> JSON:
        company = self.companies[product["company_id"]]
        quantity: Decimal = product["quantity"]
        reserved = self._reserved.get(product["id"], ZERO)
        record: JSON = {
            "id": product["id"],
            "created_on": stamp(product["created_on"]),
            "last_edit": stamp(product["last_edit"]),
            "drop_date": None,
            "dropped": None,
            "name": product["name"],
            "sku": product["sku"],
            "description": product["description"],
            "quantity": quantity_text(quantity),
            "reserved_qty": quantity_text(reserved),
            "display_name": product["name"],
            "unit_multiplier": product["unit_multiplier"],
            "retail_price": dict(product["retail_price"]),
            "wholesale_price": dict(product["wholesale_price"]),
            "sale_price": dict(product["sale_price"]),
            "minimum_order": product["minimum_order"],
            "maximum_order": product["maximum_order"],
            "is_medical_line_item": product["is_medical_line_item"],
            "AVAILABLE_FOR_SAMPLES": product["AVAILABLE_FOR_SAMPLES"],
            "extern_acct_id": None,
            "extern_income_acct_id": "",
            "featured": product["featured"],
            "tagline": product["tagline"],
            "featured_on_deals": False,
            "allow_fractional_quantities": product["allow_fractional_quantities"],
            "parent": None,
            "listing_state": product["listing_state"],
            "display_listing_state": product["listing_state"],
            "inventory_management": product["inventory_management"],
            "unit_of_measure": product["unit_of_measure"],
            "sell_in_unit_of_measure": "Case",
            "unit_denomination": {"id": 1, "value": "1.00000", "name": "One", "label": "1"},
            "category": product["category"],
            "grow_type": None,
            "seller": company["id"],
            "seller_internal_id": "",
            "brand": product["brand"],
            "product_line": product["product_line"],
            "manufacturer": company["id"],
            "strain_classification": product["strain_classification"],
            "license": dict(company["license"]),
            "available_inventory": quantity_text(quantity - reserved),
            "children_count": "0",
            "strains": [],
            "price_schedule_price": product["wholesale_price"]["amount"],
            "image_count": "0",
            "is_ancillary": False,
            "s2s_conversion_amount": "1.0000",
            "extern_sts_ids": None,
            "strain_classification_display": STRAIN_CLASSIFICATIONS[product["strain_classification"]],
            "modified": stamp(product["modified"]),
            "sub_category": product["sub_category"],
            "has_deals_eligible_children": "false",
            "discount_percent": 0,
            "base_units_per_unit": None,
            "external_ids": dict(product["external_ids"]),
            "threshold_value": 0,
            "threshold_action": "default",
            "reverse_threshold_value": 0,
            "reverse_threshold_action": "default",
            "show_quantity": product["show_quantity"],
        }
        if not update_response:
            record["product_data_items"] = [dict(item) for item in product["product_data_items"]]
        return record

    def _line_json(self, line: Line, order: JSON) -> JSON:
        product = self._products.get(line.product_id)
        multiplier = product["unit_multiplier"] if product else 1
        wholesale = product["wholesale_price"]["amount"] if product else None
        return {
            "id": line.id,
            "ordered_unit_price": money(line.ordered_unit_price),
            "quantity": quantity_text(line.quantity),
            "order": order["number"],
            "product": str(line.product_id),
            "notes": line.notes,
            "is_sample": line.is_sample,
            "sale_price": money(line.sale_price),
            "unit_multiplier": multiplier,
            "is_medical_line_item": False,
            "is_packed": line.is_packed,
            "packed_at": stamp(line.packed_at) if line.packed_at else None,
            "packed_by": line.packed_by,
            "unit_of_measure": product["unit_of_measure"] if product else "Unit",
            "position": line.position,
            "bulk_units": int(line.quantity // multiplier) if multiplier else 0,
            "on_sale": line.sale_price > 0,
            "is_backorder": order["status"] == "Backorder",
            "order_id": order["number"],
            "batch": line.batch,
            "package_tags": "",
            "frozen_data": {},
            "wholesale_price": wholesale,
        }

    def _totals(self, order: JSON) -> tuple[Decimal, Decimal]:
        """(tax, total) of an order, in cents."""
        subtotal = sum((line.quantity * line.price for line in order["lines"]), ZERO)
        discount = order["discount"]
        discount_value = subtotal * discount / 100 if order["discount_type"] == "%" else discount
        taxable = max(subtotal - discount_value, ZERO)
        tax = taxable * order["tax_amount"] / 100 if order["tax_type"] == "%" else order["tax_amount"]
        return cents(tax), cents(taxable + tax + order["shipping"])

    def _order_json(self, order: JSON, *, lines: bool) -> JSON:
        company = self.companies[order["company_id"]]
        customer = self._customers[order["customer_id"]]
        tax, total = self._totals(order)
        term = TERMS_BY_CODE.get(order["term_code"]) if order["term_code"] else None
        options = [self._option(company["id"], t, customer["default_term"]) for t in PAYMENT_TERMS]
        selected = self._option(company["id"], term, customer["default_term"]) if term else None
        brands = {
            self._products[line.product_id]["brand"] for line in order["lines"] if line.product_id in self._products
        }
        address = {
            "address": customer["address"],
            "city": customer["city"],
            "state": customer["state"],
            "unit_number": "",
            "zipcode": customer["zipcode"],
        }
        record: JSON = {
            "number": order["number"],
            "short_id": order["number"][-8:],
            "external_id_seller": order["external_id_seller"],
            "external_id_buyer": order["external_id_buyer"],
            "ext_acct_id": order["ext_acct_id"],
            "created_on": stamp(order["created_on"]),
            "user": order["user"],
            "buyer": customer["partner"],
            "seller": company["id"],
            "customer": self._light_customer(customer),
            "brand": brands.pop() if len(brands) == 1 else None,
            "status": order["status"],
            "manual": order["manual"],
            "discount": float(order["discount"]),
            "discount_type": order["discount_type"],
            "tax_amount": float(order["tax_amount"]),
            "tax_type": order["tax_type"],
            "final_tax": str(tax),
            "shipping_charge": money(order["shipping"]),
            "total": money(total),
            "payment_term": term.term if term else None,
            "payment_methods": [PAYMENT_METHODS[term.method_id]] if term else [],
            "available_payment_options": options,
            "selected_payment_option": selected,
            "payment_due_date": stamp(order["payment_due_date"]) if order["payment_due_date"] else None,
            "paid": order["paid"],
            "paid_date": order["paid_date"],
            "ship_date": stamp(order["ship_date"]) if order["ship_date"] else None,
            "shipping_details": order["shipping_details"],
            "notes": order["notes"],
            "internal_notes": order["internal_notes"],
            "delivery_preferences": order["delivery_preferences"],
            "sales_reps": [
                {"id": sid, "user": self.staff[sid]["display_name"]}
                for sid in order["sales_rep_ids"]
                if sid in self.staff
            ],
            "classification": order["classification"],
            "payment_balance": "0.00" if order["paid"] else str(total),
            "available_transitions": list(TRANSITIONS[order["status"]]),
            "modified": stamp(order["modified"]),
            "has_special_requests": bool(order["delivery_preferences"]),
            "delivery_provider": order["delivery_provider"],
            "order_taxes": [],
            "delivery_info": order["delivery_info"],
            "is_combination": order["is_combination"],
            "llf_payment_method": term is not None and term.code == "llf",
            "credits": "0.00",
            "facility_id": company["facility_id"],
            "order_number": order["number"],
            "order_seller_number": order["external_id_seller"] or order["number"][-8:],
            "order_buyer_number": order["external_id_buyer"] or order["number"][-8:],
            "order_short_number": order["number"][-8:],
            "distributor": "",
            "external_ids": dict(order["external_ids"]),
            "corporate_address": dict(address),
            "delivery_address": dict(address),
        }
        if lines:
            record["line_items"] = [self._line_json(line, order) for line in order["lines"]]
        return record

    def _light_customer(self, customer: JSON) -> JSON:
        return {
            "id": customer["id"],
            "display_name": customer["nickname"] or customer["name"],
            "ext_acct_id": None,
            "delinquent": customer["delinquent"],
        }

    def _customer_json(self, customer: JSON) -> JSON:
        owner = customer["owner"]
        term = TERMS_BY_CODE[customer["default_term"]]
        address = {
            "address": customer["address"],
            "unit_number": "",
            "city": customer["city"],
            "county": "",
            "state": customer["state"],
            "zipcode": customer["zipcode"],
        }
        domain = customer["email"].partition("@")[2] or "example.com"
        partner = customer["partner"]
        return {
            "id": customer["id"],
            "state": customer["state"],
            "managers": list(customer["managers"]),
            "created_on": stamp(customer["created_on"]),
            "modified": stamp(customer["modified"]),
            "next_contact_date": (customer["modified"] + timedelta(days=30)).date().isoformat(),
            "nickname": customer["nickname"],
            "external_id": "",
            "ext_acct_id": "",
            "license_number": customer["license_number"],
            "old_license_number": None,
            "license_inactive": False,
            "business_identifier": "",
            "ein": f"38-{(partner * 7919) % 10_000_000:07d}",
            "directions": "",
            "delivery_preferences": "",
            "currency": "USD",
            "shipping_charge": "0.00",
            "brand": "",
            "name": customer["name"],
            "dba": customer["nickname"] or customer["name"],
            "business_license_name": customer["name"],
            "description": "",
            "website": f"https://{domain}",
            "address": customer["address"],
            "unit_number": "",
            "zipcode": customer["zipcode"],
            "city": customer["city"],
            "county": "",
            "country": "US",
            "lat": f"{42 + (partner % 97) / 100:.6f}",
            "long": f"{-84 - (partner % 89) / 100:.6f}",
            "phone": customer["phone"],
            "phone_extension": "",
            "email": customer["email"],
            "notes": "",
            "leaflink_last_views": stamp(customer["modified"]),
            "leaflink_source": False,
            "archived": False,
            "delinquent": customer["delinquent"],
            "discount_percent": "0.00",
            "owner": owner,
            "partner": partner,
            "tier": 1,
            "price_schedule": 1,
            "service_zone": 1,
            "license_type": 2,
            "payment_term": term.id,
            "payment_methods": [term.method_id],
            "available_payment_options": [self._option(owner, t, customer["default_term"]) for t in PAYMENT_TERMS],
            "status": 1,
            "external_ids": {},
            "corporate_address": dict(address),
            "delivery_address": dict(address),
        }
