"""The dispatch tick: claim what is due (schedules, outbox messages) and hand it to workers.

A schedule's lease is its run lock: claimed here or by an on-demand request, renewed by the run while it works,
released by the run when it ends, and taken over by the next claim only if it expires (a worker died). How the
claimed work reaches a worker is the ``Handoff``: a thread pool (embedded) or a Dramatiq broker (distributed).
"""

from __future__ import annotations

from concurrent.futures import Executor
from datetime import timedelta

import structlog

from cannasync.jobs.handoff import (
    ExecutorHandoff,
    Handoff,
    HandoffFailed,
    current_correlation_id,
    new_correlation_id,
)
from cannasync.jobs.leases import PUSH_LEASE, RUN_LEASE
from cannasync.jobs.tasks import owner_name
from cannasync.store.types import utcnow
from cannasync.store.uow import Database

log = structlog.get_logger(__name__)

__all__ = ["PUSH_LEASE", "RUN_LEASE", "AlreadyRunning", "Dispatcher", "owner_name"]


class AlreadyRunning(Exception):
    def __init__(self, run_id: int | None) -> None:
        super().__init__("a run of this flow is already under way")
        self.run_id = run_id


class Dispatcher:
    """Claims due work and hands it over. ``handoff`` may be a bare Executor (embedded, in this process)."""

    def __init__(
        self,
        db: Database,
        handoff: Handoff | Executor,
        public_url: str | None = None,
        *,
        run_lease: timedelta = RUN_LEASE,
        push_lease: timedelta = PUSH_LEASE,
    ) -> None:
        self.db = db
        if isinstance(handoff, Executor):
            handoff = ExecutorHandoff(db, handoff, run_lease=run_lease, push_lease=push_lease)
        self.handoff: Handoff = handoff
        self.owner = owner_name()
        self.run_lease = run_lease
        self.push_lease = push_lease
        #: How vendors reach this hub (for postback URLs); set once the server knows its address.
        self.public_url = public_url

    def tick(self) -> int:
        """Claim and dispatch everything due now, the outbox sweep included; returns how many were dispatched.

        The outbox claim is also the sweeper: a message whose lease ran out while ``sending`` (its worker died, or
        its task was lost with a broker) is claimed again here, marked outcome-unknown.
        """
        now = utcnow()
        with self.db.uow() as uow:
            runs = [(run.id, schedule.id) for schedule, run in uow.runs.claim_due(now, self.owner, self.run_lease)]
            uow.runs.abandon_lost(now)
            messages = [message.id for message in uow.outbox.claim_due(now, self.push_lease)]
        # A tick started by a request carries its id; a clock tick gives each job one of its own, so one run's
        # log lines, from dispatch to the vendor calls, can be followed.
        correlation_id = current_correlation_id()
        for run_id, schedule_id in runs:
            try:
                self.handoff.run_flow(run_id, schedule_id, correlation_id or new_correlation_id())
            except HandoffFailed as error:
                self._not_started(run_id, schedule_id, str(error))
        for message_id in messages:
            try:
                self.handoff.push_message(message_id, self.public_url, correlation_id or new_correlation_id())
            except HandoffFailed as error:  # the claim runs out and the next sweep sends it again
                log.warning("push_not_handed_over", message_id=message_id, error=str(error))
        return len(runs) + len(messages)

    def run_now(self, integration_id: int, flow: str, trigger: str = "manual") -> int:
        """Queue a run now (the products screen's Sync button); raises AlreadyRunning with the current run, after
        queueing one follow-up run to start when that one ends (further requests meanwhile add nothing)."""
        with self.db.uow() as uow:
            held = uow.runs.lease(integration_id, flow, self.owner, utcnow(), self.run_lease, trigger)
            if held is None:
                # The lease is held: by a run under way, or by one that has just ended and not yet let go of it.
                latest = uow.runs.active(integration_id, flow) or next(
                    iter(uow.runs.recent(integration_id, flow, 1)), None
                )
                running = latest.id if latest else None
            else:
                schedule, run = held
                run_id, schedule_id = run.id, schedule.id
        if held is None:  # raised after the commit: the follow-up that lease() queued must be kept
            raise AlreadyRunning(running)
        try:
            self.handoff.run_flow(run_id, schedule_id, current_correlation_id())
        except HandoffFailed:  # shutting down, or no broker: give the lease back, the schedule runs it later
            self._not_started(run_id, schedule_id, "not started: the process was shutting down")
            raise
        return run_id

    def run_now_or_skip(self, integration_id: int, flow: str, trigger: str = "event") -> int | None:
        """Queue a run now, or (when one is under way) the one follow-up after it; None in that case."""
        try:
            return self.run_now(integration_id, flow, trigger)
        except (AlreadyRunning, RuntimeError):
            return None

    def nudge(self) -> None:
        """Run a tick soon, off the caller's thread (after an order is confirmed, say)."""
        try:
            self.handoff.soon(self.tick)
        except HandoffFailed:  # shutting down: the next tick of whichever scheduler is left picks the work up
            log.info("nudge_skipped")

    def _not_started(self, run_id: int, schedule_id: int, error: str) -> None:
        log.warning("run_not_handed_over", run_id=run_id, error=error)
        with self.db.uow() as uow:
            uow.runs.finish(run_id, counts={}, error=error)
            uow.runs.release(schedule_id, run_id)
