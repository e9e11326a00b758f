"""The Flowhub calls cannasync makes: paths, headers and envelopes, nothing else.

Two ways in, as Flowhub's public client has them (yerba-buena/flowhub-client-ts src/auth.ts): the v0/v1 API
takes the ``clientId`` and ``key`` headers; Order Ahead takes ``Authorization: Bearer <access token>`` and
nothing else (see ``auth``). v0 inventory answers a whole location at once (``{status, data}``, no paging); v1
lists answer ``{total, orders}`` a page at a time. Flowhub's 429s carry no ``Retry-After``: ``VendorHttp`` backs
off with jitter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import date
from typing import Any

from cannasync.connectors.flowhub.auth import OrderAheadAuth
from cannasync.connectors.http import MalformedAnswer, NotFound, VendorHttp


def _list(key: str) -> Callable[[Any], list[dict[str, Any]]]:
    """The object records of a ``{"<key>": [...]}`` answer; anything else is a MalformedAnswer, never "none"."""

    def read(payload: Any) -> list[dict[str, Any]]:
        found = payload.get(key) if isinstance(payload, Mapping) else None
        if not isinstance(found, list):
            raise MalformedAnswer("Flowhub", f'the answer has no "{key}" list')
        return [dict(record) for record in found if isinstance(record, Mapping)]

    return read


def _sales_page(payload: Any) -> tuple[list[dict[str, Any]], int]:
    """A v1 list page: its ``orders`` and the ``total`` across pages; anything else is a MalformedAnswer."""
    orders = _list("orders")(payload)
    total = payload.get("total")
    if not isinstance(total, int) or isinstance(total, bool) or total < 0:
        raise MalformedAnswer("Flowhub", 'the sales list has no whole "total"')
    return orders, total


#: Sales asked per page of a v1 list while looking for an order (a day or two of one store's sales).
SALES_PAGE = 500
#: A lookup reads two days of one store's sales: a list that runs longer than this is not ending.
MAX_SALES_PAGES = 200


class FlowhubClient:
    def __init__(self, api: VendorHttp, order_ahead: VendorHttp, auth: OrderAheadAuth) -> None:
        self._api = api
        self._order_ahead = order_ahead
        self._auth = auth

    def locations(self) -> list[dict[str, Any]]:
        return self._api.get_json("v0/clientsLocations", expect=_list("data"))  # type: ignore[no-any-return]

    def inventory(self, location_id: str, *, by_room: bool) -> Iterator[Any]:
        """The location's items (objects or not: the mapping quarantines what it cannot read), one at a time as
        the (unpaged) ``{status, data: [...]}`` answer streams in; an answer without that list is an error."""
        path = "inventoryByRoomsNonZero" if by_room else "inventory"
        return self._api.stream_items(f"v0/locations/{location_id}/{path}", "data")

    def sales_since(self, import_id: str, first_day: date) -> Iterator[dict[str, Any]]:
        """The location's sales created on ``first_day`` (store-local) or later, oldest first, page by page.

        ``GET /v1/orders/findByLocationId/{importId}`` with ``created_after`` as YYYY-MM-DD (a timestamp is
        refused) and ``page``/``page_size`` (vendor-apis.md §2, flowhub-client-ts src/resources/orders.ts).
        """
        page, seen = 1, 0
        while True:
            if page > MAX_SALES_PAGES:
                raise MalformedAnswer("Flowhub", f"the sales list ran past {MAX_SALES_PAGES} pages")
            orders, total = self._api.get_json(
                f"v1/orders/findByLocationId/{import_id}",
                params={
                    "created_after": first_day.isoformat(),
                    "page": page,
                    "page_size": SALES_PAGE,
                    "order_by": "asc",
                },
                expect=_sales_page,
            )
            yield from orders
            seen += len(orders)
            if not orders or seen >= total:
                return
            page += 1

    def check_order_ahead(self) -> None:
        """Prove the Order Ahead grant works now: a new token, then an order that cannot exist must be a 404."""
        self._auth.forget()
        try:
            self._order_ahead.get_json("order-ahead/v0/orderStatus/cannasync-connection-check")
        except NotFound:
            return

    def create_order(self, body: Mapping[str, Any]) -> dict[str, Any]:
        if not self._auth.fresh():
            # Grant first, inside a read (``GET /authTest`` takes the bearer too: flowhub-client-ts order-ahead.ts):
            # a grant that times out inside the create itself would make the create's outcome look unknown.
            self._order_ahead.get("authTest")
        return dict(self._order_ahead.write_json("POST", "order-ahead/v0/create", body))

    def order_status(self, order_id: str) -> dict[str, Any] | None:
        try:
            return dict(self._order_ahead.get_json(f"order-ahead/v0/orderStatus/{order_id}"))
        except NotFound:
            return None
