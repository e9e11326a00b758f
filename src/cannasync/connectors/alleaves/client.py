"""The Alleaves calls cannasync makes (our own wire format; see ``cannasync.sandboxes.alleaves``)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from cannasync.connectors.http import NotFound, VendorHttp

PER_PAGE = 100


class AlleavesClient:
    def __init__(self, http: VendorHttp) -> None:
        self._http = http

    def location(self) -> dict[str, Any]:
        return dict(self._http.get_json("api/v1/location")["data"])

    def areas(self) -> list[dict[str, Any]]:
        return list(self._http.get_json("api/v1/inventory-areas")["data"])

    def _pages(self, path: str, params: Sequence[tuple[str, Any]]) -> Iterator[list[dict[str, Any]]]:
        for records, _next in self._pages_from(path, params, 1):
            yield records

    def _pages_from(
        self, path: str, params: Sequence[tuple[str, Any]], page: int
    ) -> Iterator[tuple[list[dict[str, Any]], int | None]]:
        """Pages from page number ``page``, each with the page number that follows it (None after the last)."""
        while True:
            payload = self._http.get_json(path, params=[*params, ("page", page), ("per_page", PER_PAGE)])
            records = list(payload.get("data") or [])
            paging = payload.get("pagination") or {}
            last = not records or page >= int(paging.get("total_pages") or page)
            if records:
                yield records, None if last else page + 1
            if last:
                return
            page += 1

    def item_pages(self, area_ids: Sequence[str], page: int = 1) -> Iterator[tuple[list[dict[str, Any]], int | None]]:
        return self._pages_from("api/v1/items", [("area_id", area) for area in area_ids], page)

    def patients(self, **query: str) -> list[dict[str, Any]]:
        return list(self._http.get_json("api/v1/patients", params={**query, "per_page": 10}).get("data") or [])

    def create_patient(self, body: Mapping[str, Any]) -> dict[str, Any]:
        return dict(self._http.write_json("POST", "api/v1/patients", body)["data"])

    def create_order(self, body: Mapping[str, Any]) -> dict[str, Any]:
        return dict(self._http.write_json("POST", "api/v1/orders", body)["data"])

    def orders_with_reference(self, reference: str) -> list[dict[str, Any]]:
        found = [record for page in self._pages("api/v1/orders", [("external_id", reference)]) for record in page]
        return [order for order in found if str(order.get("external_id")) == reference]

    def order(self, order_id: str) -> dict[str, Any] | None:
        try:
            return dict(self._http.get_json(f"api/v1/orders/{order_id}")["data"])
        except NotFound:
            return None
