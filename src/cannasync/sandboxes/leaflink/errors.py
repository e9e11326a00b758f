"""LeafLink's errors (Django REST Framework's shapes) and reading request bodies.

* Validation errors are 400 with DRF's shape ``{"<field>": ["<message>"]}``; a body that is not JSON is
  400 ``{"detail": "JSON parse error - ..."}``; unknown and read-only fields in a body are ignored.
* Error bodies are DRF's (choice 2, ``orders.py``); the control routes answer ``{"detail"}`` with 404,
  409 or 422 (``control.py``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from cannasync.sandboxes._kit.gateway import VendorError

JSON = dict[str, Any]


class ApiError(VendorError):
    """An error answered with ``body`` (DRF style) and ``status``."""

    def __init__(self, status: int, body: JSON, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(json.dumps(body))
        self.status = status
        self.body = body
        self.headers = dict(headers or {})

    def response(self) -> JSONResponse:
        return JSONResponse(self.body, status_code=self.status, headers=self.headers)


def detail(status: int, message: str, headers: Mapping[str, str] | None = None) -> ApiError:
    return ApiError(status, {"detail": message}, headers)


def invalid(field: str, message: str) -> ApiError:
    return ApiError(400, {field: [message]})


def not_found() -> ApiError:
    return detail(404, "Not found.")


async def json_object(request: Request) -> JSON:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError as error:
        raise detail(400, f"JSON parse error - {error}") from None
    if not isinstance(body, dict):
        raise ApiError(
            400, {"non_field_errors": [f"Invalid data. Expected a dictionary, but got {type(body).__name__}."]}
        )
    return body


async def control_body(request: Request) -> JSON:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        raise detail(422, "Request body must be valid JSON") from None
    if not isinstance(body, dict):
        raise detail(422, "Request body must be a JSON object")
    return body
