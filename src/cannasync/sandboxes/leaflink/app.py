"""The LeafLink sandbox as an ASGI app: every resource's routes behind the kit's gateway with LeafLink's guard.

* Every other GET route of the OpenAPI file (``/companies/``, ``/order-event-logs/``, ``/order-payments/``,
  ``/order-sales-reps/``, ``/batches/``, ``/contacts/``, ``/licenses/``, ``/license-types/``,
  ``/product-categories/``, ``/inventory/items/``, ``/inventory/facilities/``, their ``{id}`` records,
  ``/orders-received/{number}/payments/`` and ``/buyer/orders/``): read-only, built from the records above;
  see ``directory.py``, ``order_lists.py``, ``inventory.py`` and ``buyer_orders.py``. A retailer's key
  (``ll-key-retailer-5005``) gets only ``/buyer/orders/`` (403 elsewhere).

The LeafLink sandbox's read-only lists: every other GET route of LeafLink's OpenAPI file
(``leaflink-marketplace-v2.openapi.yml``), served from the records the sandbox already holds.

Each list is a DRF page (``{"count", "next", "previous", "results"}``, ``limit``/``offset`` as everywhere in the
sandbox) and each record its schema in the file; ``tests/sandboxes/test_leaflink_sandbox.py`` validates every
answer against it. What each record is made of, since LeafLink publishes the shapes but not the data, is in
each list's module.

Ids are stable across reads: derived from the record they come from (the order number's last hex digits, a
product or customer id), never from a position in a list.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from starlette.applications import Starlette
from starlette.routing import Route

from cannasync.sandboxes._kit import app as _app
from cannasync.sandboxes.leaflink import (
    buyer_orders,
    control,
    customers,
    directory,
    inventory,
    line_items,
    order_lists,
    orders,
    products,
)
from cannasync.sandboxes.leaflink.errors import detail
from cannasync.sandboxes.leaflink.gateway import DEFAULT_API_KEYS, count_as, guard, http_error, vendor_routes
from cannasync.sandboxes.leaflink.sandbox import LeafLinkSandbox
from cannasync.sandboxes.leaflink.store import DEFAULT_WEBHOOK_KEY


def _vendor(sandbox: LeafLinkSandbox) -> list[Route]:
    """Every route of LeafLink's API the sandbox serves, under ``/api/v2``."""
    return [
        *products.routes(sandbox),
        *orders.routes(sandbox),
        *line_items.order_line_routes(sandbox),
        *line_items.routes(sandbox),
        *customers.routes(sandbox),
        # Every other GET route of the OpenAPI file, served from the records above.
        *directory.routes(sandbox),
        *order_lists.routes(sandbox),
        *inventory.routes(sandbox),
        *buyer_orders.routes(sandbox),
    ]


def create_app(
    *,
    seed: int = 1,
    products: int = 40,
    api_keys: Mapping[str, int] = DEFAULT_API_KEYS,
    webhook_url: str | None = None,
    webhook_key: str = DEFAULT_WEBHOOK_KEY,
    rate_limit_per_minute: int | None = 300,
    as_of: datetime | None = None,
    sandbox: LeafLinkSandbox | None = None,
) -> Starlette:
    """The LeafLink sandbox as an ASGI app; its state is ``app.state.sandbox`` (a ``LeafLinkSandbox``).

    ``products`` is per seller company; ``api_keys`` maps API key → company id (1 or 2, or a retailer's buyer
    id, which gets only ``/buyer/orders/``); ``webhook_url`` (and ``webhook_key``) apply to both companies;
    ``rate_limit_per_minute`` of None disables the limit;
    ``as_of`` fixes the instant seeded timestamps count back from (default: now). Pass ``sandbox`` to serve
    an existing state (the other arguments are then ignored).
    """
    state = sandbox or LeafLinkSandbox(
        seed=seed,
        products=products,
        api_keys=api_keys,
        webhook_url=webhook_url,
        webhook_key=webhook_key,
        rate_limit_per_minute=rate_limit_per_minute,
        as_of=as_of,
    )
    vendor = _vendor(state)
    return _app.build_app(
        state,
        [*vendor, *control.routes(state)],
        gateway={
            "routes": vendor_routes(vendor),
            "counts": state.requests,
            "faults": state.faults,
            "refuse": lambda status, headers: detail(status, "Injected fault", headers).response(),
            "guard": guard(state),
            "partial_match": True,
            "count_as": count_as,
        },
        http_error=http_error,
    )


def run(host: str, port: int, seed: int, *, products: int = 40, webhook_url: str | None = None) -> None:
    """Serve the sandbox with uvicorn until interrupted (used by ``cannasync sandbox leaflink``)."""
    _app.serve(create_app(seed=seed, products=products, webhook_url=webhook_url), host, port)
