"""How the Alleaves sandbox words its errors: ``{"error": {"code", "message"}}`` with the status."""

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
