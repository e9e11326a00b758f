"""Building and serving a sandbox's ASGI app: the same Starlette set-up for every vendor."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from cannasync.sandboxes._kit.gateway import Gateway, VendorError


async def _vendor_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, VendorError)
    return exc.response()


def build_app(
    state: object,
    routes: Sequence[BaseRoute],
    *,
    gateway: dict[str, Any],
    http_error: Callable[[Request, HTTPException], Response],
) -> Starlette:
    """The sandbox ``state`` served on ``routes`` behind a :class:`Gateway` built from ``gateway`` (its keyword
    arguments). ``http_error`` words the router's own 404/405 as the vendor does. The state is
    ``app.state.sandbox``. Trailing slashes are never redirected: each vendor says which form it serves."""

    async def router_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return http_error(request, exc)

    app = Starlette(
        routes=list(routes),
        middleware=[Middleware(Gateway, **gateway)],
        exception_handlers={VendorError: _vendor_error, HTTPException: router_error},
    )
    app.router.redirect_slashes = False
    app.state.sandbox = state
    return app


async def json_object(request: Request, invalid: Callable[[str], Exception]) -> dict[str, Any]:
    """The request's body as a JSON object; ``invalid(message)`` builds the vendor's own 400."""
    try:
        body = await request.json()
    except ValueError:
        raise invalid("Request body must be valid JSON") from None
    if not isinstance(body, dict):
        raise invalid("Request body must be a JSON object")
    return body


def serve(app: Starlette, host: str, port: int, log_level: str = "info") -> None:
    """Serve a sandbox with uvicorn until interrupted (the ``cannasync sandbox <vendor>`` commands)."""
    # Idle connections outlive a client's own keep-alive expiry (httpx: 5 s), so a client never reuses one the
    # sandbox is closing at that instant; as cannasync's own server does (cli/servers.py KEEP_ALIVE_SECONDS).
    uvicorn.run(app, host=host, port=port, log_level=log_level, timeout_keep_alive=75)
