"""What the shopper is told about their order, by text and by e-mail, and when.

Four moments are worth a message: the order is placed, the store confirms it, it is ready for pickup or out for
delivery, and it is cancelled (with the reason). Preparing and completing are not: the shopper learns nothing
they can act on. Every time in a message is in the store's own zone, the clock the shopper walks in by.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from cannasync.domain.orders import OrderStatus
from cannasync.domain.stores import zone


class Event(StrEnum):
    PLACED = "placed"
    CONFIRMED = "confirmed"
    READY_FOR_PICKUP = "ready_for_pickup"
    OUT_FOR_DELIVERY = "out_for_delivery"
    CANCELLED = "cancelled"


class Channel(StrEnum):
    SMS = "sms"
    EMAIL = "email"


_EVENTS = {
    OrderStatus.PENDING: Event.PLACED,
    OrderStatus.CONFIRMED: Event.CONFIRMED,
    OrderStatus.READY_FOR_PICKUP: Event.READY_FOR_PICKUP,
    OrderStatus.OUT_FOR_DELIVERY: Event.OUT_FOR_DELIVERY,
    OrderStatus.CANCELLED: Event.CANCELLED,
}

#: How each event reads in a list of messages on the order page ("Text · Order received").
TITLES = {
    Event.PLACED: "Order received",
    Event.CONFIRMED: "Order confirmed",
    Event.READY_FOR_PICKUP: "Ready for pickup",
    Event.OUT_FOR_DELIVERY: "Out for delivery",
    Event.CANCELLED: "Order cancelled",
}


def event_for(status: OrderStatus) -> Event | None:
    """The message an order reaching ``status`` is worth, or None (preparing, completed)."""
    return _EVENTS.get(status)


@dataclass(frozen=True, slots=True)
class Facts:
    """Everything a message says, read from the order and its store when it is sent."""

    event: Event
    store_name: str
    number: str
    first_name: str
    delivery: bool
    medical: bool
    placed_at: datetime
    zone_name: str
    link: str | None
    reason: str = ""
    window: tuple[datetime, datetime] | None = None
    store_address: Sequence[str] = ()
    store_phone: str = ""
    lines: Sequence[tuple[str, int, int]] = ()  # (name, quantity, line total in cents)
    total_cents: int = 0


@dataclass(frozen=True, slots=True)
class Email:
    subject: str
    body: str


def shown_phone(digits: str | None) -> str:
    """``7345550142`` → ``(734) 555-0142``; anything else as it is."""
    value = digits or ""
    if len(value) == 10 and value.isdigit():
        return f"({value[:3]}) {value[3:6]}-{value[6:]}"
    return value


def masked_phone(digits: str) -> str:
    """What the order page shows of the number a text went to: enough to recognise it, not to read it."""
    return f"(•••) •••-{digits[-4:]}" if len(digits) >= 4 else "•••"


def masked_email(address: str) -> str:
    name, _, domain = address.partition("@")
    return f"{name[:1]}•••@{domain}" if domain else "•••"


def local_time(moment: datetime, zone_name: str) -> str:
    """'Tue Jun 3, 3:05 PM EDT': a moment on the store's clock, with the zone's abbreviation."""
    return moment.astimezone(zone(zone_name)).strftime("%a %b %-d, %-I:%M %p %Z")


def window_text(facts: Facts) -> str:
    """'Tue Jun 3, 4:00 PM – 5:00 PM EDT', or '' when the order has no window."""
    if facts.window is None:
        return ""
    start, end = facts.window
    local_end = end.astimezone(zone(facts.zone_name))
    return f"{start.astimezone(zone(facts.zone_name)).strftime('%a %b %-d, %-I:%M %p')} – " + local_end.strftime(
        "%-I:%M %p %Z"
    )


def _reason(reason: str) -> str:
    text = " ".join(reason.split()).rstrip(".")
    return text[:1].upper() + text[1:] if text else ""


def _headline(facts: Facts) -> str:
    """One sentence: what happened, for this shopper."""
    number = f"#{facts.number}"
    if facts.event == Event.PLACED:
        return f"We've received your order {number}. The store will confirm it shortly."
    if facts.event == Event.CONFIRMED:
        when = window_text(facts)
        way = "delivery" if facts.delivery else "pickup"
        return f"Your order {number} is confirmed" + (f" for {way} {when}." if when else ".")
    if facts.event == Event.READY_FOR_PICKUP:
        card = " and your medical card" if facts.medical else ""
        return f"Your order {number} is ready for pickup. Bring a valid photo ID{card}."
    if facts.event == Event.OUT_FOR_DELIVERY:
        return f"Your order {number} is out for delivery. Have a valid photo ID ready."
    reason = _reason(facts.reason)
    return f"Your order {number} was cancelled" + (f": {reason}." if reason else ".") + " Nothing is held for you."


def sms_text(facts: Facts) -> str:
    """The text: the store's name first (a text has no sender name), one sentence, the link."""
    parts = [f"{facts.store_name}: {_headline(facts)}"]
    if facts.event == Event.READY_FOR_PICKUP and facts.store_address:
        parts.append(f"At {', '.join(facts.store_address)}.")
    if facts.link:
        parts.append(f"Your order: {facts.link}")
    return " ".join(parts)


_SUBJECTS = {
    Event.PLACED: "We've received your order",
    Event.CONFIRMED: "Your order is confirmed",
    Event.READY_FOR_PICKUP: "Your order is ready for pickup",
    Event.OUT_FOR_DELIVERY: "Your order is out for delivery",
    Event.CANCELLED: "Your order was cancelled",
}


def _money(cents: int) -> str:
    return f"${cents / 100:,.2f}"


def email(facts: Facts) -> Email:
    """The e-mail: the same sentence, then the order as the page shows it, every time on the store's clock."""
    body = [f"Hi {facts.first_name}," if facts.first_name else "Hello,", "", _headline(facts), ""]
    if facts.link:
        body += ["Follow your order here:", facts.link, ""]
    body.append(f"Order #{facts.number}, placed {local_time(facts.placed_at, facts.zone_name)}")
    if facts.window is not None:
        body.append(f"{'Delivery' if facts.delivery else 'Pickup'}: {window_text(facts)}")
    for name, quantity, cents in facts.lines:
        body.append(f"  {quantity} × {name}  {_money(cents)}")
    if facts.lines:
        body.append(f"Total {_money(facts.total_cents)}, paid at {'delivery' if facts.delivery else 'pickup'}")
    body.append("")
    body.append(facts.store_name)
    body += list(facts.store_address)
    if facts.store_phone:
        body.append(shown_phone(facts.store_phone))
    subject = f"{_SUBJECTS[facts.event]} (#{facts.number}, {facts.store_name})"
    return Email(subject=subject, body="\n".join(body) + "\n")


def sms_recipient(phone: str) -> str:
    """The E.164 number for a stored ten-digit phone (customers.normalise_phone keeps North American numbers)."""
    return f"+1{phone}"


def clock(moment: datetime, zone_name: str) -> str:
    """'Tue 3:05 PM' on the store's clock (the order page's list of messages)."""
    return moment.astimezone(zone(zone_name)).strftime("%a %-I:%M %p")
