"""How Flourish's External API speaks: errors, bodies, paging and query parameters.

* ``offset``/``limit`` paging, ``limit`` silently capped at 50, envelope
  ``{"data": [...], "meta": {"offset", "limit", "next"}}`` where ``next`` is the path and query of the
  next page, or null on the last one.

Choices where Flourish's public notes are silent
------------------------------------------------
Each is a guess kept easy to change; none is confirmed by Flourish.

3. ``limit`` of 0 or below, or a negative ``offset``, is a 400 like a non-integer one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse

from cannasync.sandboxes._kit import app as _app
from cannasync.sandboxes._kit.gateway import VendorError
from cannasync.sandboxes._kit.values import cents, iso_ms, later_than

if TYPE_CHECKING:
    from cannasync.sandboxes.flourish.state import FlourishSandbox

JSON = dict[str, Any]

V1 = "/external/api/v1"
V2 = "/external/api/v2"

PAGE_LIMIT = 50


class ApiError(VendorError):
    """An error answered as ``{"error": message}`` with ``status``."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})

    def response(self) -> JSONResponse:
        return JSONResponse({"error": self.message}, status_code=self.status, headers=self.headers)


def sandbox_of(request: Request) -> FlourishSandbox:
    """The state the app serves (``app.state.sandbox``)."""
    sandbox: FlourishSandbox = request.app.state.sandbox
    return sandbox


def facility_of(request: Request) -> str:
    """The facility the ``FacilityID`` header names: 400 without one, 404 for an unknown one."""
    return sandbox_of(request).facility(request.headers.get("FacilityID"))


async def json_object(request: Request) -> JSON:
    return await _app.json_object(request, lambda message: ApiError(400, message))


def one(record: JSON, status_code: int = 200) -> JSONResponse:
    return JSONResponse({"data": record}, status_code=status_code)


def page_response(request: Request, records: list[JSON], more: bool, offset: int, limit: int) -> JSONResponse:
    next_link = None
    if more:
        query = [(k, v) for k, v in request.query_params.multi_items() if k not in ("offset", "limit")]
        query += [("offset", str(offset + limit)), ("limit", str(limit))]
        next_link = request.scope.get("sandbox.original_path", request.url.path) + "?" + urlencode(query)
    return JSONResponse({"data": records, "meta": {"offset": offset, "limit": limit, "next": next_link}})


def paging(request: Request) -> tuple[int, int]:
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


def window(
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


def numeric_key(item_id: str) -> tuple[int, str]:
    return (int(item_id), item_id) if item_id.isdigit() else (1 << 62, item_id)


def bool_param(request: Request, name: str) -> bool | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    if raw.lower() not in ("true", "false"):
        raise ApiError(400, f"{name} must be true or false")
    return raw.lower() == "true"


def time_param(request: Request, name: str) -> str | None:
    """A timestamp query parameter, normalised to the stored format so strings compare in order."""
    raw = request.query_params.get(name)
    return iso_ms(parse_iso(raw, name)) if raw else None


def all_of(checks: list[Callable[[JSON], bool]]) -> Callable[[JSON], bool] | None:
    if not checks:
        return None
    return lambda record: all(check(record) for check in checks)


def field_is(field: str, wanted: object) -> Callable[[JSON], bool]:
    """Exact match; ``is`` for booleans so that 1 never passes for true."""
    if isinstance(wanted, bool):
        return lambda record: record.get(field) is wanted
    return lambda record: record.get(field) == wanted


def equals_ci(field: str, wanted: str | None) -> Callable[[JSON], bool] | None:
    if wanted is None:
        return None
    wanted = wanted.strip().lower()
    return lambda record: str(record.get(field) or "").lower() == wanted


def parse_iso(value: str, name: str, status: int = 400) -> datetime:
    """Parse an ISO 8601 date or datetime; a date alone is midnight UTC, a naive time is UTC."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except (ValueError, AttributeError):
        raise ApiError(status, f"{name} must be an ISO 8601 datetime") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def stamp_after(previous: str) -> str:
    """Now, or 1 ms after the stored timestamp ``previous`` (a record's timestamps only go up)."""
    return later_than(parse_iso(previous, "timestamp"))


def money(value: Decimal) -> float:
    return float(cents(value))


def status_stamp_key(status: str) -> str:
    return status.lower().replace(" ", "_") + "_timestamp"


def optional_str(body: JSON, name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise ApiError(422, f"{name} must be a string")
    return value


def id_value(value: object, name: str) -> str:
    """Ids may arrive as strings or integers; they are compared as strings."""
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise ApiError(422, f"{name} is required")


def optional_id(body: JSON, name: str) -> str | None:
    value = body.get(name)
    return None if value is None else id_value(value, name)


def canonical(value: object, allowed: Iterable[str], name: str = "order_status") -> str:
    if isinstance(value, str):
        for status in allowed:
            if status.lower() == value.strip().lower():
                return status
    raise ApiError(422, f"{name} must be one of: {', '.join(allowed)}")


def valid_date(value: object, name: str, *, required: bool) -> str | None:
    if value is None and not required:
        return None
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            date.fromisoformat(value)
            return value
        except ValueError:
            pass
    raise ApiError(422, f"{name} must be YYYY-MM-DD")
