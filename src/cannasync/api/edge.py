"""What every request passes before a route sees it: a bounded body, and ids the database can hold.

Both guards answer the sender with a 4xx that says what to fix. Without them a 50 MB POST is read whole into
memory, and an id of 2**63 in a path reaches PostgreSQL, which refuses it with an error that would end as a 500.
"""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi import HTTPException, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_ROW_ID = 2**63 - 1  # BIGINT: the largest id a row can have on PostgreSQL (SQLite's INTEGER is the same)
DEFAULT_MAX_BODY_BYTES = 2 * 1024 * 1024  # the largest body a client of ours sends is a few kilobytes


def path_ids_in_range(request: Request) -> None:
    """A dependency of every route: a whole-number path parameter must fit a row id (a 422 naming it)."""
    problems: list[dict[str, Any]] = []
    for name, value in request.path_params.items():
        if isinstance(value, str) and value.isascii() and value.isdigit() and int(value) > MAX_ROW_ID:
            problems.append(
                {
                    "type": "less_than_equal",
                    "loc": ["path", name],
                    "msg": f"Input should be less than or equal to {MAX_ROW_ID}",
                    "input": value,
                }
            )
    if problems:
        raise RequestValidationError(problems)


class BodyTooLarge(HTTPException):
    """Raised while the body streams in. An HTTPException, so that FastAPI's body parsing (which turns any other
    error into a 400) and the app's exception handling both answer it as the 413 it is."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, _too_large(max_bytes))


def _too_large(max_bytes: int) -> str:
    return f"the request body is larger than this server accepts ({max_bytes} bytes); send less"


class BodyLimit:
    """ASGI middleware: a body over ``max_bytes`` is refused with a 413 as soon as it is known to be too large
    (at once from ``Content-Length``, else while it streams), so it is never held in memory."""

    def __init__(self, app: ASGIApp, max_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send)
            return
        seen = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        body = json.dumps({"detail": _too_large(self.max_bytes)}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})


#: The largest page offset a list accepts: far past any real list, well inside what the database can take.
MAX_OFFSET = 10_000_000


async def method_not_allowed(request: Request, error: Exception) -> Response:
    """HTTP errors as FastAPI answers them, but a 405's ``Allow`` names every method the API documents for the path:
    Starlette names only those of the first route that matched, though GET and PATCH of one path are often two."""
    assert isinstance(error, StarletteHTTPException)
    if error.status_code != 405:
        return await http_exception_handler(request, error)
    headers = dict(error.headers or {})
    documented = _documented_methods(request.app.openapi(), request.url.path)
    if documented:
        headers["Allow"] = ", ".join(documented)
    return JSONResponse({"detail": error.detail}, status_code=405, headers=headers or None)


def _documented_methods(document: dict[str, Any], path: str) -> list[str]:
    methods: set[str] = set()
    for template, operations in document.get("paths", {}).items():
        pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, path):
            methods |= {method.upper() for method in operations if method in _METHODS}
    return sorted(methods)


_METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}
