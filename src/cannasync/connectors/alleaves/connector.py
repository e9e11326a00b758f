"""Alleaves as the flows see it: areas as locations, a menu from the chosen areas, patients, orders, statuses."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from typing import Any

import httpx2

from cannasync.connectors import values
from cannasync.connectors.alleaves import mapping
from cannasync.connectors.alleaves.auth import AlleavesAuth
from cannasync.connectors.alleaves.client import AlleavesClient
from cannasync.connectors.alleaves.settings import AlleavesCredentials, AlleavesSettings
from cannasync.connectors.base import Location, MenuPage, PlacedOrder, PosOrder, StatusReport, Traits
from cannasync.connectors.http import MalformedAnswer, ReadLimits, VendorHttp, credential_key
from cannasync.domain.catalog import Product
from cannasync.domain.customers import CustomerDetails
from cannasync.domain.orders import Fulfillment
from cannasync.domain.sync import MappingError, Quarantined


def _id_or_none(value: Any) -> str | None:
    """The record's id when it is one, else None (the quarantine then names it by its content)."""
    try:
        return values.identifier(value, "item_id")
    except MappingError:
        return None


class AlleavesConnector:
    vendor = "alleaves"
    # Holds end when Alleaves completes or cancels the order; patients need a date of birth; deliveries a window.
    traits = Traits(requires_date_of_birth=True, requires_delivery_window=True, sells_weight_tiers=True)

    def __init__(
        self,
        credentials: AlleavesCredentials,
        settings: AlleavesSettings,
        *,
        transport: httpx2.BaseTransport | None = None,
    ) -> None:
        self.settings = settings
        self.options = settings.options()
        password = credentials.password.get_secret_value()
        key = credential_key(self.vendor, credentials.location_id, credentials.username, password)
        self._http = VendorHttp(
            "Alleaves",
            settings.base_url,
            auth=AlleavesAuth(
                location_id=credentials.location_id, username=credentials.username, password=password, cache_key=key
            ),
            limiter_key=key,
            requests_per_second=settings.requests_per_second,
            timeout=settings.timeout_seconds,
            limits=ReadLimits.from_settings(settings),
            transport=transport,
        )
        self._client = AlleavesClient(self._http)

    def close(self) -> None:
        self._http.close()

    # ConnectionCheck: the places a store chooses from are the location's inventory areas.
    def locations(self) -> list[Location]:
        # The areas all belong to the credential's one location (``GET /api/v1/location``: its ``timezone`` and
        # ``address.state``, sandboxes/alleaves/places.py), which a new store takes as its defaults.
        place = self._client.location()
        address = place.get("address")
        state = str(address.get("state") or "") if isinstance(address, dict) else ""
        return [
            Location(
                id=str(area["area_id"]),
                name=str(area.get("name") or area["area_id"]),
                detail="sellable" if area.get("sellable") else "not sellable",
                sellable=bool(area.get("sellable")),
                timezone=str(place.get("timezone") or ""),
                state=state,
            )
            for area in self._client.areas()
        ]

    # InventorySource
    def menu_pages(self) -> Iterator[MenuPage]:
        for page, _cursor in self.menu_pages_from(None):
            yield page

    def menu_pages_from(self, cursor: str | None) -> Iterator[tuple[MenuPage, str | None]]:
        """Resumable by page number (Alleaves pages by page/per_page), for a run that takes over a lost one."""
        if not self.settings.area_ids:
            raise ValueError("no Alleaves area is chosen yet")
        try:
            threshold = values.quantity(self._client.location().get("low_quantity_threshold"), "threshold")
        except MappingError as error:  # every item's listing depends on it: no guess, the read stops here
            raise MalformedAnswer("Alleaves", f"the location's low_quantity_threshold: {error}") from None
        for items, next_page in self._client.item_pages(self.settings.area_ids, int(cursor or 1)):
            products: list[Product] = []
            quarantined: list[Quarantined] = []
            left_out: Counter[str] = Counter()
            for item in items:
                if not isinstance(item, Mapping):
                    quarantined.append(Quarantined(None, {"record": item}, "the record is not a JSON object"))
                    continue
                try:
                    product, dropped = mapping.product_from_item(
                        item,
                        threshold=threshold,
                        otd_pricing=self.settings.otd_pricing,
                        sync_terpenes=self.settings.sync_terpenes,
                    )
                except MappingError as error:
                    quarantined.append(Quarantined(_id_or_none(item.get("item_id")), item, str(error)))
                    continue
                products.append(product)
                left_out.update(dropped)
            page = MenuPage(products, quarantined, left_out=dict(left_out))
            yield page, None if next_page is None else str(next_page)

    # CustomerDirectory (seed 003: medical id, then phone, then a new profile)
    def _first(self, **query: str) -> str | None:
        found = self._client.patients(**query)
        return str(found[0]["patient_id"]) if found else None

    def find_by_medical_id(self, medical_id: str) -> str | None:
        return self._first(medical_id=medical_id)

    def find_by_phone(self, phone: str) -> str | None:
        return self._first(phone=phone)

    def find_by_email(self, email: str) -> str | None:
        del email  # Alleaves finds patients by medical id or phone only
        return None

    def find_by_name_and_birth_date(self, first_name: str, last_name: str, date_of_birth: date) -> str | None:
        # Our Alleaves wire format (no public spec): the three together, exact, ignoring case; see the sandbox.
        # Matched again here, so a server that ignored a parameter could never hand us another patient.
        wanted = (first_name.strip().lower(), last_name.strip().lower(), date_of_birth.isoformat())
        query = {"first_name": first_name, "last_name": last_name, "date_of_birth": wanted[2]}
        for patient in self._client.patients(**query):
            found = (
                str(patient.get("first_name") or "").strip().lower(),
                str(patient.get("last_name") or "").strip().lower(),
                str(patient.get("date_of_birth") or ""),
            )
            if found == wanted:
                return str(patient["patient_id"])
        return None

    def create_customer(self, details: CustomerDetails, *, needs_id_verification: bool) -> str:
        del needs_id_verification  # Alleaves has no such flag
        # A patient created meanwhile (another order of theirs pushed at the same moment) is a 409
        # duplicate_medical_id, a Rejected: flows/customers.py then looks the shopper up again.
        return str(self._client.create_patient(mapping.patient_body(details))["patient_id"])

    # OrderSink
    def find_orders(self, reference: str, placed_at: datetime) -> list[PlacedOrder]:
        # Alleaves' lookup has no date filter (our wire format); the push checks each order's created_at.
        del placed_at
        return [mapping.placed_order(order) for order in self._client.orders_with_reference(reference)]

    # Not an OrderCanceller: no Alleaves API is public (vendor-apis.md §3) and our wire format has no cancel
    # route; only staff cancel in Alleaves. A cancelled online order whose Alleaves order is live becomes a task
    # for staff (see flows.order_push).
    def create_order(self, order: PosOrder) -> str:
        return str(self._client.create_order(mapping.order_body(order))["order_id"])

    # StatusSource
    def order_status(self, pos_order_id: str, fulfillment: Fulfillment) -> StatusReport:
        order = self._client.order(pos_order_id)
        if order is None:
            return StatusReport(raw="(not found)", status=None)
        raw = str(order.get("status") or "")
        return StatusReport(raw=raw, status=mapping.canonical_status(raw, fulfillment))
