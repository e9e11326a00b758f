"""A local imitation of an Alleaves POS API **of our own design** (an ASGI app on Starlette).

Alleaves publishes no API reference: nothing public gives a base URL, an auth scheme or an endpoint list
(docs ``vendor-apis.md`` §3). What is known comes from Alleaves' integration article (seed 003): credentials
are Location ID + Username + Password; inventory is pulled from chosen areas; items carry menu-type prices
and an out-the-door (OTD) price, several images, tiered ("deli style") prices, a per-location low-quantity
threshold and a free-form chemical profile typed by the store; medical patients are found by medical id,
then phone. The wire format is **ours**, designed from those facts. The docstrings of this package are its
only specification, each module's carrying what that module serves (the map below); cannasync's Alleaves
connector is written against them. When a real Alleaves specification turns up, it replaces these
docstrings, this sandbox and the connector's wire layer, and nothing else.

cannasync's Alleaves connector, its tests, the demo and the benchmark talk to this app over real HTTP on
loopback. It stands for the vendor, so it imports nothing from cannasync outside ``cannasync.sandboxes``
and shares no code with the connector (with the other sandboxes it shares only the sandbox kit,
``sandboxes/_kit``: the gateway, faults, the rolling window, the control routes and value helpers): if the
connector and this app disagree, that is a finding, not a refactoring.

Wire format: where each part is specified
=========================================
* ``wire.py``: transport (base path, JSON, paths served exactly as written, timestamps, dates, money, ids)
  and paging.
* ``errors.py``: the error envelope and every error code by status; unknown routes and wrong methods
  (choice 7).
* ``auth.py``: authentication (the password grant, refresh, bearer tokens), the well-known users (choice 5).
* ``guard.py``: the order in which a request is checked, and the rate limit per access token.
* ``locations.py``: routes 1 (``GET /api/v1/location``) and 2 (``GET /api/v1/inventory-areas``) (choice 3);
  ``places.py``: the well-known locations and their areas.
* ``items.py``: route 3 (``GET /api/v1/items``, ``GET /api/v1/items/{item_id}``), item images (choice 1);
  ``catalog.py``: the generated items, their prices (choice 4) and the malformed ones.
* ``patients.py``: route 4 (patients) (choice 2); ``people.py``: the well-known patients.
* ``orders.py``: route 5 (orders and their statuses) (choice 2).
* ``fleet.py``: many locations (a scale test).
* ``control.py``: the control routes (where each is served), injected faults (choice 6); ``app.py``: request
  counts (choice 8).

Choices beyond the facts (each easy to change; none is confirmed by Alleaves)
------------------------------------------------------------------------------
Numbered as they always were; each is written out in the module named: 1 ``items.py``; 2 ``patients.py``
and ``orders.py``; 3 ``locations.py``; 4 ``catalog.py``; 5 ``auth.py``; 6 ``control.py``; 7 ``errors.py``;
8 ``app.py``.
"""

from cannasync.sandboxes._kit.gateway import CONTROL
from cannasync.sandboxes.alleaves.app import create_app, run
from cannasync.sandboxes.alleaves.auth import DEFAULT_ACCOUNT, DEFAULT_ACCOUNTS, Account, Session, parse_token_body
from cannasync.sandboxes.alleaves.control import parse_fault
from cannasync.sandboxes.alleaves.errors import ApiError
from cannasync.sandboxes.alleaves.guard import RATE_WINDOW_SECONDS
from cannasync.sandboxes.alleaves.orders import (
    FINAL_STATUSES,
    FORWARD_MOVES,
    MENU_TYPES,
    ORDER_STATUSES,
    ORDER_TYPES,
    parse_order_body,
)
from cannasync.sandboxes.alleaves.patients import parse_patient_body
from cannasync.sandboxes.alleaves.state import AlleavesSandbox
from cannasync.sandboxes.alleaves.wire import API, DEFAULT_PER_PAGE, JSON, MAX_PER_PAGE

__all__ = [
    "API",
    "CONTROL",
    "DEFAULT_ACCOUNT",
    "DEFAULT_ACCOUNTS",
    "DEFAULT_PER_PAGE",
    "FINAL_STATUSES",
    "FORWARD_MOVES",
    "JSON",
    "MAX_PER_PAGE",
    "MENU_TYPES",
    "ORDER_STATUSES",
    "ORDER_TYPES",
    "RATE_WINDOW_SECONDS",
    "Account",
    "AlleavesSandbox",
    "ApiError",
    "Session",
    "create_app",
    "parse_fault",
    "parse_order_body",
    "parse_patient_body",
    "parse_token_body",
    "run",
]
