"""A faithful local imitation of LeafLink's Marketplace v2 API, brand (seller) side (an ASGI app on Starlette).

cannasync's LeafLink connector, its tests, the demo and the benchmark talk to this app over real HTTP on
loopback. It stands for the vendor, so it imports nothing from cannasync outside ``cannasync.sandboxes``
and shares no code with the connector or the other sandboxes: if they disagree, that is a finding.

Sources: ``vendor-apis.md`` §4 and §7, and LeafLink's OpenAPI description
``leaflink-marketplace-v2.openapi.yml`` (beside it). Every 2xx body of every vendor route below is checked
against that file by ``tests/sandboxes/test_leaflink_sandbox.py``; that test lists the places where the file
is broken or contradicts its own examples and what was done about each.

Wire format
===========

Transport, auth, errors (DRF style)
-----------------------------------
* Base ``/api/v2/`` (the server root stands for ``https://app.leaflink.com``). **Every path ends with
  ``/``**: an ``/api/v2`` path without it answers 400 ``{"detail": "... must end with a slash ..."}``
  naming the path with the slash, whatever the route or method. An unknown route is 404
  ``{"detail": "Not found."}`` (before authentication, as Django resolves URLs first); a known route with
  the wrong method is 405 ``{"detail": "Method \\"X\\" not allowed."}`` (after authentication).
* ``Authorization: App <key>`` or ``Token <key>`` (keyword case-insensitive, exactly one space). No
  header or another keyword → 401 ``{"detail": "Authentication credentials were not provided."}``; a
  keyword without a key → 401 ``"Invalid token header. No credentials provided."``; more than one space
  or a key with spaces → 401 ``"Invalid token header. Token string should not contain spaces."``; an
  unknown key → 401 ``{"detail": "Invalid token."}``. 401s carry ``WWW-Authenticate: App``.
* **One company per key.** Default keys: ``ll-key-company-1`` → company 1 "Great Lakes Growers" (brands
  11 "Glacier Lake" and 12 "North Coast"); ``ll-key-company-2`` → company 2 "Lakeshore Botanicals" (brand
  21 "Lakeshore Botanicals"). A ``Token`` key is scoped to one company too (LeafLink's legacy user tokens
  cover every company of the user; not imitated). Everything a key sees is its company's: another
  company's product, order, line item, customer, brand or staff member is a 404.
* Rate limit: ``rate_limit_per_minute`` (300) requests per key in any rolling 60 seconds; past it 429
  ``{"detail": "Request was throttled. Expected available in N seconds."}`` with ``Retry-After: N``
  (DRF's throttle answer; the v2 docs do not say, the new API sends ``Retry-After``). Requests answered
  401 are not counted; refused ones are not counted either.
* Validation errors are 400 with DRF's shape ``{"<field>": ["<message>"]}``; a body that is not JSON is
  400 ``{"detail": "JSON parse error - ..."}``; unknown and read-only fields in a body are ignored.
* Timestamps are ISO 8601 with microseconds, written at a fixed UTC-06:00 offset like LeafLink's examples
  (``2020-06-10T15:15:03.776119-06:00``). Filters read any ISO 8601 date or date-time; a naive one, or a
  date alone (midnight), is read at that same UTC-06:00 offset; a bad one is 400 ``{"<param>": ["Enter a
  valid date/time."]}``.
* Money is ``{"amount": "<decimal string>", "currency": "USD"}`` (amount a string with two places, as the
  schema types it); quantities are decimal strings with four places (``"800.0000"``), including
  ``available_inventory``. Request bodies may send amounts and quantities as JSON numbers or decimal
  strings.

Paging
------
``limit`` (default 50, silently capped at 100) and ``offset`` (default 0). As DRF's LimitOffsetPagination:
an invalid, zero or negative ``limit`` means the default, an invalid or negative ``offset`` means 0. The
envelope is ``{"count", "next", "previous", "results"}``; ``next``/``previous`` are absolute URLs on the
host the request came in on, carrying the same query (sorted, as DRF writes it) with ``limit`` and the
new ``offset`` (``previous`` drops ``offset`` when it would be 0), or null. Orders are listed newest first
(``created_on`` descending, as in LeafLink's example); everything else in id order.

Routes (all under ``/api/v2``)
------------------------------
* ``GET /products/`` filters: ``id``, ``sku`` (comma list, case-insensitive exact), ``name``
  (case-insensitive exact), ``brand`` (id), ``listing_state`` (comma list of names, case-insensitive,
  or ids from ``/listing-states/``), ``archived`` (true: only Archived; false: all but Archived),
  ``external_id_key`` + ``external_id_values`` (comma list), ``modified__gt/gte/lt/lte``,
  ``created_on__*``, ``last_edit__*``. ``fields_include``/``fields_exclude`` (comma lists of top-level
  fields) work on products, orders and customers. The documented filters that name a field of the record
  (``display_name``, ``category``, ``parent__isnull``, …) are DRF lookups on the served record
  (``leaflink_lookups.py``, on every list); the few documented filters that name no field of the sandbox's
  records are accepted and ignored (``tests/contract/leaflink`` lists them with the reason).
* ``POST /products/`` (ProductCreate) → 201 ProductResponse; ``GET /products/{id}/``; ``PATCH
  /products/{id}/`` (ProductUpdate) → 200 ProductUpdateResponse (the product without
  ``product_data_items``, as that schema has it). A PATCH changes only what it sends: ``listing_state`` is
  never touched unless sent. ``available_inventory`` is writable (ProductUpdate lists it): it sets
  ``quantity = available_inventory + reserved_qty``; sending it with ``quantity`` is a 400.
* Products: every ProductResponse field. ``reserved_qty`` is the sum of the product's line quantities in
  orders that are Submitted or Accepted; ``available_inventory = quantity - reserved_qty`` (may go
  negative when the seller sets a quantity below what is reserved). Orders never change ``quantity``.
  ``listing_state`` is one of Available, Backorder, Internal, Unavailable, Sample, Archived (the schema's
  enum), ``display_listing_state`` the same. ``external_ids`` is an object (keys at most 36 characters);
  a PATCH replaces it wholesale (merge yourself).
* ``GET /orders-received/`` filters: ``status`` and ``status__not`` (comma lists, case-insensitive, the
  ten lower-case values; another value is a 400), ``number``, ``order_id`` (number or
  ``external_id_seller``), ``external_id_seller``, ``external_id_seller__icontains``, ``brand``,
  ``sales_rep`` (company-staff id), ``customer`` (name or nickname, case-insensitive containment),
  ``buyer`` (buyer company id), ``paid``, ``external_id_key`` + ``external_id_values``, ``modified__*``,
  ``created_on__*``. ``include_children=line_items`` adds ``line_items`` (LineItemResponse objects);
  without it orders carry no lines (``customer`` and ``sales_reps`` are always expanded, as in the
  example).
* ``POST /orders-received/`` (OrderCreate, beta) → 201 with ``line_items``. ``seller`` must be the key's
  company, ``customer.id`` one of its customers, ``status`` Draft or Submitted, ``line_items`` non-empty
  with ``product`` (the company's product id, integer or string), ``quantity`` (> 0),
  ``ordered_unit_price`` and ``sale_price``. Also ``sales_reps`` ``[{"id"}]``, ``payment_term`` (term or
  code), ``selected_payment_option`` ``{"payment_method_id", "payment_term_id"}``, ``external_id_seller``,
  ``external_ids``, ``discount``/``discount_type``, ``tax_amount``/``tax_type``, ``shipping_charge``,
  ``notes``, ``internal_notes``, ``delivery_preferences``. ``manual`` is true on these orders.
* ``GET /orders-received/{number}/`` (``include_children`` as above); ``PATCH`` (OrderUpdate fields, plus
  ``external_id_seller``) → 200 with ``line_items``; ``DELETE`` a Draft → 204 (else 400).
* ``POST /orders-received/{number}/transition/{action}/`` (no body) with ``submit``, ``accept``,
  ``fulfill``, ``cancel``, ``reject``, ``ship``, ``complete`` → 200, the order with ``line_items``. The
  action's target state must be in ``available_transitions``, else 400 ``{"detail": "..."}`` naming the
  status and what is available; an unknown action is a 400 too.
* ``GET /orders-received/{number}/line-items/`` → a bare array of LineItemResponse (as the file says);
  ``GET /line-items/`` (paged; ``order`` = number, ``product_id``, ``id``); ``POST /line-items/``
  (LineItemCreate with ``order``) → 201; ``GET|PATCH|DELETE /line-items/{id}/`` (LineItemUpdate; DELETE
  → 204). Lines can be added, changed or removed while the order is Draft, Submitted, Backorder or
  Accepted (else 400).
* ``GET /customers/`` (filters ``id``, ``name``, ``nickname``, ``external_id``, ``archived``,
  ``delinquent``, ``external_id_key`` + ``external_id_values``, ``modified__*``, ``created_on__*``) and
  ``GET /customers/{id}/``: CustomerResponse. ``GET /brands/``, ``/brands/{id}/``; ``GET
  /company-staff/``, ``/company-staff/{id}/`` (the sales reps).
* Every other GET route of the OpenAPI file (``/companies/``, ``/order-event-logs/``, ``/order-payments/``,
  ``/order-sales-reps/``, ``/batches/``, ``/contacts/``, ``/licenses/``, ``/license-types/``,
  ``/product-categories/``, ``/inventory/items/``, ``/inventory/facilities/``, their ``{id}`` records,
  ``/orders-received/{number}/payments/`` and ``/buyer/orders/``): read-only, built from the records above;
  see ``leaflink_lists.py``. A retailer's key (``ll-key-retailer-5005``) gets only ``/buyer/orders/`` (403
  elsewhere).
* ``GET /listing-states/`` → the paged envelope of ``{"id", "name"}``: 1 Available, 2 Backorder,
  3 Internal, 4 Unavailable, 5 Sample, 6 Archived. **Not in the OpenAPI file** (the vendor notes name the
  route and say the product filter takes its ids); shape and ids are ours.

Orders
------
* Fields: every OrderResponse field, plus ``available_payment_options`` (in LeafLink's example, not in
  the schema). ``number`` is a UUID, ``short_id`` its last 8 hex digits; ``order_number``,
  ``order_short_number``, ``order_seller_number`` (``external_id_seller`` or ``short_id``) and
  ``order_buyer_number`` follow. ``status`` is capitalised (``"Accepted"``); ``available_transitions``
  lists lower-case target states (``["fulfilled", "rejected"]``). ``customer`` is ``{"id",
  "display_name" (nickname, else name), "ext_acct_id", "delinquent"}``; ``sales_reps`` ``[{"id"
  (company-staff id), "user" (display name)}]``; ``brand`` the brand of every line when they share one,
  else null; ``facility_id`` the seller's LeafLink facility (7001, 7002); ``user`` the username of the last
  editor: ``<company slug>.api`` for writes through the API (so a client can recognise its own writes), the
  buyer's e-mail for buyer actions, a staff username for seller actions in the UI.
* Status machine (``available_transitions`` per status): Draft → submitted, cancelled; Submitted →
  accepted, backorder, rejected, cancelled; Backorder → accepted, rejected, cancelled; Accepted →
  fulfilled, rejected (exactly LeafLink's example); Fulfilled → shipped; Shipped → complete; Complete,
  Rejected, Cancelled and Combined are final. No API action leads to Backorder (the seller sets it in the
  UI: the control route). The buyer may cancel from Draft, Submitted, Backorder **and Accepted** (control
  route). Combined is set only by the combine control route.
* Totals: a line's price is its ``sale_price`` when above 0, else ``ordered_unit_price``; subtotal = Σ
  quantity × price; ``discount`` is a percentage of the subtotal (``discount_type`` ``%``) or dollars
  (``$``); ``tax_amount`` likewise on what remains; ``total`` = subtotal - discount + tax +
  ``shipping_charge``; ``final_tax`` the tax; ``payment_balance`` the total, or ``"0.00"`` once ``paid``.
* Payment terms (``payment_term {id, term, days, code}``; ids and codes from the legacy table in the
  OpenAPI file): 20 COD (cod), 12 Consignment (consign), 8 Net 3, 2 Net 7, 5 Net 10, 9 Net 14, 3 Net 15,
  6 Net 20, 4 Net 30, 7 Net 60, 14 Net 90 (net3 … net90), 10 Pre-Payment (prepay), and 21 "LeafLink
  Financial" (llf), a LeafLink-internal term the Flourish integration does not support. Every order offers
  all thirteen as ``available_payment_options`` (one method each: COD → Cash, Consignment → Check,
  Pre-Payment → Wire Transfer, the rest ACH; option id = company × 1000 + term id; ``is_default`` on the
  customer's default term). ``selected_payment_option`` is one of them or null; ``payment_term`` is its
  term (``"Net 15"``) or null; ``payment_methods`` its method name in a list. Set it with
  ``selected_payment_option`` ``{"payment_method_id", "payment_term_id"}`` (must be an offered pair,
  else 400) or the deprecated ``payment_term`` (a term or code, case-insensitive; null clears).

Webhooks
--------
Payload schemas are not published; ours: POST of ``{"event": "order.created" | "order.updated" |
"product.created" | "product.updated", "event_id": "evt-000001", "company_id": 1, "sent_at": <timestamp>,
"data": <the order with line_items, or the product>}`` to the company's webhook URL, with
``Content-Type: application/json`` and ``LL-Signature: base64(HMAC-SHA256(webhook key, raw body))``. Sent
in order from one background thread, never retried; every attempt is logged (``sandbox.webhook_log``,
``GET /_sandbox/webhooks``) as ``{"event_id", "event", "company_id", "url", "body", "signature",
"status_code", "error", "sent_at"}``. Fired by every change, **including writes made through the API**
(LeafLink does; a client must recognise its own echoes): order created (API, buyer, combine), order
updated (PATCH, transition, line-item changes, buyer edits, cancel, combine, seller moves), product
created (API) and updated (PATCH, seller edits). A change of ``reserved_qty`` caused by an order does
not fire a product webhook nor move the product's ``modified``. Seeded records fire nothing.

Well-known records (the same for every seed)
--------------------------------------------
* Companies 1 "Great Lakes Growers" (facility 7001) and 2 "Lakeshore Botanicals" (facility 7002); keys
  above; webhook key ``ll-demo-webhook-key`` for both unless configured.
* Staff 101 Dana Whitfield, 102 Marcus Bell, 103 Tomasz Kowalczyk (company 1); 201 Alicia Moreno, 202
  Priya Raman, 203 Noah Fischer (company 2). All but Noah Fischer have the e-mail of a Flourish sandbox
  sales rep.
* Customers 1001-1009 (company 1) and 2001-2005 (company 2); 1001-1004 and 2001-2002 are the Flourish
  destinations (same names and licence numbers), the others are new to Flourish; 1006's display name is
  its nickname "Motor City Remedies - Midtown". 1008, 1009, 2004 and 2005 have no orders yet.
* Products ``10001`` (Glacier Lake Blue Dream 3.5g, ``GLK-FLW-W001``, quantity 480) and ``10002``
  (North Coast Sour Diesel 1g Cartridge, ``NCO-VAP-W002``, ``external_ids`` ``{"erp": "NC-4471"}``) of
  company 1, ``20001`` and ``20002`` of company 2; then seeded products ``<company>0003`` upwards
  (``products`` per company), the first five of them in the five other listing states. Products created
  through the API get ids from 90001.
* Seeded orders: nine for company 1 (Complete, Shipped, Fulfilled, Cancelled, Accepted, Backorder,
  Accepted, Submitted, Submitted, oldest first) and five for company 2 (Complete, Rejected, Accepted,
  Draft, Submitted), with 1-4 lines each (see ``leaflink_catalog.SEED_STATUSES``). Of company 1's, the
  2nd (Shipped) has ``external_id_seller`` ``INV-1092``, the 5th (Accepted) no payment option, the 7th
  (Accepted) the unsupported "LeafLink Financial" term; the 3rd order of each company has no sales rep.

Control routes (no auth, under ``/_sandbox/``, never rate-limited; the hub never calls them)
-------------------------------------------------------------------------------------------
Answers are plain JSON (orders always with ``line_items``); errors ``{"detail"}`` with 404, 409 (a move the
machine does not allow) or 422 (a bad body).

* ``GET health``; ``GET orders`` / ``GET products`` / ``GET customers`` (every company, as served).
* ``POST orders`` ``{"company_id", "customer_id", "lines": [{"product_id", "quantity", "unit_price"?}],
  "status"?: "Submitted"|"Draft", "sales_rep_id"?, "payment_term_code"?, "notes"?}``: a buyer places an
  order (products must be the company's and Available or Backorder; ``unit_price`` defaults to the
  wholesale price; default status Submitted, payment term the customer's default) → 201.
* ``PATCH orders/{number}`` ``{"lines"?, "payment_term_code"?, "sales_rep_id"?, "notes"?}``: buyer or seller
  edits in LeafLink's UI. ``lines`` replaces the lines (a line for a product already on the order keeps
  its id), only while Draft, Submitted, Backorder or Accepted (409). ``sales_rep_id`` null removes the rep;
  ``payment_term_code`` null clears the payment option.
* ``POST orders/combine`` ``{"numbers": [...]}`` (two or more orders of one company and one customer, each
  Submitted, Backorder or Accepted, else 409) → the originals become Combined and a new Submitted order
  with all their lines (new line ids), ``is_combination`` true, the first order's reps and payment option
  → 201, the new order.
* ``POST orders/{number}/cancel``: the buyer cancels (Draft, Submitted, Backorder, Accepted; else 409).
* ``POST orders/{number}/status`` ``{"status"}``: the seller moves the order in the UI, e.g. to Backorder;
  only to a state in ``available_transitions`` (409; an unknown status 422).
* ``PATCH products/{id}`` (``listing_state``, ``quantity``, ``description``, ``name``, ``wholesale_price``
  …, as the API's PATCH): the seller edits in LeafLink's UI → fires ``product.updated``.
* ``POST customers`` ``{"company_id", "name", "nickname"?, "license_number"?, "email"?, "phone"?,
  "address"?, "city"?, "zipcode"?, "state"?}``: a new dispensary starts buying → 201 the customer.
* ``GET|POST config`` ``{"webhook_url", "company_id"?, "webhook_key"?}`` (no ``company_id``: every company;
  a null URL stops webhooks); ``GET|DELETE webhooks`` (the log); ``GET|POST|DELETE faults``; ``GET|DELETE
  requests``; ``GET|POST rate-limit`` ``{"per_minute": n}`` (null disables).

Faults: ``{"method", "path_prefix", "status", "count", "retry_after", "after"}`` answers the status with
``{"detail": "Injected fault"}`` (``after`` lets that many matching requests through first);
``{"mode": "delay", "delay_seconds"}`` waits before processing; ``{"mode": "timeout_after_commit",
"delay_seconds"}`` processes the request fully, then holds the response back. The other kinds (a reset before
or after the work, an answer cut off mid-body, a steady rate) are those of every sandbox
(``sandboxes/_kit/faults.py``).

Choices where LeafLink's public material is silent
--------------------------------------------------
Each is a guess kept easy to change.

1. Default page size 50, cap 100 (tap-leaflink pages by 100; the vendor notes' ``next`` example steps by
   50). Invalid paging values fall back as DRF does rather than erroring.
2. A failed transition is a 400 (DRF's validation error), not a 409; the OpenAPI file documents no error
   answers at all. Error bodies are DRF's.
3. Which transitions each status allows (above): only Accepted's list comes from LeafLink's example. The
   seller API cannot cancel an Accepted order (the example lists only fulfilled and rejected), the buyer
   can.
4. ``reserved_qty`` counts Submitted and Accepted only (the schema's description); Backorder and Draft
   lines reserve nothing; fulfilment does not take stock off ``quantity``.
5. Line items carry ``product`` as a string (``"10001"``) and ``quantity`` as a decimal string because
   the schema types them so; requests may send either. ``expand=product`` is ignored.
6. Customers' and products' fields that the schema neither marks nullable nor shows null in an example
   always have a value (ids 1 for ``tier``, ``price_schedule``, ``service_zone``, ``status``; 2 for
   ``license_type``; ``""`` for empty strings); ``sell_in_unit_of_measure`` is ``"Case"`` on every product
   (the only value the schema allows). Fields LeafLink's examples show as null are null.
7. Fields the schema types as strings are served as strings even where LeafLink's example shows numbers
   (money amounts, ``payment_balance``, ``available_inventory``, ``children_count``, ``image_count``,
   ``inventory_management``, ``price_schedule_price``, ``has_deals_eligible_children``), except
   ``available_transitions`` (a list) and ``is_combination`` (a boolean), where the example and the docs
   agree against the schema.
8. Product SKUs need not be unique; creating a product never deduplicates. ``POST /products/`` requires
   ``name``, ``sku`` and ``brand`` (one of the company's) and fills the schema's other required fields
   with defaults (listing state Available, unit of measure Unit, prices 0.00, category and sub-category
   of Flower, the company as seller and manufacturer, its licence, strain classification ``na``).
9. Order PATCH is allowed in every status; line edits only while Draft, Submitted, Backorder or Accepted.
   Every successful write bumps ``modified`` (strictly increasing across the sandbox, so ``modified__gt``
   polling never misses a write) and fires a webhook, even when nothing changed.
10. ``/_sandbox/requests`` counts every request that matched a vendor route, as ``"<METHOD> <template>"``
    (``"GET /api/v2/products/{id}/"``), including those answered 401, 405, 429 or with an injected fault;
    not 400s for a missing slash nor 404s for unknown routes. Injected faults fire first (they stand for
    the gateway), only on paths outside ``/_sandbox/``; ``path_prefix`` defaults to ``/api/v2/``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import re
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx2
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import Scope

from cannasync.sandboxes import leaflink_lookups
from cannasync.sandboxes._kit import app as _app
from cannasync.sandboxes._kit import faults as _faults
from cannasync.sandboxes._kit.control import control_routes
from cannasync.sandboxes._kit.faults import Fault
from cannasync.sandboxes._kit.gateway import CONTROL, RequestCounts, VendorError, VendorRoute
from cannasync.sandboxes._kit.limits import RollingWindow
from cannasync.sandboxes._kit.values import now
from cannasync.sandboxes.leaflink_catalog import (
    BRANDS,
    BUYERS,
    CATEGORIES,
    COMPANIES,
    CUSTOMERS,
    LISTING_STATES,
    PAYMENT_METHODS,
    PAYMENT_TERMS,
    STAFF,
    TERMS_BY_CODE,
    PaymentTerm,
    SeedOrder,
    generate_catalogue,
    money,
    order_number,
    quantity_text,
)

JSON = dict[str, Any]

API = "/api/v2"
DEFAULT_LIMIT = 50
MAX_LIMIT = 100
RATE_WINDOW_SECONDS = 60.0
WEBHOOK_TIMEOUT = 5.0
#: LeafLink writes timestamps at a fixed UTC-06:00 offset, as in its examples.
LEAFLINK_TZ = timezone(timedelta(hours=-6))
#: Key → company: the two seller companies, and one retailer (buyer 5005, Good Vibrations Dispensary).
DEFAULT_API_KEYS: Mapping[str, int] = {
    "ll-key-company-1": 1,
    "ll-key-company-2": 2,
    "ll-key-retailer-5005": 5005,
}
#: The only route a retailer's key may call (the others answer 403).
RETAILER_ROUTES = frozenset({f"{API}/buyer/orders/"})
DEFAULT_WEBHOOK_KEY = "ll-demo-webhook-key"
FIRST_NEW_PRODUCT_ID = 90001

STATUSES: tuple[str, ...] = (
    "Draft",
    "Submitted",
    "Accepted",
    "Backorder",
    "Fulfilled",
    "Shipped",
    "Complete",
    "Rejected",
    "Combined",
    "Cancelled",
)
#: Status → the states it can move to, as ``available_transitions`` lists them. Sources: the OpenAPI file
#: (OrderResponse.available_transitions, "States that the order can transition to"; its Accepted example lists
#: ``fulfilled`` and ``rejected``); LeafLink's help centre, "Accepting or Rejecting an Order" (an Accepted order
#: cannot go back to Submitted) and "Managing Orders" (Accepted orders enter the Fulfillment Queue, Fulfilled
#: ones the Shipment Queue: one step at a time, so a client reaching Fulfilled from Submitted must accept first).
TRANSITIONS: Mapping[str, tuple[str, ...]] = {
    "Draft": ("submitted", "cancelled"),
    "Submitted": ("accepted", "backorder", "rejected", "cancelled"),
    "Backorder": ("accepted", "rejected", "cancelled"),
    "Accepted": ("fulfilled", "rejected"),
    "Fulfilled": ("shipped",),
    "Shipped": ("complete",),
    "Complete": (),
    "Rejected": (),
    "Combined": (),
    "Cancelled": (),
}
#: Transition action → the status it leads to.
ACTIONS: Mapping[str, str] = {
    "submit": "Submitted",
    "accept": "Accepted",
    "fulfill": "Fulfilled",
    "cancel": "Cancelled",
    "reject": "Rejected",
    "ship": "Shipped",
    "complete": "Complete",
}
RESERVING = frozenset({"Submitted", "Accepted"})
LINES_EDITABLE = frozenset({"Draft", "Submitted", "Backorder", "Accepted"})
BUYER_CANCELLABLE = LINES_EDITABLE
COMBINABLE = frozenset({"Submitted", "Backorder", "Accepted"})
UNITS_OF_MEASURE = ("Milligram", "Gram", "Kilogram", "Ounce", "Pound", "Unit", "Liter", "Milliliter")
STRAIN_CLASSIFICATIONS: Mapping[str, str] = {
    "sativa": "Sativa",
    "indica": "Indica",
    "hybrid": "Hybrid",
    "na": "N/A",
    "11-cbd": "1:1 CBD",
    "high-cbd": "High CBD",
    "sativa-hybrid": "Sativa Hybrid",
    "indica-hybrid": "Indica Hybrid",
}
_ZERO = Decimal(0)
_CENT = Decimal("0.01")


class ApiError(VendorError):
    """An error answered with ``body`` (DRF style) and ``status``."""

    def __init__(self, status: int, body: JSON, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(json.dumps(body))
        self.status = status
        self.body = body
        self.headers = dict(headers or {})

    def response(self) -> JSONResponse:
        return JSONResponse(self.body, status_code=self.status, headers=self.headers)


def _detail(status: int, message: str, headers: Mapping[str, str] | None = None) -> ApiError:
    return ApiError(status, {"detail": message}, headers)


def _invalid(field: str, message: str) -> ApiError:
    return ApiError(400, {field: [message]})


def _not_found() -> ApiError:
    return _detail(404, "Not found.")


# --------------------------------------------------------------------------------------------------
# Small pure helpers


def stamp(moment: datetime) -> str:
    """A timestamp as LeafLink writes it: microseconds, fixed UTC-06:00 offset."""
    return moment.astimezone(LEAFLINK_TZ).isoformat(timespec="microseconds")


def _parse_time(value: str, name: str) -> datetime:
    text = value.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime(day.year, day.month, day.day, tzinfo=LEAFLINK_TZ)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise _invalid(name, "Enter a valid date/time.") from None
    return moment.replace(tzinfo=LEAFLINK_TZ) if moment.tzinfo is None else moment


def _decimal(value: object, name: str, *, minimum: Decimal | None = _ZERO, positive: bool = False) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _invalid(name, "A valid number is required.")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise _invalid(name, "A valid number is required.") from None
    if not number.is_finite():
        raise _invalid(name, "A valid number is required.")
    if positive and number <= 0:
        raise _invalid(name, "Ensure this value is greater than 0.")
    if minimum is not None and number < minimum:
        raise _invalid(name, f"Ensure this value is greater than or equal to {minimum}.")
    return number


def _money_value(value: object, name: str) -> Decimal:
    """The amount of a money object ``{"amount", "currency"}`` (USD only)."""
    if not isinstance(value, dict):
        raise _invalid(name, "Expected an object with amount and currency.")
    if "amount" not in value:
        raise ApiError(400, {name: {"amount": ["This field is required."]}})
    currency = value.get("currency", "USD")
    if currency != "USD":
        raise ApiError(400, {name: {"currency": ["Only USD is supported."]}})
    return _decimal(value["amount"], name)


def _integer(value: object, name: str) -> int:
    if isinstance(value, bool):
        raise _invalid(name, "A valid integer is required.")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        return int(value)
    raise _invalid(name, "A valid integer is required.")


def _string(value: object, name: str, *, nullable: bool = False, max_length: int | None = None) -> str | None:
    if value is None and nullable:
        return None
    if not isinstance(value, str):
        raise _invalid(name, "Not a valid string.")
    if max_length is not None and len(value) > max_length:
        raise _invalid(name, f"Ensure this field has no more than {max_length} characters.")
    return value


def _boolean(value: object, name: str) -> bool:
    if not isinstance(value, bool):
        raise _invalid(name, "Must be a valid boolean.")
    return value


def _optional_time(value: object, name: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise _invalid(name, "Datetime has wrong format.")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise _invalid(name, "Datetime has wrong format.") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _optional_date(value: object, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise _invalid(name, "Date has wrong format. Use one of these formats instead: YYYY-MM-DD.")
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise _invalid(name, "Date has wrong format. Use one of these formats instead: YYYY-MM-DD.") from None


def _external_ids(value: object, name: str = "external_ids") -> JSON:
    if not isinstance(value, dict):
        raise _invalid(name, "Expected a dictionary of items.")
    for key in value:
        if len(key) > 36:
            raise _invalid(name, f"Key {key!r} is longer than 36 characters.")
    return dict(value)


def _cents(value: Decimal) -> Decimal:
    return value.quantize(_CENT)


def _per_minute(value: object) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise _detail(422, "per_minute must be an integer >= 1, or null to disable the limit")
    return value


# --------------------------------------------------------------------------------------------------
# Faults


def parse_fault(body: JSON) -> Fault:
    """Validate a ``POST /_sandbox/faults`` body (the kinds and fields: sandboxes/_kit/faults.py)."""
    return _faults.parse_fault(body, default_prefix=f"{API}/", invalid=lambda message: _detail(422, message))


# --------------------------------------------------------------------------------------------------
# Webhooks


def sign(key: str, body: bytes) -> str:
    """``LL-Signature``: base64 of HMAC-SHA256 of the raw body with the company's webhook key."""
    return base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()


@dataclass
class _Delivery:
    entry: JSON
    url: str
    raw: bytes


def _deliver(delivery: _Delivery) -> JSON:
    entry = dict(delivery.entry)
    try:
        with httpx2.Client(timeout=WEBHOOK_TIMEOUT, trust_env=False) as client:
            response = client.post(
                delivery.url,
                content=delivery.raw,
                headers={
                    "Content-Type": "application/json",
                    "LL-Signature": entry["signature"],
                    "User-Agent": "leaflink-sandbox-webhooks",
                },
            )
        entry["status_code"] = response.status_code
    except Exception as error:  # the worker must survive anything a receiver does
        entry["error"] = f"{type(error).__name__}: {error}"
    return entry


class _WebhookSender:
    """Delivers webhooks in order from one background thread, started on demand and ended when idle."""

    def __init__(self, record: Callable[[JSON], None]) -> None:
        self._record = record
        self._condition = threading.Condition()
        self._queue: deque[_Delivery] = deque()
        self._busy = False

    def send(self, delivery: _Delivery) -> None:
        with self._condition:
            self._queue.append(delivery)
            if not self._busy:
                self._busy = True
                threading.Thread(target=self._run, name="leaflink-webhooks", daemon=True).start()

    def _run(self) -> None:
        while True:
            with self._condition:
                if not self._queue:
                    self._busy = False
                    self._condition.notify_all()
                    return
                delivery = self._queue.popleft()
            self._record(_deliver(delivery))

    def wait_idle(self, timeout: float) -> bool:
        with self._condition:
            return self._condition.wait_for(lambda: not self._busy, timeout)


# --------------------------------------------------------------------------------------------------
# State


@dataclass
class Line:
    """A line item as stored (the wire form is built by ``LeafLinkSandbox._line_json``)."""

    id: int
    product_id: int
    quantity: Decimal
    ordered_unit_price: Decimal
    sale_price: Decimal
    notes: str | None = None
    is_sample: bool = False
    is_packed: bool = False
    packed_at: datetime | None = None
    packed_by: int | None = None
    position: int | None = None
    batch: int | None = None

    @property
    def price(self) -> Decimal:
        return self.sale_price if self.sale_price > 0 else self.ordered_unit_price


class LeafLinkSandbox:
    """The sandbox's in-memory state: companies, brands, staff, customers, products, orders, webhooks,
    faults, rate-limit windows and request counts.

    Every public method takes ``lock`` because uvicorn may serve from several threads and tests read the
    state directly. Records are serialised to wire JSON while the lock is held, so what a method returns is
    the caller's own copy.
    """

    def __init__(
        self,
        *,
        seed: int = 1,
        products: int = 40,
        api_keys: Mapping[str, int] = DEFAULT_API_KEYS,
        webhook_url: str | None = None,
        webhook_key: str = DEFAULT_WEBHOOK_KEY,
        rate_limit_per_minute: int | None = 300,
        as_of: datetime | None = None,
    ) -> None:
        self.lock = threading.Lock()
        self.seed = seed
        moment = as_of or now()
        self.as_of = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
        self._clock = self.as_of
        self._rng = random.Random(f"leaflink-runtime-{seed}")
        self.companies: dict[int, JSON] = {
            cid: {
                "id": cid,
                "name": name,
                "slug": slug,
                "facility_id": facility,
                "webhook_url": webhook_url,
                "webhook_key": webhook_key,
                "license": {
                    "id": 2600 + cid,
                    "number": f"PR-00{cid}47",
                    "type": "Recreational",
                    "display_type": "Adult Use",
                    "classification": "Processor",
                },
            }
            for cid, name, slug, facility in COMPANIES
        }
        # A key belongs to a seller company or to a retailer (a buyer partner id, BUYERS): retailers only get
        # ``GET /buyer/orders/`` (vendor-apis.md §4, /legacy/v2/retailers/api/); see leaflink_lists.py.
        unknown = set(api_keys.values()) - set(self.companies) - {buyer[0] for buyer in BUYERS}
        if unknown:
            raise ValueError(f"api_keys name unknown companies: {sorted(unknown)}")
        self.api_keys: dict[str, int] = dict(api_keys)
        self.rate = RollingWindow(_per_minute(rate_limit_per_minute), RATE_WINDOW_SECONDS)
        self.brands: dict[int, JSON] = {
            bid: {
                "id": bid,
                "name": name,
                "company": cid,
                "description": f"{name}, a {self.companies[cid]['name']} brand.",
                "image": f"https://images.leaflink.example/brands/{bid}/logo.png",
                "banner": f"https://images.leaflink.example/brands/{bid}/banner.png",
            }
            for bid, cid, name, _ in BRANDS
        }
        self.staff: dict[int, JSON] = {
            sid: {
                "id": sid,
                "user": 9000 + sid,
                "company": cid,
                "is_admin": sid % 100 == 1,
                "is_active": True,
                "is_poc": sid % 100 == 1,
                "email": email,
                "phone": f"616555{sid:04d}",
                "identification_number": f"EMP-{sid}",
                "display_name": f"{first} {last}",
                "username": f"{first}.{last}".lower(),
            }
            for sid, cid, first, last, email in STAFF
        }
        self._buyers: dict[int, tuple[int, str, str, str, str, str, str, str, str]] = {b[0]: b for b in BUYERS}
        self._customers: dict[int, JSON] = {}
        for index, (customer_id, owner, partner) in enumerate(CUSTOMERS):
            default_term = {1003: "cod", 1005: "prepay", 2002: "net15"}.get(customer_id, "net30")
            created = self.as_of - timedelta(days=400 - index * 7)
            self._customers[customer_id] = self._new_customer(
                customer_id, owner, partner, default_term, created, delinquent=customer_id == 1007
            )
        catalogue = generate_catalogue(seed, products, self.as_of)
        self._products: dict[int, JSON] = {p["id"]: p for p in catalogue.products}
        self._next_product = FIRST_NEW_PRODUCT_ID
        self._next_customer = {cid: cid * 1000 + 101 for cid in self.companies}
        self._next_partner = 5101
        self._orders: dict[str, JSON] = {}
        self._line_orders: dict[int, str] = {}
        self._next_line = 700001
        self._reserved: dict[int, Decimal] = {}
        for seeded in catalogue.orders:
            self._seed_order(seeded)
        self._reindex()
        self.faults = _faults.Faults()
        self.requests = RequestCounts()
        self._webhooks: list[JSON] = []
        self._next_event = 1
        self._sender = _WebhookSender(self._record_webhook)

    # -- building records --------------------------------------------------------------------------

    def _new_customer(
        self, customer_id: int, owner: int, partner: int, default_term: str, created: datetime, *, delinquent: bool
    ) -> JSON:
        _, name, nickname, license_number, address, city, zipcode, email, phone = self._buyers[partner]
        return {
            "id": customer_id,
            "owner": owner,
            "partner": partner,
            "name": name,
            "nickname": nickname,
            "license_number": license_number,
            "address": address,
            "city": city,
            "zipcode": zipcode,
            "state": "MI",
            "email": email,
            "phone": phone,
            "delinquent": delinquent,
            "default_term": default_term,
            "managers": [sid for sid, staff in self.staff.items() if staff["company"] == owner][:1],
            "created_on": created,
            "modified": created,
        }

    def _tick(self) -> datetime:
        """Now, but strictly after every timestamp handed out so far."""
        moment = max(now(), self._clock + timedelta(microseconds=1))
        self._clock = moment
        return moment

    def _new_line(
        self, product_id: int, quantity: Decimal, price: Decimal, sale: Decimal = _ZERO, **extra: Any
    ) -> Line:
        line = Line(self._next_line, product_id, quantity, price, sale, **extra)
        self._next_line += 1
        return line

    def _seed_order(self, seeded: SeedOrder) -> None:
        customer = self._customers[seeded.customer_id]
        lines = [self._new_line(line.product_id, line.quantity, line.unit_price) for line in seeded.lines]
        for position, line in enumerate(lines, start=1):
            line.position = position
        order = self._order_record(
            number=seeded.number,
            company_id=seeded.company_id,
            customer_id=seeded.customer_id,
            status=seeded.status,
            lines=lines,
            sales_rep_ids=seeded.sales_rep_ids,
            term_code=seeded.payment_term_code,
            user=customer["email"] if seeded.status in ("Draft", "Submitted") else self._ui_user(seeded.company_id),
            manual=False,
            created=seeded.created_on,
        )
        order["modified"] = seeded.modified
        order["external_id_seller"] = seeded.external_id_seller
        order["notes"] = seeded.notes
        if seeded.status in ("Shipped", "Complete"):
            order["ship_date"] = seeded.modified
        if seeded.status == "Complete":
            order["paid"], order["paid_date"] = True, seeded.modified.date().isoformat()
        self._store_order(order)

    def _order_record(
        self,
        *,
        number: str,
        company_id: int,
        customer_id: int,
        status: str,
        lines: list[Line],
        sales_rep_ids: list[int],
        term_code: str | None,
        user: str,
        manual: bool,
        created: datetime,
    ) -> JSON:
        return {
            "number": number,
            "company_id": company_id,
            "customer_id": customer_id,
            "status": status,
            "lines": lines,
            "sales_rep_ids": list(sales_rep_ids),
            "term_code": term_code,
            "user": user,
            "manual": manual,
            "created_on": created,
            "modified": created,
            "external_id_seller": None,
            "external_id_buyer": None,
            "ext_acct_id": None,
            "external_ids": {},
            "discount": _ZERO,
            "discount_type": "%",
            "tax_amount": _ZERO,
            "tax_type": "%",
            "shipping": _ZERO,
            "payment_due_date": None,
            "paid": False,
            "paid_date": None,
            "ship_date": None,
            "shipping_details": None,
            "notes": "",
            "internal_notes": None,
            "delivery_preferences": "",
            "classification": "Adult Use",
            "delivery_provider": None,
            "delivery_info": None,
            "is_combination": False,
        }

    def _store_order(self, order: JSON) -> None:
        self._orders[order["number"]] = order
        for line in order["lines"]:
            self._line_orders[line.id] = order["number"]

    def _reindex(self) -> None:
        reserved: dict[int, Decimal] = {}
        for order in self._orders.values():
            if order["status"] in RESERVING:
                for line in order["lines"]:
                    reserved[line.product_id] = reserved.get(line.product_id, _ZERO) + line.quantity
        self._reserved = reserved

    def _ui_user(self, company_id: int) -> str:
        first = min(sid for sid, staff in self.staff.items() if staff["company"] == company_id)
        return str(self.staff[first]["username"])

    def api_user(self, company_id: int) -> str:
        """The ``user`` written on orders changed through the API with this company's key."""
        return f"{self.companies[company_id]['slug']}.api"

    # -- serialising ---------------------------------------------------------------------------------

    def _option(self, company_id: int, term: PaymentTerm, default_code: str | None) -> JSON:
        return {
            "id": company_id * 1000 + term.id,
            "is_default": term.code == default_code,
            "payment_program": None,
            "payment_strategy": None,
            "payment_method": {"id": term.method_id, "method": PAYMENT_METHODS[term.method_id]},
            "payment_term": term.record(),
        }

    def _product_json(self, product: JSON, *, update_response: bool = False) -> JSON:
        company = self.companies[product["company_id"]]
        quantity: Decimal = product["quantity"]
        reserved = self._reserved.get(product["id"], _ZERO)
        record: JSON = {
            "id": product["id"],
            "created_on": stamp(product["created_on"]),
            "last_edit": stamp(product["last_edit"]),
            "drop_date": None,
            "dropped": None,
            "name": product["name"],
            "sku": product["sku"],
            "description": product["description"],
            "quantity": quantity_text(quantity),
            "reserved_qty": quantity_text(reserved),
            "display_name": product["name"],
            "unit_multiplier": product["unit_multiplier"],
            "retail_price": dict(product["retail_price"]),
            "wholesale_price": dict(product["wholesale_price"]),
            "sale_price": dict(product["sale_price"]),
            "minimum_order": product["minimum_order"],
            "maximum_order": product["maximum_order"],
            "is_medical_line_item": product["is_medical_line_item"],
            "AVAILABLE_FOR_SAMPLES": product["AVAILABLE_FOR_SAMPLES"],
            "extern_acct_id": None,
            "extern_income_acct_id": "",
            "featured": product["featured"],
            "tagline": product["tagline"],
            "featured_on_deals": False,
            "allow_fractional_quantities": product["allow_fractional_quantities"],
            "parent": None,
            "listing_state": product["listing_state"],
            "display_listing_state": product["listing_state"],
            "inventory_management": product["inventory_management"],
            "unit_of_measure": product["unit_of_measure"],
            "sell_in_unit_of_measure": "Case",
            "unit_denomination": {"id": 1, "value": "1.00000", "name": "One", "label": "1"},
            "category": product["category"],
            "grow_type": None,
            "seller": company["id"],
            "seller_internal_id": "",
            "brand": product["brand"],
            "product_line": product["product_line"],
            "manufacturer": company["id"],
            "strain_classification": product["strain_classification"],
            "license": dict(company["license"]),
            "available_inventory": quantity_text(quantity - reserved),
            "children_count": "0",
            "strains": [],
            "price_schedule_price": product["wholesale_price"]["amount"],
            "image_count": "0",
            "is_ancillary": False,
            "s2s_conversion_amount": "1.0000",
            "extern_sts_ids": None,
            "strain_classification_display": STRAIN_CLASSIFICATIONS[product["strain_classification"]],
            "modified": stamp(product["modified"]),
            "sub_category": product["sub_category"],
            "has_deals_eligible_children": "false",
            "discount_percent": 0,
            "base_units_per_unit": None,
            "external_ids": dict(product["external_ids"]),
            "threshold_value": 0,
            "threshold_action": "default",
            "reverse_threshold_value": 0,
            "reverse_threshold_action": "default",
            "show_quantity": product["show_quantity"],
        }
        if not update_response:
            record["product_data_items"] = [dict(item) for item in product["product_data_items"]]
        return record

    def _line_json(self, line: Line, order: JSON) -> JSON:
        product = self._products.get(line.product_id)
        multiplier = product["unit_multiplier"] if product else 1
        wholesale = product["wholesale_price"]["amount"] if product else None
        return {
            "id": line.id,
            "ordered_unit_price": money(line.ordered_unit_price),
            "quantity": quantity_text(line.quantity),
            "order": order["number"],
            "product": str(line.product_id),
            "notes": line.notes,
            "is_sample": line.is_sample,
            "sale_price": money(line.sale_price),
            "unit_multiplier": multiplier,
            "is_medical_line_item": False,
            "is_packed": line.is_packed,
            "packed_at": stamp(line.packed_at) if line.packed_at else None,
            "packed_by": line.packed_by,
            "unit_of_measure": product["unit_of_measure"] if product else "Unit",
            "position": line.position,
            "bulk_units": int(line.quantity // multiplier) if multiplier else 0,
            "on_sale": line.sale_price > 0,
            "is_backorder": order["status"] == "Backorder",
            "order_id": order["number"],
            "batch": line.batch,
            "package_tags": "",
            "frozen_data": {},
            "wholesale_price": wholesale,
        }

    def _totals(self, order: JSON) -> tuple[Decimal, Decimal]:
        """(tax, total) of an order, in cents."""
        subtotal = sum((line.quantity * line.price for line in order["lines"]), _ZERO)
        discount = order["discount"]
        discount_value = subtotal * discount / 100 if order["discount_type"] == "%" else discount
        taxable = max(subtotal - discount_value, _ZERO)
        tax = taxable * order["tax_amount"] / 100 if order["tax_type"] == "%" else order["tax_amount"]
        return _cents(tax), _cents(taxable + tax + order["shipping"])

    def _order_json(self, order: JSON, *, lines: bool) -> JSON:
        company = self.companies[order["company_id"]]
        customer = self._customers[order["customer_id"]]
        tax, total = self._totals(order)
        term = TERMS_BY_CODE.get(order["term_code"]) if order["term_code"] else None
        options = [self._option(company["id"], t, customer["default_term"]) for t in PAYMENT_TERMS]
        selected = self._option(company["id"], term, customer["default_term"]) if term else None
        brands = {
            self._products[line.product_id]["brand"] for line in order["lines"] if line.product_id in self._products
        }
        address = {
            "address": customer["address"],
            "city": customer["city"],
            "state": customer["state"],
            "unit_number": "",
            "zipcode": customer["zipcode"],
        }
        record: JSON = {
            "number": order["number"],
            "short_id": order["number"][-8:],
            "external_id_seller": order["external_id_seller"],
            "external_id_buyer": order["external_id_buyer"],
            "ext_acct_id": order["ext_acct_id"],
            "created_on": stamp(order["created_on"]),
            "user": order["user"],
            "buyer": customer["partner"],
            "seller": company["id"],
            "customer": self._light_customer(customer),
            "brand": brands.pop() if len(brands) == 1 else None,
            "status": order["status"],
            "manual": order["manual"],
            "discount": float(order["discount"]),
            "discount_type": order["discount_type"],
            "tax_amount": float(order["tax_amount"]),
            "tax_type": order["tax_type"],
            "final_tax": str(tax),
            "shipping_charge": money(order["shipping"]),
            "total": money(total),
            "payment_term": term.term if term else None,
            "payment_methods": [PAYMENT_METHODS[term.method_id]] if term else [],
            "available_payment_options": options,
            "selected_payment_option": selected,
            "payment_due_date": stamp(order["payment_due_date"]) if order["payment_due_date"] else None,
            "paid": order["paid"],
            "paid_date": order["paid_date"],
            "ship_date": stamp(order["ship_date"]) if order["ship_date"] else None,
            "shipping_details": order["shipping_details"],
            "notes": order["notes"],
            "internal_notes": order["internal_notes"],
            "delivery_preferences": order["delivery_preferences"],
            "sales_reps": [
                {"id": sid, "user": self.staff[sid]["display_name"]}
                for sid in order["sales_rep_ids"]
                if sid in self.staff
            ],
            "classification": order["classification"],
            "payment_balance": "0.00" if order["paid"] else str(total),
            "available_transitions": list(TRANSITIONS[order["status"]]),
            "modified": stamp(order["modified"]),
            "has_special_requests": bool(order["delivery_preferences"]),
            "delivery_provider": order["delivery_provider"],
            "order_taxes": [],
            "delivery_info": order["delivery_info"],
            "is_combination": order["is_combination"],
            "llf_payment_method": term is not None and term.code == "llf",
            "credits": "0.00",
            "facility_id": company["facility_id"],
            "order_number": order["number"],
            "order_seller_number": order["external_id_seller"] or order["number"][-8:],
            "order_buyer_number": order["external_id_buyer"] or order["number"][-8:],
            "order_short_number": order["number"][-8:],
            "distributor": "",
            "external_ids": dict(order["external_ids"]),
            "corporate_address": dict(address),
            "delivery_address": dict(address),
        }
        if lines:
            record["line_items"] = [self._line_json(line, order) for line in order["lines"]]
        return record

    def _light_customer(self, customer: JSON) -> JSON:
        return {
            "id": customer["id"],
            "display_name": customer["nickname"] or customer["name"],
            "ext_acct_id": None,
            "delinquent": customer["delinquent"],
        }

    def _customer_json(self, customer: JSON) -> JSON:
        owner = customer["owner"]
        term = TERMS_BY_CODE[customer["default_term"]]
        address = {
            "address": customer["address"],
            "unit_number": "",
            "city": customer["city"],
            "county": "",
            "state": customer["state"],
            "zipcode": customer["zipcode"],
        }
        domain = customer["email"].partition("@")[2] or "example.com"
        partner = customer["partner"]
        return {
            "id": customer["id"],
            "state": customer["state"],
            "managers": list(customer["managers"]),
            "created_on": stamp(customer["created_on"]),
            "modified": stamp(customer["modified"]),
            "next_contact_date": (customer["modified"] + timedelta(days=30)).date().isoformat(),
            "nickname": customer["nickname"],
            "external_id": "",
            "ext_acct_id": "",
            "license_number": customer["license_number"],
            "old_license_number": None,
            "license_inactive": False,
            "business_identifier": "",
            "ein": f"38-{(partner * 7919) % 10_000_000:07d}",
            "directions": "",
            "delivery_preferences": "",
            "currency": "USD",
            "shipping_charge": "0.00",
            "brand": "",
            "name": customer["name"],
            "dba": customer["nickname"] or customer["name"],
            "business_license_name": customer["name"],
            "description": "",
            "website": f"https://{domain}",
            "address": customer["address"],
            "unit_number": "",
            "zipcode": customer["zipcode"],
            "city": customer["city"],
            "county": "",
            "country": "US",
            "lat": f"{42 + (partner % 97) / 100:.6f}",
            "long": f"{-84 - (partner % 89) / 100:.6f}",
            "phone": customer["phone"],
            "phone_extension": "",
            "email": customer["email"],
            "notes": "",
            "leaflink_last_views": stamp(customer["modified"]),
            "leaflink_source": False,
            "archived": False,
            "delinquent": customer["delinquent"],
            "discount_percent": "0.00",
            "owner": owner,
            "partner": partner,
            "tier": 1,
            "price_schedule": 1,
            "service_zone": 1,
            "license_type": 2,
            "payment_term": term.id,
            "payment_methods": [term.method_id],
            "available_payment_options": [self._option(owner, t, customer["default_term"]) for t in PAYMENT_TERMS],
            "status": 1,
            "external_ids": {},
            "corporate_address": dict(address),
            "delivery_address": dict(address),
        }

    # -- auth and rate limit ---------------------------------------------------------------------

    def authenticate(self, authorization: str | None) -> tuple[str, int]:
        """(key, company id) of an ``Authorization`` header, or the 401 LeafLink answers."""
        challenge = {"WWW-Authenticate": "App"}
        if not authorization:
            raise _detail(401, "Authentication credentials were not provided.", challenge)
        keyword, _, key = authorization.partition(" ")
        if keyword.lower() not in ("app", "token"):
            raise _detail(401, "Authentication credentials were not provided.", challenge)
        if not key:
            raise _detail(401, "Invalid token header. No credentials provided.", challenge)
        if key != key.strip() or " " in key:
            raise _detail(401, "Invalid token header. Token string should not contain spaces.", challenge)
        with self.lock:
            company_id = self.api_keys.get(key)
        if company_id is None:
            raise _detail(401, "Invalid token.", challenge)
        return key, company_id

    @property
    def rate_limit_per_minute(self) -> int | None:
        return self.rate.allowance

    def admit(self, key: str, now: float | None = None) -> int | None:
        """None if one more request fits the key's rolling minute (and count it), else the Retry-After."""
        return self.rate.admit(key, now)

    def set_rate_limit(self, per_minute: int | None) -> None:
        self.rate.set(_per_minute(per_minute))

    # -- webhooks ------------------------------------------------------------------------------------

    def _emit(self, company_id: int, event: str, data: JSON) -> None:
        """Queue a webhook (lock held); nothing when the company has no webhook URL."""
        company = self.companies[company_id]
        url = company["webhook_url"]
        if not url:
            return
        event_id = f"evt-{self._next_event:06d}"
        self._next_event += 1
        sent_at = stamp(self._tick())
        body = {"event": event, "event_id": event_id, "company_id": company_id, "sent_at": sent_at, "data": data}
        raw = json.dumps(body).encode()
        signature = sign(company["webhook_key"], raw)
        entry: JSON = {
            "event_id": event_id,
            "event": event,
            "company_id": company_id,
            "url": url,
            "body": body,
            "signature": signature,
            "status_code": None,
            "error": None,
            "sent_at": sent_at,
        }
        self._sender.send(_Delivery(entry, url, raw))

    def _emit_order(self, order: JSON, event: str = "order.updated") -> JSON:
        record = self._order_json(order, lines=True)
        self._emit(order["company_id"], event, record)
        return record

    def _record_webhook(self, entry: JSON) -> None:
        with self.lock:
            self._webhooks.append(entry)

    @property
    def webhook_log(self) -> list[JSON]:
        """Every webhook attempt so far, in sending order."""
        with self.lock:
            return list(self._webhooks)

    def clear_webhook_log(self) -> None:
        with self.lock:
            self._webhooks.clear()

    def wait_for_webhooks(self, timeout: float = 5.0) -> bool:
        """Wait until every webhook queued so far has been attempted; False on timeout."""
        return self._sender.wait_idle(timeout)

    def configure(self, body: JSON) -> list[JSON]:
        """``POST /_sandbox/config``: webhook URL (and key) of one company or all."""
        url = body.get("webhook_url")
        if url is not None and (not isinstance(url, str) or not re.match(r"^https?://[^\s/]+", url)):
            raise _detail(422, "webhook_url must be an http(s) URL or null")
        key = body.get("webhook_key")
        if key is not None and (not isinstance(key, str) or not key):
            raise _detail(422, "webhook_key must be a non-empty string")
        company_id = body.get("company_id")
        with self.lock:
            if company_id is not None and company_id not in self.companies:
                raise _detail(422, f"Unknown company_id {company_id!r}")
            for cid, company in self.companies.items():
                if company_id is None or cid == company_id:
                    if "webhook_url" in body:
                        company["webhook_url"] = url
                    if key is not None:
                        company["webhook_key"] = key
        return self.config()

    def config(self) -> list[JSON]:
        with self.lock:
            return [
                {"company_id": cid, "webhook_url": c["webhook_url"], "webhook_key": c["webhook_key"]}
                for cid, c in self.companies.items()
            ]

    # -- reads -----------------------------------------------------------------------------------------

    def list_products(self, company_id: int, keep: Callable[[JSON], bool]) -> list[JSON]:
        with self.lock:
            return [self._product_json(p) for p in self._products.values() if p["company_id"] == company_id and keep(p)]

    def product(self, company_id: int | None, product_id: int) -> JSON:
        with self.lock:
            return self._product_json(self._product(company_id, product_id))

    def _product(self, company_id: int | None, product_id: int) -> JSON:
        product = self._products.get(product_id)
        if product is None or (company_id is not None and product["company_id"] != company_id):
            raise _not_found()
        return product

    def all_products(self) -> list[JSON]:
        with self.lock:
            return [self._product_json(p) for p in self._products.values()]

    def list_orders(self, company_id: int, keep: Callable[[JSON], bool], *, lines: bool) -> list[JSON]:
        with self.lock:
            chosen = [o for o in self._orders.values() if o["company_id"] == company_id and keep(o)]
            chosen.sort(key=lambda o: (o["created_on"], o["number"]), reverse=True)
            return [self._order_json(o, lines=lines) for o in chosen]

    def order(self, company_id: int | None, number: str, *, lines: bool = True) -> JSON:
        with self.lock:
            return self._order_json(self._order(company_id, number), lines=lines)

    def _order(self, company_id: int | None, number: str) -> JSON:
        order = self._orders.get(number.lower())
        if order is None or (company_id is not None and order["company_id"] != company_id):
            raise _not_found()
        return order

    def all_orders(self) -> list[JSON]:
        with self.lock:
            chosen = sorted(self._orders.values(), key=lambda o: (o["created_on"], o["number"]), reverse=True)
            return [self._order_json(o, lines=True) for o in chosen]

    def line_items(self, company_id: int, keep: Callable[[Line, JSON], bool]) -> list[JSON]:
        with self.lock:
            rows: list[JSON] = []
            for line_id in sorted(self._line_orders):
                order = self._orders[self._line_orders[line_id]]
                if order["company_id"] != company_id:
                    continue
                line = next(candidate for candidate in order["lines"] if candidate.id == line_id)
                if keep(line, order):
                    rows.append(self._line_json(line, order))
            return rows

    def order_lines(self, company_id: int, number: str) -> list[JSON]:
        with self.lock:
            order = self._order(company_id, number)
            return [self._line_json(line, order) for line in order["lines"]]

    def line_item(self, company_id: int, line_id: int) -> JSON:
        with self.lock:
            line, order = self._line(company_id, line_id)
            return self._line_json(line, order)

    def _line(self, company_id: int, line_id: int) -> tuple[Line, JSON]:
        number = self._line_orders.get(line_id)
        if number is None:
            raise _not_found()
        order = self._orders[number]
        if order["company_id"] != company_id:
            raise _not_found()
        return next(line for line in order["lines"] if line.id == line_id), order

    def list_customers(self, company_id: int, keep: Callable[[JSON], bool]) -> list[JSON]:
        with self.lock:
            return [self._customer_json(c) for c in self._customers.values() if c["owner"] == company_id and keep(c)]

    def customer(self, company_id: int, customer_id: int) -> JSON:
        with self.lock:
            customer = self._customers.get(customer_id)
            if customer is None or customer["owner"] != company_id:
                raise _not_found()
            return self._customer_json(customer)

    def all_customers(self) -> list[JSON]:
        with self.lock:
            return [self._customer_json(c) for c in self._customers.values()]

    # -- product writes ----------------------------------------------------------------------------

    def create_product(self, company_id: int, body: JSON) -> JSON:
        with self.lock:
            fields = self._product_fields(company_id, body, creating=True)
            moment = self._tick()
            product_id = self._next_product
            self._next_product += 1
            name = fields.pop("name")
            product: JSON = {
                "id": product_id,
                "company_id": company_id,
                "created_on": moment,
                "last_edit": moment,
                "modified": moment,
                "name": name,
                "sku": fields.pop("sku"),
                "description": "",
                "quantity": _ZERO,
                "unit_multiplier": 1,
                "retail_price": money(0),
                "wholesale_price": money(0),
                "sale_price": money(0),
                "minimum_order": quantity_text(1),
                "maximum_order": None,
                "is_medical_line_item": False,
                "AVAILABLE_FOR_SAMPLES": False,
                "featured": False,
                "tagline": None,
                "allow_fractional_quantities": False,
                "listing_state": "Available",
                "inventory_management": "1",
                "unit_of_measure": "Unit",
                "category": CATEGORIES["Flower"][0],
                "sub_category": CATEGORIES["Flower"][1],
                "brand": fields.pop("brand"),
                "product_line": 0,
                "strain_classification": "na",
                "external_ids": {},
                "show_quantity": True,
                "product_data_items": [],
            }
            product["product_line"] = product["brand"] * 10 + 1
            product.update(fields)
            self._products[product_id] = product
            record = self._product_json(product)
            self._emit(company_id, "product.created", record)
            return record

    def update_product(self, company_id: int | None, product_id: int, body: JSON) -> JSON:
        """PATCH a product (through the API, or as the seller in the UI when ``company_id`` is None)."""
        with self.lock:
            product = self._product(company_id, product_id)
            fields = self._product_fields(product["company_id"], body, creating=False)
            if "available_inventory" in fields:
                if "quantity" in fields:
                    raise ApiError(400, {"non_field_errors": ["Send quantity or available_inventory, not both."]})
                available = fields.pop("available_inventory")
                fields["quantity"] = available + self._reserved.get(product_id, _ZERO)
            moment = self._tick()
            updated = {**product, **fields, "modified": moment, "last_edit": moment}
            self._products[product_id] = updated
            self._emit(updated["company_id"], "product.updated", self._product_json(updated))
            return self._product_json(updated, update_response=company_id is not None)

    def _product_fields(self, company_id: int, body: JSON, *, creating: bool) -> JSON:
        """Validate the writable fields of ProductCreate / ProductUpdate (lock held)."""
        fields: JSON = {}
        if creating:
            missing = [name for name in ("name", "sku", "brand") if body.get(name) is None]
            if missing:
                raise ApiError(400, {name: ["This field is required."] for name in missing})
            seller = body.get("seller")
            if seller is not None and _integer(seller, "seller") != company_id:
                raise _invalid("seller", "You can only create products for your own company.")
        for name in ("name", "sku"):
            if name in body:
                value = _string(body[name], name, max_length=255)
                if not value:
                    raise _invalid(name, "This field may not be blank.")
                fields[name] = value
        if "description" in body:
            fields["description"] = _string(body["description"], "description", nullable=True) or ""
        if "tagline" in body:
            fields["tagline"] = _string(body["tagline"], "tagline", nullable=True)
        if "brand" in body:
            brand = _integer(body["brand"], "brand")
            if self.brands.get(brand, {}).get("company") != company_id:
                raise _invalid("brand", f'Invalid pk "{brand}" - object does not exist.')
            fields["brand"] = brand
        for name in ("quantity", "available_inventory"):
            if name in body:
                fields[name] = _decimal(body[name], name, minimum=_ZERO if name == "quantity" else None)
        for name in ("retail_price", "wholesale_price", "sale_price"):
            if name in body:
                fields[name] = money(_money_value(body[name], name))
        if "listing_state" in body:
            if body["listing_state"] not in LISTING_STATES:
                raise _invalid("listing_state", f'"{body["listing_state"]}" is not a valid choice.')
            fields["listing_state"] = body["listing_state"]
        if "unit_of_measure" in body:
            if body["unit_of_measure"] not in UNITS_OF_MEASURE:
                raise _invalid("unit_of_measure", f'"{body["unit_of_measure"]}" is not a valid choice.')
            fields["unit_of_measure"] = body["unit_of_measure"]
        if "strain_classification" in body:
            if body["strain_classification"] not in STRAIN_CLASSIFICATIONS:
                raise _invalid("strain_classification", f'"{body["strain_classification"]}" is not a valid choice.')
            fields["strain_classification"] = body["strain_classification"]
        if "inventory_management" in body:
            value = str(body["inventory_management"])
            if value not in ("1", "2", "3"):
                raise _invalid("inventory_management", f'"{value}" is not a valid choice.')
            fields["inventory_management"] = value
        for name in ("unit_multiplier", "category", "sub_category"):
            if name in body:
                number = _integer(body[name], name)
                if number < 1:
                    raise _invalid(name, "Ensure this value is greater than or equal to 1.")
                fields[name] = number
        for name in ("minimum_order", "maximum_order"):
            if name in body:
                value = body[name]
                fields[name] = (
                    None if value is None and name == "maximum_order" else quantity_text(_decimal(value, name))
                )
        for name in ("featured", "show_quantity", "AVAILABLE_FOR_SAMPLES", "allow_fractional_quantities"):
            if name in body:
                fields[name] = _boolean(body[name], name)
        if "external_ids" in body:
            fields["external_ids"] = _external_ids(body["external_ids"])
        if "product_data_items" in body:
            items = body["product_data_items"]
            if not isinstance(items, list) or not all(isinstance(i, dict) and "spec_type" in i for i in items):
                raise _invalid("product_data_items", "Each item needs a spec_type.")
            fields["product_data_items"] = [dict(item) for item in items]
        return fields

    # -- order writes ------------------------------------------------------------------------------

    def _parse_api_lines(self, company_id: int, raw: object, name: str = "line_items") -> list[Line]:
        if not isinstance(raw, list) or not raw:
            raise _invalid(name, "This list may not be empty.")
        lines: list[Line] = []
        for index, item in enumerate(raw, start=1):
            if not isinstance(item, dict):
                raise _invalid(name, f"Line {index}: expected an object.")
            lines.append(self._parse_api_line(company_id, item, f"{name}[{index}]"))
        return lines

    def _parse_api_line(self, company_id: int, item: JSON, name: str) -> Line:
        missing = [f for f in ("product", "quantity", "ordered_unit_price", "sale_price") if f not in item]
        if missing:
            raise ApiError(400, {name: {f: ["This field is required."] for f in missing}})
        product_id = _integer(item["product"], f"{name}.product")
        product = self._products.get(product_id)
        if product is None or product["company_id"] != company_id:
            raise _invalid(f"{name}.product", f'Invalid pk "{product_id}" - object does not exist.')
        line = self._new_line(
            product_id,
            _decimal(item["quantity"], f"{name}.quantity", positive=True),
            _money_value(item["ordered_unit_price"], f"{name}.ordered_unit_price"),
            _money_value(item["sale_price"], f"{name}.sale_price"),
        )
        self._apply_line_fields(line, item, name)
        return line

    def _apply_line_fields(self, line: Line, item: JSON, name: str) -> None:
        if "notes" in item:
            line.notes = _string(item["notes"], f"{name}.notes", nullable=True)
        if "is_sample" in item:
            line.is_sample = _boolean(item["is_sample"], f"{name}.is_sample")
        if "is_packed" in item:
            line.is_packed = _boolean(item["is_packed"], f"{name}.is_packed")
        if "packed_at" in item:
            line.packed_at = _optional_time(item["packed_at"], f"{name}.packed_at")
        for field in ("packed_by", "position", "batch"):
            if field in item:
                value = item[field]
                setattr(line, field, None if value is None else _integer(value, f"{name}.{field}"))

    def _check_reps(self, company_id: int, raw: object) -> list[int]:
        if not isinstance(raw, list):
            raise _invalid("sales_reps", "Expected a list of items.")
        reps: list[int] = []
        for item in raw:
            rep = _integer(item.get("id") if isinstance(item, dict) else item, "sales_reps")
            if self.staff.get(rep, {}).get("company") != company_id:
                raise _invalid("sales_reps", f'Invalid pk "{rep}" - object does not exist.')
            reps.append(rep)
        return reps

    def _term_from_body(self, company_id: int, body: JSON) -> tuple[bool, str | None]:
        """(given, term code) from ``selected_payment_option`` or the deprecated ``payment_term``."""
        if "selected_payment_option" in body:
            option = body["selected_payment_option"]
            if option is None:
                return True, None
            if not isinstance(option, dict):
                raise _invalid("selected_payment_option", "Expected an object.")
            missing = [f for f in ("payment_method_id", "payment_term_id") if f not in option]
            if missing:
                raise ApiError(400, {"selected_payment_option": {f: ["This field is required."] for f in missing}})
            method_id = _integer(option["payment_method_id"], "selected_payment_option.payment_method_id")
            term_id = _integer(option["payment_term_id"], "selected_payment_option.payment_term_id")
            for term in PAYMENT_TERMS:
                if term.id == term_id and term.method_id == method_id:
                    return True, term.code
            raise _invalid(
                "selected_payment_option",
                f"No available payment option with payment_method_id {method_id} and payment_term_id {term_id}.",
            )
        if "payment_term" in body:
            value = body["payment_term"]
            if value is None:
                return True, None
            if not isinstance(value, str):
                raise _invalid("payment_term", "Not a valid string.")
            wanted = value.strip().lower()
            for term in PAYMENT_TERMS:
                if wanted in (term.term.lower(), term.code):
                    return True, term.code
            raise _invalid("payment_term", f'"{value}" is not a valid payment term.')
        return False, None

    def _apply_order_fields(self, company_id: int, order: JSON, body: JSON) -> None:
        """The OrderUpdate fields (and the OrderCreate extras) of ``body`` onto ``order`` (lock held)."""
        for name in ("discount", "tax_amount"):
            if name in body:
                order[name] = _decimal(body[name], name)
        for name in ("discount_type", "tax_type"):
            if name in body:
                if body[name] not in ("%", "$"):
                    raise _invalid(name, f'"{body[name]}" is not a valid choice.')
                order[name] = body[name]
        if "shipping_charge" in body:
            order["shipping"] = _money_value(body["shipping_charge"], "shipping_charge")
        given, code = self._term_from_body(company_id, body)
        if given:
            order["term_code"] = code
        for name in ("payment_due_date", "ship_date"):
            if name in body:
                order[name] = _optional_time(body[name], name)
        if "paid" in body:
            order["paid"] = _boolean(body["paid"], "paid")
        if "paid_date" in body:
            order["paid_date"] = _optional_date(body["paid_date"], "paid_date")
        for name, limit in (("shipping_details", None), ("notes", 2000), ("internal_notes", 2000)):
            if name in body:
                order[name] = _string(body[name], name, nullable=True, max_length=limit)
        if "external_id_seller" in body:
            value = _string(body["external_id_seller"], "external_id_seller", nullable=True)
            order["external_id_seller"] = value or None
        if "delivery_preferences" in body:
            order["delivery_preferences"] = _string(body["delivery_preferences"], "delivery_preferences", nullable=True)
        if "classification" in body:
            order["classification"] = _string(body["classification"], "classification") or "Adult Use"
        if "delivery_provider" in body:
            value = body["delivery_provider"]
            order["delivery_provider"] = None if value is None else _integer(value, "delivery_provider")
        if "delivery_info" in body:
            info = body["delivery_info"]
            if info is not None and not isinstance(info, dict):
                raise _invalid("delivery_info", "Expected an object.")
            order["delivery_info"] = info
        if "external_ids" in body:
            order["external_ids"] = _external_ids(body["external_ids"])

    def create_order(self, company_id: int, body: JSON) -> JSON:
        """``POST /orders-received/`` (OrderCreate)."""
        with self.lock:
            missing = [name for name in ("seller", "customer", "status", "line_items") if name not in body]
            if missing:
                raise ApiError(400, {name: ["This field is required."] for name in missing})
            if _integer(body["seller"], "seller") != company_id:
                raise _invalid("seller", "You can only create orders for your own company.")
            customer_ref = body["customer"]
            if not isinstance(customer_ref, dict) or "id" not in customer_ref:
                raise ApiError(400, {"customer": {"id": ["This field is required."]}})
            customer_id = _integer(customer_ref["id"], "customer")
            customer = self._customers.get(customer_id)
            if customer is None or customer["owner"] != company_id:
                raise _invalid("customer", f'Invalid pk "{customer_id}" - object does not exist.')
            if body["status"] not in ("Draft", "Submitted"):
                raise _invalid("status", f'"{body["status"]}" is not a valid choice.')
            lines = self._parse_api_lines(company_id, body["line_items"])
            for position, line in enumerate(lines, start=1):
                line.position = line.position or position
            reps = self._check_reps(company_id, body.get("sales_reps", []))
            order = self._order_record(
                number=order_number(self._rng),
                company_id=company_id,
                customer_id=customer_id,
                status=body["status"],
                lines=lines,
                sales_rep_ids=reps,
                term_code=customer["default_term"],
                user=self.api_user(company_id),
                manual=True,
                created=self._tick(),
            )
            self._apply_order_fields(company_id, order, body)
            if "ext_acct_id" in body:
                order["ext_acct_id"] = _string(body["ext_acct_id"], "ext_acct_id", nullable=True)
            self._store_order(order)
            self._reindex()
            return self._emit_order(order, "order.created")

    def update_order(self, company_id: int, number: str, body: JSON) -> JSON:
        """``PATCH /orders-received/{number}/`` (OrderUpdate)."""
        with self.lock:
            order = self._order(company_id, number)
            changed = dict(order)
            self._apply_order_fields(company_id, changed, body)
            changed["modified"], changed["user"] = self._tick(), self.api_user(company_id)
            self._store_order(changed)
            return self._emit_order(changed)

    def delete_order(self, company_id: int, number: str) -> None:
        with self.lock:
            order = self._order(company_id, number)
            if order["status"] != "Draft":
                raise _detail(400, f"Only draft orders can be deleted; this order is {order['status']}.")
            del self._orders[order["number"]]
            for line in order["lines"]:
                self._line_orders.pop(line.id, None)

    def transition(self, company_id: int, number: str, action: str) -> JSON:
        """``POST /orders-received/{number}/transition/{action}/``."""
        with self.lock:
            order = self._order(company_id, number)
            target = ACTIONS.get(action.lower())
            if target is None:
                raise _detail(400, f'Unknown transition action "{action}"; use one of: {", ".join(ACTIONS)}.')
            return self._move(order, target, self.api_user(company_id), api=True)

    def _move(self, order: JSON, target: str, user: str, *, api: bool) -> JSON:
        available = TRANSITIONS[order["status"]]
        if target.lower() not in available:
            message = (
                f"Cannot transition order {order['number']} from {order['status']} to {target}; "
                f"available transitions: {', '.join(available) or 'none'}."
            )
            raise _detail(400 if api else 409, message)
        moment = self._tick()
        changed = {**order, "status": target, "modified": moment, "user": user}
        if target == "Shipped" and changed["ship_date"] is None:
            changed["ship_date"] = moment
        self._store_order(changed)
        self._reindex()
        return self._emit_order(changed)

    def _editable(self, order: JSON, *, api: bool) -> None:
        if order["status"] not in LINES_EDITABLE:
            raise _detail(400 if api else 409, f"Line items of an order in status {order['status']} cannot be changed.")

    def _replace_lines(self, order: JSON, lines: list[Line], user: str) -> JSON:
        changed = {**order, "lines": lines, "modified": self._tick(), "user": user}
        for line in order["lines"]:
            self._line_orders.pop(line.id, None)
        self._store_order(changed)
        self._reindex()
        return self._emit_order(changed)

    def create_line_item(self, company_id: int, body: JSON) -> JSON:
        with self.lock:
            if not body.get("order"):
                raise _invalid("order", "This field is required.")
            order = self._order(company_id, str(body["order"]))
            self._editable(order, api=True)
            line = self._parse_api_line(company_id, body, "line_item")
            line.position = line.position or len(order["lines"]) + 1
            self._replace_lines(order, [*order["lines"], line], self.api_user(company_id))
            return self._line_json(line, self._orders[order["number"]])

    def update_line_item(self, company_id: int, line_id: int, body: JSON) -> JSON:
        with self.lock:
            line, order = self._line(company_id, line_id)
            self._editable(order, api=True)
            changed = Line(**asdict(line))
            if "quantity" in body:
                changed.quantity = _decimal(body["quantity"], "quantity", positive=True)
            if "ordered_unit_price" in body:
                changed.ordered_unit_price = _money_value(body["ordered_unit_price"], "ordered_unit_price")
            if "sale_price" in body:
                changed.sale_price = _money_value(body["sale_price"], "sale_price")
            self._apply_line_fields(changed, body, "line_item")
            lines = [changed if candidate.id == line_id else candidate for candidate in order["lines"]]
            self._replace_lines(order, lines, self.api_user(company_id))
            return self._line_json(changed, self._orders[order["number"]])

    def delete_line_item(self, company_id: int, line_id: int) -> None:
        with self.lock:
            _, order = self._line(company_id, line_id)
            self._editable(order, api=True)
            if len(order["lines"]) == 1:
                raise _detail(400, "An order needs at least one line item; cancel or delete the order instead.")
            lines = [candidate for candidate in order["lines"] if candidate.id != line_id]
            self._replace_lines(order, lines, self.api_user(company_id))

    # -- buyer and seller actions (control routes) ---------------------------------------------------

    def _buyer_lines(self, company_id: int, raw: object, keep: Sequence[Line] = ()) -> list[Line]:
        if not isinstance(raw, list) or not raw:
            raise _detail(422, "lines must be a non-empty list")
        existing = {line.product_id: line for line in keep}
        lines: list[Line] = []
        for index, item in enumerate(raw, start=1):
            if not isinstance(item, dict):
                raise _detail(422, f"lines[{index}] must be an object")
            try:
                product_id = _integer(item.get("product_id"), "product_id")
                quantity = _decimal(item.get("quantity"), "quantity", positive=True)
            except ApiError:
                raise _detail(422, f"lines[{index}] needs a product_id and a quantity > 0") from None
            product = self._products.get(product_id)
            if product is None or product["company_id"] != company_id:
                raise _detail(422, f"lines[{index}]: product {product_id} is not one of company {company_id}'s")
            if product["listing_state"] not in ("Available", "Backorder"):
                raise _detail(422, f"lines[{index}]: product {product_id} is {product['listing_state']}")
            price = Decimal(product["wholesale_price"]["amount"])
            if item.get("unit_price") is not None:
                try:
                    price = _decimal(item["unit_price"], "unit_price")
                except ApiError:
                    raise _detail(422, f"lines[{index}].unit_price must be a number >= 0") from None
            if product_id in existing:
                kept = existing.pop(product_id)
                line = Line(**{**asdict(kept), "quantity": quantity, "ordered_unit_price": price})
            else:
                line = self._new_line(product_id, quantity, price)
            line.position = index
            lines.append(line)
        return lines

    def _control_term(self, body: JSON) -> tuple[bool, str | None]:
        if "payment_term_code" not in body:
            return False, None
        code = body["payment_term_code"]
        if code is not None and code not in TERMS_BY_CODE:
            raise _detail(422, f"payment_term_code must be one of: {', '.join(TERMS_BY_CODE)}, or null")
        return True, code

    def _control_rep(self, company_id: int, body: JSON) -> tuple[bool, list[int]]:
        if "sales_rep_id" not in body:
            return False, []
        rep = body["sales_rep_id"]
        if rep is None:
            return True, []
        if self.staff.get(rep, {}).get("company") != company_id:
            raise _detail(422, f"sales_rep_id {rep!r} is not a staff member of company {company_id}")
        return True, [rep]

    def buyer_order(self, body: JSON) -> JSON:
        """A buyer places an order (``POST /_sandbox/orders``)."""
        with self.lock:
            company_id = body.get("company_id")
            if company_id not in self.companies:
                raise _detail(422, "company_id must name a seller company (1 or 2)")
            customer = self._customers.get(body.get("customer_id"))  # type: ignore[arg-type]
            if customer is None or customer["owner"] != company_id:
                raise _detail(422, f"customer_id must be a customer of company {company_id}")
            status = body.get("status", "Submitted")
            if status not in ("Submitted", "Draft"):
                raise _detail(422, "status must be Submitted or Draft")
            lines = self._buyer_lines(company_id, body.get("lines"))
            _, reps = self._control_rep(company_id, body)
            given, code = self._control_term(body)
            order = self._order_record(
                number=order_number(self._rng),
                company_id=company_id,
                customer_id=customer["id"],
                status=status,
                lines=lines,
                sales_rep_ids=reps,
                term_code=code if given else customer["default_term"],
                user=customer["email"],
                manual=False,
                created=self._tick(),
            )
            if body.get("notes") is not None:
                order["notes"] = str(body["notes"])
            self._store_order(order)
            self._reindex()
            return self._emit_order(order, "order.created")

    def edit_order(self, number: str, body: JSON) -> JSON:
        """Buyer or seller edits in LeafLink's UI (``PATCH /_sandbox/orders/{number}``)."""
        with self.lock:
            order = self._order(None, number)
            company_id = order["company_id"]
            changed = dict(order)
            if "lines" in body:
                self._editable(order, api=False)
                changed["lines"] = self._buyer_lines(company_id, body["lines"], order["lines"])
            given, code = self._control_term(body)
            if given:
                changed["term_code"] = code
            given_rep, reps = self._control_rep(company_id, body)
            if given_rep:
                changed["sales_rep_ids"] = reps
            if "notes" in body:
                changed["notes"] = None if body["notes"] is None else str(body["notes"])
            changed["modified"] = self._tick()
            changed["user"] = self._customers[order["customer_id"]]["email"]
            for line in order["lines"]:
                self._line_orders.pop(line.id, None)
            self._store_order(changed)
            self._reindex()
            return self._emit_order(changed)

    def buyer_cancel(self, number: str) -> JSON:
        with self.lock:
            order = self._order(None, number)
            if order["status"] not in BUYER_CANCELLABLE:
                raise _detail(409, f"The buyer cannot cancel an order in status {order['status']}.")
            changed = {
                **order,
                "status": "Cancelled",
                "modified": self._tick(),
                "user": self._customers[order["customer_id"]]["email"],
            }
            self._store_order(changed)
            self._reindex()
            return self._emit_order(changed)

    def seller_move(self, number: str, status: object) -> JSON:
        with self.lock:
            order = self._order(None, number)
            if status not in STATUSES:
                raise _detail(422, f"status must be one of: {', '.join(STATUSES)}")
            assert isinstance(status, str)
            if status == "Combined":
                raise _detail(409, "Combine orders with POST /_sandbox/orders/combine.")
            return self._move(order, status, self._ui_user(order["company_id"]), api=False)

    def combine(self, numbers: object) -> JSON:
        # Seed 004 (Flourish's LeafLink overview): combined orders turn "Combined" and LeafLink creates a new
        # order in their place, which Flourish follows. The OpenAPI file's OrderResponse.is_combination marks it;
        # no field names the originals. A new order enters Orders Received as Submitted (LeafLink help, "Managing
        # Orders"), so the combination starts Submitted whatever the originals' statuses were.
        with self.lock:
            if not isinstance(numbers, list) or len(numbers) < 2 or not all(isinstance(n, str) for n in numbers):
                raise _detail(422, "numbers must list two or more order numbers")
            if len({n.lower() for n in numbers}) != len(numbers):
                raise _detail(422, "numbers must not repeat an order")
            orders = [self._order(None, n) for n in numbers]
            first = orders[0]
            if any(o["company_id"] != first["company_id"] or o["customer_id"] != first["customer_id"] for o in orders):
                raise _detail(409, "Only orders of one seller and one customer can be combined.")
            for order in orders:
                if order["status"] not in COMBINABLE:
                    raise _detail(409, f"Order {order['number']} is {order['status']}; it cannot be combined.")
            user = self._customers[first["customer_id"]]["email"]
            lines: list[Line] = []
            for order in orders:
                for line in order["lines"]:
                    copy = self._new_line(
                        line.product_id,
                        line.quantity,
                        line.ordered_unit_price,
                        line.sale_price,
                        notes=line.notes,
                        is_sample=line.is_sample,
                    )
                    copy.position = len(lines) + 1
                    lines.append(copy)
            combined = self._order_record(
                number=order_number(self._rng),
                company_id=first["company_id"],
                customer_id=first["customer_id"],
                status="Submitted",
                lines=lines,
                sales_rep_ids=first["sales_rep_ids"],
                term_code=first["term_code"],
                user=user,
                manual=False,
                created=self._tick(),
            )
            combined["is_combination"] = True
            for order in orders:
                changed = {**order, "status": "Combined", "modified": self._tick(), "user": user}
                self._store_order(changed)
            self._store_order(combined)
            self._reindex()
            for order in orders:
                self._emit_order(self._orders[order["number"]])
            return self._emit_order(combined, "order.created")

    def new_customer(self, body: JSON) -> JSON:
        """A new dispensary starts buying from a seller (``POST /_sandbox/customers``)."""
        with self.lock:
            company_id = body.get("company_id")
            if company_id not in self.companies:
                raise _detail(422, "company_id must name a seller company (1 or 2)")
            name = body.get("name")
            if not isinstance(name, str) or not name.strip():
                raise _detail(422, "name is required")
            texts: dict[str, str] = {}
            for field in ("nickname", "license_number", "email", "phone", "address", "city", "zipcode", "state"):
                value = body.get(field)
                if value is not None and not isinstance(value, str):
                    raise _detail(422, f"{field} must be a string")
                texts[field] = value or ""
            if len(texts["zipcode"]) > 6:
                raise _detail(422, "zipcode must be at most 6 characters")
            partner = self._next_partner
            self._next_partner += 1
            slug = re.sub(r"[^a-z0-9]+", "", name.lower())[:20] or "buyer"
            self._buyers[partner] = (
                partner,
                name.strip(),
                texts["nickname"],
                texts["license_number"] or f"AU-R-{partner:06d}",
                texts["address"] or "1 Main St",
                texts["city"] or "Detroit",
                texts["zipcode"] or "48201",
                texts["email"] or f"orders@{slug}.example",
                texts["phone"] or f"313555{partner % 10000:04d}",
            )
            customer_id = self._next_customer[company_id]
            self._next_customer[company_id] += 1
            customer = self._new_customer(customer_id, company_id, partner, "net30", self._tick(), delinquent=False)
            if texts["state"]:
                customer["state"] = texts["state"]
            self._customers[customer_id] = customer
            return self._customer_json(customer)


# --------------------------------------------------------------------------------------------------
# Query parsing


def _paging(request: Request) -> tuple[int, int]:
    """(offset, limit) as DRF's LimitOffsetPagination reads them."""
    limit = DEFAULT_LIMIT
    raw = request.query_params.get("limit")
    if raw is not None and raw.strip().isdigit() and int(raw) > 0:
        limit = min(int(raw), MAX_LIMIT)
    offset = 0
    raw = request.query_params.get("offset")
    if raw is not None and raw.strip().isdigit():
        offset = int(raw)
    return offset, limit


def _with_query(request: Request, changes: Mapping[str, str | None]) -> str:
    query = dict(parse_qsl(request.url.query, keep_blank_values=True))
    for key, value in changes.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = value
    base = f"{request.url.scheme}://{request.url.netloc}{request.url.path}"
    return f"{base}?{urlencode(sorted(query.items()))}" if query else base


def _page(request: Request, records: list[JSON], shape: Callable[[JSON], JSON] | None = None) -> JSONResponse:
    offset, limit = _paging(request)
    count = len(records)
    results = records[offset : offset + limit]
    next_link = None
    if offset + limit < count:
        next_link = _with_query(request, {"limit": str(limit), "offset": str(offset + limit)})
    previous = None
    if offset > 0:
        back = offset - limit
        previous = _with_query(request, {"limit": str(limit), "offset": None if back <= 0 else str(back)})
    if shape is not None:
        results = [shape(record) for record in results]
    return JSONResponse({"count": count, "next": next_link, "previous": previous, "results": results})


#: The documented filters naming the company by slug: a key sees one company, so each keeps all or nothing.
SLUG_FILTERS = ("company_slug", "seller__slug__iexact", "owner__slug")


def _slug_matches(request: Request) -> bool:
    sandbox: LeafLinkSandbox = request.app.state.sandbox
    company = sandbox.companies.get(int(request.scope["sandbox.company"]))
    slug = company["slug"] if company else None
    return all(request.query_params.get(name, slug) == slug for name in SLUG_FILTERS if name in request.query_params)


def _lookups(request: Request, route: str, records: list[JSON]) -> list[JSON]:
    """The documented field filters of ``route`` (``leaflink_lookups.LOOKUPS``) on the served records, and the
    company-slug filters (``SLUG_FILTERS``)."""
    if not _slug_matches(request):
        return []
    try:
        predicates = leaflink_lookups.checks(route, request.query_params.multi_items(), _parse_time)
        return leaflink_lookups.apply(records, predicates)
    except leaflink_lookups.BadLookup as error:
        raise _invalid(error.parameter, error.message) from None


def _shaper(request: Request) -> Callable[[JSON], JSON]:
    """``fields_include`` / ``fields_exclude`` (top-level fields)."""
    include = [f.strip() for f in request.query_params.get("fields_include", "").split(",") if f.strip()]
    exclude = {f.strip() for f in request.query_params.get("fields_exclude", "").split(",") if f.strip()}

    def shape(record: JSON) -> JSON:
        if include:
            record = {k: v for k, v in record.items() if k in include}
        return {k: v for k, v in record.items() if k not in exclude}

    return shape


def _int_param(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise _invalid(name, "Enter a number.") from None


def _bool_param(request: Request, name: str) -> bool | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    if raw.lower() in ("true", "1", "yes"):
        return True
    if raw.lower() in ("false", "0", "no"):
        return False
    raise _invalid(name, "Select a valid choice.")


def _comma(request: Request, name: str) -> list[str] | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    return [part.strip() for part in raw.split(",") if part.strip()]


Check = Callable[[JSON], bool]


_COMPARISONS: Mapping[str, Callable[[datetime, datetime], bool]] = {
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
}


@dataclass(frozen=True)
class _Compare:
    """``<field>__gt/gte/lt/lte``: the record's ``field`` (a datetime) against ``bound``."""

    field: str
    compare: Callable[[datetime, datetime], bool]
    bound: datetime

    def __call__(self, record: JSON) -> bool:
        return self.compare(record[self.field], self.bound)


def _compare(field: str, compare: Callable[[datetime, datetime], bool], bound: datetime) -> _Compare:
    return _Compare(field, compare, bound)


def _equals_ci(field: str, wanted: str) -> Check:
    return lambda record: str(record[field]).lower() == wanted.lower()


def _time_checks(request: Request, fields: Iterable[str]) -> list[Check]:
    return list(_time_compares(request, fields))


def _time_compares(request: Request, fields: Iterable[str]) -> list[_Compare]:
    checks: list[_Compare] = []
    for field in fields:
        for suffix, compare in _COMPARISONS.items():
            name = f"{field}__{suffix}"
            raw = request.query_params.get(name)
            if raw:
                checks.append(_compare(field, compare, _parse_time(raw, name)))
    return checks


def _external_id_check(request: Request) -> list[Check]:
    key = request.query_params.get("external_id_key")
    values = _comma(request, "external_id_values")
    if not key and not values:
        return []
    if not key or not values:
        raise _invalid("external_id_key", "external_id_key and external_id_values must be used together.")
    wanted = set(values)
    return [lambda r: str(r["external_ids"].get(key)) in wanted if key in r["external_ids"] else False]


def _all(checks: Sequence[Check]) -> Check:
    return lambda record: all(check(record) for check in checks)


def _product_filter(request: Request) -> Check:
    checks = _time_checks(request, ("modified", "created_on", "last_edit")) + _external_id_check(request)
    product_id = _int_param(request, "id")
    if product_id is not None:
        checks.append(lambda p: p["id"] == product_id)
    skus = _comma(request, "sku")
    if skus is not None:
        wanted = {sku.lower() for sku in skus}
        checks.append(lambda p: p["sku"].lower() in wanted)
    name = request.query_params.get("name")
    if name:
        checks.append(lambda p: p["name"].lower() == name.lower())
    brand = _int_param(request, "brand")
    if brand is not None:
        checks.append(lambda p: p["brand"] == brand)
    states = _comma(request, "listing_state")
    if states is not None:
        chosen: set[str] = set()
        for state in states:
            if state.isdigit() and 1 <= int(state) <= len(LISTING_STATES):
                chosen.add(LISTING_STATES[int(state) - 1])
            else:
                match = [s for s in LISTING_STATES if s.lower() == state.lower()]
                if not match:
                    raise _invalid(
                        "listing_state", f"Select a valid choice. {state} is not one of the available choices."
                    )
                chosen.add(match[0])
        checks.append(lambda p: p["listing_state"] in chosen)
    archived = _bool_param(request, "archived")
    if archived is not None:
        checks.append(lambda p: (p["listing_state"] == "Archived") == archived)
    return _all(checks)


def _statuses(request: Request, name: str) -> set[str] | None:
    values = _comma(request, name)
    if values is None:
        return None
    chosen: set[str] = set()
    for value in values:
        match = [s for s in STATUSES if s.lower() == value.lower()]
        if not match:
            raise _invalid(name, f"Select a valid choice. {value} is not one of the available choices.")
        chosen.add(match[0])
    return chosen


def _order_filter(request: Request, sandbox: LeafLinkSandbox) -> Check:
    checks = _time_checks(request, ("modified", "created_on")) + _external_id_check(request)
    wanted = _statuses(request, "status")
    if wanted is not None:
        checks.append(lambda o: o["status"] in wanted)
    unwanted = _statuses(request, "status__not")
    if unwanted is not None:
        checks.append(lambda o: o["status"] not in unwanted)
    number = request.query_params.get("number")
    if number:
        checks.append(lambda o: o["number"] == number.lower())
    order_id = request.query_params.get("order_id")
    if order_id:
        checks.append(lambda o: order_id.lower() == o["number"] or order_id == o["external_id_seller"])
    seller_id = request.query_params.get("external_id_seller")
    if seller_id:
        checks.append(lambda o: o["external_id_seller"] == seller_id)
    contains = request.query_params.get("external_id_seller__icontains")
    if contains:
        checks.append(lambda o: contains.lower() in (o["external_id_seller"] or "").lower())
    brand = _int_param(request, "brand")
    if brand is not None:
        checks.append(lambda o: any(sandbox._products[line.product_id]["brand"] == brand for line in o["lines"]))
    brands = _comma(request, "brand__in")
    if brands is not None:
        wanted_brands = {int(b) for b in brands if b.isdigit()}
        checks.append(
            lambda o: any(sandbox._products[line.product_id]["brand"] in wanted_brands for line in o["lines"])
        )
    rep = _int_param(request, "sales_rep")
    if rep is not None:
        checks.append(lambda o: rep in o["sales_rep_ids"])
    buyer = _int_param(request, "buyer")
    if buyer is not None:
        checks.append(lambda o: sandbox._customers[o["customer_id"]]["partner"] == buyer)
    customer = request.query_params.get("customer")
    if customer:
        needle = customer.lower()

        def customer_matches(order: JSON) -> bool:
            record = sandbox._customers[order["customer_id"]]
            return needle in record["name"].lower() or needle in record["nickname"].lower()

        checks.append(customer_matches)
    paid = _bool_param(request, "paid")
    if paid is not None:
        checks.append(lambda o: o["paid"] == paid)
    return _all(checks)


def _customer_filter(request: Request) -> Check:
    checks = _time_checks(request, ("modified", "created_on"))
    if request.query_params.get("external_id_key") or request.query_params.get("external_id_values"):
        checks.append(lambda c: False)  # no seeded customer carries external_ids
    customer_id = _int_param(request, "id")
    if customer_id is not None:
        checks.append(lambda c: c["id"] == customer_id)
    for name in ("name", "nickname"):
        value = request.query_params.get(name)
        if value:
            checks.append(_equals_ci(name, value))
    if request.query_params.get("external_id"):
        checks.append(lambda c: False)
    archived = _bool_param(request, "archived")
    if archived:
        checks.append(lambda c: False)
    delinquent = _bool_param(request, "delinquent")
    if delinquent is not None:
        checks.append(lambda c: c["delinquent"] == delinquent)
    return _all(checks)


async def _json_object(request: Request) -> JSON:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError as error:
        raise _detail(400, f"JSON parse error - {error}") from None
    if not isinstance(body, dict):
        raise ApiError(
            400, {"non_field_errors": [f"Invalid data. Expected a dictionary, but got {type(body).__name__}."]}
        )
    return body


async def _control_body(request: Request) -> JSON:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        raise _detail(422, "Request body must be valid JSON") from None
    if not isinstance(body, dict):
        raise _detail(422, "Request body must be a JSON object")
    return body


def _includes_lines(request: Request) -> bool:
    children = request.query_params.get("include_children", "")
    return "line_items" in {part.strip() for part in children.split(",")}


# --------------------------------------------------------------------------------------------------
# Endpoints


class _Api:
    """The HTTP endpoints; thin wrappers that parse the request and call ``LeafLinkSandbox``."""

    def __init__(self, sandbox: LeafLinkSandbox) -> None:
        self.sandbox = sandbox

    @staticmethod
    def _company(request: Request) -> int:
        return int(request.scope["sandbox.company"])

    # -- products --------------------------------------------------------------------------------

    async def list_products(self, request: Request) -> Response:
        records = self.sandbox.list_products(self._company(request), _product_filter(request))
        return _page(request, _lookups(request, "/products/", records), _shaper(request))

    async def create_product(self, request: Request) -> Response:
        body = await _json_object(request)
        return JSONResponse(self.sandbox.create_product(self._company(request), body), status_code=201)

    async def get_product(self, request: Request) -> Response:
        record = self.sandbox.product(self._company(request), request.path_params["id"])
        return JSONResponse(_shaper(request)(record))

    async def update_product(self, request: Request) -> Response:
        body = await _json_object(request)
        return JSONResponse(self.sandbox.update_product(self._company(request), request.path_params["id"], body))

    async def listing_states(self, request: Request) -> Response:
        return _page(request, [{"id": index, "name": name} for index, name in enumerate(LISTING_STATES, start=1)])

    # -- orders ------------------------------------------------------------------------------------

    async def list_orders(self, request: Request) -> Response:
        check = _order_filter(request, self.sandbox)
        records = self.sandbox.list_orders(self._company(request), check, lines=_includes_lines(request))
        return _page(request, _lookups(request, "/orders-received/", records), _shaper(request))

    async def create_order(self, request: Request) -> Response:
        body = await _json_object(request)
        return JSONResponse(self.sandbox.create_order(self._company(request), body), status_code=201)

    async def get_order(self, request: Request) -> Response:
        number = request.path_params["number"]
        record = self.sandbox.order(self._company(request), number, lines=_includes_lines(request))
        return JSONResponse(_shaper(request)(record))

    async def update_order(self, request: Request) -> Response:
        body = await _json_object(request)
        return JSONResponse(self.sandbox.update_order(self._company(request), request.path_params["number"], body))

    async def delete_order(self, request: Request) -> Response:
        self.sandbox.delete_order(self._company(request), request.path_params["number"])
        return Response(status_code=204)

    async def transition(self, request: Request) -> Response:
        number, action = request.path_params["number"], request.path_params["action"]
        return JSONResponse(self.sandbox.transition(self._company(request), number, action))

    async def order_lines(self, request: Request) -> Response:
        return JSONResponse(self.sandbox.order_lines(self._company(request), request.path_params["number"]))

    # -- line items --------------------------------------------------------------------------------

    async def list_line_items(self, request: Request) -> Response:
        order = request.query_params.get("order")
        product = request.query_params.get("product_id")
        line_id = _int_param(request, "id")
        name = request.query_params.get("product__name")
        customers = _comma(request, "order__customers")
        # ``order__created_on__*``, ``order__modified__*`` and ``order__ship_date__*`` read the line's order.
        order_checks = _time_compares(request, ("order__created_on", "order__modified", "order__ship_date"))
        products = self.sandbox._products

        def keep(line: Line, parent: JSON) -> bool:
            view = {
                "order__created_on": parent["created_on"],
                "order__modified": parent["modified"],
                "order__ship_date": parent["ship_date"],
            }
            return (
                (not order or parent["number"] == order.lower())
                and (not product or str(line.product_id) == product)
                and (line_id is None or line.id == line_id)
                and (not name or str(products.get(line.product_id, {}).get("name", "")).lower() == name.lower())
                and (customers is None or str(parent["customer_id"]) in customers)
                and all(view[c.field] is not None and c(view) for c in order_checks)
            )

        return _page(request, _lookups(request, "/line-items/", self.sandbox.line_items(self._company(request), keep)))

    async def create_line_item(self, request: Request) -> Response:
        body = await _json_object(request)
        return JSONResponse(self.sandbox.create_line_item(self._company(request), body), status_code=201)

    async def get_line_item(self, request: Request) -> Response:
        return JSONResponse(self.sandbox.line_item(self._company(request), request.path_params["id"]))

    async def update_line_item(self, request: Request) -> Response:
        body = await _json_object(request)
        return JSONResponse(self.sandbox.update_line_item(self._company(request), request.path_params["id"], body))

    async def delete_line_item(self, request: Request) -> Response:
        self.sandbox.delete_line_item(self._company(request), request.path_params["id"])
        return Response(status_code=204)

    # -- customers, brands, staff --------------------------------------------------------------------

    async def list_customers(self, request: Request) -> Response:
        records = self.sandbox.list_customers(self._company(request), _customer_filter(request))
        return _page(request, _lookups(request, "/customers/", records), _shaper(request))

    async def get_customer(self, request: Request) -> Response:
        record = self.sandbox.customer(self._company(request), request.path_params["id"])
        return JSONResponse(_shaper(request)(record))

    async def list_brands(self, request: Request) -> Response:
        company = self._company(request)
        brands = [dict(b) for b in self.sandbox.brands.values() if b["company"] == company]
        return _page(request, _lookups(request, "/brands/", brands))

    async def get_brand(self, request: Request) -> Response:
        brand = self.sandbox.brands.get(request.path_params["id"])
        if brand is None or brand["company"] != self._company(request):
            raise _not_found()
        return JSONResponse(dict(brand))

    async def list_staff(self, request: Request) -> Response:
        company = self._company(request)
        active = _bool_param(request, "is_active")
        staff = [
            dict(s)
            for s in self.sandbox.staff.values()
            if s["company"] == company and (active is None or s["is_active"] == active)
        ]
        return _page(request, _lookups(request, "/company-staff/", staff))

    async def get_staff(self, request: Request) -> Response:
        member = self.sandbox.staff.get(request.path_params["id"])
        if member is None or member["company"] != self._company(request):
            raise _not_found()
        return JSONResponse(dict(member))

    # -- control routes --------------------------------------------------------------------------

    async def health(self, request: Request) -> Response:
        return JSONResponse({"status": "ok", "seed": self.sandbox.seed})

    async def all_orders(self, request: Request) -> Response:
        return JSONResponse(self.sandbox.all_orders())

    async def buyer_order(self, request: Request) -> Response:
        return JSONResponse(self.sandbox.buyer_order(await _control_body(request)), status_code=201)

    async def edit_order(self, request: Request) -> Response:
        body = await _control_body(request)
        return JSONResponse(self.sandbox.edit_order(request.path_params["number"], body))

    async def combine(self, request: Request) -> Response:
        body = await _control_body(request)
        return JSONResponse(self.sandbox.combine(body.get("numbers")), status_code=201)

    async def buyer_cancel(self, request: Request) -> Response:
        return JSONResponse(self.sandbox.buyer_cancel(request.path_params["number"]))

    async def seller_move(self, request: Request) -> Response:
        body = await _control_body(request)
        return JSONResponse(self.sandbox.seller_move(request.path_params["number"], body.get("status")))

    async def all_products(self, request: Request) -> Response:
        return JSONResponse(self.sandbox.all_products())

    async def seller_edit_product(self, request: Request) -> Response:
        body = await _control_body(request)
        try:
            return JSONResponse(self.sandbox.update_product(None, request.path_params["id"], body))
        except ApiError as error:
            if error.status == 400:
                raise ApiError(422, error.body) from None
            raise

    async def all_customers(self, request: Request) -> Response:
        return JSONResponse(self.sandbox.all_customers())

    async def new_customer(self, request: Request) -> Response:
        return JSONResponse(self.sandbox.new_customer(await _control_body(request)), status_code=201)

    async def webhooks(self, request: Request) -> Response:
        return JSONResponse(self.sandbox.webhook_log)

    async def clear_webhooks(self, request: Request) -> Response:
        self.sandbox.clear_webhook_log()
        return Response(status_code=204)

    async def get_config(self, request: Request) -> Response:
        return JSONResponse(self.sandbox.config())

    async def set_config(self, request: Request) -> Response:
        return JSONResponse(self.sandbox.configure(await _control_body(request)))

    async def get_rate_limit(self, request: Request) -> Response:
        return JSONResponse({"per_minute": self.sandbox.rate_limit_per_minute})

    async def set_rate_limit(self, request: Request) -> Response:
        body = await _control_body(request)
        if "per_minute" not in body:
            raise _detail(422, "per_minute is required (an integer >= 1, or null)")
        self.sandbox.set_rate_limit(body["per_minute"])
        return JSONResponse({"per_minute": self.sandbox.rate_limit_per_minute})


def _other_lists(sandbox: LeafLinkSandbox) -> list[Route]:
    from cannasync.sandboxes import leaflink_lists

    return leaflink_lists.routes(API, sandbox)


def _routes(api: _Api) -> tuple[list[Route], list[BaseRoute]]:
    """(the vendor routes, the control routes)."""
    vendor: list[Route] = [
        Route(f"{API}/products/", api.list_products, methods=["GET"]),
        Route(f"{API}/products/", api.create_product, methods=["POST"]),
        Route(f"{API}/products/{{id:int}}/", api.get_product, methods=["GET"]),
        Route(f"{API}/products/{{id:int}}/", api.update_product, methods=["PATCH"]),
        Route(f"{API}/listing-states/", api.listing_states, methods=["GET"]),
        Route(f"{API}/orders-received/", api.list_orders, methods=["GET"]),
        Route(f"{API}/orders-received/", api.create_order, methods=["POST"]),
        Route(f"{API}/orders-received/{{number}}/", api.get_order, methods=["GET"]),
        Route(f"{API}/orders-received/{{number}}/", api.update_order, methods=["PATCH"]),
        Route(f"{API}/orders-received/{{number}}/", api.delete_order, methods=["DELETE"]),
        Route(f"{API}/orders-received/{{number}}/transition/{{action}}/", api.transition, methods=["POST"]),
        Route(f"{API}/orders-received/{{number}}/line-items/", api.order_lines, methods=["GET"]),
        Route(f"{API}/line-items/", api.list_line_items, methods=["GET"]),
        Route(f"{API}/line-items/", api.create_line_item, methods=["POST"]),
        Route(f"{API}/line-items/{{id:int}}/", api.get_line_item, methods=["GET"]),
        Route(f"{API}/line-items/{{id:int}}/", api.update_line_item, methods=["PATCH"]),
        Route(f"{API}/line-items/{{id:int}}/", api.delete_line_item, methods=["DELETE"]),
        Route(f"{API}/customers/", api.list_customers, methods=["GET"]),
        Route(f"{API}/customers/{{id:int}}/", api.get_customer, methods=["GET"]),
        Route(f"{API}/brands/", api.list_brands, methods=["GET"]),
        Route(f"{API}/brands/{{id:int}}/", api.get_brand, methods=["GET"]),
        Route(f"{API}/company-staff/", api.list_staff, methods=["GET"]),
        Route(f"{API}/company-staff/{{id:int}}/", api.get_staff, methods=["GET"]),
        # Every other GET route of the OpenAPI file, served from the records above (leaflink_lists.py). Imported
        # here, not at the top: that module reads this one's helpers.
        *_other_lists(api.sandbox),
    ]
    control: list[BaseRoute] = [
        Route(f"{CONTROL}/health", api.health, methods=["GET"]),
        Route(f"{CONTROL}/orders", api.all_orders, methods=["GET"]),
        Route(f"{CONTROL}/orders", api.buyer_order, methods=["POST"]),
        Route(f"{CONTROL}/orders/combine", api.combine, methods=["POST"]),
        Route(f"{CONTROL}/orders/{{number}}", api.edit_order, methods=["PATCH"]),
        Route(f"{CONTROL}/orders/{{number}}/cancel", api.buyer_cancel, methods=["POST"]),
        Route(f"{CONTROL}/orders/{{number}}/status", api.seller_move, methods=["POST"]),
        Route(f"{CONTROL}/products", api.all_products, methods=["GET"]),
        Route(f"{CONTROL}/products/{{id:int}}", api.seller_edit_product, methods=["PATCH"]),
        Route(f"{CONTROL}/customers", api.all_customers, methods=["GET"]),
        Route(f"{CONTROL}/customers", api.new_customer, methods=["POST"]),
        Route(f"{CONTROL}/webhooks", api.webhooks, methods=["GET"]),
        Route(f"{CONTROL}/webhooks", api.clear_webhooks, methods=["DELETE"]),
        Route(f"{CONTROL}/config", api.get_config, methods=["GET"]),
        Route(f"{CONTROL}/config", api.set_config, methods=["POST"]),
        Route(f"{CONTROL}/rate-limit", api.get_rate_limit, methods=["GET"]),
        Route(f"{CONTROL}/rate-limit", api.set_rate_limit, methods=["POST"]),
        # Faults (the kinds are every sandbox's: sandboxes/_kit/faults.py) and request counts, answered as
        # plain JSON like every control route here.
        *control_routes(
            faults=api.sandbox.faults,
            counts=api.sandbox.requests,
            parse_fault=parse_fault,
            read_json=_control_body,
            envelope=False,
        ),
    ]
    return vendor, control


def _vendor_routes(routes: Iterable[Route]) -> list[VendorRoute]:
    """Each vendor route (one method each) with its request-count key, ``"<METHOD> <template>"``
    (``"GET /api/v2/products/{id}/"``)."""
    return [
        VendorRoute(route, f"{min((route.methods or set()) - {'HEAD'})} {_CONVERTER.sub('}', route.path)}")
        for route in routes
    ]


_CONVERTER = re.compile(r":\w+}")


def _count_as(scope: Scope, route: VendorRoute) -> str:
    """The request's own method with the route's template: a 405 (a path served for other methods) and a HEAD
    are counted under the method they came with (choice 10)."""
    return f"{scope['method']} {route.key.partition(' ')[2]}"


def _guard(sandbox: LeafLinkSandbox) -> Callable[[Scope, VendorRoute | None], Scope]:
    """What LeafLink's edge does after the injected faults, in its order: the trailing slash, routing (404 before
    authentication, as Django resolves URLs first), authentication, the key's rate limit, the retailer-key
    permission. The endpoints read the key's company from ``scope["sandbox.company"]``."""

    def guard(scope: Scope, route: VendorRoute | None) -> Scope:
        path: str = scope["path"]
        if (path == API or path.startswith(API + "/")) and not path.endswith("/"):
            query = scope.get("query_string", b"").decode()
            wanted = path + "/" + (f"?{query}" if query else "")
            raise _detail(400, f"Paths must end with a slash: {scope['method']} {path} is not served; use {wanted}")
        if route is None:
            raise _not_found()
        key, company_id = sandbox.authenticate(Headers(scope=scope).get("authorization"))
        retry_after = sandbox.admit(key)
        if retry_after is not None:
            raise _detail(
                429,
                f"Request was throttled. Expected available in {retry_after} seconds.",
                {"Retry-After": str(retry_after)},
            )
        if company_id not in sandbox.companies and route.key.partition(" ")[2] not in RETAILER_ROUTES:
            # A retailer's key on a brand-side route: DRF's permission refusal.
            raise _detail(403, "You do not have permission to perform this action.")
        return {**scope, "sandbox.company": company_id, "sandbox.key": key}

    return guard


def _http_error(request: Request, exc: HTTPException) -> Response:
    if exc.status_code == 404:
        return _not_found().response()
    if exc.status_code == 405:
        return JSONResponse({"detail": f'Method "{request.method}" not allowed.'}, status_code=405, headers=exc.headers)
    return JSONResponse({"detail": str(exc.detail)}, status_code=exc.status_code, headers=exc.headers)


def create_app(
    *,
    seed: int = 1,
    products: int = 40,
    api_keys: Mapping[str, int] = DEFAULT_API_KEYS,
    webhook_url: str | None = None,
    webhook_key: str = DEFAULT_WEBHOOK_KEY,
    rate_limit_per_minute: int | None = 300,
    as_of: datetime | None = None,
    sandbox: LeafLinkSandbox | None = None,
) -> Starlette:
    """The LeafLink sandbox as an ASGI app; its state is ``app.state.sandbox`` (a ``LeafLinkSandbox``).

    ``products`` is per seller company; ``api_keys`` maps API key → company id (1 or 2, or a retailer's buyer
    id, which gets only ``/buyer/orders/``); ``webhook_url`` (and ``webhook_key``) apply to both companies;
    ``rate_limit_per_minute`` of None disables the limit;
    ``as_of`` fixes the instant seeded timestamps count back from (default: now). Pass ``sandbox`` to serve
    an existing state (the other arguments are then ignored).
    """
    state = sandbox or LeafLinkSandbox(
        seed=seed,
        products=products,
        api_keys=api_keys,
        webhook_url=webhook_url,
        webhook_key=webhook_key,
        rate_limit_per_minute=rate_limit_per_minute,
        as_of=as_of,
    )
    vendor, control = _routes(_Api(state))
    return _app.build_app(
        state,
        [*vendor, *control],
        gateway={
            "routes": _vendor_routes(vendor),
            "counts": state.requests,
            "faults": state.faults,
            "refuse": lambda status, headers: _detail(status, "Injected fault", headers).response(),
            "guard": _guard(state),
            "partial_match": True,
            "count_as": _count_as,
        },
        http_error=_http_error,
    )


def run(host: str, port: int, seed: int, *, products: int = 40, webhook_url: str | None = None) -> None:
    """Serve the sandbox with uvicorn until interrupted (used by ``cannasync sandbox leaflink``)."""
    _app.serve(create_app(seed=seed, products=products, webhook_url=webhook_url), host, port)
