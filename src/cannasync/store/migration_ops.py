"""Schema steps the migrations share, where SQLite and PostgreSQL need different DDL for the same change."""

from __future__ import annotations

from alembic import op

from cannasync.store.db import is_postgres


def drop_columns(table: str, *names: str) -> None:
    """Drop ``names`` from ``table`` (a downgrade's step), in place on both databases.

    Alembic's batch drop rebuilds a SQLite table: with foreign keys on (they are, for every connection; see
    store/db.py) SQLite refuses to drop a table other rows point at, or deletes the rows that point at it. SQLite
    3.35+ drops a column in place, so it is asked to; PostgreSQL drops it in place either way.
    """
    if is_postgres(op.get_bind()):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name in names:
                batch_op.drop_column(name)
        return
    for name in names:
        op.execute(f"ALTER TABLE {table} DROP COLUMN {name}")
