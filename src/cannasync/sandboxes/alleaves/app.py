"""The Alleaves sandbox as an ASGI app: every resource's routes behind the kit's gateway with Alleaves' guard.

Choice 8 (beyond the facts; easy to change; not confirmed by Alleaves): ``/_sandbox/requests`` counts every
request that matched a vendor route, as ``"<METHOD> <template>"`` (``"GET /api/v1/items/{item_id}"``),
including those answered 401/403/429/4xx or with an injected fault, and image downloads; it excludes the
other control routes.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.applications import Starlette
from starlette.routing import Route

from cannasync.sandboxes._kit import app as _app
from cannasync.sandboxes._kit.gateway import VendorRoute
from cannasync.sandboxes.alleaves import auth as _auth
from cannasync.sandboxes.alleaves import control as _control
from cannasync.sandboxes.alleaves import guard as _guard
from cannasync.sandboxes.alleaves import items as _items
from cannasync.sandboxes.alleaves import locations as _locations
from cannasync.sandboxes.alleaves import orders as _orders
from cannasync.sandboxes.alleaves import patients as _patients
from cannasync.sandboxes.alleaves.auth import DEFAULT_ACCOUNTS, Account
from cannasync.sandboxes.alleaves.errors import http_error, refuse
from cannasync.sandboxes.alleaves.state import AlleavesSandbox


def vendor_routes(state: AlleavesSandbox) -> list[VendorRoute]:
    """Every Alleaves route, each counted under its key and guarded as it says."""
    return [
        *_auth.routes(state),
        *_locations.routes(state),
        *_items.routes(state),
        *_patients.routes(state),
        *_orders.routes(state),
    ]


def control_routes(state: AlleavesSandbox) -> list[Route]:
    """The ``/_sandbox/...`` routes (never faulted, authenticated or rate-limited)."""
    return [
        *_control.routes(state.faults, state.requests),
        *_items.control(state),
        *_locations.control(state),
        *_orders.control(state),
        *_patients.control(state),
        *_auth.control(state),
        *_guard.control(state),
    ]


def create_app(
    *,
    items: int = 200,
    seed: int = 1,
    token_ttl_seconds: float = 3600,
    rate_limit_per_minute: int | None = 600,
    accounts: Iterable[Account] = DEFAULT_ACCOUNTS,
    patients: int = 20,
    locations: int = 0,
    sandbox: AlleavesSandbox | None = None,
) -> Starlette:
    """The Alleaves sandbox as an ASGI app; its state is ``app.state.sandbox`` (an ``AlleavesSandbox``).

    ``rate_limit_per_minute`` of None disables the rate limit. ``locations=1000`` adds that many generated
    locations (``ALV-2001`` upwards; see ``fleet.py``).
    Pass ``sandbox`` to serve an existing state (the other arguments are then ignored).
    """
    state = sandbox or AlleavesSandbox(
        items=items,
        seed=seed,
        token_ttl_seconds=token_ttl_seconds,
        rate_limit_per_minute=rate_limit_per_minute,
        accounts=accounts,
        patients=patients,
        locations=locations,
    )
    vendor = vendor_routes(state)
    return _app.build_app(
        state,
        [*(entry.route for entry in vendor), *control_routes(state)],
        gateway={
            "routes": vendor,
            "counts": state.requests,
            "faults": state.faults,
            "refuse": refuse,
            "guard": _guard.guard(state),
        },
        http_error=http_error,
    )


def run(
    host: str,
    port: int,
    items: int,
    seed: int,
    *,
    locations: int = 0,
    rate_limit_per_minute: int | None = 600,
    log_level: str = "info",
) -> None:
    """Serve the sandbox with uvicorn until interrupted (used by ``cannasync sandbox alleaves``)."""
    app = create_app(items=items, seed=seed, locations=locations, rate_limit_per_minute=rate_limit_per_minute)
    _app.serve(app, host, port, log_level)
