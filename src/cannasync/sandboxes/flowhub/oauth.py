"""The Flowhub sandbox's stand-in for Flowhub's Auth0 tenant: the client-credentials grant Order Ahead needs.

Facts, and where they come from:

* The token endpoint is ``POST https://flowhub.auth0.com/oauth/token``, on Auth0's host, not on
  ``api.flowhub.co`` (yerba-buena/flowhub-client-ts ``src/resources/auth-token.ts``: ``AUTH0_BASE_URL``).
  The sandbox serves it at ``/oauth/token`` of its own root, so one process stands for both hosts; the
  connector's token URL is a setting pointed here in the demo and the tests.
* The request is JSON ``{client_id, client_secret, audience: "https://api.flowhub.co", grant_type:
  "client_credentials"}`` and the answer ``{access_token, scope, expires_in, token_type}``
  (``src/types/auth.ts``; ``tests/contract/auth-token.test.ts`` sends exactly that audience and answers
  ``token_type: "Bearer"``, ``scope: "create:orders read:orders"``, ``expires_in: 86400``).
* The client id and secret are a pair of their own, not the API ``clientId``/``key``
  (flowhub-client-ts ``.env.example``: "Flowhub issues a separate Auth0 client_id/secret pair for Order Ahead
  access. These are NOT the same as FLOWHUB_CLIENT_ID/FLOWHUB_API_KEY"); seed 001 names them "Order Ahead
  Client Id" and "Order Ahead Token".
* A refused client is ``401 {"error": "access_denied", "error_description": "Unauthorized"}`` (the same
  contract test). The other error answers follow Auth0's documented token-endpoint errors
  (``invalid_request``, ``unsupported_grant_type``, ``access_denied`` "Service not found" for an unknown
  audience); they are the sandbox's reading of Auth0, not something a Flowhub source shows.
* Auth0 takes the grant as JSON or as a form; Flowhub's clients send JSON. A JSON body that does not parse is
  ``400 invalid_request`` "The body must be JSON" (the sandbox's wording).

Tokens are opaque random strings here (Auth0 issues JWTs; nothing in Flowhub's clients reads inside them).
They expire after ``ttl`` seconds; the control route ``POST /_sandbox/oauth/expire`` ends every token at once,
so that a test can watch a client fetch a new one after a 401 (``control.py``). How the API takes a token:
``auth.py``.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from cannasync.sandboxes._kit.gateway import VendorError, VendorRoute
from cannasync.sandboxes.flowhub.common import route

#: The audience Flowhub's API is registered under at the tenant (flowhub-client-ts, auth-token.test.ts).
AUDIENCE = "https://api.flowhub.co"
#: Auth0's default lifetime for machine-to-machine tokens, and what the client's contract test answers.
DEFAULT_TTL = 86400.0
SCOPE = "create:orders read:orders"


class GrantError(VendorError):
    """A refused grant, answered as Auth0 answers: ``{"error", "error_description"}``."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description

    def response(self) -> JSONResponse:
        return JSONResponse({"error": self.error, "error_description": self.description}, status_code=self.status)


@dataclass(frozen=True)
class Issued:
    """What a valid token stands for: the Order Ahead client id it was granted to, and when it expires."""

    client_id: str
    expires_at: float


class Tenant:
    """Issues and checks access tokens for the Order Ahead client id/secret pairs it knows."""

    def __init__(self, secrets_by_client: Mapping[str, str], *, ttl: float = DEFAULT_TTL) -> None:
        if ttl <= 0:
            raise ValueError("ttl must be > 0")
        self._secrets = dict(secrets_by_client)
        self.ttl = ttl
        self._tokens: dict[str, Issued] = {}
        self._lock = threading.Lock()
        #: Seconds on a monotonic clock; a test may replace it to move time on without waiting.
        self.clock: Callable[[], float] = time.monotonic

    def grant(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """The answer to a client-credentials grant, or a GrantError."""
        missing = [name for name in ("grant_type", "client_id", "client_secret") if not body.get(name)]
        if missing:
            raise GrantError(400, "invalid_request", f"Missing required parameter: {missing[0]}")
        if body["grant_type"] != "client_credentials":
            raise GrantError(400, "unsupported_grant_type", f"Unsupported grant type: {body['grant_type']}")
        client_id, secret = str(body["client_id"]), str(body["client_secret"])
        if self._secrets.get(client_id) is None or not secrets.compare_digest(self._secrets[client_id], secret):
            raise GrantError(401, "access_denied", "Unauthorized")
        audience = body.get("audience")
        if audience != AUDIENCE:
            raise GrantError(403, "access_denied", f"Service not found: {audience}")
        token = secrets.token_urlsafe(32)
        with self._lock:
            now = self.clock()
            # Expired tokens are dropped as new ones are issued, so a long run does not keep them all.
            self._tokens = {key: issued for key, issued in self._tokens.items() if issued.expires_at > now}
            self._tokens[token] = Issued(client_id, now + self.ttl)
        return {"access_token": token, "scope": SCOPE, "expires_in": int(self.ttl), "token_type": "Bearer"}

    def client_of(self, token: str) -> str | None:
        """The Order Ahead client id a live token was granted to; None when unknown or expired."""
        with self._lock:
            issued = self._tokens.get(token)
            if issued is None or issued.expires_at <= self.clock():
                return None
            return issued.client_id

    def expire_all(self) -> int:
        """End every token now (a control route); returns how many were live."""
        with self._lock:
            now = self.clock()
            live = sum(1 for issued in self._tokens.values() if issued.expires_at > now)
            self._tokens.clear()
            return live

    def tokens(self) -> list[str]:
        """The live tokens (for tests that check a client never lets one out)."""
        with self._lock:
            now = self.clock()
            return [token for token, issued in self._tokens.items() if issued.expires_at > now]


def routes(tenant: Tenant) -> list[VendorRoute]:
    """``POST /oauth/token``, on the sandbox's own root (standing for the tenant's host), without auth."""

    async def oauth_token(request: Request) -> Response:
        # Auth0 takes the grant as JSON or as a form; Flowhub's clients send JSON.
        if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            body: Mapping[str, Any] = dict(await request.form())
        else:
            try:
                raw = await request.json()
            except ValueError:
                raise GrantError(400, "invalid_request", "The body must be JSON") from None
            if not isinstance(raw, dict):
                raise GrantError(400, "invalid_request", "The body must be a JSON object")
            body = raw
        return JSONResponse(tenant.grant(body))

    return [route("POST", "/oauth/token", oauth_token, "none")]
