"""What reconciliation reads of our side, and the drift reports it writes.

Every read here is bounded: a page of external ids at a time, or a keyset batch of products, never a whole
catalogue in memory.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, insert, select, update
from sqlalchemy.orm import Session

from cannasync.domain.drift import Difference
from cannasync.domain.holds import RELEASING_STATUSES
from cannasync.store import history
from cannasync.store.catalog.products import PRODUCT
from cannasync.store.db import rowcount
from cannasync.store.tables import (
    Binding,
    Drift,
    Hold,
    LoyaltySale,
    Order,
    PersonaLink,
    Product,
    Schedule,
    SyncRun,
)
from cannasync.store.types import utcnow

FLOW = "reconcile"


@dataclass(frozen=True, slots=True)
class OurProduct:
    id: int
    external_id: str
    name: str
    pos_quantity: int
    held_quantity: int
    visible: bool
    rec_price_cents: int | None
    med_price_cents: int | None
    updated_at: datetime
    fingerprint: str


@dataclass(frozen=True, slots=True)
class StaleHold:
    order_id: int
    number: str
    status: str
    pos_order_id: str | None
    quantity: int
    since: datetime


# Ten columns, OurProduct's fields in order. SQLAlchemy types a row of at most nine columns exactly and leaves the
# rest open, so a row is sliced to these ten to be typed as OurProduct's arguments.
_COLUMNS = (
    Product.id,
    Binding.external_id,
    Product.name,
    Product.pos_quantity,
    Product.held_quantity,
    Product.visible,
    Product.rec_price_cents,
    Product.med_price_cents,
    Product.updated_at,
    Product.fingerprint,
)


class DriftStore:
    def __init__(self, session: Session) -> None:
        self.session = session

    # --- our side, read a page at a time ---
    def products(self, integration_id: int, external_ids: Collection[str]) -> dict[str, OurProduct]:
        """Our products for one page of POS ids (one query)."""
        if not external_ids:
            return {}
        rows = self.session.execute(
            select(*_COLUMNS)
            .join(Product, Product.id == Binding.internal_id)
            .where(
                Binding.integration_id == integration_id,
                Binding.kind == PRODUCT,
                Binding.external_id.in_(list(external_ids)),
            )
        )
        return {row[1]: OurProduct(*row[:10]) for row in rows}

    def visible_products(self, integration_id: int, after_id: int, limit: int) -> list[OurProduct]:
        """The next batch of products the store shows (keyset on the id, so batches cost the same all the way)."""
        rows = self.session.execute(
            select(*_COLUMNS)
            .join(Binding, (Binding.internal_id == Product.id) & (Binding.kind == PRODUCT))
            .where(
                Product.integration_id == integration_id,
                Binding.integration_id == integration_id,
                Product.visible.is_(True),
                Product.id > after_id,
            )
            .order_by(Product.id)
            .limit(limit)
        )
        return [OurProduct(*row[:10]) for row in rows]

    def hide(self, product_ids: Sequence[int], run_id: int | None = None) -> int:
        """Hide products the POS no longer sells, as a complete menu sync would (``CatalogSync.hide_missing``)."""
        hidden = 0
        for start in range(0, len(product_ids), 500):
            result = self.session.execute(
                update(Product)
                .where(Product.id.in_(product_ids[start : start + 500]), Product.visible.is_(True))
                .values(visible=False, fingerprint="hidden", updated_at=utcnow())
            )
            hidden += rowcount(result)
        history.record(self.session, history.hidden(product_ids, run_id))
        return hidden

    def unpushed_orders(self, integration_id: int) -> list[int]:
        """Confirmed orders with no POS order: each should be on its way through the outbox."""
        return list(
            self.session.scalars(
                select(Order.id)
                .where(
                    Order.integration_id == integration_id,
                    Order.status == "confirmed",
                    Order.pos_order_id.is_(None),
                )
                .order_by(Order.id)
            )
        )

    def stale_holds(self, integration_id: int, *, counted_at_push: bool) -> list[StaleHold]:
        """Orders holding stock they should not: closed ones, and (for a POS that deducts stock when the order is
        created in it) pushed ones the store did not ask to keep holding."""
        # domain.holds in SQL: an ended order holds nothing; nor does one a POS counts from its push, unless kept.
        stale: ColumnElement[bool] = Order.status.in_(sorted(status.value for status in RELEASING_STATUSES))
        if counted_at_push:
            stale = stale | (Order.pos_order_id.is_not(None) & Order.keep_holding.is_(False))
        rows = self.session.execute(
            select(
                Order.id,
                Order.number,
                Order.status,
                Order.pos_order_id,
                func.sum(Hold.quantity),
                func.min(Hold.created_at),
            )
            .join(Hold, Hold.order_id == Order.id)
            .where(Order.integration_id == integration_id, Hold.released_at.is_(None), stale)
            .group_by(Order.id, Order.number, Order.status, Order.pos_order_id)
            .order_by(Order.id)
        )
        return [StaleHold(*row) for row in rows]

    def sync_soon(self, integration_id: int, flow: str) -> bool:
        """Make a scheduled flow run at once (or right after the run holding it): False when it is paused."""
        now = utcnow()
        schedule = self.session.scalar(
            select(Schedule).where(Schedule.integration_id == integration_id, Schedule.flow == flow).with_for_update()
        )
        if schedule is None or schedule.next_run_at is None:
            return False
        if schedule.leased_until is not None and schedule.leased_until >= now:
            schedule.follow_up = True
        elif schedule.next_run_at > now:
            schedule.next_run_at = now
        return True

    def persona_links(self, integration_id: int, external_ids: Collection[str]) -> dict[str, tuple[int, str]]:
        """POS customer id → (persona id, profile hash last exchanged), for one batch of customers."""
        if not external_ids:
            return {}
        rows = self.session.execute(
            select(PersonaLink.external_id, PersonaLink.persona_id, PersonaLink.profile_hash).where(
                PersonaLink.integration_id == integration_id, PersonaLink.external_id.in_(list(external_ids))
            )
        )
        return {external_id: (persona_id, digest) for external_id, persona_id, digest in rows}

    def sales(self, integration_id: int, external_ids: Collection[str]) -> dict[str, int | None]:
        """POS sale id → the persona it was credited to (None: nobody), for the sales of a batch already read."""
        if not external_ids:
            return {}
        rows = self.session.execute(
            select(LoyaltySale.external_id, LoyaltySale.persona_id).where(
                LoyaltySale.integration_id == integration_id, LoyaltySale.external_id.in_(list(external_ids))
            )
        )
        return {external_id: persona_id for external_id, persona_id in rows}

    # --- the report ---
    def record(self, run_id: int, integration_id: int, differences: Sequence[Difference]) -> None:
        """One statement for a page's differences."""
        if not differences:
            return
        now = utcnow()
        self.session.execute(
            insert(Drift),
            [
                {
                    "run_id": run_id,
                    "integration_id": integration_id,
                    "kind": d.kind.value,
                    "subject": d.subject,
                    "subject_id": d.subject_id,
                    "external_id": d.external_id,
                    "label": d.label[:300],
                    "ours": d.ours,
                    "theirs": d.theirs,
                    "since": d.since,
                    "cause": d.cause.value,
                    "explanation": d.explanation,
                    "repair": d.repair.value,
                    "repair_detail": d.repair_detail,
                    "created_at": now,
                }
                for d in differences
            ],
        )

    def last_run(self, integration_id: int) -> SyncRun | None:
        """The newest reconciliation that ended."""
        return self.session.scalar(
            select(SyncRun)
            .where(
                SyncRun.integration_id == integration_id,
                SyncRun.flow == FLOW,
                SyncRun.status.in_(("succeeded", "failed")),
            )
            .order_by(SyncRun.id.desc())
            .limit(1)
        )

    def differences(self, run_id: int, limit: int = 500) -> list[Drift]:
        return list(self.session.scalars(select(Drift).where(Drift.run_id == run_id).order_by(Drift.id).limit(limit)))

    def latest_by_kind(self) -> list[tuple[str, str, int]]:
        """(kind, repair, count) over the newest finished reconciliation of every integration (for /metrics)."""
        newest = (
            select(func.max(SyncRun.id))
            .where(SyncRun.flow == FLOW, SyncRun.status.in_(("succeeded", "failed")))
            .group_by(SyncRun.integration_id)
        )
        rows = self.session.execute(
            select(Drift.kind, Drift.repair, func.count())
            .where(Drift.run_id.in_(newest))
            .group_by(Drift.kind, Drift.repair)
        )
        return [(kind, repair, int(count)) for kind, repair, count in rows]
