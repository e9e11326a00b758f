"""The one rule for get-or-create: insert, ignoring a duplicate, then read what is there.

Selecting first and inserting when nothing was found is a race: two transactions both find nothing, both insert,
and on PostgreSQL (READ COMMITTED) the second dies on the unique constraint, taking its request or run with it.
``INSERT … ON CONFLICT DO NOTHING`` lets the database decide under the constraint's own lock: the loser's insert
waits for the winner to commit and then does nothing, and its next statement sees the winner's row. SQLite has
the same clause (and one writer at a time besides). Every get-or-create in ``store/`` goes through here, so the
rule lives in one place; the caller must name columns covered by a unique constraint, or the insert cannot tell.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import inspect, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from cannasync.store.db import is_postgres

Row = TypeVar("Row")


def insert_once(
    session: Session, model: type[Any], values: Mapping[str, Any], conflict: Sequence[str] | None = None
) -> bool:
    """Insert a row unless it would break a unique constraint; True when this call inserted it.

    ``conflict`` names the unique columns that make a row "the same" (None: any unique constraint). Column
    defaults (``created_at`` and so on) apply as with the ORM.
    """
    dialect = postgresql if is_postgres(session.get_bind()) else sqlite
    statement = dialect.insert(model).values(**values)
    statement = statement.on_conflict_do_nothing(index_elements=list(conflict) if conflict else None)
    # RETURNING, not rowcount: an ORM-enabled INSERT does not report a reliable rowcount on every driver.
    primary_key = inspect(model).primary_key[0]
    return session.execute(statement.returning(primary_key)).first() is not None


def get_or_create(
    session: Session,
    model: type[Row],
    keys: Mapping[str, Any],
    defaults: Mapping[str, Any] | None = None,
) -> tuple[Row, bool]:
    """The row whose unique ``keys`` are these, created with ``defaults`` if there is none; and whether it was new.

    Any other transaction's row for the same keys wins over ours, so a caller that goes on to change the row
    changes the one everybody sees.
    """
    created = insert_once(session, model, {**(defaults or {}), **keys}, list(keys))
    # populate_existing: the row may be another transaction's, newer than a copy this session already holds.
    row = session.scalars(select(model).filter_by(**keys).execution_options(populate_existing=True)).one()
    return row, created
