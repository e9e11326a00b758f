"""The writable fields of an order (OrderCreate / OrderUpdate): discounts, taxes, shipping, payment terms,
sales reps, dates, notes and external ids (which fields each route takes: ``orders.py``; the payment-term
table and the options an order offers: ``records.py``).

* Set a payment term with ``selected_payment_option`` ``{"payment_method_id", "payment_term_id"}`` (must be an
  offered pair, else 400) or the deprecated ``payment_term`` (a term or code, case-insensitive; null clears).
"""

from __future__ import annotations

from typing import Any

from cannasync.sandboxes.leaflink.catalog import PAYMENT_TERMS
from cannasync.sandboxes.leaflink.errors import ApiError, invalid
from cannasync.sandboxes.leaflink.records import Records
from cannasync.sandboxes.leaflink.values import (
    read_boolean,
    read_date,
    read_decimal,
    read_external_ids,
    read_integer,
    read_money,
    read_string,
    read_time,
)

JSON = dict[str, Any]


class OrderFields(Records):
    """Validating an order body's fields onto a stored order (lock held)."""

    def _check_reps(self, company_id: int, raw: object) -> list[int]:
        if not isinstance(raw, list):
            raise invalid("sales_reps", "Expected a list of items.")
        reps: list[int] = []
        for item in raw:
            rep = read_integer(item.get("id") if isinstance(item, dict) else item, "sales_reps")
            if self.staff.get(rep, {}).get("company") != company_id:
                raise invalid("sales_reps", f'Invalid pk "{rep}" - object does not exist.')
            reps.append(rep)
        return reps

    def _term_from_body(self, company_id: int, body: JSON) -> tuple[bool, str | None]:
        """(given, term code) from ``selected_payment_option`` or the deprecated ``payment_term``."""
        if "selected_payment_option" in body:
            option = body["selected_payment_option"]
            if option is None:
                return True, None
            if not isinstance(option, dict):
                raise invalid("selected_payment_option", "Expected an object.")
            missing = [f for f in ("payment_method_id", "payment_term_id") if f not in option]
            if missing:
                raise ApiError(400, {"selected_payment_option": {f: ["This field is required."] for f in missing}})
            method_id = read_integer(option["payment_method_id"], "selected_payment_option.payment_method_id")
            term_id = read_integer(option["payment_term_id"], "selected_payment_option.payment_term_id")
            for term in PAYMENT_TERMS:
                if term.id == term_id and term.method_id == method_id:
                    return True, term.code
            raise invalid(
                "selected_payment_option",
                f"No available payment option with payment_method_id {method_id} and payment_term_id {term_id}.",
            )
        if "payment_term" in body:
            value = body["payment_term"]
            if value is None:
                return True, None
            if not isinstance(value, str):
                raise invalid("payment_term", "Not a valid string.")
            wanted = value.strip().lower()
            for term in PAYMENT_TERMS:
                if wanted in (term.term.lower(), term.code):
                    return True, term.code
            raise invalid("payment_term", f'"{value}" is not a valid payment term.')
        return False, None

    def _apply_order_fields(self, company_id: int, order: JSON, body: JSON) -> None:
        """The OrderUpdate fields (and the OrderCreate extras) of ``body`` onto ``order`` (lock held)."""
        for name in ("discount", "tax_amount"):
            if name in body:
                order[name] = read_decimal(body[name], name)
        for name in ("discount_type", "tax_type"):
            if name in body:
                if body[name] not in ("%", "$"):
                    raise invalid(name, f'"{body[name]}" is not a valid choice.')
                order[name] = body[name]
        if "shipping_charge" in body:
            order["shipping"] = read_money(body["shipping_charge"], "shipping_charge")
        given, code = self._term_from_body(company_id, body)
        if given:
            order["term_code"] = code
        for name in ("payment_due_date", "ship_date"):
            if name in body:
                order[name] = read_time(body[name], name)
        if "paid" in body:
            order["paid"] = read_boolean(body["paid"], "paid")
        if "paid_date" in body:
            order["paid_date"] = read_date(body["paid_date"], "paid_date")
        for name, limit in (("shipping_details", None), ("notes", 2000), ("internal_notes", 2000)):
            if name in body:
                order[name] = read_string(body[name], name, nullable=True, max_length=limit)
        if "external_id_seller" in body:
            value = read_string(body["external_id_seller"], "external_id_seller", nullable=True)
            order["external_id_seller"] = value or None
        if "delivery_preferences" in body:
            order["delivery_preferences"] = read_string(
                body["delivery_preferences"], "delivery_preferences", nullable=True
            )
        if "classification" in body:
            order["classification"] = read_string(body["classification"], "classification") or "Adult Use"
        if "delivery_provider" in body:
            value = body["delivery_provider"]
            order["delivery_provider"] = None if value is None else read_integer(value, "delivery_provider")
        if "delivery_info" in body:
            info = body["delivery_info"]
            if info is not None and not isinstance(info, dict):
                raise invalid("delivery_info", "Expected an object.")
            order["delivery_info"] = info
        if "external_ids" in body:
            order["external_ids"] = read_external_ids(body["external_ids"])
