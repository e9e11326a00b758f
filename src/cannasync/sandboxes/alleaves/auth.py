"""Alleaves authentication (an OAuth-like password grant, one token per location).

* ``POST /api/v1/auth/token`` ``{"location_id", "username", "password"}`` → 200 ``{"access_token",
  "token_type": "Bearer", "expires_in": <seconds>, "refresh_token", "location_id"}``. Tokens are opaque
  strings. A wrong username, a wrong password and a location the user cannot access (or that does not
  exist) all answer the same 401 ``invalid_credentials`` (no enumeration). A missing or non-string field is
  a 422 naming it. A disabled user with the right password is a 403 ``account_disabled``.
* ``POST /api/v1/auth/refresh`` ``{"refresh_token"}`` → 200, a new pair in the same shape, for the same
  user and location. The refresh token used stops working (rotation); an unknown or used one is a 401
  ``invalid_refresh_token``. Refresh tokens do not expire. The old access token keeps working until its own
  expiry.
* Every other ``/api/v1`` route needs ``Authorization: Bearer <access_token>``: missing, malformed or unknown
  → 401 ``invalid_token``; past ``expires_in`` → 401 ``token_expired`` (refresh, or ask for a new token).
  A token sees only its own location's data: its location, areas, stock and orders. (Items themselves are
  one catalogue for the organisation, and patients are shared by its locations; see choices 1 and 2, in
  ``items.py``, ``patients.py`` and ``orders.py``.) The check itself runs in the guard (``guard.py``),
  which also applies the rate limit.

Well-known users (the same for every seed): ``"demo"`` / ``"demo-pass"`` (both locations);
``"riverside"`` / ``"riverside-pass"`` (ALV-1002 only); ``"suspended"`` / ``"suspended-pass"`` (ALV-1001,
disabled: 403). Every user may also open the generated locations (``fleet.py``).

Control route (no auth; the hub never calls it): ``POST /_sandbox/tokens/expire`` (every access token issued
so far now answers ``token_expired``).

Choice 5 (beyond the facts; easy to change; not confirmed by Alleaves): access tokens are 43-character
URL-safe strings; ``expires_in`` is ``token_ttl_seconds`` (rounded up).
"""

from __future__ import annotations

import math
import secrets
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, replace

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cannasync.sandboxes._kit.gateway import CONTROL, VendorRoute
from cannasync.sandboxes.alleaves.errors import ApiError, invalid
from cannasync.sandboxes.alleaves.wire import API, JSON, data, json_object, route


@dataclass(frozen=True)
class Account:
    """One Alleaves user: the password grant's username and password, and the locations it may open."""

    username: str
    password: str
    location_ids: tuple[str, ...]
    active: bool = True


DEFAULT_ACCOUNT = Account("demo", "demo-pass", ("ALV-1001", "ALV-1002"))
DEFAULT_ACCOUNTS: tuple[Account, ...] = (
    DEFAULT_ACCOUNT,
    Account("riverside", "riverside-pass", ("ALV-1002",)),
    Account("suspended", "suspended-pass", ("ALV-1001",), active=False),
)


@dataclass
class Session:
    """An issued access token: whose it is, which location it opens, and when it expires (monotonic)."""

    access_token: str
    username: str
    location_id: str
    expires_at: float


class TokenState:
    """The sandbox's users and the tokens issued to them (part of ``AlleavesSandbox``)."""

    lock: threading.Lock
    accounts: dict[str, Account]
    token_ttl_seconds: float
    _sessions: dict[str, Session]
    _refresh_tokens: dict[str, tuple[str, str]]

    def _init_tokens(
        self,
        accounts: Iterable[Account],
        token_ttl_seconds: float,
        locations: Iterable[str],
        fleet_ids: tuple[str, ...],
    ) -> None:
        # Every user may open the generated locations too: a scale test needs one set of credentials.
        self.accounts = {
            account.username: replace(account, location_ids=account.location_ids + fleet_ids) for account in accounts
        }
        known = set(locations)
        for account in self.accounts.values():
            unknown = set(account.location_ids) - known
            if unknown:
                raise ValueError(f"unknown location ids for user {account.username}: {sorted(unknown)}")
        self.token_ttl_seconds = float(token_ttl_seconds)
        self._sessions = {}
        self._refresh_tokens = {}

    def _issue(self, username: str, location_id: str) -> JSON:
        access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        self._sessions[access] = Session(access, username, location_id, time.monotonic() + self.token_ttl_seconds)
        self._refresh_tokens[refresh] = (username, location_id)
        return {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": math.ceil(self.token_ttl_seconds),
            "refresh_token": refresh,
            "location_id": location_id,
        }

    def issue_token(self, location_id: str, username: str, password: str) -> JSON:
        """The password grant: a token pair for ``location_id``, or the 401/403 Alleaves answers."""
        with self.lock:
            account = self.accounts.get(username)
            if (
                account is None
                or not secrets.compare_digest(account.password.encode(), password.encode())
                or location_id not in account.location_ids
            ):
                raise ApiError(
                    401,
                    "invalid_credentials",
                    "The location id, username or password is wrong; check all three with your Alleaves admin",
                )
            if not account.active:
                raise ApiError(403, "account_disabled", f"User {username} is disabled; ask your Alleaves admin")
            return self._issue(username, location_id)

    def refresh_token(self, refresh_token: str) -> JSON:
        """Rotate a refresh token: a new pair; the token given stops working."""
        with self.lock:
            owner = self._refresh_tokens.pop(refresh_token, None)
            if owner is None:
                raise ApiError(
                    401,
                    "invalid_refresh_token",
                    "The refresh token is unknown or already used; request a new token at POST /api/v1/auth/token",
                )
            return self._issue(*owner)

    def authenticate(self, authorization: str | None) -> Session:
        """The session of a ``Bearer`` access token, or the 401 Alleaves answers."""
        scheme, _, token = (authorization or "").strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise ApiError(
                401, "invalid_token", "Send Authorization: Bearer <access_token> (from POST /api/v1/auth/token)"
            )
        with self.lock:
            session = self._sessions.get(token)
            if session is None:
                raise ApiError(
                    401, "invalid_token", "The access token is not valid; request one at POST /api/v1/auth/token"
                )
            if time.monotonic() >= session.expires_at:
                raise ApiError(
                    401, "token_expired", "The access token has expired; refresh it at POST /api/v1/auth/refresh"
                )
            return session

    def expire_tokens(self) -> int:
        """Expire every access token issued so far (refresh tokens keep working); return how many."""
        with self.lock:
            for session in self._sessions.values():
                session.expires_at = -math.inf
            return len(self._sessions)


def parse_token_body(body: JSON) -> tuple[str, str, str]:
    """``(location_id, username, password)`` of a token request; 422 naming a missing field."""
    values = []
    for name in ("location_id", "username", "password"):
        value = body.get(name)
        if not isinstance(value, str) or not value:
            raise invalid(f"{name} is required (a string)")
        values.append(value)
    return values[0], values[1], values[2]


def session(request: Request) -> Session:
    """The session the guard found for this request's bearer token."""
    found = request.scope.get("sandbox.session")
    assert isinstance(found, Session), "route is missing authentication"
    return found


def routes(state: TokenState) -> list[VendorRoute]:
    async def token(request: Request) -> Response:
        location_id, username, password = parse_token_body(await json_object(request))
        return JSONResponse(state.issue_token(location_id, username, password))

    async def refresh(request: Request) -> Response:
        body = await json_object(request)
        refresh_token = body.get("refresh_token")
        if not isinstance(refresh_token, str) or not refresh_token:
            raise invalid("refresh_token is required (a string)")
        return JSONResponse(state.refresh_token(refresh_token))

    return [
        route("POST", f"{API}/auth/token", token, public=True),
        route("POST", f"{API}/auth/refresh", refresh, public=True),
    ]


def control(state: TokenState) -> list[Route]:
    async def expire_tokens(request: Request) -> Response:
        return data({"expired": state.expire_tokens()})

    return [Route(f"{CONTROL}/tokens/expire", expire_tokens, methods=["POST"])]
