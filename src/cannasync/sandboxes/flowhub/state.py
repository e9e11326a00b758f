"""The Flowhub sandbox's in-memory state, put together from its parts (one module per resource).

``FlowhubSandbox`` is one object with one lock; each part (a base class) brings the records of one resource and
what the endpoints and the tests do with them: ``locations.Locations``, ``auth.Access``,
``inventory.Inventory``, ``customers.Customers``, ``orders.Orders`` (with ``postbacks.Postbacks``) and
``sales.Sales``. The injected faults and request counts are the sandbox kit's (``faults``, ``requests``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from cannasync.sandboxes._kit import faults as _faults
from cannasync.sandboxes._kit.gateway import RequestCounts
from cannasync.sandboxes.flowhub.accounts import DEFAULT_CREDENTIALS, Account
from cannasync.sandboxes.flowhub.auth import Access
from cannasync.sandboxes.flowhub.catalog import generate_catalogue
from cannasync.sandboxes.flowhub.customer_data import generate_customers
from cannasync.sandboxes.flowhub.customers import Customers
from cannasync.sandboxes.flowhub.fleet import fleet, fleet_location
from cannasync.sandboxes.flowhub.oauth import DEFAULT_TTL
from cannasync.sandboxes.flowhub.sales import Sales


class FlowhubSandbox(Access, Sales, Customers):
    """The sandbox's in-memory state: catalogue, stock by room, customers, orders, faults and counters.

    Every public method takes ``lock`` because uvicorn may serve from several threads and tests read the
    state directly. Stored records are never mutated once stored; updates replace the record
    (copy-on-write), so a record handed out is a stable snapshot that can be serialised after the lock is
    released. Inventory responses are serialised once per (route, location, base URL) and cached until
    the catalogue or stock changes.
    """

    def __init__(
        self,
        *,
        items: int = 200,
        seed: int = 1,
        credentials: Iterable[Account] = DEFAULT_CREDENTIALS,
        customers: int = 20,
        rate_limit_rps: float | None = 59.0,
        locations: int = 0,
        token_ttl: float = DEFAULT_TTL,
    ) -> None:
        if locations < 0:
            raise ValueError("locations must be >= 0")
        self.lock = threading.Lock()
        self.seed = seed
        catalogue = generate_catalogue(items, seed)
        generated = [fleet_location(index) for index in range(locations)]
        self._init_locations(
            [*catalogue.locations, *generated], [location["locationId"] for location in generated], credentials
        )
        self._init_inventory(catalogue, fleet(seed, locations, catalogue.products, catalogue.malformed))
        self._init_access(rate_limit_rps, token_ttl)
        self._init_customers(generate_customers(seed, customers))
        self._init_sales(seed, catalogue.stock, list(self._customers.values()))
        self._init_orders()
        self.faults = _faults.Faults()
        self.requests = RequestCounts()
