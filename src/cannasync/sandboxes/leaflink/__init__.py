"""A faithful local imitation of LeafLink's Marketplace v2 API, brand (seller) side (an ASGI app on Starlette).

cannasync's LeafLink connector, its tests, the demo and the benchmark talk to this app over real HTTP on
loopback. It stands for the vendor, so it imports nothing from cannasync outside ``cannasync.sandboxes``
and shares no code with the connector or the other sandboxes: if they disagree, that is a finding.

Sources: ``vendor-apis.md`` §4 and §7, and LeafLink's OpenAPI description
``leaflink-marketplace-v2.openapi.yml`` (beside it). Every 2xx body of every vendor route below is checked
against that file by ``tests/sandboxes/test_leaflink_sandbox.py``; that test lists the places where the file
is broken or contradicts its own examples and what was done about each.

Where the notes are
===================
Each module's docstring carries the notes about what it serves, with the sources it relies on:

* ``gateway.py``: the base path, the trailing slash, 404 and 405, authentication, one company per key, the
  rate limit, the retailer key's permission, request counts (choice 10).
* ``errors.py``: DRF's error shapes; ``values.py``: timestamps, money and quantities.
* ``paging.py``: limit/offset paging and the list order (choice 1).
* ``products.py``: ``/products/`` and ``/listing-states/`` (choice 8); ``records.py``: the served shapes of
  products, orders (fields, totals, payment terms) and customers (choices 6, 7).
* ``orders.py``: ``/orders-received/`` and transitions (choices 2, 9); ``states.py``: the status machine
  (choice 3); ``order_fields.py``: the writable order fields; ``line_items.py``: line items (choice 5);
  ``store.py``: reserved quantities (choice 4).
* ``customers.py``: ``/customers/``, ``/brands/``, ``/company-staff/``.
* ``app.py``: the read-only lists in general; ``directory.py``, ``order_lists.py``, ``inventory.py`` and
  ``buyer_orders.py``: each list's records.
* ``webhooks.py``: webhooks; ``catalog.py``: the well-known seeded records; ``lookups.py``: the documented
  field lookups of every list.
* ``control.py``: the control routes and faults; ``marketplace.py``: the buyers' and sellers' actions they
  stand for.
"""

from cannasync.sandboxes.leaflink.app import create_app, run
from cannasync.sandboxes.leaflink.filters import SLUG_FILTERS
from cannasync.sandboxes.leaflink.gateway import API, DEFAULT_API_KEYS
from cannasync.sandboxes.leaflink.sandbox import LeafLinkSandbox
from cannasync.sandboxes.leaflink.store import DEFAULT_WEBHOOK_KEY, Line
from cannasync.sandboxes.leaflink.values import LEAFLINK_TZ, stamp
from cannasync.sandboxes.leaflink.webhooks import sign

__all__ = [
    "API",
    "DEFAULT_API_KEYS",
    "DEFAULT_WEBHOOK_KEY",
    "LEAFLINK_TZ",
    "SLUG_FILTERS",
    "LeafLinkSandbox",
    "Line",
    "create_app",
    "run",
    "sign",
    "stamp",
]
