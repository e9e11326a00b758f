"""Flowhub as the flows see it: inventory, Order Ahead orders, statuses by poll and by postback."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import islice
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx2

from cannasync.connectors import values
from cannasync.connectors.base import (
    HoldRelease,
    Location,
    MenuPage,
    PlacedOrder,
    PosOrder,
    Postback,
    Probe,
    ProbeResult,
    StatusReport,
    Traits,
)
from cannasync.connectors.flowhub import mapping
from cannasync.connectors.flowhub.auth import OrderAheadAuth
from cannasync.connectors.flowhub.client import FlowhubClient
from cannasync.connectors.flowhub.settings import FlowhubCredentials, FlowhubSettings
from cannasync.connectors.http import ReadLimits, VendorHttp, credential_key
from cannasync.domain.catalog import Product
from cannasync.domain.orders import Fulfillment, OrderStatus
from cannasync.domain.sync import MappingError, Quarantined

PAGE = 50  # Flowhub answers a location at once; it is parsed as it streams and written a page at a time


def _id_or_none(value: Any) -> str | None:
    """The record's id when it is one, else None (the quarantine then names it by its content)."""
    try:
        return values.identifier(value, "productId")
    except MappingError:
        return None


class FlowhubConnector:
    vendor = "flowhub"
    # Seed 001: once pushed, the order is "fulfilled" in cannasync and Flowhub's own count takes over.
    traits = Traits(
        hold_release=HoldRelease.ON_PUSH,
        requires_medical_id_or_phone=True,
        requires_date_of_birth=True,
        requires_medical_id_expiration=True,
    )

    def __init__(
        self,
        credentials: FlowhubCredentials,
        settings: FlowhubSettings,
        *,
        transport: httpx2.BaseTransport | None = None,
    ) -> None:
        self.settings = settings
        self.options = settings.options()
        key = credentials.api_key.get_secret_value()
        self._http = VendorHttp(
            "Flowhub",
            settings.base_url,
            headers={"clientId": credentials.client_id, "key": key},
            limiter_key=credential_key(self.vendor, credentials.client_id, key),
            requests_per_second=settings.requests_per_second,
            timeout=settings.timeout_seconds,
            limits=ReadLimits.from_settings(settings),
            transport=transport,
        )
        # Order Ahead is its own credential (the Auth0 client of the grant) and takes the bearer alone: a client
        # of its own, with no clientId/key headers to leak into those calls.
        secret = credentials.order_ahead_token.get_secret_value()
        grant_key = credential_key(self.vendor, settings.token_url, credentials.order_ahead_client_id, secret)
        auth = OrderAheadAuth(
            token_url=settings.token_url,
            client_id=credentials.order_ahead_client_id,
            client_secret=secret,
            cache_key=grant_key,
        )
        self._order_ahead_http = VendorHttp(
            "Flowhub",
            settings.base_url,
            auth=auth,
            limiter_key=grant_key,
            requests_per_second=settings.requests_per_second,
            timeout=settings.timeout_seconds,
            limits=ReadLimits.from_settings(settings),
            transport=transport,
        )
        self._client = FlowhubClient(self._http, self._order_ahead_http, auth)
        self._places: dict[str, Mapping[str, Any]] | None = None

    def close(self) -> None:
        self._http.close()
        self._order_ahead_http.close()

    def _location(self) -> str:
        if not self.settings.location_id:
            raise ValueError("no Flowhub location is chosen yet")
        return self.settings.location_id

    # ConnectionCheck
    def locations(self) -> list[Location]:
        found = [
            Location(
                id=str(location["locationId"]),
                name=str(location.get("locationName") or location["locationId"]),
                detail=str(location.get("timeZone") or ""),
                # ``timeZone`` and ``address.state`` (spelled out, "Michigan"): Location in yerba-buena/
                # flowhub-client-ts src/types/locations.ts. A new store takes them as its defaults.
                timezone=str(location.get("timeZone") or ""),
                state=str((location.get("address") or {}).get("state") or "")
                if isinstance(location.get("address"), dict)
                else "",
            )
            for location in self._client.locations()
        ]
        if self.settings.sync_orders:
            self._client.check_order_ahead()
        return found

    # AccountProbes
    def account_probes(self) -> list[Probe]:
        return [Probe("Order Ahead token grant", self._order_ahead_works)]

    def _order_ahead_works(self) -> ProbeResult:
        """A new client-credentials grant, then a read of an order that cannot exist (a 404 with the bearer, not a
        401): the credential pushes would use, proved without creating an order."""
        self._client.check_order_ahead()
        return ProbeResult("a new access token was granted and Order Ahead accepted it (no order was created)")

    # InventorySource
    def menu_pages(self) -> Iterator[MenuPage]:
        room = self.settings.room_id
        items = self._client.inventory(self._location(), by_room=room is not None)
        while page := list(islice(items, PAGE)):
            quarantined: list[Quarantined] = []
            objects: list[Mapping[str, Any]] = []
            for item in page:
                if isinstance(item, Mapping):
                    objects.append(item)
                else:
                    quarantined.append(Quarantined(None, {"record": item}, "the record is not a JSON object"))
            wanted = [
                item
                for item in objects
                if mapping.is_wanted(item, room_id=room, purchase_category=self.settings.purchase_category)
            ]
            products: list[Product] = []
            for item in wanted:
                try:
                    products.append(
                        mapping.product_from_item(
                            item,
                            map_custom_category=self.settings.map_custom_category_to_subcategory,
                            sync_terpenes=self.settings.sync_terpenes,
                        )
                    )
                except MappingError as error:
                    quarantined.append(Quarantined(_id_or_none(item.get("productId")), item, str(error)))
            yield MenuPage(products, quarantined, skipped=len(objects) - len(wanted))

    # OrderSink
    def find_orders(self, reference: str, placed_at: datetime) -> list[PlacedOrder]:
        # Flowhub keeps no reference of ours: the documented create body has none at the order's level (only the
        # customer's ``externalId``), and the documented Sale has no field that would carry one
        # (vendor-apis.md §2 "Order Ahead" and "Sales"; yerba-buena/flowhub-client-ts src/types/orders.ts
        # ``CreateOrderParams`` and src/types/orders-api.ts ``Sale``, derived from Flowhub's orders-api.yaml).
        # So every Order Ahead sale of the location since the store-local day before the order was placed is a
        # candidate, with what the documented Sale tells of it (lines, customer, creation time); the push takes
        # one for ours only when all of that is ours (flows.order_push._not_ours).
        place = self._place()
        zone = _zone(place.get("timeZone"))
        first_day = placed_at.astimezone(zone).date() - timedelta(days=1)
        import_id = str(place.get("importId") or self._location())
        return [
            PlacedOrder(
                pos_order_id=str(sale["orderId"]),
                reference=None,
                created_at=values.moment(sale.get("createdAt"), "createdAt"),
                quantities=_quantities(sale.get("itemsInCart")),
                customer_pos_id=values.text(sale.get("customerId")),
                customer_name=values.text(sale.get("fullName") or sale.get("name")),
            )
            for sale in self._client.sales_since(import_id, first_day)
            if sale.get("orderId")
        ]

    def _place(self) -> Mapping[str, Any]:
        """The chosen location as ``clientsLocations`` lists it (its ``importId`` and ``timeZone``), read once."""
        if self._places is None:
            self._places = {str(place.get("locationId")): place for place in self._client.locations()}
        return self._places.get(self._location(), {})

    # Not an OrderCanceller: Order Ahead's one update route, ``PATCH /orders/{orderId}``, takes the create body
    # again (yerba-buena/flowhub-client-ts, src/resources/order-ahead.ts and src/types/orders.ts:
    # ``UpdateOrderParams extends CreateOrderParams``), which has no status; no public route cancels an order.
    # A cancelled online order whose Flowhub order is live becomes a task for staff (see flows.order_push).
    def create_order(self, order: PosOrder) -> str:
        self._location()  # the location comes with the Order Ahead credential; a store still chooses one first
        created = self._client.create_order(mapping.order_body(order))
        return str(created["orderId"])

    # StatusSource
    def order_status(self, pos_order_id: str, fulfillment: Fulfillment) -> StatusReport:
        answer = self._client.order_status(pos_order_id)
        if answer is None:
            return StatusReport(raw="(not found)", status=None)
        raw = str(answer.get("status") or "")
        return StatusReport(raw=raw, status=mapping.canonical_status(raw, fulfillment))

    # StatusPostbacks
    def parse_postback(self, body: Any) -> Postback:
        return mapping.postback(body)

    def status_meaning(self, raw_status: str, fulfillment: Fulfillment) -> OrderStatus | None:
        return mapping.canonical_status(raw_status, fulfillment)


def _zone(name: object) -> ZoneInfo:
    try:
        return ZoneInfo(str(name)) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _quantities(lines: Any) -> dict[str, Decimal] | None:
    """Product id → quantity of a sale's ``itemsInCart``; None when it says nothing we can compare."""
    if not isinstance(lines, list) or not lines:
        return None
    found: dict[str, Decimal] = {}
    for line in lines:
        quantity = line.get("quantity") if isinstance(line, dict) else None
        if not isinstance(quantity, int | float) or isinstance(quantity, bool) or quantity != int(quantity):
            return None
        key = str(line.get("productId"))
        found[key] = found.get(key, Decimal(0)) + int(quantity)
    return found
