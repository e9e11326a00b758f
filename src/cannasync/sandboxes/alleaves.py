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

from __future__ import annotations

import json
import math
import re
import secrets
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Scope

from cannasync.sandboxes._kit import app as _app
from cannasync.sandboxes._kit import faults as _faults
from cannasync.sandboxes._kit.control import control_routes
from cannasync.sandboxes._kit.faults import Fault
from cannasync.sandboxes._kit.gateway import CONTROL, RequestCounts, VendorError, VendorRoute
from cannasync.sandboxes._kit.limits import RollingWindow
from cannasync.sandboxes._kit.values import cents, digits, integer, iso_ms, later_than, now, number, png
from cannasync.sandboxes.alleaves_catalog import (
    MAIN,
    fleet,
    fleet_areas,
    fleet_location,
    generate_catalogue,
    generate_patients,
    patient_record,
)

JSON = dict[str, Any]

API = "/api/v1"
DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 100
RATE_WINDOW_SECONDS = 60.0


@dataclass(frozen=True)
class Account:
    """One Alleaves user: the password grant's username and password, and the locations it may open."""

    username: str
    password: str
    location_ids: tuple[str, ...]
    active: bool = True


DEFAULT_ACCOUNT = Account("demo", "demo-pass", ("ALV-1001", "ALV-1002"))
DEFAULT_ACCOUNTS: tuple[Account, ...] = (
    DEFAULT_ACCOUNT,
    Account("riverside", "riverside-pass", ("ALV-1002",)),
    Account("suspended", "suspended-pass", ("ALV-1001",), active=False),
)

ORDER_STATUSES: tuple[str, ...] = (
    "received",
    "accepted",
    "in_progress",
    "ready",
    "out_for_delivery",
    "completed",
    "cancelled",
    "rejected",
)
FINAL_STATUSES = frozenset({"completed", "cancelled", "rejected"})
_COMMON_MOVES: dict[str, frozenset[str]] = {
    "received": frozenset({"accepted", "rejected"}),
    "accepted": frozenset({"in_progress"}),
    "in_progress": frozenset({"ready"}),
}
#: Order type → status → the statuses it may move on to (besides ``cancelled`` from any non-final status).
FORWARD_MOVES: dict[str, dict[str, frozenset[str]]] = {
    "pickup": {**_COMMON_MOVES, "ready": frozenset({"completed"})},
    "delivery": {
        **_COMMON_MOVES,
        "ready": frozenset({"out_for_delivery"}),
        "out_for_delivery": frozenset({"completed"}),
    },
}
ORDER_TYPES: tuple[str, ...] = ("pickup", "delivery")
MENU_TYPES: tuple[str, ...] = ("recreational", "medical")


class ApiError(VendorError):
    """An error answered as ``{"error": {"code", "message"}}`` with ``status``."""

    def __init__(self, status: int, code: str, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})

    def response(self) -> JSONResponse:
        body = {"error": {"code": self.code, "message": self.message}}
        return JSONResponse(body, status_code=self.status, headers=self.headers)


def _invalid(message: str) -> ApiError:
    return ApiError(422, "validation_error", message)


# --------------------------------------------------------------------------------------------------
# Small pure helpers


def _parse_iso(value: object) -> datetime | None:
    """An ISO 8601 date-time (naive means UTC), or None if ``value`` is not one."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _later_than(previous: object) -> str:
    """Now, or 1 ms after the stored timestamp ``previous`` (a record's timestamps only go up)."""
    return later_than(_parse_iso(previous))


def _is_date(value: object) -> bool:
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _decimal(value: int | float) -> Decimal:
    return Decimal(str(value))


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


#: In serialised items, image URLs are stored as paths; this turns them absolute. (In compact JSON the
#: sequence can only be a ``url`` key with a path value: quotes inside strings are escaped.)
_IMAGE_URL_PATH = '"url":"/_sandbox/'


def _absolute_urls(payload: str, base_url: str) -> str:
    return payload.replace(_IMAGE_URL_PATH, f'"url":"{base_url}/_sandbox/')


def _pagination(page: int, per_page: int, total: int) -> JSON:
    return {"page": page, "per_page": per_page, "total": total, "total_pages": math.ceil(total / per_page)}


# --------------------------------------------------------------------------------------------------
# Request bodies


def _optional_str(body: JSON, name: str, where: str = "") -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise _invalid(f"{where}{name} must be a string")
    return value


def _required_str(body: JSON, name: str, where: str = "", hint: str = "") -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise _invalid(f"{where}{name} is required{hint}")
    return value.strip()


def _name_and_birth(patient: JSON) -> tuple[str, str, str]:
    return (
        (patient["first_name"] or "").strip().lower(),
        (patient["last_name"] or "").strip().lower(),
        patient["date_of_birth"] or "",
    )


def _name_and_birth_query(params: Any) -> tuple[str, str, str] | None:
    """``first_name``, ``last_name`` and ``date_of_birth`` from a patient search: all three or none."""
    given = {name: (params.get(name) or "").strip() for name in ("first_name", "last_name", "date_of_birth")}
    if not any(given.values()):
        return None
    missing = [name for name, value in given.items() if not value]
    if missing:
        raise ApiError(400, "missing_parameter", f"A name search needs {', '.join(missing)} too")
    if not _is_date(given["date_of_birth"]):
        raise ApiError(400, "invalid_query", "date_of_birth must be YYYY-MM-DD")
    return given["first_name"], given["last_name"], given["date_of_birth"]


def parse_patient_body(body: JSON) -> JSON:
    """Validate a ``POST /api/v1/patients`` body; return every patient field (absent ones null)."""
    fields: JSON = {
        "first_name": _required_str(body, "first_name"),
        "last_name": _required_str(body, "last_name"),
    }
    if not _is_date(body.get("date_of_birth")):
        raise _invalid("date_of_birth is required (YYYY-MM-DD)")
    fields["date_of_birth"] = body["date_of_birth"]
    for name in ("phone", "email", "medical_id"):
        value = _optional_str(body, name)
        fields[name] = value.strip() if value and value.strip() else None
    expiration = body.get("medical_id_expiration")
    if expiration is not None and not _is_date(expiration):
        raise _invalid("medical_id_expiration must be YYYY-MM-DD")
    fields["medical_id_expiration"] = expiration
    is_medical = body.get("is_medical")
    if is_medical is None:
        is_medical = fields["medical_id"] is not None
    elif not isinstance(is_medical, bool):
        raise _invalid("is_medical must be true or false")
    fields["is_medical"] = is_medical
    return fields


def _parse_lines(raw: object) -> list[JSON]:
    if not isinstance(raw, list) or not raw:
        raise _invalid("lines must be a non-empty list of {item_id, quantity, unit_price}")
    lines = []
    for index, line in enumerate(raw):
        where = f"lines[{index}]"
        if not isinstance(line, dict):
            raise _invalid(f"{where} must be an object")
        item_id = _required_str(line, "item_id", f"{where}.")
        quantity = number(line.get("quantity"))
        if quantity is None or quantity <= 0:
            raise _invalid(f"{where}.quantity must be a number greater than 0")
        price = number(line.get("unit_price"))
        if price is None or price < 0:
            raise _invalid(f"{where}.unit_price must be a number >= 0 (dollars)")
        lines.append({"item_id": item_id, "quantity": quantity, "unit_price": price})
    return lines


def _parse_delivery(raw: object, order_type: str) -> JSON | None:
    if raw is None:
        if order_type == "delivery":
            raise _invalid("delivery is required for delivery orders (address, window_start, window_end)")
        return None
    if not isinstance(raw, dict):
        raise _invalid("delivery must be an object with address, window_start and window_end")
    address = raw.get("address")
    if not isinstance(address, dict):
        raise _invalid("delivery.address is required (line1, city, state, postcode)")
    normalised = {name: _required_str(address, name, "delivery.address.") for name in ("line1", "city", "state")}
    normalised["postcode"] = _required_str(address, "postcode", "delivery.address.")
    line2 = _optional_str(address, "line2", "delivery.address.")
    moments: dict[str, datetime] = {}
    for name in ("window_start", "window_end"):
        moment = _parse_iso(raw.get(name))
        if moment is None:
            raise _invalid(f"delivery.{name} is required (an ISO 8601 date-time)")
        moments[name] = moment
    if moments["window_end"] <= moments["window_start"]:
        raise _invalid("delivery.window_end must be after delivery.window_start")
    return {
        "address": {
            "line1": normalised["line1"],
            "line2": line2,
            "city": normalised["city"],
            "state": normalised["state"],
            "postcode": normalised["postcode"],
        },
        "window_start": raw["window_start"],
        "window_end": raw["window_end"],
    }


def parse_order_body(body: JSON) -> JSON:
    """Validate the shape of a ``POST /api/v1/orders`` body and compute its money; existence checks happen
    against the state. Returns the order fields the client chose (normalised) plus ``subtotal`` and ``total``."""
    external_id = _required_str(body, "external_id", hint=" (your reference for the order, a string)")
    order_type = body.get("order_type")
    if order_type not in ORDER_TYPES:
        raise _invalid(f"order_type must be one of: {', '.join(ORDER_TYPES)}")
    menu_type = body.get("menu_type")
    if menu_type not in MENU_TYPES:
        raise _invalid(f"menu_type must be one of: {', '.join(MENU_TYPES)}")
    patient_id = _optional_str(body, "patient_id")
    patient_id = patient_id.strip() if patient_id and patient_id.strip() else None
    if menu_type == "medical" and patient_id is None:
        raise _invalid("patient_id is required for medical orders")
    lines = _parse_lines(body.get("lines"))
    raw_discount = body.get("discount_total")
    discount = 0 if raw_discount is None else number(raw_discount)
    if discount is None or discount < 0:
        raise _invalid("discount_total must be a number >= 0 (dollars)")
    subtotal = cents(sum((_decimal(line["quantity"]) * _decimal(line["unit_price"]) for line in lines), Decimal(0)))
    discount_total = cents(_decimal(discount))
    if discount_total > subtotal:
        raise _invalid(f"discount_total ({discount_total}) must not exceed the subtotal ({subtotal})")
    notes = _optional_str(body, "notes")
    delivery = _parse_delivery(body.get("delivery"), order_type)
    return {
        "external_id": external_id,
        "patient_id": patient_id,
        "order_type": order_type,
        "menu_type": menu_type,
        "lines": lines,
        "subtotal": float(subtotal),
        "discount_total": float(discount_total),
        "total": float(subtotal - discount_total),
        "notes": notes,
        "delivery": delivery,
    }


def parse_token_body(body: JSON) -> tuple[str, str, str]:
    """``(location_id, username, password)`` of a token request; 422 naming a missing field."""
    values = []
    for name in ("location_id", "username", "password"):
        value = body.get(name)
        if not isinstance(value, str) or not value:
            raise _invalid(f"{name} is required (a string)")
        values.append(value)
    return values[0], values[1], values[2]


# --------------------------------------------------------------------------------------------------
# Faults


def parse_fault(body: JSON) -> Fault:
    """Validate a ``POST /_sandbox/faults`` body (the kinds and fields: sandboxes/_kit/faults.py)."""
    return _faults.parse_fault(body, default_prefix="/api/", invalid=_invalid)


def _parse_per_minute(value: object) -> int | None:
    if value is None:
        return None
    per_minute = integer(value)
    if per_minute is None or per_minute < 1:
        raise _invalid("per_minute must be an integer >= 1, or null to disable the limit")
    return per_minute


class _TokenWindow(RollingWindow):
    """The kit's rolling window, whose limit the control route changes without forgetting the requests already in
    each token's window: lowering the limit takes effect at once, as it always has in this sandbox."""

    def change(self, allowance: int | None) -> None:
        with self._lock:
            self.allowance = allowance


# --------------------------------------------------------------------------------------------------
# State


@dataclass
class Session:
    """An issued access token: whose it is, which location it opens, and when it expires (monotonic)."""

    access_token: str
    username: str
    location_id: str
    expires_at: float


class AlleavesSandbox:
    """The sandbox's in-memory state: catalogue, stock by area, patients, orders, tokens, faults and counters.

    Every public method takes ``lock`` because uvicorn may serve from several threads and tests read the
    state directly. Stored records are never mutated once stored; updates replace the record
    (copy-on-write), so a record handed out is a stable snapshot. Each item's JSON is serialised once and
    kept until the item changes; a listing's matching ids are kept per (location, areas, updated_since)
    until anything in the catalogue or stock changes, so paging through a large listing is cheap.
    """

    def __init__(
        self,
        *,
        items: int = 200,
        seed: int = 1,
        token_ttl_seconds: float = 3600,
        rate_limit_per_minute: int | None = 600,
        accounts: Iterable[Account] = DEFAULT_ACCOUNTS,
        patients: int = 20,
        locations: int = 0,
    ) -> None:
        if token_ttl_seconds <= 0:
            raise ValueError("token_ttl_seconds must be > 0")
        if locations < 0:
            raise ValueError("locations must be >= 0")
        self.lock = threading.Lock()
        self.seed = seed
        catalogue = generate_catalogue(items, seed)
        generated = [fleet_location(index) for index in range(locations)]
        self.locations: dict[str, JSON] = {
            location["location_id"]: location for location in [*catalogue.locations, *generated]
        }
        #: Location id → its areas (``{"area_id", "name", "sellable"}``), in the order served.
        self.areas: dict[str, list[JSON]] = {
            **catalogue.areas,
            **{location["location_id"]: fleet_areas() for location in generated},
        }
        # Every user may open the generated locations too: a scale test needs one set of credentials.
        fleet_ids = tuple(location["location_id"] for location in generated)
        self.accounts: dict[str, Account] = {
            account.username: replace(account, location_ids=account.location_ids + fleet_ids) for account in accounts
        }
        for account in self.accounts.values():
            unknown = set(account.location_ids) - set(self.locations)
            if unknown:
                raise ValueError(f"unknown location ids for user {account.username}: {sorted(unknown)}")
        #: Item id → item (without quantities), in item id order.
        self._items: dict[str, JSON] = {item["item_id"]: item for item in catalogue.items}
        #: Location id → item id → area id → quantity (positive quantities only).
        #: A generated location's map is an ``alleaves_catalog.FleetShelf`` (rows derived when read, never stored).
        self.stock: dict[str, MutableMapping[str, dict[str, int | float]]] = {
            **catalogue.stock,
            **fleet(seed, locations, catalogue.items, catalogue.malformed),
        }
        #: Malformed item id → kind of damage (see ``alleaves_catalog.MALFORMED_KINDS``).
        self.malformed: dict[str, str] = dict(catalogue.malformed)
        self._fragments: dict[str, str] = {}
        self._listings: dict[tuple[str, tuple[str, ...], str | None], list[str]] = {}
        self._patients: dict[str, JSON] = {p["patient_id"]: p for p in generate_patients(seed, patients)}
        self._next_patient = len(self._patients) + 1
        self._orders: dict[str, JSON] = {}
        self._next_order = 1
        self.token_ttl_seconds = float(token_ttl_seconds)
        self._sessions: dict[str, Session] = {}
        self._refresh_tokens: dict[str, tuple[str, str]] = {}
        #: Requests per access token in the rolling minute (``rate_limit_per_minute``).
        self.rate = _TokenWindow(_parse_per_minute(rate_limit_per_minute), RATE_WINDOW_SECONDS)
        self.faults = _faults.Faults()
        self.requests = RequestCounts()

    # -- auth and rate limit ---------------------------------------------------------------------

    def _issue(self, username: str, location_id: str) -> JSON:
        access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        self._sessions[access] = Session(access, username, location_id, time.monotonic() + self.token_ttl_seconds)
        self._refresh_tokens[refresh] = (username, location_id)
        return {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": math.ceil(self.token_ttl_seconds),
            "refresh_token": refresh,
            "location_id": location_id,
        }

    def issue_token(self, location_id: str, username: str, password: str) -> JSON:
        """The password grant: a token pair for ``location_id``, or the 401/403 Alleaves answers."""
        with self.lock:
            account = self.accounts.get(username)
            if (
                account is None
                or not secrets.compare_digest(account.password.encode(), password.encode())
                or location_id not in account.location_ids
            ):
                raise ApiError(
                    401,
                    "invalid_credentials",
                    "The location id, username or password is wrong; check all three with your Alleaves admin",
                )
            if not account.active:
                raise ApiError(403, "account_disabled", f"User {username} is disabled; ask your Alleaves admin")
            return self._issue(username, location_id)

    def refresh_token(self, refresh_token: str) -> JSON:
        """Rotate a refresh token: a new pair; the token given stops working."""
        with self.lock:
            owner = self._refresh_tokens.pop(refresh_token, None)
            if owner is None:
                raise ApiError(
                    401,
                    "invalid_refresh_token",
                    "The refresh token is unknown or already used; request a new token at POST /api/v1/auth/token",
                )
            return self._issue(*owner)

    def authenticate(self, authorization: str | None) -> Session:
        """The session of a ``Bearer`` access token, or the 401 Alleaves answers."""
        scheme, _, token = (authorization or "").strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise ApiError(
                401, "invalid_token", "Send Authorization: Bearer <access_token> (from POST /api/v1/auth/token)"
            )
        with self.lock:
            session = self._sessions.get(token)
            if session is None:
                raise ApiError(
                    401, "invalid_token", "The access token is not valid; request one at POST /api/v1/auth/token"
                )
            if time.monotonic() >= session.expires_at:
                raise ApiError(
                    401, "token_expired", "The access token has expired; refresh it at POST /api/v1/auth/refresh"
                )
            return session

    def expire_tokens(self) -> int:
        """Expire every access token issued so far (refresh tokens keep working); return how many."""
        with self.lock:
            for session in self._sessions.values():
                session.expires_at = -math.inf
            return len(self._sessions)

    @property
    def rate_limit_per_minute(self) -> int | None:
        return self.rate.allowance

    def set_rate_limit(self, per_minute: int | None) -> None:
        self.rate.change(_parse_per_minute(per_minute))

    # -- location and areas ----------------------------------------------------------------------

    def location(self, location_id: str) -> JSON:
        with self.lock:
            return self.locations[location_id]

    def set_threshold(self, location_id: str, threshold: int) -> JSON:
        with self.lock:
            location = self.locations.get(location_id)
            if location is None:
                raise ApiError(404, "not_found", f"Location {location_id} not found")
            new = {**location, "low_quantity_threshold": threshold}
            self.locations[location_id] = new
            return new

    def _area_ids(self, location_id: str) -> list[str]:
        return [area["area_id"] for area in self.areas[location_id]]

    def _check_areas(self, location_id: str, area_ids: Iterable[str]) -> tuple[str, ...]:
        """The areas asked for, known at the location, in the location's order (422 naming an unknown one)."""
        known = self._area_ids(location_id)
        requested = list(area_ids)
        wanted = set(requested)
        for area_id in requested:
            if area_id not in known:
                raise ApiError(
                    422,
                    "unknown_area",
                    f"Area {area_id} does not exist at location {location_id}; "
                    f"GET /api/v1/inventory-areas lists its areas ({', '.join(known)})",
                )
        return tuple(area_id for area_id in known if area_id in wanted)

    # -- items -----------------------------------------------------------------------------------

    @property
    def malformed_ids(self) -> frozenset[str]:
        return frozenset(self.malformed)

    def items(self) -> list[JSON]:
        """Every item as stored (image URLs are paths; no quantities), in item id order."""
        with self.lock:
            return list(self._items.values())

    def _item(self, item_id: str) -> JSON:
        item = self._items.get(item_id)
        if item is None:
            raise ApiError(404, "not_found", f"Item {item_id} not found")
        return item

    def item(self, item_id: str) -> JSON:
        with self.lock:
            return self._item(item_id)

    def _item_json(self, item_id: str, location_id: str, area_ids: Sequence[str]) -> str:
        """One item as served (image URLs still paths), with the quantities of ``area_ids``."""
        fragment = self._fragments.get(item_id)
        if fragment is None:
            fragment = _dumps(self._items[item_id])[:-1]
            self._fragments[item_id] = fragment
        stocked = self.stock[location_id].get(item_id, {})
        counts = [stocked.get(area_id, 0) for area_id in area_ids]
        quantities = [{"area_id": area_id, "quantity": count} for area_id, count in zip(area_ids, counts, strict=True)]
        available = sum(counts)
        return f'{fragment},"quantities":{_dumps(quantities)},"quantity_available":{_dumps(available)}}}'

    def _listing(self, location_id: str, area_ids: tuple[str, ...], since: str | None) -> list[str]:
        key = (location_id, area_ids, since)
        ids = self._listings.get(key)
        if ids is None:
            stocked = self.stock[location_id]
            ids = []
            for item_id, item in self._items.items():
                if item.get("active") is not True:
                    continue
                areas = stocked.get(item_id)
                if not areas or not any(areas.get(area_id, 0) > 0 for area_id in area_ids):
                    continue
                if since is not None and not str(item.get("updated_at", "")) >= since:
                    continue
                ids.append(item_id)
            if len(self._listings) >= 64:
                self._listings.clear()
            self._listings[key] = ids
        return ids

    def list_items(
        self,
        location_id: str,
        area_ids: Iterable[str],
        page: int = 1,
        per_page: int = DEFAULT_PER_PAGE,
        updated_since: str | None = None,
        base_url: str = "",
    ) -> str:
        """The serialised body of ``GET /api/v1/items`` (``updated_since`` in the stored ``iso_ms`` format)."""
        with self.lock:
            areas = self._check_areas(location_id, area_ids)
            ids = self._listing(location_id, areas, updated_since)
            window = ids[(page - 1) * per_page : page * per_page]
            parts = [self._item_json(item_id, location_id, areas) for item_id in window]
            total = len(ids)
        body = f'{{"data":[{",".join(parts)}],"pagination":{_dumps(_pagination(page, per_page, total))}}}'
        return _absolute_urls(body, base_url)

    def listed_items(self, location_id: str, area_ids: Iterable[str], base_url: str = "") -> list[JSON]:
        """Every record ``GET /api/v1/items`` serves for these areas (all pages), for tests and the demo."""
        with self.lock:
            areas = self._check_areas(location_id, area_ids)
            ids = self._listing(location_id, areas, None)
            parts = [self._item_json(item_id, location_id, areas) for item_id in ids]
        records: list[JSON] = json.loads(_absolute_urls(f"[{','.join(parts)}]", base_url))
        return records

    def get_item(self, location_id: str, item_id: str, area_ids: Iterable[str] = (), base_url: str = "") -> str:
        """The serialised body of ``GET /api/v1/items/{item_id}``."""
        with self.lock:
            self._item(item_id)
            wanted = list(area_ids)
            areas = self._check_areas(location_id, wanted) if wanted else tuple(self._area_ids(location_id))
            body = f'{{"data":{self._item_json(item_id, location_id, areas)}}}'
        return _absolute_urls(body, base_url)

    def has_image(self, item_id: str, filename: str) -> bool:
        suffix = f"/_sandbox/images/{item_id}/{filename}"
        with self.lock:
            item = self._items.get(item_id)
            images = item.get("images") if item else None
            if not isinstance(images, list):
                return False
            return any(isinstance(image, dict) and str(image.get("url", "")).endswith(suffix) for image in images)

    def _changed(self, item_id: str | None = None) -> None:
        if item_id is not None:
            self._fragments.pop(item_id, None)
        self._listings.clear()

    def set_quantity(self, item_id: str, location_id: str, area_id: str, quantity: int | float) -> JSON:
        """Set one area's quantity of an item at a location; bumps the item's ``updated_at``."""
        with self.lock:
            old = self._item(item_id)
            if location_id not in self.locations:
                raise ApiError(404, "not_found", f"Location {location_id} not found")
            self._check_areas(location_id, [area_id])
            areas = {**self.stock[location_id].get(item_id, {}), area_id: quantity}
            self.stock[location_id][item_id] = {area: count for area, count in areas.items() if count > 0}
            self._items[item_id] = {**old, "updated_at": _later_than(old.get("updated_at"))}
            self._changed(item_id)
            stocked = self.stock[location_id][item_id]
            all_areas = self._area_ids(location_id)
            return {
                "item_id": item_id,
                "location_id": location_id,
                "quantities": [{"area_id": area, "quantity": stocked.get(area, 0)} for area in all_areas],
                "quantity_available": sum(stocked.get(area, 0) for area in all_areas),
            }

    def patch_item(self, item_id: str, changes: JSON) -> JSON:
        """Merge ``changes`` into the item (top-level fields replaced wholesale); bumps ``updated_at``."""
        if "item_id" in changes and changes["item_id"] != item_id:
            raise _invalid("item_id cannot be changed")
        for name in ("quantities", "quantity_available"):
            if name in changes:
                raise _invalid(f"{name} is per location and area: use POST /_sandbox/items/{{item_id}}/quantity")
        updated_at = None
        if "updated_at" in changes:
            moment = _parse_iso(changes["updated_at"])
            if moment is None:
                raise _invalid("updated_at must be an ISO 8601 date-time")
            updated_at = iso_ms(moment)
        with self.lock:
            old = self._item(item_id)
            new = {**old, **changes, "item_id": item_id}
            new["updated_at"] = updated_at or _later_than(old.get("updated_at"))
            self._items[item_id] = new
            self._changed(item_id)
            return new

    def delete_item(self, item_id: str) -> None:
        with self.lock:
            self._item(item_id)
            del self._items[item_id]
            for stocked in self.stock.values():
                stocked.pop(item_id, None)
            self._changed(item_id)

    # -- patients --------------------------------------------------------------------------------

    def patients(self) -> list[JSON]:
        with self.lock:
            return list(self._patients.values())

    def find_patients(
        self, medical_id: str | None, phone: str | None, name_and_birth: tuple[str, str, str] | None = None
    ) -> list[JSON]:
        """Patients matching every criterion given; ``name_and_birth`` is (first name, last name, YYYY-MM-DD)."""
        wanted_id = medical_id.strip().lower() if medical_id is not None else None
        wanted_digits = digits(phone) if phone is not None else None
        wanted_name = (
            (name_and_birth[0].strip().lower(), name_and_birth[1].strip().lower(), name_and_birth[2])
            if name_and_birth is not None
            else None
        )
        with self.lock:
            return [
                patient
                for patient in self._patients.values()
                if (wanted_id is None or (patient["medical_id"] or "").strip().lower() == wanted_id)
                and (wanted_digits is None or digits(patient["phone"] or "") == wanted_digits)
                and (wanted_name is None or _name_and_birth(patient) == wanted_name)
            ]

    def create_patient(self, fields: JSON) -> JSON:
        with self.lock:
            medical_id = fields.get("medical_id")
            if medical_id:
                for patient in self._patients.values():
                    if (patient["medical_id"] or "").strip().lower() == medical_id.lower():
                        raise ApiError(
                            409,
                            "duplicate_medical_id",
                            f"Medical id {medical_id} already belongs to patient {patient['patient_id']}; "
                            "look it up with GET /api/v1/patients?medical_id=",
                        )
            patient_id = f"PAT-{self._next_patient:05d}"
            self._next_patient += 1
            patient = patient_record(patient_id, fields, iso_ms(now()))
            self._patients[patient_id] = patient
            return patient

    # -- orders ----------------------------------------------------------------------------------

    def orders(self) -> list[JSON]:
        """Every order of every location, in creation order."""
        with self.lock:
            return list(self._orders.values())

    def create_order(self, location_id: str, parsed: JSON) -> JSON:
        """Store a validated order at ``location_id`` with status ``received``."""
        with self.lock:
            patient_id = parsed["patient_id"]
            if patient_id is not None and patient_id not in self._patients:
                raise ApiError(
                    422,
                    "unknown_patient",
                    f"patient_id {patient_id} does not exist; find or create the patient at /api/v1/patients",
                )
            for index, line in enumerate(parsed["lines"]):
                item = self._items.get(line["item_id"])
                if item is None:
                    raise ApiError(422, "unknown_item", f"lines[{index}].item_id {line['item_id']} does not exist")
                if item.get("active") is not True:
                    raise ApiError(422, "inactive_item", f"lines[{index}].item_id {line['item_id']} is not active")
            order_id = f"ORD-{self._next_order:06d}"
            self._next_order += 1
            stamp = iso_ms(now())
            order = {
                "order_id": order_id,
                "location_id": location_id,
                "external_id": parsed["external_id"],
                "patient_id": patient_id,
                "order_type": parsed["order_type"],
                "menu_type": parsed["menu_type"],
                "status": "received",
                "lines": parsed["lines"],
                "subtotal": parsed["subtotal"],
                "discount_total": parsed["discount_total"],
                "total": parsed["total"],
                "notes": parsed["notes"],
                "delivery": parsed["delivery"],
                "created_at": stamp,
                "updated_at": stamp,
            }
            self._orders[order_id] = order
            return order

    def _order(self, order_id: str, location_id: str | None) -> JSON:
        order = self._orders.get(order_id)
        if order is None or (location_id is not None and order["location_id"] != location_id):
            raise ApiError(404, "not_found", f"Order {order_id} not found")
        return order

    def get_order(self, order_id: str, location_id: str | None = None) -> JSON:
        with self.lock:
            return self._order(order_id, location_id)

    def find_orders(self, location_id: str, external_id: str | None) -> list[JSON]:
        with self.lock:
            return [
                order
                for order in self._orders.values()
                if order["location_id"] == location_id and (external_id is None or order["external_id"] == external_id)
            ]

    def move_order(self, order_id: str, status: str) -> JSON:
        """Move an order along the status machine, as staff would in the POS."""
        with self.lock:
            old = self._order(order_id, None)
            current = old["status"]
            forward = status in FORWARD_MOVES[old["order_type"]].get(current, frozenset())
            cancel = status == "cancelled" and current not in FINAL_STATUSES
            if not (forward or cancel):
                allowed = sorted(FORWARD_MOVES[old["order_type"]].get(current, frozenset()))
                if current not in FINAL_STATUSES:
                    allowed.append("cancelled")
                raise ApiError(
                    409,
                    "invalid_transition",
                    f"Order {order_id} ({old['order_type']}) cannot move from {current} to {status}; "
                    f"allowed: {', '.join(allowed) or 'none (final status)'}",
                )
            new = {**old, "status": status, "updated_at": _later_than(old["updated_at"])}
            self._orders[order_id] = new
            return new


# --------------------------------------------------------------------------------------------------
# Query parsing


async def _json_object(request: Request) -> JSON:
    try:
        body = await request.json()
    except ValueError:
        raise ApiError(400, "invalid_json", "The request body must be valid JSON") from None
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_body", "The request body must be a JSON object")
    return body


def _paging(request: Request) -> tuple[int, int]:
    def integer(name: str, default: int) -> int:
        raw = request.query_params.get(name)
        if raw is None:
            return default
        if not re.fullmatch(r"[0-9]+", raw) or int(raw) < 1:
            raise ApiError(400, "invalid_paging", f"{name} must be an integer >= 1 (got {raw!r})")
        return int(raw)

    page, per_page = integer("page", 1), integer("per_page", DEFAULT_PER_PAGE)
    if per_page > MAX_PER_PAGE:
        raise ApiError(400, "invalid_paging", f"per_page must be at most {MAX_PER_PAGE} (got {per_page})")
    return page, per_page


def _area_params(request: Request) -> list[str]:
    return [value.strip() for value in request.query_params.getlist("area_id") if value.strip()]


def _page_response(records: list[JSON], page: int, per_page: int) -> JSONResponse:
    window = records[(page - 1) * per_page : page * per_page]
    return JSONResponse({"data": window, "pagination": _pagination(page, per_page, len(records))})


def _session(request: Request) -> Session:
    session = request.scope.get("sandbox.session")
    assert isinstance(session, Session), "route is missing authentication"
    return session


def _base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _data(record: object, status_code: int = 200) -> JSONResponse:
    return JSONResponse({"data": record}, status_code=status_code)


def _json_text(payload: str) -> Response:
    return Response(payload.encode(), media_type="application/json")


class _Api:
    """The HTTP endpoints; thin wrappers that parse the request and call ``AlleavesSandbox``."""

    def __init__(self, sandbox: AlleavesSandbox) -> None:
        self.sandbox = sandbox

    # -- vendor routes ---------------------------------------------------------------------------

    async def token(self, request: Request) -> Response:
        location_id, username, password = parse_token_body(await _json_object(request))
        return JSONResponse(self.sandbox.issue_token(location_id, username, password))

    async def refresh(self, request: Request) -> Response:
        body = await _json_object(request)
        refresh_token = body.get("refresh_token")
        if not isinstance(refresh_token, str) or not refresh_token:
            raise _invalid("refresh_token is required (a string)")
        return JSONResponse(self.sandbox.refresh_token(refresh_token))

    async def location(self, request: Request) -> Response:
        return _data(self.sandbox.location(_session(request).location_id))

    async def areas(self, request: Request) -> Response:
        return _data(self.sandbox.areas[_session(request).location_id])

    async def list_items(self, request: Request) -> Response:
        location_id = _session(request).location_id
        area_ids = _area_params(request)
        if not area_ids:
            raise ApiError(
                400,
                "area_required",
                "Give at least one area_id (repeatable); GET /api/v1/inventory-areas lists the location's areas",
            )
        page, per_page = _paging(request)
        since = request.query_params.get("updated_since")
        since_stamp = None
        if since is not None:
            moment = _parse_iso(since)
            if moment is None:
                raise ApiError(400, "invalid_query", f"updated_since must be an ISO 8601 date-time (got {since!r})")
            since_stamp = iso_ms(moment)
        payload = self.sandbox.list_items(location_id, area_ids, page, per_page, since_stamp, _base_url(request))
        return _json_text(payload)

    async def get_item(self, request: Request) -> Response:
        location_id = _session(request).location_id
        payload = self.sandbox.get_item(
            location_id, request.path_params["item_id"], _area_params(request), _base_url(request)
        )
        return _json_text(payload)

    async def find_patients(self, request: Request) -> Response:
        params = request.query_params
        medical_id = params.get("medical_id")
        phone = params.get("phone")
        medical_id = medical_id if medical_id and medical_id.strip() else None
        phone = phone if phone and phone.strip() else None
        name_and_birth = _name_and_birth_query(params)
        if medical_id is None and phone is None and name_and_birth is None:
            raise ApiError(
                400,
                "missing_parameter",
                "Give medical_id, phone, or first_name with last_name and date_of_birth to look patients up",
            )
        if phone is not None and not digits(phone):
            raise ApiError(400, "invalid_query", f"phone must contain digits (got {phone!r})")
        page, per_page = _paging(request)
        return _page_response(self.sandbox.find_patients(medical_id, phone, name_and_birth), page, per_page)

    async def create_patient(self, request: Request) -> Response:
        fields = parse_patient_body(await _json_object(request))
        return _data(self.sandbox.create_patient(fields), status_code=201)

    async def create_order(self, request: Request) -> Response:
        parsed = parse_order_body(await _json_object(request))
        return _data(self.sandbox.create_order(_session(request).location_id, parsed), status_code=201)

    async def get_order(self, request: Request) -> Response:
        return _data(self.sandbox.get_order(request.path_params["order_id"], _session(request).location_id))

    async def find_orders(self, request: Request) -> Response:
        page, per_page = _paging(request)
        found = self.sandbox.find_orders(_session(request).location_id, request.query_params.get("external_id"))
        return _page_response(found, page, per_page)

    # -- control routes ---------------------------------------------------------------------------

    async def health(self, request: Request) -> Response:
        return JSONResponse({"ok": True})

    async def image(self, request: Request) -> Response:
        item_id: str = request.path_params["item_id"]
        filename: str = request.path_params["filename"]
        if not re.fullmatch(r"[0-9]+\.png", filename) or not self.sandbox.has_image(item_id, filename):
            raise ApiError(404, "not_found", f"Image {item_id}/{filename} not found")
        shade = zlib.crc32(f"alleaves/{item_id}/{filename}".encode())
        rgb = (shade & 0xFF, (shade >> 8) & 0xFF, (shade >> 16) & 0xFF)
        return Response(png(rgb), media_type="image/png", headers={"Cache-Control": "public, max-age=300"})

    async def set_quantity(self, request: Request) -> Response:
        body = await _json_object(request)
        location_id = body.get("location_id", MAIN)
        if not isinstance(location_id, str) or not location_id:
            raise _invalid("location_id must be a location id (default ALV-1001)")
        area_id = _required_str(body, "area_id")
        quantity = number(body.get("quantity"))
        if quantity is None or quantity < 0:
            raise _invalid("quantity must be a number >= 0")
        item_id = request.path_params["item_id"]
        return _data(self.sandbox.set_quantity(item_id, location_id, area_id, quantity))

    async def patch_item(self, request: Request) -> Response:
        changes = await _json_object(request)
        return _data(self.sandbox.patch_item(request.path_params["item_id"], changes))

    async def delete_item(self, request: Request) -> Response:
        self.sandbox.delete_item(request.path_params["item_id"])
        return Response(status_code=204)

    async def set_threshold(self, request: Request) -> Response:
        body = await _json_object(request)
        threshold = integer(body.get("low_quantity_threshold"))
        if threshold is None or threshold < 0:
            raise _invalid("low_quantity_threshold must be an integer >= 0")
        return _data(self.sandbox.set_threshold(request.path_params["location_id"], threshold))

    async def move_order(self, request: Request) -> Response:
        body = await _json_object(request)
        status = body.get("status")
        if not isinstance(status, str) or status.strip().lower() not in ORDER_STATUSES:
            raise ApiError(422, "unknown_status", f"status must be one of: {', '.join(ORDER_STATUSES)}")
        return _data(self.sandbox.move_order(request.path_params["order_id"], status.strip().lower()))

    async def all_orders(self, request: Request) -> Response:
        return _data(self.sandbox.orders())

    async def all_patients(self, request: Request) -> Response:
        return _data(self.sandbox.patients())

    async def expire_tokens(self, request: Request) -> Response:
        return _data({"expired": self.sandbox.expire_tokens()})

    async def get_rate_limit(self, request: Request) -> Response:
        return JSONResponse({"per_minute": self.sandbox.rate_limit_per_minute})

    async def set_rate_limit(self, request: Request) -> Response:
        body = await _json_object(request)
        if "per_minute" not in body:
            raise _invalid("per_minute is required (an integer, or null to disable the limit)")
        self.sandbox.set_rate_limit(body["per_minute"])
        return JSONResponse({"per_minute": self.sandbox.rate_limit_per_minute})


#: The guard's tag for the routes anyone may call (the auth routes and image downloads).
PUBLIC = "public"


def _vendor_routes(api: _Api) -> list[VendorRoute]:
    """The counted routes with their request-count keys, and which of them need a bearer token."""
    vendor: list[tuple[str, str, Callable[[Request], Any], bool]] = [
        ("POST", f"{API}/auth/token", api.token, False),
        ("POST", f"{API}/auth/refresh", api.refresh, False),
        ("GET", f"{API}/location", api.location, True),
        ("GET", f"{API}/inventory-areas", api.areas, True),
        ("GET", f"{API}/items", api.list_items, True),
        ("GET", f"{API}/items/{{item_id}}", api.get_item, True),
        ("GET", f"{API}/patients", api.find_patients, True),
        ("POST", f"{API}/patients", api.create_patient, True),
        ("POST", f"{API}/orders", api.create_order, True),
        ("GET", f"{API}/orders", api.find_orders, True),
        ("GET", f"{API}/orders/{{order_id}}", api.get_order, True),
        ("GET", f"{CONTROL}/images/{{item_id}}/{{filename}}", api.image, False),
    ]
    return [
        VendorRoute(Route(path, endpoint, methods=[method]), f"{method} {path}", "required" if token else PUBLIC)
        for method, path, endpoint, token in vendor
    ]


def _control_routes(api: _Api) -> list[Route]:
    return [
        Route(f"{CONTROL}/health", api.health, methods=["GET"]),
        Route(f"{CONTROL}/items/{{item_id}}/quantity", api.set_quantity, methods=["POST"]),
        Route(f"{CONTROL}/items/{{item_id}}", api.patch_item, methods=["PATCH"]),
        Route(f"{CONTROL}/items/{{item_id}}", api.delete_item, methods=["DELETE"]),
        Route(f"{CONTROL}/locations/{{location_id}}/threshold", api.set_threshold, methods=["POST"]),
        Route(f"{CONTROL}/orders/{{order_id}}/status", api.move_order, methods=["POST"]),
        Route(f"{CONTROL}/orders", api.all_orders, methods=["GET"]),
        Route(f"{CONTROL}/patients", api.all_patients, methods=["GET"]),
        Route(f"{CONTROL}/tokens/expire", api.expire_tokens, methods=["POST"]),
        *control_routes(
            faults=api.sandbox.faults, counts=api.sandbox.requests, parse_fault=parse_fault, read_json=_json_object
        ),
        Route(f"{CONTROL}/rate-limit", api.get_rate_limit, methods=["GET"]),
        Route(f"{CONTROL}/rate-limit", api.set_rate_limit, methods=["POST"]),
    ]


def _guard(sandbox: AlleavesSandbox) -> Callable[[Scope, VendorRoute | None], Scope]:
    """Alleaves' guard: the bearer token's session, then that token's rolling minute (a 429 with Retry-After).

    Unknown routes and public ones pass untouched (the router answers an unknown one, choice 7).
    """

    def guard(scope: Scope, route: VendorRoute | None) -> Scope:
        if route is None or route.auth == PUBLIC:
            return scope
        session = sandbox.authenticate(Headers(scope=scope).get("authorization"))
        retry_after = sandbox.rate.admit(session.access_token)
        if retry_after is not None:
            raise ApiError(
                429,
                "rate_limited",
                f"More than {sandbox.rate_limit_per_minute} requests in a minute; retry after {retry_after} seconds",
                {"Retry-After": str(retry_after)},
            )
        return {**scope, "sandbox.session": session}

    return guard


def _refuse(status: int, headers: dict[str, str]) -> Response:
    """The answer to an injected ``status`` fault."""
    return ApiError(status, "injected_fault", "Injected fault", headers).response()


def _http_error(request: Request, exc: HTTPException) -> Response:
    if exc.status_code == 404:
        error = ApiError(404, "not_found", f"No route {request.method} {request.url.path}")
    elif exc.status_code == 405:
        error = ApiError(405, "method_not_allowed", f"{request.method} is not allowed on {request.url.path}")
    else:
        error = ApiError(exc.status_code, "http_error", str(exc.detail))
    error.headers.update(exc.headers or {})
    return error.response()


def create_app(
    *,
    items: int = 200,
    seed: int = 1,
    token_ttl_seconds: float = 3600,
    rate_limit_per_minute: int | None = 600,
    accounts: Iterable[Account] = DEFAULT_ACCOUNTS,
    patients: int = 20,
    locations: int = 0,
    sandbox: AlleavesSandbox | None = None,
) -> Starlette:
    """The Alleaves sandbox as an ASGI app; its state is ``app.state.sandbox`` (an ``AlleavesSandbox``).

    ``rate_limit_per_minute`` of None disables the rate limit. ``locations=1000`` adds that many generated
    locations (``ALV-2001`` upwards; see "Many locations" in the module docstring).
    Pass ``sandbox`` to serve an existing state (the other arguments are then ignored).
    """
    state = sandbox or AlleavesSandbox(
        items=items,
        seed=seed,
        token_ttl_seconds=token_ttl_seconds,
        rate_limit_per_minute=rate_limit_per_minute,
        accounts=accounts,
        patients=patients,
        locations=locations,
    )
    api = _Api(state)
    vendor = _vendor_routes(api)
    return _app.build_app(
        state,
        [*(entry.route for entry in vendor), *_control_routes(api)],
        gateway={
            "routes": vendor,
            "counts": state.requests,
            "faults": state.faults,
            "refuse": _refuse,
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
    rate_limit_per_minute: int | None = 600,
    log_level: str = "info",
) -> None:
    """Serve the sandbox with uvicorn until interrupted (used by ``cannasync sandbox alleaves``)."""
    app = create_app(items=items, seed=seed, locations=locations, rate_limit_per_minute=rate_limit_per_minute)
    _app.serve(app, host, port, log_level)
