"""A correlation id per request, carried from the request to the jobs it queues and the vendor calls they make.

The id comes from the caller's ``X-Correlation-ID`` (or ``X-Request-ID``, as proxies set it) when it is short and
plain, or is made here. It is bound as the structlog context variable ``correlation_id`` for the whole request, so
every log line written on its behalf carries it (``configure_logging`` merges context variables), including lines
from sync endpoints (Starlette copies the context into its thread pool) and from jobs (the task carries it). It is
sent back in the response's ``X-Correlation-ID``, and one access line is logged per request.

Pure ASGI rather than ``BaseHTTPMiddleware``, which runs the app in another task and would lose the binding.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import structlog
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = structlog.get_logger(__name__)

HEADER = "X-Correlation-ID"
_INCOMING = ("x-correlation-id", "x-request-id")
#: What we accept from a caller: short, and nothing a log reader or a header could be tricked by.
_SAFE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
#: Probes that would drown the access log: logged at debug only.
_QUIET = frozenset({"/healthz", "/readyz", "/metrics"})
#: Path parameters that are secrets (the per-integration postback URL): never logged.
_SECRET_PARAMS = ("token", "secret", "key")


def correlation_id_from(headers: Headers) -> str:
    """The caller's id if it is safe to log and echo, else a new one."""
    for name in _INCOMING:
        value = headers.get(name, "").strip()
        if value and _SAFE.fullmatch(value):
            return value
    return uuid.uuid4().hex


def loggable_path(scope: Scope) -> str:
    """The request's path with secret path parameters masked; never the query string (it may carry keys)."""
    path = str(scope.get("path", ""))
    params: dict[str, Any] = scope.get("path_params") or {}
    for name, value in params.items():
        if any(word in name.lower() for word in _SECRET_PARAMS) and str(value):
            path = path.replace(str(value), "***")
    return path


class CorrelationMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        correlation_id = correlation_id_from(Headers(scope=scope))
        tokens = structlog.contextvars.bind_contextvars(correlation_id=correlation_id)
        started = time.perf_counter()
        status = 500  # what the client gets if the app raises before answering

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                MutableHeaders(scope=message)[HEADER] = correlation_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            fields = {
                "method": scope.get("method", ""),
                "path": loggable_path(scope),
                "status": status,
                "ms": round((time.perf_counter() - started) * 1000, 1),
            }
            if scope.get("path") in _QUIET:
                log.debug("request", **fields)
            else:
                log.info("request", **fields)
            structlog.contextvars.reset_contextvars(**tokens)
