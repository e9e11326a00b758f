"""Order status sync: ask the POS where each open pushed order stands, and move ours forward, never back."""

from __future__ import annotations

from datetime import timedelta

import structlog

from cannasync.connectors.base import Postback, StatusPostbacks, StatusSource
from cannasync.domain.orders import Fulfillment, OrderStatus, transition_problem
from cannasync.domain.sync import RunCounts
from cannasync.flows.checkout import apply_status
from cannasync.store.accounts import IntegrationConfig
from cannasync.store.uow import Database

FLOW = "order_status"
INTERVAL = timedelta(minutes=2)
AWAITING = [OrderStatus.SUBMITTED, OrderStatus.READY_FOR_PICKUP, OrderStatus.OUT_FOR_DELIVERY]

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
    return counts


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


def apply_postback(db: Database, source: StatusPostbacks, integration_id: int, postback: Postback) -> str:
    """A status the POS pushed to us: applied at once, with the same rules as a poll."""
    with db.uow() as uow:
        order_id = uow.orders.by_pos_order_id(integration_id, postback.pos_order_id)
        if order_id is None:
            return "unknown"
        order = uow.orders.get(order_id)
        assert order is not None
        fulfillment = Fulfillment(order.fulfillment)
    return apply_pos_status(db, order_id, postback.raw_status, source.status_meaning(postback.raw_status, fulfillment))
