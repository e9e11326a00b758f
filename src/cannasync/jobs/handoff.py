"""How the dispatcher hands a job to a worker: the one thing that differs between the embedded and distributed modes.

The dispatcher claims work and calls a ``Handoff``; embedded, that is a thread pool in this process
(``ExecutorHandoff``); distributed, a Dramatiq message (``jobs.distributed.BrokerHandoff``). Either way the same
job functions (``jobs.tasks``) run, with the caller's correlation id bound to their logs.
"""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Callable
from concurrent.futures import Executor, Future
from datetime import timedelta
from typing import Any, Protocol

import structlog

from cannasync.jobs import tasks
from cannasync.jobs.leases import PUSH_LEASE, RUN_LEASE
from cannasync.store.uow import Database

log = structlog.get_logger(__name__)


class HandoffFailed(RuntimeError):
    """The job could not be handed over (workers shutting down, broker unreachable): nothing will run it."""


class Handoff(Protocol):
    def run_flow(self, run_id: int, schedule_id: int | None, correlation_id: str | None) -> None:
        """Have ``tasks.run_flow`` run this queued run; raises HandoffFailed if it cannot be handed over."""
        ...

    def push_message(self, message_id: int, public_url: str | None, correlation_id: str | None) -> None:
        """Have ``tasks.push_message`` send this claimed outbox message; raises HandoffFailed likewise."""
        ...

    def soon(self, call: Callable[[], object]) -> None:
        """Call ``call`` off the caller's thread, soon (a tick after an order is confirmed)."""
        ...


def new_correlation_id() -> str:
    return uuid.uuid4().hex


def current_correlation_id() -> str | None:
    """The correlation id bound in this context (by the HTTP middleware, or by the job being run)."""
    value = structlog.contextvars.get_contextvars().get("correlation_id")
    return None if value is None else str(value)


class ExecutorHandoff:
    """Embedded mode: the job functions run on a thread pool in this process."""

    def __init__(
        self, db: Database, executor: Executor, *, run_lease: timedelta = RUN_LEASE, push_lease: timedelta = PUSH_LEASE
    ) -> None:
        self.db = db
        self.executor = executor
        self.run_lease = run_lease
        self.push_lease = push_lease

    def _submit(self, call: Callable[..., Any], *args: Any) -> None:
        try:
            future = self.executor.submit(call, *args)
        except RuntimeError as error:  # the pool is shut down
            raise HandoffFailed(str(error)) from error
        future.add_done_callback(_log_failure)

    def run_flow(self, run_id: int, schedule_id: int | None, correlation_id: str | None) -> None:
        self._submit(_correlated, correlation_id, tasks.run_flow, self.db, run_id, schedule_id, self.run_lease)

    def push_message(self, message_id: int, public_url: str | None, correlation_id: str | None) -> None:
        self._submit(_correlated, correlation_id, tasks.push_message, self.db, message_id, public_url, self.push_lease)

    def soon(self, call: Callable[[], object]) -> None:
        # The caller's context (its correlation id) goes along, so what the call sends carries it too.
        self._submit(contextvars.copy_context().run, call)


def _correlated(correlation_id: str | None, call: Callable[..., Any], *args: Any) -> Any:
    with tasks.correlated(correlation_id):
        return call(*args)


def _log_failure(future: Future[Any]) -> None:
    if future.cancelled():
        # Cancelled at shutdown before it began: the run or message is still in the database, queued, and the
        # next scheduler tick (here after a restart, or another process's) hands it over again.
        log.info("task_cancelled_at_shutdown")
        return
    error = future.exception()
    if error is not None:
        log.error("task_failed", error=repr(error))
