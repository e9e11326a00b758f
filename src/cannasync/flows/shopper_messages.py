"""Telling the shopper about their order: placed, confirmed, ready or out for delivery, cancelled (with why).

A message is decided where the order's status changes (``checkout.apply_status``, and placing it), in the same
transaction: an ``order_messages`` row per channel, unique per order, event and channel, so a status applied twice
(a poll and a webhook at once) tells the shopper once, and an outbox message that sends it. So a gateway or mail
server that is down delays a message (the outbox's backoff) and never drops it.

* **SMS** goes through the organization's SMS gateway connection, with our reference on the text. After an unknown
  outcome (a timeout, a worker that died mid-send) the gateway is asked for a text with that reference before
  another is sent, so a retry never texts twice.
* **E-mail** goes through the SMTP server the organization set for Health notifications. A failure the server
  reports (refused connection, 4xx) means nothing was accepted, so the retry is a first send. Only a worker that
  dies between the server's "250 accepted" and our record of it leaves an outcome SMTP cannot be asked about; the
  retry then sends the same message, with the same Message-ID (RFC 5322 §3.6.4), which mail systems take for one.

A shopper who gave no phone gets no text, one who gave no e-mail no e-mail; a store sends only the channels it
turned on (Settings). Each channel keeps the order of events: a message waits while an earlier one of the same
order is still queued, so "confirmed" never arrives before "received".
"""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage
from email.utils import formataddr
from typing import Any

import structlog

from cannasync.connectors.base import Connector, SmsGateway
from cannasync.connectors.http import AuthenticationFailed, OutcomeUnknown, Rejected, Unavailable, VendorError
from cannasync.connectors.registry import SMS_GATEWAYS
from cannasync.domain import messages
from cannasync.domain.messages import Channel, Event
from cannasync.domain.orders import Fulfillment, OrderStatus
from cannasync.domain.stores import address_lines
from cannasync.flows.mail import MailRefused, NotSent, send_mail
from cannasync.store.tables import Integration, Order, OrderMessage
from cannasync.store.types import utcnow
from cannasync.store.uow import Database, UnitOfWork

log = structlog.get_logger(__name__)

#: The outbox kind of a message to a shopper; its subject is the ``order_messages`` row.
ORDER_MESSAGE = "order_message"
#: What a cancelled message says when the POS cancelled the order (its status word means nothing to a shopper).
POS_CANCELLED = "cancelled by the store"
#: A message that waits for an earlier one of its order looks again this long after that one's next try.
_AFTER_EARLIER = timedelta(milliseconds=500)


def order_page_path(store_id: int, page_key: str) -> str:
    """Where the shopper follows the order (web/shop/orders.py)."""
    return f"/shop/{store_id}/orders/{page_key}"


def sms_gateway(uow: UnitOfWork, organization_id: int) -> Integration | None:
    """The organization's SMS gateway that texts go through: its oldest connected, enabled one."""
    for row in uow.accounts.organization_integrations(organization_id, SMS_GATEWAYS):
        if row.enabled and row.credentials:
            return row
    return None


def mail_server_set(uow: UnitOfWork, organization_id: int) -> bool:
    """Whether the organization has given an SMTP server (Health → Notifications) that e-mails can go through."""
    row = uow.incidents.settings_row(organization_id)
    return bool(row is not None and row.smtp_host)


def queue(uow: UnitOfWork, order: Order, status: OrderStatus, source: str, detail: str) -> int:
    """Decide the messages an order reaching ``status`` is worth, in the caller's transaction; how many."""
    event = messages.event_for(status)
    if event is None:
        return 0
    store = uow.accounts.store(order.store_id)
    if store is None or not (store.order_sms_enabled or store.order_email_enabled):
        return 0
    contact = order.contact or {}
    reason = ""
    if event == Event.CANCELLED:
        reason = POS_CANCELLED if source == "pos" else detail
    queued = 0
    phone, email = contact.get("phone"), contact.get("email")
    if store.order_sms_enabled and phone and (gateway := sms_gateway(uow, store.organization_id)) is not None:
        queued += _add(uow, order.id, event, Channel.SMS, str(phone), reason, gateway.id)
    if store.order_email_enabled and email and mail_server_set(uow, store.organization_id):
        queued += _add(uow, order.id, event, Channel.EMAIL, str(email), reason, None)
    return queued


def _add(
    uow: UnitOfWork, order_id: int, event: Event, channel: Channel, to: str, reason: str, integration: int | None
) -> int:
    message_id = uow.messages.add(order_id, event.value, channel.value, to, reason)
    if message_id is None:
        return 0  # this order's shopper was told of this already
    uow.outbox.enqueue(integration, ORDER_MESSAGE, message_id, f"{ORDER_MESSAGE}:{message_id}")
    return 1


# --- sending -----------------------------------------------------------------------------------------------------


def _facts(uow: UnitOfWork, row: OrderMessage, public_url: str | None) -> messages.Facts:
    order = uow.orders.get(row.order_id)
    assert order is not None
    store = uow.accounts.store(order.store_id)
    assert store is not None
    contact = order.contact or {}
    link = None
    if public_url and order.page_key:
        link = public_url.rstrip("/") + order_page_path(store.id, order.page_key)
    window = (order.window_start, order.window_end) if order.window_start and order.window_end else None
    return messages.Facts(
        event=Event(row.event),
        store_name=store.name,
        number=order.number,
        first_name=str(contact.get("first_name") or ""),
        delivery=order.fulfillment == Fulfillment.DELIVERY.value,
        medical=order.is_medical,
        placed_at=order.placed_at,
        zone_name=store.timezone,
        link=link,
        reason=row.detail,
        window=window,
        store_address=tuple(address_lines(store.address)),
        store_phone=store.phone or "",
        lines=tuple(
            (line.name, line.quantity, line.quantity * line.unit_price_cents - line.discount_cents)
            for line in order.lines
        ),
        total_cents=order.total_cents,
    )


def _claim(uow: UnitOfWork, outbox_id: int) -> tuple[OrderMessage | None, str | None]:
    """The message to send now, or (None, why it is not sent now); a message that must wait is put back."""
    outbox = uow.outbox.get(outbox_id)
    assert outbox is not None and outbox.kind == ORDER_MESSAGE
    row = uow.messages.get(outbox.subject_id, lock=True)
    if row is None:
        uow.outbox.done(outbox, {"skipped": "the order is gone"})
        return None, "gone"
    if row.state != "queued":
        uow.outbox.done(outbox, {"skipped": f"already {row.state}"})
        return None, row.state
    order = uow.orders.get(row.order_id)
    store = uow.accounts.store(order.store_id) if order else None
    if store is None or not (store.order_sms_enabled if row.channel == Channel.SMS else store.order_email_enabled):
        row.state = "skipped"
        row.detail = row.detail or "the store turned this channel off before it was sent"
        uow.outbox.done(outbox, {"skipped": "channel turned off"})
        return None, "skipped"
    earlier = uow.messages.earlier_queued(row)
    if earlier is not None:
        ahead = uow.outbox.by_key(f"{ORDER_MESSAGE}:{earlier.id}")
        wait = max(ahead.next_attempt_at - utcnow(), timedelta(0)) if ahead is not None else timedelta(0)
        reason = f"waits for message {earlier.id} of the same order"
        uow.outbox.retry_later(outbox, reason, outcome_unknown=False, delay=wait + _AFTER_EARLIER)
        return None, "waiting"
    return row, None


def _sent(db: Database, outbox_id: int, gateway_id: str, how: str) -> None:
    with db.uow() as uow:
        outbox = uow.outbox.get(outbox_id)
        assert outbox is not None
        row = uow.messages.get(outbox.subject_id, lock=True)
        if row is not None:
            row.state, row.gateway_id, row.sent_at = "sent", gateway_id, utcnow()
        uow.outbox.done(outbox, {"sent": gateway_id, "how": how})


def _retry(db: Database, outbox_id: int, error: str, *, unknown: bool) -> None:
    with db.uow() as uow:
        outbox = uow.outbox.get(outbox_id)
        assert outbox is not None
        uow.outbox.retry_later(outbox, error, outcome_unknown=unknown)


def _refused(db: Database, outbox_id: int, error: str) -> None:
    """The gateway or server refused this message for good (a number it cannot text, an address it will not take)."""
    with db.uow() as uow:
        outbox = uow.outbox.get(outbox_id)
        assert outbox is not None
        outbox.attempts += 1
        uow.outbox.fail(outbox, error)
        row = uow.messages.get(outbox.subject_id, lock=True)
        if row is not None:
            row.state = "failed"
            row.detail = error[:1000]


def send_sms(db: Database, gateway: Connector, outbox_id: int, public_url: str | None) -> str:
    """Send one claimed text; what happened (sent, found, retry, failed, or why it was not sent now)."""
    assert isinstance(gateway, SmsGateway)
    with db.uow() as uow:
        row, why = _claim(uow, outbox_id)
        if row is None:
            return str(why)
        outbox = uow.outbox.get(outbox_id)
        assert outbox is not None
        look_first = outbox.outcome_unknown
        reference = f"{ORDER_MESSAGE}-{row.id}"
        to, text = messages.sms_recipient(row.recipient), messages.sms_text(_facts(uow, row, public_url))
    try:
        found = gateway.sent_with_reference(reference) if look_first else None
        gateway_id = found or gateway.send_sms(to, text, reference)
    except Rejected as error:
        _refused(db, outbox_id, str(error))
        log.warning("shopper_text_refused", outbox_id=outbox_id, error=str(error))
        return "failed"
    except (Unavailable, AuthenticationFailed) as error:
        _retry(db, outbox_id, str(error), unknown=isinstance(error, OutcomeUnknown))
        log.info("shopper_text_retry", outbox_id=outbox_id, error=str(error))
        return "retry"
    except VendorError as error:  # anything else the gateway answered: try again later, never drop
        _retry(db, outbox_id, str(error), unknown=True)
        return "retry"
    _sent(db, outbox_id, gateway_id, "found after an unknown outcome" if found else "sent")
    log.info("shopper_text_sent", outbox_id=outbox_id, found=bool(found))
    return "found" if found else "sent"


def _mail(uow: UnitOfWork, row: OrderMessage, public_url: str | None, sender: str, host: str) -> EmailMessage:
    facts = _facts(uow, row, public_url)
    content = messages.email(facts)
    mail = EmailMessage()
    mail["Subject"] = content.subject
    # The store's name beside the organization's address: the shopper knows the store, not the hub.
    mail["From"] = formataddr((facts.store_name, sender))
    mail["To"] = row.recipient
    # The same Message-ID on every try of this message, so a resend after an unknown outcome is the same message.
    mail["Message-ID"] = f"<{ORDER_MESSAGE}.{row.id}.{row.order_id}@{sender.partition('@')[2] or host}>"
    mail.set_content(content.body)
    return mail


def send_email(db: Database, outbox_id: int, public_url: str | None) -> str:
    """Send one claimed e-mail through the organization's SMTP server."""
    with db.uow() as uow:
        row, why = _claim(uow, outbox_id)
        if row is None:
            return str(why)
        order = uow.orders.get(row.order_id)
        store = uow.accounts.store(order.store_id) if order else None
        assert store is not None
        channels = uow.incidents.channels(store.organization_id)
        if channels is None or not channels.smtp_host:
            # Taken out of Health meanwhile: the e-mail waits (counted as a failed try) until a server is set.
            outbox = uow.outbox.get(outbox_id)
            assert outbox is not None
            uow.outbox.retry_later(outbox, "no SMTP server is set (Health → Notifications)", outcome_unknown=False)
            return "retry"
        sender = channels.email_from or f"cannasync@{channels.smtp_host}"
        mail = _mail(uow, row, public_url, sender, channels.smtp_host)
        message_id = str(mail["Message-ID"])
    try:
        send_mail(channels, mail)
    except MailRefused as error:
        _refused(db, outbox_id, str(error))
        return "failed"
    except NotSent as error:
        _retry(db, outbox_id, str(error), unknown=False)
        log.info("shopper_email_retry", outbox_id=outbox_id, error=str(error))
        return "retry"
    _sent(db, outbox_id, message_id, "sent")
    log.info("shopper_email_sent", outbox_id=outbox_id)
    return "sent"


def shown(row: OrderMessage, zone_name: str) -> dict[str, Any]:
    """A message as the shopper's order page and the API list it: what, to where (masked), and its state."""
    channel = Channel(row.channel)
    return {
        "event": row.event,
        "title": messages.TITLES[Event(row.event)],
        "channel": channel.value,
        "to": messages.masked_phone(row.recipient) if channel == Channel.SMS else messages.masked_email(row.recipient),
        "state": row.state,
        "queued_at": row.created_at,
        "sent_at": row.sent_at,
        "sent_clock": messages.clock(row.sent_at, zone_name) if row.sent_at else None,
    }
