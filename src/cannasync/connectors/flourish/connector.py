"""Flourish as the flows see it: the capability protocols of ``connectors.base`` over the client and mapping."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2

from cannasync.connectors import values
from cannasync.connectors.base import (
    CancelRefused,
    Location,
    MenuPage,
    PlacedOrder,
    PosOrder,
    Postback,
    StatusReport,
    StockMoved,
    Traits,
)
from cannasync.connectors.flourish import mapping
from cannasync.connectors.flourish.client import FlourishClient
from cannasync.connectors.flourish.customers import FlourishCustomers
from cannasync.connectors.flourish.settings import FlourishCredentials, FlourishSettings
from cannasync.connectors.http import ReadLimits, Rejected, VendorHttp, credential_key
from cannasync.domain.catalog import Product
from cannasync.domain.orders import Fulfillment, OrderStatus
from cannasync.domain.sync import MappingError, Quarantined

# A pushed order could have reached Flourish this long before we look for it again.
_LOOKUP_WINDOW = timedelta(days=2)


def _id_or_none(value: Any) -> str | None:
    """The record's id when it is one, else None (the quarantine then names it by its content)."""
    try:
        return values.identifier(value, "id")
    except MappingError:
        return None


class FlourishConnector(FlourishCustomers):  # CustomerDirectory from the mixin
    vendor = "flourish"
    # Holds end when Flourish completes or cancels the order; Flourish refuses a customer without a dob.
    traits = Traits(requires_date_of_birth=True)
    image_lifetime = timedelta(hours=8)

    def __init__(
        self,
        credentials: FlourishCredentials,
        settings: FlourishSettings,
        *,
        transport: httpx2.BaseTransport | None = None,
    ) -> None:
        key = credentials.api_key.get_secret_value()
        self._webhook_key = credentials.webhook_key.get_secret_value().encode() if credentials.webhook_key else None
        self.settings = settings
        self.options = settings.options()
        self._http = VendorHttp(
            "Flourish",
            settings.base_url,
            headers={"x-api-key": key, "Content-Type": "application/json"},
            limiter_key=credential_key(self.vendor, credentials.username, key),
            requests_per_second=settings.requests_per_second,
            timeout=settings.timeout_seconds,
            limits=ReadLimits.from_settings(settings),
            transport=transport,
        )
        self._client = FlourishClient(self._http, settings.facility_id)

    def close(self) -> None:
        self._http.close()

    # ConnectionCheck
    def locations(self) -> list[Location]:
        return [
            Location(
                id=str(facility["id"]),
                name=str(facility.get("facility_name") or facility["id"]),
                detail=str(facility.get("license_number") or ""),
            )
            for facility in self._client.facilities()
        ]

    # InventorySource
    def menu_pages(self) -> Iterator[MenuPage]:
        for page, _cursor in self.menu_pages_from(None):
            yield page

    def menu_pages_from(self, cursor: str | None) -> Iterator[tuple[MenuPage, str | None]]:
        """Resumable by item offset (Flourish pages by offset/limit), for a run that takes over a lost one."""
        for items, next_offset in self._client.listed_item_pages(int(cursor or 0)):
            quarantined: list[Quarantined] = []
            objects: list[Mapping[str, Any]] = []
            for item in items:
                if isinstance(item, Mapping):
                    objects.append(item)
                else:
                    quarantined.append(Quarantined(None, {"record": item}, "the record is not a JSON object"))
            listed = [item for item in objects if mapping.is_listed(item)]
            ids: list[str] = []
            for item in listed:
                try:
                    ids.append(values.identifier(item.get("id"), "id"))
                except MappingError:
                    continue  # quarantined below, by the mapping; its id is not asked for
            quantities = self._client.sellable_quantities(ids)
            products: list[Product] = []
            for item in listed:
                try:
                    item_id = values.identifier(item.get("id"), "id")
                    products.append(
                        mapping.product_from_item(
                            item, quantities.get(item_id, 0), sync_terpenes=self.settings.sync_terpenes
                        )
                    )
                except MappingError as error:
                    quarantined.append(Quarantined(_id_or_none(item.get("id")), item, str(error)))
            page = MenuPage(products, quarantined, skipped=len(objects) - len(listed))
            yield page, None if next_offset is None else str(next_offset)

    # ImageSource
    def images(self, external_id: str) -> tuple[str, ...]:
        return mapping.art_links(self._client.item_art(external_id, self.image_lifetime))

    # OrderSink
    def find_orders(self, reference: str, placed_at: datetime) -> list[PlacedOrder]:
        found = self._client.orders_with_reference(reference, placed_at - _LOOKUP_WINDOW)
        return [mapping.placed_order(order) for order in found]

    def create_order(self, order: PosOrder) -> str:
        return str(self._client.create_order(mapping.order_body(order, self.settings.push_status))["id"])

    # OrderCanceller
    def cancel_order(self, pos_order_id: str) -> str:
        """Only a Created order can be cancelled through the API, as Flourish's own plugin does it
        (flourish-woocommerce-b2c, src/Handlers/HandlerOrdersCancel.php). Orders pushed as Created (the
        ``push_status`` setting) can so be cancelled until staff submit them; orders pushed Submitted, the
        default, end with staff cancelling them in Flourish."""
        order = self._client.order(pos_order_id)
        if order is None:
            return "(not found)"
        status = str(order.get("order_status") or "")
        if status == "Cancelled":
            return status
        if status != "Created":
            raise CancelRefused(f"Flourish order {pos_order_id} is {status}: its API cancels only Created orders")
        try:
            facility_id = str(order.get("facility_id") or self.settings.facility_id or "")
            cancelled = self._client.cancel_order(
                pos_order_id,
                facility_id,
                str(order.get("original_order_id") or ""),
                mapping.timestamp(datetime.now(UTC)),
            )
        except Rejected as error:
            raise CancelRefused(f"Flourish kept order {pos_order_id}: {error}") from error
        return str(cancelled.get("order_status") or "")

    # StatusSource
    def order_status(self, pos_order_id: str, fulfillment: Fulfillment) -> StatusReport:
        order = self._client.order(pos_order_id)
        if order is None:
            return StatusReport(raw="(not found)", status=None)
        raw = str(order.get("order_status") or "")
        return StatusReport(raw=raw, status=mapping.canonical_status(raw, fulfillment))

    # StatusWebhooks: a ``retail_order`` webhook is the whole order after each change (vendor-apis.md §1
    # "Webhooks"); Flourish's own plugin reads ``order_status`` from it (flourish-woocommerce-b2c,
    # src/API/FlourishWebhook.php, handle_retail_order). We know the order by Flourish's ``id`` (our
    # ``pos_order_id``); the plugin goes by ``original_order_id``, its own reference, which we keep too.
    def status_from_webhook(self, payload: Mapping[str, Any]) -> Postback | None:
        if payload.get("resource_type") != "retail_order":
            return None
        data = payload.get("data")
        if not isinstance(data, Mapping):
            raise MappingError("a retail_order webhook without its order in data")
        order_id = values.identifier(data.get("id"), "id")
        status = data.get("order_status")
        if not isinstance(status, str) or not status.strip():
            raise MappingError("a retail_order webhook without its order_status")
        return Postback(pos_order_id=order_id, raw_status=status.strip())

    def status_meaning(self, raw_status: str, fulfillment: Fulfillment) -> OrderStatus | None:
        return mapping.canonical_status(raw_status, fulfillment)

    # SupplierWebhooks: an ``inventory_summary`` webhook says an item's stock changed (vendor-apis.md §1 "Webhooks":
    # ``{resource_type, data}``); any other news of the wholesale bridge makes it run.
    def stock_moved(self, payload: Mapping[str, Any]) -> StockMoved | None:
        data = payload.get("data")
        if payload.get("resource_type") != "inventory_summary" or not isinstance(data, Mapping):
            return None
        item_id = data.get("item_id")
        return StockMoved(str(item_id)) if item_id is not None else None

    # SignedWebhooks: {"resource_type", "data"} with a hex HMAC-SHA256 in ``auth-signature``
    def verify_webhook(self, raw_body: bytes, headers: Mapping[str, str]) -> dict[str, Any]:
        if self._webhook_key is None:
            raise MappingError("no Flourish webhook key is saved for this connection")
        lowered = {name.lower(): value for name, value in headers.items()}
        expected = hmac.new(self._webhook_key, raw_body, hashlib.sha256).hexdigest()
        return values.signed_json(raw_body, lowered.get("auth-signature"), expected, "Flourish")
