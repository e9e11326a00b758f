"""A faithful local imitation of Flourish's External API (an ASGI app on Starlette).

cannasync's Flourish connector, its tests, the demo and the benchmark talk to this app over real HTTP on
loopback. It stands for the vendor, so it imports nothing from cannasync outside ``cannasync.sandboxes``
and shares no code with the connector: if the two disagree, that is a finding, not a refactoring.

What it reproduces (see docs ``vendor-apis.md`` §1 and §7) is written beside the code that reproduces it,
with its sources: each module's docstring carries the notes about what it serves, and the numbered choices
(where Flourish's public notes are silent) keep their numbers wherever they live.

Where the notes live
--------------------
* ``app.py``: the route table, request counting (choice 12), ``create_app`` and ``run``.
* ``gateway.py``: what stands before every route: errors (choice 10), injected faults (choice 11).
* ``auth.py``: API keys (``x-api-key`` or Basic).
* ``wire.py``: the error shape, bodies, ``offset``/``limit`` paging (choice 3) and query parameters.
* ``facilities.py``: facilities, the ``FacilityID`` header and units of measure (choice 31).
* ``items.py`` (choices 2, 26), ``brands.py`` (choice 20), ``art.py`` (choice 5), ``inventory.py`` (choice 4).
* ``customers.py`` (choices 6, 13, 14, 15) and ``discounts.py`` (choice 17): the loyalty side's records.
* ``order_bodies.py``: a retail order's body (choice 7) and totals (the discount double counting).
* ``orders.py``: retail orders and their status machine (choices 8, 9, 16, 29, 30).
* ``sales.py``: in-store sales rung up at the counter (choice 18).
* ``wholesale.py`` (sales reps and destinations, choices 21, 22) and ``outbound.py`` (outbound orders,
  choices 23, 24, 25, 28): the wholesale side.
* ``webhooks.py``: outgoing webhooks (choice 27).
* ``control.py``: the control routes under ``/_sandbox/`` and the fault bodies they take.
* ``catalog.py`` (items, stock, art, brands; choice 1), ``seeds.py`` (customers, discounts, sales history,
  sales reps, destinations; choice 19) and ``fleet.py`` (many generated facilities): the seeded data, and the
  well-known records present for every seed.
* ``state.py`` and ``base.py``: the state all of these share, and its locking rules.
"""

from __future__ import annotations

from cannasync.sandboxes.flourish.app import create_app, run
from cannasync.sandboxes.flourish.auth import DEFAULT_CREDENTIALS
from cannasync.sandboxes.flourish.customers import CUSTOMER_ORDERINGS
from cannasync.sandboxes.flourish.discounts import DISCOUNT_TYPES
from cannasync.sandboxes.flourish.facilities import UOMS
from cannasync.sandboxes.flourish.gateway import parse_fault
from cannasync.sandboxes.flourish.inventory import MAX_SUMMARY_IDS
from cannasync.sandboxes.flourish.order_bodies import FULFILLMENT_TYPES
from cannasync.sandboxes.flourish.orders import EDITABLE_STATUSES, FINAL_STATUSES, ORDER_STATUSES
from cannasync.sandboxes.flourish.outbound import (
    LEAFLINK_PAYMENT_TERMS,
    OUTBOUND_EDITABLE,
    OUTBOUND_FINAL,
    OUTBOUND_STATUSES,
)
from cannasync.sandboxes.flourish.state import FlourishSandbox
from cannasync.sandboxes.flourish.webhooks import DEFAULT_WEBHOOK_KEY, WEBHOOK_RESOURCE_TYPES, WEBHOOK_TIMEOUT
from cannasync.sandboxes.flourish.wire import PAGE_LIMIT, V1, V2, ApiError

__all__ = [
    "CUSTOMER_ORDERINGS",
    "DEFAULT_CREDENTIALS",
    "DEFAULT_WEBHOOK_KEY",
    "DISCOUNT_TYPES",
    "EDITABLE_STATUSES",
    "FINAL_STATUSES",
    "FULFILLMENT_TYPES",
    "LEAFLINK_PAYMENT_TERMS",
    "MAX_SUMMARY_IDS",
    "ORDER_STATUSES",
    "OUTBOUND_EDITABLE",
    "OUTBOUND_FINAL",
    "OUTBOUND_STATUSES",
    "PAGE_LIMIT",
    "UOMS",
    "V1",
    "V2",
    "WEBHOOK_RESOURCE_TYPES",
    "WEBHOOK_TIMEOUT",
    "ApiError",
    "FlourishSandbox",
    "create_app",
    "parse_fault",
    "run",
]
