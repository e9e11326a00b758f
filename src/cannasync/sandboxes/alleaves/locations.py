"""The location a token opens, and its inventory areas (routes 1 and 2 of the wire format).

1. ``GET /api/v1/location`` → ``{"data": {"location_id", "name", "timezone", "address": {"line1", "city",
   "state", "postcode"}, "low_quantity_threshold": <int>, "menu_types": ["recreational", "medical"]}}``.
   ``low_quantity_threshold`` is the article's "Per Location Low Quantity Threshold": a client shows an
   item whose available quantity is at or below it as quantity 0.
2. ``GET /api/v1/inventory-areas`` → ``{"data": [{"area_id", "name", "sellable"}]}`` (not paged), in the
   location's order. Names are Retail, Vault, Quarantine, Back Room, Display; only Quarantine is not
   sellable. (No public Alleaves documentation exists, vendor-apis.md section 3; seed 003 has the store pick
   the areas to sell from, "e.g. Retail". Quarantined stock is by definition held back from sale, so it is
   the area marked ``"sellable": false``; a client must not offer it as a place to sell from.)

The well-known locations and their areas: ``places.py``; generated ones: ``fleet.py``.

Control route (no auth; the hub never calls it): ``POST /_sandbox/locations/{location_id}/threshold``
``{"low_quantity_threshold": n}``.

Choice 3 (beyond the facts; easy to change; not confirmed by Alleaves): areas have the same ids at every
location that has them.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cannasync.sandboxes._kit.gateway import CONTROL, VendorRoute
from cannasync.sandboxes._kit.values import integer
from cannasync.sandboxes.alleaves.auth import session
from cannasync.sandboxes.alleaves.errors import ApiError, invalid
from cannasync.sandboxes.alleaves.wire import API, JSON, data, json_object, route


class LocationState:
    """The locations and their areas (part of ``AlleavesSandbox``)."""

    lock: threading.Lock
    locations: dict[str, JSON]
    #: Location id → its areas (``{"area_id", "name", "sellable"}``), in the order served.
    areas: dict[str, list[JSON]]

    def _init_locations(self, locations: Iterable[JSON], areas: dict[str, list[JSON]]) -> None:
        self.locations = {location["location_id"]: location for location in locations}
        self.areas = areas

    def location(self, location_id: str) -> JSON:
        with self.lock:
            return self.locations[location_id]

    def set_threshold(self, location_id: str, threshold: int) -> JSON:
        with self.lock:
            location = self.locations.get(location_id)
            if location is None:
                raise ApiError(404, "not_found", f"Location {location_id} not found")
            new = {**location, "low_quantity_threshold": threshold}
            self.locations[location_id] = new
            return new

    def _area_ids(self, location_id: str) -> list[str]:
        return [area["area_id"] for area in self.areas[location_id]]

    def _check_areas(self, location_id: str, area_ids: Iterable[str]) -> tuple[str, ...]:
        """The areas asked for, known at the location, in the location's order (422 naming an unknown one)."""
        known = self._area_ids(location_id)
        requested = list(area_ids)
        wanted = set(requested)
        for area_id in requested:
            if area_id not in known:
                raise ApiError(
                    422,
                    "unknown_area",
                    f"Area {area_id} does not exist at location {location_id}; "
                    f"GET /api/v1/inventory-areas lists its areas ({', '.join(known)})",
                )
        return tuple(area_id for area_id in known if area_id in wanted)


def routes(state: LocationState) -> list[VendorRoute]:
    async def location(request: Request) -> Response:
        return data(state.location(session(request).location_id))

    async def areas(request: Request) -> Response:
        return data(state.areas[session(request).location_id])

    return [route("GET", f"{API}/location", location), route("GET", f"{API}/inventory-areas", areas)]


def control(state: LocationState) -> list[Route]:
    async def set_threshold(request: Request) -> Response:
        body = await json_object(request)
        threshold = integer(body.get("low_quantity_threshold"))
        if threshold is None or threshold < 0:
            raise invalid("low_quantity_threshold must be an integer >= 0")
        return data(state.set_threshold(request.path_params["location_id"], threshold))

    return [Route(f"{CONTROL}/locations/{{location_id}}/threshold", set_threshold, methods=["POST"])]
