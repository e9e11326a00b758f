"""The dispatch tick: claim what is due (schedules, outbox messages) and hand it to workers.

A schedule's lease is its run lock: claimed here or by an on-demand request, released by the run when it ends,
and taken over by the next claim only if it expires (a worker died).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from concurrent.futures import Executor
from datetime import timedelta
from typing import Any

import structlog

from cannasync.jobs import tasks
from cannasync.store.types import utcnow
from cannasync.store.uow import Database

log = structlog.get_logger(__name__)

RUN_LEASE = timedelta(minutes=15)
PUSH_LEASE = timedelta(minutes=2)


def owner_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class AlreadyRunning(Exception):
    def __init__(self, run_id: int | None) -> None:
        super().__init__("a run of this flow is already under way")
        self.run_id = run_id


class Dispatcher:
    """Hands task functions to workers. Embedded: a thread pool in this process."""

    def __init__(self, db: Database, executor: Executor, public_url: str | None = None) -> None:
        self.db = db
        self.executor = executor
        self.owner = owner_name()
        #: How vendors reach this hub (for postback URLs); set once the server knows its address.
        self.public_url = public_url

    def submit(self, task: Callable[..., Any], *args: Any) -> None:
        future = self.executor.submit(task, self.db, *args)
        future.add_done_callback(_log_failure)

    def tick(self) -> int:
        """Claim and dispatch everything due now; returns how many tasks were dispatched."""
        now = utcnow()
        with self.db.uow() as uow:
            runs = []
            for schedule in uow.runs.claim_due(now, self.owner, RUN_LEASE):
                run = uow.runs.queue(schedule.integration_id, schedule.flow, "schedule")
                runs.append((run.id, schedule.id))
            messages = [message.id for message in uow.outbox.claim_due(now, PUSH_LEASE)]
        for run_id, schedule_id in runs:
            self.submit(tasks.run_flow, run_id, schedule_id)
        for message_id in messages:
            self.submit(tasks.push_message, message_id, self.public_url)
        return len(runs) + len(messages)

    def run_now(self, integration_id: int, flow: str, trigger: str = "manual") -> int:
        """Queue a run now (the products screen's Sync button); raises AlreadyRunning with the current run."""
        with self.db.uow() as uow:
            schedule = uow.runs.lease(integration_id, flow, self.owner, utcnow(), RUN_LEASE)
            if schedule is None:
                # The lease is held: by a run under way, or by one that has just ended and not yet let go of it.
                latest = uow.runs.active(integration_id, flow) or next(
                    iter(uow.runs.recent(integration_id, flow, 1)), None
                )
                raise AlreadyRunning(latest.id if latest else None)
            run = uow.runs.queue(integration_id, flow, trigger)
            run_id, schedule_id = run.id, schedule.id
        try:
            self.submit(tasks.run_flow, run_id, schedule_id)
        except RuntimeError:  # the workers are shutting down: give the lease back, the schedule runs it later
            with self.db.uow() as uow:
                uow.runs.finish(run_id, counts={}, error="not started: the process was shutting down")
                uow.runs.release(schedule_id, run_id)
            raise
        return run_id

    def run_now_or_skip(self, integration_id: int, flow: str, trigger: str = "event") -> int | None:
        """Queue a run unless one is under way (which will do the same work)."""
        try:
            return self.run_now(integration_id, flow, trigger)
        except (AlreadyRunning, RuntimeError):
            return None

    def nudge(self) -> None:
        """Run a tick soon, off the caller's thread (after an order is confirmed, say)."""
        self.executor.submit(self.tick).add_done_callback(_log_failure)


def _log_failure(future: Any) -> None:
    error = future.exception()
    if error is not None:
        log.error("task_failed", error=repr(error))
