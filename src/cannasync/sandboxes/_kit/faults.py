"""Injected faults, shared by the Flourish, Flowhub and Alleaves sandboxes (they stand for the network and the
gateway in front of the vendor, which fail the same way whoever the vendor is).

A fault body (``POST /_sandbox/faults``): ``method`` (any by default), ``path_prefix`` (the sandbox's API root by
default), ``mode``, ``count`` (how many times it fires, default 1), ``after`` (matching requests let through before
it starts), and how often it fires among the matching requests: ``every`` N-th (default 1: each one) or ``rate``
(a probability, drawn from a ``random.Random(seed)`` so that a run is the same every time). A request that a fault
lets through is offered to the next fault in the list, so several steady faults can be mixed on one path.

Modes:

* ``status`` answers ``status`` (400-599) before authentication, with ``Retry-After: <retry_after>`` when given
  (a 429 with and without it are both real: gateways often send none).
* ``delay`` waits ``delay_seconds`` and then answers normally: a slow answer.
* ``timeout_after_commit`` does the work, then holds the answer back ``delay_seconds``: a client that times out
  has had its write applied all the same.
* ``reset`` drops the connection with a TCP reset before doing anything; ``reset_after_commit`` does the work
  (a write is applied) and resets instead of answering.
* ``truncate`` does the work, sends the status and headers (a ``Content-Length`` of the whole body) and half of
  the body, then closes the connection: the answer breaks off mid-body.
"""

from __future__ import annotations

import asyncio
import random
import socket
import struct
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MODES = ("status", "delay", "timeout_after_commit", "reset", "reset_after_commit", "truncate")
#: Modes that let the request through to the sandbox first (the vendor commits), then break the answer.
AFTER_COMMIT = ("timeout_after_commit", "reset_after_commit", "truncate")


@dataclass
class Fault:
    """One injected fault; ``remaining`` counts down each time it fires."""

    mode: str
    method: str | None
    path_prefix: str
    status: int | None
    retry_after: str | None
    delay_seconds: float
    remaining: int
    #: Matching requests to let through before the fault starts firing (to break a read mid-way).
    after: int = 0
    every: int = 1
    rate: float | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        self._seen = 0
        self._draws = random.Random(self.seed)

    def matches(self, method: str, *paths: str) -> bool:
        if self.method is not None and self.method != method:
            return False
        return any(path.startswith(self.path_prefix) for path in paths)

    def fires(self) -> bool:
        """Whether this matching request is one the fault takes (call only for matching requests)."""
        if self.after > 0:
            self.after -= 1
            return False
        self._seen += 1
        if self.rate is not None:
            return self._draws.random() < self.rate
        return self._seen % self.every == 0


def _integer(body: dict[str, Any], name: str, default: int, least: int, invalid: Callable[[str], Exception]) -> int:
    value = body.get(name, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < least:
        raise invalid(f"{name} must be an integer >= {least}")
    return value


def parse_fault(body: dict[str, Any], *, default_prefix: str, invalid: Callable[[str], Exception]) -> Fault:
    """Validate a ``POST /_sandbox/faults`` body; ``invalid(message)`` builds the sandbox's own 422."""
    mode = body.get("mode", "status")
    if mode not in MODES:
        raise invalid(f"mode must be one of: {', '.join(MODES)}")
    method = body.get("method")
    if method is not None and not isinstance(method, str):
        raise invalid("method must be a string")
    prefix = body.get("path_prefix", default_prefix)
    if not isinstance(prefix, str) or not prefix.startswith("/"):
        raise invalid("path_prefix must be a path starting with /")
    count = _integer(body, "count", 1, 1, invalid)
    status = body.get("status")
    if mode == "status" and (not isinstance(status, int) or isinstance(status, bool) or not 400 <= status <= 599):
        raise invalid("status must be an HTTP error status (400-599)")
    delay = body.get("delay_seconds", 0)
    if not isinstance(delay, int | float) or isinstance(delay, bool) or delay < 0:
        raise invalid("delay_seconds must be a number > 0")
    if mode in ("delay", "timeout_after_commit") and delay == 0:
        raise invalid("delay_seconds must be a number > 0")
    rate = body.get("rate")
    if rate is not None and (not isinstance(rate, int | float) or isinstance(rate, bool) or not 0 < rate <= 1):
        raise invalid("rate must be a number above 0 and at most 1")
    retry_after = body.get("retry_after")
    return Fault(
        mode=mode,
        method=method.upper() if method else None,
        path_prefix=prefix,
        status=status if mode == "status" else None,
        retry_after=None if retry_after is None else str(retry_after),
        delay_seconds=float(delay),
        remaining=count,
        after=_integer(body, "after", 0, 0, invalid),
        every=_integer(body, "every", 1, 1, invalid),
        rate=None if rate is None else float(rate),
        seed=_integer(body, "seed", 0, 0, invalid),
    )


class Faults:
    """The sandbox's list of faults; the first matching fault that fires takes the request."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def describe(self) -> list[dict[str, Any]]:
        with self._lock:
            return [asdict(fault) for fault in self._faults]

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, method: str, *paths: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, *paths) and fault.fires():
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    return fault
            return None


async def before(
    fault: Fault | None, scope: Scope, receive: Receive, send: Send, refuse: Callable[[int, dict[str, str]], Response]
) -> bool:
    """The faults that strike before the vendor sees the request; True when the request was answered (or dropped).

    ``refuse(status, headers)`` builds the vendor's own error answer for a ``status`` fault.
    """
    if fault is None:
        return False
    if fault.mode == "status":
        assert fault.status is not None
        headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
        await refuse(fault.status, headers)(scope, receive, send)
        return True
    if fault.mode == "delay":
        await asyncio.sleep(fault.delay_seconds)
    if fault.mode == "reset":
        await _drop(receive, reset=True)
        return True
    return False


async def deliver(fault: Fault | None, app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    """Run the request through the sandbox, then break its answer as an after-commit fault says."""
    if fault is None or fault.mode not in AFTER_COMMIT:
        await app(scope, receive, send)
        return
    held: list[Message] = []

    async def hold(message: Message) -> None:
        held.append(message)

    await app(scope, receive, hold)  # the vendor does the work: a write is committed from here on
    if fault.mode == "timeout_after_commit":
        await asyncio.sleep(fault.delay_seconds)
        for message in held:
            await send(message)
    elif fault.mode == "reset_after_commit":
        await _drop(receive, reset=True)
    else:  # truncate: the status line, the headers with the full length, half the body, then the end
        body = b"".join(m.get("body", b"") for m in held if m["type"] == "http.response.body")
        await send(held[0])
        await send({"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True})
        await _drop(receive, reset=False)


async def _drop(receive: Receive, *, reset: bool) -> None:
    """Close the client's connection mid-exchange: a TCP reset (RST), or a plain close (FIN) after a partial answer.

    ASGI has no message for this, so it reaches uvicorn's transport through ``receive`` (a bound method of uvicorn's
    request cycle in both its HTTP implementations, which Starlette's middleware passes on unwrapped, unlike
    ``send``). The short sleep lets uvicorn see the connection lost, so it
    does not try to answer a 500 on it afterwards.
    """
    transport = getattr(getattr(receive, "__self__", None), "transport", None)
    if transport is None:  # not served by uvicorn: the nearest thing ASGI offers is failing the request
        raise ConnectionResetError("injected fault: connection dropped")
    if reset:
        sock = transport.get_extra_info("socket")
        if sock is not None:  # SO_LINGER with a zero timeout makes close() send RST instead of FIN
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    else:
        transport.close()
    await asyncio.sleep(0.01)


def steady_mix(create_path: str, api_root: str, *, seed: int, slow: float = 1.0) -> list[dict[str, Any]]:
    """Fault bodies for every kind at a steady, seeded rate: on every read, and on the order create.

    Writes: a timeout after the vendor committed (``slow`` seconds, for a client whose timeout is shorter), a reset
    before and one after the commit, an answer cut mid-body, a 5xx, and a 429 with and without Retry-After. Reads:
    a 5xx, both 429s, a reset, a cut answer and a slow answer. Each fires "for ever" (a count of a million).
    """
    many = 1_000_000
    writes: list[dict[str, Any]] = [
        {"mode": "timeout_after_commit", "delay_seconds": slow, "rate": 0.10},
        {"mode": "reset_after_commit", "rate": 0.06},
        {"mode": "reset", "rate": 0.04},
        {"mode": "truncate", "rate": 0.06},
        {"status": 502, "rate": 0.04},
        {"status": 429, "retry_after": "1", "rate": 0.03},
        {"status": 429, "rate": 0.04},
    ]
    reads: list[dict[str, Any]] = [
        {"status": 503, "rate": 0.03},
        {"status": 429, "retry_after": "1", "rate": 0.01},
        {"status": 429, "rate": 0.02},
        {"mode": "reset", "rate": 0.02},
        {"mode": "truncate", "rate": 0.02},
        {"mode": "delay", "delay_seconds": 0.1, "rate": 0.03},
    ]
    return [
        *(
            {"method": "POST", "path_prefix": create_path, "count": many, "seed": seed + n, **f}
            for n, f in enumerate(writes)
        ),
        *(
            {"method": "GET", "path_prefix": api_root, "count": many, "seed": seed + 100 + n, **f}
            for n, f in enumerate(reads)
        ),
    ]
