"""Order status sync: ask the POS where each open pushed order stands, and move ours forward, never back.

How soon a shopper sees a change depends on whether the POS tells us. A POS that pushes statuses (signed
webhooks, postbacks to a per-integration URL) has them applied the moment they arrive; its open orders are
still polled every two minutes, a safety net for a webhook that never came. A POS that does not (one that cannot; one
whose webhooks are not set up) has its open orders polled every 15 seconds while there are any, and only
those orders: the schedule stays at two minutes, and each poll (and each push into the POS) that leaves an order
waiting brings the next one forward. "Pushes" is what the POS did, not what it was given: a verified status push
in the last day (``integrations.status_pushed_at``), so a webhook key saved without the address set in the POS
still gets the tight poll.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog

from cannasync.connectors.base import Postback, StatusMeanings, StatusSource
from cannasync.domain.orders import Fulfillment, OrderStatus, transition_problem
from cannasync.domain.sync import RunCounts
from cannasync.flows.checkout import apply_status
from cannasync.store.accounts import IntegrationConfig
from cannasync.store.tables import Integration
from cannasync.store.types import utcnow
from cannasync.store.uow import Database, UnitOfWork

FLOW = "order_status"
INTERVAL = timedelta(minutes=2)
AWAITING = [OrderStatus.SUBMITTED, OrderStatus.READY_FOR_PICKUP, OrderStatus.OUT_FOR_DELIVERY]
#: How often orders waiting on a POS that does not push statuses are polled (the order page's own 4 s on top keeps
#: a change in the POS under 30 s from the shopper).
OPEN_ORDERS_INTERVAL = timedelta(seconds=15)
#: A POS that pushed a status this recently is trusted to push the next one.
PUSHES_TRUSTED_FOR = timedelta(days=1)

log = structlog.get_logger(__name__)


def run(db: Database, source: StatusSource, integration: IntegrationConfig, run_id: int) -> RunCounts:
    counts = RunCounts()
    with db.uow() as uow:
        order_ids = uow.orders.awaiting_pos_status(integration.id, [status.value for status in AWAITING])
    for order_id in order_ids:
        with db.uow() as uow:
            order = uow.orders.get(order_id)
            assert order is not None and order.pos_order_id is not None
            pos_order_id, fulfillment = order.pos_order_id, Fulfillment(order.fulfillment)
        report = source.order_status(pos_order_id, fulfillment)
        outcome = apply_pos_status(db, order_id, report.raw, report.status)
        setattr(counts, outcome, getattr(counts, outcome) + 1)
        with db.uow() as uow:
            uow.runs.progress(run_id, pages=1, seen=len(order_ids), counts=counts.as_dict())
    with db.uow() as uow:
        if uow.orders.awaiting_pos_status(integration.id, [status.value for status in AWAITING]):
            poll_soon(uow, integration.id)
    return counts


def pushes_statuses(integration: Integration, now: datetime | None = None) -> bool:
    """Whether the POS behind ``integration`` has been pushing order statuses to us lately."""
    pushed = integration.status_pushed_at
    return pushed is not None and pushed > (now or utcnow()) - PUSHES_TRUSTED_FOR


def poll_soon(uow: UnitOfWork, integration_id: int) -> None:
    """Orders wait on this POS: poll it within ``OPEN_ORDERS_INTERVAL`` unless it pushes statuses to us."""
    integration = uow.accounts.integration(integration_id)
    if integration is None or pushes_statuses(integration):
        return
    uow.runs.due_by(integration_id, FLOW, utcnow() + OPEN_ORDERS_INTERVAL)


def apply_pos_status(db: Database, order_id: int, raw: str, status: OrderStatus | None) -> str:
    """Apply one POS report: updated, unchanged, or skipped (a late or backward update, logged and ignored)."""
    with db.uow() as uow:
        order = uow.orders.get(order_id, lock=True)
        assert order is not None
        changed_raw = order.pos_status != raw
        order.pos_status = raw
        current = OrderStatus(order.status)
        if status is None or status == current:
            return "updated" if changed_raw else "unchanged"
        problem = transition_problem(current, status, Fulfillment(order.fulfillment))
        if problem:
            if changed_raw:
                uow.orders.record(order.id, "status_ignored", "pos", f"POS says {raw!r}: {problem}")
                log.info("status_ignored", order_id=order.id, pos_status=raw, reason=problem)
            return "skipped"
        apply_status(uow, order, status, "pos", f"POS status {raw!r}")
        return "updated"


def apply_postback(db: Database, source: StatusMeanings, integration_id: int, postback: Postback) -> str:
    """A status the POS pushed to us (a postback, a webhook): applied at once, with the same rules as a poll.

    Every verified push counts as proof the POS pushes, whether the order is ours or not (a POS may send every
    retail order of the company, counter sales included)."""
    with db.uow() as uow:
        uow.accounts.note_status_push(integration_id)
    with db.uow() as uow:
        order_id = uow.orders.by_pos_order_id(integration_id, postback.pos_order_id)
        if order_id is None:
            return "unknown"
        order = uow.orders.get(order_id)
        assert order is not None
        fulfillment = Fulfillment(order.fulfillment)
    return apply_pos_status(db, order_id, postback.raw_status, source.status_meaning(postback.raw_status, fulfillment))
