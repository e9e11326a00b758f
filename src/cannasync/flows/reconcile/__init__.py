"""Reconciliation: read the POS's truth, compare it with ours, explain every difference, repair what is safe.

Nothing is written to the vendor: the POS is only read, through the capabilities the other flows use (the menu
pages, the order lookup by our reference, the order status read). Repairs are ours alone, each recorded with the
difference it mends:

* a product whose count, price or listing drifted is re-synced from the page just read (the menu sync's own
  write, ``Catalog.save_page``); one the POS no longer sells is hidden (only after a complete read, as the menu
  sync does); one the POS sells and the store never listed makes the menu sync run now;
* an order the POS holds under our reference but ours never recorded (the push's answer was lost) has its push
  queued again through the outbox, outcome unknown, so the sender looks it up before it creates: exactly once;
* an order the POS moved on without telling us (a lost webhook, a poll not run yet) gets the POS's status, with
  the status machine's forward-only rule; that releases the holds of an order the POS closed;
* holds still open on orders that are closed (or that a POS counting stock at push already counts) are released.

What needs a person (a record the POS sends that cannot be read, a push the POS refuses, a POS order that
vanished) is listed with what to do, never guessed. Each page is compared and its differences written in one
transaction, so memory follows a page, not the catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog

from cannasync.connectors.base import (
    Connector,
    HoldRelease,
    InventorySource,
    OrderSink,
    Sale,
    Shopper,
    ShopperSource,
    StatusPostbacks,
    StatusSource,
    WholesaleMarket,
)
from cannasync.domain.catalog import FieldGroup, Product, available_quantity, map_category
from cannasync.domain.drift import Cause, Difference, Kind, Repair
from cannasync.domain.orders import Fulfillment, OrderStatus, transition_problem
from cannasync.flows import loyalty, menu_sync, order_status, wholesale
from cannasync.flows.checkout import PUSH_ORDER
from cannasync.flows.order_push import reference_for
from cannasync.store import history
from cannasync.store.accounts import IntegrationConfig
from cannasync.store.catalog import EDITED_BY_STORE
from cannasync.store.drift import FLOW, OurProduct
from cannasync.store.tables import SyncRun
from cannasync.store.uow import Database, UnitOfWork

INTERVAL = timedelta(days=1)
#: Visible products compared with the complete read's ids per transaction, when looking for ones the POS dropped.
GONE_BATCH = 1000

log = structlog.get_logger(__name__)

__all__ = ["FLOW", "INTERVAL", "ReconcileCounts", "run"]


@dataclass(slots=True)
class ReconcileCounts:
    """What a reconciliation read and found; ``as_dict`` is the run's counts."""

    products: int = 0
    orders: int = 0
    differences: int = 0
    repaired: int = 0
    needs_person: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)

    def add(self, differences: list[Difference]) -> None:
        for difference in differences:
            self.differences += 1
            self.by_kind[difference.kind.value] = self.by_kind.get(difference.kind.value, 0) + 1
            if difference.repair == Repair.REPAIRED:
                self.repaired += 1
            elif difference.repair == Repair.NEEDS_PERSON:
                self.needs_person += 1

    def as_dict(self) -> dict[str, int]:
        return {
            "products": self.products,
            "orders": self.orders,
            "differences": self.differences,
            "repaired": self.repaired,
            "needs_person": self.needs_person,
            **{f"drift_{kind}": count for kind, count in sorted(self.by_kind.items())},
        }


@dataclass(frozen=True, slots=True)
class _LastSync:
    """The newest menu sync: what a product's difference is measured against."""

    run_id: int | None
    failed: str | None
    at: datetime | None

    @classmethod
    def of(cls, run: SyncRun | None) -> _LastSync:
        if run is None:
            return cls(None, None, None)
        return cls(run.id, run.error if run.status == "failed" else None, run.started_at or run.queued_at)


def run(db: Database, connector: Connector, integration: IntegrationConfig, run_id: int) -> ReconcileCounts:
    """One reconciliation: a store's POS (its catalogue, then its orders, then its holds), or a loyalty source
    (its customers, then its completed sales)."""
    counts = ReconcileCounts()
    if isinstance(connector, ShopperSource):
        _loyalty(db, connector, integration, run_id, counts)
        return counts
    if isinstance(connector, WholesaleMarket):
        _wholesale(db, connector, integration, run_id, counts)
        return counts
    if integration.store_id is None:
        raise ValueError("a reconciliation compares a store's POS connection or a loyalty source")
    pages = 0
    if isinstance(connector, InventorySource):
        pages = _products(db, connector, integration, run_id, counts)
    _orders(db, connector, integration, run_id, counts, pages)
    _holds(db, connector, integration, run_id, counts, pages)
    with db.uow() as uow:
        uow.runs.progress(run_id, pages=pages, seen=counts.products + counts.orders, counts=counts.as_dict())
    log.info("reconcile_done", integration_id=integration.id, run_id=run_id, **counts.as_dict())
    return counts


# --- the catalogue ---------------------------------------------------------------------------------------------


def _products(
    db: Database, connector: InventorySource, integration: IntegrationConfig, run_id: int, counts: ReconcileCounts
) -> int:
    store_id = integration.store_id
    assert store_id is not None
    owned = connector.options.store_owned
    with db.uow() as uow:
        categories = uow.catalog.category_map(store_id)
        unreadable = {r.external_id: r.reason for r in uow.runs.quarantined(integration.id)}
        last = _LastSync.of(next(iter(uow.runs.recent(integration.id, menu_sync.FLOW, 1)), None))
    seen: set[str] = set()  # external ids only, as the menu sync keeps them
    pages = 0
    for page in connector.menu_pages():  # a vendor error ends the run here, before anything is hidden
        pages += 1
        fresh = list({p.external_id: p for p in page.products if p.external_id not in seen}.values())
        bad = [record.external_id for record in page.quarantined if record.external_id]
        with db.uow() as uow:
            ours = uow.drift.products(integration.id, [p.external_id for p in fresh] + bad)
            differences: list[Difference] = []
            resync: list[tuple[Product, list[Difference]]] = []
            missing = False
            for product in fresh:
                mine = ours.get(product.external_id)
                if mine is None:
                    if product.listed:
                        differences.append(_not_on_store(product))
                        missing = True
                    continue
                found = _compare(product, mine, owned, last)
                if found and mine.fingerprint == EDITED_BY_STORE:
                    _edited_by_store(uow, mine, found)
                differences += found
                if any(d.repair == Repair.REPAIRED for d in found):
                    resync.append((product, found))
            for record in page.quarantined:
                mine = ours.get(record.external_id) if record.external_id else None
                if mine is not None and mine.visible:
                    differences.append(_unreadable(mine, record.reason or unreadable.get(mine.external_id, "")))
            _resync(uow, integration, run_id, categories, owned, resync)
            if missing and not uow.drift.sync_soon(integration.id, menu_sync.FLOW):
                for difference in differences:
                    if difference.kind == Kind.NOT_ON_STORE:
                        difference.repair = Repair.NEEDS_PERSON
                        difference.repair_detail = "the menu sync is paused: choose a location or enable the connection"
            uow.drift.record(run_id, integration.id, differences)
            seen.update(p.external_id for p in fresh)
            seen.update(bad)
            counts.products += len(fresh)
            counts.add(differences)
            uow.runs.progress(run_id, pages=pages, seen=counts.products, counts=counts.as_dict())
    _gone(db, integration, run_id, seen, counts, pages)
    return pages


def _compare(product: Product, mine: OurProduct, owned: frozenset[FieldGroup], last: _LastSync) -> list[Difference]:
    """The differences between one POS item and the product the store shows for it."""
    found: list[Difference] = []
    held = mine.held_quantity
    cause, why = _product_cause(last)

    def difference(kind: Kind, ours: dict[str, Any], theirs: dict[str, Any], text: str) -> Difference:
        return Difference(
            kind=kind,
            subject="product",
            label=mine.name,
            ours=ours,
            theirs=theirs,
            cause=cause,
            explanation=f"{text}; {why}",
            repair=Repair.REPAIRED,
            repair_detail="re-synced from the POS's page",
            subject_id=mine.id,
            external_id=mine.external_id,
            since=mine.updated_at,
        )

    if product.pos_quantity != mine.pos_quantity:
        shown = available_quantity(mine.pos_quantity, held) if mine.visible else 0
        found.append(
            difference(
                Kind.QUANTITY,
                {"pos_quantity": mine.pos_quantity, "held": held, "available": shown},
                {
                    "sellable": product.pos_quantity,
                    "available_after_holds": available_quantity(product.pos_quantity, held),
                },
                f"the store shows {shown} ({mine.pos_quantity} counted at the last sync less {held} held); "
                f"the POS counts {product.pos_quantity} sellable",
            )
        )
    if product.listed != mine.visible:
        state = {True: "shown", False: "hidden"}
        found.append(
            difference(
                Kind.VISIBILITY,
                {"visible": mine.visible},
                {"listed": product.listed},
                f"the store has it {state[mine.visible]}; the POS has it {state[product.listed]}",
            )
        )
    ours_price = {"rec_price_cents": mine.rec_price_cents, "med_price_cents": mine.med_price_cents}
    theirs_price = {"rec_price_cents": product.rec_price_cents, "med_price_cents": product.med_price_cents}
    if ours_price != theirs_price:
        if FieldGroup.PRICES in owned:
            found.append(
                Difference(
                    kind=Kind.PRICE,
                    subject="product",
                    label=mine.name,
                    ours=ours_price,
                    theirs=theirs_price,
                    cause=Cause.STORE_OWNED,
                    explanation="the store keeps its own prices (price sync is off for this connection)",
                    repair=Repair.NONE,
                    repair_detail="by design: turn price sync on to follow the POS",
                    subject_id=mine.id,
                    external_id=mine.external_id,
                    since=mine.updated_at,
                )
            )
        else:
            found.append(difference(Kind.PRICE, ours_price, theirs_price, "the prices differ"))
    return found


def _edited_by_store(uow: UnitOfWork, mine: OurProduct, found: list[Difference]) -> None:
    """The product was edited in the hub since its last sync: say who and when, from its history."""
    edits = [(change, run) for change, run in history.of(uow.session, history.PRODUCT, mine.id, 20) if run is None]
    if not edits:
        return
    change, _ = edits[0]
    for difference in found:
        fields = {"price": ("rec_price_cents", "med_price_cents")}.get(difference.kind.value, ())
        if difference.cause == Cause.STORE_OWNED or not any(name in change.changes for name in fields):
            continue
        difference.cause = Cause.STORE_EDITED
        difference.since = change.at
        difference.explanation = (
            f"edited by {change.actor or 'a person'} at {change.at:%Y-%m-%d %H:%M} UTC; the POS owns this field, "
            "so its value comes back"
        )


def _product_cause(last: _LastSync) -> tuple[Cause, str]:
    if last.run_id is None:
        return Cause.POS_CHANGED, "no menu sync has run yet"
    if last.failed:
        return Cause.SYNC_FAILED, f"the last menu sync (run {last.run_id}) failed: {last.failed}"
    when = last.at.strftime("%Y-%m-%d %H:%M UTC") if last.at else "?"
    return Cause.POS_CHANGED, f"changed in the POS after the last menu sync read it (run {last.run_id}, {when})"


def _not_on_store(product: Product) -> Difference:
    return Difference(
        kind=Kind.NOT_ON_STORE,
        subject="product",
        label=product.name,
        ours={},
        theirs={"sellable": product.pos_quantity, "rec_price_cents": product.rec_price_cents},
        cause=Cause.POS_CHANGED,
        explanation="the POS sells it and the store has never listed it: added in the POS after the last menu sync",
        repair=Repair.REPAIRED,
        repair_detail="the menu sync was asked to run now; it adds the product",
        external_id=product.external_id,
    )


def _unreadable(mine: OurProduct, reason: str) -> Difference:
    return Difference(
        kind=Kind.UNREADABLE,
        subject="product",
        label=mine.name,
        ours={"pos_quantity": mine.pos_quantity, "visible": mine.visible},
        theirs={"quarantined": reason},
        cause=Cause.QUARANTINED,
        explanation=f"the POS's record cannot be read ({reason}); the store shows its last good version",
        repair=Repair.NEEDS_PERSON,
        repair_detail="fix the item in the POS (the quarantine has its payload); the next sync then reads it",
        subject_id=mine.id,
        external_id=mine.external_id,
        since=mine.updated_at,
    )


def _resync(
    uow: UnitOfWork,
    integration: IntegrationConfig,
    run_id: int,
    categories: dict[str, str],
    owned: frozenset[FieldGroup],
    resync: list[tuple[Product, list[Difference]]],
) -> None:
    """Write the drifted products as the menu sync would (only bound ones: creating is the menu sync's job)."""
    if not resync:
        return
    assert integration.store_id is not None
    outcomes = uow.catalog.save_page(
        store_id=integration.store_id,
        integration_id=integration.id,
        products=[(product, map_category(product.category, categories)) for product, _ in resync],
        run_id=run_id,
        store_owned=owned,
    )
    for (_, differences), outcome in zip(resync, outcomes, strict=True):
        if outcome == "updated":
            continue
        # The POS's record is the one the store last synced: the store's copy was changed some other way.
        for difference in differences:
            if difference.repair == Repair.REPAIRED:
                difference.repair = Repair.NEEDS_PERSON
                difference.repair_detail = "the store's copy was changed outside a sync: edit the product back"


def _gone(
    db: Database, integration: IntegrationConfig, run_id: int, seen: set[str], counts: ReconcileCounts, pages: int
) -> None:
    """After a complete read: products the store shows that the POS no longer sells are hidden."""
    after = 0
    while True:
        with db.uow() as uow:
            batch = uow.drift.visible_products(integration.id, after, GONE_BATCH)
            if not batch:
                return
            after = batch[-1].id
            gone = [mine for mine in batch if mine.external_id not in seen]
            if not gone:
                continue
            uow.drift.hide([mine.id for mine in gone], run_id)
            differences = [
                Difference(
                    kind=Kind.GONE_FROM_POS,
                    subject="product",
                    label=mine.name,
                    ours={"visible": True, "available": available_quantity(mine.pos_quantity, mine.held_quantity)},
                    theirs={"listed": False},
                    cause=Cause.DELETED_IN_POS,
                    explanation="the store shows it, the POS no longer sells it (deleted, inactive or not sellable)",
                    repair=Repair.REPAIRED,
                    repair_detail="hidden from the store, as the next complete menu sync would",
                    subject_id=mine.id,
                    external_id=mine.external_id,
                    since=mine.updated_at,
                )
                for mine in gone
            ]
            uow.drift.record(run_id, integration.id, differences)
            counts.add(differences)
            uow.runs.progress(run_id, pages=pages, seen=counts.products, counts=counts.as_dict())


# --- orders ----------------------------------------------------------------------------------------------------


def _orders(
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
        held = sum(hold.quantity for hold in uow.catalog.holds(order.id) if hold.released_at is None)
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


# --- holds -----------------------------------------------------------------------------------------------------


def _holds(
    db: Database, connector: Connector, integration: IntegrationConfig, run_id: int, counts: ReconcileCounts, pages: int
) -> None:
    at_push = connector.traits.hold_release == HoldRelease.ON_PUSH
    with db.uow() as uow:
        stale = uow.drift.stale_holds(integration.id, counted_at_push=at_push)
        differences = []
        for hold in stale:
            why = (
                f"the order is {hold.status}"
                if hold.status in ("closed", "cancelled")
                else f"the POS counts the stock since the order reached it as {hold.pos_order_id}"
            )
            released = uow.catalog.release_holds(hold.order_id, f"reconciliation: {why}")
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


# --- a loyalty source ------------------------------------------------------------------------------------------

#: POS customers (or sales) compared per transaction.
LOYALTY_BATCH = 200


@dataclass(slots=True)
class _Rewind:
    """The earliest change the loyalty pull's cursors passed over: the pull is sent back to just before it."""

    customers: datetime | None = None
    sales: datetime | None = None

    def customer(self, at: datetime) -> None:
        self.customers = at if self.customers is None else min(self.customers, at)

    def sale(self, at: datetime) -> None:
        self.sales = at if self.sales is None else min(self.sales, at)


def _cursor(state: dict[str, Any], name: str) -> datetime | None:
    value = state.get(name)
    return datetime.fromisoformat(value) if value else None


def _loyalty(
    db: Database, source: ShopperSource, integration: IntegrationConfig, run_id: int, counts: ReconcileCounts
) -> None:
    """Every POS customer against its persona, every completed sale against what the program read.

    Repairs send the loyalty pull back over what it missed (its cursors, ``integrations.sync_state``) and make it
    run now: the pull's own rules then apply (profiles only with Sync Personas on, points once per sale by the
    ledger's unique reference), so nothing here decides a persona or a point itself. A frozen source ("use last
    backup") promised no call at all, so it is not read.
    """
    settings = integration.settings
    if loyalty.frozen(settings):
        log.info("reconcile_skipped", integration_id=integration.id, reason="loyalty source frozen (last backup)")
        return
    with db.uow() as uow:
        row = uow.accounts.integration(integration.id)
        assert row is not None
        state = dict(row.sync_state)
    regions = set(settings.get("regions") or []) if settings.get("sync_to_state") else set()
    rewind = _Rewind()
    batch: list[Shopper] = []
    for shopper in source.shoppers_changed_since(None):
        if regions and shopper.state not in regions:
            continue  # not this credential's regions: the pull leaves it out too
        batch.append(shopper)
        if len(batch) >= LOYALTY_BATCH:
            _shoppers(db, integration, run_id, counts, state, rewind, batch)
    _shoppers(db, integration, run_id, counts, state, rewind, batch)
    sales: list[Sale] = []
    for sale in source.sales_completed_since(None):
        sales.append(sale)
        if len(sales) >= LOYALTY_BATCH:
            _sales(db, integration, run_id, counts, state, rewind, sales)
    _sales(db, integration, run_id, counts, state, rewind, sales)
    if rewind.customers is None and rewind.sales is None:
        return
    with db.uow() as uow:
        row = uow.accounts.integration(integration.id)
        assert row is not None
        changed = dict(row.sync_state)
        for name, earliest in (("customers_since", rewind.customers), ("sales_since", rewind.sales)):
            cursor = _cursor(changed, name)
            if earliest is not None and cursor is not None and earliest <= cursor:
                changed[name] = (earliest - timedelta(microseconds=1)).isoformat()
        row.sync_state = changed
        uow.drift.sync_soon(integration.id, loyalty.PULL)


def _pull_cause(at: datetime, cursor: datetime | None) -> tuple[Cause, str]:
    if cursor is None or at > cursor:
        return Cause.NOT_PULLED, "changed after the last loyalty pull read the POS"
    return Cause.PASSED_BY_PULL, (
        f"dated {at:%Y-%m-%d %H:%M} UTC, before where the last pull had read to ({cursor:%Y-%m-%d %H:%M} UTC): "
        "a late or back-dated change the pull passed over"
    )


def _shoppers(
    db: Database,
    integration: IntegrationConfig,
    run_id: int,
    counts: ReconcileCounts,
    state: dict[str, Any],
    rewind: _Rewind,
    batch: list[Shopper],
) -> None:
    if not batch:
        return
    cursor = _cursor(state, "customers_since")
    personas_since = _cursor(state, "personas_since")
    with db.uow() as uow:
        links = uow.drift.persona_links(integration.id, [shopper.external_id for shopper in batch])
        differences: list[Difference] = []
        for shopper in batch:
            theirs = {
                "name": f"{shopper.first_name} {shopper.last_name}".strip(),
                "updated_at": shopper.updated_at.isoformat(),
            }
            label = f"customer {shopper.external_id}"
            linked = links.get(shopper.external_id)
            cause, why = _pull_cause(shopper.updated_at, cursor)
            if linked is None:
                rewind.customer(shopper.updated_at)
                differences.append(
                    Difference(
                        Kind.SHOPPER_MISSING,
                        "persona",
                        label,
                        {"persona": None},
                        theirs,
                        cause,
                        f"a POS customer with no persona: {why}",
                        Repair.REPAIRED,
                        "the loyalty pull runs now from before this change, and adds it",
                        external_id=shopper.external_id,
                    )
                )
                continue
            persona_id, digest = linked
            incoming = loyalty.profile_hash(
                shopper.first_name, shopper.last_name, shopper.email, shopper.phone, shopper.date_of_birth
            )
            if digest == incoming:
                continue
            ours = {"persona_id": persona_id}
            if personas_since is None or shopper.updated_at < personas_since:
                differences.append(
                    Difference(
                        Kind.PROFILE,
                        "persona",
                        label,
                        ours,
                        theirs,
                        Cause.PERSONAS_OFF,
                        "the POS profile changed; Sync Personas is off (or was off then), so the persona keeps "
                        "its contact",
                        Repair.NONE,
                        "by design: switch Sync Personas on to follow the POS",
                        subject_id=persona_id,
                        external_id=shopper.external_id,
                    )
                )
                continue
            rewind.customer(shopper.updated_at)
            differences.append(
                Difference(
                    Kind.PROFILE,
                    "persona",
                    label,
                    ours,
                    theirs,
                    cause,
                    f"the persona's contact is not the POS's (the POS is the source of truth): {why}",
                    Repair.REPAIRED,
                    "the loyalty pull runs now from before this change, and copies it",
                    subject_id=persona_id,
                    external_id=shopper.external_id,
                )
            )
        uow.drift.record(run_id, integration.id, differences)
        counts.add(differences)
        counts.products += len(batch)  # records compared (customers here)
        uow.runs.progress(run_id, pages=0, seen=counts.products + counts.orders, counts=counts.as_dict())
    batch.clear()


def _sales(
    db: Database,
    integration: IntegrationConfig,
    run_id: int,
    counts: ReconcileCounts,
    state: dict[str, Any],
    rewind: _Rewind,
    batch: list[Sale],
) -> None:
    if not batch:
        return
    cursor = _cursor(state, "sales_since")
    with db.uow() as uow:
        read = uow.drift.sales(integration.id, [sale.external_id for sale in batch])
        links = uow.drift.persona_links(
            integration.id, [s.customer_external_id for s in batch if s.customer_external_id]
        )
        differences: list[Difference] = []
        for sale in batch:
            label = f"sale {sale.external_id}"
            theirs = {
                "total_cents": sale.total_cents,
                "customer": sale.customer_external_id,
                "completed_at": sale.completed_at.isoformat(),
            }
            if sale.external_id not in read:
                cause, why = _pull_cause(sale.completed_at, cursor)
                rewind.sale(sale.completed_at)
                differences.append(
                    Difference(
                        Kind.SALE_MISSING,
                        "sale",
                        label,
                        {"read": False},
                        theirs,
                        cause,
                        f"a completed sale the program never read (it earned nothing yet): {why}",
                        Repair.REPAIRED,
                        "the loyalty pull runs now from before this sale; the ledger credits it once",
                        external_id=sale.external_id,
                    )
                )
                continue
            linked = links.get(sale.customer_external_id or "")
            if read[sale.external_id] is None and linked is not None:
                differences.append(
                    Difference(
                        Kind.SALE_UNATTRIBUTED,
                        "sale",
                        label,
                        {"persona_id": None},
                        theirs,
                        Cause.NOT_PULLED,
                        "read before its shopper had a persona, so it earned no points",
                        Repair.NEEDS_PERSON,
                        f"credit persona {linked[0]} by hand if the program should count it",
                        subject_id=linked[0],
                        external_id=sale.external_id,
                    )
                )
        uow.drift.record(run_id, integration.id, differences)
        counts.add(differences)
        counts.orders += len(batch)  # records compared (sales here)
        uow.runs.progress(run_id, pages=0, seen=counts.products + counts.orders, counts=counts.as_dict())
    batch.clear()


# --- a wholesale bridge ----------------------------------------------------------------------------------------


def _wholesale(
    db: Database, market: WholesaleMarket, integration: IntegrationConfig, run_id: int, counts: ReconcileCounts
) -> None:
    """The POS's wholesale items against the marketplace products the bridge made, and each order pair's two
    statuses against both vendors. Every repair is the bridge's own run, made due now: it alone writes to either
    vendor, with its rules (who owns stock and descriptions, which transitions LeafLink offers)."""
    supplier = wholesale.supplier_for(db, integration)
    settings = integration.settings
    brands = {brand.lower() for brand in settings.get("brands") or []}
    stock = bool(settings.get("inventory_from_flourish", True))
    differences: list[Difference] = []
    try:
        for item in supplier.offered_items():
            if (item.brand or "").lower() not in brands:
                continue
            counts.products += 1
            with db.uow() as uow:
                pair = uow.wholesale.product_for_item(integration.id, item.id)
                known = (pair.leaflink_product_id, pair.quantity_sent, pair.updated_at) if pair else None
            label = item.name
            if known is None:
                differences.append(
                    Difference(
                        Kind.NOT_LISTED,
                        "product",
                        label,
                        {"marketplace_product": None},
                        {"item": item.id, "sellable": item.quantity},
                        Cause.POS_CHANGED,
                        "an item of this account's brands with no marketplace product yet",
                        Repair.REPAIRED,
                        "the bridge runs now and lists it",
                        external_id=item.id,
                    )
                )
            elif stock and item.quantity != known[1]:
                differences.append(
                    Difference(
                        Kind.WHOLESALE_STOCK,
                        "product",
                        label,
                        {"quantity_sent": known[1], "product": known[0]},
                        {"sellable": item.quantity},
                        Cause.MISSED_WEBHOOK,
                        "the POS's stock changed and the marketplace was not sent it (its stock webhook was lost)",
                        Repair.REPAIRED,
                        "the bridge runs now and sends the quantity",
                        external_id=item.id,
                        since=known[2],
                    )
                )
        with db.uow() as uow:
            pairs = [
                (
                    p.leaflink_number,
                    p.flourish_order_id,
                    p.facility_id,
                    p.leaflink_status,
                    p.flourish_status,
                    p.conflict,
                )
                for p in uow.wholesale.orders(integration.id)
            ]
        for number, pos_id, facility, ours_market, ours_pos, conflict in pairs:
            if conflict:
                differences.append(
                    Difference(
                        Kind.WHOLESALE_CONFLICT,
                        "order",
                        f"order {number}",
                        {"leaflink": ours_market, "flourish": ours_pos},
                        {},
                        Cause.FAILED_PUSH,
                        conflict,
                        Repair.NEEDS_PERSON,
                        "settle it in LeafLink or Flourish as the note says",
                    )
                )
                continue
            if ours_pos in wholesale.FINAL_POS:
                continue
            counts.orders += 1
            pos_order = supplier.order(pos_id, facility) if pos_id and facility else None
            theirs_pos = pos_order.status if pos_order else None
            found = market.order(number)
            theirs_market = found.status if found else None
            moved = (pos_id is not None and theirs_pos not in (None, ours_pos)) or (
                theirs_market is not None and theirs_market != ours_market
            )
            if moved:
                differences.append(
                    Difference(
                        Kind.WHOLESALE_STATUS,
                        "order",
                        f"order {number}",
                        {"leaflink": ours_market, "flourish": ours_pos},
                        {"leaflink": theirs_market, "flourish": theirs_pos},
                        Cause.MISSED_WEBHOOK,
                        "the order moved on one side and the bridge has not carried it to the other yet",
                        Repair.REPAIRED,
                        "the bridge runs now and carries the status",
                    )
                )
    finally:
        supplier.close()
    with db.uow() as uow:
        if differences:
            repairable = [d for d in differences if d.repair == Repair.REPAIRED]
            if repairable and not uow.drift.sync_soon(integration.id, wholesale.FLOW):
                for difference in repairable:
                    difference.repair = Repair.NEEDS_PERSON
                    difference.repair_detail = "the bridge is paused: enable the LeafLink link"
        uow.drift.record(run_id, integration.id, differences)
        counts.add(differences)
        uow.runs.progress(run_id, pages=0, seen=counts.products + counts.orders, counts=counts.as_dict())
