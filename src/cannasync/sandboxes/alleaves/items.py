"""The organisation's items, and each location's stock of them by inventory area (route 3 of the wire format).

3. ``GET /api/v1/items?area_id=<id>&area_id=<id>&updated_since=<ISO>&page=&per_page=`` lists, in ``item_id``
   order, every **active** item with quantity > 0 in at least one of the areas given. ``area_id`` is
   repeatable and required (none → 400 ``area_required``; an area the location does not have → 422
   ``unknown_area`` naming it; repeats collapse). ``updated_since`` (optional) keeps items whose
   ``updated_at`` is at or after it (400 ``invalid_query`` if it is not ISO 8601). An item record:

   * ``item_id`` (``"ITM-000123"``), ``sku``, ``name``, ``brand``, ``category`` (Flower, Pre-Roll, Vaporizer,
     Edible, Concentrate, Tincture, Topical, Accessory), ``subcategory`` (string or null), ``strain_type``
     (``"Indica"``, ``"Sativa"``, ``"Hybrid"``, ``"CBD"`` or null), ``description`` (may be ``""``),
     ``active``, ``updated_at``.
   * ``images``: ``[{"url", "position"}]``, 0 to 4 of them, positions 1..n. The list is **not** always in
     position order: sort by ``position``. Each URL is absolute, on the host the request came in on
     (``http://<host>/_sandbox/images/<item_id>/<n>.png``), and answers a PNG without authentication.
   * ``pricing``: ``{"recreational": <dollars>|null, "medical": <dollars>|null, "otd_price": <dollars>|null,
     "is_tiered": bool, "tiers": [...]}``. ``recreational``/``medical`` are the menu-type prices (null: not
     sold on that menu). ``otd_price`` is the out-the-door price, taxes included, always above
     ``recreational`` (null when the store has not set one). ``tiers`` is present only when ``is_tiered``
     (bulk "deli style" flower): ``[{"label": "1g", "quantity": 1, "unit": "g", "price": 12.0},
     {"label": "3.5g", ...}, {"label": "7g", ...}, {"label": "14g", ...}, {"label": "28g", ...}]``, each
     ``price`` being the price of the whole tier, on the recreational menu; such items have
     ``recreational`` equal to the 1 g price.
   * ``chemical_profile``: ``[{"compound", "kind": "cannabinoid"|"terpene", "value"}]`` as typed by the
     store. ``compound`` is free text: mostly THC, THCA, CBD, CBDA, CBG, CBN and the 16 terpene names of the
     article, but stores also type names that do not match those (``Lemonene``, ``beta myrcene``,
     ``B-Caryophyllene``, ``Myrcene``, ``Valencene``). ``value`` is free text: cannabinoids ``"21.4%"`` or
     ``"10 mg"``; terpenes ``"1.2%"``, ``"1.2 %"``, ``"3 mg"``, ``"3mg"`` or a bare ``"0.8"``.
   * ``quantities``: ``[{"area_id", "quantity"}]``, one per area asked for (0 included), in the location's
     area order; ``quantity_available``: their sum. Quantities are numbers: whole units, or grams (in
     halves) for bulk flower.

   ``GET /api/v1/items/{item_id}`` → ``{"data": item}`` with ``quantities`` for every area of the location
   (or only those given as ``area_id``), ``quantity_available`` being their sum. It also answers inactive
   items (``"active": false``) and items with no stock at the location; an unknown item is a 404.

The generated items, their prices and the malformed ones: ``catalog.py``.

Control routes (no auth; the hub never calls them): ``POST /_sandbox/items/{item_id}/quantity``
``{"area_id", "quantity", "location_id"?}`` (location defaults to ALV-1001; sets one area's quantity, bumps
``updated_at``); ``PATCH /_sandbox/items/{item_id}`` (top-level fields merged, so ``pricing``,
``chemical_profile`` and ``images`` are replaced wholesale; bumps ``updated_at`` unless given);
``DELETE /_sandbox/items/{item_id}``; and ``GET /_sandbox/images/{item_id}/{n}.png`` (the images above,
counted like a vendor route, choice 8 in ``app.py``).

Choice 1 (beyond the facts; easy to change; not confirmed by Alleaves): items are one organisation-wide
catalogue; stock is per location and per area. ``updated_at`` moves on any change to an item, its stock
included (not on a threshold change). An item that leaves a listing (sold out, deactivated, deleted) does
not show up under ``updated_since``: only a full listing shows removals.
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Iterable, Mapping, MutableMapping, Sequence

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cannasync.sandboxes._kit.gateway import CONTROL, VendorRoute
from cannasync.sandboxes._kit.values import iso_ms, number, png
from cannasync.sandboxes.alleaves.auth import session
from cannasync.sandboxes.alleaves.errors import ApiError, invalid
from cannasync.sandboxes.alleaves.locations import LocationState
from cannasync.sandboxes.alleaves.places import MAIN
from cannasync.sandboxes.alleaves.wire import (
    API,
    DEFAULT_PER_PAGE,
    JSON,
    base_url,
    data,
    dumps,
    json_object,
    json_text,
    later,
    pagination,
    paging,
    parse_iso,
    required_str,
    route,
)

#: Location id → item id → area id → quantity (positive quantities only).
Stock = dict[str, MutableMapping[str, dict[str, int | float]]]

#: In serialised items, image URLs are stored as paths; this turns them absolute. (In compact JSON the
#: sequence can only be a ``url`` key with a path value: quotes inside strings are escaped.)
_IMAGE_URL_PATH = '"url":"/_sandbox/'


def _absolute_urls(payload: str, base: str) -> str:
    return payload.replace(_IMAGE_URL_PATH, f'"url":"{base}/_sandbox/')


class ItemState(LocationState):
    """The catalogue and the stock (part of ``AlleavesSandbox``).

    Each item's JSON is serialised once and kept until the item changes; a listing's matching ids are kept per
    (location, areas, updated_since) until anything in the catalogue or stock changes, so paging through a
    large listing is cheap.
    """

    #: Item id → item (without quantities), in item id order.
    _items: dict[str, JSON]
    #: Location id → item id → area id → quantity (positive quantities only). A generated location's map is a
    #: ``fleet.FleetShelf`` (rows derived when read, never stored).
    stock: Stock
    #: Malformed item id → kind of damage (see ``catalog.MALFORMED_KINDS``).
    malformed: dict[str, str]
    _fragments: dict[str, str]
    _listings: dict[tuple[str, tuple[str, ...], str | None], list[str]]

    def _init_items(self, items: Iterable[JSON], stock: Stock, malformed: Mapping[str, str]) -> None:
        self._items = {item["item_id"]: item for item in items}
        self.stock = stock
        self.malformed = dict(malformed)
        self._fragments = {}
        self._listings = {}

    @property
    def malformed_ids(self) -> frozenset[str]:
        return frozenset(self.malformed)

    def items(self) -> list[JSON]:
        """Every item as stored (image URLs are paths; no quantities), in item id order."""
        with self.lock:
            return list(self._items.values())

    def _item(self, item_id: str) -> JSON:
        item = self._items.get(item_id)
        if item is None:
            raise ApiError(404, "not_found", f"Item {item_id} not found")
        return item

    def item(self, item_id: str) -> JSON:
        with self.lock:
            return self._item(item_id)

    def _item_json(self, item_id: str, location_id: str, area_ids: Sequence[str]) -> str:
        """One item as served (image URLs still paths), with the quantities of ``area_ids``."""
        fragment = self._fragments.get(item_id)
        if fragment is None:
            fragment = dumps(self._items[item_id])[:-1]
            self._fragments[item_id] = fragment
        stocked = self.stock[location_id].get(item_id, {})
        counts = [stocked.get(area_id, 0) for area_id in area_ids]
        quantities = [{"area_id": area_id, "quantity": count} for area_id, count in zip(area_ids, counts, strict=True)]
        available = sum(counts)
        return f'{fragment},"quantities":{dumps(quantities)},"quantity_available":{dumps(available)}}}'

    def _listing(self, location_id: str, area_ids: tuple[str, ...], since: str | None) -> list[str]:
        key = (location_id, area_ids, since)
        ids = self._listings.get(key)
        if ids is None:
            stocked = self.stock[location_id]
            ids = []
            for item_id, item in self._items.items():
                if item.get("active") is not True:
                    continue
                areas = stocked.get(item_id)
                if not areas or not any(areas.get(area_id, 0) > 0 for area_id in area_ids):
                    continue
                if since is not None and not str(item.get("updated_at", "")) >= since:
                    continue
                ids.append(item_id)
            if len(self._listings) >= 64:
                self._listings.clear()
            self._listings[key] = ids
        return ids

    def list_items(
        self,
        location_id: str,
        area_ids: Iterable[str],
        page: int = 1,
        per_page: int = DEFAULT_PER_PAGE,
        updated_since: str | None = None,
        base_url: str = "",
    ) -> str:
        """The serialised body of ``GET /api/v1/items`` (``updated_since`` in the stored ``iso_ms`` format)."""
        with self.lock:
            areas = self._check_areas(location_id, area_ids)
            ids = self._listing(location_id, areas, updated_since)
            window = ids[(page - 1) * per_page : page * per_page]
            parts = [self._item_json(item_id, location_id, areas) for item_id in window]
            total = len(ids)
        body = f'{{"data":[{",".join(parts)}],"pagination":{dumps(pagination(page, per_page, total))}}}'
        return _absolute_urls(body, base_url)

    def listed_items(self, location_id: str, area_ids: Iterable[str], base_url: str = "") -> list[JSON]:
        """Every record ``GET /api/v1/items`` serves for these areas (all pages), for tests and the demo."""
        with self.lock:
            areas = self._check_areas(location_id, area_ids)
            ids = self._listing(location_id, areas, None)
            parts = [self._item_json(item_id, location_id, areas) for item_id in ids]
        records: list[JSON] = json.loads(_absolute_urls(f"[{','.join(parts)}]", base_url))
        return records

    def get_item(self, location_id: str, item_id: str, area_ids: Iterable[str] = (), base_url: str = "") -> str:
        """The serialised body of ``GET /api/v1/items/{item_id}``."""
        with self.lock:
            self._item(item_id)
            wanted = list(area_ids)
            areas = self._check_areas(location_id, wanted) if wanted else tuple(self._area_ids(location_id))
            body = f'{{"data":{self._item_json(item_id, location_id, areas)}}}'
        return _absolute_urls(body, base_url)

    def has_image(self, item_id: str, filename: str) -> bool:
        suffix = f"/_sandbox/images/{item_id}/{filename}"
        with self.lock:
            item = self._items.get(item_id)
            images = item.get("images") if item else None
            if not isinstance(images, list):
                return False
            return any(isinstance(image, dict) and str(image.get("url", "")).endswith(suffix) for image in images)

    def _changed(self, item_id: str | None = None) -> None:
        if item_id is not None:
            self._fragments.pop(item_id, None)
        self._listings.clear()

    def set_quantity(self, item_id: str, location_id: str, area_id: str, quantity: int | float) -> JSON:
        """Set one area's quantity of an item at a location; bumps the item's ``updated_at``."""
        with self.lock:
            old = self._item(item_id)
            if location_id not in self.locations:
                raise ApiError(404, "not_found", f"Location {location_id} not found")
            self._check_areas(location_id, [area_id])
            areas = {**self.stock[location_id].get(item_id, {}), area_id: quantity}
            self.stock[location_id][item_id] = {area: count for area, count in areas.items() if count > 0}
            self._items[item_id] = {**old, "updated_at": later(old.get("updated_at"))}
            self._changed(item_id)
            stocked = self.stock[location_id][item_id]
            all_areas = self._area_ids(location_id)
            return {
                "item_id": item_id,
                "location_id": location_id,
                "quantities": [{"area_id": area, "quantity": stocked.get(area, 0)} for area in all_areas],
                "quantity_available": sum(stocked.get(area, 0) for area in all_areas),
            }

    def patch_item(self, item_id: str, changes: JSON) -> JSON:
        """Merge ``changes`` into the item (top-level fields replaced wholesale); bumps ``updated_at``."""
        if "item_id" in changes and changes["item_id"] != item_id:
            raise invalid("item_id cannot be changed")
        for name in ("quantities", "quantity_available"):
            if name in changes:
                raise invalid(f"{name} is per location and area: use POST /_sandbox/items/{{item_id}}/quantity")
        updated_at = None
        if "updated_at" in changes:
            moment = parse_iso(changes["updated_at"])
            if moment is None:
                raise invalid("updated_at must be an ISO 8601 date-time")
            updated_at = iso_ms(moment)
        with self.lock:
            old = self._item(item_id)
            new = {**old, **changes, "item_id": item_id}
            new["updated_at"] = updated_at or later(old.get("updated_at"))
            self._items[item_id] = new
            self._changed(item_id)
            return new

    def delete_item(self, item_id: str) -> None:
        with self.lock:
            self._item(item_id)
            del self._items[item_id]
            for stocked in self.stock.values():
                stocked.pop(item_id, None)
            self._changed(item_id)


# --------------------------------------------------------------------------------------------------
# Endpoints


def _area_params(request: Request) -> list[str]:
    return [value.strip() for value in request.query_params.getlist("area_id") if value.strip()]


def routes(state: ItemState) -> list[VendorRoute]:
    async def list_items(request: Request) -> Response:
        location_id = session(request).location_id
        area_ids = _area_params(request)
        if not area_ids:
            raise ApiError(
                400,
                "area_required",
                "Give at least one area_id (repeatable); GET /api/v1/inventory-areas lists the location's areas",
            )
        page, per_page = paging(request)
        since = request.query_params.get("updated_since")
        since_stamp = None
        if since is not None:
            moment = parse_iso(since)
            if moment is None:
                raise ApiError(400, "invalid_query", f"updated_since must be an ISO 8601 date-time (got {since!r})")
            since_stamp = iso_ms(moment)
        return json_text(state.list_items(location_id, area_ids, page, per_page, since_stamp, base_url(request)))

    async def get_item(request: Request) -> Response:
        location_id = session(request).location_id
        payload = state.get_item(location_id, request.path_params["item_id"], _area_params(request), base_url(request))
        return json_text(payload)

    async def image(request: Request) -> Response:
        item_id: str = request.path_params["item_id"]
        filename: str = request.path_params["filename"]
        if not re.fullmatch(r"[0-9]+\.png", filename) or not state.has_image(item_id, filename):
            raise ApiError(404, "not_found", f"Image {item_id}/{filename} not found")
        shade = zlib.crc32(f"alleaves/{item_id}/{filename}".encode())
        rgb = (shade & 0xFF, (shade >> 8) & 0xFF, (shade >> 16) & 0xFF)
        return Response(png(rgb), media_type="image/png", headers={"Cache-Control": "public, max-age=300"})

    return [
        route("GET", f"{API}/items", list_items),
        route("GET", f"{API}/items/{{item_id}}", get_item),
        route("GET", f"{CONTROL}/images/{{item_id}}/{{filename}}", image, public=True),
    ]


def control(state: ItemState) -> list[Route]:
    async def set_quantity(request: Request) -> Response:
        body = await json_object(request)
        location_id = body.get("location_id", MAIN)
        if not isinstance(location_id, str) or not location_id:
            raise invalid("location_id must be a location id (default ALV-1001)")
        area_id = required_str(body, "area_id")
        quantity = number(body.get("quantity"))
        if quantity is None or quantity < 0:
            raise invalid("quantity must be a number >= 0")
        return data(state.set_quantity(request.path_params["item_id"], location_id, area_id, quantity))

    async def patch_item(request: Request) -> Response:
        changes = await json_object(request)
        return data(state.patch_item(request.path_params["item_id"], changes))

    async def delete_item(request: Request) -> Response:
        state.delete_item(request.path_params["item_id"])
        return Response(status_code=204)

    return [
        Route(f"{CONTROL}/items/{{item_id}}/quantity", set_quantity, methods=["POST"]),
        Route(f"{CONTROL}/items/{{item_id}}", patch_item, methods=["PATCH"]),
        Route(f"{CONTROL}/items/{{item_id}}", delete_item, methods=["DELETE"]),
    ]
