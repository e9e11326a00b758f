"""The outbox: every write to a vendor as a row with an idempotency key, claimed and retried until done."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from cannasync.store.tables import Integration, OutboxMessage
from cannasync.store.types import utcnow


class Outbox:
    def __init__(self, session: Session) -> None:
        self.session = session

    def enqueue(self, integration_id: int, kind: str, subject_id: int, idempotency_key: str) -> None:
        """Add a message unless one with this key exists (confirming twice must not push twice)."""
        dialect = self.session.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        self.session.execute(
            insert(OutboxMessage)
            .values(
                integration_id=integration_id,
                kind=kind,
                subject_id=subject_id,
                idempotency_key=idempotency_key,
                state="pending",
                attempts=0,
                outcome_unknown=False,
                next_attempt_at=utcnow(),
                created_at=utcnow(),
                updated_at=utcnow(),
            )
            .on_conflict_do_nothing(index_elements=["idempotency_key"])
        )

    def claim_due(self, now: datetime, lease: timedelta, limit: int = 20) -> list[OutboxMessage]:
        due = list(
            self.session.scalars(
                select(OutboxMessage)
                .join(Integration, Integration.id == OutboxMessage.integration_id)
                .where(
                    Integration.enabled.is_(True),
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
        self.session.flush()
        return due

    def get(self, message_id: int) -> OutboxMessage | None:
        return self.session.get(OutboxMessage, message_id)

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
        message.last_error = None

    def retry_later(self, message: OutboxMessage, error: str, *, delay: timedelta, outcome_unknown: bool) -> None:
        message.state = "pending"
        message.last_error = error
        message.leased_until = None
        message.next_attempt_at = utcnow() + delay
        message.outcome_unknown = message.outcome_unknown or outcome_unknown

    def fail(self, message: OutboxMessage, error: str) -> None:
        message.state = "failed"
        message.last_error = error
        message.leased_until = None

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
        return int(result.rowcount)  # type: ignore[attr-defined]
