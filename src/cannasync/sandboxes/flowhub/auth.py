"""How a request gets past Flowhub's front door: the rate limit, then the API key or the Order Ahead bearer.

This is the Flowhub sandbox's ``guard`` on the sandbox kit's gateway (``sandboxes/_kit/gateway.py``), which
runs it after injected faults (choice 13, ``app.py``). Which of the two ways a route takes is said where the
route is declared (``common.route``: ``api``, ``order_ahead``, ``either`` or ``none``).

What it reproduces (vendor-apis.md §2 and §7, Flowhub's integration article, seed 001, and the public client
yerba-buena/flowhub-client-ts):

* v0/v1 auth by the headers ``clientId`` and ``key``: either missing → 401 ``{"errors": ["Missing clientId
  or key header"]}``; an unknown pair → 401 ``{"errors": ["Invalid credentials"]}``; a location the client
  does not own → 403 ``{"errors": ["Not authorized for location <id>"]}`` (``locations.py``).
* Order Ahead routes (create, ``orderStatus``, ``PATCH /orders/{orderId}``, ``/orderPostback``) take
  ``Authorization: Bearer <access token>`` and nothing else (src/auth.ts ``createAuthHeaders``: with a token,
  the client sends no ``clientId``/``key``). The token comes from the client-credentials grant of the Order
  Ahead Client Id and its secret (seed 001's "Order Ahead Token") at ``POST /oauth/token`` (``oauth.py``). No
  bearer → 401 ``Missing access token``; an unknown or expired one → 401 ``Invalid or expired access token``;
  the ``clientId``/``key`` headers sent on these routes → 401 (a client still authenticating the old way).
* ``GET /authTest`` takes either way of authenticating.
* A rate limit like the real one (about 59 requests per second): past the limit, 429
  ``{"errors": ["Too Many Requests"]}`` with **no** rate-limit headers at all (no ``Retry-After``).
  The rate limit is per ``clientId``, so a scale test sharing one client turns it off (``--rps 0`` or
  ``POST /_sandbox/rate-limit {"rps": null}``).

Choices where Flowhub's public notes are silent
-----------------------------------------------
2. Credentials: the Order Ahead Client Id is refused as a ``clientId`` (401 Invalid credentials), and a
   bearer is no key to the v0/v1 routes. ``/health`` and ``/oauth/token`` need no auth.
3. Rate limit: a rolling one-second window per ``clientId`` header value as sent, or per ``Authorization``
   value on calls without one (so Order Ahead calls have a bucket of their own; requests with neither share
   one). ``floor(rps)`` requests (at least 1) pass in any second; rejected requests do not count against
   the window. It applies to every path outside ``/_sandbox/`` (``/health`` and unknown paths included),
   after injected faults and before authentication (so a 401 spends budget too). Changing the limit
   (``POST /_sandbox/rate-limit``) starts every window afresh.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.datastructures import Headers
from starlette.types import Scope

from cannasync.sandboxes._kit.gateway import VendorRoute
from cannasync.sandboxes._kit.limits import RollingWindow
from cannasync.sandboxes._kit.values import number
from cannasync.sandboxes.flowhub.accounts import SCOPE_KEY, Account
from cannasync.sandboxes.flowhub.common import ApiError
from cannasync.sandboxes.flowhub.locations import Locations
from cannasync.sandboxes.flowhub.oauth import Tenant


def parse_rps(value: object) -> float | None:
    if value is None:
        return None
    rps = number(value)
    if rps is None or rps <= 0:
        raise ApiError(422, "rps must be a number > 0, or null to disable the limit")
    return float(rps)


def _allowance(rps: float | None) -> int | None:
    """Requests let through in any one-second window: ``floor(rps)``, at least 1 (choice 3)."""
    return None if rps is None else max(1, int(rps))


class Access(Locations):
    """The sandbox's part that authenticates callers and counts them against the rate limit."""

    #: The Auth0 tenant of the Order Ahead grant (``oauth.py``).
    tenant: Tenant
    rate_limit_rps: float | None
    rate_window: RollingWindow

    def _init_access(self, rate_limit_rps: float | None, token_ttl: float) -> None:
        self.tenant = Tenant(
            {account.order_ahead_client_id: account.order_ahead_token for account in self.accounts}, ttl=token_ttl
        )
        self.rate_limit_rps = parse_rps(rate_limit_rps)
        self.rate_window = RollingWindow(_allowance(self.rate_limit_rps), 1.0)

    def authenticate(self, client_id: str | None, key: str | None) -> Account:
        """The caller's account by the ``clientId`` and ``key`` headers, or the 401 Flowhub answers."""
        if not client_id or not key:
            raise ApiError(401, "Missing clientId or key header")
        client_id, key = client_id.strip(), key.strip()
        for account in self.accounts:
            if account.client_id == client_id and account.key == key:
                return account
        raise ApiError(401, "Invalid credentials")

    def authenticate_bearer(self, authorization: str | None, *, api_headers: bool = False) -> Account:
        """The caller's account by an Order Ahead access token, or a 401.

        Order Ahead calls carry ``Authorization: Bearer <access token>`` and nothing else: the public client
        sends no ``clientId``/``key`` once it has a token (flowhub-client-ts src/auth.ts, ``createAuthHeaders``).
        A call that sends them anyway (``api_headers``) is refused, so that a client still authenticating the
        old way is caught here rather than by a real store's missing orders.
        """
        if api_headers:
            raise ApiError(401, "Order Ahead takes only an Authorization: Bearer access token, not clientId/key")
        scheme, _, token = (authorization or "").strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "Missing access token")
        client_id = self.tenant.client_of(token.strip())
        if client_id is None:
            raise ApiError(401, "Invalid or expired access token")
        for account in self.accounts:
            if account.order_ahead_client_id == client_id:
                return account
        raise ApiError(401, "Invalid or expired access token")  # pragma: no cover - tenant and accounts agree

    def admit(self, client_id: str, now: float | None = None) -> bool:
        """Whether one more request from ``client_id`` fits in the rolling one-second window."""
        return self.rate_window.admit(client_id, now) is None

    def set_rate_limit(self, rps: float | None) -> None:
        parsed = parse_rps(rps)
        with self.lock:
            self.rate_limit_rps = parsed
            self.rate_window.set(_allowance(parsed))


def guard(sandbox: Access) -> Callable[[Scope, VendorRoute | None], Scope]:
    """Flowhub's guard for the kit's gateway: the rate limit, then the route's authentication (choices 2, 3)."""

    def check(scope: Scope, route: VendorRoute | None) -> Scope:
        headers = Headers(scope=scope)
        # One window per clientId header, or per bearer token on Order Ahead calls, which carry no clientId.
        bucket = headers.get("clientId") or headers.get("authorization") or ""
        if not sandbox.admit(bucket):
            raise ApiError(429, "Too Many Requests")
        if route is None or route.auth == "none":
            return scope
        return {**scope, SCOPE_KEY: _authenticate(sandbox, route.auth, headers)}

    return check


def _authenticate(sandbox: Access, auth: str, headers: Headers) -> Account:
    api_headers = headers.get("clientId") is not None or headers.get("key") is not None
    if auth == "order_ahead" or (auth == "either" and not api_headers and headers.get("authorization")):
        return sandbox.authenticate_bearer(headers.get("authorization"), api_headers=api_headers)
    return sandbox.authenticate(headers.get("clientId"), headers.get("key"))
