"""Brands: the company-wide list, and the brand an item names.

Wholesale: brands, sales reps, destinations, outbound orders
------------------------------------------------------------
What the LeafLink ↔ Flourish bridge uses (cannasync issue 6, seed 004):

* ``GET /brands/`` (company, paged, id order) → ``{"id", "brand_name"}``; ``GET /brands/{id}/``. Every
  item's ``brand`` and ``brand_id`` are a pair from this list (choice 20). Items also filter on
  ``brand_id`` (repeatable), beside ``brand_name``.

Choices where Flourish's public notes are silent
------------------------------------------------
Each is a guess kept easy to change; none is confirmed by Flourish.

20. Brands: ids are numeric strings like item ids; the list is company-wide and includes brands with no
    items. An item's ``brand`` is the ``brand_name`` of its ``brand_id``. A staff edit or creation naming
    ``brand`` (case-insensitive) or ``brand_id`` sets both (unknown → 422; both given and disagreeing →
    422). The wholesale items are re-branded after generation (``brand``, ``brand_id``, the SKU's brand
    code and the brand inside ``retail_display_name``/``ecommerce_item_name``), from a random stream of
    their own; that is the only change to the generated catalogue, and it is independent of the number of
    facilities.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cannasync.sandboxes.flourish.base import StateBase
from cannasync.sandboxes.flourish.wire import JSON, V1, ApiError, one, page_response, paging, sandbox_of, window


class BrandsMixin(StateBase):
    """The company-wide brand list, and the brand an item names."""

    def _resolve_brand(self, changes: JSON) -> JSON:
        """Keep ``brand`` and ``brand_id`` consistent with the brand list when a write names either."""
        if "brand" not in changes and "brand_id" not in changes:
            return changes
        by_name = by_id = None
        if "brand" in changes:
            name = changes["brand"]
            by_name = self._brands_by_name.get(name.strip().lower()) if isinstance(name, str) else None
            if by_name is None:
                raise ApiError(422, f"brand {name!r} is not in the brand list")
        if "brand_id" in changes:
            raw = changes["brand_id"]
            by_id = self._brands_by_id.get(str(raw)) if isinstance(raw, str | int) else None
            if by_id is None or isinstance(raw, bool):
                raise ApiError(422, f"brand_id {raw!r} is not in the brand list")
        if by_name is not None and by_id is not None and by_name != by_id:
            raise ApiError(422, f"brand {by_name.name!r} does not have brand_id {by_id.id}")
        brand = by_name or by_id
        assert brand is not None
        return {**changes, "brand": brand.name, "brand_id": brand.id}

    def get_brand(self, brand_id: str) -> JSON:
        brand = self._brands_by_id.get(brand_id)
        if brand is None:
            raise ApiError(404, f"Brand {brand_id} not found")
        return {"id": brand.id, "brand_name": brand.name}


async def brands(request: Request) -> Response:
    offset, limit = paging(request)
    page, more = window(sandbox_of(request).brands, None, offset, limit)
    return page_response(request, page, more, offset, limit)


async def get_brand(request: Request) -> Response:
    return one(sandbox_of(request).get_brand(request.path_params["brand_id"]))


ROUTES = [
    Route(f"{V1}/brands", brands, methods=["GET"]),
    Route(f"{V1}/brands/{{brand_id}}", get_brand, methods=["GET"]),
]
