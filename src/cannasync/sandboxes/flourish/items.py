"""Items: the catalogue as the API lists it, and staff's edits.

* ``GET /items/`` filters on ``item_id`` and ``sku`` (both repeatable) besides the flags, names and times of
  choice 2.

Choices where Flourish's public notes are silent
------------------------------------------------
Each is a guess kept easy to change; none is confirmed by Flourish.

2. Item filters: ``active``, ``ecommerce_active``, ``sellable``, ``is_medical`` take ``true``/``false``
   (anything else → 400); ``item_id`` (repeatable) compares exactly; ``sku``, ``item_category``,
   ``item_name``, ``retail_display_name``, ``inventory_type``, ``uom``, ``strain_name``,
   ``strain_type_name`` (and its documented twin ``item_strain_type_name``), ``ecommerce_item_name``,
   ``ecommerce_category_name``, ``ecommerce_sub_category_name`` and ``brand_name`` (all repeatable) compare
   case-insensitively and exactly; the documented ``item_class``, ``strain_required`` and ``is_external``
   name fields the sandbox's items do not carry, so they are ignored like unknown parameters;
   ``last_updated_timestamp_start``/``_end`` are inclusive; a date alone means midnight UTC. Unknown
   query parameters are ignored, on every route.
26. ``POST /_sandbox/items``: ``item_name``, a brand and ``retail_price`` (number >= 0) are required;
    the flags must be booleans; other item fields may be given and are stored as sent; defaults are
    active, ``ecommerce_active``, sellable, not medical, ``uom`` ``ea``, no lab data, ``price`` =
    ``retail_price``, SKU ``<brand code>-<category code>-<id>`` (a SKU already in use → 422). Ids continue
    after the highest item id ever generated or created, never reused. ``stock`` quantities must be
    integers >= 0 at known facilities (404 otherwise).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Mapping

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cannasync.sandboxes._kit.values import iso_ms, now, number
from cannasync.sandboxes.flourish.brands import BrandsMixin
from cannasync.sandboxes.flourish.catalog import new_item
from cannasync.sandboxes.flourish.inventory import inventory_event
from cannasync.sandboxes.flourish.wire import (
    JSON,
    V1,
    ApiError,
    all_of,
    bool_param,
    field_is,
    one,
    page_response,
    paging,
    sandbox_of,
    stamp_after,
    time_param,
    window,
)


class ItemsMixin(BrandsMixin):
    """The items, id order, and the writes staff make to them."""

    @property
    def malformed_ids(self) -> frozenset[str]:
        return frozenset(self.malformed)

    def items(self) -> list[JSON]:
        """All items, id order (a new list of the stored snapshots)."""
        with self.lock:
            return list(self._items)

    def list_items(self, predicate: Callable[[JSON], bool] | None, offset: int, limit: int) -> tuple[list[JSON], bool]:
        with self.lock:
            return window(self._items, predicate, offset, limit)

    def get_item(self, item_id: str) -> JSON:
        with self.lock:
            return self._item(item_id)

    def patch_item(self, item_id: str, changes: JSON) -> JSON:
        """Merge ``changes`` into the item and bump ``last_updated_timestamp`` (unless given).

        ``brand``/``brand_id`` are resolved against the brand list (either one sets both). An ``item``
        webhook fires with the new record.
        """
        if "id" in changes and str(changes["id"]) != item_id:
            raise ApiError(422, "id cannot be changed")
        changes = self._resolve_brand(changes)
        with self.lock:
            old = self._item(item_id)
            new = {**old, **changes, "id": item_id}
            if "last_updated_timestamp" not in changes:
                new["last_updated_timestamp"] = stamp_after(old["last_updated_timestamp"])
            index = bisect.bisect_left(self._item_keys, int(item_id))
            self._items[index] = new
            self._items_by_id[item_id] = new
            self._emit("item", new)
            return new

    def create_item(self, fields: JSON, stock: Mapping[str, int]) -> JSON:
        """A new item (the control route ``POST /_sandbox/items``), with optional stock per facility.

        Fires an ``item`` webhook, then an ``inventory_summary`` one per facility stocked.
        """
        fields = self._resolve_brand(fields)
        with self.lock:
            for facility_id in stock:
                if facility_id not in self.facilities:
                    raise ApiError(404, f"Facility {facility_id} not found")
            sku = fields.get("sku")
            clash = next((item["id"] for item in self._items if sku is not None and item["sku"] == sku), None)
            if clash is not None:
                raise ApiError(422, f"sku {sku} is already used by item {clash}")
            item_id = str(self._next_item)
            self._next_item += 1
            brand = self._brands_by_id[fields["brand_id"]]
            item = new_item(item_id, brand, fields, iso_ms(now()))
            self._items.append(item)
            self._item_keys.append(int(item_id))
            self._items_by_id[item_id] = item
            self._emit("item", item)
            for facility_id, sellable_qty in stock.items():
                row = {"sellable_qty": sellable_qty, "available_qty": sellable_qty, "non_available_qty": 0}
                self.stock[facility_id][item_id] = row
                self._emit("inventory_summary", inventory_event(item, facility_id, row))
            return item

    def delete_item(self, item_id: str) -> None:
        with self.lock:
            self._item(item_id)
            index = bisect.bisect_left(self._item_keys, int(item_id))
            del self._items[index]
            del self._item_keys[index]
            del self._items_by_id[item_id]
            self.art.pop(item_id, None)
            for stocked in self.stock.values():
                stocked.pop(item_id, None)


#: ``GET /items/`` name filters → the item field each compares (choice 2 and "Items" above).
_ITEM_NAME_FILTERS: tuple[tuple[str, str], ...] = (
    ("item_category", "item_category"),
    ("item_name", "item_name"),
    ("retail_display_name", "retail_display_name"),
    ("inventory_type", "inventory_type"),
    ("uom", "uom"),
    ("strain_name", "strain_name"),
    ("strain_type_name", "strain_type_name"),
    ("item_strain_type_name", "strain_type_name"),
    ("ecommerce_item_name", "ecommerce_item_name"),
    ("ecommerce_category_name", "ecommerce_category_name"),
    ("ecommerce_sub_category_name", "ecommerce_sub_category_name"),
)


def _one_of_ci(field: str, wanted: set[str]) -> Callable[[JSON], bool]:
    """The field's value, lower-cased, is one of ``wanted`` (already lower-cased)."""
    return lambda record: str(record.get(field) or "").lower() in wanted


def _item_predicate(request: Request) -> Callable[[JSON], bool] | None:
    checks: list[Callable[[JSON], bool]] = []
    for flag in ("active", "ecommerce_active", "sellable", "is_medical"):
        value = bool_param(request, flag)
        if value is not None:
            checks.append(field_is(flag, value))
    # ``item_id`` and ``sku`` are documented filters ("[string]": repeatable) and the vendor's plugin relies on
    # them: ``GET /items?item_id=<id>`` to fetch one item on a webhook and ``GET /items?item_id=..`` or
    # ``?sku=..`` to check that an item exists before ordering it (flourishsoftware/flourish-woocommerce-b2c,
    # src/API/FlourishAPI.php fetch_product_by_id, flourish_item_exists). Ids compare exactly; SKUs
    # case-insensitively, like the other names (choice 2).
    item_ids = {value.strip() for value in request.query_params.getlist("item_id") if value.strip()}
    if item_ids:
        checks.append(lambda item: str(item.get("id")) in item_ids)
    skus = {value.strip().lower() for value in request.query_params.getlist("sku") if value.strip()}
    if skus:
        checks.append(lambda item: str(item.get("sku") or "").lower() in skus)
    # The documented name filters on fields the items carry (vendor-apis.md §1 "Items", from the Postman
    # collection): exact, case-insensitive, repeatable. ``item_strain_type_name`` and ``strain_type_name`` are
    # both documented and both read the item's ``strain_type_name``.
    for param, field in _ITEM_NAME_FILTERS:
        wanted = {value.strip().lower() for value in request.query_params.getlist(param) if value.strip()}
        if wanted:
            checks.append(_one_of_ci(field, wanted))
    brands = {name.strip().lower() for name in request.query_params.getlist("brand_name")}
    if brands:
        checks.append(lambda item: str(item.get("brand") or "").lower() in brands)
    brand_ids = {value.strip() for value in request.query_params.getlist("brand_id")}
    if brand_ids:
        checks.append(lambda item: str(item.get("brand_id")) in brand_ids)
    start = time_param(request, "last_updated_timestamp_start")
    if start:
        checks.append(lambda item: item["last_updated_timestamp"] >= start)
    end = time_param(request, "last_updated_timestamp_end")
    if end:
        checks.append(lambda item: item["last_updated_timestamp"] <= end)
    return all_of(checks)


_ITEM_FLAGS: tuple[str, ...] = ("active", "ecommerce_active", "sellable", "is_medical")
_ITEM_READ_ONLY = frozenset({"id", "created_timestamp", "last_updated_timestamp", "stock"})


def parse_new_item(body: JSON) -> tuple[JSON, dict[str, int]]:
    """Validate a ``POST /_sandbox/items`` body into (item fields, sellable quantity per facility)."""
    name = body.get("item_name")
    if not isinstance(name, str) or not name.strip():
        raise ApiError(422, "item_name is required")
    if body.get("brand") is None and body.get("brand_id") is None:
        raise ApiError(422, "brand (or brand_id) is required")
    price = number(body.get("retail_price"))
    if price is None or price < 0:
        raise ApiError(422, "retail_price must be a number >= 0")
    for flag in _ITEM_FLAGS:
        if flag in body and not isinstance(body[flag], bool):
            raise ApiError(422, f"{flag} must be a boolean")
    for text in ("sku", "item_category", "uom"):
        if body.get(text) is not None and not isinstance(body[text], str):
            raise ApiError(422, f"{text} must be a string")
    raw_stock = body.get("stock") or {}
    if not isinstance(raw_stock, dict):
        raise ApiError(422, "stock must be an object of facility id -> sellable_qty")
    stock: dict[str, int] = {}
    for facility_id, quantity in raw_stock.items():
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 0:
            raise ApiError(422, f"stock.{facility_id} must be an integer >= 0")
        stock[str(facility_id)] = quantity
    fields = {key: value for key, value in body.items() if key not in _ITEM_READ_ONLY and value is not None}
    fields["item_name"] = name.strip()
    return fields, stock


async def list_items(request: Request) -> Response:
    offset, limit = paging(request)
    page, more = sandbox_of(request).list_items(_item_predicate(request), offset, limit)
    return page_response(request, page, more, offset, limit)


async def get_item(request: Request) -> Response:
    return one(sandbox_of(request).get_item(request.path_params["item_id"]))


ROUTES = [
    Route(f"{V1}/items", list_items, methods=["GET"]),
    Route(f"{V1}/items/{{item_id}}", get_item, methods=["GET"]),
]
