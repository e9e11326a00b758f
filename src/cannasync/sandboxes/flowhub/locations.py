"""Flowhub locations: the two well-known stores and their rooms, which client owns which, and
``GET /v0/clientsLocations`` (yerba-buena/flowhub-client-ts src/resources/locations.ts).

Well-known locations (the same for every seed)
----------------------------------------------
* Locations ``"loc-eastside"`` (Sunset Cannabis Co. - Eastside, 14230 E Jefferson Ave, Detroit, MI 48215)
  and ``"loc-ferndale"`` (Sunset Cannabis Co. - Ferndale, 22930 Woodward Ave, Ferndale, MI 48220), both
  ``America/Detroit``. Each has four rooms, "Sales Floor", "Vault", "Back Stock" and "Quarantine", whose ids
  are 32 lowercase hex characters (``ROOMS``); the Eastside sales floor is
  ``6713b6938fb0673c3d541b207553b4b1`` and the Ferndale one ``4ef1876154d48e8968d981c39edae046``.

Generated locations (``loc-00001`` upwards) are shaped the same way: ``fleet.py``.

Choices where Flowhub's public notes are silent
-----------------------------------------------
1. Locations: ids are short readable strings; ``GET /v0/clientsLocations`` lists the caller's locations with
   the fields of src/types/locations.ts (``location_record``). A location id nobody has is a
   404 ``Location <id> not found``; one that exists but that the client does not own is the 403
   (``{"errors": ["Not authorized for location <id>"]}``, as ``auth.py`` lists it).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable, Sequence
from dataclasses import replace

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from cannasync.sandboxes._kit.gateway import VendorRoute
from cannasync.sandboxes.flowhub.accounts import Account, caller
from cannasync.sandboxes.flowhub.common import JSON, ApiError, route

#: The rooms of every location, in this order; room ids are derived from location id and room name.
ROOM_NAMES: tuple[str, ...] = ("Sales Floor", "Vault", "Back Stock", "Quarantine")

#: The name of the one client (company) that owns the well-known and generated locations.
CLIENT_NAME = "Sunset Cannabis Co."


def location_record(
    location_id: str, name: str, street: str, city: str, zip_code: str, county: str, phone: str
) -> JSON:
    """A location as ``GET /v0/clientsLocations`` serves it, less ``clientId`` (the caller's, added when served).

    The fields and their spelling follow yerba-buena/flowhub-client-ts ``src/types/locations.ts`` and its
    fixture ``tests/fixtures/locations.fixtures.ts``: ``timeZone`` with a capital Z, ``address`` with
    ``streetAddress1``/``streetAddress2``/``county``, the state spelled out, ``importId`` equal to
    ``locationId`` (as in that fixture; ``importId`` is what ``/v1/orders/findByLocationId/{importId}`` takes).
    """
    slug = location_id.removeprefix("loc-")
    return {
        "locationId": location_id,
        "locationName": name,
        "clientName": CLIENT_NAME,
        "importId": location_id,
        "timeZone": "America/Detroit",
        "address": {
            "streetAddress1": street,
            "streetAddress2": None,
            "city": city,
            "state": "Michigan",
            "zip": zip_code,
            "country": "US",
            "county": county,
        },
        "email": f"{slug}@sunsetcannabis.example",
        "phoneNumber": phone,
        "website": "https://sunsetcannabis.example",
        "licenseType": ["rec", "med"],
        "hoursOfOperation": None,
        "locationLogoURL": None,
    }


LOCATIONS: tuple[JSON, ...] = (
    location_record(
        "loc-eastside",
        "Sunset Cannabis Co. - Eastside",
        "14230 E Jefferson Ave",
        "Detroit",
        "48215",
        "Wayne",
        "(313) 555-0190",
    ),
    location_record(
        "loc-ferndale",
        "Sunset Cannabis Co. - Ferndale",
        "22930 Woodward Ave",
        "Ferndale",
        "48220",
        "Oakland",
        "(248) 555-0120",
    ),
)


def room_id(location_id: str, room_name: str) -> str:
    """A room's id: 32 lowercase hexadecimal characters (alphanumeric, no dashes), stable for every seed."""
    return hashlib.md5(f"flowhub-room:{location_id}:{room_name}".encode()).hexdigest()


def rooms_of(location_id: str) -> tuple[tuple[str, str], ...]:
    """A location's ``(roomId, roomName)`` pairs in ``ROOM_NAMES`` order."""
    return tuple((room_id(location_id, name), name) for name in ROOM_NAMES)


#: Location id → ((roomId, roomName), ...) in ``ROOM_NAMES`` order.
ROOMS: dict[str, tuple[tuple[str, str], ...]] = {
    location["locationId"]: rooms_of(location["locationId"]) for location in LOCATIONS
}


class Locations:
    """The sandbox's part that knows the locations, their rooms and the accounts that own them.

    One part of ``FlowhubSandbox`` (``state.py``), whose ``lock`` it shares.
    """

    lock: threading.Lock
    #: Location id → the location record (``location_record``), well-known first, then generated.
    locations: dict[str, JSON]
    #: Location id → ((roomId, roomName), ...), the well-known locations' and the generated ones'.
    rooms: dict[str, tuple[tuple[str, str], ...]]
    accounts: tuple[Account, ...]
    #: Location id → the client id that owns it (the first configured client that does).
    _owner: dict[str, str]

    def _init_locations(self, served: Sequence[JSON], generated: Sequence[str], credentials: Iterable[Account]) -> None:
        """``served``: every location record; ``generated``: the generated ones' ids, which every client owns."""
        self.locations = {location["locationId"]: location for location in served}
        self.rooms = {location_id: rooms_of(location_id) for location_id in self.locations}
        # Every client owns the generated locations too: a scale test needs one set of credentials.
        self.accounts = tuple(
            replace(account, location_ids=account.location_ids + tuple(generated)) for account in credentials
        )
        for account in self.accounts:
            unknown = set(account.location_ids) - set(self.locations)
            if unknown:
                raise ValueError(f"unknown location ids for client {account.client_id}: {sorted(unknown)}")
        for account in self.accounts:
            if account.order_location not in account.location_ids:
                raise ValueError(f"client {account.client_id} does not own {account.order_location}")
        self._owner = {}
        for account in self.accounts:
            for location_id in account.location_ids:
                self._owner.setdefault(location_id, account.client_id)

    def _location(self, account: Account, location_id: str, unknown_status: int = 404) -> JSON:
        location = self.locations.get(location_id)
        if location is None:
            raise ApiError(unknown_status, f"Location {location_id} not found")
        if location_id not in account.location_ids:
            raise ApiError(403, f"Not authorized for location {location_id}")
        return location

    def location(self, account: Account, location_id: str) -> JSON:
        """The location if ``account`` owns it; 404 if nobody has it, 403 if someone else does."""
        with self.lock:
            return self._location(account, location_id)

    def client_locations(self, account: Account) -> list[JSON]:
        """The caller's locations as ``GET /v0/clientsLocations`` lists them (``location_record``)."""
        with self.lock:
            return [
                {**self.locations[location_id], "clientId": account.client_id}
                for location_id in self.locations
                if location_id in account.location_ids
            ]

    def time_zones(self) -> dict[str, str]:
        return {location_id: str(location["timeZone"]) for location_id, location in self.locations.items()}


def routes(sandbox: Locations) -> list[VendorRoute]:
    async def client_locations(request: Request) -> Response:
        return JSONResponse({"status": 200, "data": sandbox.client_locations(caller(request))})

    return [route("GET", "/v0/clientsLocations", client_locations, "api")]
