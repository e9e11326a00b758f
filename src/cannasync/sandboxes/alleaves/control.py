"""The Alleaves sandbox's control routes: no auth, under ``/_sandbox/``, never rate-limited; the hub never calls
them. This module serves those that belong to no resource (health, faults, request counts); the others are
served beside the resource they change:

* ``GET health`` (here).
* ``POST items/{item_id}/quantity`` ``{"area_id", "quantity", "location_id"?}`` (location defaults to
  ALV-1001; sets one area's quantity, bumps ``updated_at``); ``PATCH items/{item_id}`` (top-level fields
  merged, so ``pricing``, ``chemical_profile`` and ``images`` are replaced wholesale; bumps ``updated_at``
  unless given); ``DELETE items/{item_id}``; ``GET images/{item_id}/{n}.png``: ``items.py``.
* ``POST locations/{location_id}/threshold`` ``{"low_quantity_threshold": n}``: ``locations.py``.
* ``POST orders/{order_id}/status`` ``{"status"}`` (409 ``invalid_transition``, 422 ``unknown_status``) and
  ``GET orders`` (all, full records): ``orders.py``; ``GET patients`` (all, full records): ``patients.py``.
* ``POST tokens/expire`` (every access token issued so far now answers ``token_expired``): ``auth.py``.
* ``GET|POST rate-limit`` ``{"per_minute": n}`` (null disables): ``guard.py``.
* ``GET|POST|DELETE faults``; ``GET|DELETE requests`` (the counts: ``app.py``, choice 8): here, from the kit
  (``sandboxes/_kit/control.py``).

Faults: ``{"method", "path_prefix", "status", "count", "retry_after"}`` answers the status with
``{"error": {"code": "injected_fault", ...}}`` (``after`` lets that many matching requests through first, to
break a sequence mid-way); ``{"mode": "delay", "delay_seconds"}`` waits before processing;
``{"mode": "timeout_after_commit", "delay_seconds"}`` processes the request fully, then holds the response
back, so a client can time out after Alleaves really committed.
Also, shared by the POS sandboxes (``sandboxes/_kit/faults.py``): ``every`` N-th or a seeded ``rate`` of
matching requests, and the modes ``reset``, ``reset_after_commit`` and ``truncate``.

Choice 6 (beyond the facts; easy to change; not confirmed by Alleaves): injected faults fire before
authentication and the rate limit (they stand for the gateway in front of Alleaves) and only on paths outside
``/_sandbox/``. ``mode`` defaults to ``status``, ``count`` to 1, ``path_prefix`` to ``/api/`` and ``method`` to
any; the first matching fault that fires takes the request. ``Retry-After`` is sent only when the fault has
``retry_after``.
"""

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
