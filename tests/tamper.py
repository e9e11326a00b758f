"""A vendor that answers badly on cue: an ASGI layer in front of a real sandbox, served over real HTTP.

The sandbox keeps being the vendor (its data, its paging, its control routes); a rule picks some of its answers
and replaces them: with a body of our own (an empty page, ``{}``, broken JSON), with the real answer rewritten
(records damaged, ``next`` that never ends), with a body drip-fed a byte at a time, or with one far too large.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Message, Receive, Scope, Send

Rewrite = Callable[[Any, dict[str, list[str]]], Any]


@dataclass
class Rule:
    path: str  # matched exactly, with or without its trailing slash
    after: int = 0  # matching requests let through untouched first
    count: int = 1_000_000  # how many times it fires
    body: bytes | None = None  # answer 200 with exactly these bytes
    rewrite: Rewrite | None = None  # the real answer's JSON -> what to answer instead (bytes or JSON)
    drip_seconds: float | None = None  # answer a valid-looking body one byte per this many seconds, for ever
    huge_mb: int | None = None  # answer a well-formed page of this many megabytes, in chunks
    seen: int = field(default=0)


class Tamper:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._rules: list[Rule] = []
        self._lock = threading.Lock()
        self.fired = 0

    def on(self, path: str, **how: Any) -> Rule:
        rule = Rule(path, **how)
        with self._lock:
            self._rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def _take(self, scope: Scope) -> Rule | None:
        if scope["type"] != "http" or scope["method"] != "GET":
            return None
        with self._lock:
            for rule in self._rules:
                if scope["path"].rstrip("/") != rule.path.rstrip("/"):
                    continue
                rule.seen += 1
                if rule.seen <= rule.after or rule.count <= 0:
                    continue
                rule.count -= 1
                self.fired += 1
                return rule
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        rule = self._take(scope)
        if rule is None:
            await self.app(scope, receive, send)
        elif rule.body is not None:
            await _answer(send, rule.body)
        elif rule.rewrite is not None:
            await self._rewritten(rule.rewrite, scope, receive, send)
        elif rule.drip_seconds is not None:
            await _drip(send, receive, rule.drip_seconds)
        else:
            assert rule.huge_mb is not None
            await _huge(send, receive, rule.huge_mb)

    async def _rewritten(self, rewrite: Rewrite, scope: Scope, receive: Receive, send: Send) -> None:
        held: list[Message] = []

        async def hold(message: Message) -> None:
            held.append(message)

        await self.app(scope, receive, hold)
        raw = b"".join(m.get("body", b"") for m in held if m["type"] == "http.response.body")
        query = parse_qs(scope.get("query_string", b"").decode())
        changed = rewrite(json.loads(raw), query)
        await _answer(send, changed if isinstance(changed, bytes) else json.dumps(changed).encode())


async def _answer(send: Send, body: bytes) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _disconnected(receive: Receive, wait: float) -> bool:
    try:
        message = await asyncio.wait_for(receive(), timeout=wait)
    except TimeoutError:
        return False
    return bool(message["type"] == "http.disconnect")


async def _drip(send: Send, receive: Receive, every: float) -> None:
    """A 200 whose body comes a byte at a time and never ends (until the client gives up, or 5 minutes)."""
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    body = b'{"data": [' + b" " * 100_000
    for byte in body[: int(300 / every)]:
        await send({"type": "http.response.body", "body": bytes([byte]), "more_body": True})
        if await _disconnected(receive, every):
            return
    await send({"type": "http.response.body", "body": b"]}"})


async def _huge(send: Send, receive: Receive, megabytes: int) -> None:
    """A well-formed page of ``megabytes`` MB, sent in 256 kB chunks with no length given."""
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    record = json.dumps({"id": "x", "name": "y" * 1000}).encode()
    chunk = b",".join([record] * 256)
    await send({"type": "http.response.body", "body": b'{"data": [' + chunk, "more_body": True})
    for _ in range(megabytes * 4):
        await send({"type": "http.response.body", "body": b"," + chunk, "more_body": True})
        if await _disconnected(receive, 0.01):  # the client refused it: stop writing to a closed socket
            return
    await send({"type": "http.response.body", "body": b'], "meta": {"next": null}}'})
