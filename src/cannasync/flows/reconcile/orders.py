"""Reconciling orders and holds: unpushed orders, statuses the POS moved on, and holds that should be released."""

from __future__ import annotations

from datetime import datetime

from cannasync.connectors.base import Connector, HoldRelease, OrderSink, StatusPostbacks, StatusSource
from cannasync.domain import holds as hold_rules
from cannasync.domain.drift import Cause, Difference, Kind, Repair
from cannasync.domain.orders import Fulfillment, OrderStatus, transition_problem
from cannasync.flows import order_status
from cannasync.flows.checkout import PUSH_ORDER
from cannasync.flows.order_push import reference_for
from cannasync.flows.reconcile.counts import ReconcileCounts
from cannasync.store.accounts import IntegrationConfig
from cannasync.store.uow import Database, UnitOfWork


def reconcile_orders(
    db: Database,
    connector: Connector,
    integration: IntegrationConfig,
    run_id: int,
    counts: ReconcileCounts,
    pages: int,
) -> None:
    if isinstance(connector, OrderSink) and connector.options.sync_orders:
        with db.uow() as uow:
            unpushed = uow.drift.unpushed_orders(integration.id)
        for order_id in unpushed:
            difference = _unpushed(db, connector, order_id)
            _save(db, integration, run_id, counts, pages, difference)
    if isinstance(connector, StatusSource):
        with db.uow() as uow:
            open_orders = uow.orders.awaiting_pos_status(integration.id, [s.value for s in order_status.AWAITING])
        for order_id in open_orders:
            counts.orders += 1
            difference = _status(db, connector, order_id)
            _save(db, integration, run_id, counts, pages, difference)


def _save(
    db: Database,
    integration: IntegrationConfig,
    run_id: int,
    counts: ReconcileCounts,
    pages: int,
    difference: Difference | None,
) -> None:
    if difference is None:
        return
    with db.uow() as uow:
        uow.drift.record(run_id, integration.id, [difference])
        counts.add([difference])
        uow.runs.progress(run_id, pages=pages, seen=counts.products + counts.orders, counts=counts.as_dict())


def _last_event(uow: UnitOfWork, order_id: int) -> datetime | None:
    events = uow.orders.events(order_id)
    return events[-1].at if events else None


def _unpushed(db: Database, connector: OrderSink, order_id: int) -> Difference | None:
    """A confirmed order with no POS order: in flight, lost on the way back, refused, or never sent."""
    with db.uow() as uow:
        order = uow.orders.get(order_id)
        if order is None or order.pos_order_id or order.status != OrderStatus.CONFIRMED.value:
            return None
        key = f"{PUSH_ORDER}:{order.id}"
        message = next((m for m in uow.outbox.for_subject(PUSH_ORDER, order.id) if m.idempotency_key == key), None)
        if message is not None and (
            message.state == "sending" or (message.state == "pending" and not message.attempts)
        ):
            return None  # on its way now: not a difference yet
        reference = order.push_reference or reference_for(order.store_id, order.number)
        placed_at, number, since = order.placed_at, order.number, _last_event(uow, order.id)
        integration_id = order.integration_id
        message_id = message.id if message else None
        state = message.state if message else "none"
        error = (message.last_error if message else None) or order.push_error or ""
        attempts = message.attempts if message else 0
        retry_at = message.next_attempt_at if message else None
    found = connector.find_orders(reference, placed_at)  # a read: the lookup the push does before it retries
    ours = {"status": "confirmed", "pos_order_id": None, "push": state, "attempts": attempts, "error": error}
    label = f"order {number}"
    if found:
        theirs = {"pos_order_ids": [placed.pos_order_id for placed in found], "reference": reference}
        with db.uow() as uow:
            message = uow.outbox.get(message_id) if message_id is not None else None
            if message is None:
                uow.outbox.enqueue(integration_id or 0, PUSH_ORDER, order_id, key)
                message = next(m for m in uow.outbox.for_subject(PUSH_ORDER, order_id) if m.idempotency_key == key)
            uow.outbox.requeue(message, "reconciliation: the POS holds an order under our reference")
            uow.orders.record(order_id, "push", "hub", "reconciliation found it in the POS: push queued to take it")
        return Difference(
            kind=Kind.ORDER_NOT_RECORDED,
            subject="order",
            label=label,
            ours=ours,
            theirs=theirs,
            cause=Cause.LOST_PUSH_ANSWER,
            explanation=f"the POS holds {', '.join(theirs['pos_order_ids'])} under our reference {reference}, but "
            "its answer to the push never reached us",
            repair=Repair.REPAIRED,
            repair_detail="push queued again; it looks the order up before creating, so the POS keeps one",
            subject_id=order_id,
            since=since,
        )
    theirs = {"pos_order_ids": [], "reference": reference}
    explanation = f"confirmed online, no order under {reference} in the POS"
    if message_id is None:
        with db.uow() as uow:
            uow.outbox.enqueue(integration_id or 0, PUSH_ORDER, order_id, key)
            uow.orders.record(order_id, "push", "hub", "reconciliation: no push was queued; queued now")
        return Difference(
            Kind.ORDER_NOT_IN_POS, "order", label, ours, theirs, Cause.FAILED_PUSH,
            f"{explanation}: it was never queued for the POS",
            Repair.REPAIRED, "push queued (its idempotency key keeps it to one)", subject_id=order_id, since=since,
        )  # fmt: skip
    if state == "pending":
        return Difference(
            Kind.ORDER_NOT_IN_POS, "order", label, ours, theirs, Cause.FAILED_PUSH,
            f"{explanation}: the push has failed {attempts} time(s) ({error})",
            Repair.NONE, f"the outbox tries again at {retry_at:%H:%M:%S} UTC and never drops it",
            subject_id=order_id, since=since,
        )  # fmt: skip
    return Difference(
        Kind.ORDER_NOT_IN_POS, "order", label, ours, theirs, Cause.FAILED_PUSH,
        f"{explanation}: the POS refused the push ({error})",
        Repair.NEEDS_PERSON, "fix what the POS refused (the order's push error says what), then cancel the order "
        "or enter it in the POS by hand", subject_id=order_id, since=since,
    )  # fmt: skip


def _status(db: Database, connector: StatusSource, order_id: int) -> Difference | None:
    with db.uow() as uow:
        order = uow.orders.get(order_id)
        if order is None or order.pos_order_id is None:
            return None
        pos_order_id, fulfillment, current = order.pos_order_id, Fulfillment(order.fulfillment), order.status
        number, since = order.number, _last_event(uow, order.id)
        held = sum(hold.quantity for hold in uow.holds.of_order(order.id) if hold.released_at is None)
    report = connector.order_status(pos_order_id, fulfillment)
    label = f"order {number}"
    ours = {"status": current, "pos_order_id": pos_order_id, "held": held}
    if report.raw == "(not found)":
        return Difference(
            Kind.POS_ORDER_MISSING, "order", label, ours, {"status": None}, Cause.DELETED_IN_POS,
            f"ours is in the POS as {pos_order_id}, the POS has no such order",
            Repair.NEEDS_PERSON, "find out in the POS what became of it, then close or cancel ours",
            subject_id=order_id, since=since,
        )  # fmt: skip
    if report.status is None or report.status.value == current:
        return None
    if transition_problem(OrderStatus(current), report.status, fulfillment):
        return None  # a backward or impossible move: the status poll ignores and logs it too
    cause = Cause.MISSED_WEBHOOK if isinstance(connector, StatusPostbacks) else Cause.NOT_POLLED
    why = (
        "its status callback never reached us"
        if cause == Cause.MISSED_WEBHOOK
        else "the status poll has not read it yet"
    )
    outcome = order_status.apply_pos_status(db, order_id, report.raw, report.status)
    releases = " and its holds released" if not report.status.is_open and held else ""
    return Difference(
        kind=Kind.STATUS_BEHIND,
        subject="order",
        label=label,
        ours=ours,
        theirs={"status": report.status.value, "pos_status": report.raw},
        cause=cause,
        explanation=f"the POS moved it to {report.raw!r} ({report.status.value}); ours stayed {current}: {why}",
        repair=Repair.REPAIRED if outcome == "updated" else Repair.NEEDS_PERSON,
        repair_detail=f"moved to {report.status.value}{releases}"
        if outcome == "updated"
        else "the status could not be applied: see the order's history",
        subject_id=order_id,
        since=since,
    )


def reconcile_holds(
    db: Database, connector: Connector, integration: IntegrationConfig, run_id: int, counts: ReconcileCounts, pages: int
) -> None:
    at_push = connector.traits.hold_release == HoldRelease.ON_PUSH
    with db.uow() as uow:
        stale = uow.drift.stale_holds(integration.id, counted_at_push=at_push)
        differences = []
        for hold in stale:
            why = (
                f"the order is {hold.status}"
                if hold_rules.ends_holds(OrderStatus(hold.status))
                else f"the POS counts the stock since the order reached it as {hold.pos_order_id}"
            )
            released = uow.holds.release_holds(hold.order_id, f"reconciliation: {why}")
            uow.orders.record(hold.order_id, "note", "hub", f"reconciliation released {released} held: {why}")
            differences.append(
                Difference(
                    kind=Kind.STALE_HOLD,
                    subject="order",
                    label=f"order {hold.number}",
                    ours={"held": hold.quantity, "status": hold.status},
                    theirs={"pos_order_id": hold.pos_order_id},
                    cause=Cause.HOLD_NOT_RELEASED,
                    explanation=f"{hold.quantity} held for an order that should hold nothing: {why}",
                    repair=Repair.REPAIRED,
                    repair_detail=f"released {released}",
                    subject_id=hold.order_id,
                    since=hold.since,
                )
            )
        uow.drift.record(run_id, integration.id, differences)
        counts.add(differences)
        uow.runs.progress(run_id, pages=pages, seen=counts.products + counts.orders, counts=counts.as_dict())
