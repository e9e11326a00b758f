"""A record's history as the console's slide-outs show it (a product's, an order's, a persona's): each change with
what moved from what to what, and who or what made it, with the run's detail one click away when a run did.

The entries are ``store/history.py``'s ``record_changes`` rows, the same ones the API's ``…/history`` routes list.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cannasync.store import history
from cannasync.store.tables import RecordChange, SyncRun
from cannasync.store.uow import UnitOfWork
from cannasync.web.pages import money, phone, words

#: How many changes a slide-out lists (the API pages through all of them).
SHOWN = 50

#: A field's name as a merchant reads it; fields not here are shown through ``words``.
LABELS = {
    "pos_quantity": "POS count",
    "rec_price_cents": "Price",
    "med_price_cents": "Medical price",
    "visible": "On the menu",
    "pos_order_id": "POS order id",
    "pos_status": "POS status",
    "push_error": "Push problem",
    "attention": "Staff task",
    "favorite_store_id": "Favorite store",
    "enrolled_via": "Enrolled",
    "date_of_birth": "Born",
    "email": "E-mail",
    "sms_consent": "SMS consent",
    "email_consent": "E-mail consent",
}


@dataclass(frozen=True, slots=True)
class Moved:
    field: str
    before: str
    after: str


@dataclass(frozen=True, slots=True)
class Change:
    at: datetime
    moved: list[Moved]
    by: str
    run_id: int | None


def label(name: str) -> str:
    return LABELS.get(name, words(name))


def _shown(name: str, value: Any, stores: Mapping[int, str]) -> str:
    if value is None or value == "":
        return "—"
    if name.endswith("_cents") and isinstance(value, int):
        return money(value)
    if isinstance(value, bool):
        return {"visible": ("shown", "hidden")}.get(name, ("on", "off"))[0 if value else 1]
    if name == "favorite_store_id" and isinstance(value, int):
        return stores.get(value, f"store {value}")
    if name == "phone":
        return phone(str(value))
    if name in ("status",) or name.endswith("_consent"):
        return words(str(value))
    return str(value)


def _by(row: RecordChange, run: SyncRun | None) -> str:
    if row.actor:
        return row.actor
    if run is not None:
        return f"{words(run.flow)} run {run.id} ({run.trigger})"
    return "the hub"


def changes(uow: UnitOfWork, subject: str, subject_id: int, stores: Mapping[int, str] | None = None) -> list[Change]:
    """The record's newest changes, newest first, ready to render after the unit of work."""
    names = stores or {}
    return [
        Change(
            at=row.at,
            moved=[
                Moved(label(name), _shown(name, old, names), _shown(name, new, names))
                for name, (old, new) in row.changes.items()
            ],
            by=_by(row, run),
            run_id=row.run_id,
        )
        for row, run in history.of(uow.session, subject, subject_id, SHOWN)
    ]
