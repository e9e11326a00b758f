"""The outbox: every write to a vendor as a row with an idempotency key, claimed and retried until done.

A claim leases a message for one send. The worker that sends takes the claim (``take``: at most one per claim,
however often the broker delivers the task) and keeps the lease alive while it works (``renew``). A lease that runs
out with the message still ``sending`` means the worker died or the task was lost: the next claim (the sweep every
tick) takes it again, marked outcome-unknown, so the sender looks the write up before repeating it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cannasync.store.db import rowcount
from cannasync.store.once import insert_once
from cannasync.store.tables import Integration, OutboxMessage
from cannasync.store.types import utcnow


@dataclass(frozen=True)
class Backoff:
    """How long a failed send waits before its next try: ``first``, then doubling, never more than ``cap``.

    An outage delays a write, never drops it, so there is no last try. The process sets it (settings
    ``retry_first_seconds`` and ``retry_max_seconds``); the fault tests shorten it so that a dozen faulted sends settle
    in seconds rather than minutes.
    """

    first: timedelta = timedelta(seconds=2)
    cap: timedelta = timedelta(minutes=15)

    def after(self, attempts: int) -> timedelta:
        """The wait after the ``attempts``-th failed try (1 for the first)."""
        return min(self.cap, self.first * (1 << min(max(attempts - 1, 0), 32)))


class Outbox:
    def __init__(self, session: Session, backoff: Backoff = Backoff()) -> None:
        self.session = session
        self.backoff = backoff

    def enqueue(self, integration_id: int | None, kind: str, subject_id: int, idempotency_key: str) -> None:
        """Add a message unless one with this key exists (confirming twice must not push twice)."""
        insert_once(
            self.session,
            OutboxMessage,
            {
                "integration_id": integration_id,
                "kind": kind,
                "subject_id": subject_id,
                "idempotency_key": idempotency_key,
                "state": "pending",
                "attempts": 0,
                "outcome_unknown": False,
                "next_attempt_at": utcnow(),
            },
            ["idempotency_key"],
        )

    def claim_due(self, now: datetime, lease: timedelta, limit: int = 100) -> list[OutboxMessage]:
        due = list(
            self.session.scalars(
                select(OutboxMessage)
                .outerjoin(Integration, Integration.id == OutboxMessage.integration_id)
                .where(
                    # The hub's own messages (notifications) have no integration to be disabled.
                    Integration.enabled.is_(True) | OutboxMessage.integration_id.is_(None),
                    OutboxMessage.state.in_(["pending", "sending"]),
                    OutboxMessage.next_attempt_at <= now,
                    (OutboxMessage.leased_until.is_(None)) | (OutboxMessage.leased_until < now),
                )
                .order_by(OutboxMessage.next_attempt_at)
                .limit(limit)
                .with_for_update(of=OutboxMessage, skip_locked=True)
            )
        )
        for message in due:
            if message.state == "sending":
                # The lease ran out mid-send (a worker died): the vendor may have the write already.
                message.outcome_unknown = True
            message.state = "sending"
            message.leased_until = now + lease
            message.lease_owner = None
        self.session.flush()
        return due

    def take(self, message_id: int, owner: str, now: datetime, lease: timedelta) -> bool:
        """Become the one sender of the current claim; False for a second delivery or a claim that ran out."""
        result = self.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == message_id,
                OutboxMessage.state == "sending",
                OutboxMessage.lease_owner.is_(None),
                OutboxMessage.leased_until >= now,
            )
            .values(lease_owner=owner, leased_until=now + lease)
        )
        return bool(rowcount(result))

    def renew(self, message_id: int, owner: str, now: datetime, lease: timedelta) -> bool:
        """Extend the lease while its sender works (the heartbeat); False once the send has ended or was lost."""
        result = self.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == message_id,
                OutboxMessage.state == "sending",
                OutboxMessage.lease_owner == owner,
            )
            .values(leased_until=now + lease)
        )
        return bool(rowcount(result))

    def get(self, message_id: int) -> OutboxMessage | None:
        return self.session.get(OutboxMessage, message_id)

    def by_key(self, idempotency_key: str) -> OutboxMessage | None:
        return self.session.scalar(select(OutboxMessage).where(OutboxMessage.idempotency_key == idempotency_key))

    def for_subject(self, kind: str, subject_id: int) -> list[OutboxMessage]:
        return list(
            self.session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.kind == kind, OutboxMessage.subject_id == subject_id)
                .order_by(OutboxMessage.id)
            )
        )

    def done(self, message: OutboxMessage, result: dict[str, Any]) -> None:
        message.state = "done"
        message.result = result
        message.leased_until = None
        message.lease_owner = None
        message.last_error = None

    def retry_later(
        self, message: OutboxMessage, error: str, *, outcome_unknown: bool, delay: timedelta | None = None
    ) -> None:
        """Back to pending after a failed try (counted here): ``delay``, or the backoff for its tries so far."""
        if delay is None:
            message.attempts += 1
            delay = self.backoff.after(message.attempts)
        message.state = "pending"
        message.last_error = error
        message.leased_until = None
        message.lease_owner = None
        message.next_attempt_at = utcnow() + delay
        message.outcome_unknown = message.outcome_unknown or outcome_unknown

    def fail(self, message: OutboxMessage, error: str) -> None:
        message.state = "failed"
        message.last_error = error
        message.leased_until = None
        message.lease_owner = None

    def requeue(self, message: OutboxMessage, reason: str) -> None:
        """Send a message again now, looking its write up first (a reconciliation found it lost or stuck).

        Marked outcome-unknown, so the sender asks the vendor before it writes: the vendor's copy, if it has one,
        is taken instead of a second one being made.
        """
        message.state = "pending"
        message.outcome_unknown = True
        message.next_attempt_at = utcnow()
        message.leased_until = None
        message.lease_owner = None
        message.last_error = reason

    def cancel_pending(self, kind: str, subject_id: int) -> int:
        result = self.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.kind == kind,
                OutboxMessage.subject_id == subject_id,
                OutboxMessage.state == "pending",
                OutboxMessage.outcome_unknown.is_(False),
            )
            .values(state="cancelled", leased_until=None)
        )
        return rowcount(result)
