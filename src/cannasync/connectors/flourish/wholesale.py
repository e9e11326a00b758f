"""Flourish as the supplier of a wholesale bridge (seed 004): items offered, destinations, outbound orders.

Built from a store's Flourish connection (its credentials and facility), so the bridge and the online store
share one limiter for the credential.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from cannasync.connectors import values
from cannasync.connectors.base import Buyer, SupplierItem, SupplierOrder, WholesaleLine
from cannasync.connectors.flourish import mapping
from cannasync.connectors.flourish.client import FlourishClient
from cannasync.connectors.flourish.settings import FlourishCredentials, FlourishSettings
from cannasync.connectors.http import ReadLimits, Rejected, VendorHttp, credential_key
from cannasync.domain.sync import MappingError
from cannasync.domain.wholesale import WholesaleStatus

#: Flourish outbound order statuses (vendor-apis.md §1, outbound orders: Created, Partially Allocated, Allocated,
#: Shipped, Cancelled; the ``order`` webhook also names Completed) → the bridge's, as seed 004's "Flourish updates
#: LeafLink" table reads them. The rest ask nothing of the marketplace.
STATUSES: dict[str, WholesaleStatus] = {
    "Cancelled": WholesaleStatus.CANCELLED,
    "Partially Allocated": WholesaleStatus.ACCEPTED,
    "Allocated": WholesaleStatus.FULFILLED,
    "Shipped": WholesaleStatus.SHIPPED,
}


def _order(record: Mapping[str, Any], facility_id: str) -> SupplierOrder:
    status = str(record.get("order_status") or "")
    return SupplierOrder(
        id=str(record["id"]),
        reference=values.text(record.get("original_order_id")),
        status=status,
        payment_term=values.text(record.get("payment_term")),
        facility_id=str(record.get("facility_id") or facility_id),
        meaning=STATUSES.get(status),
        destination_id=values.text(record.get("destination_id")),
    )


def _destination(buyer: Buyer) -> dict[str, Any]:
    """The buyer as the plugin's ``destination`` object (HandlerOrdersOutbound.php create_destination_object).

    Flourish knows a destination by its license number, so a buyer without one gets a stable stand-in
    (``LEAFLINK-<buyer id>``): the next order of that buyer finds the same destination instead of a new one.
    """
    return {
        "type": "Dispensary",
        "name": buyer.name,
        "license_number": buyer.license_number or f"LEAFLINK-{buyer.id}",
        "company_email": buyer.email,
        "company_phone_number": buyer.phone,
        "external_id": f"leaflink:{buyer.id}",
    }


def _lines(lines: Sequence[WholesaleLine], skus: Mapping[str, str]) -> list[dict[str, Any]]:
    """Lines as the B2B plugin writes them (HandlerOrdersOutbound.php get_order_lines): the item by its SKU,
    ``order_qty``, ``unit_price`` and the line's whole ``discount_price`` (none: LeafLink's price is the sale
    price). An item Flourish shows no SKU for is named by ``item_id``, which no vendor client is seen to send."""
    body = []
    for line in lines:
        named = {"sku": skus[line.item_id]} if line.item_id in skus else {"item_id": line.item_id}
        body.append(
            {
                **named,
                "order_qty": float(Decimal(line.quantity)),
                "unit_price": float(Decimal(line.unit_price_cents) / 100),
                "discount_price": 0,
            }
        )
    return body


class FlourishSupplier:
    def __init__(self, credentials: FlourishCredentials, settings: FlourishSettings) -> None:
        if not settings.facility_id:
            raise ValueError("the Flourish connection has no facility chosen")
        self.facility_id = settings.facility_id
        key = credentials.api_key.get_secret_value()
        self._http = VendorHttp(
            "Flourish",
            settings.base_url,
            headers={"x-api-key": key, "Content-Type": "application/json"},
            limiter_key=credential_key("flourish", credentials.username, key),
            requests_per_second=settings.requests_per_second,
            timeout=settings.timeout_seconds,
            limits=ReadLimits.from_settings(settings),
        )
        self._client = FlourishClient(self._http, settings.facility_id)

    def close(self) -> None:
        self._http.close()

    def status_meaning(self, raw_status: str) -> WholesaleStatus | None:
        return STATUSES.get(raw_status)

    def offered_items(self) -> Iterator[SupplierItem]:
        """Items enabled for e-commerce (and sellable), with their sellable quantity at the facility."""
        for items, _next in self._client.listed_item_pages():
            listed: list[tuple[str, Mapping[str, Any]]] = []
            for item in items:
                try:  # the store sync quarantines what cannot be read; the bridge offers only what it can
                    if isinstance(item, Mapping) and mapping.is_listed(item):
                        listed.append((values.identifier(item.get("id"), "id"), item))
                except MappingError:
                    continue
            quantities = self._client.sellable_quantities([item_id for item_id, _ in listed])
            for item_id, item in listed:
                try:
                    price = values.cents(item.get("wholesale_price") or item.get("retail_price"), "price")
                    quantity = values.quantity(quantities.get(item_id), "sellable_qty")
                except MappingError:
                    continue  # the store sync quarantines it; the bridge offers only what it can read
                yield SupplierItem(
                    id=item_id,
                    sku=values.text(item.get("sku")),
                    name=values.text(item.get("ecommerce_item_name")) or values.text(item.get("item_name")) or "",
                    brand=values.text(item.get("brand")),
                    description=values.text(item.get("item_description")) or "",
                    quantity=quantity,
                    price_cents=price,
                )

    def _lines(self, lines: Sequence[WholesaleLine]) -> list[dict[str, Any]]:
        return _lines(lines, self._client.skus([line.item_id for line in lines]))

    def sellable(self, item_id: str) -> int:
        return values.quantity(self._client.sellable_quantities([item_id]).get(item_id), "sellable_qty")

    def create_order(
        self,
        reference: str,
        buyer: Buyer,
        facility_id: str,
        lines: Sequence[WholesaleLine],
        payment_term: str | None,
        short_id: str | None,
    ) -> SupplierOrder:
        # The body Flourish's own B2B plugin sends (flourish-woocommerce-b2b, HandlerOrdersSyncNow.php
        # handle_order_outbound): the buyer as a ``destination`` object, which Flourish matches to its
        # destination by license number or makes (no client is seen to POST /destinations), notes as a list of
        # {subject, note, internal_only} and the order's time. ``payment_term`` and ``external_order_number``
        # are this bridge's additions (seed 004): the plugin has no payment terms or LeafLink numbers.
        body: dict[str, Any] = {
            "original_order_id": reference,
            "destination": _destination(buyer),
            "order_lines": self._lines(lines),
            "order_timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
            "payment_term": payment_term,
            "external_order_number": short_id,
            "notes": [
                {"subject": "From LeafLink", "note": f"LeafLink order {short_id or reference}", "internal_only": True}
            ],
        }
        return _order(self._client.create_outbound(facility_id, body), facility_id)

    def find_order(self, reference: str, facility_id: str) -> SupplierOrder | None:
        for record in self._client.outbound_with_reference(facility_id, reference):
            return _order(record, facility_id)
        return None

    def order(self, order_id: str, facility_id: str) -> SupplierOrder | None:
        record = self._client.outbound(facility_id, order_id)
        return _order(record, facility_id) if record else None

    def replace_lines(
        self, order_id: str, facility_id: str, lines: Sequence[WholesaleLine], payment_term: str | None
    ) -> SupplierOrder:
        body: dict[str, Any] = {"order_lines": self._lines(lines)}
        if payment_term is not None:  # an unsupported term is left as Flourish has it
            body["payment_term"] = payment_term
        return _order(self._client.update_outbound(facility_id, order_id, body), facility_id)

    def cancel_order(self, order_id: str, facility_id: str) -> SupplierOrder:
        # As Flourish's own plugins cancel (HandlerOrdersCancel.php, HandlerOrdersSyncNow.php): a PUT setting
        # ``order_status: "Cancelled"``, which they send only while the order is still Created. Flourish refuses
        # a PUT once the warehouse has allocated the order (409); only then the cancel route, which the vendor
        # notes do not mention (the sandbox's choice 28), is tried.
        try:
            record = self._client.update_outbound(facility_id, order_id, {"order_status": "Cancelled"})
        except Rejected as refused:
            if refused.status != 409:
                raise
            record = self._client.cancel_outbound(facility_id, order_id)
        return _order(record, facility_id)
