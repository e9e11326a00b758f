"""Read-only questions operations ask of the database: is it there, and how is the work going.

Every process answers /metrics from these at scrape time, so all of them report the same truth whichever one
Prometheus happens to ask, instead of each counting only what it did itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select, text
from sqlalchemy.orm import Session

from cannasync.domain.text import clean
from cannasync.store.tables import (
    Incident,
    IntakeError,
    Integration,
    Notification,
    Order,
    OrderMessage,
    OutboxMessage,
    QuarantinedRecord,
    Schedule,
    Store,
    StoreMapping,
    SyncRun,
    WholesaleOrder,
)
from cannasync.store.types import utcnow

#: Outbox states whose message has not reached the vendor yet.
UNSENT = ("pending", "sending")


@dataclass(frozen=True, slots=True)
class RunDuration:
    flow: str
    seconds: float


@dataclass(frozen=True, slots=True)
class Lag:
    """A schedule that is due and that no scheduler has claimed: how long past its time it is."""

    flow: str
    seconds: float


class Health:
    def __init__(self, session: Session) -> None:
        self.session = session

    def ping(self) -> None:
        self.session.execute(text("SELECT 1"))

    def runs_by_flow_and_status(self) -> list[tuple[str, str, int]]:
        rows = self.session.execute(
            select(SyncRun.flow, SyncRun.status, func.count()).group_by(SyncRun.flow, SyncRun.status)
        )
        return [(flow, status, int(count)) for flow, status, count in rows]

    def recent_durations(self, since: datetime, limit: int = 5000) -> list[RunDuration]:
        """How long the runs that ended since ``since`` took (the newest ``limit`` of them)."""
        rows = self.session.execute(
            select(SyncRun.flow, SyncRun.started_at, SyncRun.finished_at)
            .where(SyncRun.finished_at >= since, SyncRun.started_at.is_not(None))
            .order_by(SyncRun.id.desc())
            .limit(limit)
        )
        return [
            RunDuration(flow, max(0.0, (finished - started).total_seconds()))
            for flow, started, finished in rows
            if started is not None and finished is not None
        ]

    def schedule_lag(self, now: datetime) -> list[Lag]:
        """Due, unleased schedules of enabled integrations: exactly what a scheduler's next claim would take."""
        rows = self.session.execute(
            select(Schedule.flow, Schedule.next_run_at)
            .join(Integration, Integration.id == Schedule.integration_id)
            .where(
                Integration.enabled.is_(True),
                Schedule.next_run_at.is_not(None),
                Schedule.next_run_at <= now,
                (Schedule.leased_until.is_(None)) | (Schedule.leased_until < now),
            )
        )
        return [Lag(flow, (now - due).total_seconds()) for flow, due in rows if due is not None]

    def outbox_by_state(self) -> dict[str, int]:
        rows = self.session.execute(select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state))
        return {state: int(count) for state, count in rows}

    def outbox_due(self, now: datetime) -> int:
        """Messages waiting for a worker now (not the ones backing off until later)."""
        count = self.session.scalar(
            select(func.count()).where(OutboxMessage.state == "pending", OutboxMessage.next_attempt_at <= now)
        )
        return int(count or 0)

    def oldest_unsent(self) -> datetime | None:
        """When the oldest message that has not reached its vendor was written."""
        return self.session.scalar(select(func.min(OutboxMessage.created_at)).where(OutboxMessage.state.in_(UNSENT)))

    def open_quarantine(self) -> list[tuple[str, str, int]]:
        """Unresolved quarantined records by vendor and kind."""
        rows = self.session.execute(
            select(Integration.vendor, QuarantinedRecord.kind, func.count())
            .join(Integration, Integration.id == QuarantinedRecord.integration_id)
            .where(QuarantinedRecord.resolved_at.is_(None))
            .group_by(Integration.vendor, QuarantinedRecord.kind)
        )
        return [(vendor, kind, int(count)) for vendor, kind, count in rows]

    # --- an organization's problems, as Health lists them (each query bounded by ``limit``) ---

    def troubled_pushes(
        self, organization_id: int, limit: int = 50
    ) -> tuple[int, list[tuple[OutboxMessage, Integration]]]:
        """Vendor writes that failed for good, or are being retried after at least one failure."""
        where = (
            Integration.organization_id == organization_id,
            or_(
                OutboxMessage.state == "failed",
                OutboxMessage.state.in_(UNSENT) & (OutboxMessage.attempts > 0),
            ),
        )
        base = select(OutboxMessage, Integration).join(Integration, Integration.id == OutboxMessage.integration_id)
        count = self.session.scalar(select(func.count()).select_from(OutboxMessage).join(Integration).where(*where))
        rows = self.session.execute(base.where(*where).order_by(OutboxMessage.id.desc()).limit(limit))
        return int(count or 0), [(message, integration) for message, integration in rows]

    def orders_by_id(self, order_ids: list[int]) -> dict[int, Order]:
        if not order_ids:
            return {}
        return {row.id: row for row in self.session.scalars(select(Order).where(Order.id.in_(order_ids)))}

    def quarantined(
        self, organization_id: int, limit: int = 50
    ) -> tuple[int, list[tuple[QuarantinedRecord, Integration]]]:
        where = (Integration.organization_id == organization_id, QuarantinedRecord.resolved_at.is_(None))
        count = self.session.scalar(select(func.count()).select_from(QuarantinedRecord).join(Integration).where(*where))
        rows = self.session.execute(
            select(QuarantinedRecord, Integration)
            .join(Integration, Integration.id == QuarantinedRecord.integration_id)
            .where(*where)
            .order_by(QuarantinedRecord.last_seen_at.desc(), QuarantinedRecord.id.desc())
            .limit(limit)
        )
        return int(count or 0), [(record, integration) for record, integration in rows]

    def wholesale_conflicts(
        self, organization_id: int, limit: int = 50
    ) -> tuple[int, list[tuple[WholesaleOrder, Integration]]]:
        where = (Integration.organization_id == organization_id, WholesaleOrder.conflict.is_not(None))
        count = self.session.scalar(select(func.count()).select_from(WholesaleOrder).join(Integration).where(*where))
        rows = self.session.execute(
            select(WholesaleOrder, Integration)
            .join(Integration, Integration.id == WholesaleOrder.integration_id)
            .where(*where)
            .order_by(WholesaleOrder.updated_at.desc())
            .limit(limit)
        )
        return int(count or 0), [(order, integration) for order, integration in rows]

    def unmapped_stores(self, organization_id: int, limit: int = 50) -> list[tuple[StoreMapping, Integration]]:
        rows = self.session.execute(
            select(StoreMapping, Integration)
            .join(Integration, Integration.id == StoreMapping.integration_id)
            .where(Integration.organization_id == organization_id, StoreMapping.store_id.is_(None))
            .order_by(StoreMapping.first_seen_at)
            .limit(limit)
        )
        return [(mapping, integration) for mapping, integration in rows]

    def intake_errors(
        self, organization_id: int, since: datetime, limit: int = 20
    ) -> tuple[int, list[tuple[IntakeError, Integration]]]:
        where = (Integration.organization_id == organization_id, IntakeError.received_at >= since)
        count = self.session.scalar(select(func.count()).select_from(IntakeError).join(Integration).where(*where))
        rows = self.session.execute(
            select(IntakeError, Integration)
            .join(Integration, Integration.id == IntakeError.integration_id)
            .where(*where)
            .order_by(IntakeError.id.desc())
            .limit(limit)
        )
        return int(count or 0), [(error, integration) for error, integration in rows]

    def credential_problems(self, organization_id: int, now: datetime) -> list[Integration]:
        """Credentials a vendor refused, or paused past now (a pause that has run out is no longer a problem)."""
        return list(
            self.session.scalars(
                select(Integration)
                .where(
                    Integration.organization_id == organization_id,
                    or_(
                        Integration.credential_problem == "refused",
                        (Integration.credential_problem == "paused") & (Integration.credential_until > now),
                    ),
                )
                .order_by(Integration.id)
            )
        )

    def undelivered_notifications(
        self, organization_id: int, limit: int = 20
    ) -> list[tuple[OutboxMessage, Notification, Incident]]:
        """Notices to operators whose mail server or receiver has refused them so far (still being retried)."""
        rows = self.session.execute(
            select(OutboxMessage, Notification, Incident)
            .join(Notification, Notification.id == OutboxMessage.subject_id)
            .join(Incident, Incident.id == Notification.incident_id)
            .where(
                OutboxMessage.kind == "notify",
                OutboxMessage.integration_id.is_(None),
                OutboxMessage.state.in_(UNSENT),
                OutboxMessage.attempts > 0,
                Incident.organization_id == organization_id,
            )
            .order_by(OutboxMessage.id.desc())
            .limit(limit)
        )
        return [(message, notification, incident) for message, notification, incident in rows]

    def undelivered_order_emails(self, organization_id: int, limit: int = 20) -> list[tuple[OutboxMessage, Order]]:
        """E-mails to shoppers about their orders that the mail server has not taken so far (still being retried)."""
        rows = self.session.execute(
            select(OutboxMessage, Order)
            .join(OrderMessage, OrderMessage.id == OutboxMessage.subject_id)
            .join(Order, Order.id == OrderMessage.order_id)
            .join(Store, Store.id == Order.store_id)
            .where(
                OutboxMessage.kind == "order_message",
                OutboxMessage.integration_id.is_(None),
                OutboxMessage.state.in_(UNSENT),
                OutboxMessage.attempts > 0,
                Store.organization_id == organization_id,
            )
            .order_by(OutboxMessage.id.desc())
            .limit(limit)
        )
        return [(message, order) for message, order in rows]

    def record_intake_error(self, integration_id: int, status: int, reason: str, keep: timedelta) -> None:
        """Note a refused inbound call for Health, forgetting this integration's notes older than ``keep``."""
        now = utcnow()
        self.session.execute(
            delete(IntakeError).where(
                IntakeError.integration_id == integration_id, IntakeError.received_at < now - keep
            )
        )
        self.session.add(IntakeError(integration_id=integration_id, status=status, reason=clean(reason)[:500]))


def age(since: datetime | None, now: datetime) -> float:
    return max(0.0, (now - since).total_seconds()) if since is not None else 0.0
