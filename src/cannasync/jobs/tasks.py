"""The job functions: the same code runs in the embedded thread pool and in distributed workers."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import structlog
from sqlalchemy.exc import SQLAlchemyError

from cannasync.connectors import limits
from cannasync.connectors.http import CallLog, VendorError, recording
from cannasync.flows import notify, registry, runner
from cannasync.jobs.leases import PUSH_LEASE, RUN_LEASE, Heartbeat
from cannasync.store import history
from cannasync.store.runs import RunSuperseded
from cannasync.store.secrets import SecretsUnreadable
from cannasync.store.types import utcnow
from cannasync.store.uow import Database, UnitOfWork

log = structlog.get_logger(__name__)


def owner_name() -> str:
    """Who holds a lease: host and process, so an operator can tell which machine a stuck lease belongs to."""
    return f"{socket.gethostname()}:{os.getpid()}"


@contextmanager
def correlated(correlation_id: str | None) -> Iterator[None]:
    """Bind the correlation id of whatever asked for this job to the job's logs, and unbind it after."""
    if correlation_id is None:
        yield
        return
    previous = structlog.contextvars.get_contextvars().get("correlation_id")
    structlog.contextvars.bind_contextvars(correlation_id=correlation_id)
    try:
        yield
    finally:
        if previous is None:
            structlog.contextvars.unbind_contextvars("correlation_id")
        else:
            structlog.contextvars.bind_contextvars(correlation_id=previous)


def run_flow(
    db: Database, run_id: int, schedule_id: int | None, lease: timedelta = RUN_LEASE, public_url: str | None = None
) -> None:
    """Run one queued run to its end, recording the outcome; the schedule's lease is released whatever happens.

    A run starts only if it is still queued: the broker may deliver a task twice, and a run whose lease ran out
    before a worker took it has been failed and replaced. While it works, the run renews its lease (heartbeat).
    """
    with db.uow() as uow:
        started = uow.runs.start(run_id)
    if not started:
        log.info("run_not_started", run_id=run_id, reason="no longer queued (taken over, or delivered twice)")
        return
    ended = False
    structlog.contextvars.bind_contextvars(run_id=run_id)
    # Errors that fail the run with their own message: a vendor's, unreadable secrets, and its flow's own.
    refusals: tuple[type[Exception], ...] = (VendorError, SecretsUnreadable)
    try:
        with recording() as calls:
            try:
                with db.uow() as uow:
                    run = uow.runs.get(run_id)
                    assert run is not None
                    integration = uow.accounts.integration(run.integration_id)
                    assert integration is not None
                    config = uow.accounts.config(integration)
                    flow = registry.flow(run.flow)
                    refusals += flow.refusals
                structlog.contextvars.bind_contextvars(integration_id=config.id, flow=flow.name)
                # Every record the flow changes is kept in its history as this run's doing.
                with _run_heartbeat(db, run_id, schedule_id, lease), history.acting(run_id=run_id):
                    counts = runner.run(db, flow, config, run_id)
                with db.uow() as uow:
                    ended = uow.runs.finish(
                        run_id,
                        counts=counts.as_dict(),
                        error=None,
                        complete_read=_read_complete(flow, uow, run_id),
                        calls=calls.as_dict(),
                    )
                    _note_credential(uow, config.id, calls)
            except RunSuperseded:
                # Declared lost and replaced (it missed its heartbeats): the new run owns the work; write nothing.
                log.warning("run_superseded")
            except refusals as error:
                log.warning("run_failed", error=str(error))
                ended = _fail(db, run_id, str(error), calls)
            except Exception as error:
                log.exception("run_crashed")
                ended = _fail(db, run_id, internal_error(error), calls)
    finally:
        if schedule_id is not None:
            with db.uow() as uow:
                uow.runs.release(schedule_id, run_id)
        structlog.contextvars.unbind_contextvars("run_id", "integration_id", "flow")
    if ended:
        try:
            notify.after_run(db, run_id, public_url)
        except Exception:  # the run is recorded; telling operators is a best effort on top (the next run tells)
            log.exception("notify_failed", run_id=run_id)


@contextmanager
def _run_heartbeat(db: Database, run_id: int, schedule_id: int | None, lease: timedelta) -> Iterator[None]:
    if schedule_id is None:  # a run without a schedule holds no lease
        yield
        return

    def renew() -> bool:
        with db.uow() as uow:
            return uow.runs.renew(schedule_id, run_id, owner_name(), utcnow(), lease)

    with Heartbeat(renew, lease, f"run {run_id}"):
        yield


def _read_complete(flow: registry.Flow, uow: UnitOfWork, run_id: int) -> bool:
    """A resumable flow (a menu sync) read everything, unless it resumed (then it read only the rest, and hid
    nothing)."""
    if not flow.resumable:
        return False
    return not uow.runs.checkpoint(run_id).resuming


def internal_error(error: Exception) -> str:
    """What an operator reads of a crash: what kind of failure, never SQL or its parameters (a database error's
    text carries the statement and the vendor's values). The worker log has the whole of it."""
    if isinstance(error, SQLAlchemyError):
        cause = getattr(error, "orig", None) or error
        return f"internal error: the database refused the run's writes ({cause.__class__.__name__}); see the worker log"
    message = " ".join(str(error).split())[:300]
    return f"internal error: {error.__class__.__name__}: {message}"


def _fail(db: Database, run_id: int, error: str, calls: CallLog) -> bool:
    with db.uow() as uow:
        run = uow.runs.get(run_id)
        counts = dict(run.counts) if run else {}
        ended = uow.runs.finish(run_id, counts=counts, error=error, calls=calls.as_dict())
        if run is not None:
            _note_credential(uow, run.integration_id, calls)
        return ended


def _note_credential(uow: UnitOfWork, integration_id: int, calls: CallLog) -> None:
    """Keep what the vendor said about the credential for Health: paused, refused, or working again."""
    if calls.paused_until is not None:
        uow.accounts.note_credential(integration_id, "paused", calls.pause_note, calls.paused_until)
    elif calls.refused is not None:
        uow.accounts.note_credential(integration_id, "refused", calls.refused)
    elif calls.answered:
        uow.accounts.note_credential(integration_id, None)


def push_message(db: Database, message_id: int, public_url: str | None = None, lease: timedelta = PUSH_LEASE) -> None:
    """Send one claimed outbox message (``flows/runner.deliver``), holding its claim while it is sent.

    Only one delivery per claim sends (``outbox.take``); a second delivery of the same task, or one that arrives
    after its claim ran out (the sweep has claimed the message again), does nothing.
    """
    owner = f"{owner_name()}:{threading.get_ident()}"
    with db.uow() as uow:
        if not uow.outbox.take(message_id, owner, utcnow(), lease):
            log.info("push_not_taken", message_id=message_id, reason="claim already taken, or ran out")
            return
        message = uow.outbox.get(message_id)
        assert message is not None
        integration = None
        if message.integration_id is not None:
            integration = uow.accounts.integration(message.integration_id)
            assert integration is not None
        config = uow.accounts.config(integration) if integration is not None else None
        kind = message.kind
    if config is None:  # the hub's own message: no vendor, no credential to note
        runner.deliver(db, None, kind, message_id, public_url)
        return

    def renew() -> bool:
        with db.uow() as uow:
            return uow.outbox.renew(message_id, owner, utcnow(), lease)

    try:
        # An order push may use the share of the credential's budget that catalogue pulls leave to it.
        with (
            Heartbeat(renew, lease, f"outbox message {message_id}"),
            limits.priority("push"),
            recording() as calls,
            history.acting(actor=f"{kind.replace('_', ' ')} (outbox message {message_id})"),
        ):
            runner.deliver(db, config, kind, message_id, public_url)
    except Exception:
        log.exception("push_crashed", message_id=message_id)
        raise
    try:
        with db.uow() as uow:
            _note_credential(uow, config.id, calls)
        notify.after_push(db, message_id, public_url)
    except Exception:  # the push is recorded; telling operators is a best effort on top
        log.exception("notify_failed", message_id=message_id)
