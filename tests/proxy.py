"""A vendor behind a proxy that passes every call on at once and answers when the test says: the way to make an
answer late, or hold it, at the vendor's side of the wire (the call has reached the vendor and done its work)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager

import httpx2
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cannasync.cli.servers import BackgroundServer

#: Headers passed on (the rest, host and length among them, are the proxy's own to set).
PASSED = ("authorization", "content-type", "x-api-key", "facilityid")


@contextmanager
def answering_proxy(target: str, before_answer: Callable[[Request], Awaitable[None]]) -> Iterator[str]:
    """A server in front of ``target``: each call goes on at once, and its answer is returned only once
    ``before_answer(request)`` has returned. Yields the proxy's base URL (paths are passed on unchanged)."""

    async def forward(request: Request) -> Response:
        async with httpx2.AsyncClient(base_url=target, timeout=30) as client:
            answer = await client.request(
                request.method,
                request.url.path,
                params=request.query_params,
                content=await request.body(),
                headers={k: v for k, v in request.headers.items() if k.lower() in PASSED},
            )
        await before_answer(request)
        return Response(answer.content, answer.status_code, media_type=answer.headers.get("content-type"))

    proxy = BackgroundServer(Starlette(routes=[Route("/{path:path}", forward, methods=["GET", "POST"])])).start()
    try:
        yield proxy.url
    finally:
        proxy.stop()
