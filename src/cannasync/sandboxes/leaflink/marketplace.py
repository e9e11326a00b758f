"""What buyers and sellers do in LeafLink's UI, which the sandbox's control routes stand for: a buyer places,
edits or cancels an order, the seller moves one, LeafLink combines orders. Each fires its webhooks like an API
write; errors are ``{"detail"}`` with 409 (a move the machine does not allow) or 422 (a bad body).

* ``POST orders`` ``{"company_id", "customer_id", "lines": [{"product_id", "quantity", "unit_price"?}],
  "status"?: "Submitted"|"Draft", "sales_rep_id"?, "payment_term_code"?, "notes"?}``: a buyer places an
  order (products must be the company's and Available or Backorder; ``unit_price`` defaults to the
  wholesale price; default status Submitted, payment term the customer's default) → 201.
* ``PATCH orders/{number}`` ``{"lines"?, "payment_term_code"?, "sales_rep_id"?, "notes"?}``: buyer or seller
  edits in LeafLink's UI. ``lines`` replaces the lines (a line for a product already on the order keeps
  its id), only while Draft, Submitted, Backorder or Accepted (409). ``sales_rep_id`` null removes the rep;
  ``payment_term_code`` null clears the payment option.
* ``POST orders/combine`` ``{"numbers": [...]}`` (two or more orders of one company and one customer, each
  Submitted, Backorder or Accepted, else 409) → the originals become Combined and a new Submitted order
  with all their lines (new line ids), ``is_combination`` true, the first order's reps and payment option
  → 201, the new order.
* ``POST orders/{number}/cancel``: the buyer cancels (Draft, Submitted, Backorder, Accepted; else 409).
* ``POST orders/{number}/status`` ``{"status"}``: the seller moves the order in the UI, e.g. to Backorder;
  only to a state in ``available_transitions`` (409; an unknown status 422).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from decimal import Decimal
from typing import Any

from cannasync.sandboxes.leaflink.catalog import TERMS_BY_CODE, order_number
from cannasync.sandboxes.leaflink.errors import ApiError, detail
from cannasync.sandboxes.leaflink.orders import Orders
from cannasync.sandboxes.leaflink.states import BUYER_CANCELLABLE, COMBINABLE, STATUSES
from cannasync.sandboxes.leaflink.store import Line
from cannasync.sandboxes.leaflink.values import read_decimal, read_integer

JSON = dict[str, Any]


class Marketplace(Orders):
    """The buyer's and the seller's actions outside the API (each fires its webhooks like an API write)."""

    def _buyer_lines(self, company_id: int, raw: object, keep: Sequence[Line] = ()) -> list[Line]:
        if not isinstance(raw, list) or not raw:
            raise detail(422, "lines must be a non-empty list")
        existing = {line.product_id: line for line in keep}
        lines: list[Line] = []
        for index, item in enumerate(raw, start=1):
            if not isinstance(item, dict):
                raise detail(422, f"lines[{index}] must be an object")
            try:
                product_id = read_integer(item.get("product_id"), "product_id")
                quantity = read_decimal(item.get("quantity"), "quantity", positive=True)
            except ApiError:
                raise detail(422, f"lines[{index}] needs a product_id and a quantity > 0") from None
            product = self._products.get(product_id)
            if product is None or product["company_id"] != company_id:
                raise detail(422, f"lines[{index}]: product {product_id} is not one of company {company_id}'s")
            if product["listing_state"] not in ("Available", "Backorder"):
                raise detail(422, f"lines[{index}]: product {product_id} is {product['listing_state']}")
            price = Decimal(product["wholesale_price"]["amount"])
            if item.get("unit_price") is not None:
                try:
                    price = read_decimal(item["unit_price"], "unit_price")
                except ApiError:
                    raise detail(422, f"lines[{index}].unit_price must be a number >= 0") from None
            if product_id in existing:
                kept = existing.pop(product_id)
                line = Line(**{**asdict(kept), "quantity": quantity, "ordered_unit_price": price})
            else:
                line = self._new_line(product_id, quantity, price)
            line.position = index
            lines.append(line)
        return lines

    def _control_term(self, body: JSON) -> tuple[bool, str | None]:
        if "payment_term_code" not in body:
            return False, None
        code = body["payment_term_code"]
        if code is not None and code not in TERMS_BY_CODE:
            raise detail(422, f"payment_term_code must be one of: {', '.join(TERMS_BY_CODE)}, or null")
        return True, code

    def _control_rep(self, company_id: int, body: JSON) -> tuple[bool, list[int]]:
        if "sales_rep_id" not in body:
            return False, []
        rep = body["sales_rep_id"]
        if rep is None:
            return True, []
        if self.staff.get(rep, {}).get("company") != company_id:
            raise detail(422, f"sales_rep_id {rep!r} is not a staff member of company {company_id}")
        return True, [rep]

    def buyer_order(self, body: JSON) -> JSON:
        """A buyer places an order (``POST /_sandbox/orders``)."""
        with self.lock:
            company_id = body.get("company_id")
            if company_id not in self.companies:
                raise detail(422, "company_id must name a seller company (1 or 2)")
            customer = self._customers.get(body.get("customer_id"))  # type: ignore[arg-type]
            if customer is None or customer["owner"] != company_id:
                raise detail(422, f"customer_id must be a customer of company {company_id}")
            status = body.get("status", "Submitted")
            if status not in ("Submitted", "Draft"):
                raise detail(422, "status must be Submitted or Draft")
            lines = self._buyer_lines(company_id, body.get("lines"))
            _, reps = self._control_rep(company_id, body)
            given, code = self._control_term(body)
            order = self._order_record(
                number=order_number(self._rng),
                company_id=company_id,
                customer_id=customer["id"],
                status=status,
                lines=lines,
                sales_rep_ids=reps,
                term_code=code if given else customer["default_term"],
                user=customer["email"],
                manual=False,
                created=self._tick(),
            )
            if body.get("notes") is not None:
                order["notes"] = str(body["notes"])
            self._store_order(order)
            self._reindex()
            return self._emit_order(order, "order.created")

    def edit_order(self, number: str, body: JSON) -> JSON:
        """Buyer or seller edits in LeafLink's UI (``PATCH /_sandbox/orders/{number}``)."""
        with self.lock:
            order = self._order(None, number)
            company_id = order["company_id"]
            changed = dict(order)
            if "lines" in body:
                self._editable(order, api=False)
                changed["lines"] = self._buyer_lines(company_id, body["lines"], order["lines"])
            given, code = self._control_term(body)
            if given:
                changed["term_code"] = code
            given_rep, reps = self._control_rep(company_id, body)
            if given_rep:
                changed["sales_rep_ids"] = reps
            if "notes" in body:
                changed["notes"] = None if body["notes"] is None else str(body["notes"])
            changed["modified"] = self._tick()
            changed["user"] = self._customers[order["customer_id"]]["email"]
            for line in order["lines"]:
                self._line_orders.pop(line.id, None)
            self._store_order(changed)
            self._reindex()
            return self._emit_order(changed)

    def buyer_cancel(self, number: str) -> JSON:
        with self.lock:
            order = self._order(None, number)
            if order["status"] not in BUYER_CANCELLABLE:
                raise detail(409, f"The buyer cannot cancel an order in status {order['status']}.")
            changed = {
                **order,
                "status": "Cancelled",
                "modified": self._tick(),
                "user": self._customers[order["customer_id"]]["email"],
            }
            self._store_order(changed)
            self._reindex()
            return self._emit_order(changed)

    def seller_move(self, number: str, status: object) -> JSON:
        with self.lock:
            order = self._order(None, number)
            if status not in STATUSES:
                raise detail(422, f"status must be one of: {', '.join(STATUSES)}")
            assert isinstance(status, str)
            if status == "Combined":
                raise detail(409, "Combine orders with POST /_sandbox/orders/combine.")
            return self._move(order, status, self._ui_user(order["company_id"]), api=False)

    def combine(self, numbers: object) -> JSON:
        # Seed 004 (Flourish's LeafLink overview): combined orders turn "Combined" and LeafLink creates a new
        # order in their place, which Flourish follows. The OpenAPI file's OrderResponse.is_combination marks it;
        # no field names the originals. A new order enters Orders Received as Submitted (LeafLink help, "Managing
        # Orders"), so the combination starts Submitted whatever the originals' statuses were.
        with self.lock:
            if not isinstance(numbers, list) or len(numbers) < 2 or not all(isinstance(n, str) for n in numbers):
                raise detail(422, "numbers must list two or more order numbers")
            if len({n.lower() for n in numbers}) != len(numbers):
                raise detail(422, "numbers must not repeat an order")
            orders = [self._order(None, n) for n in numbers]
            first = orders[0]
            if any(o["company_id"] != first["company_id"] or o["customer_id"] != first["customer_id"] for o in orders):
                raise detail(409, "Only orders of one seller and one customer can be combined.")
            for order in orders:
                if order["status"] not in COMBINABLE:
                    raise detail(409, f"Order {order['number']} is {order['status']}; it cannot be combined.")
            user = self._customers[first["customer_id"]]["email"]
            lines: list[Line] = []
            for order in orders:
                for line in order["lines"]:
                    copy = self._new_line(
                        line.product_id,
                        line.quantity,
                        line.ordered_unit_price,
                        line.sale_price,
                        notes=line.notes,
                        is_sample=line.is_sample,
                    )
                    copy.position = len(lines) + 1
                    lines.append(copy)
            combined = self._order_record(
                number=order_number(self._rng),
                company_id=first["company_id"],
                customer_id=first["customer_id"],
                status="Submitted",
                lines=lines,
                sales_rep_ids=first["sales_rep_ids"],
                term_code=first["term_code"],
                user=user,
                manual=False,
                created=self._tick(),
            )
            combined["is_combination"] = True
            for order in orders:
                changed = {**order, "status": "Combined", "modified": self._tick(), "user": user}
                self._store_order(changed)
            self._store_order(combined)
            self._reindex()
            for order in orders:
                self._emit_order(self._orders[order["number"]])
            return self._emit_order(combined, "order.created")
