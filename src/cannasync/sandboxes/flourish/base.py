"""What every resource's part of the sandbox's state shares (one lock, the records they read)."""

from __future__ import annotations

import threading
from collections.abc import MutableMapping

from cannasync.sandboxes.flourish.catalog import Brand
from cannasync.sandboxes.flourish.wire import JSON, ApiError


class StateBase:
    """The attributes the resource mixins share, all set by ``FlourishSandbox.__init__``.

    Every public method takes ``lock`` because uvicorn may serve from several threads and tests read the
    state directly. Stored records are never mutated once stored; updates replace the record
    (copy-on-write). So a record returned by a method is a stable snapshot and can be serialised after
    the lock is released, without deep copies.
    """

    lock: threading.Lock
    seed: int
    credentials: dict[str, tuple[str, bool]]
    facilities: dict[str, JSON]
    _items: list[JSON]
    _item_keys: list[int]
    _items_by_id: dict[str, JSON]
    _next_item: int
    #: Facility id → item id → quantities; a generated facility's map is a ``FleetShelf`` (derived rows).
    stock: dict[str, MutableMapping[str, dict[str, int]]]
    art: dict[str, tuple[str, ...]]
    #: Malformed item id → kind of damage (see ``catalog.MALFORMED_KINDS``).
    malformed: dict[str, str]
    _customers: dict[str, JSON]
    _next_customer: int
    _discounts: dict[str, JSON]
    _next_discount: int
    _orders: dict[str, JSON]
    _next_order: int
    #: Item id → wholesale brand name ("Glacier Lake" / "North Coast") for the re-branded items.
    wholesale_items: dict[str, str]
    brands: list[JSON]
    _brands_by_id: dict[str, Brand]
    _brands_by_name: dict[str, Brand]
    _sales_reps: dict[str, JSON]
    _destinations: dict[str, JSON]
    _next_destination: int
    _outbound: dict[str, JSON]
    _next_outbound: int

    def _item(self, item_id: str) -> JSON:
        item = self._items_by_id.get(item_id)
        if item is None:
            raise ApiError(404, f"Item {item_id} not found")
        return item

    def _emit(self, resource_type: str, data: JSON) -> None:
        """Queue a webhook (``webhooks.WebhooksMixin``). Call with ``lock`` held."""
        raise NotImplementedError

    def destination_for_order(self, details: JSON) -> JSON:
        """The destination an outbound order's ``destination`` object names (``wholesale.WholesaleMixin``).
        Call with ``lock`` held."""
        raise NotImplementedError
