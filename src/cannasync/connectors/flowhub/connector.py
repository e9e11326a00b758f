"""Flowhub as the flows see it: inventory, Order Ahead orders, statuses by poll and by postback."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from itertools import islice
from typing import Any

import httpx2

from cannasync.connectors import values
from cannasync.connectors.base import (
    HoldRelease,
    Location,
    MenuPage,
    Options,
    PlacedOrder,
    PosOrder,
    Postback,
    StatusReport,
    Traits,
)
from cannasync.connectors.flowhub import mapping
from cannasync.connectors.flowhub.client import FlowhubClient
from cannasync.connectors.flowhub.settings import FlowhubCredentials, FlowhubSettings
from cannasync.connectors.http import ReadLimits, VendorHttp, credential_key
from cannasync.domain.catalog import FieldGroup, Product
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
        unsynced = {
            FieldGroup.DESCRIPTION: settings.sync_description,
            FieldGroup.IMAGES: settings.sync_images,
            FieldGroup.PRICES: settings.sync_prices,
            FieldGroup.POTENCY: settings.sync_potency,
            FieldGroup.CATEGORY: settings.sync_category,
        }
        self.options = Options(
            sync_orders=settings.sync_orders,
            store_owned=frozenset(group for group, synced in unsynced.items() if not synced),
        )
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
        self._client = FlowhubClient(
            self._http,
            order_ahead_client_id=credentials.order_ahead_client_id,
            order_ahead_token=credentials.order_ahead_token.get_secret_value(),
        )

    def close(self) -> None:
        self._http.close()

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
                detail=str(location.get("timezone") or ""),
            )
            for location in self._client.locations()
        ]
        if self.settings.sync_orders:
            self._client.check_order_ahead()
        return found

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
        # Flowhub is asked by our reference alone, and its answer names no lines, customer or total (it re-prices
        # from its own menu): the unique reference and the creation time are all the push can compare.
        del placed_at
        return [
            PlacedOrder(
                pos_order_id=str(order["orderId"]),
                reference=str(order.get("externalId")),
                created_at=values.moment(order.get("createdAt"), "createdAt"),
            )
            for order in self._client.orders_with_reference(reference, self._location())
        ]

    # Not an OrderCanceller: Order Ahead's one update route, ``PATCH /orders/{orderId}``, takes the create body
    # again (yerba-buena/flowhub-client-ts, src/resources/order-ahead.ts and src/types/orders.ts:
    # ``UpdateOrderParams extends CreateOrderParams``), which has no status; no public route cancels an order.
    # A cancelled online order whose Flowhub order is live becomes a task for staff (see flows.order_push).
    def create_order(self, order: PosOrder) -> str:
        created = self._client.create_order(mapping.order_body(order, location_id=self._location()))
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
