"""Facilities and units of measure.

* ``FacilityID`` header on facility-scoped routes (inventory summary, order create/update, retail
  discounts list/get, sales reps, outbound orders create/list/get/update): missing → 400, unknown → 404.
  ``GET /retail-orders/{id}/`` takes it optionally (choice 30).
* ``GET /facilities/`` and ``GET /facilities/{id}/`` (no ``FacilityID``), ``GET /uoms/`` (paged, choice 31).

Choices where Flourish's public notes are silent
------------------------------------------------
Each is a guess kept easy to change; none is confirmed by Flourish.

31. ``GET /uoms/`` lists ``{"uom", "description"}`` (the fields the B2B plugin reads to build its unit
    drop-down, flourish-woocommerce-b2b ``display_uom_dropdown``) for the units the vendor notes list for
    the item ``uom`` filter: ea, g, kg, mg, oz, lb, ml, l; described as the items' ``uom_description``
    are. Paged like every list. ``GET /facilities/{id}/`` answers the facility as the list does, plus
    ``sales_rep_required_for_outbound`` (false: the B2B plugin reads it before an outbound order); an
    unknown id is a 404.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cannasync.sandboxes.flourish.base import StateBase
from cannasync.sandboxes.flourish.wire import JSON, V1, ApiError, one, page_response, paging, sandbox_of, window

#: ``GET /uoms/``: the units the vendor notes list for the item ``uom`` filter (ea, g, kg, mg, oz, lb, ml, l),
#: described as the items' ``uom_description`` are (choice 31).
UOMS: tuple[tuple[str, str], ...] = (
    ("ea", "Each"),
    ("g", "Grams"),
    ("kg", "Kilograms"),
    ("mg", "Milligrams"),
    ("oz", "Ounces"),
    ("lb", "Pounds"),
    ("ml", "Milliliters"),
    ("l", "Liters"),
)


class FacilitiesMixin(StateBase):
    """The facilities, and the ``FacilityID`` header that names one."""

    def facility(self, facility_id: str | None) -> str:
        if facility_id is None or not facility_id.strip():
            raise ApiError(400, "FacilityID header is required")
        facility_id = facility_id.strip()
        if facility_id not in self.facilities:
            raise ApiError(404, f"Facility {facility_id} not found")
        return facility_id

    def optional_facility(self, facility_id: str | None) -> str | None:
        """For routes that serve one facility with the header, or the whole company without it."""
        if facility_id is None:
            return None
        if not facility_id.strip():
            raise ApiError(400, "FacilityID header must name a facility when it is sent")
        return self.facility(facility_id)

    def facility_records(self) -> list[JSON]:
        """Facilities as ``GET /facilities/`` serves them, id order of creation."""
        return [self._facility_json(record) for record in self.facilities.values()]

    def facility_record(self, facility_id: str) -> JSON:
        record = self.facilities.get(facility_id)
        if record is None:
            raise ApiError(404, f"Facility {facility_id} not found")
        return self._facility_json(record)

    @staticmethod
    def _facility_json(record: JSON) -> JSON:
        # ``sales_rep_required_for_outbound`` is what the B2B plugin reads from a facility before it places an
        # outbound order (flourish-woocommerce-b2b, validate_facility_config); the sandbox never requires one
        # (choice 21: ``sales_rep_id`` may be null).
        return {**record, "sales_rep_required_for_outbound": False}

    @staticmethod
    def uoms() -> list[JSON]:
        """The units of measure (choice 31); the items' ``uom_description`` use the same wording."""
        return [{"uom": uom, "description": description} for uom, description in UOMS]


async def facilities(request: Request) -> Response:
    offset, limit = paging(request)
    page, more = window(sandbox_of(request).facility_records(), None, offset, limit)
    return page_response(request, page, more, offset, limit)


async def get_facility(request: Request) -> Response:
    # ``GET /facilities/{id}`` with ``x-api-key`` alone: the vendor's plugins read a facility's settings so
    # (flourish-woocommerce-b2c and -b2b, src/API/FlourishAPI.php fetch_facility_config).
    return one(sandbox_of(request).facility_record(request.path_params["facility_id"]))


async def uoms(request: Request) -> Response:
    # ``GET /uoms`` paged like every list (flourish-woocommerce-b2c, src/API/FlourishAPI.php fetch_uoms);
    # the B2B plugin reads ``uom`` and ``description`` from each row (choice 31).
    offset, limit = paging(request)
    page, more = window(sandbox_of(request).uoms(), None, offset, limit)
    return page_response(request, page, more, offset, limit)


ROUTES = [
    Route(f"{V1}/facilities", facilities, methods=["GET"]),
    Route(f"{V1}/facilities/{{facility_id}}", get_facility, methods=["GET"]),
    Route(f"{V1}/uoms", uoms, methods=["GET"]),
]
