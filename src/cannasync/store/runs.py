"""Run records, schedules with their leases, and the quarantine."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cannasync.store.tables import Integration, QuarantinedRecord, Schedule, SyncRun
from cannasync.store.types import utcnow


class Runs:
    def __init__(self, session: Session) -> None:
        self.session = session

    # --- runs ---
    def queue(self, integration_id: int, flow: str, trigger: str) -> SyncRun:
        run = SyncRun(integration_id=integration_id, flow=flow, trigger=trigger, status="queued")
        self.session.add(run)
        self.session.flush()
        return run

    def get(self, run_id: int) -> SyncRun | None:
        return self.session.get(SyncRun, run_id)

    def start(self, run_id: int) -> None:
        self.session.execute(update(SyncRun).where(SyncRun.id == run_id).values(status="running", started_at=utcnow()))

    def progress(self, run_id: int, *, pages: int, seen: int, counts: Mapping[str, int]) -> None:
        self.session.execute(
            update(SyncRun).where(SyncRun.id == run_id).values(pages=pages, seen=seen, counts=dict(counts))
        )

    def finish(self, run_id: int, *, counts: Mapping[str, Any], error: str | None, complete_read: bool = False) -> None:
        self.session.execute(
            update(SyncRun)
            .where(SyncRun.id == run_id)
            .values(
                status="failed" if error else "succeeded",
                finished_at=utcnow(),
                counts=dict(counts),
                error=error,
                complete_read=complete_read,
            )
        )

    def recent(self, integration_id: int, flow: str | None = None, limit: int = 20) -> list[SyncRun]:
        query = select(SyncRun).where(SyncRun.integration_id == integration_id)
        if flow:
            query = query.where(SyncRun.flow == flow)
        return list(self.session.scalars(query.order_by(SyncRun.id.desc()).limit(limit)))

    def active(self, integration_id: int, flow: str) -> SyncRun | None:
        return self.session.scalar(
            select(SyncRun)
            .where(
                SyncRun.integration_id == integration_id,
                SyncRun.flow == flow,
                SyncRun.status.in_(["queued", "running"]),
            )
            .order_by(SyncRun.id.desc())
        )

    # --- schedules ---
    def ensure_schedule(
        self, integration_id: int, flow: str, interval_seconds: int, first_run_at: datetime | None
    ) -> Schedule:
        schedule = self.session.scalar(
            select(Schedule).where(Schedule.integration_id == integration_id, Schedule.flow == flow)
        )
        if schedule is None:
            schedule = Schedule(integration_id=integration_id, flow=flow, interval_seconds=interval_seconds)
            self.session.add(schedule)
        schedule.interval_seconds = interval_seconds
        if first_run_at is not None and (schedule.next_run_at is None or schedule.next_run_at > first_run_at):
            schedule.next_run_at = first_run_at
        self.session.flush()
        return schedule

    def pause_schedules(self, integration_id: int) -> None:
        self.session.execute(update(Schedule).where(Schedule.integration_id == integration_id).values(next_run_at=None))

    def claim_due(self, now: datetime, owner: str, lease: timedelta, limit: int = 20) -> list[Schedule]:
        """Schedules that are due and not leased, leased to ``owner`` and moved to their next slot.

        ``SKIP LOCKED`` lets several schedulers claim side by side without ever claiming the same row;
        SQLite has one writer at a time, which gives the same guarantee.
        """
        due = list(
            self.session.scalars(
                select(Schedule)
                .join(Integration, Integration.id == Schedule.integration_id)
                .where(
                    Integration.enabled.is_(True),
                    Schedule.next_run_at.is_not(None),
                    Schedule.next_run_at <= now,
                    (Schedule.leased_until.is_(None)) | (Schedule.leased_until < now),
                )
                .order_by(Schedule.next_run_at)
                .limit(limit)
                .with_for_update(of=Schedule, skip_locked=True)
            )
        )
        for schedule in due:
            schedule.leased_until = now + lease
            schedule.lease_owner = owner
            schedule.next_run_at = now + timedelta(seconds=schedule.interval_seconds)
        self.session.flush()
        return due

    def lease(self, integration_id: int, flow: str, owner: str, now: datetime, lease: timedelta) -> Schedule | None:
        """Take the lease of one schedule now (an on-demand run); None when a run holds it already."""
        schedule = self.session.scalar(
            select(Schedule).where(Schedule.integration_id == integration_id, Schedule.flow == flow).with_for_update()
        )
        if schedule is None or (schedule.leased_until is not None and schedule.leased_until >= now):
            return None
        schedule.leased_until = now + lease
        schedule.lease_owner = owner
        schedule.next_run_at = now + timedelta(seconds=schedule.interval_seconds)
        self.session.flush()
        return schedule

    def release(self, schedule_id: int, run_id: int | None) -> None:
        self.session.execute(
            update(Schedule)
            .where(Schedule.id == schedule_id)
            .values(leased_until=None, lease_owner=None, last_run_id=run_id)
        )

    def schedule(self, integration_id: int, flow: str) -> Schedule | None:
        return self.session.scalar(
            select(Schedule).where(Schedule.integration_id == integration_id, Schedule.flow == flow)
        )

    def schedules(self, integration_id: int) -> list[Schedule]:
        return list(self.session.scalars(select(Schedule).where(Schedule.integration_id == integration_id)))

    # --- quarantine ---
    def quarantine(
        self, integration_id: int, kind: str, external_id: str, payload: Mapping[str, Any], reason: str, run_id: int
    ) -> None:
        record = self.session.scalar(
            select(QuarantinedRecord).where(
                QuarantinedRecord.integration_id == integration_id,
                QuarantinedRecord.kind == kind,
                QuarantinedRecord.external_id == external_id,
            )
        )
        if record is None:
            record = QuarantinedRecord(integration_id=integration_id, kind=kind, external_id=external_id)
            self.session.add(record)
        record.payload = dict(payload)
        record.reason = reason
        record.run_id = run_id
        record.last_seen_at = utcnow()
        record.resolved_at = None

    def resolve_quarantined(self, integration_id: int, kind: str, external_ids: list[str]) -> None:
        if external_ids:
            self.session.execute(
                update(QuarantinedRecord)
                .where(
                    QuarantinedRecord.integration_id == integration_id,
                    QuarantinedRecord.kind == kind,
                    QuarantinedRecord.external_id.in_(external_ids),
                    QuarantinedRecord.resolved_at.is_(None),
                )
                .values(resolved_at=utcnow())
            )

    def quarantined(self, integration_id: int, *, include_resolved: bool = False) -> list[QuarantinedRecord]:
        query = select(QuarantinedRecord).where(QuarantinedRecord.integration_id == integration_id)
        if not include_resolved:
            query = query.where(QuarantinedRecord.resolved_at.is_(None))
        return list(self.session.scalars(query.order_by(QuarantinedRecord.id)))

    # --- health (the console's Health screen) ---
    def organization_schedules(self, organization_id: int) -> list[tuple[Integration, Schedule]]:
        """Every scheduled flow of an organization's integrations (store and organization-wide), in a stable order."""
        rows = self.session.execute(
            select(Integration, Schedule)
            .join(Schedule, Schedule.integration_id == Integration.id)
            .where(Integration.organization_id == organization_id)
            .order_by(Integration.store_id, Integration.id, Schedule.flow)
        )
        return [(integration, schedule) for integration, schedule in rows]

    def last_succeeded(self, integration_id: int, flow: str) -> SyncRun | None:
        """The newest run of a flow that succeeded: what "last success" and freshness are measured from."""
        return self.session.scalar(
            select(SyncRun)
            .where(SyncRun.integration_id == integration_id, SyncRun.flow == flow, SyncRun.status == "succeeded")
            .order_by(SyncRun.id.desc())
            .limit(1)
        )
