"""Operators are told: a push that keeps failing and a flow that fails, by e-mail to a real SMTP server (aiosmtpd on
loopback) and by a signed webhook to a real HTTP receiver; once per incident, again if it keeps on, and when it
clears. A channel that is down delays a notification, never drops it."""

from __future__ import annotations

import email
import email.policy
import hashlib
import hmac
import json
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from fastapi import FastAPI, Request, Response

from cannasync.cli.servers import BackgroundServer
from cannasync.flows.notify import SIGNATURE_HEADER
from cannasync.store.tables import NotificationSettings
from tests.conftest import Connected, Console, Hub, Sandbox, wait_for
from tests.flows.support import MEDICAL_PATIENT, place, stocked

SMTP_PASSWORD = "smtp-secret-7"
HOOK_SECRET = "hook-secret-9"
ORDERS = "/external/api/v2/retail-orders"


@dataclass
class Mailbox:
    messages: list[Message] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"

    @property
    def subjects(self) -> list[str]:
        return [str(message["Subject"]).strip() for message in self.messages]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[int, Mailbox]]:
    """A real SMTP server on loopback that wants a login (over plain text: it is loopback)."""
    box = Mailbox()

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and auth_data == LoginPassword(b"ops", SMTP_PASSWORD.encode())
        return AuthResult(success=ok)

    port = _free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port, authenticator=authenticator, auth_require_tls=False)
    controller.start()
    yield port, box
    controller.stop()


@dataclass
class Receiver:
    url: str
    seen: list[tuple[dict[str, str], bytes, int]]

    @property
    def delivered(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _, body, status in self.seen if status == 204]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """An operator's webhook receiver; its first answer is a 503 (it was down), then it takes every delivery."""
    seen: list[tuple[dict[str, str], bytes, int]] = []
    app = FastAPI()

    @app.post("/incidents")
    async def incidents(request: Request) -> Response:
        status = 503 if not seen else 204
        seen.append((dict(request.headers), await request.body(), status))
        return Response(status_code=status)

    server = BackgroundServer(app).start()
    yield Receiver(f"{server.url}/incidents", seen)
    server.stop()


def settings(port: int, receiver: Receiver, **changes: Any) -> dict[str, Any]:
    return {
        "email_to": "ops@example.com, owner@example.com",
        "email_from": "hub@example.com",
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_security": "none",
        "smtp_username": "ops",
        "smtp_password": SMTP_PASSWORD,
        "webhook_url": receiver.url,
        "webhook_secret": HOOK_SECRET,
        **changes,
    }


def test_settings_keep_their_secrets(hub: Hub, smtp: tuple[int, Mailbox], receiver: Receiver):
    port, _ = smtp
    saved = hub.api.put("/api/v1/notification-settings", json=settings(port, receiver))
    assert saved.status_code == 200, saved.text
    for answer in (saved, hub.api.get("/api/v1/notification-settings")):
        assert answer.json()["smtp_password_set"] is True and answer.json()["webhook_secret_set"] is True
        assert SMTP_PASSWORD not in answer.text and HOOK_SECRET not in answer.text
    with hub.db.uow() as uow:  # sealed at rest like vendor credentials
        row = uow.session.get(NotificationSettings, hub.organization_id)
        assert row is not None and row.secrets and SMTP_PASSWORD.encode() not in row.secrets
    # Sending the stored password to another server needs the password again.
    moved = hub.api.put("/api/v1/notification-settings", json={**settings(port + 1, receiver), "smtp_password": None})
    assert moved.status_code == 422 and "smtp_password" in moved.text
    bad = hub.api.put("/api/v1/notification-settings", json={**settings(port, receiver), "webhook_url": "ftp://x"})
    assert bad.status_code == 422 and "webhook_url" in bad.text


def test_a_push_that_keeps_failing_is_told_once_by_mail_and_webhook_then_resolved(
    hub: Hub,
    merchant: Console,
    flourish: Sandbox,
    connected: Connected,
    smtp: tuple[int, Mailbox],
    receiver: Receiver,
):
    port, mailbox = smtp
    assert hub.api.put("/api/v1/notification-settings", json=settings(port, receiver)).status_code == 200
    flourish.fault(method="POST", path_prefix=ORDERS, status=503, count=1_000_000)
    product = stocked(hub, connected)[0]
    order = place(
        hub,
        connected,
        {"customer": MEDICAL_PATIENT, "is_medical": True, "lines": [{"product_id": product["id"], "quantity": 1}]},
    )
    assert hub.api.post(f"/api/v1/orders/{order['id']}/confirm").status_code == 200

    wait_for(lambda: mailbox.messages, "the incident's e-mail")
    title = f"Sending order #{order['number']} keeps failing to reach Flourish at Great Lakes Ann Arbor"
    assert mailbox.subjects == [f"[cannasync] Failing: {title}"]
    assert mailbox.messages[0]["To"] == "ops@example.com, owner@example.com"
    # The receiver was down for the first delivery: the outbox delivered it again.
    wait_for(lambda: receiver.delivered, "the webhook after the receiver's outage")
    page = merchant.get("/console/health").text
    assert f"Order #{order['number']}" in page and 'data-testid="health-section-pushes"' in page

    flourish.control.delete("/_sandbox/faults").raise_for_status()
    wait_for(lambda: hub.order(order["id"])["pos_order_id"], "the push once Flourish is back")
    wait_for(lambda: len(mailbox.messages) == 2 and len(receiver.delivered) == 2, "the resolved notices")
    assert mailbox.subjects[1] == f"[cannasync] Resolved: {title}"
    assert [body["event"] for body in receiver.delivered] == ["incident.opened", "incident.resolved"]
    headers, raw, _ = receiver.seen[-1]
    stamp, _, digest = headers[SIGNATURE_HEADER.lower()].partition(",v1=")
    expected = hmac.new(HOOK_SECRET.encode(), stamp.removeprefix("t=").encode() + b"." + raw, hashlib.sha256)
    assert hmac.compare_digest(digest, expected.hexdigest())
    assert SMTP_PASSWORD not in str(mailbox.messages[0]) and HOOK_SECRET.encode() not in raw


def test_a_failing_flow_is_told_when_it_fails_when_it_keeps_failing_and_when_it_recovers(
    hub: Hub, merchant: Console, flourish: Sandbox, connected: Connected, smtp: tuple[int, Mailbox]
):
    port, mailbox = smtp
    nobody = f"http://127.0.0.1:{_free_port()}/incidents"  # a receiver that is down for the whole test
    answer = hub.api.put("/api/v1/notification-settings", json=settings(port, Receiver(nobody, []), webhook_url=nobody))
    assert answer.status_code == 200
    flourish.fault(method="GET", path_prefix="/external/api/v1/items", status=401, count=1_000_000)
    for _ in range(3):  # three failures in a row: told at the first and at the third, not at each
        assert hub.sync(connected.integration_id)["status"] == "failed"
    flourish.control.delete("/_sandbox/faults").raise_for_status()
    assert hub.sync(connected.integration_id)["status"] == "succeeded"
    wait_for(lambda: len(mailbox.messages) >= 3, "three e-mails")
    words = [subject.split(":")[0].removeprefix("[cannasync] ") for subject in mailbox.subjects]
    assert words == ["Failing", "Still failing", "Resolved"]
    assert "Menu sync of Flourish at Great Lakes Ann Arbor failed" in mailbox.subjects[0]

    # The webhooks that could not be delivered are kept and retried, and Health says so.
    def health_lists_it() -> str | None:
        page = merchant.get("/console/health").text
        return page if "Webhook about" in page else None

    page = wait_for(health_lists_it, "Health to list the undelivered webhook")
    undelivered = re.search(r'data-testid="health-tile-notify"><b>(\d+)</b>', page)
    assert undelivered and int(undelivered.group(1)) >= 1
    assert "Webhook about: Menu sync of Flourish at Great Lakes Ann Arbor failed" in page
