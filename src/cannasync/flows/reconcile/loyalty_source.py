"""Reconciling a loyalty source: every POS customer against its persona, every completed sale against what the
program read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog

from cannasync.connectors.base import Sale, Shopper, ShopperSource
from cannasync.connectors.registry import loyalty_options
from cannasync.domain.drift import Cause, Difference, Kind, Repair
from cannasync.flows import loyalty
from cannasync.flows.reconcile.counts import ReconcileCounts
from cannasync.store import history
from cannasync.store.accounts import IntegrationConfig
from cannasync.store.uow import Database, UnitOfWork

log = structlog.get_logger(__name__)


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


def reconcile(
    db: Database, source: ShopperSource, integration: IntegrationConfig, run_id: int, counts: ReconcileCounts
) -> None:
    """Every POS customer against its persona, every completed sale against what the program read.

    Repairs send the loyalty pull back over what it missed (its cursors, ``integrations.sync_state``) and make it
    run now: the pull's own rules then apply (profiles only with Sync Personas on, points once per sale by the
    ledger's unique reference), so nothing here decides a persona or a point itself. A frozen source ("use last
    backup") promised no call at all, so it is not read.
    """
    options = loyalty_options(integration.vendor, integration.settings)
    if options.frozen:
        log.info("reconcile_skipped", integration_id=integration.id, reason="loyalty source frozen (last backup)")
        return
    with db.uow() as uow:
        row = uow.accounts.integration(integration.id)
        assert row is not None
        state = dict(row.sync_state)
    rewind = _Rewind()
    batch: list[Shopper] = []
    for shopper in source.shoppers_changed_since(None):
        if not options.reaches(shopper.state):
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
        _since_last_change(uow, differences)
        uow.drift.record(run_id, integration.id, differences)
        counts.add(differences)
        counts.products += len(batch)  # records compared (customers here)
        uow.runs.progress(run_id, pages=0, seen=counts.products + counts.orders, counts=counts.as_dict())
    batch.clear()


def _since_last_change(uow: UnitOfWork, differences: list[Difference]) -> None:
    """A persona's difference dates from the persona's last change (its history): since then, ours has been so."""
    ids = [d.subject_id for d in differences if d.subject == "persona" and d.subject_id is not None]
    changed = history.last_changed(uow.session, history.PERSONA, ids)
    for difference in differences:
        if difference.subject_id in changed:
            difference.since = changed[difference.subject_id]


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
