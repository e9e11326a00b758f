"""Flowhub's client accounts: each one's API key pair, its Order Ahead grant and the locations it owns.

Well-known credentials (the same for every seed)
------------------------------------------------
* Credentials: clientId ``3f7c1a52-0d7e-4b8a-9a51-6f2d1c0e9b11``, key
  ``9b1d6c2e-7a44-4f0e-8c3b-5e2a7d9f1c20``, Order Ahead Client Id ``c0ffee00-1234-4abc-9def-00000000a11e``
  with the secret (seed 001's Order Ahead Token) ``oa-demo-token``. This client owns both locations; its
  Order Ahead credential is Eastside's (orders it creates go there).

How a request proves which account it is: ``auth.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

DEFAULT_CLIENT_ID = "3f7c1a52-0d7e-4b8a-9a51-6f2d1c0e9b11"
DEFAULT_API_KEY = "9b1d6c2e-7a44-4f0e-8c3b-5e2a7d9f1c20"
DEFAULT_ORDER_AHEAD_CLIENT_ID = "c0ffee00-1234-4abc-9def-00000000a11e"
DEFAULT_ORDER_AHEAD_TOKEN = "oa-demo-token"

#: Where the gateway's guard leaves the authenticated account for the endpoints (``auth.py``).
SCOPE_KEY = "sandbox.account"


@dataclass(frozen=True)
class Account:
    """One Flowhub client's credentials and the locations it owns.

    ``order_ahead_client_id`` and ``order_ahead_token`` are the Auth0 client id and secret of the Order Ahead
    grant (seed 001's "Order Ahead Client Id" and "Order Ahead Token"). The Order Ahead credential belongs to
    one location (``order_ahead_location_id``, the first owned one unless given): the documented create body
    names no location, so the credential is what says where an order goes.
    """

    client_id: str
    key: str
    order_ahead_client_id: str
    order_ahead_token: str
    location_ids: tuple[str, ...]
    order_ahead_location_id: str | None = None

    @property
    def order_location(self) -> str:
        return self.order_ahead_location_id or self.location_ids[0]


DEFAULT_ACCOUNT = Account(
    client_id=DEFAULT_CLIENT_ID,
    key=DEFAULT_API_KEY,
    order_ahead_client_id=DEFAULT_ORDER_AHEAD_CLIENT_ID,
    order_ahead_token=DEFAULT_ORDER_AHEAD_TOKEN,
    location_ids=("loc-eastside", "loc-ferndale"),
)
DEFAULT_CREDENTIALS: tuple[Account, ...] = (DEFAULT_ACCOUNT,)


def caller(request: Request) -> Account:
    """The account the guard authenticated for this request."""
    found = request.scope.get(SCOPE_KEY)
    assert isinstance(found, Account), "route is missing authentication"
    return found
