"""The Alleaves sandbox's in-memory state: one object made of each resource's part."""

from __future__ import annotations

import threading
from collections.abc import Iterable

from cannasync.sandboxes._kit.faults import Faults
from cannasync.sandboxes._kit.gateway import RequestCounts
from cannasync.sandboxes.alleaves.auth import DEFAULT_ACCOUNTS, Account
from cannasync.sandboxes.alleaves.catalog import generate_catalogue
from cannasync.sandboxes.alleaves.fleet import fleet, fleet_areas, fleet_location
from cannasync.sandboxes.alleaves.guard import AccessState
from cannasync.sandboxes.alleaves.orders import OrderState


class AlleavesSandbox(AccessState, OrderState):
    """The sandbox's in-memory state: catalogue, stock by area, patients, orders, tokens, faults and counters.

    Every public method takes ``lock`` because uvicorn may serve from several threads and tests read the
    state directly. Stored records are never mutated once stored; updates replace the record
    (copy-on-write), so a record handed out is a stable snapshot. Each resource's module holds its part:
    ``auth.TokenState`` and ``guard.AccessState`` (users, tokens, the rate limit), ``locations.LocationState``,
    ``items.ItemState``, ``patients.PatientState`` and ``orders.OrderState``.
    """

    def __init__(
        self,
        *,
        items: int = 200,
        seed: int = 1,
        token_ttl_seconds: float = 3600,
        rate_limit_per_minute: int | None = 600,
        accounts: Iterable[Account] = DEFAULT_ACCOUNTS,
        patients: int = 20,
        locations: int = 0,
    ) -> None:
        if token_ttl_seconds <= 0:
            raise ValueError("token_ttl_seconds must be > 0")
        if locations < 0:
            raise ValueError("locations must be >= 0")
        self.lock = threading.Lock()
        self.seed = seed
        catalogue = generate_catalogue(items, seed)
        generated = [fleet_location(index) for index in range(locations)]
        fleet_ids = tuple(location["location_id"] for location in generated)
        self._init_locations(
            [*catalogue.locations, *generated],
            {**catalogue.areas, **{location_id: fleet_areas() for location_id in fleet_ids}},
        )
        self._init_tokens(accounts, token_ttl_seconds, self.locations, fleet_ids)
        self._init_items(
            catalogue.items,
            {**catalogue.stock, **fleet(seed, locations, catalogue.items, catalogue.malformed)},
            catalogue.malformed,
        )
        self._init_patients(seed, patients)
        self._init_orders()
        self._init_rate_limit(rate_limit_per_minute)
        self.faults = Faults()
        self.requests = RequestCounts()
