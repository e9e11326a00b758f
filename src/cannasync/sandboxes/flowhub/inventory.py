"""Flowhub's v0 inventory: per location and for all the caller's locations, by item or by room, and analytics.

What it reproduces (vendor-apis.md §2; yerba-buena/flowhub-client-ts src/resources/inventory.ts and
src/types/inventory.ts):

* v0 inventory per location (``/inventory``, ``/inventoryNonZero``, ``/inventoryByRoomsNonZero``,
  ``/InventoryAnalytics``, ``/InventoryAnalyticsByRooms`` with a capital I) and for all the caller's locations
  (``/v0/inventory``, ``/v0/inventoryNonZero``, ``/v0/inventoryByRoomsNonZero``, ``/v0/inventoryAnalytics``,
  ``/v0/inventoryAnalyticsByRooms``, optional ``locationId``), each as ``{"status": 200, "data": [...]}`` with
  every item in one response (no paging; src/resources/inventory.ts).
* Inventory responses are serialised once per (route, location, base URL) and cached until the catalogue or
  stock changes; at most 32 serialised inventory bodies are cached (a scale test's thousand locations,
  ``fleet.py``, must not keep a thousand bodies).

The items themselves (their values, the malformed ones): ``catalog.py``; changing them and their stock
through the control routes: ``control.py``.

Choices where Flowhub's public notes are silent
-----------------------------------------------
4. Inventory: items are ordered by ``productId``. A product not carried at a location is absent from its
   inventory; one carried with nothing in stock is in ``/inventory`` with ``quantity`` 0 and left out of
   the ``NonZero`` variants. ``quantity`` is the sum over all rooms (Vault, Back Stock and Quarantine
   included). ``/inventoryByRoomsNonZero`` has one entry per (item, room) with stock, in room order, each
   with ``roomId``, ``roomName``, ``upc`` (a 12-digit UPC-A, null on about 15%) and that room's
   ``quantity``; only the by-room entries carry ``upc``. Items also carry ``regulatoryId`` (a METRC-like
   package tag, null on accessories), ``inventoryUnitOfMeasureToGramsMultiplier`` and
   ``productUnitOfMeasureToGramsMultiplier``. Units of measure are ``"g"`` for flower sold by weight and
   ``"each"`` otherwise; ``productWeight`` is in grams (or ml for liquids).
17. Analytics rows (src/types/inventory.ts) add ``forSale`` and ``supplierLicense``; only stock in a for-sale
    room (``FOR_SALE_ROOMS``) counts unless ``includesNotForSaleQuantity=true``. ``forSale`` says whether the
    item (or, by room, the room) holds stock for sale; ``supplierLicense`` is derived from the supplier name.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, MutableMapping

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from cannasync.sandboxes._kit.gateway import VendorRoute
from cannasync.sandboxes.flowhub.accounts import Account, caller
from cannasync.sandboxes.flowhub.catalog import Catalogue
from cannasync.sandboxes.flowhub.common import (
    JSON,
    ApiError,
    Endpoint,
    dumps,
    flag,
    later_than_stored,
    raw_json,
    route,
)
from cannasync.sandboxes.flowhub.locations import Locations

#: At most this many serialised inventory bodies are cached (the oldest goes first).
_CACHE_LIMIT = 32
INVENTORY_KINDS: tuple[str, ...] = ("inventory", "inventoryNonZero", "inventoryByRoomsNonZero")
#: The analytics variants: per location with a capital I (``/InventoryAnalytics``), globally with a small one
#: (flowhub-client-ts src/resources/inventory.ts: ``inventoryPath("inventoryAnalytics", "InventoryAnalytics")``).
ANALYTICS_KINDS: tuple[str, ...] = ("InventoryAnalytics", "InventoryAnalyticsByRooms")
#: The rooms whose stock is for sale; the others (Vault, Back Stock, Quarantine) hold stock not for sale, which
#: the analytics routes count only with ``includesNotForSaleQuantity=true``. Unverified: which rooms Flowhub
#: counts as for sale is the store's setting; a sales floor is the one a shopper can buy from.
FOR_SALE_ROOMS = frozenset({"Sales Floor"})
#: A supplier's licence number, as the analytics rows carry it (derived from the supplier's name).
_LICENCE_PREFIX = "PR-"


class Inventory(Locations):
    """The sandbox's part that holds the products and each location's stock by room, and serves them."""

    _products: dict[int, JSON]
    upcs: dict[int, str | None]
    #: Location id → product id → room id → quantity (see ``catalog.Catalogue``).
    #: A generated location's map is a ``fleet.FleetShelf`` (rows derived when read, never stored).
    stock: dict[str, MutableMapping[int, dict[str, int]]]
    #: Malformed product id → kind of damage (see ``catalog.MALFORMED_KINDS``).
    malformed: dict[int, str]
    _cache: dict[tuple[str, str, str, bool], bytes]
    _version: int

    def _init_inventory(self, catalogue: Catalogue, fleet: Mapping[str, MutableMapping[int, dict[str, int]]]) -> None:
        self._products = {product["productId"]: product for product in catalogue.products}
        self.upcs = catalogue.upcs
        self.stock = {**catalogue.stock, **fleet}
        self.malformed = dict(catalogue.malformed)
        self._cache = {}
        self._version = 0

    @property
    def malformed_ids(self) -> frozenset[int]:
        return frozenset(self.malformed)

    def products(self) -> list[JSON]:
        """Every product as stored (location fields are placeholders), id order."""
        with self.lock:
            return list(self._products.values())

    def product(self, product_id: int) -> JSON:
        with self.lock:
            return self._product(product_id)

    def _product(self, product_id: int) -> JSON:
        product = self._products.get(product_id)
        if product is None:
            raise ApiError(404, f"Product {product_id} not found")
        return product

    def inventory(
        self, location_id: str, kind: str = "inventory", base_url: str = "", not_for_sale: bool = False
    ) -> list[JSON]:
        """The records a v0 inventory route serves (``kind`` names the route), for tests and the demo."""
        with self.lock:
            return self._inventory_rows(kind, location_id, base_url, not_for_sale)

    def _inventory_rows(self, kind: str, location_id: str, base_url: str, not_for_sale: bool = False) -> list[JSON]:
        location_name = self.locations[location_id]["locationName"]
        stocked = self.stock[location_id]
        analytics = kind in ANALYTICS_KINDS
        by_room = kind in ("inventoryByRoomsNonZero", "InventoryAnalyticsByRooms")
        counted_rooms = [
            (room_id, room_name)
            for room_id, room_name in self.rooms[location_id]
            if not analytics or not_for_sale or room_name in FOR_SALE_ROOMS
        ]
        for_sale = {room_id for room_id, room_name in self.rooms[location_id] if room_name in FOR_SALE_ROOMS}
        rows: list[JSON] = []
        for product_id, product in self._products.items():
            rooms = stocked.get(product_id)
            if rooms is None:
                continue
            total = sum(rooms.get(room_id, 0) for room_id, _ in counted_rooms)
            if kind == "inventoryNonZero" and total <= 0:
                continue
            picture = product.get("productPictureURL")
            if isinstance(picture, str) and picture.startswith("/"):
                picture = base_url + picture
            row = {
                **product,
                "clientId": self._owner.get(location_id),
                "quantity": total,
                "productPictureURL": picture,
                "locationId": location_id,
                "locationName": location_name,
            }
            if analytics:
                # flowhub-client-ts src/types/inventory.ts: the analytics rows add forSale and supplierLicense.
                supplier = product.get("supplierName")
                licence = f"{_LICENCE_PREFIX}{zlib.crc32(str(supplier).encode()) % 1000000:06d}" if supplier else None
                row["supplierLicense"] = licence
                row["forSale"] = any(rooms.get(room_id, 0) > 0 for room_id in for_sale)
            if not by_room:
                rows.append(row)
                continue
            upc = self.upcs.get(product_id)
            for room_id, room_name in counted_rooms:
                quantity = rooms.get(room_id, 0)
                if quantity > 0:
                    entry = {**row, "quantity": quantity, "roomId": room_id, "roomName": room_name, "upc": upc}
                    if analytics:
                        entry["forSale"] = room_id in for_sale
                    rows.append(entry)
        return rows

    def inventory_payload(self, kind: str, location_id: str, base_url: str, not_for_sale: bool = False) -> bytes:
        """The serialised ``{"status": 200, "data": [...]}`` body of an inventory route (cached)."""
        key = (kind, location_id, base_url, not_for_sale)
        with self.lock:
            cached = self._cache.get(key)
            if cached is not None:
                return cached
            version = self._version
            rows = self._inventory_rows(kind, location_id, base_url, not_for_sale)
        payload = dumps({"status": 200, "data": rows})
        with self.lock:
            if self._version == version:
                # Bounded, so that a scale test reading a thousand locations does not keep a thousand bodies.
                if len(self._cache) >= _CACHE_LIMIT:
                    self._cache.pop(next(iter(self._cache)))
                self._cache[key] = payload
        return payload

    def all_inventory_payload(
        self, account: Account, kind: str, base_url: str, location_id: str | None, not_for_sale: bool
    ) -> bytes:
        """The body of a global ``/v0/<kind>`` route: every location of the caller's, or the one ``locationId``.

        The global routes and their optional ``locationId`` query come from flowhub-client-ts
        src/resources/inventory.ts (``buildInventoryQuery``); what they list is the per-location routes' rows,
        location after location in ``clientsLocations`` order (unverified).
        """
        with self.lock:
            if location_id is not None:
                self._location(account, location_id)
                wanted = [location_id]
            else:
                wanted = [loc for loc in self.locations if loc in account.location_ids]
            rows = [row for loc in wanted for row in self._inventory_rows(kind, loc, base_url, not_for_sale)]
        return dumps({"status": 200, "data": rows})

    def _changed(self) -> None:
        self._version += 1
        self._cache.clear()

    # -- what the control routes change (control.py) ----------------------------------------------

    def has_picture(self, product_id: int) -> bool:
        with self.lock:
            product = self._products.get(product_id)
            return product is not None and bool(product.get("productPictureURL"))

    def set_quantity(self, product_id: int, location_id: str, quantity: int, room_id: str | None = None) -> JSON:
        """Set a product's stock at a location: one room's quantity, or (without ``room_id``) the whole
        quantity, which then sits on the sales floor alone. A product not carried there becomes carried."""
        with self.lock:
            self._product(product_id)
            if location_id not in self.locations:
                raise ApiError(404, f"Location {location_id} not found")
            rooms = dict(self.rooms[location_id])
            if room_id is None:
                new = {self.rooms[location_id][0][0]: quantity}
            elif room_id not in rooms:
                raise ApiError(422, f"roomId {room_id} is not a room of location {location_id}")
            else:
                new = {**self.stock[location_id].get(product_id, {}), room_id: quantity}
            new = {room: count for room, count in new.items() if count > 0}
            self.stock[location_id][product_id] = new
            self._changed()
            return {
                "productId": product_id,
                "locationId": location_id,
                "quantity": sum(new.values()),
                "rooms": [
                    {"roomId": room, "roomName": name, "quantity": new.get(room, 0)}
                    for room, name in self.rooms[location_id]
                ],
            }

    def patch_product(self, product_id: int, changes: JSON) -> JSON:
        """Merge ``changes`` into the product and bump ``productUpdatedAt`` (unless given)."""
        if "productId" in changes and changes["productId"] != product_id:
            raise ApiError(422, "productId cannot be changed")
        for name in ("quantity", "locationId", "locationName"):
            if name in changes:
                raise ApiError(422, f"{name} is per location: use POST /_sandbox/items/{{productId}}/quantity")
        with self.lock:
            old = self._product(product_id)
            new = {**old, **changes, "productId": product_id}
            if "productUpdatedAt" not in changes:
                new["productUpdatedAt"] = later_than_stored(old["productUpdatedAt"])
            self._products[product_id] = new
            self._changed()
            return new

    def delete_product(self, product_id: int) -> None:
        with self.lock:
            self._product(product_id)
            del self._products[product_id]
            for stocked in self.stock.values():
                stocked.pop(product_id, None)
            self._changed()


def _not_for_sale(request: Request, kind: str) -> bool:
    return kind in ANALYTICS_KINDS and flag(
        request.query_params.get("includesNotForSaleQuantity"), "includesNotForSaleQuantity"
    )


def routes(sandbox: Inventory) -> list[VendorRoute]:
    """The per-location routes of every kind, then the global ones."""

    def per_location(kind: str) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            location_id = request.path_params["locationId"]
            sandbox.location(caller(request), location_id)
            base_url = str(request.base_url).rstrip("/")
            not_for_sale = _not_for_sale(request, kind)
            # Serialising a big location takes a while the first time: keep it off the event loop.
            payload = await run_in_threadpool(sandbox.inventory_payload, kind, location_id, base_url, not_for_sale)
            return raw_json(payload)

        return endpoint

    def everywhere(kind: str) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            not_for_sale = _not_for_sale(request, kind)
            base_url = str(request.base_url).rstrip("/")
            payload = await run_in_threadpool(
                sandbox.all_inventory_payload,
                caller(request),
                kind,
                base_url,
                request.query_params.get("locationId"),
                not_for_sale,
            )
            return raw_json(payload)

        return endpoint

    kinds = (*INVENTORY_KINDS, *ANALYTICS_KINDS)
    # The global analytics paths start with a small i, the per-location ones with a capital I (vendor-apis.md §2).
    global_paths = {kind: kind[0].lower() + kind[1:] for kind in kinds}
    location = "/v0/locations/{locationId}"
    return [
        *[route("GET", f"{location}/{kind}", per_location(kind), "api") for kind in kinds],
        *[route("GET", f"/v0/{global_paths[kind]}", everywhere(kind), "api") for kind in kinds],
    ]
