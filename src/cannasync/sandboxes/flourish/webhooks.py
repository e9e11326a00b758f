"""Outgoing webhooks.

Webhooks (Flourish → subscriber)
--------------------------------
``create_app(..., webhook_url=None, webhook_key="flourish-demo-webhook-key")``, or
``POST /_sandbox/webhooks/config`` ``{"url", "key"?}`` (``url`` null switches them off; ``key`` absent
keeps the current one). Each event is POSTed as ``{"resource_type": "...", "data": {...}}`` (compact
JSON) with ``Content-Type: application/json`` and ``auth-signature: <hex HMAC-SHA256(key, raw body)>``:

* ``item``: the whole item, after a staff edit (``PATCH /_sandbox/items/{id}``) or creation
  (``POST /_sandbox/items``);
* ``inventory_summary``: ``{"item_id", "sku", "brand", "item_name", "facility_id", "sellable_qty",
  "available_qty", "non_available_qty"}``, when the control quantity route changes ``sellable_qty`` (or
  stocks an item at a facility for the first time), and for each facility a created item is stocked at;
* ``retail_order``: the whole retail order, after an API create or PUT, a control status move or a
  control sale;
* ``order``: the whole outbound order (``id``, ``original_order_id``, ``order_status``, ``payment_term``,
  …), after an API create, PUT or cancel, a control status move or a staff edit.

Writes made through the API fire too, so a subscriber that writes to Flourish receives its own echoes
and must recognise them. Delivery is from one background thread per sandbox, in the order the writes
happened, one attempt each (never retried; a failure or non-2xx answer is only logged), with a 5 s
timeout; a webhook may arrive before the API response that caused it. ``FlourishSandbox.webhook_log``
(and ``GET /_sandbox/webhooks``) lists ``{"id", "resource_type", "url", "payload", "signature",
"queued_at", "delivered_at", "status_code", "error"}`` per event; ``status_code`` is null until the
attempt is over (and stays null, with ``error``, when the subscriber could not be reached).
``FlourishSandbox.wait_for_webhooks(timeout)`` (or ``GET /_sandbox/webhooks?wait=<seconds>``) waits for
the queue to drain. Seeding never fires webhooks; neither do deletes, destinations nor reads.

Choices where Flourish's public notes are silent
------------------------------------------------
Each is a guess kept easy to change; none is confirmed by Flourish.

27. Webhooks: the ``inventory_summary`` event fires only when ``sellable_qty`` actually changes (setting
    the same quantity again is silent); ``item``, ``order`` and ``retail_order`` events fire on every
    successful write, changed or not. No webhook carries an event id or timestamp beyond the record's own
    ``last_updated_timestamp``; a subscriber deduplicates on the record (id and ``last_updated_timestamp``
    or the fields it cares about).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import queue
import threading
import urllib.error
import urllib.request

from cannasync.sandboxes._kit.values import iso_ms, now
from cannasync.sandboxes.flourish.base import StateBase
from cannasync.sandboxes.flourish.wire import JSON

DEFAULT_WEBHOOK_KEY = "flourish-demo-webhook-key"
WEBHOOK_RESOURCE_TYPES: tuple[str, ...] = ("item", "inventory_summary", "retail_order", "order")
#: Seconds a webhook delivery waits for the subscriber before it is logged as failed.
WEBHOOK_TIMEOUT = 5.0
#: Seconds an idle delivery thread lingers before it exits (a new one starts with the next webhook).
_WEBHOOK_IDLE = 2.0


class WebhooksMixin(StateBase):
    """The subscriber's URL and key, the delivery queue and its log."""

    def _start_webhooks(self) -> None:
        """The webhook state, switched off (``configure_webhooks`` switches it on). Needs ``lock``."""
        self._webhook_url: str | None = None
        self._webhook_key = DEFAULT_WEBHOOK_KEY
        self._webhooks: dict[int, JSON] = {}
        self._next_webhook = 1
        self._webhook_queue: queue.Queue[tuple[int, str, bytes, str]] = queue.Queue()
        self._webhook_worker: threading.Thread | None = None
        self._webhook_pending = 0
        self._webhook_idle = threading.Condition(self.lock)

    def configure_webhooks(self, url: str | None, key: str | None = None) -> JSON:
        """Point webhooks at ``url`` (None switches them off); ``key`` signs them (None keeps the current key)."""
        with self.lock:
            self._webhook_url = url
            if key is not None:
                self._webhook_key = key
            return self._webhook_config()

    def webhook_config(self) -> JSON:
        with self.lock:
            return self._webhook_config()

    def _webhook_config(self) -> JSON:
        return {"url": self._webhook_url, "key": self._webhook_key}

    @property
    def webhook_log(self) -> list[JSON]:
        """Every webhook queued since the last clear, oldest first (entries are replaced once delivered)."""
        with self.lock:
            return list(self._webhooks.values())

    def clear_webhook_log(self) -> None:
        with self.lock:
            self._webhooks.clear()

    def wait_for_webhooks(self, timeout: float = 5.0) -> bool:
        """Block until every queued webhook has been attempted; False if ``timeout`` ran out first."""
        with self._webhook_idle:
            return self._webhook_idle.wait_for(lambda: self._webhook_pending == 0, timeout)

    def _emit(self, resource_type: str, data: JSON) -> None:
        """Queue ``{"resource_type", "data"}`` for the subscriber, if there is one. Call with ``lock`` held.

        The body is serialised and signed now, so it is exactly the state of this write; a single
        background thread delivers the queue in order.
        """
        url = self._webhook_url
        if not url:
            return
        body = json.dumps({"resource_type": resource_type, "data": data}, separators=(",", ":")).encode()
        signature = hmac.new(self._webhook_key.encode(), body, hashlib.sha256).hexdigest()
        webhook_id = self._next_webhook
        self._next_webhook += 1
        self._webhooks[webhook_id] = {
            "id": webhook_id,
            "resource_type": resource_type,
            "url": url,
            "payload": {"resource_type": resource_type, "data": data},
            "signature": signature,
            "queued_at": iso_ms(now()),
            "delivered_at": None,
            "status_code": None,
            "error": None,
        }
        self._webhook_pending += 1
        self._webhook_queue.put((webhook_id, url, body, signature))
        if self._webhook_worker is None:
            self._webhook_worker = threading.Thread(
                target=self._deliver_webhooks, name="flourish-webhooks", daemon=True
            )
            self._webhook_worker.start()

    def _deliver_webhooks(self) -> None:
        """The delivery thread: one attempt per webhook, in order; exits after a quiet spell."""
        while True:
            try:
                webhook_id, url, body, signature = self._webhook_queue.get(timeout=_WEBHOOK_IDLE)
            except queue.Empty:
                with self.lock:
                    if self._webhook_queue.empty():
                        self._webhook_worker = None
                        return
                continue
            status_code, error = _post_webhook(url, body, signature)
            with self._webhook_idle:
                entry = self._webhooks.get(webhook_id)
                if entry is not None:
                    self._webhooks[webhook_id] = {
                        **entry,
                        "delivered_at": iso_ms(now()),
                        "status_code": status_code,
                        "error": error,
                    }
                self._webhook_pending -= 1
                self._webhook_idle.notify_all()


#: Webhooks go straight to the subscriber, whatever proxy the environment names.
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _post_webhook(url: str, body: bytes, signature: str) -> tuple[int | None, str | None]:
    """One delivery attempt: (status code, None), or (status code or None, error) when it failed."""
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "auth-signature": signature,
            "User-Agent": "Flourish-Webhooks (cannasync sandbox)",
        },
    )
    try:
        with _NO_PROXY.open(request, timeout=WEBHOOK_TIMEOUT) as response:
            return int(response.status), None
    except urllib.error.HTTPError as error:
        return int(error.code), f"HTTP {error.code}"
    except (urllib.error.URLError, OSError, ValueError) as error:
        return None, str(getattr(error, "reason", None) or error)
