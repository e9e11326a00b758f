"""Read-only questions operations ask of the database: is it there, and how is the work going.

Every process answers /metrics from these at scrape time, so all of them report the same truth whichever one
Prometheus happens to ask, instead of each counting only what it did itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from cannasync.store.tables import Integration, OutboxMessage, QuarantinedRecord, Schedule, SyncRun

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


def age(since: datetime | None, now: datetime) -> float:
    return max(0.0, (now - since).total_seconds()) if since is not None else 0.0
