"""Alleaves tokens: a password grant per location, refreshed before it expires and once more on a 401.

Tokens are cached per credential for the whole process, so the scheduler's every-2-minutes status poll does not
log in again each time; a 401 ``token_expired`` (or any 401 on a cached token) refreshes, then logs in again if
the refresh token is refused, and retries the request once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import httpx2

from cannasync.connectors.http import AuthenticationFailed, Unavailable

_EARLY = 30.0  # refresh this many seconds before the vendor says the token expires


@dataclass
class _Token:
    access: str
    refresh: str | None
    expires_at: float

    @property
    def fresh(self) -> bool:
        return time.monotonic() < self.expires_at - _EARLY


_tokens: dict[str, _Token] = {}
_tokens_lock = threading.Lock()


def _message(response: httpx2.Response) -> str:
    try:
        error = response.json().get("error", {})
        return str(error.get("message") or error.get("code") or response.reason_phrase)
    except (ValueError, AttributeError):
        return response.text[:200] or response.reason_phrase


class AlleavesAuth(httpx2.Auth):
    requires_response_body = True

    def __init__(self, *, location_id: str, username: str, password: str, cache_key: str) -> None:
        self._grant = {"location_id": location_id, "username": username, "password": password}
        self._key = cache_key

    def _token_request(self, request: httpx2.Request, path: str, body: dict[str, Any]) -> httpx2.Request:
        # The call's timeout goes with the token request: a request built here has none of its own, and a token
        # endpoint that never answers would hold the run (and its lease) for good.
        timeout = {"timeout": request.extensions["timeout"]} if "timeout" in request.extensions else {}
        url = request.url.copy_with(raw_path=path.encode(), query=None)
        return httpx2.Request("POST", url, json=body, extensions=timeout)

    def _read(self, response: httpx2.Response) -> _Token:
        if response.status_code in (401, 403, 422):
            raise AuthenticationFailed("Alleaves", _message(response), status=response.status_code)
        if response.status_code != 200:
            raise Unavailable(
                "Alleaves", f"token endpoint answered {response.status_code}", status=response.status_code
            )
        body = response.json()
        token = _Token(
            str(body["access_token"]), body.get("refresh_token"), time.monotonic() + float(body.get("expires_in", 300))
        )
        with _tokens_lock:
            _tokens[self._key] = token
        return token

    def _login(self, request: httpx2.Request) -> Generator[httpx2.Request, httpx2.Response, _Token]:
        response = yield self._token_request(request, self._path(request, "auth/token"), self._grant)
        return self._read(response)

    def _renew(
        self, request: httpx2.Request, stale: _Token | None
    ) -> Generator[httpx2.Request, httpx2.Response, _Token]:
        if stale is not None and stale.refresh:
            response = yield self._token_request(
                request, self._path(request, "auth/refresh"), {"refresh_token": stale.refresh}
            )
            if response.status_code == 200:
                return self._read(response)
        return (yield from self._login(request))

    @staticmethod
    def _path(request: httpx2.Request, endpoint: str) -> str:
        """The token endpoints sit beside the API's other routes, under the same ``/api/v1`` root."""
        path = request.url.path
        root = path[: path.index("/api/v1/") + len("/api/v1/")] if "/api/v1/" in path else "/api/v1/"
        return root + endpoint

    def auth_flow(self, request: httpx2.Request) -> Generator[httpx2.Request, httpx2.Response, None]:
        with _tokens_lock:
            token = _tokens.get(self._key)
        if token is None or not token.fresh:
            token = yield from self._renew(request, token)
        request.headers["Authorization"] = f"Bearer {token.access}"
        response = yield request
        if response.status_code == 401:
            token = yield from self._renew(request, token)
            request.headers["Authorization"] = f"Bearer {token.access}"
            yield request


def forget_tokens() -> None:
    """Drop every cached token (tests, and after credentials change)."""
    with _tokens_lock:
        _tokens.clear()
