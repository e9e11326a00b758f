"""Per-record history: each change the hub made to a product, an order or a persona, and why.

"Why" is who made it: a run (its flow and trigger say which sync, which webhook-triggered run, which
reconciliation), or ``actor``, a person (the console's signed-in e-mail), the store's API, a vendor's webhook, an
outbox message. Whoever acts says so once, around what it does (:func:`acting`, a context variable, as
``connectors.http.recording`` is for vendor calls): the job runner for every run, the inbound webhook handler,
the API and console routes that change records. The code that changes a record never has to be told.

Two ways in, by how the record is written:

* Products are written a page at a time with Core statements (``CatalogSync.save_page``), so their writers report
  changes here explicitly: the old values of a page's updated products are read in one query (none when the page
  changed nothing), and a page of changes is one INSERT. Only the fields a merchant asks about are kept.
* Orders and personas (and a persona's consents) are changed one ORM row at a time from many places (the status
  poll, a postback, the push, a reconciliation, a person, a pull, a signup, an SMS reply), so every change to
  their tracked fields is caught when the session flushes (:func:`watch`): a new path cannot forget to record.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event, func, insert, inspect, select
from sqlalchemy.orm import Session, UOWTransaction, sessionmaker

from cannasync.store.tables import Consent, Order, Persona, Product, RecordChange, SyncRun
from cannasync.store.types import utcnow

PRODUCT = "product"
ORDER = "order"
PERSONA = "persona"
#: The product fields whose changes are kept: what "why does the store show 3 when the POS says 5?" is about.
TRACKED = ("pos_quantity", "rec_price_cents", "med_price_cents", "visible", "name")
#: An order's fields that the POS, a person or the hub move: its status, where it is in the POS, a staff task.
ORDER_FIELDS = ("status", "pos_order_id", "pos_status", "push_error", "attention", "keep_holding")
#: A persona's contact (the POS's, a signup's or a person's), its store, and its membership.
PERSONA_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "date_of_birth",
    "state",
    "favorite_store_id",
    "enrolled_via",
    "earns_from",
)

Snapshot = tuple[Any, ...]


# --- who is acting ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Acting:
    run_id: int | None = None
    actor: str | None = None


_NOBODY = Acting()
_ACTING: ContextVar[Acting | None] = ContextVar("cannasync_history_acting", default=None)


@contextmanager
def acting(*, run_id: int | None = None, actor: str | None = None) -> Iterator[None]:
    """Whatever changes records inside this block was done by this run or this actor (innermost wins)."""
    token = _ACTING.set(Acting(run_id, actor[:100] if actor else None))
    try:
        yield
    finally:
        _ACTING.reset(token)


def current() -> Acting:
    return _ACTING.get() or _NOBODY


def entry(
    subject: str, subject_id: int, changes: dict[str, list[Any]], run_id: int | None = None, actor: str | None = None
) -> dict[str, Any]:
    """One change of one record (a ``record_changes`` row); by whoever is :func:`acting` unless told."""
    if run_id is None and actor is None:
        who = current()
        run_id, actor = who.run_id, who.actor
    return {
        "subject": subject,
        "subject_id": subject_id,
        "run_id": run_id,
        "actor": actor,
        "at": utcnow(),
        "changes": changes,
    }


# --- products, reported by their writers -----------------------------------------------------------------------


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
        pending.append(entry(PRODUCT, row.id, changed, run_id, actor))


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


# --- orders and personas, caught at flush ----------------------------------------------------------------------


def _changed(row: Any, fields: Sequence[str]) -> dict[str, list[Any]]:
    """The tracked fields this flush writes with a new value: [old, new] each."""
    state = inspect(row)
    changes: dict[str, list[Any]] = {}
    for name in fields:
        seen = state.attrs[name].history
        if not seen.added:
            continue
        old = seen.deleted[0] if seen.deleted else None
        new = seen.added[0]
        if old != new:
            changes[name] = [old, new]
    return changes


def _created(row: Persona) -> dict[str, list[Any]]:
    return {name: [None, value] for name in PERSONA_FIELDS if (value := getattr(row, name)) not in (None, "")}


def consent_field(channel: str) -> str:
    """How a consent's state is named among a persona's fields ("sms_consent")."""
    return f"{channel}_consent"


def _flushed(session: Session, _flush: UOWTransaction) -> None:
    """Every change to an order's or a persona's tracked fields in this flush, as record_changes rows.

    A new order is not a change (its history starts with the status the shopper placed it in, in its events); a new
    persona is, since where its contact came from is what its history answers. A consent is made by a race-safe
    INSERT, not the session, so its first state is recorded where it is made (``Loyalty.set_consent``)."""
    pending: list[dict[str, Any]] = []
    for row in session.dirty:
        if isinstance(row, Order):
            if changed := _changed(row, ORDER_FIELDS):
                pending.append(entry(ORDER, row.id, changed))
        elif isinstance(row, Persona):
            if changed := _changed(row, PERSONA_FIELDS):
                pending.append(entry(PERSONA, row.id, changed))
        elif isinstance(row, Consent) and (changed := _changed(row, ("state",))):
            pending.append(entry(PERSONA, row.persona_id, {consent_field(row.channel): changed["state"]}))
    for row in session.new:
        if isinstance(row, Persona):
            pending.append(entry(PERSONA, row.id, {"sourced_from": [None, row.sourced_from], **_created(row)}))
    if pending:
        # Inside the flush, the unit of work is closed to new objects: the rows go out on its connection.
        session.connection().execute(insert(RecordChange.__table__), pending)


def watch(sessions: sessionmaker[Session]) -> None:
    """Keep the history of orders and personas for every session ``sessions`` makes."""
    event.listen(sessions, "after_flush", _flushed)


# --- reading ---------------------------------------------------------------------------------------------------


def last_changed(session: Session, subject: str, subject_ids: Sequence[int]) -> dict[int, datetime]:
    """When each of these records last changed, by its history (one query; a record never changed is absent)."""
    if not subject_ids:
        return {}
    rows = session.execute(
        select(RecordChange.subject_id, func.max(RecordChange.at))
        .where(RecordChange.subject == subject, RecordChange.subject_id.in_(list(subject_ids)))
        .group_by(RecordChange.subject_id)
    )
    return {subject_id: at for subject_id, at in rows}


def of(session: Session, subject: str, subject_id: int, limit: int = 200) -> list[tuple[RecordChange, SyncRun | None]]:
    """A record's changes, newest first, each with the run that made it (None: a person, a webhook, an API call)."""
    rows = session.execute(
        select(RecordChange, SyncRun)
        .outerjoin(SyncRun, SyncRun.id == RecordChange.run_id)
        .where(RecordChange.subject == subject, RecordChange.subject_id == subject_id)
        .order_by(RecordChange.id.desc())
        .limit(limit)
    )
    return [(change, run) for change, run in rows]
