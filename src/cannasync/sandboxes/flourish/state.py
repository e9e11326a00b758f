"""The Flourish sandbox's state: one object made of each resource's part, seeded in a fixed order."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import UTC, datetime

from cannasync.sandboxes._kit.gateway import RequestCounts
from cannasync.sandboxes._kit.values import now
from cannasync.sandboxes.flourish.art import ArtMixin
from cannasync.sandboxes.flourish.auth import DEFAULT_CREDENTIALS, AuthMixin
from cannasync.sandboxes.flourish.catalog import ALL_BRANDS, brand_records, generate_catalogue
from cannasync.sandboxes.flourish.customers import CustomersMixin
from cannasync.sandboxes.flourish.discounts import DiscountsMixin
from cannasync.sandboxes.flourish.facilities import FacilitiesMixin
from cannasync.sandboxes.flourish.fleet import fleet, fleet_facility
from cannasync.sandboxes.flourish.gateway import SlashFaults
from cannasync.sandboxes.flourish.inventory import InventoryMixin
from cannasync.sandboxes.flourish.items import ItemsMixin
from cannasync.sandboxes.flourish.orders import OrdersMixin
from cannasync.sandboxes.flourish.outbound import OutboundMixin
from cannasync.sandboxes.flourish.sales import SalesMixin, seeded_sale
from cannasync.sandboxes.flourish.seeds import (
    FIRST_DESTINATION_ID,
    generate_customers,
    generate_destinations,
    generate_discounts,
    generate_sales,
    generate_sales_reps,
)
from cannasync.sandboxes.flourish.webhooks import DEFAULT_WEBHOOK_KEY, WebhooksMixin
from cannasync.sandboxes.flourish.wholesale import WholesaleMixin


class FlourishSandbox(
    AuthMixin,
    FacilitiesMixin,
    ItemsMixin,
    ArtMixin,
    InventoryMixin,
    CustomersMixin,
    DiscountsMixin,
    OrdersMixin,
    SalesMixin,
    WholesaleMixin,
    OutboundMixin,
    WebhooksMixin,
):
    """The sandbox's in-memory state: catalogue, stock, customers, retail discounts, orders (API-created
    orders and in-store sales), the wholesale side (brands, sales reps, destinations, outbound orders),
    outgoing webhooks, faults and request counts.

    Each resource's methods live in its module (``items.ItemsMixin`` …); what they share, and the locking and
    copy-on-write rules they all keep, is ``base.StateBase``.
    """

    def __init__(
        self,
        *,
        items: int = 200,
        seed: int = 1,
        credentials: Mapping[str, tuple[str, bool]] = DEFAULT_CREDENTIALS,
        customers: int = 20,
        facilities: int = 2,
        sales: int = 0,
        as_of: datetime | None = None,
        webhook_url: str | None = None,
        webhook_key: str = DEFAULT_WEBHOOK_KEY,
        locations: int = 0,
    ) -> None:
        if locations < 0:
            raise ValueError("locations must be >= 0")
        self.lock = threading.Lock()
        self.seed = seed
        self._start_webhooks()
        #: The instant the seeded sales history is counted back from (creation time unless given; naive = UTC).
        moment = as_of or now()
        self.as_of = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
        self.credentials = dict(credentials)
        catalogue = generate_catalogue(items, seed, facilities)
        self.facilities = {facility["id"]: facility for facility in catalogue.facilities}
        self._items = catalogue.items
        self._item_keys = [int(item["id"]) for item in self._items]
        self._items_by_id = {item["id"]: item for item in self._items}
        self.stock = dict(catalogue.stock)
        self.art = catalogue.art
        self.malformed = dict(catalogue.malformed)
        self._customers = {c["id"]: c for c in generate_customers(seed, customers, tuple(self.facilities))}
        self._next_customer = 70001 + len(self._customers)
        self._discounts = {d["id"]: d for d in generate_discounts(tuple(self.facilities))}
        self._next_discount = max((int(d) for d in self._discounts), default=500) + 1
        self._orders = {}
        self._next_order = 1
        self.faults = SlashFaults()
        self.requests = RequestCounts()
        history = generate_sales(
            seed,
            sales,
            as_of=self.as_of,
            items=self._items,
            stock=self.stock,
            malformed=self.malformed,
            customers=list(self._customers.values()),
            discounts=list(self._discounts.values()),
        )
        for sale in history:
            self._record_sale(seeded_sale(sale, self._discounts))

        # Wholesale (issue 6): brands, sales reps, destinations, outbound orders.
        self.wholesale_items = dict(catalogue.wholesale)
        self.brands = brand_records()
        self._brands_by_id = {brand.id: brand for brand in ALL_BRANDS}
        self._brands_by_name = {brand.name.lower(): brand for brand in ALL_BRANDS}
        self._sales_reps = {rep["id"]: rep for rep in generate_sales_reps(tuple(self.facilities))}
        self._destinations = {d["id"]: d for d in generate_destinations()}
        self._next_destination = FIRST_DESTINATION_ID + len(self._destinations)
        self._outbound = {}
        self._next_outbound = 1
        self._next_item = max(self._item_keys, default=10000) + 1

        # Generated facilities come after everything seeded over the well-known ones (customers, discounts,
        # sales, reps), so that those are the same with or without them.
        self.stock.update(fleet(seed, locations, catalogue.items, catalogue.malformed))
        self.facilities.update((record["id"], record) for record in map(fleet_facility, range(locations)))

        # Webhooks are switched on last, so that seeding never fires any.
        self.configure_webhooks(webhook_url, webhook_key)
