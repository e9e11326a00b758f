"""Health's problem sections: each kind of problem is one small builder that counts it and lists the worst of it.

A builder reads the organization's rows in the page's unit of work and returns a :class:`Section`: a tile (count,
label) that links to the section, and items that each link to where the problem is fixed. Adding a kind of problem
(or a report, such as the last reconciliation) is one more function in :data:`SECTIONS`; the page sorts sections
with problems first and folds the clear ones into one line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cannasync.connectors.registry import vendor
from cannasync.store.uow import UnitOfWork
from cannasync.web.console.runviews import duration, vendor_title

#: How far back refused inbound calls count.
INTAKE_WINDOW = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class Item:
    text: str
    link: str | None = None
    detail: str | None = None
    at: datetime | None = None
    anchor: str | None = None  # the element id, so a notification's link lands on it


@dataclass(frozen=True, slots=True)
class Section:
    key: str
    title: str
    tile: str
    count: int
    items: list[Item] = field(default_factory=list)
    severity: str = "bad"  # the state while count > 0: bad (act now) or warn (have a look)
    more: str | None = None  # where the whole list is

    @property
    def state(self) -> str:
        return self.severity if self.count else "ok"


Builder = Callable[[UnitOfWork, int, datetime], Section]


def _in(seconds: float) -> str:
    return "now" if seconds <= 0 else f"in {duration(seconds)}"


def pushes(uow: UnitOfWork, organization_id: int, now: datetime) -> Section:
    """Vendor writes (order pushes, shopper sign-ups) refused for good or being retried after a failure."""
    count, rows = uow.health.troubled_pushes(organization_id)
    orders = uow.health.orders_by_id([m.subject_id for m, _ in rows if m.kind == "push_order"])
    items = []
    for message, integration in rows:
        order = orders.get(message.subject_id) if message.kind == "push_order" else None
        what = (
            f"Order #{order.number}"
            if order
            else f"{message.kind.replace('_', ' ').capitalize()} #{message.subject_id}"
        )
        if message.state == "failed":
            state = "refused: needs a person"
        else:
            wait = (message.next_attempt_at - now).total_seconds()
            state = f"retrying, {message.attempts} failed attempt(s), next {_in(wait)}"
        link = f"/console/stores/{order.store_id}/orders?order={order.id}" if order else None
        items.append(
            Item(
                f"{what} → {vendor_title(integration)}: {state}",
                link,
                message.last_error,
                message.updated_at,
                f"push-{message.id}",
            )
        )
    failed = any(m.state == "failed" or m.attempts >= 3 for m, _ in rows)
    return Section(
        "pushes", "Vendor writes failing or retrying", "Pushes failing", count, items, "bad" if failed else "warn"
    )


def quarantine(uow: UnitOfWork, organization_id: int, now: datetime) -> Section:
    count, rows = uow.health.quarantined(organization_id)
    items = []
    for record, integration in rows:
        link = (
            f"/console/stores/{integration.store_id}/products#quarantine-{integration.id}"
            if integration.store_id
            else None
        )
        items.append(
            Item(
                f"{vendor_title(integration)}: {record.kind} {record.external_id[:60]}",
                link,
                record.reason,
                record.last_seen_at,
                f"quarantine-record-{record.id}",
            )
        )
    return Section("quarantine", "Quarantined records", "Quarantined", count, items, "warn")


def staff_orders(uow: UnitOfWork, organization_id: int, now: datetime) -> Section:
    rows = uow.orders.needing_attention(organization_id)
    items = [
        Item(f"Order #{o.number}", f"/console/stores/{o.store_id}/orders?order={o.id}", o.attention, o.updated_at)
        for o in rows
    ]
    return Section("staff", "Orders that need staff", "Orders need staff", len(rows), items)


def wholesale(uow: UnitOfWork, organization_id: int, now: datetime) -> Section:
    count, rows = uow.health.wholesale_conflicts(organization_id)
    items = [
        Item(f"{vendor(i.vendor).title} order {o.market_number} ({vendor_title(i)})", None, o.conflict, o.updated_at)
        for o, i in rows
    ]
    return Section(
        "wholesale",
        "Wholesale orders that need a person",
        "Wholesale conflicts",
        count,
        items,
        more="/console/wholesale/orders?conflicts=true",
    )


def loyalty_stores(uow: UnitOfWork, organization_id: int, now: datetime) -> Section:
    rows = uow.health.unmapped_stores(organization_id)
    items = [
        Item(f"POS location {m.location_key} ({vendor_title(i)}) is not mapped to a store", None, None, m.first_seen_at)
        for m, i in rows
    ]
    return Section(
        "loyalty-stores",
        "Loyalty locations not mapped to a store",
        "Unmapped locations",
        len(rows),
        items,
        "warn",
        more="/console/loyalty/stores",
    )


def intake(uow: UnitOfWork, organization_id: int, now: datetime) -> Section:
    count, rows = uow.health.intake_errors(organization_id, now - INTAKE_WINDOW)
    items = [Item(f"{vendor_title(i)}: answered {e.status}", None, e.reason, e.received_at) for e, i in rows]
    return Section("intake", "Webhooks refused (last 24 h)", "Webhook errors", count, items, "warn")


def credentials(uow: UnitOfWork, organization_id: int, now: datetime) -> Section:
    items = []
    for row in uow.health.credential_problems(organization_id, now):
        if row.credential_problem == "refused":
            text = f"{vendor_title(row)}: the vendor refused the credentials"
        else:
            left = (row.credential_until - now).total_seconds() if row.credential_until else 0
            text = f"{vendor_title(row)}: paused by the vendor for {duration(left)} more"
        link = f"/console/stores/{row.store_id}/integrations" if row.store_id else None
        items.append(Item(text, link, row.credential_note, row.credential_noted_at, f"credential-{row.id}"))
    return Section("credentials", "Credentials refused or paused by a vendor", "Credentials", len(items), items)


def notifications(uow: UnitOfWork, organization_id: int, now: datetime) -> Section:
    items = [
        Item(
            f"{notification.channel.capitalize()} about: {incident.title}",
            "#notifications",
            f"{message.attempts} failed attempt(s), next {_in((message.next_attempt_at - now).total_seconds())}; "
            f"{message.last_error or ''}",
            message.updated_at,
        )
        for message, notification, incident in uow.health.undelivered_notifications(organization_id)
    ]
    # Shoppers' order e-mails go through the same mail server, and wait on it alike.
    items += [
        Item(
            f"E-mail to the shopper of order #{order.number}",
            f"/console/stores/{order.store_id}/orders?order={order.id}",
            f"{message.attempts} failed attempt(s), next {_in((message.next_attempt_at - now).total_seconds())}; "
            f"{message.last_error or ''}",
            message.updated_at,
        )
        for message, order in uow.health.undelivered_order_emails(organization_id)
    ]
    return Section("notify", "Notifications not delivered yet", "Notices undelivered", len(items), items, "warn")


#: Every kind of problem Health lists, in the order their tiles appear.
SECTIONS: list[Builder] = [
    pushes,
    quarantine,
    staff_orders,
    wholesale,
    loyalty_stores,
    intake,
    credentials,
    notifications,
]


def build(uow: UnitOfWork, organization_id: int, now: datetime) -> list[Section]:
    return [builder(uow, organization_id, now) for builder in SECTIONS]
