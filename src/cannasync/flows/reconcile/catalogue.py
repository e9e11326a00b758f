"""Reconciling the catalogue: every POS item against the product the store shows for it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cannasync.connectors.base import InventorySource
from cannasync.domain.catalog import FieldGroup, Product, available_quantity, map_category
from cannasync.domain.drift import Cause, Difference, Kind, Repair
from cannasync.flows import menu_sync
from cannasync.flows.reconcile.counts import ReconcileCounts
from cannasync.store import history
from cannasync.store.accounts import IntegrationConfig
from cannasync.store.catalog.sync import EDITED_BY_STORE
from cannasync.store.drift import OurProduct
from cannasync.store.tables import SyncRun
from cannasync.store.uow import Database, UnitOfWork

#: Visible products compared with the complete read's ids per transaction, when looking for ones the POS dropped.
GONE_BATCH = 1000


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


def reconcile(
    db: Database, connector: InventorySource, integration: IntegrationConfig, run_id: int, counts: ReconcileCounts
) -> int:
    store_id = integration.store_id
    assert store_id is not None
    owned = connector.options.store_owned
    with db.uow() as uow:
        categories = uow.categories.category_map(store_id)
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
    outcomes = uow.catalog_sync.save_page(
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
