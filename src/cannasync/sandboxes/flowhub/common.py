"""What the Flowhub sandbox's modules share: its error answer, and reading the values its requests carry.

Every error is answered as ``{"errors": [message]}`` with its status; each message is worded beside the check
that raises it. A body that is not JSON is a 400 ``{"errors": ["Request body must be valid JSON"]}`` (choice 12,
``app.py``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cannasync.sandboxes._kit import app as _app
from cannasync.sandboxes._kit.gateway import VendorError, VendorRoute
from cannasync.sandboxes._kit.values import later_than

JSON = dict[str, Any]
Endpoint = Callable[[Request], Any]


class ApiError(VendorError):
    """An error answered as ``{"errors": [message]}`` with ``status``."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})

    def response(self) -> JSONResponse:
        return JSONResponse({"errors": [self.message]}, status_code=self.status, headers=self.headers)


def route(method: str, path: str, endpoint: Endpoint, auth: str) -> VendorRoute:
    """A counted route keyed ``"<METHOD> <template>"`` (choice 14, ``app.py``) and the authentication it needs:
    ``none``, ``api`` (clientId/key), ``order_ahead`` (the bearer) or ``either`` (``auth.py``)."""
    return VendorRoute(Route(path, endpoint, methods=[method]), f"{method} {path}", auth)


async def json_object(request: Request) -> JSON:
    return await _app.json_object(request, lambda message: ApiError(400, message))


def data(record: object, status_code: int = 200) -> JSONResponse:
    """The ``{"data": …}`` answer of the control routes."""
    return JSONResponse({"data": record}, status_code=status_code)


def raw_json(payload: bytes) -> Response:
    return Response(payload, media_type="application/json")


def dumps(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def parse_iso(value: object, name: str, status: int = 422) -> datetime:
    """Parse an ISO 8601 date or datetime; a naive one is taken as UTC."""
    if not isinstance(value, str):
        raise ApiError(status, f"{name} must be an ISO 8601 timestamp")
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ApiError(status, f"{name} must be an ISO 8601 timestamp") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def later_than_stored(previous: str) -> str:
    """Now, or 1 ms after the stored timestamp ``previous`` if the clock has not moved past it."""
    return later_than(parse_iso(previous, "timestamp"))


def is_date(value: object) -> bool:
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def page_number(value: str | None, name: str, most: int, default: int) -> int:
    if value is None:
        return default
    if not value.isdigit() or not 1 <= int(value) <= most:
        raise ApiError(400, f"{name} must be a whole number from 1 to {most}")
    return int(value)


def flag(value: str | None, name: str) -> bool:
    """A ``true``/``false`` query value (absent: false)."""
    if value is None or value.lower() == "false":
        return False
    if value.lower() == "true":
        return True
    raise ApiError(400, f"{name} must be true or false")


def optional_str(body: JSON, name: str, where: str = "") -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise ApiError(422, f"{where}{name} must be a string")
    return value


def required_str(body: JSON, name: str, where: str = "") -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ApiError(422, f"{where}{name} is required")
    return value.strip()
