"""LeafLink's edge, after the kit's request counts and injected faults (``sandboxes/_kit/gateway.py``): the
trailing slash, routing, authentication, the per-key rate limit and the retailer-key permission.

* Base ``/api/v2/`` (the server root stands for ``https://app.leaflink.com``). **Every path ends with
  ``/``**: an ``/api/v2`` path without it answers 400 ``{"detail": "... must end with a slash ..."}``
  naming the path with the slash, whatever the route or method. An unknown route is 404
  ``{"detail": "Not found."}`` (before authentication, as Django resolves URLs first); a known route with
  the wrong method is 405 ``{"detail": "Method \\"X\\" not allowed."}`` (after authentication).
* ``Authorization: App <key>`` or ``Token <key>`` (keyword case-insensitive, exactly one space). No
  header or another keyword → 401 ``{"detail": "Authentication credentials were not provided."}``; a
  keyword without a key → 401 ``"Invalid token header. No credentials provided."``; more than one space
  or a key with spaces → 401 ``"Invalid token header. Token string should not contain spaces."``; an
  unknown key → 401 ``{"detail": "Invalid token."}``. 401s carry ``WWW-Authenticate: App``.
* **One company per key.** Default keys: ``ll-key-company-1`` → company 1 "Great Lakes Growers" (brands
  11 "Glacier Lake" and 12 "North Coast"); ``ll-key-company-2`` → company 2 "Lakeshore Botanicals" (brand
  21 "Lakeshore Botanicals"). A ``Token`` key is scoped to one company too (LeafLink's legacy user tokens
  cover every company of the user; not imitated). Everything a key sees is its company's: another
  company's product, order, line item, customer, brand or staff member is a 404.
* Rate limit: ``rate_limit_per_minute`` (300) requests per key in any rolling 60 seconds; past it 429
  ``{"detail": "Request was throttled. Expected available in N seconds."}`` with ``Retry-After: N``
  (DRF's throttle answer; the v2 docs do not say, the new API sends ``Retry-After``). Requests answered
  401 are not counted; refused ones are not counted either.
* A retailer's key (``ll-key-retailer-5005``) gets only ``/buyer/orders/`` (403 elsewhere): a retailer's key
  on any brand-side route is a 403 (DRF's "You do not have permission to perform this action."; see
  ``buyer_orders.py``).

Choices where LeafLink's public material is silent
--------------------------------------------------
Each is a guess kept easy to change (numbered across the sandbox; the others are beside the code they govern).

10. ``/_sandbox/requests`` counts every request that matched a vendor route, as ``"<METHOD> <template>"``
    (``"GET /api/v2/products/{id}/"``), including those answered 401, 405, 429 or with an injected fault;
    not 400s for a missing slash nor 404s for unknown routes. Injected faults fire first (they stand for
    the gateway), only on paths outside ``/_sandbox/``; ``path_prefix`` defaults to ``/api/v2/``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Scope

from cannasync.sandboxes._kit.gateway import VendorRoute
from cannasync.sandboxes.leaflink.errors import detail, not_found

if TYPE_CHECKING:
    from cannasync.sandboxes.leaflink.store import Store

API = "/api/v2"
#: Key → company: the two seller companies, and one retailer (buyer 5005, Good Vibrations Dispensary).
DEFAULT_API_KEYS: Mapping[str, int] = {
    "ll-key-company-1": 1,
    "ll-key-company-2": 2,
    "ll-key-retailer-5005": 5005,
}
#: The only route a retailer's key may call (the others answer 403).
RETAILER_ROUTES = frozenset({f"{API}/buyer/orders/"})
FORBIDDEN = "You do not have permission to perform this action."
_CONVERTER = re.compile(r":\w+}")


def authenticate(sandbox: Store, authorization: str | None) -> tuple[str, int]:
    """(key, company id) of an ``Authorization`` header, or the 401 LeafLink answers."""
    challenge = {"WWW-Authenticate": "App"}
    if not authorization:
        raise detail(401, "Authentication credentials were not provided.", challenge)
    keyword, _, key = authorization.partition(" ")
    if keyword.lower() not in ("app", "token"):
        raise detail(401, "Authentication credentials were not provided.", challenge)
    if not key:
        raise detail(401, "Invalid token header. No credentials provided.", challenge)
    if key != key.strip() or " " in key:
        raise detail(401, "Invalid token header. Token string should not contain spaces.", challenge)
    with sandbox.lock:
        company_id = sandbox.api_keys.get(key)
    if company_id is None:
        raise detail(401, "Invalid token.", challenge)
    return key, company_id


def seller(request: Request, companies: Mapping[int, object]) -> int:
    """The key's company, which must be a seller: a retailer's key gets only /buyer/orders/."""
    company = int(request.scope["sandbox.company"])
    if company not in companies:
        raise detail(403, FORBIDDEN)
    return company


def guard(sandbox: Store) -> Callable[[Scope, VendorRoute | None], Scope]:
    """What LeafLink's edge does after the injected faults, in its order: the trailing slash, routing (404 before
    authentication, as Django resolves URLs first), authentication, the key's rate limit, the retailer-key
    permission. The endpoints read the key's company from ``scope["sandbox.company"]``."""

    def check(scope: Scope, route: VendorRoute | None) -> Scope:
        path: str = scope["path"]
        if (path == API or path.startswith(API + "/")) and not path.endswith("/"):
            query = scope.get("query_string", b"").decode()
            wanted = path + "/" + (f"?{query}" if query else "")
            raise detail(400, f"Paths must end with a slash: {scope['method']} {path} is not served; use {wanted}")
        if route is None:
            raise not_found()
        key, company_id = authenticate(sandbox, Headers(scope=scope).get("authorization"))
        retry_after = sandbox.admit(key)
        if retry_after is not None:
            raise detail(
                429,
                f"Request was throttled. Expected available in {retry_after} seconds.",
                {"Retry-After": str(retry_after)},
            )
        if company_id not in sandbox.companies and route.key.partition(" ")[2] not in RETAILER_ROUTES:
            # A retailer's key on a brand-side route: DRF's permission refusal.
            raise detail(403, FORBIDDEN)
        return {**scope, "sandbox.company": company_id, "sandbox.key": key}

    return check


def vendor_routes(routes: Iterable[Route]) -> list[VendorRoute]:
    """Each vendor route (one method each) with its request-count key, ``"<METHOD> <template>"``
    (``"GET /api/v2/products/{id}/"``)."""
    return [
        VendorRoute(route, f"{min((route.methods or set()) - {'HEAD'})} {_CONVERTER.sub('}', route.path)}")
        for route in routes
    ]


def count_as(scope: Scope, route: VendorRoute) -> str:
    """The request's own method with the route's template: a 405 (a path served for other methods) and a HEAD
    are counted under the method they came with (choice 10)."""
    return f"{scope['method']} {route.key.partition(' ')[2]}"


def http_error(request: Request, exc: HTTPException) -> Response:
    """The router's own 404 and 405, worded as DRF words them."""
    if exc.status_code == 404:
        return not_found().response()
    if exc.status_code == 405:
        return JSONResponse({"detail": f'Method "{request.method}" not allowed.'}, status_code=405, headers=exc.headers)
    return JSONResponse({"detail": str(exc.detail)}, status_code=exc.status_code, headers=exc.headers)
