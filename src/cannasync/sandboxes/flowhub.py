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
"""

from __future__ import annotations

import json
import re
import threading
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

import httpx2
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import Scope

from cannasync.sandboxes import flowhub_sales
from cannasync.sandboxes._kit import app as _app
from cannasync.sandboxes._kit import faults as _faults
from cannasync.sandboxes._kit.control import control_routes
from cannasync.sandboxes._kit.faults import Fault
from cannasync.sandboxes._kit.gateway import CONTROL, RequestCounts, VendorError, VendorRoute
from cannasync.sandboxes._kit.limits import RollingWindow
from cannasync.sandboxes._kit.values import digits, integer, iso_ms, later_than, now, number, png
from cannasync.sandboxes.flowhub_catalog import (
    ROOMS,
    customer_record,
    fleet,
    fleet_location,
    fleet_rooms,
    generate_catalogue,
    generate_customers,
)
from cannasync.sandboxes.flowhub_oauth import DEFAULT_TTL, GrantError, Tenant

JSON = dict[str, Any]

POSTBACK_TIMEOUT = 5.0

DEFAULT_CLIENT_ID = "3f7c1a52-0d7e-4b8a-9a51-6f2d1c0e9b11"
DEFAULT_API_KEY = "9b1d6c2e-7a44-4f0e-8c3b-5e2a7d9f1c20"
DEFAULT_ORDER_AHEAD_CLIENT_ID = "c0ffee00-1234-4abc-9def-00000000a11e"
DEFAULT_ORDER_AHEAD_TOKEN = "oa-demo-token"


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

ORDER_STATUSES: tuple[str, ...] = (
    "new",
    "started",
    "ready",
    "inQueue",
    "inTransit",
    "delivered",
    "unableToComplete",
    "unableToVerify",
    "deleted",
    "sold",
)
FINAL_STATUSES = frozenset({"sold", "deleted", "unableToComplete", "unableToVerify"})
ABANDON_STATUSES = frozenset({"unableToComplete", "unableToVerify", "deleted"})
_COUNTER_MOVES: dict[str, frozenset[str]] = {
    "new": frozenset({"started"}),
    "started": frozenset({"ready"}),
    "ready": frozenset({"sold"}),
}
#: Order type → status → the statuses it may move on to (besides the abandon statuses).
FORWARD_MOVES: dict[str, dict[str, frozenset[str]]] = {
    "pickup": _COUNTER_MOVES,
    "kiosk": _COUNTER_MOVES,
    "delivery": {
        "new": frozenset({"started"}),
        "started": frozenset({"ready", "inQueue"}),
        "ready": frozenset({"inQueue"}),
        "inQueue": frozenset({"inTransit"}),
        "inTransit": frozenset({"delivered"}),
        "delivered": frozenset({"sold"}),
    },
}
ORDER_TYPES: tuple[str, ...] = ("pickup", "delivery", "kiosk")
#: At most this many serialised inventory bodies are cached (the oldest goes first).
_CACHE_LIMIT = 32
INVENTORY_KINDS: tuple[str, ...] = ("inventory", "inventoryNonZero", "inventoryByRoomsNonZero")
#: The analytics variants: per location with a capital I (``/InventoryAnalytics``), globally with a small one
#: (flowhub-client-ts src/resources/inventory.ts: ``inventoryPath("inventoryAnalytics", "InventoryAnalytics")``).
ANALYTICS_KINDS: tuple[str, ...] = ("InventoryAnalytics", "InventoryAnalyticsByRooms")
#: The rooms whose stock is for sale; the others (Vault, Back Stock, Quarantine) hold stock not for sale, which
#: the analytics routes count only with ``includesNotForSaleQuantity=true``. Unverified: which rooms Flowhub
#: counts as for sale is the store's setting; a sales floor is the one a shopper can buy from.
FOR_SALE_ROOMS = frozenset({"Sales Floor"})
#: A supplier's licence number, as the analytics rows carry it (derived from the supplier's name).
_LICENCE_PREFIX = "PR-"


class ApiError(VendorError):
    """An error answered as ``{"errors": [message]}`` with ``status``."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})

    def response(self) -> JSONResponse:
        return JSONResponse({"errors": [self.message]}, status_code=self.status, headers=self.headers)


# --------------------------------------------------------------------------------------------------
# Small pure helpers


def _parse_iso(value: object, name: str, status: int = 422) -> datetime:
    """Parse an ISO 8601 date or datetime; a naive one is taken as UTC."""
    if not isinstance(value, str):
        raise ApiError(status, f"{name} must be an ISO 8601 timestamp")
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ApiError(status, f"{name} must be an ISO 8601 timestamp") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _later_than(previous: str) -> str:
    """Now, or 1 ms after the stored timestamp ``previous`` if the clock has not moved past it."""
    return later_than(_parse_iso(previous, "timestamp"))


def _is_date(value: object) -> bool:
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _dumps(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def _page_number(value: str | None, name: str, most: int, default: int) -> int:
    if value is None:
        return default
    if not value.isdigit() or not 1 <= int(value) <= most:
        raise ApiError(400, f"{name} must be a whole number from 1 to {most}")
    return int(value)


def _flag(value: str | None, name: str) -> bool:
    """A ``true``/``false`` query value (absent: false)."""
    if value is None or value.lower() == "false":
        return False
    if value.lower() == "true":
        return True
    raise ApiError(400, f"{name} must be true or false")


def _canonical_status(value: object) -> str:
    if isinstance(value, str):
        wanted = value.strip().lower()
        for status in ORDER_STATUSES:
            if status.lower() == wanted:
                return status
    raise ApiError(422, f"status must be one of: {', '.join(ORDER_STATUSES)}")


# --------------------------------------------------------------------------------------------------
# Request bodies


def _optional_str(body: JSON, name: str, where: str = "") -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise ApiError(422, f"{where}{name} must be a string")
    return value


def _required_str(body: JSON, name: str, where: str = "") -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ApiError(422, f"{where}{name} is required")
    return value.strip()


@dataclass(frozen=True)
class OrderRequest:
    """What the sandbox needs from a validated order-ahead body (the body itself is stored as received)."""

    order_type: str
    product_ids: tuple[int, ...]
    external_id: str | None
    customer_external_id: str | None


def _parse_order_items(raw: object) -> tuple[int, ...]:
    if not isinstance(raw, list) or not raw:
        raise ApiError(422, "orderItems must be a non-empty list")
    product_ids = []
    for index, line in enumerate(raw):
        where = f"orderItems[{index}]"
        if not isinstance(line, dict):
            raise ApiError(422, f"{where} must be an object")
        product_id = integer(line.get("productId"))
        if product_id is None:
            raise ApiError(422, f"{where}.productId must be a number")
        quantity = number(line.get("quantityPurchased"))
        if quantity is None or quantity <= 0:
            raise ApiError(422, f"{where}.quantityPurchased for product {product_id} must be greater than 0")
        _optional_str(line, "discountNote", f"{where}.")
        product_ids.append(product_id)
    return tuple(product_ids)


def _parse_order_customer(raw: object) -> str | None:
    """Validate ``customer``; return its ``externalId``."""
    if not isinstance(raw, dict):
        raise ApiError(422, "customer is required")
    where = "customer."
    _required_str(raw, "firstName", where)
    _required_str(raw, "lastName", where)
    if not _is_date(raw.get("birthDate")):
        raise ApiError(422, "customer.birthDate is required (YYYY-MM-DD)")
    for name in ("email", "externalId"):
        _optional_str(raw, name, where)
    phone = _optional_str(raw, "phone", where)
    if phone and not re.fullmatch(r"\+1\d{10}", phone):
        raise ApiError(422, "customer.phone must be E.164: +1 followed by 10 digits")
    med_id = _optional_str(raw, "medId", where)
    kind = raw.get("medRecOrBoth")
    if kind is not None and kind not in ("med", "rec", "both"):
        raise ApiError(422, "customer.medRecOrBoth must be one of: med, rec, both")
    if not med_id and not phone:
        raise ApiError(422, "A medical id or a phone number is required")
    if kind == "med" and not med_id:
        raise ApiError(422, "customer.medId is required for medical orders")
    if med_id and not _is_date(raw.get("medExp")):
        raise ApiError(422, "customer.medExp is required with customer.medId (YYYY-MM-DD)")
    external_id = raw.get("externalId")
    return external_id if isinstance(external_id, str) else None


def _parse_fees(raw: object) -> None:
    if raw is None:
        return
    if not isinstance(raw, list):
        raise ApiError(422, "fees must be a list")
    for index, fee in enumerate(raw):
        if not isinstance(fee, dict):
            raise ApiError(422, f"fees[{index}] must be an object")
        _required_str(fee, "name", f"fees[{index}].")
        amount = integer(fee.get("amount"))
        if amount is None or amount < 0:
            raise ApiError(422, f"fees[{index}].amount must be an integer number of pennies >= 0")


def parse_order_request(body: JSON) -> OrderRequest:
    """Validate the shape of an order-ahead create body; existence checks happen against the state.

    The documented body has no ``locationId`` (vendor-apis.md §2; flowhub-client-ts src/types/orders.ts
    ``CreateOrderParams``): the location is the Order Ahead credential's. One sent anyway is ignored.
    """
    external_id = _optional_str(body, "externalId")
    order_type = body.get("orderType")
    if order_type not in ORDER_TYPES:
        raise ApiError(422, f"orderType must be one of: {', '.join(ORDER_TYPES)}")
    product_ids = _parse_order_items(body.get("orderItems"))
    customer_external_id = _parse_order_customer(body.get("customer"))
    address = body.get("address")
    if address is not None and not isinstance(address, dict):
        raise ApiError(422, "address must be an object")
    if order_type == "delivery":
        if not address:
            raise ApiError(422, "address is required for delivery orders")
        for name in ("street1", "city", "state", "zip"):
            value = address.get(name)
            if not isinstance(value, str) or not value.strip():
                raise ApiError(422, f"address.{name} is required for delivery orders")
    _parse_fees(body.get("fees"))
    window: dict[str, datetime] = {}
    for name in ("externalCreatedAt", "requestedFulfillmentTimeStart", "requestedFulfillmentTimeEnd"):
        if body.get(name) not in (None, ""):
            window[name] = _parse_iso(body[name], name)
    start, end = window.get("requestedFulfillmentTimeStart"), window.get("requestedFulfillmentTimeEnd")
    if start is not None and end is not None and end < start:
        raise ApiError(422, "requestedFulfillmentTimeEnd must not be before requestedFulfillmentTimeStart")
    postback = _optional_str(body, "postbackUrl")
    if postback and not re.match(r"^https?://[^\s/]+", postback):
        raise ApiError(422, "postbackUrl must be an http(s) URL")
    for name in ("customerId", "cartDiscountNote", "customerNote"):
        _optional_str(body, name)
    points = body.get("loyaltyPointsInPennies")
    if points is not None and (integer(points) is None or points < 0):
        raise ApiError(422, "loyaltyPointsInPennies must be an integer >= 0")
    return OrderRequest(order_type, product_ids, external_id, customer_external_id)


_CUSTOMER_OPTIONAL_STRINGS: tuple[str, ...] = (
    "email",
    "phone",
    "medId",
    "city",
    "zip",
    "streetAddress1",
    "streetAddress2",
    "country",
    "stateId",
)


def parse_customer_body(body: JSON) -> JSON:
    """Validate a ``POST /v1/customer`` body; return the fields to store."""
    if not _is_date(body.get("birthDate")):
        raise ApiError(422, "birthDate is required (YYYY-MM-DD)")
    fields: JSON = {"birthDate": body["birthDate"], "name": _required_str(body, "name")}
    state = body.get("state")
    if not isinstance(state, str) or not re.fullmatch(r"[A-Za-z]{2}", state.strip()):
        raise ApiError(422, "state is required (two letters)")
    fields["state"] = state.strip().upper()
    if body.get("type") not in ("medCustomer", "recCustomer"):
        raise ApiError(422, "type is required (medCustomer or recCustomer)")
    fields["type"] = body["type"]
    for name in _CUSTOMER_OPTIONAL_STRINGS:
        value = _optional_str(body, name)
        if value is not None:
            fields[name] = value
    for name in ("medIdExpiration", "stateIdExpiration"):
        value = body.get(name)
        if value is not None:
            if not _is_date(value):
                raise ApiError(422, f"{name} must be YYYY-MM-DD")
            fields[name] = value
    for name in ("isLoyal", "consentsToPromotionalEmail", "consentsToPromotionalSMS"):
        value = body.get(name)
        if value is not None:
            if not isinstance(value, bool):
                raise ApiError(422, f"{name} must be a boolean")
            fields[name] = value
    points = body.get("loyaltyPoints")
    if points is not None:
        if number(points) is None or points < 0:
            raise ApiError(422, "loyaltyPoints must be a number >= 0")
        fields["loyaltyPoints"] = points
    groups = body.get("groups")
    if groups is not None:
        if not isinstance(groups, list) or not all(isinstance(group, dict) for group in groups):
            raise ApiError(422, "groups must be a list of objects")
        fields["groups"] = groups
    return fields


# --------------------------------------------------------------------------------------------------
# Faults


def parse_fault(body: JSON) -> Fault:
    """Validate a ``POST /_sandbox/faults`` body (the kinds and fields: sandboxes/_kit/faults.py)."""
    return _faults.parse_fault(body, default_prefix="/", invalid=lambda message: ApiError(422, message))


def _parse_rps(value: object) -> float | None:
    if value is None:
        return None
    rps = number(value)
    if rps is None or rps <= 0:
        raise ApiError(422, "rps must be a number > 0, or null to disable the limit")
    return float(rps)


def _allowance(rps: float | None) -> int | None:
    """Requests let through in any one-second window: ``floor(rps)``, at least 1 (choice 3)."""
    return None if rps is None else max(1, int(rps))


# --------------------------------------------------------------------------------------------------
# Postbacks


def _deliver(url: str, body: JSON) -> JSON:
    entry: JSON = {"url": url, "body": body, "status_code": None, "error": None, "sentAt": iso_ms(now())}
    try:
        with httpx2.Client(timeout=POSTBACK_TIMEOUT, trust_env=False) as client:
            response = client.post(url, json=body, headers={"User-Agent": "flowhub-sandbox"})
        entry["status_code"] = response.status_code
    except Exception as error:  # the worker must survive anything a receiver does
        entry["error"] = f"{type(error).__name__}: {error}"
    return entry


class _PostbackSender:
    """Delivers postbacks in order from one background thread, started on demand and ended when idle."""

    def __init__(self, record: Callable[[JSON], None]) -> None:
        self._record = record
        self._condition = threading.Condition()
        self._queue: deque[tuple[str, JSON]] = deque()
        self._busy = False

    def send(self, url: str, body: JSON) -> None:
        with self._condition:
            self._queue.append((url, body))
            if not self._busy:
                self._busy = True
                threading.Thread(target=self._run, name="flowhub-postbacks", daemon=True).start()

    def _run(self) -> None:
        while True:
            with self._condition:
                if not self._queue:
                    self._busy = False
                    self._condition.notify_all()
                    return
                url, body = self._queue.popleft()
            self._record(_deliver(url, body))

    def wait_idle(self, timeout: float) -> bool:
        with self._condition:
            return self._condition.wait_for(lambda: not self._busy, timeout)


# --------------------------------------------------------------------------------------------------
# State


class FlowhubSandbox:
    """The sandbox's in-memory state: catalogue, stock by room, customers, orders, faults and counters.

    Every public method takes ``lock`` because uvicorn may serve from several threads and tests read the
    state directly. Stored records are never mutated once stored; updates replace the record
    (copy-on-write), so a record handed out is a stable snapshot that can be serialised after the lock is
    released. Inventory responses are serialised once per (route, location, base URL) and cached until
    the catalogue or stock changes.
    """

    def __init__(
        self,
        *,
        items: int = 200,
        seed: int = 1,
        credentials: Iterable[Account] = DEFAULT_CREDENTIALS,
        customers: int = 20,
        rate_limit_rps: float | None = 59.0,
        locations: int = 0,
        token_ttl: float = DEFAULT_TTL,
    ) -> None:
        if locations < 0:
            raise ValueError("locations must be >= 0")
        self.lock = threading.Lock()
        self.seed = seed
        catalogue = generate_catalogue(items, seed)
        generated = [fleet_location(index) for index in range(locations)]
        self.locations: dict[str, JSON] = {
            location["locationId"]: location for location in [*catalogue.locations, *generated]
        }
        #: Location id → ((roomId, roomName), ...), the well-known locations' and the generated ones'.
        self.rooms: dict[str, tuple[tuple[str, str], ...]] = {
            **ROOMS,
            **{location["locationId"]: fleet_rooms(location["locationId"]) for location in generated},
        }
        # Every client owns the generated locations too: a scale test needs one set of credentials.
        fleet_ids = tuple(location["locationId"] for location in generated)
        self.accounts: tuple[Account, ...] = tuple(
            replace(account, location_ids=account.location_ids + fleet_ids) for account in credentials
        )
        for account in self.accounts:
            unknown = set(account.location_ids) - set(self.locations)
            if unknown:
                raise ValueError(f"unknown location ids for client {account.client_id}: {sorted(unknown)}")
        self._products: dict[int, JSON] = {product["productId"]: product for product in catalogue.products}
        self.upcs: dict[int, str | None] = catalogue.upcs
        #: Location id → product id → room id → quantity (see ``flowhub_catalog.Catalogue``).
        #: A generated location's map is a ``flowhub_catalog.FleetShelf`` (rows derived when read, never stored).
        self.stock: dict[str, MutableMapping[int, dict[str, int]]] = {
            **catalogue.stock,
            **fleet(seed, locations, catalogue.products, catalogue.malformed),
        }
        #: Malformed product id → kind of damage (see ``flowhub_catalog.MALFORMED_KINDS``).
        self.malformed: dict[int, str] = dict(catalogue.malformed)
        for account in self.accounts:
            if account.order_location not in account.location_ids:
                raise ValueError(f"client {account.client_id} does not own {account.order_location}")
        #: Location id → the client id that owns it (the first configured client that does).
        self._owner: dict[str, str] = {}
        for account in self.accounts:
            for location_id in account.location_ids:
                self._owner.setdefault(location_id, account.client_id)
        #: The Auth0 tenant of the Order Ahead grant (flowhub_oauth).
        self.tenant = Tenant(
            {account.order_ahead_client_id: account.order_ahead_token for account in self.accounts}, ttl=token_ttl
        )
        self._customers: dict[str, JSON] = {c["id"]: c for c in generate_customers(seed, customers)}
        #: Walk-in sales of the well-known locations (flowhub_sales); Order Ahead orders are added as they come.
        self._sales: list[JSON] = flowhub_sales.seeded_sales(
            seed,
            self.accounts[0].client_id if self.accounts else "",
            catalogue.stock,
            self._products,
            list(self._customers.values()),
            self.malformed,
        )
        self._next_customer = len(self._customers) + 1
        self._orders: dict[str, JSON] = {}
        self._order_owner: dict[str, str] = {}
        self._previous_status: dict[str, str | None] = {}
        self._next_order = 1
        self.faults = _faults.Faults()
        self.requests = RequestCounts()
        self.rate_limit_rps = _parse_rps(rate_limit_rps)
        self.rate_window = RollingWindow(_allowance(self.rate_limit_rps), 1.0)
        self._cache: dict[tuple[str, str, str, bool], bytes] = {}
        self._version = 0
        self._postbacks: list[JSON] = []
        self._sender = _PostbackSender(self._record_postback)

    # -- auth and rate limit ---------------------------------------------------------------------

    def authenticate(self, client_id: str | None, key: str | None) -> Account:
        """The caller's account by the ``clientId`` and ``key`` headers, or the 401 Flowhub answers."""
        if not client_id or not key:
            raise ApiError(401, "Missing clientId or key header")
        client_id, key = client_id.strip(), key.strip()
        for account in self.accounts:
            if account.client_id == client_id and account.key == key:
                return account
        raise ApiError(401, "Invalid credentials")

    def authenticate_bearer(self, authorization: str | None, *, api_headers: bool = False) -> Account:
        """The caller's account by an Order Ahead access token, or a 401.

        Order Ahead calls carry ``Authorization: Bearer <access token>`` and nothing else: the public client
        sends no ``clientId``/``key`` once it has a token (flowhub-client-ts src/auth.ts, ``createAuthHeaders``).
        A call that sends them anyway (``api_headers``) is refused, so that a client still authenticating the
        old way is caught here rather than by a real store's missing orders.
        """
        if api_headers:
            raise ApiError(401, "Order Ahead takes only an Authorization: Bearer access token, not clientId/key")
        scheme, _, token = (authorization or "").strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "Missing access token")
        client_id = self.tenant.client_of(token.strip())
        if client_id is None:
            raise ApiError(401, "Invalid or expired access token")
        for account in self.accounts:
            if account.order_ahead_client_id == client_id:
                return account
        raise ApiError(401, "Invalid or expired access token")  # pragma: no cover - tenant and accounts agree

    def admit(self, client_id: str, now: float | None = None) -> bool:
        """Whether one more request from ``client_id`` fits in the rolling one-second window."""
        return self.rate_window.admit(client_id, now) is None

    def set_rate_limit(self, rps: float | None) -> None:
        parsed = _parse_rps(rps)
        with self.lock:
            self.rate_limit_rps = parsed
            self.rate_window.set(_allowance(parsed))

    def _location(self, account: Account, location_id: str, unknown_status: int = 404) -> JSON:
        location = self.locations.get(location_id)
        if location is None:
            raise ApiError(unknown_status, f"Location {location_id} not found")
        if location_id not in account.location_ids:
            raise ApiError(403, f"Not authorized for location {location_id}")
        return location

    def location(self, account: Account, location_id: str) -> JSON:
        """The location if ``account`` owns it; 404 if nobody has it, 403 if someone else does."""
        with self.lock:
            return self._location(account, location_id)

    def client_locations(self, account: Account) -> list[JSON]:
        """The caller's locations as ``GET /v0/clientsLocations`` lists them (flowhub_catalog.location_record)."""
        with self.lock:
            return [
                {**self.locations[location_id], "clientId": account.client_id}
                for location_id in self.locations
                if location_id in account.location_ids
            ]

    def time_zones(self) -> dict[str, str]:
        return {location_id: str(location["timeZone"]) for location_id, location in self.locations.items()}

    # -- inventory -------------------------------------------------------------------------------

    @property
    def malformed_ids(self) -> frozenset[int]:
        return frozenset(self.malformed)

    def products(self) -> list[JSON]:
        """Every product as stored (location fields are placeholders), id order."""
        with self.lock:
            return list(self._products.values())

    def product(self, product_id: int) -> JSON:
        with self.lock:
            return self._product(product_id)

    def _product(self, product_id: int) -> JSON:
        product = self._products.get(product_id)
        if product is None:
            raise ApiError(404, f"Product {product_id} not found")
        return product

    def inventory(
        self, location_id: str, kind: str = "inventory", base_url: str = "", not_for_sale: bool = False
    ) -> list[JSON]:
        """The records a v0 inventory route serves (``kind`` names the route), for tests and the demo."""
        with self.lock:
            return self._inventory_rows(kind, location_id, base_url, not_for_sale)

    def _inventory_rows(self, kind: str, location_id: str, base_url: str, not_for_sale: bool = False) -> list[JSON]:
        location_name = self.locations[location_id]["locationName"]
        stocked = self.stock[location_id]
        analytics = kind in ANALYTICS_KINDS
        by_room = kind in ("inventoryByRoomsNonZero", "InventoryAnalyticsByRooms")
        counted_rooms = [
            (room_id, room_name)
            for room_id, room_name in self.rooms[location_id]
            if not analytics or not_for_sale or room_name in FOR_SALE_ROOMS
        ]
        for_sale = {room_id for room_id, room_name in self.rooms[location_id] if room_name in FOR_SALE_ROOMS}
        rows: list[JSON] = []
        for product_id, product in self._products.items():
            rooms = stocked.get(product_id)
            if rooms is None:
                continue
            total = sum(rooms.get(room_id, 0) for room_id, _ in counted_rooms)
            if kind == "inventoryNonZero" and total <= 0:
                continue
            picture = product.get("productPictureURL")
            if isinstance(picture, str) and picture.startswith("/"):
                picture = base_url + picture
            row = {
                **product,
                "clientId": self._owner.get(location_id),
                "quantity": total,
                "productPictureURL": picture,
                "locationId": location_id,
                "locationName": location_name,
            }
            if analytics:
                # flowhub-client-ts src/types/inventory.ts: the analytics rows add forSale and supplierLicense.
                supplier = product.get("supplierName")
                licence = f"{_LICENCE_PREFIX}{zlib.crc32(str(supplier).encode()) % 1000000:06d}" if supplier else None
                row["supplierLicense"] = licence
                row["forSale"] = any(rooms.get(room_id, 0) > 0 for room_id in for_sale)
            if not by_room:
                rows.append(row)
                continue
            upc = self.upcs.get(product_id)
            for room_id, room_name in counted_rooms:
                quantity = rooms.get(room_id, 0)
                if quantity > 0:
                    entry = {**row, "quantity": quantity, "roomId": room_id, "roomName": room_name, "upc": upc}
                    if analytics:
                        entry["forSale"] = room_id in for_sale
                    rows.append(entry)
        return rows

    def inventory_payload(self, kind: str, location_id: str, base_url: str, not_for_sale: bool = False) -> bytes:
        """The serialised ``{"status": 200, "data": [...]}`` body of an inventory route (cached)."""
        key = (kind, location_id, base_url, not_for_sale)
        with self.lock:
            cached = self._cache.get(key)
            if cached is not None:
                return cached
            version = self._version
            rows = self._inventory_rows(kind, location_id, base_url, not_for_sale)
        payload = _dumps({"status": 200, "data": rows})
        with self.lock:
            if self._version == version:
                # Bounded, so that a scale test reading a thousand locations does not keep a thousand bodies.
                if len(self._cache) >= _CACHE_LIMIT:
                    self._cache.pop(next(iter(self._cache)))
                self._cache[key] = payload
        return payload

    def all_inventory_payload(
        self, account: Account, kind: str, base_url: str, location_id: str | None, not_for_sale: bool
    ) -> bytes:
        """The body of a global ``/v0/<kind>`` route: every location of the caller's, or the one ``locationId``.

        The global routes and their optional ``locationId`` query come from flowhub-client-ts
        src/resources/inventory.ts (``buildInventoryQuery``); what they list is the per-location routes' rows,
        location after location in ``clientsLocations`` order (unverified).
        """
        with self.lock:
            if location_id is not None:
                self._location(account, location_id)
                wanted = [location_id]
            else:
                wanted = [loc for loc in self.locations if loc in account.location_ids]
            rows = [row for loc in wanted for row in self._inventory_rows(kind, loc, base_url, not_for_sale)]
        return _dumps({"status": 200, "data": rows})

    def _changed(self) -> None:
        self._version += 1
        self._cache.clear()

    def has_picture(self, product_id: int) -> bool:
        with self.lock:
            product = self._products.get(product_id)
            return product is not None and bool(product.get("productPictureURL"))

    def set_quantity(self, product_id: int, location_id: str, quantity: int, room_id: str | None = None) -> JSON:
        """Set a product's stock at a location: one room's quantity, or (without ``room_id``) the whole
        quantity, which then sits on the sales floor alone. A product not carried there becomes carried."""
        with self.lock:
            self._product(product_id)
            if location_id not in self.locations:
                raise ApiError(404, f"Location {location_id} not found")
            rooms = dict(self.rooms[location_id])
            if room_id is None:
                new = {self.rooms[location_id][0][0]: quantity}
            elif room_id not in rooms:
                raise ApiError(422, f"roomId {room_id} is not a room of location {location_id}")
            else:
                new = {**self.stock[location_id].get(product_id, {}), room_id: quantity}
            new = {room: count for room, count in new.items() if count > 0}
            self.stock[location_id][product_id] = new
            self._changed()
            return {
                "productId": product_id,
                "locationId": location_id,
                "quantity": sum(new.values()),
                "rooms": [
                    {"roomId": room, "roomName": name, "quantity": new.get(room, 0)}
                    for room, name in self.rooms[location_id]
                ],
            }

    def patch_product(self, product_id: int, changes: JSON) -> JSON:
        """Merge ``changes`` into the product and bump ``productUpdatedAt`` (unless given)."""
        if "productId" in changes and changes["productId"] != product_id:
            raise ApiError(422, "productId cannot be changed")
        for name in ("quantity", "locationId", "locationName"):
            if name in changes:
                raise ApiError(422, f"{name} is per location: use POST /_sandbox/items/{{productId}}/quantity")
        with self.lock:
            old = self._product(product_id)
            new = {**old, **changes, "productId": product_id}
            if "productUpdatedAt" not in changes:
                new["productUpdatedAt"] = _later_than(old["productUpdatedAt"])
            self._products[product_id] = new
            self._changed()
            return new

    def delete_product(self, product_id: int) -> None:
        with self.lock:
            self._product(product_id)
            del self._products[product_id]
            for stocked in self.stock.values():
                stocked.pop(product_id, None)
            self._changed()

    # -- customers -------------------------------------------------------------------------------

    def customers(self) -> list[JSON]:
        with self.lock:
            return list(self._customers.values())

    def find_customers_by_phone(self, phone: str) -> list[JSON]:
        wanted = digits(phone)
        if not wanted:
            raise ApiError(400, "phone_number must contain digits")
        with self.lock:
            return [c for c in self._customers.values() if c.get("phone") and digits(c["phone"]) == wanted]

    def get_customer(self, customer_id: str) -> JSON:
        with self.lock:
            customer = self._customers.get(customer_id)
            if customer is None:
                raise ApiError(404, f"Customer {customer_id} not found")
            return customer

    def list_customers(self, params: Mapping[str, str]) -> JSON:
        """``GET /v1/customers/``: ``{"total", "customers"}`` filtered and paged by ``params`` (choice 7)."""
        bounds = {}
        for name in ("created_after", "created_before", "updated_after", "updated_before"):
            value = params.get(name)
            if value is not None and not _is_date(value):
                raise ApiError(404, f"{name} must be in format yyyy-mm-dd")
            bounds[name] = value
        page = _page_number(params.get("page"), "page", 10**9, 1)
        size = _page_number(params.get("page_size"), "page_size", flowhub_sales.MAX_PAGE_SIZE, 100)
        order_by = params.get("order_by", "asc")
        if order_by not in ("asc", "desc"):
            raise ApiError(400, "order_by must be asc or desc")

        def within(customer: JSON) -> bool:
            created, updated = str(customer["createdAt"])[:10], str(customer["updatedAt"])[:10]
            return (
                (bounds["created_after"] is None or created >= bounds["created_after"])
                and (bounds["created_before"] is None or created <= bounds["created_before"])
                and (bounds["updated_after"] is None or updated >= bounds["updated_after"])
                and (bounds["updated_before"] is None or updated <= bounds["updated_before"])
            )

        with self.lock:
            found = [customer for customer in self._customers.values() if within(customer)]
        found.sort(key=lambda customer: (str(customer["createdAt"]), str(customer["id"])), reverse=order_by == "desc")
        start = (page - 1) * size
        return {"total": len(found), "customers": found[start : start + size]}

    def update_customer(self, customer_id: str, fields: JSON) -> JSON:
        """``PUT /v1/customer/{id}``: the body's fields replace the customer's (the write body of a create)."""
        with self.lock:
            old = self._customers.get(customer_id)
            if old is None:
                raise ApiError(404, f"Customer {customer_id} not found")
            new = {**customer_record(customer_id, fields, old["createdAt"]), "updatedAt": _later_than(old["updatedAt"])}
            self._customers[customer_id] = new
            return new

    def create_customer(self, fields: JSON) -> JSON:
        with self.lock:
            customer_id = f"cus-{self._next_customer:06d}"
            self._next_customer += 1
            customer = customer_record(customer_id, fields, iso_ms(now()))
            self._customers[customer_id] = customer
            return customer

    # -- order ahead -----------------------------------------------------------------------------

    def orders(self) -> list[JSON]:
        with self.lock:
            return list(self._orders.values())

    def create_order(self, account: Account, body: JSON, request: OrderRequest) -> JSON:
        """Store a validated order-ahead body as received, with status ``new``; return the response."""
        location_id = account.order_location
        with self.lock:
            self._check_products(location_id, request)
            order_id = f"OA-{self._next_order:06d}"
            self._next_order += 1
            stamp = iso_ms(now())
            self._orders[order_id] = {
                **body,
                "locationId": location_id,
                "orderId": order_id,
                "status": "new",
                "createdAt": stamp,
                "updatedAt": stamp,
            }
            self._order_owner[order_id] = account.client_id
            self._previous_status[order_id] = None
            return {"customerExternalId": request.customer_external_id, "orderId": order_id, "status": "new"}

    def _check_products(self, location_id: str, request: OrderRequest) -> None:
        stocked = self.stock[location_id]
        for product_id in request.product_ids:
            if product_id not in stocked or product_id not in self._products:
                raise ApiError(422, f"Product {product_id} is not available at location {location_id}")

    def update_order(self, account: Account, order_id: str, body: JSON, request: OrderRequest) -> JSON:
        """``PATCH /orders/{orderId}``: the create body again replaces the order's (choice 15)."""
        with self.lock:
            old = self._order(order_id, account)
            if old["status"] in FINAL_STATUSES:
                raise ApiError(409, f"Order {order_id} is {old['status']} and can no longer be changed")
            self._check_products(old["locationId"], request)
            kept = {name: old[name] for name in ("locationId", "orderId", "status", "createdAt")}
            self._orders[order_id] = {**body, **kept, "updatedAt": _later_than(old["updatedAt"])}
            return {"customerExternalId": request.customer_external_id, "orderId": order_id, "status": old["status"]}

    def sales(
        self,
        account: Account,
        params: Mapping[str, str],
        *,
        location_id: str | None = None,
        customer_id: str | None = None,
    ) -> JSON:
        """A v1 sales list (flowhub_sales): one location's, or one customer's at the caller's locations."""
        with self.lock:
            if location_id is not None:
                self._location(account, location_id)
            made = [
                flowhub_sales.sale_from_order(order, self._products, self._owner.get(order["locationId"], ""))
                for order in self._orders.values()
            ]
            candidates = [
                sale
                for sale in [*self._sales, *made]
                if (location_id is None or sale["locationId"] == location_id)
                and sale["locationId"] in account.location_ids
                and (customer_id is None or sale["customerId"] == customer_id)
            ]
        try:
            return flowhub_sales.query(candidates, params, self.time_zones())
        except flowhub_sales.QueryError as error:
            raise ApiError(error.status, error.message) from None

    def _order(self, order_id: str, account: Account | None) -> JSON:
        order = self._orders.get(order_id)
        if order is None or (account is not None and self._order_owner[order_id] != account.client_id):
            raise ApiError(404, f"Order {order_id} not found")
        return order

    def get_order(self, order_id: str, account: Account | None = None) -> JSON:
        with self.lock:
            return self._order(order_id, account)

    def move_order(self, order_id: str, status: str, *, post_back: bool = True) -> JSON:
        """Move an order along the status machine, as staff would in the POS; posts back the change, unless
        ``post_back`` is false (the postback lost on the way: drift for a reconciliation to find)."""
        with self.lock:
            old = self._order(order_id, None)
            current = old["status"]
            forward = status in FORWARD_MOVES[old["orderType"]].get(current, frozenset())
            abandon = status in ABANDON_STATUSES and current not in FINAL_STATUSES
            if not (forward or abandon):
                raise ApiError(409, f"Order {order_id} cannot move from {current} to {status}")
            new = {**old, "status": status, "updatedAt": _later_than(old["updatedAt"])}
            self._orders[order_id] = new
            self._previous_status[order_id] = current
            if post_back:
                self._post_back(new, current)
            return new

    def resend_postback(self, account: Account, order_id: str) -> None:
        with self.lock:
            order = self._order(order_id, account)
            self._post_back(order, self._previous_status[order_id])

    def _post_back(self, order: JSON, previous: str | None) -> None:
        url = order.get("postbackUrl")
        if not url:
            return
        body = {
            "orderId": order["orderId"],
            "externalId": order.get("externalId"),
            "status": order["status"],
            "previousStatus": previous,
            "updatedAt": order["updatedAt"],
        }
        self._sender.send(url, body)

    def _record_postback(self, entry: JSON) -> None:
        with self.lock:
            self._postbacks.append(entry)

    @property
    def postback_log(self) -> list[JSON]:
        """Every postback attempt so far: ``{"url", "body", "status_code", "error", "sentAt"}``."""
        with self.lock:
            return list(self._postbacks)

    def wait_for_postbacks(self, timeout: float = 5.0) -> bool:
        """Wait until every postback queued so far has been attempted; False on timeout."""
        return self._sender.wait_idle(timeout)


# --------------------------------------------------------------------------------------------------
# Endpoints


async def _json_object(request: Request) -> JSON:
    return await _app.json_object(request, lambda message: ApiError(400, message))


def _account(request: Request) -> Account:
    account = request.scope.get("sandbox.account")
    assert isinstance(account, Account), "route is missing authentication"
    return account


def _path_product_id(request: Request) -> int:
    raw = request.path_params["productId"]
    if not raw.isdigit():
        raise ApiError(404, f"Product {raw} not found")
    return int(raw)


def _data(record: object, status_code: int = 200) -> JSONResponse:
    return JSONResponse({"data": record}, status_code=status_code)


class _Api:
    """The HTTP endpoints; thin wrappers that parse the request and call ``FlowhubSandbox``."""

    def __init__(self, sandbox: FlowhubSandbox) -> None:
        self.sandbox = sandbox

    # -- vendor routes ---------------------------------------------------------------------------

    async def health(self, request: Request) -> Response:
        return PlainTextResponse("OK")

    async def auth_test(self, request: Request) -> Response:
        return PlainTextResponse("OK")

    async def client_locations(self, request: Request) -> Response:
        return JSONResponse({"status": 200, "data": self.sandbox.client_locations(_account(request))})

    def inventory_endpoint(self, kind: str) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            location_id = request.path_params["locationId"]
            self.sandbox.location(_account(request), location_id)
            base_url = str(request.base_url).rstrip("/")
            not_for_sale = kind in ANALYTICS_KINDS and _flag(
                request.query_params.get("includesNotForSaleQuantity"), "includesNotForSaleQuantity"
            )
            # Serialising a big location takes a while the first time: keep it off the event loop.
            payload = await run_in_threadpool(self.sandbox.inventory_payload, kind, location_id, base_url, not_for_sale)
            return Response(payload, media_type="application/json")

        return endpoint

    def global_inventory_endpoint(self, kind: str) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            params = request.query_params
            not_for_sale = kind in ANALYTICS_KINDS and _flag(
                params.get("includesNotForSaleQuantity"), "includesNotForSaleQuantity"
            )
            base_url = str(request.base_url).rstrip("/")
            payload = await run_in_threadpool(
                self.sandbox.all_inventory_payload,
                _account(request),
                kind,
                base_url,
                params.get("locationId"),
                not_for_sale,
            )
            return Response(payload, media_type="application/json")

        return endpoint

    async def list_customers(self, request: Request) -> Response:
        return JSONResponse(self.sandbox.list_customers(request.query_params))

    async def find_customers(self, request: Request) -> Response:
        phone = request.query_params.get("phone_number")
        if phone is None or not phone.strip():
            raise ApiError(400, "phone_number is required")
        found = self.sandbox.find_customers_by_phone(phone)
        return JSONResponse({"total": len(found), "customers": found})

    async def get_customer(self, request: Request) -> Response:
        store_id = request.query_params.get("store_id")
        if store_id:
            self.sandbox.location(_account(request), store_id)
        return JSONResponse(self.sandbox.get_customer(request.path_params["customerId"]))

    def _store(self, request: Request) -> None:
        store_id = request.query_params.get("store_id")
        if not store_id:
            raise ApiError(400, "store_id is required")
        self.sandbox.location(_account(request), store_id)

    async def create_customer(self, request: Request) -> Response:
        self._store(request)
        fields = parse_customer_body(await _json_object(request))
        return JSONResponse(self.sandbox.create_customer(fields), status_code=201)

    async def update_customer(self, request: Request) -> Response:
        self._store(request)
        fields = parse_customer_body(await _json_object(request))
        return JSONResponse(self.sandbox.update_customer(request.path_params["customerId"], fields))

    async def sales_by_location(self, request: Request) -> Response:
        found = self.sandbox.sales(_account(request), request.query_params, location_id=request.path_params["importId"])
        return JSONResponse(found)

    async def sales_by_customer(self, request: Request) -> Response:
        found = self.sandbox.sales(
            _account(request), request.query_params, customer_id=request.path_params["customerId"]
        )
        return JSONResponse(found)

    async def oauth_token(self, request: Request) -> Response:
        # Auth0 takes the grant as JSON or as a form; Flowhub's clients send JSON (flowhub_oauth).
        if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            body: Mapping[str, Any] = dict(await request.form())
        else:
            try:
                raw = await request.json()
            except ValueError:
                return GrantError(400, "invalid_request", "The body must be JSON").response()
            if not isinstance(raw, dict):
                return GrantError(400, "invalid_request", "The body must be a JSON object").response()
            body = raw
        try:
            return JSONResponse(self.sandbox.tenant.grant(body))
        except GrantError as error:
            return error.response()

    async def create_order(self, request: Request) -> Response:
        account = _account(request)
        body = await _json_object(request)
        parsed = parse_order_request(body)
        return JSONResponse(self.sandbox.create_order(account, body, parsed), status_code=201)

    async def update_order(self, request: Request) -> Response:
        body = await _json_object(request)
        parsed = parse_order_request(body)
        answer = self.sandbox.update_order(_account(request), request.path_params["orderId"], body, parsed)
        return JSONResponse(answer)

    async def order_status(self, request: Request) -> Response:
        order = self.sandbox.get_order(request.path_params["orderId"], _account(request))
        customer = order.get("customer")
        return JSONResponse(
            {
                # Like the create answer (flowhub-client-ts src/types/orders.ts: getStatus → OrderResponse).
                "customerExternalId": customer.get("externalId") if isinstance(customer, dict) else None,
                "orderId": order["orderId"],
                "status": order["status"],
                "externalId": order.get("externalId"),
                "updatedAt": order["updatedAt"],
            }
        )

    async def order_postback(self, request: Request) -> Response:
        self.sandbox.resend_postback(_account(request), request.path_params["orderId"])
        return Response(status_code=204)

    # -- control routes ---------------------------------------------------------------------------

    async def control_health(self, request: Request) -> Response:
        return JSONResponse({"ok": True})

    async def expire_tokens(self, request: Request) -> Response:
        return JSONResponse({"expired": self.sandbox.tenant.expire_all()})

    async def image(self, request: Request) -> Response:
        filename: str = request.path_params["filename"]
        stem = filename.removesuffix(".png")
        if not filename.endswith(".png") or not stem.isdigit() or not self.sandbox.has_picture(int(stem)):
            raise ApiError(404, "Not found")
        shade = zlib.crc32(f"flowhub/{stem}".encode())
        rgb = (shade & 0xFF, (shade >> 8) & 0xFF, (shade >> 16) & 0xFF)
        return Response(png(rgb), media_type="image/png", headers={"Cache-Control": "public, max-age=300"})

    async def set_quantity(self, request: Request) -> Response:
        body = await _json_object(request)
        location_id = body.get("locationId")
        if not isinstance(location_id, str) or not location_id:
            raise ApiError(422, "locationId is required")
        quantity = integer(body.get("quantity"))
        if quantity is None or quantity < 0:
            raise ApiError(422, "quantity must be an integer >= 0")
        room_id = body.get("roomId")
        if room_id is not None and not isinstance(room_id, str):
            raise ApiError(422, "roomId must be a string")
        return _data(self.sandbox.set_quantity(_path_product_id(request), location_id, quantity, room_id))

    async def patch_item(self, request: Request) -> Response:
        changes = await _json_object(request)
        return _data(self.sandbox.patch_product(_path_product_id(request), changes))

    async def delete_item(self, request: Request) -> Response:
        self.sandbox.delete_product(_path_product_id(request))
        return Response(status_code=204)

    async def move_order(self, request: Request) -> Response:
        body = await _json_object(request)
        status = _canonical_status(body.get("status"))
        post_back = body.get("postback", True)
        if not isinstance(post_back, bool):
            raise ApiError(422, "postback must be true or false")
        return _data(self.sandbox.move_order(request.path_params["orderId"], status, post_back=post_back))

    async def all_orders(self, request: Request) -> Response:
        return _data(self.sandbox.orders())

    async def all_customers(self, request: Request) -> Response:
        return _data(self.sandbox.customers())

    async def postbacks(self, request: Request) -> Response:
        return _data(self.sandbox.postback_log)

    async def get_rate_limit(self, request: Request) -> Response:
        return JSONResponse({"rps": self.sandbox.rate_limit_rps})

    async def set_rate_limit(self, request: Request) -> Response:
        body = await _json_object(request)
        if "rps" not in body:
            raise ApiError(422, "rps is required (a number, or null to disable the limit)")
        self.sandbox.set_rate_limit(body["rps"])
        return JSONResponse({"rps": self.sandbox.rate_limit_rps})


def _routes(api: _Api) -> tuple[list[BaseRoute], list[VendorRoute]]:
    """All routes, and the counted ones with their keys and authentication (none, either, api, order_ahead)."""
    location = "/v0/locations/{locationId}"
    kinds = (*INVENTORY_KINDS, *ANALYTICS_KINDS)
    # The global analytics paths start with a small i, the per-location ones with a capital I (vendor-apis.md §2).
    global_paths = {kind: kind[0].lower() + kind[1:] for kind in kinds}
    vendor: list[tuple[str, str, Callable[[Request], Any], str]] = [
        ("GET", "/health", api.health, "none"),
        ("GET", "/authTest", api.auth_test, "either"),
        ("POST", "/oauth/token", api.oauth_token, "none"),
        ("GET", "/v0/clientsLocations", api.client_locations, "api"),
        *[("GET", f"{location}/{kind}", api.inventory_endpoint(kind), "api") for kind in kinds],
        *[("GET", f"/v0/{global_paths[kind]}", api.global_inventory_endpoint(kind), "api") for kind in kinds],
        ("GET", "/v1/customers/", api.list_customers, "api"),
        ("GET", "/v1/customers/findByPhoneNumber", api.find_customers, "api"),
        ("GET", "/v1/customers/{customerId}", api.get_customer, "api"),
        ("POST", "/v1/customer", api.create_customer, "api"),
        ("PUT", "/v1/customer/{customerId}", api.update_customer, "api"),
        ("GET", "/v1/orders/findByLocationId/{importId}", api.sales_by_location, "api"),
        ("GET", "/v1/orders/findByCustomerId/{customerId}", api.sales_by_customer, "api"),
        ("POST", "/order-ahead/v0/create", api.create_order, "order_ahead"),
        ("GET", "/order-ahead/v0/orderStatus/{orderId}", api.order_status, "order_ahead"),
        ("PATCH", "/orders/{orderId}", api.update_order, "order_ahead"),
        ("POST", "/orderPostback/{orderId}", api.order_postback, "order_ahead"),
        ("GET", f"{CONTROL}/images/{{filename}}", api.image, "none"),
    ]
    counted = [
        VendorRoute(Route(path, endpoint, methods=[method]), f"{method} {path}", auth)
        for method, path, endpoint, auth in vendor
    ]
    control = [
        Route(f"{CONTROL}/health", api.control_health, methods=["GET"]),
        Route(f"{CONTROL}/oauth/expire", api.expire_tokens, methods=["POST"]),
        Route(f"{CONTROL}/items/{{productId}}/quantity", api.set_quantity, methods=["POST"]),
        Route(f"{CONTROL}/items/{{productId}}", api.patch_item, methods=["PATCH"]),
        Route(f"{CONTROL}/items/{{productId}}", api.delete_item, methods=["DELETE"]),
        Route(f"{CONTROL}/orders/{{orderId}}/status", api.move_order, methods=["POST"]),
        Route(f"{CONTROL}/orders", api.all_orders, methods=["GET"]),
        Route(f"{CONTROL}/customers", api.all_customers, methods=["GET"]),
        Route(f"{CONTROL}/postbacks", api.postbacks, methods=["GET"]),
        *control_routes(
            faults=api.sandbox.faults, counts=api.sandbox.requests, parse_fault=parse_fault, read_json=_json_object
        ),
        Route(f"{CONTROL}/rate-limit", api.get_rate_limit, methods=["GET"]),
        Route(f"{CONTROL}/rate-limit", api.set_rate_limit, methods=["POST"]),
    ]
    return [*(entry.route for entry in counted), *control], counted


def _guard(sandbox: FlowhubSandbox) -> Callable[[Scope, VendorRoute | None], Scope]:
    """Flowhub's side of the kit's gateway: the rate limit, then the route's authentication (choices 2, 3)."""

    def guard(scope: Scope, route: VendorRoute | None) -> Scope:
        headers = Headers(scope=scope)
        # One window per clientId header, or per bearer token on Order Ahead calls, which carry no clientId.
        bucket = headers.get("clientId") or headers.get("authorization") or ""
        if not sandbox.admit(bucket):
            raise ApiError(429, "Too Many Requests")
        if route is None or route.auth == "none":
            return scope
        return {**scope, "sandbox.account": _authenticate(sandbox, route.auth, headers)}

    return guard


def _authenticate(sandbox: FlowhubSandbox, auth: str, headers: Headers) -> Account:
    api_headers = headers.get("clientId") is not None or headers.get("key") is not None
    if auth == "order_ahead" or (auth == "either" and not api_headers and headers.get("authorization")):
        return sandbox.authenticate_bearer(headers.get("authorization"), api_headers=api_headers)
    return sandbox.authenticate(headers.get("clientId"), headers.get("key"))


def _http_error(request: Request, exc: HTTPException) -> Response:
    message = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, str(exc.detail))
    return JSONResponse({"errors": [message]}, status_code=exc.status_code, headers=exc.headers)


def create_app(
    *,
    items: int = 200,
    seed: int = 1,
    rate_limit_rps: float | None = 59.0,
    credentials: Iterable[Account] = DEFAULT_CREDENTIALS,
    customers: int = 20,
    locations: int = 0,
    token_ttl: float = DEFAULT_TTL,
    sandbox: FlowhubSandbox | None = None,
) -> Starlette:
    """The Flowhub sandbox as an ASGI app; its state is ``app.state.sandbox`` (a ``FlowhubSandbox``).

    ``rate_limit_rps`` of None disables the rate limit. ``locations=1000`` adds that many generated
    locations (``loc-00001`` upwards; see "Many locations" in the module docstring).
    Pass ``sandbox`` to serve an existing state (the other arguments are then ignored).
    """
    state = sandbox or FlowhubSandbox(
        items=items,
        seed=seed,
        credentials=credentials,
        customers=customers,
        rate_limit_rps=rate_limit_rps,
        locations=locations,
        token_ttl=token_ttl,
    )
    routes, counted = _routes(_Api(state))
    return _app.build_app(
        state,
        routes,
        gateway={
            "routes": counted,
            "counts": state.requests,
            "faults": state.faults,
            "refuse": lambda status, headers: ApiError(status, "Injected fault", headers).response(),
            "guard": _guard(state),
        },
        http_error=_http_error,
    )


def run(
    host: str,
    port: int,
    items: int,
    seed: int,
    *,
    locations: int = 0,
    rate_limit_rps: float | None = 59.0,
    log_level: str = "info",
) -> None:
    """Serve the sandbox with uvicorn until interrupted (used by ``cannasync sandbox flowhub``)."""
    app = create_app(items=items, seed=seed, locations=locations, rate_limit_rps=rate_limit_rps)
    _app.serve(app, host, port, log_level)
