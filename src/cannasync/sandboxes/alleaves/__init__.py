"""A local imitation of an Alleaves POS API **of our own design** (an ASGI app on Starlette).

Alleaves publishes no API reference: nothing public gives a base URL, an auth scheme or an endpoint list
(docs ``vendor-apis.md`` §3). What is known comes from Alleaves' integration article (seed 003): credentials
are Location ID + Username + Password; inventory is pulled from chosen areas; items carry menu-type prices
and an out-the-door (OTD) price, several images, tiered ("deli style") prices, a per-location low-quantity
threshold and a free-form chemical profile typed by the store; medical patients are found by medical id,
then phone. The wire format below is **ours**, designed from those facts. This docstring is its only
specification; cannasync's Alleaves connector is written against it. When a real Alleaves specification
turns up, it replaces this docstring, this sandbox and the connector's wire layer, and nothing else.

cannasync's Alleaves connector, its tests, the demo and the benchmark talk to this app over real HTTP on
loopback. It stands for the vendor, so it imports nothing from cannasync outside ``cannasync.sandboxes``
and shares no code with the connector (nor with the other sandboxes): if the connector and this app
disagree, that is a finding, not a refactoring.

Wire format
===========

Transport and errors
--------------------
* Base path ``/api/v1`` (the server root stands for the Alleaves host). JSON request and response bodies
  (UTF-8). Paths are served exactly as written: a trailing-slash variant is a 404, never a redirect.
* Timestamps are ISO 8601; the API writes UTC with milliseconds and ``Z`` (``2025-06-01T12:00:00.000Z``)
  and reads any ISO 8601 date-time (one without an offset is taken as UTC). Dates are ``YYYY-MM-DD``.
  Money is a JSON number of dollars (at most two decimals). Ids are strings.
* Every error is ``{"error": {"code": "<snake_case>", "message": "<a sentence naming what to fix>"}}``:

  ===  ======================================================================================================
  400  ``invalid_json`` (body is not JSON), ``invalid_body`` (not a JSON object), ``invalid_paging``,
       ``invalid_query`` (a malformed query parameter), ``area_required``, ``missing_parameter``
  401  ``invalid_credentials``, ``invalid_refresh_token``, ``invalid_token``, ``token_expired``
  403  ``account_disabled`` (right password, but the user is disabled)
  404  ``not_found`` (unknown route, or a record this location cannot see)
  405  ``method_not_allowed``
  409  ``duplicate_medical_id``; ``invalid_transition`` (control route only)
  422  ``validation_error`` (a field is missing or wrong; the message names it), ``unknown_area``,
       ``unknown_patient``, ``unknown_item``, ``inactive_item``; ``unknown_status`` (control route only)
  429  ``rate_limited``, always with ``Retry-After`` (integer seconds)
  ===  ======================================================================================================

Authentication (an OAuth-like password grant, one token per location)
---------------------------------------------------------------------
* ``POST /api/v1/auth/token`` ``{"location_id", "username", "password"}`` → 200 ``{"access_token",
  "token_type": "Bearer", "expires_in": <seconds>, "refresh_token", "location_id"}``. Tokens are opaque
  strings. A wrong username, a wrong password and a location the user cannot access (or that does not
  exist) all answer the same 401 ``invalid_credentials`` (no enumeration). A missing or non-string field is
  a 422 naming it. A disabled user with the right password is a 403 ``account_disabled``.
* ``POST /api/v1/auth/refresh`` ``{"refresh_token"}`` → 200, a new pair in the same shape, for the same
  user and location. The refresh token used stops working (rotation); an unknown or used one is a 401
  ``invalid_refresh_token``. Refresh tokens do not expire. The old access token keeps working until its own
  expiry.
* Every other ``/api/v1`` route needs ``Authorization: Bearer <access_token>``: missing, malformed or unknown
  → 401 ``invalid_token``; past ``expires_in`` → 401 ``token_expired`` (refresh, or ask for a new token).
  A token sees only its own location's data: its location, areas, stock and orders. (Items themselves are
  one catalogue for the organisation, and patients are shared by its locations; see the choices below.)
* Rate limit: at most ``per_minute`` requests (600 by default) per access token in any rolling 60 seconds;
  past it, 429 ``rate_limited`` with ``Retry-After`` = whole seconds until one more request fits the window
  (at least 1). A refused request does not count, nor does one answered 401. The auth routes and
  image downloads are not rate-limited.

Paging
------
List routes (items, patients, orders) take ``page`` (1-based, default 1) and ``per_page`` (default 50, at
most 100). A value that is not a plain integer, is below 1, or a ``per_page`` above 100 is a 400
``invalid_paging``. The envelope is ``{"data": [...], "pagination": {"page", "per_page", "total",
"total_pages"}}`` where ``total`` counts every match and ``total_pages`` is ``ceil(total / per_page)``
(0 when nothing matches); a page past the last is an empty ``data`` with the same ``pagination``. A single
record is ``{"data": {...}}``.

Routes
------
1. ``GET /api/v1/location`` → ``{"data": {"location_id", "name", "timezone", "address": {"line1", "city",
   "state", "postcode"}, "low_quantity_threshold": <int>, "menu_types": ["recreational", "medical"]}}``.
   ``low_quantity_threshold`` is the article's "Per Location Low Quantity Threshold": a client shows an
   item whose available quantity is at or below it as quantity 0.
2. ``GET /api/v1/inventory-areas`` → ``{"data": [{"area_id", "name", "sellable"}]}`` (not paged), in the
   location's order. Names are Retail, Vault, Quarantine, Back Room, Display; only Quarantine is not
   sellable. (No public Alleaves documentation exists, vendor-apis.md section 3; seed 003 has the store pick
   the areas to sell from, "e.g. Retail". Quarantined stock is by definition held back from sale, so it is
   the area marked ``"sellable": false``; a client must not offer it as a place to sell from.)
3. ``GET /api/v1/items?area_id=<id>&area_id=<id>&updated_since=<ISO>&page=&per_page=`` lists, in ``item_id``
   order, every **active** item with quantity > 0 in at least one of the areas given. ``area_id`` is
   repeatable and required (none → 400 ``area_required``; an area the location does not have → 422
   ``unknown_area`` naming it; repeats collapse). ``updated_since`` (optional) keeps items whose
   ``updated_at`` is at or after it (400 ``invalid_query`` if it is not ISO 8601). An item record:

   * ``item_id`` (``"ITM-000123"``), ``sku``, ``name``, ``brand``, ``category`` (Flower, Pre-Roll, Vaporizer,
     Edible, Concentrate, Tincture, Topical, Accessory), ``subcategory`` (string or null), ``strain_type``
     (``"Indica"``, ``"Sativa"``, ``"Hybrid"``, ``"CBD"`` or null), ``description`` (may be ``""``),
     ``active``, ``updated_at``.
   * ``images``: ``[{"url", "position"}]``, 0 to 4 of them, positions 1..n. The list is **not** always in
     position order: sort by ``position``. Each URL is absolute, on the host the request came in on
     (``http://<host>/_sandbox/images/<item_id>/<n>.png``), and answers a PNG without authentication.
   * ``pricing``: ``{"recreational": <dollars>|null, "medical": <dollars>|null, "otd_price": <dollars>|null,
     "is_tiered": bool, "tiers": [...]}``. ``recreational``/``medical`` are the menu-type prices (null: not
     sold on that menu). ``otd_price`` is the out-the-door price, taxes included, always above
     ``recreational`` (null when the store has not set one). ``tiers`` is present only when ``is_tiered``
     (bulk "deli style" flower): ``[{"label": "1g", "quantity": 1, "unit": "g", "price": 12.0},
     {"label": "3.5g", ...}, {"label": "7g", ...}, {"label": "14g", ...}, {"label": "28g", ...}]``, each
     ``price`` being the price of the whole tier, on the recreational menu; such items have
     ``recreational`` equal to the 1 g price.
   * ``chemical_profile``: ``[{"compound", "kind": "cannabinoid"|"terpene", "value"}]`` as typed by the
     store. ``compound`` is free text: mostly THC, THCA, CBD, CBDA, CBG, CBN and the 16 terpene names of the
     article, but stores also type names that do not match those (``Lemonene``, ``beta myrcene``,
     ``B-Caryophyllene``, ``Myrcene``, ``Valencene``). ``value`` is free text: cannabinoids ``"21.4%"`` or
     ``"10 mg"``; terpenes ``"1.2%"``, ``"1.2 %"``, ``"3 mg"``, ``"3mg"`` or a bare ``"0.8"``.
   * ``quantities``: ``[{"area_id", "quantity"}]``, one per area asked for (0 included), in the location's
     area order; ``quantity_available``: their sum. Quantities are numbers: whole units, or grams (in
     halves) for bulk flower.

   ``GET /api/v1/items/{item_id}`` → ``{"data": item}`` with ``quantities`` for every area of the location
   (or only those given as ``area_id``), ``quantity_available`` being their sum. It also answers inactive
   items (``"active": false``) and items with no stock at the location; an unknown item is a 404.
4. Patients (``patient_id`` ``"PAT-00001"``, ``first_name``, ``last_name``, ``date_of_birth``, ``phone``,
   ``email``, ``medical_id``, ``medical_id_expiration``, ``is_medical``, ``created_at``; every field present,
   null when unknown; ``phone`` as typed at the front desk).

   * ``GET /api/v1/patients?medical_id=<id>`` matches the medical id exactly, ignoring case and surrounding
     spaces; ``?phone=<any format>`` compares digits only, ignoring a leading US country code ``1``. One of
     them is required (400 ``missing_parameter``; a phone without digits is a 400 ``invalid_query``); both
     together must both match. Paged, in ``patient_id`` order.
     ``?first_name=&last_name=&date_of_birth=YYYY-MM-DD`` (all three, or a 400 ``missing_parameter``; a bad
     date is a 400 ``invalid_query``) matches names exactly ignoring case and surrounding spaces, and the date
     exactly: how the front desk finds a patient who has no card and no phone on file. No public Alleaves
     spec exists (see the reference notes, "Alleaves: nothing found"); this search is our design, the one a
     client needs to find a patient it may have created before a timeout. Any of these may be combined.
   * ``POST /api/v1/patients`` ``{"first_name", "last_name", "date_of_birth", "phone", "email",
     "medical_id", "medical_id_expiration", "is_medical"}`` → 201 ``{"data": patient}``. ``first_name``,
     ``last_name`` (non-empty strings) and ``date_of_birth`` (``YYYY-MM-DD``) are required; the others are
     optional (strings, ``medical_id_expiration`` ``YYYY-MM-DD``, ``is_medical`` a boolean defaulting to
     whether a ``medical_id`` is given): 422 ``validation_error`` naming the field. A ``medical_id`` another
     patient has (ignoring case) is a 409 ``duplicate_medical_id``. Nothing else is deduplicated.
5. Orders.

   * ``POST /api/v1/orders`` ``{"external_id", "patient_id", "order_type": "pickup"|"delivery",
     "menu_type": "recreational"|"medical", "lines": [{"item_id", "quantity", "unit_price"}],
     "discount_total", "notes", "delivery": {"address": {"line1", "line2", "city", "state", "postcode"},
     "window_start", "window_end"}}`` → 201 ``{"data": order}``. Rules (422 naming the field unless said
     otherwise): ``external_id`` a non-empty string (our reference); ``patient_id`` required on medical
     orders, optional (absent or null) on recreational ones, and when given an existing patient (422
     ``unknown_patient``); ``lines`` non-empty, each ``item_id`` an existing (422 ``unknown_item``) and
     active (422 ``inactive_item``) item, ``quantity`` a number > 0 (fractions allowed, for grams),
     ``unit_price`` a number >= 0 in dollars; ``discount_total`` a number >= 0 in dollars, default 0, not
     above the subtotal; ``notes`` a string or null. ``delivery`` is required on delivery orders, with
     ``address.line1``, ``address.city``, ``address.state``, ``address.postcode`` (``line2`` optional) and
     ``window_start``/``window_end`` (ISO 8601, end strictly after start); on a pickup order it may be
     absent or null (when given, it is validated the same way and stored).
   * The order: ``order_id`` (``"ORD-000001"``), ``location_id``, ``external_id``, ``patient_id``,
     ``order_type``, ``menu_type``, ``status``, ``lines`` (``[{"item_id", "quantity", "unit_price"}]``),
     ``subtotal`` (Σ quantity × unit_price), ``discount_total``, ``total`` (subtotal − discount_total),
     ``notes``, ``delivery`` (null when not given), ``created_at``, ``updated_at``. Money is computed in
     Decimal and rounded to cents (ROUND_HALF_UP). A new order is ``received``. Orders are **not**
     deduplicated by ``external_id`` (a second POST is a second order) and do not change stock.
   * ``GET /api/v1/orders/{order_id}`` → ``{"data": order}``; 404 ``not_found`` if unknown or another
     location's. ``GET /api/v1/orders?external_id=<ref>`` → the location's orders with that external id
     (exact), paged, in creation order; without ``external_id``, all of the location's orders.
   * Statuses: ``received``, ``accepted``, ``in_progress``, ``ready``, ``out_for_delivery``, ``completed``,
     ``cancelled``, ``rejected``. Staff move orders (here: the control route): pickup received → accepted →
     in_progress → ready → completed; delivery received → accepted → in_progress → ready →
     out_for_delivery → completed; ``cancelled`` from any non-final status; ``rejected`` only from
     ``received``. ``completed``, ``cancelled`` and ``rejected`` are final. Each move sets ``updated_at``.

Well-known records (the same for every seed)
--------------------------------------------
* Locations ``"ALV-1001"`` "Evergreen Dispensary — Main St" (412 Main St, Vancouver, WA 98660,
  low-quantity threshold 3, areas AREA-RET Retail, AREA-VLT Vault, AREA-QTN Quarantine, AREA-BCK Back Room,
  AREA-DSP Display) and ``"ALV-1002"`` "Evergreen Dispensary — Riverside" (1801 E Riverside Ave, Spokane,
  WA 99202, threshold 5, the same areas but no Display). Both ``America/Los_Angeles``.
* Users: ``"demo"`` / ``"demo-pass"`` (both locations); ``"riverside"`` / ``"riverside-pass"`` (ALV-1002
  only); ``"suspended"`` / ``"suspended-pass"`` (ALV-1001, disabled: 403).
* Patient ``"PAT-00001"`` Dana Whitaker, medical: medical id ``WA-MMJ-0042-7781`` (expires 2027-01-31),
  phone ``(360) 555-0143``, email ``dana.whitaker@example.com``, born 1979-05-14.
* Patient ``"PAT-00002"`` Jesse Navarro, recreational: phone ``3605550178`` only (no email, no medical id),
  born 1990-11-02.
* Items have ids ``ITM-000001`` upwards. The malformed ones (about 1 in 100, at least 4 once there are 50
  items, active and stocked in Retail at both locations) are in ``AlleavesSandbox.malformed`` (item id →
  kind) and ``malformed_ids``: ``name`` missing, ``pricing.recreational`` the string ``"call"``, a negative
  ``otd_price`` (-12.5), or an ``images`` entry without ``url``.

Many locations (a scale test)
-----------------------------
``create_app(..., locations=N)`` (``cannasync sandbox alleaves --locations N``) serves N generated
locations besides the well-known ones, ``ALV-2001`` upwards ("Evergreen Dispensary — Store <n>", Main St's
five areas and threshold), which every user may open, so that one process and one set of credentials stand
for a chain of a thousand stores. Items are shared, as at the well-known locations; what differs is what
each location carries and how many. A generated location carries about 90% of the well-formed items (every
malformed one, so each store has records to quarantine) with stock by area of its own, each row derived
from ``(seed, location id, item id)`` when it is read and never stored (``alleaves_catalog.FleetShelf``),
so a thousand locations cost no start-up time and no memory until asked; writes through the control routes
are kept on top. The rate limit is per access token, hence per location already.

Control routes (no auth, under ``/_sandbox/``, never rate-limited; the hub never calls them)
-------------------------------------------------------------------------------------------
``GET health``; ``POST items/{item_id}/quantity`` ``{"area_id", "quantity", "location_id"?}`` (location
defaults to ALV-1001; sets one area's quantity, bumps ``updated_at``); ``PATCH items/{item_id}`` (top-level
fields merged, so ``pricing``, ``chemical_profile`` and ``images`` are replaced wholesale; bumps
``updated_at`` unless given); ``DELETE items/{item_id}``; ``POST locations/{location_id}/threshold``
``{"low_quantity_threshold": n}``; ``POST orders/{order_id}/status`` ``{"status"}`` (409
``invalid_transition``, 422 ``unknown_status``); ``GET orders`` and ``GET patients`` (all, full records);
``POST tokens/expire`` (every access token issued so far now answers ``token_expired``); ``GET|POST|DELETE
faults``; ``GET|DELETE requests``; ``GET|POST rate-limit`` ``{"per_minute": n}`` (null disables); and
``GET images/{item_id}/{n}.png``. Faults: ``{"method", "path_prefix", "status", "count", "retry_after"}``
answers the status with ``{"error": {"code": "injected_fault", ...}}`` (``after`` lets that many matching
requests through first, to break a sequence mid-way); ``{"mode": "delay", "delay_seconds"}`` waits before
processing; ``{"mode": "timeout_after_commit", "delay_seconds"}`` processes the request fully, then holds
the response back, so a client can time out after Alleaves really committed.
Also, shared by the POS sandboxes (``sandboxes/_kit/faults.py``): ``every`` N-th or a seeded ``rate`` of
matching requests, and the modes ``reset``, ``reset_after_commit`` and ``truncate``.

Choices beyond the facts (each easy to change; none is confirmed by Alleaves)
------------------------------------------------------------------------------
1. Items are one organisation-wide catalogue; stock is per location and per area. ``updated_at`` moves on
   any change to an item, its stock included (not on a threshold change). An item that leaves a listing
   (sold out, deactivated, deleted) does not show up under ``updated_since``: only a full listing shows
   removals.
2. Patients belong to the organisation and are visible from both locations; orders belong to the location
   of the token that created them.
3. Areas have the same ids at every location that has them.
4. Prices: ``medical`` is the recreational price or 10% less, or null (not on the medical menu); about 3%
   of cannabis items are medical-only (``recreational`` null, so no ``otd_price``); ``otd_price`` is the
   recreational price plus 20% (cannabis) or 8.9% (accessories), null on about 4%.
5. Access tokens are 43-character URL-safe strings; ``expires_in`` is ``token_ttl_seconds`` (rounded up).
6. Injected faults fire before authentication and the rate limit (they stand for the gateway in front of
   Alleaves) and only on paths outside ``/_sandbox/``. ``mode`` defaults to ``status``, ``count`` to 1,
   ``path_prefix`` to ``/api/`` and ``method`` to any; the first matching fault that fires takes the request.
   ``Retry-After`` is sent only when the fault has ``retry_after``.
7. An unknown route is a 404 ``not_found`` and a known path with the wrong method a 405
   ``method_not_allowed``, whatever the token (authentication is not checked first).
8. ``/_sandbox/requests`` counts every request that matched a vendor route, as ``"<METHOD> <template>"``
   (``"GET /api/v1/items/{item_id}"``), including those answered 401/403/429/4xx or with an injected
   fault, and image downloads; it excludes the other control routes.
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
