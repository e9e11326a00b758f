"""The LeafLink Marketplace v2 calls the bridge makes: trailing slashes, ``App`` auth, ``{count, next, results}``."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from cannasync.connectors.http import MalformedAnswer, NotFound, PageGuard, VendorHttp

PAGE = 100
VENDOR = "LeafLink"


def _page(payload: Any) -> tuple[list[Any], Any]:
    """A page's results and its ``next`` link, from ``{count, next, previous, results}`` (vendor-apis.md §4).

    Anything else is a MalformedAnswer: an empty or odd answer must never end a read as if it were the last page.
    """
    results = payload.get("results") if isinstance(payload, Mapping) else None
    if not isinstance(results, list):
        raise MalformedAnswer(VENDOR, 'the answer has no "results" list')
    following = payload.get("next")
    if following is not None and not isinstance(following, str):
        raise MalformedAnswer(VENDOR, "the answer's next is not a link")
    return results, following or None


def _lines(payload: Any) -> list[Any]:
    if not isinstance(payload, list):
        raise MalformedAnswer(VENDOR, "an order's line items are not a list")
    return payload


class LeafLinkClient:
    def __init__(self, http: VendorHttp) -> None:
        self._http = http

    def _pages(self, path: str, params: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        """Every object record of a paged list (these reads have no quarantine: a record that is not an object
        names nothing they could use). The read ends when ``next`` is null; past ``max_pages``, or when ``next``
        points at a page already read or a page repeats the one before, it is an EndlessRead."""
        guard = PageGuard(VENDOR, self._http.limits.max_pages)
        offset = 0
        while True:
            results, following = self._http.get_json(
                path, params={**params, "limit": PAGE, "offset": offset}, expect=_page
            )
            guard.page(results)
            yield from (dict(record) for record in results if isinstance(record, Mapping))
            offset += len(results)
            if following is None or not results:
                return
            guard.cursor(following)

    def brands(self) -> list[dict[str, Any]]:
        return list(self._pages("brands/", {}))

    def products(self) -> Iterator[dict[str, Any]]:
        """The account's products, a page at a time as they are taken."""
        return self._pages("products/", {})

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
        lines = self._http.get_json(f"orders-received/{number}/line-items/", expect=_lines)
        return [dict(line) for line in lines if isinstance(line, Mapping)]

    def transition(self, number: str, action: str) -> dict[str, Any]:
        return dict(self._http.write_json("POST", f"orders-received/{number}/transition/{action}/", {}))

    def update_order(self, number: str, body: Mapping[str, Any]) -> dict[str, Any]:
        return dict(self._http.write_json("PATCH", f"orders-received/{number}/", body))

    def customer(self, customer_id: str) -> dict[str, Any] | None:
        try:
            return dict(self._http.get_json(f"customers/{customer_id}/"))
        except NotFound:
            return None
