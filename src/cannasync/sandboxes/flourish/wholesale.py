"""Wholesale parties: sales reps and destinations.

Wholesale: brands, sales reps, destinations, outbound orders
------------------------------------------------------------
What the LeafLink ↔ Flourish bridge uses (cannasync issue 6, seed 004):

* ``GET /sales-reps/`` (``FacilityID`` required, paged) → ``{"id", "first_name", "last_name", "email",
  "facility_id"}``: the facility's reps.
* Destinations (wholesale customers; a LeafLink customer is a Flourish destination) are company-scoped
  (Flourish's B2B plugin reads them with ``GET /destinations?license_number=``, ``GET /destinations/{id}``
  and the paged list, and makes them only through an outbound order's ``destination`` object: see
  ``outbound_bodies.py``; ``POST /destinations/`` is served but no client of Flourish's is seen to call it):
  ``GET /destinations/`` (paged, id order; filters ``license_number``, case-insensitive, and
  ``external_id``, exact), ``GET /destinations/{id}/``, ``POST /destinations/`` ``{"name",
  "license_number", "address"?: {"address_line_1", "address_line_2", "city", "state", "postcode",
  "country"}, "email"?, "phone"?, "external_id"?}`` → 201 ``{"data": destination}``. A destination is
  ``{"id", "name", "license_number", "address" (all six keys, null when not sent), "email", "phone",
  "external_id", "created_timestamp", "last_updated_timestamp"}``; see choice 22.

Choices where Flourish's public notes are silent
------------------------------------------------
Each is a guess kept easy to change; none is confirmed by Flourish.

21. Sales reps are facility-scoped: ``GET /sales-reps/`` lists the ``FacilityID``'s reps only. An
    outbound order's ``sales_rep_id`` must name a rep **of that facility** (unknown → 422, another
    facility's → 422 naming it): orders reach the right facility by sales rep, so a mismatch is a routing
    bug worth hearing about. ``sales_rep_id`` may be null or absent.
22. Destinations: ``name`` and ``license_number`` are required non-empty strings (422 naming the field);
    ``external_id`` may be a string or integer (stored as a string) or null; ``address`` is an object
    whose six known keys are kept (strings or null; other keys dropped). Creating a destination never
    checks for duplicates (same license number or ``external_id`` → a second destination), like
    customers: a client that must create a destination once looks it up first. Destinations cannot be
    edited through the API.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cannasync.sandboxes._kit.values import iso_ms, now
from cannasync.sandboxes.flourish.base import StateBase
from cannasync.sandboxes.flourish.wire import (
    JSON,
    V1,
    ApiError,
    all_of,
    equals_ci,
    facility_of,
    field_is,
    id_value,
    json_object,
    one,
    optional_str,
    page_response,
    paging,
    sandbox_of,
    window,
)


class WholesaleMixin(StateBase):
    """The facilities' sales reps and the company's destinations."""

    def sales_reps(self, facility_id: str | None = None) -> list[JSON]:
        with self.lock:
            return [
                rep for rep in self._sales_reps.values() if facility_id is None or rep["facility_id"] == facility_id
            ]

    def destinations(self) -> list[JSON]:
        with self.lock:
            return list(self._destinations.values())

    def list_destinations(
        self, predicate: Callable[[JSON], bool] | None, offset: int, limit: int
    ) -> tuple[list[JSON], bool]:
        with self.lock:
            return window(self._destinations.values(), predicate, offset, limit)

    def get_destination(self, destination_id: str) -> JSON:
        with self.lock:
            destination = self._destinations.get(destination_id)
            if destination is None:
                raise ApiError(404, f"Destination {destination_id} not found")
            return destination

    def destination_for_order(self, details: JSON) -> JSON:
        """The destination an outbound order's ``destination`` object names: the one with its license
        number, else a new one made from it (choice 32 in ``outbound_bodies.py``). Call with the lock held."""
        if "id" in details:
            named = self._destinations.get(details["id"])
            if named is None:
                raise ApiError(422, f"Destination {details['id']} not found")
            return named
        license_number = details["license_number"]
        if license_number:
            wanted = license_number.lower()
            for destination in self._destinations.values():
                if str(destination.get("license_number") or "").lower() == wanted:
                    return destination
        return self._new_destination(details)

    def create_destination(self, fields: JSON) -> JSON:
        """A new destination (wholesale customer); never checked for duplicates (choice 22)."""
        with self.lock:
            return self._new_destination(fields)

    def _new_destination(self, fields: JSON) -> JSON:
        destination_id = str(self._next_destination)
        self._next_destination += 1
        stamp = iso_ms(now())
        destination = {"id": destination_id, **fields, "created_timestamp": stamp, "last_updated_timestamp": stamp}
        self._destinations[destination_id] = destination
        return destination


def _destination_predicate(request: Request) -> Callable[[JSON], bool] | None:
    params = request.query_params
    checks: list[Callable[[JSON], bool]] = []
    license_check = equals_ci("license_number", params.get("license_number"))
    if license_check:
        checks.append(license_check)
    external_id = params.get("external_id")
    if external_id is not None:
        checks.append(field_is("external_id", external_id))
    return all_of(checks)


_ADDRESS_KEYS: tuple[str, ...] = ("address_line_1", "address_line_2", "city", "state", "postcode", "country")


def _parse_destination_body(body: JSON) -> JSON:
    """Validate a ``POST /destinations/`` body; unknown keys are ignored."""
    fields: JSON = {}
    for name in ("name", "license_number"):
        value = body.get(name)
        if not isinstance(value, str) or not value.strip():
            raise ApiError(422, f"{name} is required")
        fields[name] = value.strip()
    address = body.get("address")
    if address is not None and not isinstance(address, dict):
        raise ApiError(422, "address must be an object")
    parsed_address: JSON = {}
    for key in _ADDRESS_KEYS:
        value = (address or {}).get(key)
        if value is not None and not isinstance(value, str):
            raise ApiError(422, f"address.{key} must be a string")
        parsed_address[key] = value
    fields["address"] = parsed_address
    fields["email"] = optional_str(body, "email")
    fields["phone"] = optional_str(body, "phone")
    external_id = body.get("external_id")
    fields["external_id"] = None if external_id is None else id_value(external_id, "external_id")
    return fields


async def sales_reps(request: Request) -> Response:
    facility_id = facility_of(request)
    offset, limit = paging(request)
    page, more = window(sandbox_of(request).sales_reps(facility_id), None, offset, limit)
    return page_response(request, page, more, offset, limit)


async def list_destinations(request: Request) -> Response:
    offset, limit = paging(request)
    page, more = sandbox_of(request).list_destinations(_destination_predicate(request), offset, limit)
    return page_response(request, page, more, offset, limit)


async def get_destination(request: Request) -> Response:
    return one(sandbox_of(request).get_destination(request.path_params["destination_id"]))


async def create_destination(request: Request) -> Response:
    fields = _parse_destination_body(await json_object(request))
    return one(sandbox_of(request).create_destination(fields), status_code=201)


ROUTES = [
    Route(f"{V1}/sales-reps", sales_reps, methods=["GET"]),
    Route(f"{V1}/destinations", list_destinations, methods=["GET"]),
    Route(f"{V1}/destinations", create_destination, methods=["POST"]),
    Route(f"{V1}/destinations/{{destination_id}}", get_destination, methods=["GET"]),
]
