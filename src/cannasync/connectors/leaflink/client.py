"""The LeafLink Marketplace v2 calls the bridge makes: trailing slashes, ``App`` auth, ``{count, next, results}``."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from cannasync.connectors.http import NotFound, VendorHttp

PAGE = 100


class LeafLinkClient:
    def __init__(self, http: VendorHttp) -> None:
        self._http = http

    def _pages(self, path: str, params: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        offset = 0
        while True:
            payload = self._http.get_json(path, params={**params, "limit": PAGE, "offset": offset})
            results = list(payload.get("results") or [])
            yield from results
            offset += len(results)
            if not payload.get("next") or not results:
                return

    def brands(self) -> list[dict[str, Any]]:
        return list(self._pages("brands/", {}))

    def products_with_sku(self, sku: str) -> list[dict[str, Any]]:
        return [p for p in self._pages("products/", {"sku": sku}) if p.get("sku") == sku]

    def create_product(self, body: Mapping[str, Any]) -> dict[str, Any]:
        return dict(self._http.write_json("POST", "products/", body))

    def update_product(self, product_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        return dict(self._http.write_json("PATCH", f"products/{product_id}/", body))

    def orders_modified_since(self, since: datetime | None) -> Iterator[dict[str, Any]]:
        params: dict[str, Any] = {"include_children": "line_items"}
        if since is not None:
            params["modified__gte"] = since.isoformat()
        return self._pages("orders-received/", params)

    def order(self, number: str) -> dict[str, Any] | None:
        try:
            return dict(self._http.get_json(f"orders-received/{number}/", params={"include_children": "line_items"}))
        except NotFound:
            return None

    def order_lines(self, number: str) -> list[dict[str, Any]]:
        """An order's lines: this route answers a bare array, not the paged envelope."""
        return list(self._http.get_json(f"orders-received/{number}/line-items/") or [])

    def transition(self, number: str, action: str) -> dict[str, Any]:
        return dict(self._http.write_json("POST", f"orders-received/{number}/transition/{action}/", {}))

    def update_order(self, number: str, body: Mapping[str, Any]) -> dict[str, Any]:
        return dict(self._http.write_json("PATCH", f"orders-received/{number}/", body))

    def customer(self, customer_id: str) -> dict[str, Any] | None:
        try:
            return dict(self._http.get_json(f"customers/{customer_id}/"))
        except NotFound:
            return None
