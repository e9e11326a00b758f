"""The SMS gateway sandbox, exercised over real HTTP: a client sending messages, and a hub receiving replies.

The gateway and a tiny receiver (standing for the hub's inbound webhook, which checks the signature the
way the hub must) each run under uvicorn on loopback.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from tests.sandboxes.conftest import SlotServer

from cannasync.cli.servers import BackgroundServer
from cannasync.sandboxes.sms import SmsSandbox, create_app, signature

KEY = {"Authorization": "Bearer sms-demo-key"}
SHOPPER = "+15550002222"


@dataclass
class Receiver:
    """The hub's inbound webhook in miniature: checks ``X-SMS-Signature`` over the raw body, then records."""

    secret: str = "sms-demo-secret"
    received: list[dict[str, Any]] = field(default_factory=list)
    rejected: int = 0
    #: Called with each verified reply; may call the gateway back (e.g. to send a confirmation).
    on_reply: Callable[[dict[str, Any]], None] | None = None

    async def inbound(self, request: Request) -> Response:
        raw = await request.body()
        expected = hmac.new(self.secret.encode(), raw, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, request.headers.get("X-SMS-Signature", "")):
            self.rejected += 1
            return JSONResponse({"error": "bad signature"}, status_code=401)
        reply = json.loads(raw)
        self.received.append(reply)
        if self.on_reply is not None:
            self.on_reply(reply)
        return JSONResponse({"ok": True, "opt_in": "confirmed" if reply["body"].strip().upper() == "YES" else None})

    async def plain(self, request: Request) -> Response:
        return Response("thanks", media_type="text/plain", status_code=202)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/hooks/sms", self.inbound, methods=["POST"]),
                Route("/hooks/plain", self.plain, methods=["POST"]),
            ]
        )


@pytest.fixture(scope="module")
def servers(slot_servers: Callable[[], SlotServer]) -> tuple[SlotServer, SlotServer]:
    """The gateway's server and the receiver's (standing for the hub's inbound webhook)."""
    return slot_servers(), slot_servers()


@dataclass
class Running:
    url: str
    sandbox: SmsSandbox
    client: httpx2.Client  # authenticated
    control: httpx2.Client  # no credentials
    receiver: Receiver
    inbound_url: str

    def send(self, **body: Any) -> httpx2.Response:
        return self.client.post("/v1/messages", json=body)


@pytest.fixture
def start(servers: tuple[SlotServer, SlotServer]) -> Iterator[Callable[..., Running]]:
    """A factory: ``start(**create_app options)`` serves a fresh gateway and a fresh receiver."""
    gateway, inbound = servers
    gateway_url, receiver_url = gateway.url, inbound.url
    clients: list[httpx2.Client] = []

    def _start(**options: Any) -> Running:
        app = create_app(**options)
        receiver = Receiver()
        gateway.plug(app)
        inbound.plug(receiver.app())
        client = httpx2.Client(base_url=gateway_url, headers=KEY, timeout=15)
        control = httpx2.Client(base_url=gateway_url, timeout=15)
        clients.extend((client, control))
        return Running(gateway_url, app.state.sandbox, client, control, receiver, f"{receiver_url}/hooks/sms")

    yield _start
    for client in clients:
        client.close()
    gateway.plug(None)
    inbound.plug(None)


@pytest.fixture
def sms(start: Callable[..., Running]) -> Running:
    return start()


# --------------------------------------------------------------------------------------------------
# Sending


def test_a_message_is_queued_then_delivered(sms: Running) -> None:
    response = sms.send(to=SHOPPER, body="Reply YES to join Great Lakes Rewards", reference="optin-42")
    assert response.status_code == 201
    queued = response.json()
    assert queued["id"] == "SM000001" and queued["status"] == "queued"
    assert (queued["to"], queued["from"], queued["reference"], queued["delivered_at"]) == (
        SHOPPER,
        "+15550100100",
        "optin-42",
        None,
    )
    created = datetime.fromisoformat(queued["created_at"].replace("Z", "+00:00"))
    assert abs(created - datetime.now(UTC)) < timedelta(minutes=1) and queued["created_at"].endswith("Z")

    read = sms.client.get("/v1/messages/SM000001")
    assert read.status_code == 200
    delivered = read.json()
    assert delivered["status"] == "delivered" and delivered["delivered_at"] >= delivered["created_at"]
    assert {k: v for k, v in delivered.items() if k not in ("status", "delivered_at")} == {
        k: v for k, v in queued.items() if k not in ("status", "delivered_at")
    }
    assert sms.client.get("/v1/messages/SM000001/").json() == delivered  # trailing slash served too

    second = sms.send(to="+15550003333", body="Hi", **{"from": "GREATLAKES"}).json()
    assert (second["id"], second["from"], second["reference"]) == ("SM000002", "GREATLAKES", None)
    assert [m["id"] for m in sms.client.get("/v1/messages").json()["data"]] == ["SM000001", "SM000002"]
    assert [m["id"] for m in sms.client.get("/v1/messages", params={"reference": "optin-42"}).json()["data"]] == [
        "SM000001"
    ]
    assert sms.client.get("/v1/messages", params={"to": "+15550003333"}).json()["data"] == [
        sms.client.get("/v1/messages/SM000002").json()
    ]
    assert sms.control.get("/_sandbox/messages").json()["data"] == sms.client.get("/v1/messages").json()["data"]
    assert sms.sandbox.messages(to=SHOPPER)[0]["status"] == "delivered"

    missing = sms.client.get("/v1/messages/SM999999")
    assert (missing.status_code, missing.json()) == (404, {"error": "Message SM999999 not found"})


def test_the_api_needs_the_bearer_key(start: Callable[..., Running]) -> None:
    sms = start()
    invalid = {"error": "Invalid API key"}
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic c21zLWRlbW8ta2V5"}):
        response = sms.control.post("/v1/messages", json={"to": SHOPPER, "body": "x"}, headers=headers)
        assert (response.status_code, response.json()) == (401, invalid), headers
        assert response.headers["WWW-Authenticate"] == "Bearer"
    assert sms.control.get("/v1/no-such-route").status_code == 401  # authentication comes first
    assert sms.client.get("/v1/no-such-route").json() == {"error": "Not found"}
    assert sms.sandbox.messages() == []
    assert sms.control.get("/_sandbox/health").json() == {"ok": True}  # control routes need no key

    custom = start(api_key="k-123")
    assert custom.client.get("/v1/messages").status_code == 401
    assert custom.control.get("/v1/messages", headers={"Authorization": "bearer k-123"}).status_code == 200


def test_sending_validates_the_body(sms: Running) -> None:
    cases = [
        ({"to": "5550002222", "body": "x"}, "to must be an E.164"),
        ({"to": "+0555000222", "body": "x"}, "to must be an E.164"),
        ({"to": "+1555", "body": "x"}, "to must be an E.164"),
        ({"to": "+1 555 000 2222", "body": "x"}, "to must be an E.164"),
        ({"body": "x"}, "to must be an E.164"),
        ({"to": SHOPPER, "body": ""}, "body must be a non-empty string"),
        ({"to": SHOPPER, "body": "   "}, "body must be a non-empty string"),
        ({"to": SHOPPER}, "body must be a non-empty string"),
        ({"to": SHOPPER, "body": 12}, "body must be a non-empty string"),
        ({"to": SHOPPER, "body": "x" * 1601}, "body must be at most 1600 characters"),
        ({"to": SHOPPER, "body": "x", "from": "A" * 21}, "from must be"),
        ({"to": SHOPPER, "body": "x", "reference": 7}, "reference must be"),
    ]
    for body, message in cases:
        response = sms.client.post("/v1/messages", json=body)
        assert response.status_code == 422, body
        assert response.json()["error"].startswith(message), (body, response.json())
    assert sms.client.post("/v1/messages", content=b"not json").status_code == 400
    assert sms.client.post("/v1/messages", json=[SHOPPER]).status_code == 400
    assert sms.client.delete("/v1/messages").status_code == 405
    assert sms.sandbox.messages() == []
    assert sms.send(to="+447700900123", body="é" * 1600).status_code == 201  # E.164 anywhere, 1600 chars


# --------------------------------------------------------------------------------------------------
# Replies


def test_a_signed_reply_reaches_the_hub_and_its_signature_checks_out(start: Callable[..., Running]) -> None:
    sms = start()
    sms.receiver.secret = "sms-demo-secret"
    assert sms.control.post("/_sandbox/config", json={"inbound_url": sms.inbound_url}).json() == {
        "inbound_url": sms.inbound_url,
        "signing_secret": "sms-demo-secret",
        "number": "+15550100100",
    }
    sms.send(to=SHOPPER, body="Reply YES to join", **{"from": "+15550107777"})

    answer = sms.control.post("/_sandbox/reply", json={"from": SHOPPER, "body": "YES"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    reply = body["reply"]
    assert (body["delivered_to"], body["status_code"], body["error"]) == (sms.inbound_url, 200, None)
    assert body["response"] == {"ok": True, "opt_in": "confirmed"}
    assert set(reply) == {"id", "from", "to", "body", "received_at"}
    assert (reply["id"], reply["from"], reply["to"], reply["body"]) == ("MO000001", SHOPPER, "+15550107777", "YES")
    assert sms.receiver.received == [reply] and sms.receiver.rejected == 0

    # The log keeps the attempt, with the signature sent.
    log = sms.control.get("/_sandbox/replies").json()["data"]
    assert len(log) == 1 and log[0]["reply"] == reply and log[0]["status_code"] == 200
    raw = json.dumps(reply, separators=(",", ":")).encode()
    assert log[0]["signature"] == signature("sms-demo-secret", raw)
    assert log[0]["signature"] == hmac.new(b"sms-demo-secret", raw, hashlib.sha256).hexdigest()

    # A number that was never texted replies to the gateway's own number; `to` can also be given.
    other = sms.control.post("/_sandbox/reply", json={"from": "+15550004444", "body": "STOP"}).json()
    assert (other["reply"]["id"], other["reply"]["to"], other["response"]["opt_in"]) == (
        "MO000002",
        "+15550100100",
        None,
    )
    given = sms.control.post("/_sandbox/reply", json={"from": SHOPPER, "body": "no", "to": "+15550109999"}).json()
    assert given["reply"]["to"] == "+15550109999"
    assert [r["body"] for r in sms.receiver.received] == ["YES", "STOP", "no"]


def test_a_wrong_secret_is_refused_by_the_hub_and_the_control_call_says_so(start: Callable[..., Running]) -> None:
    sms = start(signing_secret="old-secret")
    sms.receiver.secret = "new-secret"
    sms.control.post("/_sandbox/config", json={"inbound_url": sms.inbound_url})
    refused = sms.control.post("/_sandbox/reply", json={"from": SHOPPER, "body": "YES"})
    assert refused.status_code == 200
    assert (refused.json()["status_code"], refused.json()["response"]) == (401, {"error": "bad signature"})
    assert sms.receiver.received == [] and sms.receiver.rejected == 1

    config = sms.control.post("/_sandbox/config", json={"signing_secret": "new-secret"}).json()
    assert config == {"inbound_url": sms.inbound_url, "signing_secret": "new-secret", "number": "+15550100100"}
    accepted = sms.control.post("/_sandbox/reply", json={"from": SHOPPER, "body": "YES"}).json()
    assert accepted["status_code"] == 200 and len(sms.receiver.received) == 1
    assert [entry["status_code"] for entry in sms.control.get("/_sandbox/replies").json()["data"]] == [401, 200]


def test_the_hub_may_call_the_gateway_back_while_handling_a_reply(start: Callable[..., Running]) -> None:
    sms = start()

    def confirm(reply: dict[str, Any]) -> None:
        sent = httpx2.post(
            f"{sms.url}/v1/messages",
            json={"to": reply["from"], "body": "You're in! Welcome to Great Lakes Rewards.", "reference": reply["id"]},
            headers=KEY,
            timeout=5,
        )
        assert sent.status_code == 201

    sms.receiver.on_reply = confirm
    sms.control.post("/_sandbox/config", json={"inbound_url": sms.inbound_url})
    assert sms.control.post("/_sandbox/reply", json={"from": SHOPPER, "body": "YES"}).json()["status_code"] == 200
    confirmation = sms.client.get("/v1/messages", params={"reference": "MO000001"}).json()["data"]
    assert [(m["to"], m["status"]) for m in confirmation] == [(SHOPPER, "delivered")]


def test_replies_without_an_inbound_url_or_to_an_unreachable_hub(start: Callable[..., Running]) -> None:
    sms = start()
    response = sms.control.post("/_sandbox/reply", json={"from": SHOPPER, "body": "YES"})
    assert (response.status_code, response.json()) == (409, {"error": "No inbound_url is configured"})
    assert sms.control.get("/_sandbox/replies").json()["data"] == []

    with BackgroundServer(Starlette()) as gone:
        pass  # a port that was just closed: nothing listens there any more
    sms.control.post("/_sandbox/config", json={"inbound_url": f"{gone.url}/hooks/sms"})
    failed = sms.control.post("/_sandbox/reply", json={"from": SHOPPER, "body": "YES"})
    assert failed.status_code == 502
    assert failed.json()["status_code"] is None and failed.json()["error"]
    assert sms.control.get("/_sandbox/replies").json()["data"][0]["error"] == failed.json()["error"]

    plain = start(inbound_url=sms.inbound_url.replace("/hooks/sms", "/hooks/plain"))
    answer = plain.control.post("/_sandbox/reply", json={"from": SHOPPER, "body": "YES"}).json()
    assert (answer["status_code"], answer["response"]) == (202, "thanks")  # a non-JSON answer comes back as text

    for body, fragment in (
        ({"from": "555", "body": "YES"}, "from must be an E.164"),
        ({"from": SHOPPER, "body": ""}, "body"),
        ({"from": SHOPPER, "body": "x", "to": 5}, "to must be"),
    ):
        bad = plain.control.post("/_sandbox/reply", json=body)
        assert bad.status_code == 422 and fragment in bad.json()["error"], body
    for config, fragment in (({"inbound_url": "ftp://x"}, "inbound_url"), ({"signing_secret": ""}, "signing_secret")):
        bad = plain.control.post("/_sandbox/config", json=config)
        assert bad.status_code == 422 and fragment in bad.json()["error"]
    assert plain.control.get("/_sandbox/config").json()["inbound_url"].endswith("/hooks/plain")
    assert plain.control.post("/_sandbox/config", json={"inbound_url": None}).json()["inbound_url"] is None


def test_logs_can_be_cleared_but_ids_are_never_reused(start: Callable[..., Running]) -> None:
    sms = start()
    sms.control.post("/_sandbox/config", json={"inbound_url": sms.inbound_url})
    sms.send(to=SHOPPER, body="one")
    sms.control.post("/_sandbox/reply", json={"from": SHOPPER, "body": "YES"})
    assert sms.control.delete("/_sandbox/messages").status_code == 204
    assert sms.control.delete("/_sandbox/replies").status_code == 204
    assert sms.control.get("/_sandbox/messages").json()["data"] == []
    assert sms.control.get("/_sandbox/replies").json()["data"] == []
    assert sms.send(to=SHOPPER, body="two").json()["id"] == "SM000002"
    assert sms.control.post("/_sandbox/reply", json={"from": SHOPPER, "body": "NO"}).json()["reply"]["id"] == "MO000002"


# --------------------------------------------------------------------------------------------------
# Faults


def test_status_faults_fire_count_times_and_record_nothing(sms: Running) -> None:
    fault = {"method": "POST", "path_prefix": "/v1/messages", "status": 503, "count": 2, "retry_after": 7}
    created = sms.control.post("/_sandbox/faults", json=fault)
    assert created.status_code == 201 and created.json()["data"]["remaining"] == 2
    assert sms.client.get("/v1/messages").status_code == 200  # GET does not match
    for _ in range(2):
        response = sms.send(to=SHOPPER, body="x")
        assert (response.status_code, response.json()) == (503, {"error": "Injected fault"})
        assert response.headers["Retry-After"] == "7"
    assert sms.sandbox.messages() == []
    assert sms.send(to=SHOPPER, body="x").status_code == 201

    # Faults come before authentication, default to any /v1/ route, and can let requests through first.
    sms.control.post("/_sandbox/faults", json={"status": 429, "after": 1})
    assert sms.control.get("/v1/messages").status_code == 401
    assert sms.control.get("/v1/messages").status_code == 429
    sms.control.post("/_sandbox/faults", json={"status": 500, "count": 5})
    assert sms.control.get("/_sandbox/faults").json()["data"][0]["remaining"] == 5
    assert sms.control.get("/_sandbox/health").status_code == 200  # control routes are never faulted
    assert sms.control.delete("/_sandbox/faults").status_code == 204
    assert sms.client.get("/v1/messages").status_code == 200

    sms.control.post("/_sandbox/faults", json={"mode": "delay", "delay_seconds": 0.3})
    started = time.monotonic()
    assert sms.client.get("/v1/messages").status_code == 200
    assert time.monotonic() - started >= 0.3
    for bad in ({"status": 200}, {"mode": "boom", "status": 500}, {"status": 500, "count": 0}, {"mode": "delay"}):
        assert sms.control.post("/_sandbox/faults", json=bad).status_code == 422, bad


def test_sandbox_state_is_usable_directly() -> None:
    sandbox = SmsSandbox(number="+15550101234")
    app = create_app(sandbox=sandbox, api_key="ignored")
    assert app.state.sandbox is sandbox
    queued = sandbox.send("+15550002222", None, "hello", None)
    assert queued["from"] == "+15550101234" and sandbox.message(queued["id"])["status"] == "delivered"
    for bad in ({"signing_secret": ""}, {"number": "555-0100"}, {"inbound_url": "hooks/sms"}):
        with pytest.raises(ValueError):
            SmsSandbox(**bad)
