"""The shopper is told about their order by text (through the SMS gateway sandbox) and by e-mail (to a real SMTP
server, aiosmtpd on loopback): placed, confirmed, ready for pickup or out for delivery, cancelled with the reason;
once per state, in the store's time zone, with the order page's link. What is read is what the gateway and the mail
server received."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx2
from starlette.requests import Request

from cannasync.store.outbox import Backoff
from cannasync.web.shop import gate
from tests.conftest import Connected, Console, Hub, Sandbox, connect_sms, wait_for
from tests.flows.support import confirm_and_wait_for_push, place, stocked
from tests.mailbox import body_of, free_port, link_in, mail_settings, smtp_server
from tests.proxy import answering_proxy

PHONE = "+17345550142"
SHOPPER = {
    "first_name": "Sam",
    "last_name": "Okafor",
    "date_of_birth": "1990-06-01",
    "phone": "(734) 555-0142",
    "email": "sam@example.com",
}
ZONE = "America/Detroit"


def texts(sms: Sandbox, to: str = PHONE) -> list[dict[str, Any]]:
    """What the gateway sent to ``to``, oldest first."""
    return [m for m in sms.control.get("/_sandbox/messages").json()["data"] if m["to"] == to]


def tell_shoppers(hub: Hub, store_id: int, *, sms: bool = True, email: bool = True) -> dict[str, Any]:
    answer = hub.api.patch(
        f"/api/v1/stores/{store_id}",
        json={
            "order_sms_enabled": sms,
            "order_email_enabled": email,
            "timezone": ZONE,
            "address": {"line1": "412 Main St", "city": "Ann Arbor", "state": "MI", "postcode": "48104"},
        },
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def order_body(product: dict[str, Any], customer: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    return {"customer": customer or SHOPPER, "lines": [{"product_id": product["id"], "quantity": 1}], **extra}


def local(moment: datetime, pattern: str) -> str:
    return moment.astimezone(ZoneInfo(ZONE)).strftime(pattern)


def test_the_shopper_hears_of_each_state_once_by_text_and_email_with_the_link_in_the_stores_time(
    hub: Hub, flourish: Sandbox, connected: Connected, sms: Sandbox
):
    connect_sms(hub, sms)
    with smtp_server() as (port, mailbox):
        assert hub.api.put("/api/v1/notification-settings", json=mail_settings(port)).status_code == 200
        store = tell_shoppers(hub, connected.store_id)
        assert store["order_channels_ready"] == {"sms": True, "email": True}
        start = (datetime.now(UTC) + timedelta(days=1)).replace(hour=20, minute=0, second=0, microsecond=0)
        window = {"window_start": start.isoformat(), "window_end": (start + timedelta(hours=1)).isoformat()}
        order = place(hub, connected, order_body(stocked(hub, connected)[0], **window))
        number = order["number"]

        placed = wait_for(lambda: texts(sms), "the text saying the order was received")
        assert placed[0]["body"].startswith(f"Great Lakes Ann Arbor: We've received your order #{number}.")
        link = link_in(placed[0]["body"])
        assert link == hub.server.url + hub.order(order["id"])["shopper_page"]
        mail = wait_for(lambda: mailbox.to("sam@example.com"), "the e-mail saying the order was received")[0]
        assert mail["Subject"] == f"We've received your order (#{number}, Great Lakes Ann Arbor)"
        assert "Great Lakes Ann Arbor" in mail["From"] and "orders@greatlakes.example" in mail["From"]
        body = body_of(mail)
        # Every time in the store's own zone (Detroit), not the server's or UTC.
        placed_at = datetime.fromisoformat(hub.order(order["id"])["placed_at"])
        assert f"placed {local(placed_at, '%a %b %-d, %-I:%M %p %Z')}" in body
        assert (
            f"Pickup: {local(start, '%a %b %-d, %-I:%M %p')} – {local(start + timedelta(hours=1), '%-I:%M %p %Z')}"
            in body
        )
        assert link_in(body) == link

        # The link is the shopper's order page.
        page = httpx2.get(link, cookies=gate.ADULT_COOKIE, timeout=10)
        assert page.status_code == 200 and f"Order #{number}" in page.text

        confirmed = confirm_and_wait_for_push(hub, order["id"])
        wait_for(lambda: len(texts(sms)) == 2, "the text saying the order was confirmed")
        assert (
            f"Your order #{number} is confirmed for pickup {local(start, '%a %b %-d, %-I:%M %p')}"
            in texts(sms)[1]["body"]
        )

        flourish.move(confirmed["pos_order_id"], "Packed")
        assert hub.sync(connected.integration_id, "order_status")["status"] == "succeeded"
        wait_for(lambda: len(texts(sms)) == 3, "the text saying the order is ready")
        ready = texts(sms)[2]["body"]
        assert f"Your order #{number} is ready for pickup. Bring a valid photo ID." in ready
        assert "At 412 Main St, Ann Arbor, MI 48104." in ready

        reason = "The Blue Dream you ordered failed its lab retest"
        assert hub.api.post(f"/api/v1/orders/{order['id']}/cancel", json={"reason": reason}).status_code == 200
        wait_for(lambda: len(texts(sms)) == 4, "the text saying the order was cancelled")
        assert f"Your order #{number} was cancelled: {reason}. Nothing is held for you." in texts(sms)[3]["body"]
        wait_for(lambda: len(mailbox.to("sam@example.com")) == 4, "four e-mails")
        subjects = [m["Subject"].split(" (#")[0] for m in mailbox.to("sam@example.com")]
        assert subjects == [
            "We've received your order",
            "Your order is confirmed",
            "Your order is ready for pickup",
            "Your order was cancelled",
        ]
        assert reason in body_of(mailbox.to("sam@example.com")[3])

        # Once per state: statuses read again (a poll after the cancel) tell nobody anything more.
        assert hub.sync(connected.integration_id, "order_status")["status"] == "succeeded"
        detail = hub.order(order["id"])
        assert [(m["event"], m["channel"], m["state"]) for m in detail["messages"]] == [
            (event, channel, "sent")
            for event in ("placed", "confirmed", "ready_for_pickup", "cancelled")
            for channel in ("sms", "email")
        ]
        assert len(texts(sms)) == 4 and len(mailbox.messages) == 4
        assert all(text["reference"].startswith("order_message-") for text in texts(sms))

        # The order page lists what was sent, with the number and address masked.
        page = httpx2.get(link, cookies=gate.ADULT_COOKIE, timeout=10).text
        assert "Messages about this order" in page and "Text to (•••) •••-0142" in page
        assert "E-mail to s•••@example.com" in page and f"Reason: {reason}" in page


def test_a_delivery_shopper_hears_it_is_out_for_delivery_once_and_never_that_it_is_ready_for_pickup(
    hub: Hub, flourish: Sandbox, connected: Connected, sms: Sandbox
):
    connect_sms(hub, sms)
    with smtp_server() as (port, mailbox):
        assert hub.api.put("/api/v1/notification-settings", json=mail_settings(port)).status_code == 200
        tell_shoppers(hub, connected.store_id)
        start = (datetime.now(UTC) + timedelta(days=1)).replace(hour=20, minute=0, second=0, microsecond=0)
        delivery = {
            "fulfillment": "delivery",
            "delivery_address": {"line1": "500 S State St", "city": "Ann Arbor", "state": "MI", "postcode": "48109"},
            "window_start": start.isoformat(),
            "window_end": (start + timedelta(hours=1)).isoformat(),
        }
        order = place(hub, connected, order_body(stocked(hub, connected)[0], **delivery))
        number = order["number"]
        confirmed = confirm_and_wait_for_push(hub, order["id"])
        wait_for(lambda: len(texts(sms)) == 2, "the texts saying the order was received and confirmed")
        assert f"Your order #{number} is confirmed for delivery" in texts(sms)[1]["body"]

        # The store packs it (for a delivery, that waits for the driver: nothing to tell), then the driver leaves.
        flourish.move(confirmed["pos_order_id"], "Packed")
        assert hub.sync(connected.integration_id, "order_status")["status"] == "succeeded"
        flourish.move(confirmed["pos_order_id"], "Out for Delivery")
        assert hub.sync(connected.integration_id, "order_status")["status"] == "succeeded"
        assert hub.order(order["id"])["status"] == "out_for_delivery"
        wait_for(lambda: len(texts(sms)) == 3, "the text saying the order is out for delivery")
        text = texts(sms)[2]["body"]
        assert text.startswith(
            f"Great Lakes Ann Arbor: Your order #{number} is out for delivery. Have a valid photo ID ready."
        ), text
        assert link_in(text) == hub.server.url + hub.order(order["id"])["shopper_page"]
        wait_for(lambda: len(mailbox.to("sam@example.com")) == 3, "three e-mails")
        mail = mailbox.to("sam@example.com")[2]
        assert mail["Subject"] == f"Your order is out for delivery (#{number}, Great Lakes Ann Arbor)"
        assert "out for delivery" in body_of(mail)

        # Once: the status read again tells nobody anything more, and nobody was told to come and pick it up.
        assert hub.sync(connected.integration_id, "order_status")["status"] == "succeeded"
        assert [(m["event"], m["channel"]) for m in hub.order(order["id"])["messages"]] == [
            (event, channel) for event in ("placed", "confirmed", "out_for_delivery") for channel in ("sms", "email")
        ]
        assert len(texts(sms)) == 3 and len(mailbox.messages) == 3
        assert not any("ready for pickup" in t["body"] for t in texts(sms))


def test_no_phone_no_text_no_email_no_email_and_a_channel_the_store_left_off_sends_nothing(
    hub: Hub, connected: Connected, sms: Sandbox, merchant: Console
):
    connect_sms(hub, sms)
    with smtp_server() as (port, mailbox):
        assert hub.api.put("/api/v1/notification-settings", json=mail_settings(port)).status_code == 200
        tell_shoppers(hub, connected.store_id)
        product = stocked(hub, connected)[0]
        no_phone = {**SHOPPER, "phone": None, "email": "only-mail@example.com"}
        no_email = {**SHOPPER, "phone": "(313) 555-0177", "email": None}
        first = place(hub, connected, order_body(product, no_phone))
        second = place(hub, connected, order_body(product, no_email))
        wait_for(lambda: mailbox.to("only-mail@example.com"), "the e-mail to the shopper without a phone")
        wait_for(lambda: texts(sms, "+13135550177"), "the text to the shopper without an e-mail")
        assert [m["channel"] for m in hub.order(first["id"])["messages"]] == ["email"]
        assert [m["channel"] for m in hub.order(second["id"])["messages"]] == ["sms"]
        # The store sees them on the order too.
        wait_for(lambda: hub.order(second["id"])["messages"][0]["state"] == "sent", "the text marked sent")
        slide_out = merchant.get(f"/console/orders/{second['id']}").text
        assert "Messages to the shopper" in slide_out and "Placed · Text to (313) 555-0177" in slide_out

        tell_shoppers(hub, connected.store_id, sms=False, email=False)
        third = place(hub, connected, order_body(product))
        assert hub.api.post(f"/api/v1/orders/{third['id']}/cancel").status_code == 200
        assert hub.order(third["id"])["messages"] == []
        assert texts(sms) == [] and mailbox.to("sam@example.com") == []
        assert len(sms.control.get("/_sandbox/messages").json()["data"]) == 1 and len(mailbox.messages) == 1


@contextmanager
def late_answers(sandbox: Sandbox, late: int) -> Iterator[str]:
    """The gateway behind a proxy that holds back the answer to the first ``late`` sends for a second: the text is
    sent, but a client that waits less never hears so (a timeout after commit)."""
    held = {"left": late}

    async def late_for_the_first_sends(request: Request) -> None:
        if request.method == "POST" and held["left"] > 0:
            held["left"] -= 1
            await asyncio.sleep(1.0)

    with answering_proxy(sandbox.server.url, late_for_the_first_sends) as url:
        yield url


def test_an_outage_delays_a_message_and_a_lost_answer_never_texts_twice(
    hub: Hub, connected: Connected, sms: Sandbox, merchant: Console
):
    # The gateway sends the first text but answers later than this connection waits: its outcome is unknown. The
    # retry (3 s on) first asks the gateway for a text with our reference, finds it, and sends nothing.
    hub.db.backoff = Backoff(first=timedelta(seconds=3), cap=timedelta(seconds=3))
    with late_answers(sms, late=1) as gateway_url:
        _lost_answer_and_mail_outage(hub, connected, sms, merchant, gateway_url)


def _lost_answer_and_mail_outage(
    hub: Hub, connected: Connected, sms: Sandbox, merchant: Console, gateway_url: str
) -> None:
    answer = hub.api.post(
        "/api/v1/integrations",
        json={
            "vendor": "sms",
            "name": "Texts",
            "credentials": {"api_key": "sms-demo-key", "signing_secret": "sms-demo-secret"},
            "settings": {"base_url": gateway_url, "timeout_seconds": 0.5},
        },
    )
    assert answer.status_code == 201, answer.text
    port = free_port()  # no mail server listens here yet: every e-mail fails to connect
    assert hub.api.put("/api/v1/notification-settings", json=mail_settings(port)).status_code == 200
    tell_shoppers(hub, connected.store_id)
    order = place(hub, connected, order_body(stocked(hub, connected)[0]))

    def retrying() -> dict[str, Any] | None:
        messages = {m["channel"]: m for m in hub.order(order["id"])["messages"]}
        return messages if messages["sms"]["state"] == "sent" else None

    messages = wait_for(retrying, "the text, after its lost answer")
    assert len(texts(sms)) == 1, "a retry after an unknown outcome texted again"
    with hub.db.uow() as uow:
        text = uow.messages.for_order(order["id"])[0]
        sent = uow.outbox.by_key(f"order_message:{text.id}")
        assert sent is not None and sent.outcome_unknown and sent.attempts == 1
        assert sent.result == {"sent": texts(sms)[0]["id"], "how": "found after an unknown outcome"}
    assert messages["sms"]["to"] == "7345550142"
    assert messages["email"]["state"] == "queued"  # the mail server is still down: delayed, not dropped
    health = merchant.get("/console/health").text
    assert f"E-mail to the shopper of order #{order['number']}" in health and "ConnectionRefusedError" in health
    with smtp_server(port) as (_, mailbox):
        wait_for(lambda: mailbox.to("sam@example.com"), "the e-mail once the mail server is up", timeout=30)
        wait_for(lambda: hub.order(order["id"])["messages"][1]["state"] == "sent", "the e-mail marked sent")
        assert len(mailbox.messages) == 1
