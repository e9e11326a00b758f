"""Shared by the contract suites: one loopback server per module, a fresh sandbox app per test.

The suites call each sandbox exactly as the vendor documents a call (method, path, headers, query, body), over
real HTTP, so the gateway in front of the routes (slashes, auth, faults) is part of what is checked. Starting
uvicorn for every test would dominate the run; the slot lets each test plug in a fresh app instead.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cannasync.cli.servers import BackgroundServer
from tests.sandboxes.conftest import AppSlot  # the one slot every sandbox test server serves


@pytest.fixture(scope="module")
def slot_server() -> Iterator[tuple[str, AppSlot]]:
    slot = AppSlot()
    server = BackgroundServer(slot).start()
    try:
        yield server.url, slot
    finally:
        server.stop()
