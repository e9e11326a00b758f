"""The Flowhub calls cannasync makes: paths, headers and envelopes, nothing else.

Every call carries ``clientId`` and ``key``; Order Ahead calls carry the Order Ahead Client Id as ``clientId``
and the order-ahead token as a bearer. v0 inventory answers a whole location at once (``{status, data}``, no
paging). Flowhub's 429s carry no ``Retry-After``: ``VendorHttp`` backs off with jitter.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from cannasync.connectors.http import NotFound, VendorHttp


class FlowhubClient:
    def __init__(self, http: VendorHttp, *, order_ahead_client_id: str, order_ahead_token: str) -> None:
        self._http = http
        self._order_ahead = {"clientId": order_ahead_client_id, "Authorization": f"Bearer {order_ahead_token}"}

    def locations(self) -> list[dict[str, Any]]:
        return list(self._http.get_json("v0/clientsLocations").get("data") or [])

    def inventory(self, location_id: str, *, by_room: bool) -> Iterator[dict[str, Any]]:
        """The location's items, one at a time as the (unpaged) answer streams in."""
        path = "inventoryByRoomsNonZero" if by_room else "inventory"
        return self._http.stream_items(f"v0/locations/{location_id}/{path}", "data.item")

    def check_order_ahead(self) -> None:
        """Prove the order-ahead token works: asking for an order that cannot exist must be a 404, not a 401."""
        try:
            self._http.get_json("order-ahead/v0/orderStatus/cannasync-connection-check", headers=self._order_ahead)
        except NotFound:
            return

    def create_order(self, body: Mapping[str, Any]) -> dict[str, Any]:
        return dict(self._http.write_json("POST", "order-ahead/v0/create", body, headers=self._order_ahead))

    def orders_with_reference(self, reference: str, location_id: str) -> list[dict[str, Any]]:
        payload = self._http.get_json(
            "order-ahead/v0/orders",
            params={"externalId": reference, "locationId": location_id},
            headers=self._order_ahead,
        )
        return [order for order in payload.get("orders") or [] if str(order.get("externalId")) == reference]

    def order_status(self, order_id: str) -> dict[str, Any] | None:
        try:
            return dict(self._http.get_json(f"order-ahead/v0/orderStatus/{order_id}", headers=self._order_ahead))
        except NotFound:
            return None
