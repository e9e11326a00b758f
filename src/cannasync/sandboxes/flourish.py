"""A faithful local imitation of Flourish's External API (an ASGI app on Starlette).

cannasync's Flourish connector, its tests, the demo and the benchmark talk to this app over real HTTP on
loopback. It stands for the vendor, so it imports nothing from cannasync outside ``cannasync.sandboxes``
and shares no code with the connector: if the two disagree, that is a finding, not a refactoring.

What it reproduces (see docs ``vendor-apis.md`` §1 and §7):

* Routes under ``/external/api/v1/...``; order creation at ``/external/api/v2/retail-orders/``. A trailing
  slash is optional everywhere (both forms are served, never redirected).
* Auth by ``x-api-key`` or legacy ``Authorization: Basic base64(username:key)``: a missing or unknown
  key/username answers 401 ``{"error": "Invalid or expired API key"}``; a known but inactive key answers
  403 ``{"error": "API key is not active"}``. Defaults: username ``demo``, active key ``demo-key``,
  inactive key ``inactive-key``.
* ``FacilityID`` header on facility-scoped routes (inventory summary, order create/update/list/get):
  missing → 400, unknown → 404.
* ``offset``/``limit`` paging, ``limit`` silently capped at 50, envelope
  ``{"data": [...], "meta": {"offset", "limit", "next"}}`` where ``next`` is the path and query of the
  next page, or null on the last one.
* The retail-order status machine, and PUT only while Created or Submitted, never changing the status.
* Flourish does **not** deduplicate orders by ``original_order_id``; a second POST is a second order.

The discount double counting
----------------------------
Flourish's own WooCommerce plugin warns that ``applied_discounts`` are counted twice, so it sends
post-discount unit prices instead. The sandbox reproduces that on purpose, in ``Decimal`` rounded to cents
(ROUND_HALF_UP):

* ``line_total = order_qty * unit_price`` for each line; ``subtotal`` is their sum;
* every applied discount is taken off the line whose ``item_id`` it names, or spread over all lines in
  proportion to their totals when it names none (``line_discount``, leaving ``net_line_total``);
* then the sum of **all** discounts (``total_discounts``) is subtracted **again** from the order total:
  ``total = Σ net_line_total − total_discounts + delivery_fee`` (never below 0).

So an order encoded naively (list prices plus ``applied_discounts``) comes out short by the discount
amount; an order with post-discount unit prices and no ``applied_discounts`` totals correctly.

Well-known records (present for every seed)
-------------------------------------------
* Facilities ``"101"`` (Great Lakes Provisions - Ann Arbor) and ``"102"`` (… - Grand Rapids).
* Customer ``"70001"`` Jordan Rivera, a medical patient: ``patient_id`` ``MED-100200``, phone
  ``5550001111``, email ``jordan.rivera@example.com``, dob ``1985-04-12``.
* Customer ``"70002"`` Casey Morgan, recreational: email ``casey@example.com``, phone ``5550002222``,
  dob ``1992-09-30``, no patient id.
* Items have ids ``"10001"`` upwards; the malformed ones are listed in ``FlourishSandbox.malformed``
  (id → kind of damage) and ``FlourishSandbox.malformed_ids``.

Control routes (no auth, under ``/_sandbox/``; the hub never calls them)
-----------------------------------------------------------------------
``GET health``; ``POST items/{id}/quantity``; ``PATCH items/{id}``; ``DELETE items/{id}``;
``POST retail-orders/{id}/status``; ``GET retail-orders``; ``GET customers``; ``GET|POST|DELETE faults``;
``GET|DELETE requests``; and ``GET art/{item_id}/{kind}.png`` (the image links handed out by the art
route). Faults: ``{"method", "path_prefix", "status", "count", "retry_after"}`` answers the status with
``{"error": "Injected fault"}`` (``after`` lets that many matching requests through first, to break a
read mid-way); ``{"mode": "delay", "delay_seconds"}`` waits before processing;
``{"mode": "timeout_after_commit", "delay_seconds"}`` processes the request fully, then holds the
response back, so a client can time out after Flourish really committed.

Choices where Flourish's public notes are silent
------------------------------------------------
Each is a guess kept easy to change; none is confirmed by Flourish.

1. Item detail fields: ``med_price`` (number or null; the medical price when it differs), ``price_tiers``
   (``[{"name": "1/8 oz", "quantity": 3.5, "uom": "g", "price": 35.0}]``; present on bulk flower sold by
   the gram, ``[]`` otherwise), ``cannabinoids`` (``[{"name", "value", "uom": "%"|"mg"}]``, % for flower,
   pre-rolls, vapes and concentrates, mg for edibles, tinctures and topicals, ``[]`` for accessories) and
   ``terpenes`` (``[{"name", "value", "uom": "%"}]``). Items also carry ``inventory_type``,
   ``uom_description`` and ``weight_uom_description`` (read by the vendor plugin). Item ``uom`` is
   ``ea`` or ``g`` (bulk flower).
2. Item filters: ``active``, ``ecommerce_active``, ``sellable``, ``is_medical`` take ``true``/``false``
   (anything else → 400); ``item_category`` and ``brand_name`` (repeatable) compare case-insensitively;
   ``last_updated_timestamp_start``/``_end`` are inclusive; a date alone means midnight UTC. Unknown
   query parameters are ignored, on every route.
3. ``limit`` of 0 or below, or a negative ``offset``, is a 400 like a non-integer one.
4. Inventory summary: the 50-id cap counts ``item_id`` parameters as sent (repeats included); rows
   are ordered by item id, repeated ids collapse, unknown ids are skipped silently; without ``item_id``
   it lists every item stocked at the facility (zero rows included).
   ``available_qty`` equals ``sellable_qty``; orders never change stock (only the control route does).
5. Art: ``expire`` accepts ``<n>[s|m|h|d]`` (default ``1h``; anything else → 400). Links are
   ``/_sandbox/art/<item id>/<kind>.png?expires=<unix ts>``, answer a 1x1 PNG, and 403 once expired.
6. Customers: ``first_name`` and ``last_name`` are required on create as well as ``dob`` (422 naming the
   field); ``medical_card_expiration`` must be YYYY-MM-DD when given. Filters ``first_name``,
   ``last_name``, ``email``, ``patient_id`` and ``state`` compare case-insensitively and exactly;
   ``phone_number`` compares digits only, ignoring a leading US country code ``1``. Creating a customer
   never checks for duplicates.
7. Order create defaults: ``order_status`` absent → ``Created``; ``fulfillment_type`` absent →
   ``pickup``; ``is_recreational`` absent → true; ``delivery_fee`` absent → 0. ``fulfillment_type`` is
   stored and echoed in lower case as sent (``pickup``, ``delivery``, ``in-store``). Numbers in bodies
   must be JSON numbers (numeric strings and booleans are 422s); ids (``customer_id``, ``item_id``) may
   be strings or integers and are compared as strings. A delivery needs a ``delivery_address`` object
   with ``address_line_1``. Lines for inactive or unsellable items are accepted. A discount naming an
   ``item_id`` that is not on the order is a 422.
8. Order fields beyond the contract: each line carries ``line_total`` (qty × price), ``line_discount``
   and ``net_line_total``; per-status timestamps ``submitted_timestamp``, ``packed_timestamp``,
   ``out_for_delivery_timestamp``, ``completed_timestamp``, ``cancelled_timestamp``,
   ``undeliverable_timestamp`` (null until reached); ``order_payment_status`` is always
   ``Awaiting Payment``; ``delivery_contact_no`` and ``delivery_email`` are echoed. Ids are ``RO-000001``
   upwards, shared across facilities.
9. ``GET /retail-orders/`` also filters on ``original_order_id`` (exact); ``created_timestamp_start`` and
   ``_end`` are inclusive. PUT validates the body like POST; a missing ``order_status`` keeps the status.
10. Errors: unknown route → 404 ``{"error": "Not found"}`` (under ``/external/`` authentication comes
    first, so an unauthenticated request to an unknown route is a 401); wrong method → 405; body that
    is not JSON → 400 ``{"error": "Request body must be valid JSON"}``; validation errors → 422 with a
    message that names the field.
11. Injected faults fire before authentication (they stand for the gateway in front of Flourish) and on
    ``/external/...`` paths only. ``mode`` defaults to ``status``, ``count`` to 1, ``path_prefix`` to
    ``/external/`` and ``method`` to any; the first matching fault is consumed. ``Retry-After`` is sent
    whenever the fault has ``retry_after``, whatever the status. The status control route answers 422
    for an unknown status name and 409 for a move the machine does not allow.
12. ``/_sandbox/requests`` counts every request that matched a vendor route, as ``"<METHOD> <template>"``
    with the trailing slash for API routes (``"GET /external/api/v1/items/{item_id}/"``). It includes
    requests answered 401/403/4xx or with an injected fault, and art image downloads; it excludes the
    other control routes.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import bisect
import re
import struct
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import urlencode

import uvicorn
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cannasync.sandboxes.flourish_catalog import generate_catalogue, generate_customers, iso_ms

JSON = dict[str, Any]

V1 = "/external/api/v1"
V2 = "/external/api/v2"
CONTROL = "/_sandbox"
PAGE_LIMIT = 50
MAX_SUMMARY_IDS = 50

#: Default credentials: API key → (username, active).
DEFAULT_CREDENTIALS: Mapping[str, tuple[str, bool]] = {
    "demo-key": ("demo", True),
    "inactive-key": ("demo", False),
}

ORDER_STATUSES: tuple[str, ...] = (
    "Created",
    "Submitted",
    "Packed",
    "Out for Delivery",
    "Completed",
    "Cancelled",
    "Undeliverable",
)
EDITABLE_STATUSES = frozenset({"Created", "Submitted"})
FINAL_STATUSES = frozenset({"Completed", "Cancelled", "Undeliverable"})
_FORWARD_MOVES: dict[str, frozenset[str]] = {
    "Created": frozenset({"Submitted"}),
    "Submitted": frozenset({"Packed", "Completed"}),
    "Packed": frozenset({"Out for Delivery", "Completed"}),
    "Out for Delivery": frozenset({"Completed"}),
}
FULFILLMENT_TYPES = frozenset({"pickup", "delivery", "in-store"})
_CENT = Decimal("0.01")


class ApiError(Exception):
    """An error answered as ``{"error": message}`` with ``status``."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})

    def response(self) -> JSONResponse:
        return JSONResponse({"error": self.message}, status_code=self.status, headers=self.headers)


# --------------------------------------------------------------------------------------------------
# Small pure helpers


def _now() -> datetime:
    return datetime.now(UTC)


def _parse_iso(value: str, name: str, status: int = 400) -> datetime:
    """Parse an ISO 8601 date or datetime; a date alone is midnight UTC, a naive time is UTC."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except (ValueError, AttributeError):
        raise ApiError(status, f"{name} must be an ISO 8601 datetime") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _later_than(previous: str) -> str:
    """Now, or 1 ms after ``previous`` if the clock has not moved past it (timestamps only go up)."""
    moment = _now()
    before = _parse_iso(previous, "timestamp")
    if moment <= before:
        moment = before + timedelta(milliseconds=1)
    return iso_ms(moment)


def _digits(phone: str) -> str:
    """A phone number's digits, without a leading US country code."""
    digits = re.sub(r"\D", "", phone)
    return digits[1:] if len(digits) == 11 and digits.startswith("1") else digits


def _cents(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


def _money(value: Decimal) -> float:
    return float(_cents(value))


def _number(value: object) -> int | float | None:
    """``value`` if it is a JSON number (booleans are not), else None."""
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def _spread(amount: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """Split ``amount`` over ``weights`` proportionally, in cents, the last share taking the remainder."""
    if not weights:
        return []
    total = sum(weights, Decimal(0))
    shares: list[Decimal] = []
    for weight in weights[:-1]:
        share = amount * weight / total if total else amount / len(weights)
        shares.append(_cents(share))
    shares.append(amount - sum(shares, Decimal(0)))
    return shares


def _png(rgb: tuple[int, int, int]) -> bytes:
    """A valid 1x1 RGB PNG of one colour."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(bytes((0, *rgb)))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


_EXPIRE = re.compile(r"^(\d+)([smhd]?)$")
_EXPIRE_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def _expire_seconds(value: str | None) -> int:
    match = _EXPIRE.match((value or "1h").strip().lower())
    if not match or int(match.group(1)) == 0:
        raise ApiError(400, "expire must look like 30m, 8h or 1d")
    return int(match.group(1)) * _EXPIRE_UNITS[match.group(2)]


# --------------------------------------------------------------------------------------------------
# Order bodies


def _optional_str(body: JSON, name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise ApiError(422, f"{name} must be a string")
    return value


def _optional_timestamp(body: JSON, name: str) -> str | None:
    value = _optional_str(body, name)
    if value:
        _parse_iso(value, name, status=422)
    return value


def _id_value(value: object, name: str) -> str:
    """Ids may arrive as strings or integers; they are compared as strings."""
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise ApiError(422, f"{name} is required")


@dataclass(frozen=True)
class _Line:
    item_id: str
    sku: str | None
    order_qty: int | float
    unit_price: int | float


@dataclass(frozen=True)
class _Discount:
    discount_id: int
    discount_name: str
    discount_amount: int | float
    item_id: str | None


def _parse_lines(raw: object) -> list[_Line]:
    if not isinstance(raw, list) or not raw:
        raise ApiError(422, "order_lines must be a non-empty list")
    lines = []
    for index, line in enumerate(raw):
        where = f"order_lines[{index}]"
        if not isinstance(line, dict):
            raise ApiError(422, f"{where} must be an object")
        qty, price = _number(line.get("order_qty")), _number(line.get("unit_price"))
        if qty is None or qty <= 0:
            raise ApiError(422, f"{where}.order_qty must be a number greater than 0")
        if price is None or price < 0:
            raise ApiError(422, f"{where}.unit_price must be a number >= 0")
        sku = line.get("sku")
        if sku is not None and not isinstance(sku, str):
            raise ApiError(422, f"{where}.sku must be a string")
        lines.append(_Line(_id_value(line.get("item_id"), f"{where}.item_id"), sku, qty, price))
    return lines


def _parse_discounts(raw: object, lines: Sequence[_Line]) -> list[_Discount]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ApiError(422, "applied_discounts must be a list")
    on_order = {line.item_id for line in lines}
    discounts = []
    for index, discount in enumerate(raw):
        where = f"applied_discounts[{index}]"
        if not isinstance(discount, dict):
            raise ApiError(422, f"{where} must be an object")
        discount_id, amount = discount.get("discount_id"), _number(discount.get("discount_amount"))
        if not isinstance(discount_id, int) or isinstance(discount_id, bool):
            raise ApiError(422, f"{where}.discount_id must be an integer")
        if amount is None or amount < 0:
            raise ApiError(422, f"{where}.discount_amount must be a number >= 0")
        name = discount.get("discount_name") or ""
        if not isinstance(name, str):
            raise ApiError(422, f"{where}.discount_name must be a string")
        item_id = discount.get("item_id")
        if item_id is not None:
            item_id = _id_value(item_id, f"{where}.item_id")
            if item_id not in on_order:
                raise ApiError(422, f"{where}.item_id {item_id} is not on the order")
        discounts.append(_Discount(discount_id, name, amount, item_id))
    return discounts


def _canonical_status(value: object, allowed: Iterable[str], name: str = "order_status") -> str:
    if isinstance(value, str):
        for status in allowed:
            if status.lower() == value.strip().lower():
                return status
    raise ApiError(422, f"{name} must be one of: {', '.join(allowed)}")


def _parse_order_body(body: JSON, statuses: Sequence[str] = ("Submitted", "Created")) -> JSON:
    """Validate the shape of a create/replace body; existence checks happen against the state.

    ``statuses`` are the ``order_status`` values accepted: create takes only Submitted or Created,
    while replace parses any status so that an attempted change is reported as such.
    """
    original_order_id = body.get("original_order_id")
    if not isinstance(original_order_id, str) or not original_order_id.strip():
        raise ApiError(422, "original_order_id is required (string)")
    customer_id = _id_value(body.get("customer_id"), "customer_id")
    is_recreational = body.get("is_recreational", True)
    if not isinstance(is_recreational, bool):
        raise ApiError(422, "is_recreational must be a boolean")
    status = body.get("order_status")
    if status is not None:
        status = _canonical_status(status, statuses)
    fulfillment = body.get("fulfillment_type", "pickup")
    if not isinstance(fulfillment, str) or fulfillment.strip().lower() not in FULFILLMENT_TYPES:
        raise ApiError(422, "fulfillment_type must be one of: pickup, delivery, in-store")
    fulfillment = fulfillment.strip().lower()
    address = body.get("delivery_address")
    if address is not None and not isinstance(address, dict):
        raise ApiError(422, "delivery_address must be an object")
    if fulfillment == "delivery" and not (address and address.get("address_line_1")):
        raise ApiError(422, "delivery_address is required for delivery orders")
    raw_fee = body.get("delivery_fee")
    fee = 0 if raw_fee is None else _number(raw_fee)
    if fee is None or fee < 0:
        raise ApiError(422, "delivery_fee must be a number >= 0")
    lines = _parse_lines(body.get("order_lines"))
    return {
        "original_order_id": original_order_id,
        "customer_id": customer_id,
        "is_recreational": is_recreational,
        "order_status": status,
        "fulfillment_type": fulfillment,
        "order_timestamp": _optional_timestamp(body, "order_timestamp"),
        "notes": _optional_str(body, "notes"),
        "expected_pickup_timestamp": _optional_timestamp(body, "expected_pickup_timestamp"),
        "expected_delivery_timestamp": _optional_timestamp(body, "expected_delivery_timestamp"),
        "delivery_address": (
            {key: address.get(key) for key in ("address_line_1", "address_line_2", "city", "state", "postcode")}
            if address
            else None
        ),
        "delivery_contact_no": _optional_str(body, "delivery_contact_no"),
        "delivery_email": _optional_str(body, "delivery_email"),
        "delivery_fee": fee,
        "order_lines": lines,
        "applied_discounts": _parse_discounts(body.get("applied_discounts"), lines),
    }


def _compute_totals(
    lines: Sequence[_Line], discounts: Sequence[_Discount], delivery_fee: int | float
) -> tuple[list[JSON], JSON]:
    """Line rows and order totals, double counting discounts as Flourish does (see the module docstring)."""
    line_totals = [_cents(Decimal(str(line.order_qty)) * Decimal(str(line.unit_price))) for line in lines]
    line_discounts = [Decimal(0)] * len(lines)
    for discount in discounts:
        amount = _cents(Decimal(str(discount.discount_amount)))
        targets = [
            index for index, line in enumerate(lines) if discount.item_id is None or line.item_id == discount.item_id
        ]
        for index, share in zip(targets, _spread(amount, [line_totals[i] for i in targets]), strict=True):
            line_discounts[index] += share
    net = [total - discount for total, discount in zip(line_totals, line_discounts, strict=True)]
    total_discounts = sum((_cents(Decimal(str(d.discount_amount))) for d in discounts), Decimal(0))
    fee = _cents(Decimal(str(delivery_fee)))
    total = max(sum(net, Decimal(0)) - total_discounts + fee, Decimal(0))
    rows = [
        {
            "item_id": line.item_id,
            "sku": line.sku,
            "order_qty": line.order_qty,
            "unit_price": line.unit_price,
            "line_total": _money(line_total),
            "line_discount": _money(line_discount),
            "net_line_total": _money(line_net),
        }
        for line, line_total, line_discount, line_net in zip(lines, line_totals, line_discounts, net, strict=True)
    ]
    totals = {
        "subtotal": _money(sum(line_totals, Decimal(0))),
        "total_discounts": _money(total_discounts),
        "delivery_fee": _money(fee),
        "total": _money(total),
    }
    return rows, totals


# --------------------------------------------------------------------------------------------------
# State


@dataclass
class Fault:
    """One injected fault; ``remaining`` counts down as matching requests consume it."""

    mode: str
    method: str | None
    path_prefix: str
    status: int | None
    retry_after: str | None
    delay_seconds: float
    remaining: int
    #: Matching requests to let through before the fault starts firing (to break a read mid-way).
    after: int = 0

    def matches(self, method: str, raw_path: str, path: str) -> bool:
        if self.method is not None and self.method != method:
            return False
        return raw_path.startswith(self.path_prefix) or (path + "/").startswith(self.path_prefix)


def parse_fault(body: JSON) -> Fault:
    """Validate a ``POST /_sandbox/faults`` body."""
    mode = body.get("mode", "status")
    if mode not in ("status", "delay", "timeout_after_commit"):
        raise ApiError(422, "mode must be one of: status, delay, timeout_after_commit")
    method = body.get("method")
    if method is not None and not isinstance(method, str):
        raise ApiError(422, "method must be a string")
    prefix = body.get("path_prefix", "/external/")
    if not isinstance(prefix, str) or not prefix.startswith("/"):
        raise ApiError(422, "path_prefix must be a path starting with /")
    count = body.get("count", 1)
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise ApiError(422, "count must be an integer >= 1")
    status = body.get("status")
    if mode == "status" and (not isinstance(status, int) or not 400 <= status <= 599):
        raise ApiError(422, "status must be an HTTP error status (400-599)")
    delay = _number(body.get("delay_seconds", 0))
    if delay is None or delay < 0 or (mode != "status" and delay == 0):
        raise ApiError(422, "delay_seconds must be a number > 0")
    retry_after = body.get("retry_after")
    after = body.get("after", 0)
    if not isinstance(after, int) or isinstance(after, bool) or after < 0:
        raise ApiError(422, "after must be an integer >= 0")
    return Fault(
        mode=mode,
        method=method.upper() if method else None,
        path_prefix=prefix,
        status=status if mode == "status" else None,
        retry_after=None if retry_after is None else str(retry_after),
        delay_seconds=float(delay),
        remaining=count,
        after=after,
    )


class FlourishSandbox:
    """The sandbox's in-memory state: catalogue, stock, customers, orders, faults and request counts.

    Every public method takes ``lock`` because uvicorn may serve from several threads and tests read the
    state directly. Stored records are never mutated once stored; updates replace the record
    (copy-on-write). So a record returned by a method is a stable snapshot and can be serialised after
    the lock is released, without deep copies.
    """

    def __init__(
        self,
        *,
        items: int = 200,
        seed: int = 1,
        credentials: Mapping[str, tuple[str, bool]] = DEFAULT_CREDENTIALS,
        customers: int = 20,
    ) -> None:
        self.lock = threading.Lock()
        self.seed = seed
        self.credentials: dict[str, tuple[str, bool]] = dict(credentials)
        catalogue = generate_catalogue(items, seed)
        self.facilities: dict[str, JSON] = {facility["id"]: facility for facility in catalogue.facilities}
        self._items: list[JSON] = catalogue.items
        self._item_keys: list[int] = [int(item["id"]) for item in self._items]
        self._items_by_id: dict[str, JSON] = {item["id"]: item for item in self._items}
        self.stock: dict[str, dict[str, dict[str, int]]] = catalogue.stock
        self.art: dict[str, tuple[str, ...]] = catalogue.art
        #: Malformed item id → kind of damage (see ``flourish_catalog.MALFORMED_KINDS``).
        self.malformed: dict[str, str] = dict(catalogue.malformed)
        self._customers: dict[str, JSON] = {c["id"]: c for c in generate_customers(seed, customers)}
        self._next_customer = 70001 + len(self._customers)
        self._orders: dict[str, JSON] = {}
        self._next_order = 1
        self._faults: list[Fault] = []
        self._requests: Counter[str] = Counter()

    # -- auth ------------------------------------------------------------------------------------

    def authenticate(self, api_key: str | None, authorization: str | None) -> None:
        """Raise the 401/403 Flourish answers, or return when the caller may proceed."""
        username: str | None = None
        if api_key:
            key = api_key.strip()
        elif authorization and authorization[:6].lower() == "basic ":
            try:
                decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                raise ApiError(401, "Invalid or expired API key") from None
            username, _, key = decoded.partition(":")
        else:
            raise ApiError(401, "Invalid or expired API key")
        known = self.credentials.get(key)
        if known is None or (username is not None and username != known[0]):
            raise ApiError(401, "Invalid or expired API key")
        if not known[1]:
            raise ApiError(403, "API key is not active")

    def facility(self, facility_id: str | None) -> str:
        if facility_id is None or not facility_id.strip():
            raise ApiError(400, "FacilityID header is required")
        facility_id = facility_id.strip()
        if facility_id not in self.facilities:
            raise ApiError(404, f"Facility {facility_id} not found")
        return facility_id

    # -- items -----------------------------------------------------------------------------------

    @property
    def malformed_ids(self) -> frozenset[str]:
        return frozenset(self.malformed)

    def items(self) -> list[JSON]:
        """All items, id order (a new list of the stored snapshots)."""
        with self.lock:
            return list(self._items)

    def list_items(self, predicate: Callable[[JSON], bool] | None, offset: int, limit: int) -> tuple[list[JSON], bool]:
        with self.lock:
            return _window(self._items, predicate, offset, limit)

    def get_item(self, item_id: str) -> JSON:
        with self.lock:
            return self._item(item_id)

    def _item(self, item_id: str) -> JSON:
        item = self._items_by_id.get(item_id)
        if item is None:
            raise ApiError(404, f"Item {item_id} not found")
        return item

    def item_art(self, item_id: str) -> tuple[str, ...]:
        with self.lock:
            self._item(item_id)
            return self.art.get(item_id, ())

    def inventory_summary(
        self, facility_id: str, item_ids: Sequence[str] | None, offset: int, limit: int
    ) -> tuple[list[JSON], bool]:
        with self.lock:
            stocked = self.stock[facility_id]
            if item_ids is None:
                items, more = _window(self._items, lambda item: item["id"] in stocked, offset, limit)
            else:
                wanted = sorted({item_id for item_id in item_ids if item_id in self._items_by_id}, key=_numeric_key)
                items = [self._items_by_id[item_id] for item_id in wanted[offset : offset + limit]]
                more = len(wanted) > offset + limit
            rows = []
            for item in items:
                quantities = stocked.get(item["id"], {})
                rows.append(
                    {
                        "item_id": item["id"],
                        "sku": item["sku"],
                        "item_name": item["item_name"],
                        "sellable_qty": quantities.get("sellable_qty", 0),
                        "available_qty": quantities.get("available_qty", 0),
                        "non_available_qty": quantities.get("non_available_qty", 0),
                    }
                )
            return rows, more

    def set_quantity(self, item_id: str, facility_id: str, sellable_qty: int, available_qty: int | None = None) -> JSON:
        with self.lock:
            self._item(item_id)
            if facility_id not in self.facilities:
                raise ApiError(404, f"Facility {facility_id} not found")
            current = self.stock[facility_id].get(item_id, {"non_available_qty": 0})
            row = {
                "sellable_qty": sellable_qty,
                "available_qty": sellable_qty if available_qty is None else available_qty,
                "non_available_qty": current["non_available_qty"],
            }
            self.stock[facility_id][item_id] = row
            return {"item_id": item_id, "facility_id": facility_id, **row}

    def patch_item(self, item_id: str, changes: JSON) -> JSON:
        """Merge ``changes`` into the item and bump ``last_updated_timestamp`` (unless given)."""
        if "id" in changes and str(changes["id"]) != item_id:
            raise ApiError(422, "id cannot be changed")
        with self.lock:
            old = self._item(item_id)
            new = {**old, **changes, "id": item_id}
            if "last_updated_timestamp" not in changes:
                new["last_updated_timestamp"] = _later_than(old["last_updated_timestamp"])
            index = bisect.bisect_left(self._item_keys, int(item_id))
            self._items[index] = new
            self._items_by_id[item_id] = new
            return new

    def delete_item(self, item_id: str) -> None:
        with self.lock:
            self._item(item_id)
            index = bisect.bisect_left(self._item_keys, int(item_id))
            del self._items[index]
            del self._item_keys[index]
            del self._items_by_id[item_id]
            self.art.pop(item_id, None)
            for stocked in self.stock.values():
                stocked.pop(item_id, None)

    # -- customers -------------------------------------------------------------------------------

    def customers(self) -> list[JSON]:
        with self.lock:
            return list(self._customers.values())

    def list_customers(
        self, predicate: Callable[[JSON], bool] | None, offset: int, limit: int
    ) -> tuple[list[JSON], bool]:
        with self.lock:
            return _window(self._customers.values(), predicate, offset, limit)

    def get_customer(self, customer_id: str) -> JSON:
        with self.lock:
            customer = self._customers.get(customer_id)
            if customer is None:
                raise ApiError(404, f"Customer {customer_id} not found")
            return customer

    def create_customer(self, fields: JSON) -> JSON:
        with self.lock:
            customer_id = str(self._next_customer)
            self._next_customer += 1
            stamp = iso_ms(_now())
            customer = {"id": customer_id, **fields, "created_timestamp": stamp, "last_updated_timestamp": stamp}
            self._customers[customer_id] = customer
            return customer

    # -- orders ----------------------------------------------------------------------------------

    def orders(self) -> list[JSON]:
        with self.lock:
            return list(self._orders.values())

    def _check_references(self, parsed: JSON) -> None:
        if parsed["customer_id"] not in self._customers:
            raise ApiError(422, f"Customer {parsed['customer_id']} not found")
        for index, line in enumerate(parsed["order_lines"]):
            if line.item_id not in self._items_by_id:
                raise ApiError(422, f"order_lines[{index}].item_id {line.item_id} not found")

    def _order_body(self, parsed: JSON) -> JSON:
        """The editable part of a stored order, with line rows and totals."""
        lines = [
            line
            if line.sku is not None
            else _Line(line.item_id, self._items_by_id[line.item_id]["sku"], line.order_qty, line.unit_price)
            for line in parsed["order_lines"]
        ]
        rows, totals = _compute_totals(lines, parsed["applied_discounts"], parsed["delivery_fee"])
        editable = {k: v for k, v in parsed.items() if k not in ("order_status", "order_lines", "applied_discounts")}
        return {
            **editable,
            "order_lines": rows,
            "applied_discounts": [asdict(discount) for discount in parsed["applied_discounts"]],
            **totals,
        }

    def create_order(self, facility_id: str, parsed: JSON) -> JSON:
        with self.lock:
            self._check_references(parsed)
            order_id = f"RO-{self._next_order:06d}"
            self._next_order += 1
            status = parsed["order_status"] or "Created"
            stamp = iso_ms(_now())
            order = {
                "id": order_id,
                "facility_id": facility_id,
                "order_status": status,
                "order_origin": "Online",
                "order_payment_status": "Awaiting Payment",
                **self._order_body(parsed),
                "created_timestamp": stamp,
                "last_updated_timestamp": stamp,
                **{_status_stamp_key(s): None for s in ORDER_STATUSES[1:]},
            }
            if status == "Submitted":
                order["submitted_timestamp"] = stamp
            self._orders[order_id] = order
            return order

    def list_orders(
        self, facility_id: str | None, predicate: Callable[[JSON], bool] | None, offset: int, limit: int
    ) -> tuple[list[JSON], bool]:
        def matches(order: JSON) -> bool:
            if facility_id is not None and order["facility_id"] != facility_id:
                return False
            return predicate is None or predicate(order)

        with self.lock:
            return _window(self._orders.values(), matches, offset, limit)

    def get_order(self, order_id: str, facility_id: str | None = None) -> JSON:
        with self.lock:
            return self._order(order_id, facility_id)

    def _order(self, order_id: str, facility_id: str | None) -> JSON:
        order = self._orders.get(order_id)
        if order is None or (facility_id is not None and order["facility_id"] != facility_id):
            raise ApiError(404, f"Retail order {order_id} not found")
        return order

    def replace_order(self, order_id: str, facility_id: str, parsed: JSON) -> JSON:
        """PUT: replace the editable fields while Created or Submitted; the status cannot change."""
        with self.lock:
            old = self._order(order_id, facility_id)
            _check_editable(old)
            if parsed["order_status"] is not None and parsed["order_status"] != old["order_status"]:
                raise ApiError(422, "order_status cannot be changed through the API")
            self._check_references(parsed)
            new = {
                **old,
                **self._order_body(parsed),
                "last_updated_timestamp": _later_than(old["last_updated_timestamp"]),
            }
            self._orders[order_id] = new
            return new

    def move_order(self, order_id: str, status: str) -> JSON:
        """Move an order along the status machine, as staff would in the POS."""
        with self.lock:
            old = self._order(order_id, None)
            current = old["order_status"]
            forward = status in _FORWARD_MOVES.get(current, frozenset())
            abandon = status in ("Cancelled", "Undeliverable") and current not in FINAL_STATUSES
            if not (forward or abandon):
                raise ApiError(409, f"Order {order_id} cannot move from {current} to {status}")
            stamp = _later_than(old["last_updated_timestamp"])
            new = {**old, "order_status": status, "last_updated_timestamp": stamp}
            new[_status_stamp_key(status)] = stamp
            self._orders[order_id] = new
            return new

    # -- faults and request counts -----------------------------------------------------------------

    def add_fault(self, fault: Fault) -> None:
        with self.lock:
            self._faults.append(fault)

    def faults(self) -> list[JSON]:
        with self.lock:
            return [asdict(fault) for fault in self._faults]

    def clear_faults(self) -> None:
        with self.lock:
            self._faults.clear()

    def take_fault(self, method: str, raw_path: str, path: str) -> Fault | None:
        """Consume one use of the first fault matching the request, if any."""
        with self.lock:
            for fault in self._faults:
                if fault.matches(method, raw_path, path):
                    if fault.after > 0:
                        fault.after -= 1
                        return None
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    return fault
            return None

    def count_request(self, key: str) -> None:
        with self.lock:
            self._requests[key] += 1

    def request_counts(self) -> dict[str, int]:
        with self.lock:
            return dict(self._requests)

    def reset_request_counts(self) -> None:
        with self.lock:
            self._requests.clear()


def _check_editable(order: JSON) -> None:
    status = order["order_status"]
    if status not in EDITABLE_STATUSES:
        raise ApiError(409, f"Order {order['id']} is {status}; only Created or Submitted orders can be updated")


def _status_stamp_key(status: str) -> str:
    return status.lower().replace(" ", "_") + "_timestamp"


def _numeric_key(item_id: str) -> tuple[int, str]:
    return (int(item_id), item_id) if item_id.isdigit() else (1 << 62, item_id)


def _window(
    records: Iterable[JSON], predicate: Callable[[JSON], bool] | None, offset: int, limit: int
) -> tuple[list[JSON], bool]:
    """One page of the records that match, and whether more follow, in one pass that stops early."""
    if predicate is None and isinstance(records, list):
        return records[offset : offset + limit], len(records) > offset + limit
    page: list[JSON] = []
    seen = 0
    for record in records:
        if predicate is not None and not predicate(record):
            continue
        if seen >= offset:
            if len(page) == limit:
                return page, True
            page.append(record)
        seen += 1
    return page, False


# --------------------------------------------------------------------------------------------------
# Query parsing


def _paging(request: Request) -> tuple[int, int]:
    def integer(name: str, default: int) -> int:
        raw = request.query_params.get(name)
        if raw is None or raw == "":
            return default
        try:
            return int(raw)
        except ValueError:
            raise ApiError(400, f"{name} must be an integer") from None

    offset, limit = integer("offset", 0), integer("limit", PAGE_LIMIT)
    if offset < 0:
        raise ApiError(400, "offset must be >= 0")
    if limit < 1:
        raise ApiError(400, "limit must be >= 1")
    return offset, min(limit, PAGE_LIMIT)


def _bool_param(request: Request, name: str) -> bool | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    if raw.lower() not in ("true", "false"):
        raise ApiError(400, f"{name} must be true or false")
    return raw.lower() == "true"


def _time_param(request: Request, name: str) -> str | None:
    """A timestamp query parameter, normalised to the stored format so strings compare in order."""
    raw = request.query_params.get(name)
    return iso_ms(_parse_iso(raw, name)) if raw else None


def _all_of(checks: list[Callable[[JSON], bool]]) -> Callable[[JSON], bool] | None:
    if not checks:
        return None
    return lambda record: all(check(record) for check in checks)


def _field_is(field: str, wanted: object) -> Callable[[JSON], bool]:
    """Exact match; ``is`` for booleans so that 1 never passes for true."""
    if isinstance(wanted, bool):
        return lambda record: record.get(field) is wanted
    return lambda record: record.get(field) == wanted


def _equals_ci(field: str, wanted: str | None) -> Callable[[JSON], bool] | None:
    if wanted is None:
        return None
    wanted = wanted.strip().lower()
    return lambda record: str(record.get(field) or "").lower() == wanted


def _item_predicate(request: Request) -> Callable[[JSON], bool] | None:
    checks: list[Callable[[JSON], bool]] = []
    for flag in ("active", "ecommerce_active", "sellable", "is_medical"):
        value = _bool_param(request, flag)
        if value is not None:
            checks.append(_field_is(flag, value))
    category = _equals_ci("item_category", request.query_params.get("item_category"))
    if category:
        checks.append(category)
    brands = {name.strip().lower() for name in request.query_params.getlist("brand_name")}
    if brands:
        checks.append(lambda item: str(item.get("brand") or "").lower() in brands)
    start = _time_param(request, "last_updated_timestamp_start")
    if start:
        checks.append(lambda item: item["last_updated_timestamp"] >= start)
    end = _time_param(request, "last_updated_timestamp_end")
    if end:
        checks.append(lambda item: item["last_updated_timestamp"] <= end)
    return _all_of(checks)


def _customer_predicate(request: Request) -> Callable[[JSON], bool] | None:
    params = request.query_params
    checks = [
        check
        for check in (
            _equals_ci("patient_id", params.get("patient_id")),
            _equals_ci("email", params.get("email")),
            _equals_ci("first_name", params.get("first_name")),
            _equals_ci("last_name", params.get("last_name")),
            _equals_ci("dob", params.get("dob")),
            _equals_ci("state", params.get("state")),
        )
        if check is not None
    ]
    phone = params.get("phone_number")
    if phone is not None:
        digits = _digits(phone)
        checks.append(lambda customer: bool(digits) and _digits(customer.get("phone") or "") == digits)
    return _all_of(checks)


def _order_predicate(request: Request) -> Callable[[JSON], bool] | None:
    params = request.query_params
    checks: list[Callable[[JSON], bool]] = []
    status = _equals_ci("order_status", params.get("order_status"))
    if status:
        checks.append(status)
    for param, field in (
        ("customer_id", "customer_id"),
        ("order_id", "id"),
        ("original_order_id", "original_order_id"),
    ):
        value = params.get(param)
        if value is not None:
            checks.append(_field_is(field, value))
    start = _time_param(request, "created_timestamp_start")
    if start:
        checks.append(lambda order: order["created_timestamp"] >= start)
    end = _time_param(request, "created_timestamp_end")
    if end:
        checks.append(lambda order: order["created_timestamp"] <= end)
    return _all_of(checks)


async def _json_object(request: Request) -> JSON:
    try:
        body = await request.json()
    except ValueError:
        raise ApiError(400, "Request body must be valid JSON") from None
    if not isinstance(body, dict):
        raise ApiError(400, "Request body must be a JSON object")
    return body


def _page_response(request: Request, records: list[JSON], more: bool, offset: int, limit: int) -> JSONResponse:
    next_link = None
    if more:
        query = [(k, v) for k, v in request.query_params.multi_items() if k not in ("offset", "limit")]
        query += [("offset", str(offset + limit)), ("limit", str(limit))]
        next_link = request.scope.get("sandbox.original_path", request.url.path) + "?" + urlencode(query)
    return JSONResponse({"data": records, "meta": {"offset": offset, "limit": limit, "next": next_link}})


def _one(record: JSON, status_code: int = 200) -> JSONResponse:
    return JSONResponse({"data": record}, status_code=status_code)


def _parse_customer_body(body: JSON) -> JSON:
    dob = body.get("dob")
    if not isinstance(dob, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", dob):
        raise ApiError(422, "dob is required (YYYY-MM-DD)")
    try:
        date.fromisoformat(dob)
    except ValueError:
        raise ApiError(422, "dob is required (YYYY-MM-DD)") from None
    fields: JSON = {}
    for name in ("first_name", "last_name"):
        value = body.get(name)
        if not isinstance(value, str) or not value.strip():
            raise ApiError(422, f"{name} is required")
        fields[name] = value.strip()
    fields["dob"] = dob
    for name in ("email", "phone", "patient_id", "medical_card_state", "state"):
        fields[name] = _optional_str(body, name)
    expiration = _optional_str(body, "medical_card_expiration")
    if expiration:
        try:
            date.fromisoformat(expiration)
        except ValueError:
            raise ApiError(422, "medical_card_expiration must be YYYY-MM-DD") from None
    fields["medical_card_expiration"] = expiration
    verified = body.get("is_verified", False)
    if not isinstance(verified, bool):
        raise ApiError(422, "is_verified must be a boolean")
    fields["is_verified"] = verified
    address = body.get("address", [])
    if address is None:
        address = []
    if not isinstance(address, list) or not all(isinstance(entry, dict) for entry in address):
        raise ApiError(422, "address must be a list of objects")
    fields["address"] = address
    return fields


# --------------------------------------------------------------------------------------------------
# Endpoints


class _Api:
    """The HTTP endpoints; thin wrappers that parse the request and call ``FlourishSandbox``."""

    def __init__(self, sandbox: FlourishSandbox) -> None:
        self.sandbox = sandbox

    def _facility(self, request: Request) -> str:
        return self.sandbox.facility(request.headers.get("FacilityID"))

    # -- vendor routes ---------------------------------------------------------------------------

    async def facilities(self, request: Request) -> Response:
        offset, limit = _paging(request)
        page, more = _window(list(self.sandbox.facilities.values()), None, offset, limit)
        return _page_response(request, page, more, offset, limit)

    async def list_items(self, request: Request) -> Response:
        offset, limit = _paging(request)
        page, more = self.sandbox.list_items(_item_predicate(request), offset, limit)
        return _page_response(request, page, more, offset, limit)

    async def get_item(self, request: Request) -> Response:
        return _one(self.sandbox.get_item(request.path_params["item_id"]))

    async def item_art(self, request: Request) -> Response:
        item_id = request.path_params["item_id"]
        seconds = _expire_seconds(request.query_params.get("expire"))
        kinds = self.sandbox.item_art(item_id)
        if not kinds:
            return Response(status_code=204)
        expires = int(time.time()) + seconds
        base = str(request.base_url).rstrip("/")
        links: JSON = {"product": None, "label": None, "packaging": None}
        for kind in kinds:
            links[kind] = f"{base}{CONTROL}/art/{item_id}/{kind}.png?expires={expires}"
        return _one(links)

    async def inventory_summary(self, request: Request) -> Response:
        facility_id = self._facility(request)
        offset, limit = _paging(request)
        ids = [value.strip() for value in request.query_params.getlist("item_id") if value.strip()]
        if len(ids) > MAX_SUMMARY_IDS:
            raise ApiError(400, f"At most {MAX_SUMMARY_IDS} item_id values are allowed per request")
        rows, more = self.sandbox.inventory_summary(facility_id, ids or None, offset, limit)
        return _page_response(request, rows, more, offset, limit)

    async def list_customers(self, request: Request) -> Response:
        offset, limit = _paging(request)
        page, more = self.sandbox.list_customers(_customer_predicate(request), offset, limit)
        return _page_response(request, page, more, offset, limit)

    async def get_customer(self, request: Request) -> Response:
        return _one(self.sandbox.get_customer(request.path_params["customer_id"]))

    async def create_customer(self, request: Request) -> Response:
        fields = _parse_customer_body(await _json_object(request))
        return _one(self.sandbox.create_customer(fields), status_code=201)

    async def create_order(self, request: Request) -> Response:
        facility_id = self._facility(request)
        parsed = _parse_order_body(await _json_object(request))
        return _one(self.sandbox.create_order(facility_id, parsed), status_code=201)

    async def list_orders(self, request: Request) -> Response:
        facility_id = self._facility(request)
        offset, limit = _paging(request)
        page, more = self.sandbox.list_orders(facility_id, _order_predicate(request), offset, limit)
        return _page_response(request, page, more, offset, limit)

    async def get_order(self, request: Request) -> Response:
        facility_id = self._facility(request)
        return _one(self.sandbox.get_order(request.path_params["order_id"], facility_id))

    async def replace_order(self, request: Request) -> Response:
        facility_id = self._facility(request)
        order_id = request.path_params["order_id"]
        # 404 and 409 come before any complaint about the body (``replace_order`` checks again under
        # the lock); any status is parsed so that a change is reported as such.
        _check_editable(self.sandbox.get_order(order_id, facility_id))
        parsed = _parse_order_body(await _json_object(request), statuses=ORDER_STATUSES)
        return _one(self.sandbox.replace_order(order_id, facility_id, parsed))

    # -- control routes ---------------------------------------------------------------------------

    async def health(self, request: Request) -> Response:
        return JSONResponse({"ok": True})

    async def art_image(self, request: Request) -> Response:
        item_id, filename = request.path_params["item_id"], request.path_params["filename"]
        kind = filename.removesuffix(".png")
        try:
            expires = int(request.query_params.get("expires", ""))
        except ValueError:
            raise ApiError(403, "Link is missing a valid expiry") from None
        if expires < time.time():
            raise ApiError(403, "Link expired")
        if not filename.endswith(".png") or kind not in self.sandbox.item_art(item_id):
            raise ApiError(404, "Not found")
        shade = zlib.crc32(f"{item_id}/{kind}".encode())
        rgb = (shade & 0xFF, (shade >> 8) & 0xFF, (shade >> 16) & 0xFF)
        return Response(_png(rgb), media_type="image/png", headers={"Cache-Control": "private, max-age=300"})

    async def set_quantity(self, request: Request) -> Response:
        body = await _json_object(request)
        facility_id = body.get("facility_id")
        if isinstance(facility_id, int) and not isinstance(facility_id, bool):
            facility_id = str(facility_id)
        if not isinstance(facility_id, str):
            raise ApiError(422, "facility_id is required")
        sellable, available = body.get("sellable_qty"), body.get("available_qty", body.get("sellable_qty"))
        for quantity in (sellable, available):
            if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 0:
                raise ApiError(422, "sellable_qty (and available_qty) must be integers >= 0")
        assert isinstance(sellable, int) and isinstance(available, int)
        row = self.sandbox.set_quantity(request.path_params["item_id"], facility_id, sellable, available)
        return _one(row)

    async def patch_item(self, request: Request) -> Response:
        changes = await _json_object(request)
        return _one(self.sandbox.patch_item(request.path_params["item_id"], changes))

    async def delete_item(self, request: Request) -> Response:
        self.sandbox.delete_item(request.path_params["item_id"])
        return Response(status_code=204)

    async def move_order(self, request: Request) -> Response:
        body = await _json_object(request)
        status = _canonical_status(body.get("order_status"), ORDER_STATUSES)
        return _one(self.sandbox.move_order(request.path_params["order_id"], status))

    async def all_orders(self, request: Request) -> Response:
        return JSONResponse({"data": self.sandbox.orders()})

    async def all_customers(self, request: Request) -> Response:
        return JSONResponse({"data": self.sandbox.customers()})

    async def list_faults(self, request: Request) -> Response:
        return JSONResponse({"data": self.sandbox.faults()})

    async def add_fault(self, request: Request) -> Response:
        fault = parse_fault(await _json_object(request))
        self.sandbox.add_fault(fault)
        return _one(asdict(fault), status_code=201)

    async def clear_faults(self, request: Request) -> Response:
        self.sandbox.clear_faults()
        return Response(status_code=204)

    async def request_counts(self, request: Request) -> Response:
        return JSONResponse(self.sandbox.request_counts())

    async def reset_request_counts(self, request: Request) -> Response:
        self.sandbox.reset_request_counts()
        return Response(status_code=204)


def _routes(api: _Api) -> tuple[list[BaseRoute], list[tuple[BaseRoute, str]]]:
    """All routes (paths without trailing slash) and the request-count key of each counted one."""
    vendor = [
        Route(f"{V1}/facilities", api.facilities, methods=["GET"]),
        Route(f"{V1}/items", api.list_items, methods=["GET"]),
        Route(f"{V1}/items/{{item_id}}", api.get_item, methods=["GET"]),
        Route(f"{V1}/items/{{item_id}}/art", api.item_art, methods=["GET"]),
        Route(f"{V1}/inventory/summary", api.inventory_summary, methods=["GET"]),
        Route(f"{V1}/customers", api.list_customers, methods=["GET"]),
        Route(f"{V1}/customers", api.create_customer, methods=["POST"]),
        Route(f"{V1}/customers/{{customer_id}}", api.get_customer, methods=["GET"]),
        Route(f"{V2}/retail-orders", api.create_order, methods=["POST"]),
        Route(f"{V1}/retail-orders", api.list_orders, methods=["GET"]),
        Route(f"{V1}/retail-orders/{{order_id}}", api.get_order, methods=["GET"]),
        Route(f"{V1}/retail-orders/{{order_id}}", api.replace_order, methods=["PUT"]),
    ]
    art = Route(f"{CONTROL}/art/{{item_id}}/{{filename}}", api.art_image, methods=["GET"])
    control = [
        Route(f"{CONTROL}/health", api.health, methods=["GET"]),
        Route(f"{CONTROL}/items/{{item_id}}/quantity", api.set_quantity, methods=["POST"]),
        Route(f"{CONTROL}/items/{{item_id}}", api.patch_item, methods=["PATCH"]),
        Route(f"{CONTROL}/items/{{item_id}}", api.delete_item, methods=["DELETE"]),
        Route(f"{CONTROL}/retail-orders/{{order_id}}/status", api.move_order, methods=["POST"]),
        Route(f"{CONTROL}/retail-orders", api.all_orders, methods=["GET"]),
        Route(f"{CONTROL}/customers", api.all_customers, methods=["GET"]),
        Route(f"{CONTROL}/faults", api.list_faults, methods=["GET"]),
        Route(f"{CONTROL}/faults", api.add_fault, methods=["POST"]),
        Route(f"{CONTROL}/faults", api.clear_faults, methods=["DELETE"]),
        Route(f"{CONTROL}/requests", api.request_counts, methods=["GET"]),
        Route(f"{CONTROL}/requests", api.reset_request_counts, methods=["DELETE"]),
    ]
    counted: list[tuple[BaseRoute, str]] = []
    for route in vendor:
        (method,) = (route.methods or {"GET"}) - {"HEAD"}
        counted.append((route, f"{method} {route.path}/"))
    counted.append((art, f"GET {art.path}"))
    return [*vendor, art, *control], counted


class _Gateway:
    """What sits in front of the endpoints: slash normalisation, request counting, faults and auth.

    Paths are normalised by dropping the trailing slash (both forms are served, never redirected); the
    path as sent is kept in ``scope["sandbox.original_path"]`` for ``meta.next`` links.
    """

    def __init__(self, app: ASGIApp, sandbox: FlourishSandbox, counted: Sequence[tuple[BaseRoute, str]]) -> None:
        self.app = app
        self.sandbox = sandbox
        self.counted = counted

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw_path: str = scope["path"]
        path = raw_path.rstrip("/") or "/"
        scope = {**scope, "path": path, "sandbox.original_path": raw_path}
        method: str = scope["method"]

        for route, key in self.counted:
            if route.matches(scope)[0] is Match.FULL:
                self.sandbox.count_request(key)
                break

        fault = None
        if path.startswith("/external/"):
            fault = self.sandbox.take_fault(method, raw_path, path)
            if fault is not None and fault.mode == "status":
                assert fault.status is not None
                headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
                await ApiError(fault.status, "Injected fault", headers).response()(scope, receive, send)
                return
            if fault is not None and fault.mode == "delay":
                await asyncio.sleep(fault.delay_seconds)
            request_headers = Headers(scope=scope)
            try:
                self.sandbox.authenticate(request_headers.get("x-api-key"), request_headers.get("authorization"))
            except ApiError as error:
                await error.response()(scope, receive, send)
                return

        if fault is not None and fault.mode == "timeout_after_commit":
            held: list[Message] = []

            async def hold(message: Message) -> None:
                held.append(message)

            await self.app(scope, receive, hold)
            await asyncio.sleep(fault.delay_seconds)
            for message in held:
                await send(message)
            return
        await self.app(scope, receive, send)


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return exc.response()


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, str(exc.detail))
    return JSONResponse({"error": message}, status_code=exc.status_code, headers=exc.headers)


def create_app(
    *,
    items: int = 200,
    seed: int = 1,
    credentials: Mapping[str, tuple[str, bool]] = DEFAULT_CREDENTIALS,
    customers: int = 20,
    sandbox: FlourishSandbox | None = None,
) -> Starlette:
    """The Flourish sandbox as an ASGI app; its state is ``app.state.sandbox`` (a ``FlourishSandbox``).

    ``credentials`` maps API key → (username, active). Pass ``sandbox`` to serve an existing state
    (the other arguments are then ignored).
    """
    state = sandbox or FlourishSandbox(items=items, seed=seed, credentials=credentials, customers=customers)
    api = _Api(state)
    routes, counted = _routes(api)
    app = Starlette(
        routes=routes,
        middleware=[Middleware(_Gateway, sandbox=state, counted=counted)],
        exception_handlers={ApiError: _api_error, HTTPException: _http_error},
    )
    app.router.redirect_slashes = False
    app.state.sandbox = state
    return app


def run(host: str, port: int, items: int, seed: int) -> None:
    """Serve the sandbox with uvicorn until interrupted (used by ``cannasync sandbox flourish``)."""
    uvicorn.run(create_app(items=items, seed=seed), host=host, port=port, log_level="info")
