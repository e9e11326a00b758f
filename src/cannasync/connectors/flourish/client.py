"""The Flourish calls cannasync makes, and nothing else: paths, headers, paging envelopes.

Auth is ``x-api-key`` (the Basic ``username:key`` scheme is deprecated); facility-scoped calls carry a
``FacilityID`` header. Lists page with ``offset``/``limit`` (at most 50) in ``{"data": [...], "meta": {"next"}}``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from cannasync.connectors.http import MalformedAnswer, NotFound, VendorHttp, offset_pages, offset_pages_from

PAGE_SIZE = 50  # Flourish serves at most 50 records a page
VENDOR = "Flourish"


def _data(payload: Any) -> list[Any]:
    """The ``data`` list of a ``{"data": [...], ...}`` answer (vendor-apis.md §1, "Paging").

    Anything else (``{}``, ``{"error": …}``, ``"data": null``, a bare list) is not that envelope: an error of
    the read, never an empty page, or a catalogue read would end early and hide everything after it.
    """
    if not isinstance(payload, Mapping):
        raise MalformedAnswer(VENDOR, f"the answer is a JSON {type(payload).__name__}, not an object with data")
    data = payload.get("data")
    if not isinstance(data, list):
        what = "no data" if data is None else f"data that is a {type(data).__name__}, not a list"
        raise MalformedAnswer(VENDOR, f"the answer has {what}")
    return data


def _page(payload: Any) -> tuple[list[Any], bool]:
    """A page's records (objects or not: the mapping quarantines what it cannot read) and whether more follow.

    The plugin pages while ``meta.next`` is non-empty, or, without it, while a page is full (vendor-apis.md §1).
    """
    records = _data(payload)
    meta = payload.get("meta")
    if meta is not None and not isinstance(meta, Mapping):
        raise MalformedAnswer(VENDOR, "the answer's meta is not an object")
    more = bool(meta.get("next")) if isinstance(meta, Mapping) and "next" in meta else len(records) == PAGE_SIZE
    return records, more


class FlourishClient:
    def __init__(self, http: VendorHttp, facility_id: str | None) -> None:
        self._http = http
        self._facility_id = facility_id

    def _facility(self) -> dict[str, str]:
        if not self._facility_id:
            raise ValueError("no Flourish facility is chosen yet")
        return {"FacilityID": self._facility_id}

    def _pages(
        self, path: str, params: Mapping[str, Any], headers: Mapping[str, str] | None = None
    ) -> Iterator[list[dict[str, Any]]]:
        """Every page's records that are objects: these reads (facilities, orders, customers) have no quarantine,
        and a record that is not an object names nothing they could use."""

        def fetch(offset: int, limit: int) -> tuple[list[Any], bool]:
            query = [*params.items(), ("offset", offset), ("limit", limit)]
            return self._http.get_json(path, params=query, headers=headers, expect=_page)  # type: ignore[no-any-return]

        for page in offset_pages(fetch, limit=PAGE_SIZE, max_pages=self._http.limits.max_pages, vendor=VENDOR):
            yield [dict(record) for record in page if isinstance(record, Mapping)]

    def facilities(self) -> list[dict[str, Any]]:
        return [record for page in self._pages("v1/facilities/", {}) for record in page]

    def listed_item_pages(self, start: int = 0) -> Iterator[tuple[list[Any], int | None]]:
        """Items active for e-commerce and sellable, as the vendor's own plugin asks for them, from offset
        ``start``; each page with the offset that resumes after it (None after the last)."""
        params = {"active": "true", "ecommerce_active": "true", "sellable": "true"}

        def fetch(offset: int, limit: int) -> tuple[list[Any], bool]:
            query = [*params.items(), ("offset", offset), ("limit", limit)]
            return self._http.get_json("v1/items/", params=query, expect=_page)  # type: ignore[no-any-return]

        return offset_pages_from(
            fetch, limit=PAGE_SIZE, start=start, max_pages=self._http.limits.max_pages, vendor=VENDOR
        )

    def summaries(self, item_ids: Sequence[str]) -> dict[str, Mapping[str, Any]]:
        """The facility's ``inventory/summary`` row (``item_id``, ``sku``, ``sellable_qty``) by item id, for up to
        50 items. A row we cannot read is left out: its item gets no quantity (0 on the menu, never an invented
        stock) and no SKU."""
        if not item_ids:
            return {}
        params = [("item_id", item_id) for item_id in item_ids]
        rows = self._http.get_json("v1/inventory/summary/", params=params, headers=self._facility(), expect=_data)
        return {
            str(row["item_id"]): row
            for row in rows
            if isinstance(row, Mapping) and isinstance(row.get("item_id"), str | int)
        }

    def sellable_quantities(self, item_ids: Sequence[str]) -> dict[str, Any]:
        """``sellable_qty`` by item id, for up to 50 items at the chosen facility."""
        return {item_id: row.get("sellable_qty") for item_id, row in self.summaries(item_ids).items()}

    def skus(self, item_ids: Sequence[str]) -> dict[str, str]:
        """The SKU of each item that has one, read from the summary 50 items at a time."""
        unique = list(dict.fromkeys(item_ids))
        found: dict[str, str] = {}
        for start in range(0, len(unique), PAGE_SIZE):
            for item_id, row in self.summaries(unique[start : start + PAGE_SIZE]).items():
                sku = row.get("sku")
                if isinstance(sku, str) and sku.strip():
                    found[item_id] = sku
        return found

    def item_art(self, item_id: str, lifetime: timedelta) -> dict[str, Any] | None:
        hours = max(1, int(lifetime.total_seconds() // 3600))
        payload = self._http.get_json(f"v1/items/{item_id}/art/", params={"expire": f"{hours}h"})
        art = payload.get("data") if isinstance(payload, Mapping) else None
        return dict(art) if isinstance(art, Mapping) else None  # no art (204) or none we can read: no images

    def customers_changed(self, since: datetime | None) -> Iterator[list[dict[str, Any]]]:
        """Customers in the order they last changed, from ``since`` on (inclusive)."""
        params: dict[str, Any] = {"order_by": "last_updated_timestamp"}
        if since is not None:
            params["last_updated_timestamp_start"] = since.isoformat()
        return self._pages("v1/customers/", params)

    def completed_sales(self, since: datetime | None) -> Iterator[list[dict[str, Any]]]:
        """The company's completed retail orders (no FacilityID: every facility), from ``since`` on."""
        params: dict[str, Any] = {"order_status": "Completed"}
        if since is not None:
            params["completed_timestamp_start"] = since.isoformat()
        return self._pages("v1/retail-orders/", params)

    def discount(self, facility_id: str, discount_id: str) -> dict[str, Any] | None:
        try:
            payload = self._http.get_json(f"v1/retail-discounts/{discount_id}/", headers={"FacilityID": facility_id})
        except NotFound:
            return None
        return dict(payload["data"])

    # --- wholesale ---
    def destinations(self, **filters: str) -> list[dict[str, Any]]:
        return [record for page in self._pages("v1/destinations/", filters) for record in page]

    def create_destination(self, body: Mapping[str, Any]) -> dict[str, Any]:
        return dict(self._http.write_json("POST", "v1/destinations/", body)["data"])

    def create_outbound(self, facility_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        payload = self._http.write_json("POST", "v1/outbound-orders/", body, headers={"FacilityID": facility_id})
        return dict(payload["data"])

    def update_outbound(self, facility_id: str, order_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        payload = self._http.write_json(
            "PUT", f"v1/outbound-orders/{order_id}/", body, headers={"FacilityID": facility_id}
        )
        return dict(payload["data"])

    def cancel_outbound(self, facility_id: str, order_id: str) -> dict[str, Any]:
        payload = self._http.write_json(
            "POST", f"v1/outbound-orders/{order_id}/cancel/", {}, headers={"FacilityID": facility_id}
        )
        return dict(payload["data"])

    def outbound(self, facility_id: str, order_id: str) -> dict[str, Any] | None:
        try:
            payload = self._http.get_json(f"v1/outbound-orders/{order_id}/", headers={"FacilityID": facility_id})
        except NotFound:
            return None
        return dict(payload["data"])

    def outbound_with_reference(self, facility_id: str, reference: str) -> list[dict[str, Any]]:
        found = self._pages("v1/outbound-orders/", {"original_order_id": reference}, {"FacilityID": facility_id})
        return [order for page in found for order in page if order.get("original_order_id") == reference]

    def customers(self, **filters: str) -> list[dict[str, Any]]:
        found = self._http.get_json("v1/customers/", params={**filters, "limit": PAGE_SIZE}, expect=_data)
        return [dict(customer) for customer in found if isinstance(customer, Mapping)]

    def create_customer(self, body: Mapping[str, Any]) -> dict[str, Any]:
        payload = self._http.write_json("POST", "v1/customers/", body)
        return dict(payload["data"])

    def create_order(self, body: Mapping[str, Any]) -> dict[str, Any]:
        payload = self._http.write_json("POST", "v2/retail-orders/", body, headers=self._facility())
        return dict(payload["data"])

    def orders_with_reference(self, reference: str, since: datetime) -> Iterator[dict[str, Any]]:
        """Orders created since ``since`` whose ``original_order_id`` is ours.

        The filter is matched again here: if Flourish ignored ``original_order_id``, we must not take
        somebody else's order for ours.
        """
        params = {"original_order_id": reference, "created_timestamp_start": since.isoformat()}
        for page in self._pages("v1/retail-orders/", params, self._facility()):
            yield from (order for order in page if str(order.get("original_order_id")) == reference)

    def cancel_order(self, order_id: str, facility_id: str, reference: str, timestamp: str) -> dict[str, Any]:
        """Cancel a Created order as Flourish's own plugin does: a PUT carrying only the reference, a timestamp
        and ``order_status: Cancelled`` (flourishsoftware/flourish-woocommerce-b2c,
        src/Handlers/HandlerOrdersCancel.php, ``update_retail_order`` in src/API/FlourishAPI.php), with the
        FacilityID of the order's own facility (a PUT is facility-scoped)."""
        body = {"original_order_id": reference, "order_timestamp": timestamp, "order_status": "Cancelled"}
        headers = {"FacilityID": facility_id}
        payload = self._http.write_json("PUT", f"v1/retail-orders/{order_id}/", body, headers=headers)
        return dict(payload["data"])

    def order(self, order_id: str) -> dict[str, Any] | None:
        """One retail order, wherever it is: read with the API key alone, as the vendor's plugin does
        (src/API/FlourishAPI.php ``get_order_by_id``), so a store that later picks another facility still
        follows the orders it pushed before."""
        try:
            payload = self._http.get_json(f"v1/retail-orders/{order_id}/")
        except NotFound:
            return None
        return dict(payload["data"])
