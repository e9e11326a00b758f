"""Order Ahead postbacks: the status changes Flowhub POSTs to an order's ``postbackUrl``.

What it reproduces (yerba-buena/flowhub-client-ts src/resources/order-ahead.ts): postbacks to ``postbackUrl``
on every status change, and ``POST /orderPostback/{orderId}`` asking for the current status again
(``orders.py``).

Choices where Flowhub's public notes are silent
-----------------------------------------------
11. Postbacks: on every status change, ``{"orderId", "status", "previousStatus", "updatedAt"}`` is POSTed as JSON to
    the order's ``postbackUrl`` by one background worker per sandbox (in order, 5 s timeout, never retried, no
    signature header: a receiver should confirm through ``orderStatus``). ``POST /orderPostback/{orderId}`` answers
    204 and re-sends the current status with the ``previousStatus`` of the last change (null if it never changed);
    without a ``postbackUrl`` it is still a 204 and sends nothing. Every attempt is logged
    (``FlowhubSandbox.postback_log`` and
    ``GET /_sandbox/postbacks``) as ``{"url", "body", "status_code", "error", "sentAt"}``.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable

import httpx2

from cannasync.sandboxes._kit.values import iso_ms, now
from cannasync.sandboxes.flowhub.common import JSON

POSTBACK_TIMEOUT = 5.0


def _deliver(url: str, body: JSON) -> JSON:
    entry: JSON = {"url": url, "body": body, "status_code": None, "error": None, "sentAt": iso_ms(now())}
    try:
        with httpx2.Client(timeout=POSTBACK_TIMEOUT, trust_env=False) as client:
            response = client.post(url, json=body, headers={"User-Agent": "flowhub-sandbox"})
        entry["status_code"] = response.status_code
    except Exception as error:  # the worker must survive anything a receiver does
        entry["error"] = f"{type(error).__name__}: {error}"
    return entry


class PostbackSender:
    """Delivers postbacks in order from one background thread, started on demand and ended when idle."""

    def __init__(self, record: Callable[[JSON], None]) -> None:
        self._record = record
        self._condition = threading.Condition()
        self._queue: deque[tuple[str, JSON]] = deque()
        self._busy = False

    def send(self, url: str, body: JSON) -> None:
        with self._condition:
            self._queue.append((url, body))
            if not self._busy:
                self._busy = True
                threading.Thread(target=self._run, name="flowhub-postbacks", daemon=True).start()

    def _run(self) -> None:
        while True:
            with self._condition:
                if not self._queue:
                    self._busy = False
                    self._condition.notify_all()
                    return
                url, body = self._queue.popleft()
            self._record(_deliver(url, body))

    def wait_idle(self, timeout: float) -> bool:
        with self._condition:
            return self._condition.wait_for(lambda: not self._busy, timeout)


class Postbacks:
    """The sandbox's part that sends postbacks and keeps the log of every attempt."""

    lock: threading.Lock
    _postbacks: list[JSON]
    _sender: PostbackSender

    def _init_postbacks(self) -> None:
        self._postbacks = []
        self._sender = PostbackSender(self._record_postback)

    def _post_back(self, order: JSON, previous: str | None) -> None:
        url = order.get("postbackUrl")
        if not url:
            return
        body = {
            "orderId": order["orderId"],
            "status": order["status"],
            "previousStatus": previous,
            "updatedAt": order["updatedAt"],
        }
        self._sender.send(url, body)

    def _record_postback(self, entry: JSON) -> None:
        with self.lock:
            self._postbacks.append(entry)

    @property
    def postback_log(self) -> list[JSON]:
        """Every postback attempt so far: ``{"url", "body", "status_code", "error", "sentAt"}``."""
        with self.lock:
            return list(self._postbacks)

    def wait_for_postbacks(self, timeout: float = 5.0) -> bool:
        """Wait until every postback queued so far has been attempted; False on timeout."""
        return self._sender.wait_idle(timeout)
