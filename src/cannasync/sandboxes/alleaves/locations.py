"""The location a token opens, and its inventory areas."""

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
