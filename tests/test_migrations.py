"""The migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from cannasync.jobs.runtime import Runtime
from cannasync.store.tables import Base


def test_migrations_match_the_models(runtime: Runtime):
    with runtime.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []
