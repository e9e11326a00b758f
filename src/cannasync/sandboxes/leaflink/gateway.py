"""LeafLink's edge, after the kit's request counts and injected faults (``sandboxes/_kit/gateway.py``): the
trailing slash, routing, authentication, the per-key rate limit and the retailer-key permission."""

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
