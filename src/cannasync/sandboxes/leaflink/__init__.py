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
  (``lookups.py``, on every list); the few documented filters that name no field of the sandbox's
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
  see ``directory.py``, ``order_lists.py``, ``inventory.py`` and ``buyer_orders.py``. A retailer's key
  (``ll-key-retailer-5005``) gets only ``/buyer/orders/`` (403 elsewhere).
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
  Draft, Submitted), with 1-4 lines each (see ``catalog.SEED_STATUSES``). Of company 1's, the
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
