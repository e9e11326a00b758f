"""A faithful local imitation of Flowhub's API (an ASGI app on Starlette).

cannasync's Flowhub connector, its tests, the demo and the benchmark talk to this app over real HTTP on
loopback. It stands for the vendor, so it imports nothing from cannasync outside ``cannasync.sandboxes``
and shares no code with the connector (nor with the Flourish sandbox): if the connector and this app
disagree, that is a finding, not a refactoring.

What it reproduces (see docs ``vendor-apis.md`` §2 and §7, Flowhub's integration article, seed 001, and the
public client yerba-buena/flowhub-client-ts, cited by file where a fact comes from it):

* The server root stands for ``https://api.flowhub.co``, and its ``/oauth/token`` for Flowhub's Auth0
  tenant ``https://flowhub.auth0.com`` (``flowhub_oauth``). Paths are served exactly as written, including
  the trailing slash of ``GET /v1/customers/`` (src/resources/orders.ts); the other slash variant of a path
  is a 404 (never a redirect).
* v0/v1 auth by the headers ``clientId`` and ``key``: either missing → 401 ``{"errors": ["Missing clientId
  or key header"]}``; an unknown pair → 401 ``{"errors": ["Invalid credentials"]}``; a location the client
  does not own → 403 ``{"errors": ["Not authorized for location <id>"]}``.
* Order Ahead routes (create, ``orderStatus``, ``PATCH /orders/{orderId}``, ``/orderPostback``) take
  ``Authorization: Bearer <access token>`` and nothing else (src/auth.ts ``createAuthHeaders``: with a token,
  the client sends no ``clientId``/``key``). The token comes from the client-credentials grant of the Order
  Ahead Client Id and its secret (seed 001's "Order Ahead Token") at ``POST /oauth/token``. No bearer → 401
  ``Missing access token``; an unknown or expired one → 401 ``Invalid or expired access token``; the
  ``clientId``/``key`` headers sent on these routes → 401 (a client still authenticating the old way).
* A rate limit like the real one (about 59 requests per second): past the limit, 429
  ``{"errors": ["Too Many Requests"]}`` with **no** rate-limit headers at all (no ``Retry-After``).
* ``GET /v0/clientsLocations`` (src/resources/locations.ts); v0 inventory per location (``/inventory``,
  ``/inventoryNonZero``, ``/inventoryByRoomsNonZero``, ``/InventoryAnalytics``, ``/InventoryAnalyticsByRooms``
  with a capital I) and for all the caller's locations (``/v0/inventory``, ``/v0/inventoryNonZero``,
  ``/v0/inventoryByRoomsNonZero``, ``/v0/inventoryAnalytics``, ``/v0/inventoryAnalyticsByRooms``, optional
  ``locationId``), each as ``{"status": 200, "data": [...]}`` with every item in one response (no paging;
  src/resources/inventory.ts); v1 customers (``GET /v1/customers/``, ``findByPhoneNumber``, get, create,
  ``PUT /v1/customer/{id}?store_id=``); v1 sales lists (``flowhub_sales``); Order Ahead (create,
  ``orderStatus``, ``PATCH /orders/{orderId}``, ``/orderPostback/{orderId}``; src/resources/order-ahead.ts)
  with postbacks to ``postbackUrl`` on every status change; ``GET /authTest`` (either way of authenticating)
  and ``GET /health`` answer the text ``OK``.
* Flowhub's rule that every order-ahead order carries a medical id or a phone number.
* Order-ahead creation does **not** deduplicate by ``externalId``: a second create is a second order.

Well-known records (the same for every seed)
--------------------------------------------
* Credentials: clientId ``3f7c1a52-0d7e-4b8a-9a51-6f2d1c0e9b11``, key
  ``9b1d6c2e-7a44-4f0e-8c3b-5e2a7d9f1c20``, Order Ahead Client Id ``c0ffee00-1234-4abc-9def-00000000a11e``
  with the secret (seed 001's Order Ahead Token) ``oa-demo-token``. This client owns both locations; its
  Order Ahead credential is Eastside's (orders it creates go there).
* Locations ``"loc-eastside"`` (Sunset Cannabis Co. - Eastside, 14230 E Jefferson Ave, Detroit, MI 48215)
  and ``"loc-ferndale"`` (Sunset Cannabis Co. - Ferndale, 22930 Woodward Ave, Ferndale, MI 48220), both
  ``America/Detroit``. Each has four rooms, "Sales Floor", "Vault", "Back Stock" and "Quarantine", whose ids
  are 32 lowercase hex characters (``flowhub_catalog.ROOMS``); the Eastside sales floor is
  ``6713b6938fb0673c3d541b207553b4b1`` and the Ferndale one ``4ef1876154d48e8968d981c39edae046``.
* Customer ``"cus-000001"`` Morgan Ellis, a medical patient (``medCustomer``): medId ``MMJ-4471-2208``
  (expires 2027-03-31), phone ``3135550142``, email ``morgan.ellis@example.com``, born 1981-07-19.
* Customer ``"cus-000002"`` Sam Okafor, recreational (``recCustomer``): phone ``2485550199``, email
  ``sam.okafor@example.com``, born 1994-02-11, no medId.
* Products have ids ``30001`` upwards; the malformed ones are listed in ``FlowhubSandbox.malformed``
  (product id → kind of damage) and ``FlowhubSandbox.malformed_ids``.

Many locations (a scale test)
-----------------------------
``create_app(..., locations=N)`` (``cannasync sandbox flowhub --locations N``) serves N generated locations
besides the well-known ones, ``loc-00001`` upwards ("Sunset Cannabis Co. - Store <n>", the same four rooms
with ids derived as above), all owned by every configured client, so that one process and one set of
credentials stand for a chain of a thousand stores. Products stay the client's, as in Flowhub: every
location draws on the same ``--items`` products; what differs is what each carries and how many. A
generated location carries about 90% of the well-formed products (every malformed one, so each store has
records to quarantine) with stock by room of its own, each row derived from ``(seed, location id, product
id)`` when it is read and never stored (``flowhub_catalog.FleetShelf``), so a thousand locations cost no
start-up time and no memory until asked; writes through the control routes are kept on top. At most 32
serialised inventory bodies are cached. The rate limit is per ``clientId``, so a scale test sharing one
client turns it off (``--rps 0`` or ``POST /_sandbox/rate-limit {"rps": null}``).

Control routes (no auth, under ``/_sandbox/``, never rate-limited; the hub never calls them)
-------------------------------------------------------------------------------------------
``GET health``; ``POST oauth/expire`` (ends every access token now);
``POST items/{productId}/quantity`` ``{"locationId", "quantity", "roomId"?}``;
``PATCH items/{productId}`` (fields to merge; bumps ``productUpdatedAt``); ``DELETE items/{productId}``;
``POST orders/{orderId}/status`` ``{"status", "postback"?}`` (``postback: false`` moves it without posting
back: a lost callback); ``GET orders``; ``GET customers``; ``GET|POST|DELETE
faults``; ``GET|DELETE requests``; ``GET postbacks``; ``GET|POST rate-limit`` ``{"rps": 20}`` (null
disables); and ``GET images/{productId}.png`` (what ``productPictureURL`` points at). Faults:
``{"method", "path_prefix", "status", "count", "retry_after"}`` answers the status with
``{"errors": ["Injected fault"]}`` (``after`` lets that many matching requests through first, to break a
sequence mid-way); ``{"mode": "delay", "delay_seconds"}`` waits before processing;
``{"mode": "timeout_after_commit", "delay_seconds"}`` processes the request fully, then holds the response
back, so a client can time out after Flowhub really committed.
Also, shared by the POS sandboxes (``sandboxes/_kit/faults.py``): ``every`` N-th or a seeded ``rate`` of
matching requests, and the modes ``reset``, ``reset_after_commit`` and ``truncate``.

Choices where Flowhub's public notes are silent
-----------------------------------------------
Each is a guess kept easy to change; none is confirmed by Flowhub.

1. Locations: ids are short readable strings; ``GET /v0/clientsLocations`` lists the caller's locations with
   the fields of src/types/locations.ts (``flowhub_catalog.location_record``). A location id nobody has is a
   404 ``Location <id> not found``; one that exists but that the client does not own is the 403.
2. Credentials: the Order Ahead Client Id is refused as a ``clientId`` (401 Invalid credentials), and a
   bearer is no key to the v0/v1 routes. ``/health`` and ``/oauth/token`` need no auth.
3. Rate limit: a rolling one-second window per ``clientId`` header value as sent, or per ``Authorization``
   value on calls without one (so Order Ahead calls have a bucket of their own; requests with neither share
   one). ``floor(rps)`` requests (at least 1) pass in any second; rejected requests do not count against
   the window. It applies to every path outside ``/_sandbox/`` (``/health`` and unknown paths included),
   after injected faults and before authentication (so a 401 spends budget too).
4. Inventory: items are ordered by ``productId``. A product not carried at a location is absent from its
   inventory; one carried with nothing in stock is in ``/inventory`` with ``quantity`` 0 and left out of
   the ``NonZero`` variants. ``quantity`` is the sum over all rooms (Vault, Back Stock and Quarantine
   included). ``/inventoryByRoomsNonZero`` has one entry per (item, room) with stock, in room order, each
   with ``roomId``, ``roomName``, ``upc`` (a 12-digit UPC-A, null on about 15%) and that room's
   ``quantity``; only the by-room entries carry ``upc``. Items also carry ``regulatoryId`` (a METRC-like
   package tag, null on accessories), ``inventoryUnitOfMeasureToGramsMultiplier`` and
   ``productUnitOfMeasureToGramsMultiplier``. Units of measure are ``"g"`` for flower sold by weight and
   ``"each"`` otherwise; ``productWeight`` is in grams (or ml for liquids).
5. Item values: ``unitOfMeasureToGramsMultiplier`` is 0.01 for ``%`` and 0.001 for ``mg``;
   ``lowerRange`` equals ``upperRange`` on about half the lab values. ``weightTierInformation`` is
   ``[{"name": "1/8 oz", "gramAmount": 3.5, "pricePerUnitInMinorUnits": 4700}, ...]`` (1g, 1/8, 1/4, 1/2
   and 1 oz) on flower sold by weight, where ``pricePerUnitInMinorUnits`` is the price of the whole tier,
   and ``[]`` otherwise; such flower has ``priceInMinorUnits`` per gram. ``postTaxPriceInPennies`` is the
   pre-tax price plus 16% (Michigan sales tax and excise) on cannabis, 6% on accessories.
   ``priceProfileName`` is "Adult-Use", "Medical" or "Standard" by ``purchaseCategory``. ``tags`` and
   ``effects`` are lists of strings, mostly empty. ``productPictureURL`` (null on about 20%) is
   ``<base URL of the request>/_sandbox/images/<productId>.png``, a 1x1 PNG served without auth.
6. Malformed records (about 1 in 100, at least 4 once there are 50 products, stocked at both locations):
   ``productName`` missing from the record, ``priceInMinorUnits`` negative (-2500) or a string
   (``"24.99"``), or a THC ``lowerRange`` of ``"n/a"``.
7. Customers: ids are ``cus-NNNNNN``. ``findByPhoneNumber`` answers ``{"total": n, "customers": [...]}``,
   comparing digits only and ignoring a leading US country code ``1``; a missing ``phone_number`` or one
   without digits is a 400. ``POST /v1/customer`` requires ``store_id`` (400 when missing; 404/403 like a
   path location) and the body fields ``birthDate`` (YYYY-MM-DD), ``name``, ``state`` (two letters) and
   ``type`` (``medCustomer``/``recCustomer``): 422 naming the field. ``medIdExpiration`` must be
   YYYY-MM-DD when given; a ``medCustomer`` without ``medId`` is accepted. Creating never checks for
   duplicates. Every customer field is present (null when unknown). Customers are shared by every
   configured client (there is one by default); ``store_id`` on ``GET /v1/customers/{id}`` is optional.
8. Order-ahead create: the body of vendor-apis.md §2 plus ``externalId`` (optional string, echoed by
   ``orderStatus`` and on the order's Sale). The location is the Order Ahead credential's; a ``locationId``
   sent anyway is ignored. ``orderType`` is required.
   Validation answers 422 with one message naming the field: ``orderItems`` a non-empty list;
   ``productId`` a JSON integer carried at the location (any quantity, "Product <id> is not available at
   location <id>"); ``quantityPurchased`` a number > 0 (fractions allowed, for grams); ``customer`` with
   ``firstName``, ``lastName``, ``birthDate``; ``customer.phone`` ``+1`` and 10 digits when given;
   ``medId`` or ``phone`` ("A medical id or a phone number is required"); ``medExp`` (YYYY-MM-DD) with
   ``medId``; ``medRecOrBoth`` one of med/rec/both, and ``med`` needs a ``medId``; delivery needs
   ``address`` with ``street1``, ``city``, ``state``, ``zip``; ``fees[].amount`` an integer >= 0 (pennies);
   ``requestedFulfillmentTimeStart``/``End``, ``externalCreatedAt`` ISO 8601 (End >= Start);
   ``postbackUrl`` an http(s) URL; ``loyaltyPointsInPennies`` an integer >= 0. Order ids are
   ``OA-000001`` upwards. Creating an order changes no stock (only the quantity control route does). The
   stored order is the body as received plus ``orderId``, ``status``, ``createdAt`` and ``updatedAt``; a
   client sees only the orders created with its own credentials.
9. ``orderStatus/{orderId}`` answers ``{"customerExternalId", "orderId", "status", "externalId",
   "updatedAt"}``: the create answer's fields (src/types/orders.ts ``OrderResponse``) and two more. An order
   created before a lost answer is found in the location's v1 sales list (``flowhub_sales`` choice 3); the
   lookup route the sandbox once invented (``GET /order-ahead/v0/orders``) is gone.
10. Status machine (moves only through the control route, as staff would in the POS):
    pickup and kiosk: new → started → ready → sold; delivery: new → started → inQueue → inTransit →
    delivered → sold, also started → ready → inQueue. From any non-final status: unableToComplete,
    unableToVerify or deleted. Final: sold, deleted, unableToComplete, unableToVerify. Any other move →
    409; an unknown status name → 422 (names are matched case-insensitively).
11. Postbacks: on every status change, ``{"orderId", "externalId", "status", "previousStatus",
    "updatedAt"}`` is POSTed as JSON to the order's ``postbackUrl`` by one background worker per sandbox
    (in order, 5 s timeout, never retried, no signature header: a receiver should confirm through
    ``orderStatus``). ``POST /orderPostback/{orderId}`` answers 204 and re-sends the current status with
    the ``previousStatus`` of the last change (null if it never changed); without a ``postbackUrl`` it is
    still a 204 and sends nothing. Every attempt is logged (``FlowhubSandbox.postback_log`` and
    ``GET /_sandbox/postbacks``) as ``{"url", "body", "status_code", "error", "sentAt"}``.
12. Errors: unknown route → 404 ``{"errors": ["Not found"]}`` (authentication is not checked first);
    wrong method → 405; a body that is not JSON → 400 ``{"errors": ["Request body must be valid JSON"]}``.
13. Injected faults fire before the rate limit and authentication (they stand for the gateway in front of
    Flowhub) and on paths outside ``/_sandbox/`` only. ``mode`` defaults to ``status``, ``count`` to 1,
    ``path_prefix`` to ``/`` and ``method`` to any; the first matching fault that fires takes the request.
    ``Retry-After`` is sent only when the fault has ``retry_after``.
14. ``/_sandbox/requests`` counts every request that matched a vendor route, as ``"<METHOD> <template>"``
    (``"GET /v0/locations/{locationId}/inventory"``), including those answered 401/403/429/4xx or with an
    injected fault, and image downloads; it excludes the other control routes.
15. ``PATCH /orders/{orderId}`` takes the create body again (src/types/orders.ts: ``UpdateOrderParams extends
    CreateOrderParams``), validated the same way, and replaces the order's body; status, location and
    creation time stay. A final order is a 409. It answers like the create (``OrderResponse``).
16. ``GET /v1/customers/`` answers ``{"total", "customers"}`` like ``findByPhoneNumber`` (the Swagger file
    declares a single customer; the public client notes it is unverified). ``page`` (1-based), ``page_size``
    (default 100), ``order_by`` (by ``createdAt``) and ``created_*``/``updated_*`` (YYYY-MM-DD, inclusive; a
    timestamp is a 404 as on the sales lists). ``PUT /v1/customer/{id}?store_id=`` validates like the create
    (``store_id`` required) and replaces the customer's fields.
17. Analytics rows (src/types/inventory.ts) add ``forSale`` and ``supplierLicense``; only stock in a for-sale
    room (``FOR_SALE_ROOMS``) counts unless ``includesNotForSaleQuantity=true``. ``forSale`` says whether the
    item (or, by room, the room) holds stock for sale; ``supplierLicense`` is derived from the supplier name.

Package layout (step one of moving these notes beside their code): ``app.py`` (routes, app), ``accounts.py``,
``auth.py``, ``oauth.py``, ``locations.py``, ``fleet.py``, ``catalog.py``, ``inventory.py``,
``customer_data.py``, ``customers.py``, ``order_body.py``, ``orders.py``, ``postbacks.py``, ``sales.py``,
``control.py``, ``state.py``; the notes above that name ``flowhub_catalog``, ``flowhub_oauth`` and
``flowhub_sales`` mean ``catalog.py``, ``oauth.py`` and ``sales.py``.
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
