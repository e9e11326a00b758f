"""The Flourish sandbox as an ASGI app: every route, behind the kit's gateway set as Flourish's works.

* Routes under ``/external/api/v1/...``; order creation at ``/external/api/v2/retail-orders/`` (and at the v1
  path, alike: the sandbox has no discount engine to tell them apart). A trailing
  slash is optional everywhere (both forms are served, never redirected).

Choices where Flourish's public notes are silent
------------------------------------------------
Each is a guess kept easy to change; none is confirmed by Flourish.

12. ``/_sandbox/requests`` counts every request that matched a vendor route, as ``"<METHOD> <template>"``
    with the trailing slash for API routes (``"GET /external/api/v1/items/{item_id}/"``). It includes
    requests answered 401/403/4xx or with an injected fault, and art image downloads; it excludes the
    other control routes.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from starlette.applications import Starlette
from starlette.routing import Route

from cannasync.sandboxes._kit import app as _app
from cannasync.sandboxes._kit.gateway import VendorRoute
from cannasync.sandboxes.flourish import (
    art,
    brands,
    control,
    customers,
    discounts,
    facilities,
    gateway,
    inventory,
    items,
    orders,
    outbound,
    wholesale,
)
from cannasync.sandboxes.flourish.auth import DEFAULT_CREDENTIALS
from cannasync.sandboxes.flourish.state import FlourishSandbox
from cannasync.sandboxes.flourish.webhooks import DEFAULT_WEBHOOK_KEY

#: The vendor's routes (paths without the trailing slash; the gateway strips it), in one table.
VENDOR_ROUTES: tuple[Route, ...] = (
    *facilities.ROUTES,
    *items.ROUTES,
    *art.ROUTES,
    *inventory.ROUTES,
    *customers.ROUTES,
    *discounts.ROUTES,
    *orders.ROUTES,
    *brands.ROUTES,
    *wholesale.ROUTES,
    *outbound.ROUTES,
)


def counted_routes() -> list[VendorRoute]:
    """The routes the gateway counts, keyed ``"<METHOD> <template>"`` with the trailing slash for API routes
    (choice 12), plus the art image links it hands out."""
    counted: list[VendorRoute] = []
    for route in VENDOR_ROUTES:
        (method,) = (route.methods or {"GET"}) - {"HEAD"}
        counted.append(VendorRoute(route, f"{method} {route.path}/"))
    counted.append(VendorRoute(art.IMAGE, f"GET {art.IMAGE.path}"))
    return counted


def create_app(
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
    sandbox: FlourishSandbox | None = None,
) -> Starlette:
    """The Flourish sandbox as an ASGI app; its state is ``app.state.sandbox`` (a ``FlourishSandbox``).

    ``credentials`` maps API key → (username, active). ``facilities=3`` adds Lansing (``"103"``);
    ``sales=30`` seeds that many completed in-store sales over the 60 days before ``as_of`` (default:
    now). ``webhook_url`` (default none) receives webhooks signed with ``webhook_key``; both can be
    changed later through ``POST /_sandbox/webhooks/config``. ``locations=1000`` adds that many generated
    facilities (``"1001"`` upwards; see ``fleet.py``).
    Pass ``sandbox`` to serve an existing state (the other arguments are then ignored).
    """
    state = sandbox or FlourishSandbox(
        items=items,
        seed=seed,
        credentials=credentials,
        customers=customers,
        facilities=facilities,
        sales=sales,
        as_of=as_of,
        webhook_url=webhook_url,
        webhook_key=webhook_key,
        locations=locations,
    )
    counted = counted_routes()
    return _app.build_app(
        state,
        [*(entry.route for entry in counted), *control.routes(state)],
        gateway={
            "routes": counted,
            "counts": state.requests,
            "faults": state.faults,
            "refuse": gateway.refuse,
            "guard": gateway.guard(state),
            "is_api": gateway.is_api,
            # Both forms of every path are served, never redirected; ``meta.next`` keeps the form sent.
            "strip_slash": True,
        },
        http_error=gateway.http_error,
    )


def run(
    host: str,
    port: int,
    items: int,
    seed: int,
    *,
    facilities: int = 2,
    sales: int = 0,
    webhook_url: str | None = None,
    webhook_key: str = DEFAULT_WEBHOOK_KEY,
    locations: int = 0,
    log_level: str = "info",
) -> None:
    """Serve the sandbox with uvicorn until interrupted (used by ``cannasync sandbox flourish``)."""
    app = create_app(
        items=items,
        seed=seed,
        facilities=facilities,
        sales=sales,
        webhook_url=webhook_url,
        webhook_key=webhook_key,
        locations=locations,
    )
    _app.serve(app, host, port, log_level)
