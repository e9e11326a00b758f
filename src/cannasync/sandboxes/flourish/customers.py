"""Retail customers (company-scoped).

* Customers are company-scoped: list (with ``last_updated_timestamp_start``/``_end``), get, create and
  ``PUT /customers/{id}/``.

Loyalty data: customers, sales history, retail discounts
--------------------------------------------------------
What a loyalty platform pulls from Flourish (cannasync issue 5):

* Every customer carries ``facility_id``: the facility where it was created (where the shopper shops).
  Seeded customers are spread over the facilities, about one in eight with ``null``; about one in eight
  lives in Ohio (``state`` ``"OH"``, the rest ``"MI"``).
* ``GET /customers/`` takes ``last_updated_timestamp_start``/``_end`` and ``order_by``; with
  ``order_by=last_updated_timestamp`` a client can pull incrementally.
* ``PUT /customers/{id}/`` updates the fields it is given and bumps ``last_updated_timestamp``; it
  answers ``{"data": customer}``.

Choices where Flourish's public notes are silent
------------------------------------------------
Each is a guess kept easy to change; none is confirmed by Flourish.

6. Customers: ``first_name`` and ``last_name`` are required on create as well as ``dob`` (422 naming the
   field); ``medical_card_expiration`` must be YYYY-MM-DD when given. Filters ``first_name``,
   ``last_name``, ``email``, ``patient_id`` and ``state`` compare case-insensitively and exactly;
   ``phone_number`` compares digits only, ignoring a leading US country code ``1``. Creating a customer
   never checks for duplicates.
13. Customers' ``facility_id`` is our name for "where the customer was created / shops" (Flourish's
    field, if any, is not public). ``POST /customers/`` is company-scoped and stores ``facility_id``
    null, or the facility of a ``FacilityID`` header if one is sent (unknown → 404). Through the API
    ``facility_id`` is read-only; only the staff-edit control route changes it.
14. ``GET /customers/``: ``last_updated_timestamp_start``/``_end`` are inclusive, parsed like the item
    filters (a date alone is midnight UTC, a bad value a 400). ``order_by`` is ``id`` (the default:
    ascending numeric id) or ``last_updated_timestamp`` (ascending, ties by id); anything else is a 400.
    Paging (``offset``/``limit``/``meta.next``) applies after ordering; ``meta.next`` keeps ``order_by``.
15. ``PUT /customers/{id}/`` is a partial update: fields absent from the body are kept. It takes
    ``first_name``, ``last_name`` (non-empty strings), ``dob`` (YYYY-MM-DD; null or malformed → 422
    ``dob must be YYYY-MM-DD``), ``email``, ``phone``, ``patient_id``, ``state``, ``medical_card_state``
    (strings or null), ``medical_card_expiration`` (YYYY-MM-DD or null), ``is_verified``, ``is_active``
    (booleans), ``available_credit`` (number >= 0) and ``address`` (a list of objects); other keys are
    ignored. ``state`` is stored as sent (not checked to be two letters, like create). Every successful
    PUT bumps ``last_updated_timestamp`` (by at least 1 ms), even one that changes nothing, as a save in
    the POS would; so a client that writes a customer sees its own write come back in an incremental
    pull and must recognise it. An unknown id is a 404 before the body is looked at.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cannasync.sandboxes._kit.values import digits, iso_ms, now, number
from cannasync.sandboxes.flourish.base import StateBase
from cannasync.sandboxes.flourish.wire import (
    JSON,
    V1,
    ApiError,
    all_of,
    equals_ci,
    json_object,
    numeric_key,
    one,
    optional_str,
    page_response,
    paging,
    sandbox_of,
    stamp_after,
    time_param,
    valid_date,
    window,
)


class CustomersMixin(StateBase):
    """The retail customers, by id."""

    def customers(self) -> list[JSON]:
        with self.lock:
            return list(self._customers.values())

    def list_customers(
        self, predicate: Callable[[JSON], bool] | None, offset: int, limit: int, order_by: str = "id"
    ) -> tuple[list[JSON], bool]:
        with self.lock:
            records: Iterable[JSON] = self._customers.values()
            if order_by == "last_updated_timestamp":
                records = sorted(records, key=lambda c: (c["last_updated_timestamp"], numeric_key(c["id"])))
            return window(records, predicate, offset, limit)

    def get_customer(self, customer_id: str) -> JSON:
        with self.lock:
            customer = self._customers.get(customer_id)
            if customer is None:
                raise ApiError(404, f"Customer {customer_id} not found")
            return customer

    def create_customer(self, fields: JSON, facility_id: str | None = None) -> JSON:
        """A new customer; ``facility_id`` is where it was created (null through the company-wide API)."""
        with self.lock:
            if facility_id is not None and facility_id not in self.facilities:
                raise ApiError(404, f"Facility {facility_id} not found")
            customer_id = str(self._next_customer)
            self._next_customer += 1
            stamp = iso_ms(now())
            customer = {
                "id": customer_id,
                **fields,
                "facility_id": facility_id,
                "created_timestamp": stamp,
                "last_updated_timestamp": stamp,
            }
            self._customers[customer_id] = customer
            return customer

    def update_customer(self, customer_id: str, changes: JSON) -> JSON:
        """Merge ``changes`` (already validated) and bump ``last_updated_timestamp``, even if nothing changed."""
        with self.lock:
            old = self._customers.get(customer_id)
            if old is None:
                raise ApiError(404, f"Customer {customer_id} not found")
            facility_id = changes.get("facility_id")
            if facility_id is not None and facility_id not in self.facilities:
                raise ApiError(404, f"Facility {facility_id} not found")
            new = {**old, **changes, "id": customer_id}
            new["last_updated_timestamp"] = stamp_after(old["last_updated_timestamp"])
            self._customers[customer_id] = new
            return new


def _customer_predicate(request: Request) -> Callable[[JSON], bool] | None:
    # The filters of GET /customers/ in Flourish's External API Postman collection ("Retail Customers":
    # first_name, last_name, dob, state, patient_id, phone_number, email, last_updated_timestamp_start/end);
    # a client finds a shopper with no phone or e-mail by first_name + last_name + dob.
    params = request.query_params
    checks = [
        check
        for check in (
            equals_ci("patient_id", params.get("patient_id")),
            equals_ci("email", params.get("email")),
            equals_ci("first_name", params.get("first_name")),
            equals_ci("last_name", params.get("last_name")),
            equals_ci("dob", params.get("dob")),
            equals_ci("state", params.get("state")),
        )
        if check is not None
    ]
    phone = params.get("phone_number")
    if phone is not None:
        wanted = digits(phone)
        checks.append(lambda customer: bool(wanted) and digits(customer.get("phone") or "") == wanted)
    start = time_param(request, "last_updated_timestamp_start")
    if start:
        checks.append(lambda customer: customer["last_updated_timestamp"] >= start)
    end = time_param(request, "last_updated_timestamp_end")
    if end:
        checks.append(lambda customer: customer["last_updated_timestamp"] <= end)
    return all_of(checks)


CUSTOMER_ORDERINGS: tuple[str, ...] = ("id", "last_updated_timestamp")


def _customer_order_by(request: Request) -> str:
    order_by = request.query_params.get("order_by") or "id"
    if order_by not in CUSTOMER_ORDERINGS:
        raise ApiError(400, f"order_by must be one of: {', '.join(CUSTOMER_ORDERINGS)}")
    return order_by


def parse_customer_body(body: JSON) -> JSON:
    dob = body.get("dob")
    if not isinstance(dob, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", dob):
        raise ApiError(422, "dob is required (YYYY-MM-DD)")
    try:
        date.fromisoformat(dob)
    except ValueError:
        raise ApiError(422, "dob is required (YYYY-MM-DD)") from None
    fields: JSON = {}
    for name in ("first_name", "last_name"):
        value = body.get(name)
        if not isinstance(value, str) or not value.strip():
            raise ApiError(422, f"{name} is required")
        fields[name] = value.strip()
    fields["dob"] = dob
    for name in ("email", "phone", "patient_id", "medical_card_state", "state"):
        fields[name] = optional_str(body, name)
    expiration = optional_str(body, "medical_card_expiration")
    if expiration:
        try:
            date.fromisoformat(expiration)
        except ValueError:
            raise ApiError(422, "medical_card_expiration must be YYYY-MM-DD") from None
    fields["medical_card_expiration"] = expiration
    verified = body.get("is_verified", False)
    if not isinstance(verified, bool):
        raise ApiError(422, "is_verified must be a boolean")
    fields["is_verified"] = verified
    address = body.get("address", [])
    if address is None:
        address = []
    if not isinstance(address, list) or not all(isinstance(entry, dict) for entry in address):
        raise ApiError(422, "address must be a list of objects")
    fields["address"] = address
    return fields


def parse_customer_changes(body: JSON) -> JSON:
    """The fields of a customer PUT (or a staff edit) that are present in ``body``, validated.

    Absent fields are left as they are; unknown fields (and ``id`` and the timestamps) are ignored.
    """
    changes: JSON = {}
    for name in ("first_name", "last_name"):
        if name in body:
            value = body[name]
            if not isinstance(value, str) or not value.strip():
                raise ApiError(422, f"{name} must be a non-empty string")
            changes[name] = value.strip()
    if "dob" in body:
        changes["dob"] = valid_date(body["dob"], "dob", required=True)
    for name in ("email", "phone", "patient_id", "medical_card_state", "state"):
        if name in body:
            changes[name] = optional_str(body, name)
    if "medical_card_expiration" in body:
        changes["medical_card_expiration"] = valid_date(
            body["medical_card_expiration"], "medical_card_expiration", required=False
        )
    for name in ("is_verified", "is_active"):
        if name in body:
            if not isinstance(body[name], bool):
                raise ApiError(422, f"{name} must be a boolean")
            changes[name] = body[name]
    if "available_credit" in body:
        credit = number(body["available_credit"])
        if credit is None or credit < 0:
            raise ApiError(422, "available_credit must be a number >= 0")
        changes["available_credit"] = credit
    if "address" in body:
        address = body["address"] or []
        if not isinstance(address, list) or not all(isinstance(entry, dict) for entry in address):
            raise ApiError(422, "address must be a list of objects")
        changes["address"] = address
    return changes


async def list_customers(request: Request) -> Response:
    offset, limit = paging(request)
    order_by = _customer_order_by(request)
    page, more = sandbox_of(request).list_customers(_customer_predicate(request), offset, limit, order_by)
    return page_response(request, page, more, offset, limit)


async def get_customer(request: Request) -> Response:
    return one(sandbox_of(request).get_customer(request.path_params["customer_id"]))


async def create_customer(request: Request) -> Response:
    sandbox = sandbox_of(request)
    facility_id = sandbox.optional_facility(request.headers.get("FacilityID"))
    fields = parse_customer_body(await json_object(request))
    return one(sandbox.create_customer(fields, facility_id), status_code=201)


async def update_customer(request: Request) -> Response:
    sandbox = sandbox_of(request)
    customer_id = request.path_params["customer_id"]
    sandbox.get_customer(customer_id)  # 404 before any complaint about the body
    changes = parse_customer_changes(await json_object(request))
    return one(sandbox.update_customer(customer_id, changes))


ROUTES = [
    Route(f"{V1}/customers", list_customers, methods=["GET"]),
    Route(f"{V1}/customers", create_customer, methods=["POST"]),
    Route(f"{V1}/customers/{{customer_id}}", get_customer, methods=["GET"]),
    Route(f"{V1}/customers/{{customer_id}}", update_customer, methods=["PUT"]),
]
