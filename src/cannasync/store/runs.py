"""Run records, schedules with their leases, and the quarantine.

A schedule's lease is its run lock, and it is always held *for a run* (``lease_run_id``): only that run renews
(heartbeat) or releases it. When a lease runs out with its run unfinished, the worker is taken to be lost: the
next claim fails that run ("worker lost") and queues a new one, and the old run, should it still be alive after
all, can no longer record progress or an outcome (``RunSuperseded``), so two runs never write side by side.

A run asked for while the lease is held is not dropped: it sets ``follow_up``, and letting go of the lease makes
the schedule due at once, so exactly one more run follows however many asked (a status change that came in while
a poll was already under way is read by the run after it, not the next interval's).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from cannasync.domain.sync import Checkpoint
from cannasync.domain.text import clean, json_safe
from cannasync.store.db import is_postgres, rowcount
from cannasync.store.once import get_or_create
from cannasync.store.tables import Integration, QuarantinedRecord, Schedule, SyncRun
from cannasync.store.types import utcnow

UNFINISHED = ("queued", "running")
WORKER_LOST = "worker lost: its lease ran out before the run ended"


class RunSuperseded(Exception):
    """This run's lease was taken over (it was declared lost); it must stop without writing more."""

    def __init__(self, run_id: int) -> None:
        super().__init__(f"run {run_id} was taken over by another run")
        self.run_id = run_id


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

    def checkpoint(self, run_id: int) -> Checkpoint:
        """Where the run's read got to (an empty checkpoint for a run that recorded none, or no such run)."""
        run = self.session.get(SyncRun, run_id)
        return Checkpoint.from_json(run.checkpoint if run else None)

    def start(self, run_id: int) -> bool:
        """Mark a queued run running; False when it is not queued (a second delivery, or it was taken over)."""
        result = self.session.execute(
            update(SyncRun)
            .where(SyncRun.id == run_id, SyncRun.status == "queued")
            .values(status="running", started_at=utcnow())
        )
        return bool(rowcount(result))

    def progress(
        self,
        run_id: int,
        *,
        pages: int,
        seen: int,
        counts: Mapping[str, int],
        checkpoint: Checkpoint | None = None,
    ) -> None:
        """Record how far a run got; raises RunSuperseded (rolling back the caller's page) if it was taken over."""
        values: dict[str, Any] = {"pages": pages, "seen": seen, "counts": dict(counts)}
        if checkpoint is not None:
            values["checkpoint"] = checkpoint.as_json()
        result = self.session.execute(
            update(SyncRun).where(SyncRun.id == run_id, SyncRun.status == "running").values(**values)
        )
        if not rowcount(result):
            raise RunSuperseded(run_id)

    def finish(
        self,
        run_id: int,
        *,
        counts: Mapping[str, Any],
        error: str | None,
        complete_read: bool = False,
        calls: Mapping[str, Any] | None = None,
    ) -> bool:
        """Record the outcome; a run already ended (taken over as lost) keeps the outcome it has (False)."""
        result = self.session.execute(
            update(SyncRun)
            .where(SyncRun.id == run_id, SyncRun.status.in_(UNFINISHED))
            .values(
                status="failed" if error else "succeeded",
                finished_at=utcnow(),
                counts=dict(counts),
                error=None if error is None else clean(error)[:2000],  # a vendor's words may carry a NUL
                complete_read=complete_read,
                calls=None if calls is None else json_safe(dict(calls)),
            )
        )
        return bool(rowcount(result))

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
                SyncRun.status.in_(UNFINISHED),
            )
            .order_by(SyncRun.id.desc())
        )

    # --- schedules ---
    def ensure_schedule(
        self, integration_id: int, flow: str, interval_seconds: int, first_run_at: datetime | None
    ) -> Schedule:
        schedule, _ = get_or_create(
            self.session,
            Schedule,
            {"integration_id": integration_id, "flow": flow},
            {"interval_seconds": interval_seconds},
        )
        schedule.interval_seconds = interval_seconds
        if first_run_at is not None and (schedule.next_run_at is None or schedule.next_run_at > first_run_at):
            schedule.next_run_at = first_run_at
        self.session.flush()
        return schedule

    def due_by(self, integration_id: int, flow: str, at: datetime) -> None:
        """Bring a flow's next run forward to ``at`` at the latest (never later than it was; a schedule with no
        next run, disconnected, stays so)."""
        self.session.execute(
            update(Schedule)
            .where(
                Schedule.integration_id == integration_id,
                Schedule.flow == flow,
                Schedule.next_run_at.is_not(None),
                Schedule.next_run_at > at,
            )
            .values(next_run_at=at)
        )

    def set_paused(self, integration_id: int, flow: str, paused: bool) -> Schedule | None:
        """An operator's Pause / Resume of one flow; a resumed flow is due at once if its slot passed meanwhile."""
        schedule = self.schedule(integration_id, flow)
        if schedule is None:
            return None
        if paused and schedule.paused_at is None:
            schedule.paused_at = utcnow()
        elif not paused:
            schedule.paused_at = None
        self.session.flush()
        return schedule

    def pause_schedules(self, integration_id: int) -> None:
        self.session.execute(update(Schedule).where(Schedule.integration_id == integration_id).values(next_run_at=None))

    def claim_due(
        self, now: datetime, owner: str, lease: timedelta, limit: int = 200
    ) -> list[tuple[Schedule, SyncRun]]:
        """Lease the schedules that are due, or whose run was lost, each for a new queued run.

        Due means the slot has come; lost means the lease ran out with its run unfinished (the worker died), which
        is taken over at once rather than at the next slot. ``SKIP LOCKED`` lets several schedulers claim side by
        side without ever claiming the same row; SQLite has one writer at a time, which gives the same guarantee.
        """
        expired = (Schedule.leased_until.is_not(None)) & (Schedule.leased_until < now)
        free = (Schedule.leased_until.is_(None)) | (Schedule.leased_until < now)
        due = (Schedule.next_run_at <= now) | (expired & Schedule.lease_run_id.is_not(None))
        claimed = list(
            self.session.scalars(
                select(Schedule)
                .join(Integration, Integration.id == Schedule.integration_id)
                .where(
                    Integration.enabled.is_(True),
                    Schedule.next_run_at.is_not(None),
                    Schedule.paused_at.is_(None),  # an operator paused the flow (Health)
                    free,
                    due,
                )
                .order_by(Schedule.next_run_at)
                .limit(limit)
                .with_for_update(of=Schedule, skip_locked=True)
            )
        )
        runs = []
        for schedule in claimed:
            lost = self._take_over(schedule, now)
            if schedule.next_run_at is not None and schedule.next_run_at <= now:
                schedule.next_run_at = now + timedelta(seconds=schedule.interval_seconds)
            trigger = "takeover" if lost else "follow_up" if schedule.follow_up else "schedule"
            runs.append((schedule, self._hold(schedule, owner, now, lease, trigger, lost)))
        self.session.flush()
        return runs

    def abandon_lost(self, now: datetime, limit: int = 20) -> int:
        """Fail the lost runs of schedules that will not be claimed again (paused, or the integration disabled)."""
        stranded = list(
            self.session.scalars(
                select(Schedule)
                .join(Integration, Integration.id == Schedule.integration_id)
                .where(
                    Schedule.lease_run_id.is_not(None),
                    Schedule.leased_until < now,
                    Schedule.next_run_at.is_(None) | Integration.enabled.is_(False) | Schedule.paused_at.is_not(None),
                )
                .limit(limit)
                .with_for_update(of=Schedule, skip_locked=True)
            )
        )
        for schedule in stranded:
            self._take_over(schedule, now)
            schedule.leased_until = None
            schedule.lease_owner = None
        self.session.flush()
        return len(stranded)

    def lease(
        self, integration_id: int, flow: str, owner: str, now: datetime, lease: timedelta, trigger: str
    ) -> tuple[Schedule, SyncRun] | None:
        """Take the lease of one schedule now for a new queued run (on demand); None when a run holds it, and then
        one follow-up run is queued to start when that run lets go (asking again while it waits adds nothing)."""
        schedule = self.session.scalar(
            select(Schedule).where(Schedule.integration_id == integration_id, Schedule.flow == flow).with_for_update()
        )
        if schedule is None:
            return None
        if schedule.leased_until is not None and schedule.leased_until >= now:
            # The run under way may have read past what this request is about (a status change that came in
            # while it ran): one more run after it will see it. The row lock orders this against release().
            schedule.follow_up = True
            self.session.flush()
            return None
        lost = self._take_over(schedule, now)
        schedule.next_run_at = now + timedelta(seconds=schedule.interval_seconds)
        run = self._hold(schedule, owner, now, lease, trigger, lost)
        self.session.flush()
        return schedule, run

    def renew(self, schedule_id: int, run_id: int, owner: str, now: datetime, lease: timedelta) -> bool:
        """Extend the lease while its run works (the heartbeat); False when the lease is no longer this run's.

        The lease then names the worker running it (``owner``), so an operator sees which machine holds it.
        """
        result = self.session.execute(
            update(Schedule)
            .where(Schedule.id == schedule_id, Schedule.lease_run_id == run_id)
            .values(leased_until=now + lease, lease_owner=owner)
        )
        return bool(rowcount(result))

    def release(self, schedule_id: int, run_id: int | None) -> None:
        """Let go of the lease this run holds; a run that was taken over holds nothing and changes nothing.

        A follow-up asked for while it ran makes the schedule due now, so the next tick queues it. One UPDATE
        reads the flag and frees the lease: on PostgreSQL it waits for a request holding the row and then sees
        its flag, so a request is either followed up or finds the lease free, never neither.
        """
        self.session.execute(
            update(Schedule)
            .where(Schedule.id == schedule_id, Schedule.lease_run_id == run_id)
            .values(
                leased_until=None,
                lease_owner=None,
                lease_run_id=None,
                last_run_id=run_id,
                next_run_at=case((Schedule.follow_up.is_(True), utcnow()), else_=Schedule.next_run_at),
            )
        )

    def _hold(
        self, schedule: Schedule, owner: str, now: datetime, lease: timedelta, trigger: str, lost: SyncRun | None
    ) -> SyncRun:
        run = self.queue(schedule.integration_id, schedule.flow, trigger)
        if lost is not None and lost.checkpoint:
            # The new run starts where the lost one's last written page left off, if its flow can resume.
            run.checkpoint = Checkpoint.from_json(lost.checkpoint).taken_over_from(lost.id).as_json()
        schedule.leased_until = now + lease
        schedule.lease_owner = owner
        schedule.lease_run_id = run.id
        schedule.follow_up = False  # this run is the follow-up anybody asked for
        return run

    def _take_over(self, schedule: Schedule, now: datetime) -> SyncRun | None:
        """Fail the unfinished run of an expired lease ("worker lost"); returns it, or None if there is none."""
        if schedule.lease_run_id is None or schedule.leased_until is None or schedule.leased_until >= now:
            return None
        lost = self.session.get(SyncRun, schedule.lease_run_id, with_for_update=True)
        schedule.lease_run_id = None
        if lost is None or lost.status not in UNFINISHED:
            return None
        lost.status = "failed"
        lost.finished_at = now
        lost.error = WORKER_LOST if lost.started_at else "abandoned: no worker started it before its lease ran out"
        return lost

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
        """Keep a record aside with its reason. The payload is what the vendor sent, made JSON every database
        takes (a NaN or a NUL in it must not make the quarantine itself fail); the reason is cleaned likewise."""
        safe = json_safe(dict(payload))
        reason = clean(reason)[:2000]
        record, _ = get_or_create(
            self.session,
            QuarantinedRecord,
            {"integration_id": integration_id, "kind": kind, "external_id": external_id},
            {"payload": safe, "reason": reason},
        )
        record.payload = safe
        record.reason = reason
        record.run_id = run_id
        record.last_seen_at = utcnow()
        record.resolved_at = None

    def quarantine_many(
        self, integration_id: int, kind: str, records: Sequence[tuple[str, Mapping[str, Any], str]], run_id: int
    ) -> None:
        """``quarantine`` for a page of (external id, payload, reason) at once: one multi-row upsert, not three
        statements a record. The same record twice keeps its last version, as one call after another would."""
        now = utcnow()
        rows = {
            external_id: {
                "integration_id": integration_id,
                "kind": kind,
                "external_id": external_id,
                "payload": json_safe(dict(payload)),
                "reason": clean(reason)[:2000],
                "run_id": run_id,
                "first_seen_at": now,
                "last_seen_at": now,
                "resolved_at": None,
            }
            for external_id, payload, reason in records
        }
        if not rows:
            return
        table = QuarantinedRecord.__table__
        dialect = postgresql if is_postgres(self.session.get_bind()) else sqlite
        statement = dialect.insert(table)
        statement = statement.on_conflict_do_update(
            index_elements=["integration_id", "kind", "external_id"],
            set_={
                column: statement.excluded[column]
                for column in ("payload", "reason", "run_id", "last_seen_at", "resolved_at")
            },
        )
        self.session.execute(statement, list(rows.values()))

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

    def resolve_unseen(self, integration_id: int, kind: str, run_id: int) -> int:
        """After a complete read: resolve what that read did not quarantine again.

        A record it read cleanly was resolved as it went; one it did not see at all has left the vendor, or was
        fixed under a new identity (a record quarantined for a missing or broken id is known only by its
        content, so its fixed version can never be matched to it). Either way nothing is left to fix.
        """
        result = self.session.execute(
            update(QuarantinedRecord)
            .where(
                QuarantinedRecord.integration_id == integration_id,
                QuarantinedRecord.kind == kind,
                QuarantinedRecord.resolved_at.is_(None),
                (QuarantinedRecord.run_id.is_(None)) | (QuarantinedRecord.run_id != run_id),
            )
            .values(resolved_at=utcnow())
        )
        return rowcount(result)

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
