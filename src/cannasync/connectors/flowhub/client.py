"""The Flowhub calls cannasync makes: paths, headers and envelopes, nothing else.

Every call carries ``clientId`` and ``key``; Order Ahead calls carry the Order Ahead Client Id as ``clientId``
and the order-ahead token as a bearer. v0 inventory answers a whole location at once (``{status, data}``, no
paging). Flowhub's 429s carry no ``Retry-After``: ``VendorHttp`` backs off with jitter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from cannasync.connectors.http import MalformedAnswer, NotFound, VendorHttp


def _list(key: str) -> Callable[[Any], list[dict[str, Any]]]:
    """The object records of a ``{"<key>": [...]}`` answer; anything else is a MalformedAnswer, never "none"."""

    def read(payload: Any) -> list[dict[str, Any]]:
        found = payload.get(key) if isinstance(payload, Mapping) else None
        if not isinstance(found, list):
            raise MalformedAnswer("Flowhub", f'the answer has no "{key}" list')
        return [dict(record) for record in found if isinstance(record, Mapping)]

    return read


class FlowhubClient:
    def __init__(self, http: VendorHttp, *, order_ahead_client_id: str, order_ahead_token: str) -> None:
        self._http = http
        self._order_ahead = {"clientId": order_ahead_client_id, "Authorization": f"Bearer {order_ahead_token}"}

    def locations(self) -> list[dict[str, Any]]:
        return self._http.get_json("v0/clientsLocations", expect=_list("data"))  # type: ignore[no-any-return]

    def inventory(self, location_id: str, *, by_room: bool) -> Iterator[Any]:
        """The location's items (objects or not: the mapping quarantines what it cannot read), one at a time as
        the (unpaged) ``{status, data: [...]}`` answer streams in; an answer without that list is an error."""
        path = "inventoryByRoomsNonZero" if by_room else "inventory"
        return self._http.stream_items(f"v0/locations/{location_id}/{path}", "data")

    def check_order_ahead(self) -> None:
        """Prove the order-ahead token works: asking for an order that cannot exist must be a 404, not a 401."""
        try:
            self._http.get_json("order-ahead/v0/orderStatus/cannasync-connection-check", headers=self._order_ahead)
        except NotFound:
            return

    def create_order(self, body: Mapping[str, Any]) -> dict[str, Any]:
        return dict(self._http.write_json("POST", "order-ahead/v0/create", body, headers=self._order_ahead))

    def orders_with_reference(self, reference: str, location_id: str) -> list[dict[str, Any]]:
        found = self._http.get_json(
            "order-ahead/v0/orders",
            params={"externalId": reference, "locationId": location_id},
            headers=self._order_ahead,
            expect=_list("orders"),
        )
        return [order for order in found if str(order.get("externalId")) == reference]

    def order_status(self, order_id: str) -> dict[str, Any] | None:
        try:
            return dict(self._http.get_json(f"order-ahead/v0/orderStatus/{order_id}", headers=self._order_ahead))
        except NotFound:
            return None
