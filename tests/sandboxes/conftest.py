"""One server set-up for every sandbox's tests: a real uvicorn on a loopback port per module, serving whichever
app the current test plugged in (starting uvicorn costs more than most of these tests do).

A vendor's test module asks for ``slot_server`` (one slot) or ``slot_servers`` (a factory for more, e.g. a
receiver of the sandbox's webhooks) and plugs a fresh app into the slot in its own ``start`` fixture.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass

import pytest
from starlette.types import ASGIApp, Receive, Scope, Send

from cannasync.cli.servers import BackgroundServer


class AppSlot:
    """An ASGI app forwarding to whichever app the current test plugged in."""

    def __init__(self) -> None:
        self.app: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self.app is not None, "no app plugged in"
        await self.app(scope, receive, send)


@dataclass
class SlotServer:
    """A running server (``url``) and the slot it serves; ``plug(app)`` serves ``app`` from now on."""

    url: str
    slot: AppSlot

    def plug(self, app: ASGIApp | None) -> None:
        self.slot.app = app


@pytest.fixture(scope="module")
def slot_servers() -> Iterator[Callable[[], SlotServer]]:
    """A factory of slot servers, all stopped at the end of the module."""
    with ExitStack() as stack:

        def new() -> SlotServer:
            slot = AppSlot()
            server = stack.enter_context(BackgroundServer(slot))
            return SlotServer(server.url, slot)

        yield new


@pytest.fixture(scope="module")
def slot_server(slot_servers: Callable[[], SlotServer]) -> SlotServer:
    """The module's one server; the app plugged in is unplugged after each test by the module's ``start``."""
    return slot_servers()
