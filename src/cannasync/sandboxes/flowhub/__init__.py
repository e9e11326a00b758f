"""A faithful local imitation of Flowhub's API (an ASGI app on Starlette).

cannasync's Flowhub connector, its tests, the demo and the benchmark talk to this app over real HTTP on
loopback. It stands for the vendor, so it imports nothing from cannasync outside ``cannasync.sandboxes``
and shares no code with the connector (nor with the Flourish sandbox): if the connector and this app
disagree, that is a finding, not a refactoring. What every sandbox repeats (the gateway with faults and
request counts, the rate window, the control routes for faults and counts, serving) is the sandbox kit's
(``sandboxes/_kit``).

What it reproduces comes from docs ``vendor-apis.md`` §2 and §7, Flowhub's integration article, seed 001, and
the public client yerba-buena/flowhub-client-ts, cited by file where a fact comes from it. Each module's
docstring carries the facts and the numbered choices (where Flowhub's public notes are silent; each a guess
kept easy to change, none confirmed by Flowhub) about what that module serves:

* ``app.py``: the routes and the app (server root, trailing slashes, ``/health``, ``/authTest``; choices 12-14);
* ``accounts.py``: the well-known credentials; ``auth.py``: API key, Order Ahead bearer, rate limit (2, 3);
* ``oauth.py``: the Auth0 tenant's client-credentials grant at ``POST /oauth/token``;
* ``locations.py``: locations and rooms, ``GET /v0/clientsLocations`` (1); ``fleet.py``: generated locations
  for a scale test ("Many locations");
* ``catalog.py``: the generated products (5, 6); ``inventory.py``: the v0 inventory routes (4, 17);
* ``customer_data.py``: the generated customers; ``customers.py``: the v1 customer routes (7, 16);
* ``order_body.py``: what an Order Ahead body must hold (8); ``orders.py``: Order Ahead (8, 9, 10, 15);
  ``postbacks.py``: status postbacks (11); ``sales.py``: the v1 sales lists (its own choices 1-4);
* ``control.py``: the control routes under ``/_sandbox/``; ``state.py``: the state, put together.

Well-known records (the same for every seed; details in the modules named)
--------------------------------------------------------------------------
* Credentials (``accounts.py``): clientId ``3f7c1a52-0d7e-4b8a-9a51-6f2d1c0e9b11``, key
  ``9b1d6c2e-7a44-4f0e-8c3b-5e2a7d9f1c20``, Order Ahead Client Id ``c0ffee00-1234-4abc-9def-00000000a11e``
  with the secret ``oa-demo-token``.
* Locations ``"loc-eastside"`` and ``"loc-ferndale"`` (``locations.py``); customers ``"cus-000001"`` and
  ``"cus-000002"`` (``customer_data.py``); products from ``30001`` up (``catalog.py``).
"""

from __future__ import annotations

from cannasync.sandboxes._kit.gateway import CONTROL
from cannasync.sandboxes.flowhub.accounts import (
    DEFAULT_ACCOUNT,
    DEFAULT_API_KEY,
    DEFAULT_CLIENT_ID,
    DEFAULT_CREDENTIALS,
    DEFAULT_ORDER_AHEAD_CLIENT_ID,
    DEFAULT_ORDER_AHEAD_TOKEN,
    Account,
)
from cannasync.sandboxes.flowhub.app import create_app, run
from cannasync.sandboxes.flowhub.common import JSON, ApiError
from cannasync.sandboxes.flowhub.control import parse_fault
from cannasync.sandboxes.flowhub.customers import parse_customer_body
from cannasync.sandboxes.flowhub.inventory import ANALYTICS_KINDS, FOR_SALE_ROOMS, INVENTORY_KINDS
from cannasync.sandboxes.flowhub.order_body import ORDER_TYPES, OrderRequest, parse_order_request
from cannasync.sandboxes.flowhub.orders import ABANDON_STATUSES, FINAL_STATUSES, FORWARD_MOVES, ORDER_STATUSES
from cannasync.sandboxes.flowhub.postbacks import POSTBACK_TIMEOUT
from cannasync.sandboxes.flowhub.state import FlowhubSandbox

__all__ = [
    "ABANDON_STATUSES",
    "ANALYTICS_KINDS",
    "CONTROL",
    "DEFAULT_ACCOUNT",
    "DEFAULT_API_KEY",
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CREDENTIALS",
    "DEFAULT_ORDER_AHEAD_CLIENT_ID",
    "DEFAULT_ORDER_AHEAD_TOKEN",
    "FINAL_STATUSES",
    "FORWARD_MOVES",
    "FOR_SALE_ROOMS",
    "INVENTORY_KINDS",
    "JSON",
    "ORDER_STATUSES",
    "ORDER_TYPES",
    "POSTBACK_TIMEOUT",
    "Account",
    "ApiError",
    "FlowhubSandbox",
    "OrderRequest",
    "create_app",
    "parse_customer_body",
    "parse_fault",
    "parse_order_request",
    "run",
]
