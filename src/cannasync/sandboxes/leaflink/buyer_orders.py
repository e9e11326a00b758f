"""The retailer's side: ``/buyer/orders/`` (the lists in general: ``app.py``).

* ``/buyer/orders/`` (the filters of ``/orders-received/``, read on the same stored orders, plus ``seller``,
  ``seller__slug__iexact``/``company_slug`` (the seller's slug), ``classification``, ``user`` (containment),
  ``manual``; ``include_children=line_items``, ``fields_include``/``fields_exclude``): "retailers only get ``GET
  /buyer/orders/``" (vendor-apis.md §4, from /legacy/v2/retailers/api/). A retailer's key (default
  ``ll-key-retailer-5005``, Good Vibrations Dispensary, buyer 5005) sees the orders it placed with every
  seller, as ``BuyerOrderResponse``; a brand's key sees the orders its company placed as a buyer (none in
  the sandbox: an empty page). A retailer's key on any brand-side route is a 403 (DRF's "You do not have
  permission to perform this action.").
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cannasync.sandboxes.leaflink.catalog import CATEGORIES, PAYMENT_METHODS, TERMS_BY_CODE
from cannasync.sandboxes.leaflink.directory import COMPANY_ADDRESSES
from cannasync.sandboxes.leaflink.filters import SLUG_FILTERS, Check, includes_lines, int_set, key_company, shaper
from cannasync.sandboxes.leaflink.gateway import API
from cannasync.sandboxes.leaflink.orders import order_filter
from cannasync.sandboxes.leaflink.paging import page
from cannasync.sandboxes.leaflink.sandbox import LeafLinkSandbox
from cannasync.sandboxes.leaflink.values import stamp

JSON = dict[str, Any]


class _BuyerOrders:
    def __init__(self, sandbox: LeafLinkSandbox) -> None:
        self.sandbox = sandbox

    def buyer_orders(self, buyer_id: int, *, lines: bool, keep: Check) -> list[JSON]:
        records: list[JSON] = []
        with self.sandbox.lock:
            for order in self.sandbox._newest_first(
                lambda o: self.sandbox._customers[o["customer_id"]]["partner"] == buyer_id and keep(o)
            ):
                customer = self.sandbox._customers[order["customer_id"]]
                company = self.sandbox.companies[order["company_id"]]
                address, city, state, zipcode = COMPANY_ADDRESSES.get(company["id"], ("", "", "MI", ""))
                tax, total = self.sandbox._totals(order)
                subtotal = sum((line.quantity * line.price for line in order["lines"]), Decimal(0))
                term = TERMS_BY_CODE.get(order["term_code"]) if order["term_code"] else None
                licence = company["license"]
                record: JSON = {
                    "id": order["number"],
                    "short_id": order["number"][-8:],
                    "status": order["status"],
                    "type": "received",
                    "buyer": {
                        "id": str(buyer_id),
                        "name": customer["name"],
                        "address": customer["address"],
                        "unit_number": "",
                        "city": customer["city"],
                        "state": customer["state"],
                        "zip": customer["zipcode"],
                        "email": customer["email"],
                        "phone": customer["phone"],
                        "licenses": [
                            {
                                "id": str(buyer_id),
                                "number": customer["license_number"],
                                "type": "Adult Use",
                                "classification": "Retailer",
                            }
                        ],
                    },
                    "seller": {
                        "id": str(company["id"]),
                        "name": company["name"],
                        "address": address,
                        "unit_number": "",
                        "city": city,
                        "state": state,
                        "zip": zipcode,
                        "phone": "",
                        "licenses": [
                            {
                                "id": str(licence["id"]),
                                "number": licence["number"],
                                "type": licence["display_type"],
                                "classification": licence["classification"],
                            }
                        ],
                    },
                    "source": "api" if order["manual"] else "marketplace",
                    "created_on": stamp(order["created_on"]),
                    "last_edited_on": stamp(order["modified"]),
                    "currency": "USD",
                    "subtotal": float(subtotal),
                    "shipping_charge": float(order["shipping"]),
                    "discount": float(order["discount"]),
                    "tax": float(tax),
                    "total": float(total),
                    "payable_to": {
                        "name": company["name"],
                        "address": address,
                        "city": city,
                        "state": state,
                        "zip": zipcode,
                    },
                    "payment_term": term.term if term else "",
                    "payment_methods": [PAYMENT_METHODS[term.method_id]] if term else [],
                    "shipping_details": order["shipping_details"] or "",
                    "is_delivered": order["status"] == "Complete",
                    "notes": order["notes"] or "",
                    "sales_reps": [
                        str(self.sandbox.staff[sid]["display_name"])
                        for sid in order["sales_rep_ids"]
                        if sid in self.sandbox.staff
                    ],
                    "delivery_address": {
                        "address": customer["address"],
                        "unit_number": "",
                        "city": customer["city"],
                        "state": customer["state"],
                        "zipcode": customer["zipcode"],
                    },
                }
                # Dates the order does not have yet are left out rather than null: the schema does not allow null.
                if order["payment_due_date"]:
                    record["payment_due_date"] = order["payment_due_date"].date().isoformat()
                if order["ship_date"]:
                    record["ship_date"] = stamp(order["ship_date"])
                if lines:
                    record["line_items"] = [self._buyer_line(line) for line in order["lines"]]
                records.append(record)
        return records

    def _buyer_line(self, line: Any) -> JSON:
        product = self.sandbox._products.get(line.product_id)
        if product is None:
            return {
                "quantity": int(line.quantity),
                "price": float(line.price),
                "total": float(line.quantity * line.price),
                "sold_by": "",
            }
        brand = self.sandbox.brands.get(product["brand"], {})
        category = next(
            (
                {"id": cid, "name": name, "slug": name.lower(), "description": f"{name} products."}
                for name, (cid, *_rest) in CATEGORIES.items()
                if cid == product["category"]
            ),
            None,
        )
        item: JSON = {
            "product": {
                "id": str(product["id"]),
                "sku": product["sku"],
                "name": product["name"],
                "brand": {"id": str(product["brand"]), "name": str(brand.get("name", ""))},
                "unit_of_measure": product["unit_of_measure"],
                "unit_denomination": "1",
                "base_unit_of_measure": product["unit_of_measure"],
                "base_units_per_unit": 1,
                "sold_in_multiples": product["unit_multiplier"] > 1,
                "units_per_case": int(product["unit_multiplier"]),
            },
            "quantity": int(line.quantity),
            "sold_by": "Case" if product["unit_multiplier"] > 1 else "Unit",
            "price": float(line.price),
            "total": float(line.quantity * line.price),
        }
        if category is not None:
            item["product"]["category"] = category
        return item

    # -- endpoints -----------------------------------------------------------------------------------

    async def buyer_orders_list(self, request: Request) -> Response:
        # The buyer's filters are the seller's (``/orders-received/``) read from the other side: the same
        # hand-written filter runs on the stored orders, plus ``seller`` and the seller's slug.
        keep = order_filter(request, self.sandbox)
        sellers = int_set(request, "seller")
        slugs = {request.query_params[name].lower() for name in SLUG_FILTERS if request.query_params.get(name)}
        flags = {name: request.query_params.get(name) for name in ("classification", "user", "manual")}

        def wanted(order: JSON) -> bool:
            seller = self.sandbox.companies[order["company_id"]]
            return (
                keep(order)
                and (sellers is None or order["company_id"] in sellers)
                and all(slug == seller["slug"] for slug in slugs)
                and (not flags["classification"] or order["classification"].lower() == flags["classification"].lower())
                and (not flags["user"] or flags["user"].lower() in order["user"].lower())
                and (not flags["manual"] or order["manual"] == (flags["manual"].lower() in ("true", "1")))
            )

        records = self.buyer_orders(key_company(request), lines=includes_lines(request), keep=wanted)
        return page(request, records, shape=shaper(request))


def routes(sandbox: LeafLinkSandbox) -> list[Route]:
    return [Route(f"{API}/buyer/orders/", _BuyerOrders(sandbox).buyer_orders_list, methods=["GET"])]
