"""(integration, kind, external id) ↔ internal id, written in the same transaction as the record it binds."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from cannasync.store.once import insert_once
from cannasync.store.tables import Binding


class Bindings:
    def __init__(self, session: Session) -> None:
        self.session = session

    def internal(self, integration_id: int, kind: str, external_id: str) -> int | None:
        return self.session.scalar(
            select(Binding.internal_id).where(
                Binding.integration_id == integration_id, Binding.kind == kind, Binding.external_id == external_id
            )
        )

    def external(self, integration_id: int, kind: str, internal_id: int) -> str | None:
        return self.session.scalar(
            select(Binding.external_id).where(
                Binding.integration_id == integration_id, Binding.kind == kind, Binding.internal_id == internal_id
            )
        )

    def externals(self, integration_id: int, kind: str, internal_ids: Iterable[int]) -> dict[int, str]:
        rows = self.session.execute(
            select(Binding.internal_id, Binding.external_id).where(
                Binding.integration_id == integration_id,
                Binding.kind == kind,
                Binding.internal_id.in_(list(internal_ids)),
            )
        )
        return {internal: external for internal, external in rows}

    def bind(self, integration_id: int, kind: str, external_id: str, internal_id: int) -> bool:
        """Bind, unless either side is bound already (then the first binding stands); True when bound now."""
        return insert_once(
            self.session,
            Binding,
            {"integration_id": integration_id, "kind": kind, "external_id": external_id, "internal_id": internal_id},
        )
