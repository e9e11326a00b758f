"""LeafLink's webhooks: signing, and delivery in order from one background thread, each attempt logged.

Payload schemas are not published; ours: POST of ``{"event": "order.created" | "order.updated" |
"product.created" | "product.updated", "event_id": "evt-000001", "company_id": 1, "sent_at": <timestamp>,
"data": <the order with line_items, or the product>}`` to the company's webhook URL, with
``Content-Type: application/json`` and ``LL-Signature: base64(HMAC-SHA256(webhook key, raw body))``. Sent
in order from one background thread, never retried; every attempt is logged (``sandbox.webhook_log``,
``GET /_sandbox/webhooks``) as ``{"event_id", "event", "company_id", "url", "body", "signature",
"status_code", "error", "sent_at"}``. Fired by every change, **including writes made through the API**
(LeafLink does; a client must recognise its own echoes): order created (API, buyer, combine), order
updated (PATCH, transition, line-item changes, buyer edits, cancel, combine, seller moves), product
created (API) and updated (PATCH, seller edits). A change of ``reserved_qty`` caused by an order does
not fire a product webhook nor move the product's ``modified``. Seeded records fire nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx2

JSON = dict[str, Any]

WEBHOOK_TIMEOUT = 5.0


def sign(key: str, body: bytes) -> str:
    """``LL-Signature``: base64 of HMAC-SHA256 of the raw body with the company's webhook key."""
    return base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()


@dataclass
class Delivery:
    entry: JSON
    url: str
    raw: bytes


def _deliver(delivery: Delivery) -> JSON:
    entry = dict(delivery.entry)
    try:
        with httpx2.Client(timeout=WEBHOOK_TIMEOUT, trust_env=False) as client:
            response = client.post(
                delivery.url,
                content=delivery.raw,
                headers={
                    "Content-Type": "application/json",
                    "LL-Signature": entry["signature"],
                    "User-Agent": "leaflink-sandbox-webhooks",
                },
            )
        entry["status_code"] = response.status_code
    except Exception as error:  # the worker must survive anything a receiver does
        entry["error"] = f"{type(error).__name__}: {error}"
    return entry


class WebhookSender:
    """Delivers webhooks in order from one background thread, started on demand and ended when idle."""

    def __init__(self, record: Callable[[JSON], None]) -> None:
        self._record = record
        self._condition = threading.Condition()
        self._queue: deque[Delivery] = deque()
        self._busy = False

    def send(self, delivery: Delivery) -> None:
        with self._condition:
            self._queue.append(delivery)
            if not self._busy:
                self._busy = True
                threading.Thread(target=self._run, name="leaflink-webhooks", daemon=True).start()

    def _run(self) -> None:
        while True:
            with self._condition:
                if not self._queue:
                    self._busy = False
                    self._condition.notify_all()
                    return
                delivery = self._queue.popleft()
            self._record(_deliver(delivery))

    def wait_idle(self, timeout: float) -> bool:
        with self._condition:
            return self._condition.wait_for(lambda: not self._busy, timeout)


class Outbox:
    """The webhooks queued and attempted so far. ``queue`` is called with ``lock`` held (the sandbox's lock,
    which also guards the log), so event ids follow the order of the changes that fire them."""

    def __init__(self, lock: threading.Lock) -> None:
        self.lock = lock
        self._log: list[JSON] = []
        self._next_event = 1
        self._sender = WebhookSender(self._record)

    def queue(self, url: str, key: str, company_id: int, event: str, sent_at: str, data: JSON) -> None:
        """Sign and queue one event for ``url`` (lock held)."""
        event_id = f"evt-{self._next_event:06d}"
        self._next_event += 1
        body = {"event": event, "event_id": event_id, "company_id": company_id, "sent_at": sent_at, "data": data}
        raw = json.dumps(body).encode()
        signature = sign(key, raw)
        entry: JSON = {
            "event_id": event_id,
            "event": event,
            "company_id": company_id,
            "url": url,
            "body": body,
            "signature": signature,
            "status_code": None,
            "error": None,
            "sent_at": sent_at,
        }
        self._sender.send(Delivery(entry, url, raw))

    def _record(self, entry: JSON) -> None:
        with self.lock:
            self._log.append(entry)

    def log(self) -> list[JSON]:
        with self.lock:
            return list(self._log)

    def clear(self) -> None:
        with self.lock:
            self._log.clear()

    def wait(self, timeout: float) -> bool:
        return self._sender.wait_idle(timeout)
