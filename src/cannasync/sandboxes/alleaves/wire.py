"""The Alleaves wire conventions every resource shares: transport, request bodies, timestamps, paging, answers.

Transport
---------
* Base path ``/api/v1`` (the server root stands for the Alleaves host). JSON request and response bodies
  (UTF-8). Paths are served exactly as written: a trailing-slash variant is a 404, never a redirect.
* Timestamps are ISO 8601; the API writes UTC with milliseconds and ``Z`` (``2025-06-01T12:00:00.000Z``)
  and reads any ISO 8601 date-time (one without an offset is taken as UTC). Dates are ``YYYY-MM-DD``.
  Money is a JSON number of dollars (at most two decimals). Ids are strings.
* Errors: ``errors.py`` (a body that is not JSON, or not an object, is a 400 there).

Paging
------
List routes (items, patients, orders) take ``page`` (1-based, default 1) and ``per_page`` (default 50, at
most 100). A value that is not a plain integer, is below 1, or a ``per_page`` above 100 is a 400
``invalid_paging``. The envelope is ``{"data": [...], "pagination": {"page", "per_page", "total",
"total_pages"}}`` where ``total`` counts every match and ``total_pages`` is ``ceil(total / per_page)``
(0 when nothing matches); a page past the last is an empty ``data`` with the same ``pagination``. A single
record is ``{"data": {...}}``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cannasync.sandboxes._kit.gateway import VendorRoute
from cannasync.sandboxes._kit.values import later_than
from cannasync.sandboxes.alleaves.errors import ApiError, invalid

JSON = dict[str, Any]

API = "/api/v1"
DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 100
#: The guard's tag for the routes anyone may call (the auth routes and image downloads).
PUBLIC = "public"


def route(
    method: str, path: str, endpoint: Callable[[Request], Awaitable[Response]], *, public: bool = False
) -> VendorRoute:
    """A counted vendor route, keyed ``"<METHOD> <template>"``; it needs a bearer token unless ``public``."""
    return VendorRoute(Route(path, endpoint, methods=[method]), f"{method} {path}", PUBLIC if public else "required")


# --------------------------------------------------------------------------------------------------
# Values


def parse_iso(value: object) -> datetime | None:
    """An ISO 8601 date-time (naive means UTC), or None if ``value`` is not one."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def later(previous: object) -> str:
    """Now, or 1 ms after the stored timestamp ``previous`` (a record's timestamps only go up)."""
    return later_than(parse_iso(previous))


def is_date(value: object) -> bool:
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def decimal(value: int | float) -> Decimal:
    return Decimal(str(value))


def dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# --------------------------------------------------------------------------------------------------
# Request bodies


async def json_object(request: Request) -> JSON:
    try:
        body = await request.json()
    except ValueError:
        raise ApiError(400, "invalid_json", "The request body must be valid JSON") from None
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_body", "The request body must be a JSON object")
    return body


def optional_str(body: JSON, name: str, where: str = "") -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise invalid(f"{where}{name} must be a string")
    return value


def required_str(body: JSON, name: str, where: str = "", hint: str = "") -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise invalid(f"{where}{name} is required{hint}")
    return value.strip()


# --------------------------------------------------------------------------------------------------
# Paging and answers


def paging(request: Request) -> tuple[int, int]:
    """``page`` and ``per_page`` of a list route (400 ``invalid_paging`` naming a bad one)."""

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


def pagination(page: int, per_page: int, total: int) -> JSON:
    return {"page": page, "per_page": per_page, "total": total, "total_pages": math.ceil(total / per_page)}


def page_response(records: list[JSON], page: int, per_page: int) -> JSONResponse:
    window = records[(page - 1) * per_page : page * per_page]
    return JSONResponse({"data": window, "pagination": pagination(page, per_page, len(records))})


def data(record: object, status_code: int = 200) -> JSONResponse:
    return JSONResponse({"data": record}, status_code=status_code)


def json_text(payload: str) -> Response:
    """An answer already serialised (the item listings, built from cached fragments)."""
    return Response(payload.encode(), media_type="application/json")


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")
