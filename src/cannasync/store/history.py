"""Per-record history: each change the hub made to a product's count, prices, listing or name, and why.

Cheap by construction: only changed fields are kept, the old values of a page's updated products are read in one
query (none when the page changed nothing), and a page of changes is one INSERT.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from cannasync.store.tables import Product, RecordChange, SyncRun
from cannasync.store.types import utcnow

PRODUCT = "product"
#: The product fields whose changes are kept: what "why does the store show 3 when the POS says 5?" is about.
TRACKED = ("pos_quantity", "rec_price_cents", "med_price_cents", "visible", "name")

Snapshot = tuple[Any, ...]


def snapshot(row: Product) -> Snapshot:
    return tuple(getattr(row, name) for name in TRACKED)


def note(
    pending: list[dict[str, Any]],
    row: Product,
    before: Snapshot,
    *,
    run_id: int | None = None,
    actor: str | None = None,
) -> None:
    """Add the row's change since ``before`` (if any) to ``pending``."""
    changed = {name: [old, new] for name, old, new in zip(TRACKED, before, snapshot(row), strict=True) if old != new}
    if changed:
        pending.append(
            {
                "subject": PRODUCT,
                "subject_id": row.id,
                "run_id": run_id,
                "actor": actor,
                "at": utcnow(),
                "changes": changed,
            }
        )


def updates(session: Session, rows: Sequence[Mapping[str, Any]], run_id: int | None) -> list[dict[str, Any]]:
    """The changes a batch of product updates is about to make: each row holds the product's ``id`` and the
    columns it writes (a field the store owns is absent, so it is not compared). Read before the batch is written."""
    if not rows:
        return []
    columns = [getattr(Product, name) for name in TRACKED]
    ids = [row["id"] for row in rows]
    before = {found[0]: found[1:] for found in session.execute(select(Product.id, *columns).where(Product.id.in_(ids)))}
    now = utcnow()
    pending: list[dict[str, Any]] = []
    for row in rows:
        old = before.get(row["id"])
        if old is None:
            continue
        changed = {
            name: [was, row[name]] for name, was in zip(TRACKED, old, strict=True) if name in row and was != row[name]
        }
        if changed:
            pending.append(
                {
                    "subject": PRODUCT,
                    "subject_id": row["id"],
                    "run_id": run_id,
                    "actor": None,
                    "at": now,
                    "changes": changed,
                }
            )
    return pending


def hidden(product_ids: Sequence[int], run_id: int | None) -> list[dict[str, Any]]:
    """The changes of products hidden in bulk (gone from the POS)."""
    now = utcnow()
    return [
        {
            "subject": PRODUCT,
            "subject_id": pid,
            "run_id": run_id,
            "actor": None,
            "at": now,
            "changes": {"visible": [True, False]},
        }
        for pid in product_ids
    ]


def record(session: Session, pending: list[dict[str, Any]]) -> None:
    """One statement for a page of changes (none when nothing changed)."""
    if pending:
        session.execute(insert(RecordChange), pending)


def of(session: Session, subject: str, subject_id: int, limit: int = 200) -> list[tuple[RecordChange, SyncRun | None]]:
    """A record's changes, newest first, each with the run that made it (None: a person or an API call)."""
    rows = session.execute(
        select(RecordChange, SyncRun)
        .outerjoin(SyncRun, SyncRun.id == RecordChange.run_id)
        .where(RecordChange.subject == subject, RecordChange.subject_id == subject_id)
        .order_by(RecordChange.id.desc())
        .limit(limit)
    )
    return [(change, run) for change, run in rows]
