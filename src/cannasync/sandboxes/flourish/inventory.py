"""Stock: the inventory summary per facility.

Choices where Flourish's public notes are silent
------------------------------------------------
Each is a guess kept easy to change; none is confirmed by Flourish.

4. Inventory summary: the 50-id cap counts ``item_id`` parameters as sent (repeats included); rows
   are ordered by item id, repeated ids collapse, unknown ids are skipped silently; without ``item_id``
   it lists every item stocked at the facility (zero rows included).
   ``available_qty`` equals ``sellable_qty``; orders never change stock (only the control route does).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cannasync.sandboxes.flourish.base import StateBase
from cannasync.sandboxes.flourish.wire import (
    JSON,
    V1,
    ApiError,
    facility_of,
    numeric_key,
    page_response,
    paging,
    sandbox_of,
    window,
)

MAX_SUMMARY_IDS = 50


class InventoryMixin(StateBase):
    """Each facility's quantities of each item."""

    def inventory_summary(
        self, facility_id: str, item_ids: Sequence[str] | None, offset: int, limit: int
    ) -> tuple[list[JSON], bool]:
        with self.lock:
            stocked = self.stock[facility_id]
            if item_ids is None:
                items, more = window(self._items, lambda item: item["id"] in stocked, offset, limit)
            else:
                wanted = sorted({item_id for item_id in item_ids if item_id in self._items_by_id}, key=numeric_key)
                items = [self._items_by_id[item_id] for item_id in wanted[offset : offset + limit]]
                more = len(wanted) > offset + limit
            rows = []
            for item in items:
                quantities = stocked.get(item["id"], {})
                rows.append(
                    {
                        "item_id": item["id"],
                        "sku": item["sku"],
                        "item_name": item["item_name"],
                        "sellable_qty": quantities.get("sellable_qty", 0),
                        "available_qty": quantities.get("available_qty", 0),
                        "non_available_qty": quantities.get("non_available_qty", 0),
                    }
                )
            return rows, more

    def set_quantity(self, item_id: str, facility_id: str, sellable_qty: int, available_qty: int | None = None) -> JSON:
        """Set an item's stock at a facility; an ``inventory_summary`` webhook fires if ``sellable_qty`` changed."""
        with self.lock:
            item = self._item(item_id)
            if facility_id not in self.facilities:
                raise ApiError(404, f"Facility {facility_id} not found")
            current = self.stock[facility_id].get(item_id)
            row = {
                "sellable_qty": sellable_qty,
                "available_qty": sellable_qty if available_qty is None else available_qty,
                "non_available_qty": current["non_available_qty"] if current else 0,
            }
            self.stock[facility_id][item_id] = row
            if current is None or current["sellable_qty"] != sellable_qty:
                self._emit("inventory_summary", inventory_event(item, facility_id, row))
            return {"item_id": item_id, "facility_id": facility_id, **row}


def inventory_event(item: JSON, facility_id: str, row: Mapping[str, int]) -> JSON:
    """The ``data`` of an ``inventory_summary`` webhook."""
    return {
        "item_id": item["id"],
        "sku": item["sku"],
        "brand": item.get("brand"),
        "item_name": item.get("item_name"),
        "facility_id": facility_id,
        "sellable_qty": row["sellable_qty"],
        "available_qty": row["available_qty"],
        "non_available_qty": row["non_available_qty"],
    }


async def inventory_summary(request: Request) -> Response:
    facility_id = facility_of(request)
    offset, limit = paging(request)
    ids = [value.strip() for value in request.query_params.getlist("item_id") if value.strip()]
    if len(ids) > MAX_SUMMARY_IDS:
        raise ApiError(400, f"At most {MAX_SUMMARY_IDS} item_id values are allowed per request")
    rows, more = sandbox_of(request).inventory_summary(facility_id, ids or None, offset, limit)
    return page_response(request, rows, more, offset, limit)


ROUTES = [Route(f"{V1}/inventory/summary", inventory_summary, methods=["GET"])]
