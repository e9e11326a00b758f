"""What Flourish's gateway does before a route runs: faults, authentication, its 404s.

The kit's ``Gateway`` (``sandboxes/_kit/gateway.py``) does the work; this module gives it Flourish's
settings: which paths are the API, the guard (``auth.py``), and the wording of its errors.

Choices where Flourish's public notes are silent
------------------------------------------------
Each is a guess kept easy to change; none is confirmed by Flourish.

10. Errors: unknown route → 404 ``{"error": "Not found"}`` (under ``/external/`` authentication comes
    first, so an unauthenticated request to an unknown route is a 401); wrong method → 405; body that
    is not JSON → 400 ``{"error": "Request body must be valid JSON"}``; validation errors → 422 with a
    message that names the field.
11. Injected faults fire before authentication (they stand for the gateway in front of Flourish) and on
    ``/external/...`` paths only. ``mode`` defaults to ``status``, ``count`` to 1, ``path_prefix`` to
    ``/external/`` and ``method`` to any; the first matching fault that fires takes the request. ``Retry-After`` is sent
    whenever the fault has ``retry_after``, whatever the status. The status control route answers 422
    for an unknown status name and 409 for a move the machine does not allow.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Scope

from cannasync.sandboxes._kit import faults as _faults
from cannasync.sandboxes._kit.faults import Fault
from cannasync.sandboxes._kit.gateway import Guard, VendorRoute
from cannasync.sandboxes.flourish.auth import AuthMixin
from cannasync.sandboxes.flourish.wire import JSON, ApiError


def parse_fault(body: JSON) -> Fault:
    """Validate a ``POST /_sandbox/faults`` body (the kinds and fields: sandboxes/_kit/faults.py)."""
    return _faults.parse_fault(body, default_prefix="/external/", invalid=lambda message: ApiError(422, message))


class SlashFaults(_faults.Faults):
    """The kit's fault list, matched as Flourish's gateway sees a path: with its trailing slash.

    Both forms of a path are served, so a fault on ``/external/api/v1/items/`` must also strike a request for
    ``/external/api/v1/items``: the path is offered with a trailing slash as well as as sent.
    """

    def take(self, method: str, *paths: str) -> Fault | None:
        return super().take(method, *paths, *(path.rstrip("/") + "/" for path in paths))


def is_api(path: str) -> bool:
    """Faults and authentication apply under ``/external/`` only (choice 11)."""
    return path.startswith("/external/")


def http_error(request: Request, exc: HTTPException) -> Response:
    message = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, str(exc.detail))
    return JSONResponse({"error": message}, status_code=exc.status_code, headers=exc.headers)


def guard(state: AuthMixin) -> Guard:
    """Every ``/external/`` request is authenticated, a route or not: an unauthenticated request to an unknown
    route is a 401."""

    def check(scope: Scope, route: VendorRoute | None) -> Scope:
        headers = Headers(scope=scope)
        state.authenticate(headers.get("x-api-key"), headers.get("authorization"))
        return scope

    return check


def refuse(status: int, headers: dict[str, str]) -> Response:
    """An injected ``status`` fault, answered as Flourish words its errors."""
    return ApiError(status, "Injected fault", headers).response()
