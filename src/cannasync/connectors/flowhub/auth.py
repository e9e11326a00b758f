"""Order Ahead's access token: an OAuth2 client-credentials grant at Flowhub's Auth0 tenant.

Order Ahead calls carry ``Authorization: Bearer <access token>`` and nothing else (flowhub-client-ts
src/auth.ts). The token comes from ``POST <token URL>`` with JSON ``{client_id, client_secret, audience:
"https://api.flowhub.co", grant_type: "client_credentials"}``, answering ``{access_token, scope, expires_in,
token_type}`` (src/resources/auth-token.ts, src/types/auth.ts); the id and secret are the store's "Order Ahead
Client Id" and "Order Ahead Token" (seed 001).

Tokens are cached per credential for the whole process, so the every-2-minutes status poll does not ask for a
new one each time; one is renewed shortly before ``expires_in`` runs out, and once more if Flowhub answers 401
to a cached one (the request is then repeated once). The token is never logged, nor put in an error message.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Generator
from dataclasses import dataclass

import httpx2

from cannasync.connectors.http import AuthenticationFailed, Unavailable

#: The API the token is for: Flowhub's audience at its tenant (flowhub-client-ts tests/contract/auth-token.test.ts).
AUDIENCE = "https://api.flowhub.co"
#: Renew this long before the tenant says a token expires (at most a tenth of its life, for short-lived ones).
EARLY_SECONDS = 60.0


@dataclass(frozen=True)
class _Token:
    access: str
    renew_at: float

    @property
    def fresh(self) -> bool:
        return time.monotonic() < self.renew_at


_tokens: dict[str, _Token] = {}
_tokens_lock = threading.Lock()


def _refusal(response: httpx2.Response) -> str:
    """Auth0's ``error_description`` (or ``error``), never the request: it carries the secret."""
    try:
        body = response.json()
        return str(body.get("error_description") or body.get("error") or response.reason_phrase)[:200]
    except (ValueError, AttributeError):
        return response.reason_phrase


class OrderAheadAuth(httpx2.Auth):
    """Adds the Order Ahead bearer to each request, granting (and caching) the token as needed."""

    requires_response_body = True

    def __init__(self, *, token_url: str, client_id: str, client_secret: str, cache_key: str) -> None:
        self._token_url = token_url
        self._grant = {
            "client_id": client_id,
            "client_secret": client_secret,
            "audience": AUDIENCE,
            "grant_type": "client_credentials",
        }
        self._key = cache_key

    def _read(self, response: httpx2.Response) -> _Token:
        if response.status_code in (400, 401, 403):
            raise AuthenticationFailed(
                "Flowhub", f"the order-ahead grant was refused: {_refusal(response)}", status=response.status_code
            )
        if response.status_code != 200:
            raise Unavailable(
                "Flowhub",
                f"the order-ahead token endpoint answered {response.status_code}",
                status=response.status_code,
            )
        try:
            body = response.json()
            access = str(body["access_token"])
            lifetime = float(body.get("expires_in") or 0)
        except (ValueError, KeyError, TypeError, AttributeError):
            raise Unavailable("Flowhub", "the order-ahead token endpoint answered without a token") from None
        token = _Token(access, time.monotonic() + max(0.0, lifetime - min(EARLY_SECONDS, lifetime / 10)))
        with _tokens_lock:
            _tokens[self._key] = token
        return token

    def _granted(self, request: httpx2.Request) -> Generator[httpx2.Request, httpx2.Response, _Token]:
        # The call's timeout goes with the grant: a request built here has none of its own, and would wait forever.
        timeout = {"timeout": request.extensions["timeout"]} if "timeout" in request.extensions else {}
        response = yield httpx2.Request("POST", self._token_url, json=self._grant, extensions=timeout)
        return self._read(response)

    def fresh(self) -> bool:
        """Whether a cached token of this credential is still good to use."""
        with _tokens_lock:
            token = _tokens.get(self._key)
        return token is not None and token.fresh

    def forget(self) -> None:
        """Drop this credential's cached token, so that the next call proves a new grant works."""
        with _tokens_lock:
            _tokens.pop(self._key, None)

    def auth_flow(self, request: httpx2.Request) -> Generator[httpx2.Request, httpx2.Response, None]:
        with _tokens_lock:
            token = _tokens.get(self._key)
        if token is None or not token.fresh:
            token = yield from self._granted(request)
        request.headers["Authorization"] = f"Bearer {token.access}"
        response = yield request
        if response.status_code == 401:
            # Revoked or expired early: one new grant, one more try; a second 401 is the caller's answer.
            token = yield from self._granted(request)
            request.headers["Authorization"] = f"Bearer {token.access}"
            yield request


def forget_tokens() -> None:
    """Drop every cached token (tests, and after credentials change)."""
    with _tokens_lock:
        _tokens.clear()
