"""The Flowhub sandbox as an ASGI app: every route, behind the sandbox kit's gateway with Flowhub's guard.

* The server root stands for ``https://api.flowhub.co``, and its ``/oauth/token`` for Flowhub's Auth0
  tenant ``https://flowhub.auth0.com`` (``oauth.py``). Paths are served exactly as written, including
  the trailing slash of ``GET /v1/customers/`` (src/resources/orders.ts); the other slash variant of a path
  is a 404 (never a redirect).
* ``GET /authTest`` (either way of authenticating, ``auth.py``) and ``GET /health`` answer the text ``OK``.

The routes, by module: ``oauth.py`` (the grant), ``locations.py`` (``/v0/clientsLocations``),
``inventory.py`` (v0 inventory), ``customers.py`` (v1 customers), ``sales.py`` (v1 sales lists),
``orders.py`` (Order Ahead), ``control.py`` (``/_sandbox/...``).

Choices where Flowhub's public notes are silent
-----------------------------------------------
12. Errors: unknown route → 404 ``{"errors": ["Not found"]}`` (authentication is not checked first);
    wrong method → 405; a body that is not JSON → 400 ``{"errors": ["Request body must be valid JSON"]}``.
13. Injected faults fire before the rate limit and authentication (they stand for the gateway in front of
    Flowhub) and on paths outside ``/_sandbox/`` only. ``mode`` defaults to ``status``, ``count`` to 1,
    ``path_prefix`` to ``/`` and ``method`` to any; the first matching fault that fires takes the request.
    ``Retry-After`` is sent only when the fault has ``retry_after``.
14. ``/_sandbox/requests`` counts every request that matched a vendor route, as ``"<METHOD> <template>"``
    (``"GET /v0/locations/{locationId}/inventory"``), including those answered 401/403/429/4xx or with an
    injected fault, and image downloads; it excludes the other control routes.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from cannasync.sandboxes._kit import app as _app
from cannasync.sandboxes._kit.gateway import VendorRoute
from cannasync.sandboxes.flowhub import control, inventory, oauth, orders, sales
from cannasync.sandboxes.flowhub import customers as customer_routes
from cannasync.sandboxes.flowhub import locations as location_routes
from cannasync.sandboxes.flowhub.accounts import DEFAULT_CREDENTIALS, Account
from cannasync.sandboxes.flowhub.auth import guard
from cannasync.sandboxes.flowhub.common import ApiError, route
from cannasync.sandboxes.flowhub.oauth import DEFAULT_TTL
from cannasync.sandboxes.flowhub.state import FlowhubSandbox


async def _ok(request: Request) -> Response:
    return PlainTextResponse("OK")


def vendor_routes(sandbox: FlowhubSandbox) -> list[VendorRoute]:
    """Every counted route with its key and the authentication it needs, in matching order."""
    return [
        route("GET", "/health", _ok, "none"),
        route("GET", "/authTest", _ok, "either"),
        *oauth.routes(sandbox.tenant),
        *location_routes.routes(sandbox),
        *inventory.routes(sandbox),
        *customer_routes.routes(sandbox),
        *sales.routes(sandbox),
        *orders.routes(sandbox),
        control.image_route(sandbox),
    ]


def _http_error(request: Request, exc: HTTPException) -> Response:
    message = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, str(exc.detail))
    return JSONResponse({"errors": [message]}, status_code=exc.status_code, headers=exc.headers)


def create_app(
    *,
    items: int = 200,
    seed: int = 1,
    rate_limit_rps: float | None = 59.0,
    credentials: Iterable[Account] = DEFAULT_CREDENTIALS,
    customers: int = 20,
    locations: int = 0,
    token_ttl: float = DEFAULT_TTL,
    sandbox: FlowhubSandbox | None = None,
) -> Starlette:
    """The Flowhub sandbox as an ASGI app; its state is ``app.state.sandbox`` (a ``FlowhubSandbox``).

    ``rate_limit_rps`` of None disables the rate limit. ``locations=1000`` adds that many generated
    locations (``loc-00001`` upwards; see "Many locations" in ``fleet.py``).
    Pass ``sandbox`` to serve an existing state (the other arguments are then ignored).
    """
    state = sandbox or FlowhubSandbox(
        items=items,
        seed=seed,
        credentials=credentials,
        customers=customers,
        rate_limit_rps=rate_limit_rps,
        locations=locations,
        token_ttl=token_ttl,
    )
    counted = vendor_routes(state)
    return _app.build_app(
        state,
        [*(entry.route for entry in counted), *control.routes(state)],
        gateway={
            "routes": counted,
            "counts": state.requests,
            "faults": state.faults,
            "refuse": lambda status, headers: ApiError(status, "Injected fault", headers).response(),
            "guard": guard(state),
        },
        http_error=_http_error,
    )


def run(
    host: str,
    port: int,
    items: int,
    seed: int,
    *,
    locations: int = 0,
    rate_limit_rps: float | None = 59.0,
    log_level: str = "info",
) -> None:
    """Serve the sandbox with uvicorn until interrupted (used by ``cannasync sandbox flowhub``)."""
    app = create_app(items=items, seed=seed, locations=locations, rate_limit_rps=rate_limit_rps)
    _app.serve(app, host, port, log_level)
