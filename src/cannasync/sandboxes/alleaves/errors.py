"""How the Alleaves sandbox words its errors.

Every error is ``{"error": {"code": "<snake_case>", "message": "<a sentence naming what to fix>"}}``:

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

Choice 7 (beyond the facts; easy to change; not confirmed by Alleaves): an unknown route is a 404
``not_found`` and a known path with the wrong method a 405 ``method_not_allowed``, whatever the token
(authentication is not checked first).
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from cannasync.sandboxes._kit.gateway import VendorError


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


def invalid(message: str) -> ApiError:
    """A field that is missing or wrong: 422 ``validation_error``, the message naming the field."""
    return ApiError(422, "validation_error", message)


def refuse(status: int, headers: dict[str, str]) -> Response:
    """The answer to an injected ``status`` fault."""
    return ApiError(status, "injected_fault", "Injected fault", headers).response()


def http_error(request: Request, exc: HTTPException) -> Response:
    """The router's own 404 and 405, worded as Alleaves words them."""
    if exc.status_code == 404:
        error = ApiError(404, "not_found", f"No route {request.method} {request.url.path}")
    elif exc.status_code == 405:
        error = ApiError(405, "method_not_allowed", f"{request.method} is not allowed on {request.url.path}")
    else:
        error = ApiError(exc.status_code, "http_error", str(exc.detail))
    error.headers.update(exc.headers or {})
    return error.response()
