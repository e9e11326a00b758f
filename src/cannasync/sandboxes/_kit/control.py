"""The control routes every sandbox serves for tests, the demo and the benches: faults and request counts.

These are ours, not the vendor's (``/_sandbox/...``, never faulted, never authenticated). ``envelope`` wraps
answers in ``{"data": …}`` for the sandboxes whose vendor answers that way, so one client helper reads both.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cannasync.sandboxes._kit.faults import Fault, Faults
from cannasync.sandboxes._kit.gateway import CONTROL, RequestCounts


def control_routes(
    *,
    faults: Faults,
    counts: RequestCounts,
    parse_fault: Callable[[dict[str, Any]], Fault],
    read_json: Callable[[Request], Awaitable[dict[str, Any]]],
    envelope: bool = True,
) -> list[Route]:
    """``GET/POST/DELETE /_sandbox/faults`` and ``GET/DELETE /_sandbox/requests``.

    ``parse_fault`` and ``read_json`` raise the sandbox's own error, so a bad body reads as that vendor's 4xx.
    """

    def answer(value: object, status_code: int = 200) -> Response:
        return JSONResponse({"data": value} if envelope else value, status_code=status_code)

    async def list_faults(request: Request) -> Response:
        return answer(faults.describe())

    async def add_fault(request: Request) -> Response:
        fault = parse_fault(await read_json(request))
        faults.add(fault)
        return answer(asdict(fault), status_code=201)

    async def clear_faults(request: Request) -> Response:
        faults.clear()
        return Response(status_code=204)

    async def request_counts(request: Request) -> Response:
        return JSONResponse(counts.snapshot())

    async def reset_request_counts(request: Request) -> Response:
        counts.clear()
        return Response(status_code=204)

    return [
        Route(f"{CONTROL}/faults", list_faults, methods=["GET"]),
        Route(f"{CONTROL}/faults", add_fault, methods=["POST"]),
        Route(f"{CONTROL}/faults", clear_faults, methods=["DELETE"]),
        Route(f"{CONTROL}/requests", request_counts, methods=["GET"]),
        Route(f"{CONTROL}/requests", reset_request_counts, methods=["DELETE"]),
    ]
