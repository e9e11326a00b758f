"""Retail discounts (facility-scoped).

* ``GET /retail-discounts/`` and ``GET /retail-discounts/{id}/`` list a facility's discounts.

Loyalty data: customers, sales history, retail discounts
--------------------------------------------------------
What a loyalty platform pulls from Flourish (cannasync issue 5):

* Retail discounts: ``{"id", "discount_name", "discount_type": "Percent"|"Dollar", "discount_value",
  "start_date", "end_date", "start_date_time", "end_date_time", "start_time", "end_time",
  "ecommerce_eligible", "facility_id"}``.

Choices where Flourish's public notes are silent
------------------------------------------------
Each is a guess kept easy to change; none is confirmed by Flourish.

17. Retail discounts: ids are numeric strings, ``"501"`` upwards, never reused. The vendor notes say the
    list returns the facility's e-commerce-eligible discounts; the sandbox lists **all** of the
    facility's discounts (a loyalty reward is usually an in-store discount) and takes an optional
    ``ecommerce_eligible=true|false`` filter. A discount of another facility is a 404 on
    ``GET /retail-discounts/{id}/``. ``start_date_time``/``end_date_time`` are derived from the dates
    (midnight UTC and 23:59:59.999 UTC) or null; ``start_time``/``end_time`` are daily ``HH:MM`` or null.
    The seeded discounts are seed-independent. Creating one validates ``discount_type`` (Percent or
    Dollar, any case), ``discount_value`` (> 0, at most 100 for Percent), the dates and times;
    ``ecommerce_eligible`` defaults to false; an unknown facility is a 404. Deleting a discount leaves
    past sales that used it unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cannasync.sandboxes._kit.values import number
from cannasync.sandboxes.flourish.base import StateBase
from cannasync.sandboxes.flourish.seeds import discount_record
from cannasync.sandboxes.flourish.wire import (
    JSON,
    V1,
    ApiError,
    bool_param,
    canonical,
    facility_of,
    field_is,
    id_value,
    one,
    optional_str,
    page_response,
    paging,
    sandbox_of,
    valid_date,
    window,
)

DISCOUNT_TYPES: tuple[str, ...] = ("Percent", "Dollar")


class DiscountsMixin(StateBase):
    """Every facility's retail discounts, by id."""

    def discounts(self) -> list[JSON]:
        with self.lock:
            return list(self._discounts.values())

    def list_discounts(
        self, facility_id: str, predicate: Callable[[JSON], bool] | None, offset: int, limit: int
    ) -> tuple[list[JSON], bool]:
        def matches(discount: JSON) -> bool:
            return discount["facility_id"] == facility_id and (predicate is None or predicate(discount))

        with self.lock:
            return window(self._discounts.values(), matches, offset, limit)

    def get_discount(self, discount_id: str, facility_id: str | None = None) -> JSON:
        with self.lock:
            discount = self._discounts.get(discount_id)
            if discount is None or (facility_id is not None and discount["facility_id"] != facility_id):
                raise ApiError(404, f"Retail discount {discount_id} not found")
            return discount

    def create_discount(self, fields: JSON) -> JSON:
        with self.lock:
            if fields["facility_id"] not in self.facilities:
                raise ApiError(404, f"Facility {fields['facility_id']} not found")
            discount_id = str(self._next_discount)
            self._next_discount += 1
            discount = discount_record(discount_id, **fields)
            self._discounts[discount_id] = discount
            return discount

    def delete_discount(self, discount_id: str) -> None:
        """Remove a discount; sales that used it keep their ``applied_discounts`` as they were."""
        with self.lock:
            if self._discounts.pop(discount_id, None) is None:
                raise ApiError(404, f"Retail discount {discount_id} not found")


def _discount_predicate(request: Request) -> Callable[[JSON], bool] | None:
    online = bool_param(request, "ecommerce_eligible")
    return None if online is None else field_is("ecommerce_eligible", online)


_TIME_OF_DAY = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def parse_discount_body(body: JSON) -> JSON:
    """Validate a ``POST /_sandbox/retail-discounts`` body into ``discount_record`` keyword arguments."""
    name = body.get("discount_name")
    if not isinstance(name, str) or not name.strip():
        raise ApiError(422, "discount_name is required")
    kind = canonical(body.get("discount_type"), DISCOUNT_TYPES, "discount_type")
    value = number(body.get("discount_value"))
    if value is None or value <= 0 or (kind == "Percent" and value > 100):
        raise ApiError(422, "discount_value must be a number > 0 (at most 100 for Percent)")
    times = {}
    for field in ("start_time", "end_time"):
        raw = optional_str(body, field)
        if raw is not None and not _TIME_OF_DAY.match(raw):
            raise ApiError(422, f"{field} must be HH:MM")
        times[field] = raw
    online = body.get("ecommerce_eligible", False)
    if not isinstance(online, bool):
        raise ApiError(422, "ecommerce_eligible must be a boolean")
    return {
        "facility_id": id_value(body.get("facility_id"), "facility_id"),
        "discount_name": name.strip(),
        "discount_type": kind,
        "discount_value": value,
        "start_date": valid_date(body.get("start_date"), "start_date", required=False),
        "end_date": valid_date(body.get("end_date"), "end_date", required=False),
        **times,
        "ecommerce_eligible": online,
    }


async def list_discounts(request: Request) -> Response:
    facility_id = facility_of(request)
    offset, limit = paging(request)
    page, more = sandbox_of(request).list_discounts(facility_id, _discount_predicate(request), offset, limit)
    return page_response(request, page, more, offset, limit)


async def get_discount(request: Request) -> Response:
    facility_id = facility_of(request)
    return one(sandbox_of(request).get_discount(request.path_params["discount_id"], facility_id))


ROUTES = [
    Route(f"{V1}/retail-discounts", list_discounts, methods=["GET"]),
    Route(f"{V1}/retail-discounts/{{discount_id}}", get_discount, methods=["GET"]),
]
