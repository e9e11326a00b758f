"""The Alleaves sandbox's own control routes that belong to no resource: health, faults and request counts."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cannasync.sandboxes._kit import faults as _faults
from cannasync.sandboxes._kit.control import control_routes
from cannasync.sandboxes._kit.faults import Fault, Faults
from cannasync.sandboxes._kit.gateway import CONTROL, RequestCounts
from cannasync.sandboxes.alleaves.errors import invalid
from cannasync.sandboxes.alleaves.wire import JSON, json_object


def parse_fault(body: JSON) -> Fault:
    """Validate a ``POST /_sandbox/faults`` body (the kinds and fields: sandboxes/_kit/faults.py)."""
    return _faults.parse_fault(body, default_prefix="/api/", invalid=invalid)


async def _health(request: Request) -> Response:
    return JSONResponse({"ok": True})


def routes(faults: Faults, counts: RequestCounts) -> list[Route]:
    return [
        Route(f"{CONTROL}/health", _health, methods=["GET"]),
        *control_routes(faults=faults, counts=counts, parse_fault=parse_fault, read_json=json_object),
    ]
