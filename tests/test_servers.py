"""The hub's server keeps an idle connection longer than a client does, so a client never reuses one that the
server is closing at that instant (seen on a loaded machine as "Server disconnected without sending a response")."""

from __future__ import annotations

import time

import httpx2
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from cannasync.cli.servers import KEEP_ALIVE_SECONDS, BackgroundServer


async def whoami(request: Request) -> JSONResponse:
    assert request.client is not None
    return JSONResponse({"port": request.client.port})


def test_an_idle_connection_outlives_the_clients_own_keep_alive() -> None:
    # httpx's default expiry is 5 s; this client keeps its connection a little longer, as other clients do.
    idle = 5.5
    limits = httpx2.Limits(keepalive_expiry=KEEP_ALIVE_SECONDS - 1)
    with BackgroundServer(Starlette(routes=[Route("/", whoami)])) as server, httpx2.Client(limits=limits) as client:
        first = client.get(server.url).json()["port"]
        time.sleep(idle)  # the idle time is what is under test
        second = client.get(server.url)
        assert second.status_code == 200
        # The same connection answered: the server had not closed it (uvicorn's default closes it after 5 s).
        assert second.json()["port"] == first
