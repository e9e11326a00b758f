"""A store's first sync of a large catalogue leaves PostgreSQL's statistics fresh, so the sync a person starts right
after it (Sync, or the next schedule) plans its per-page lookups on the tables as they now are, not as they were
empty (measured at 10,000 items: 19 ms a page instead of 3)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text

from tests.conftest import FlowhubSandbox, Hub, connect_flowhub, served_flowhub, wait_for


@pytest.fixture
def large_flowhub() -> Iterator[FlowhubSandbox]:
    with served_flowhub(items=1300) as sandbox:
        yield sandbox


def _analyzed(hub: Hub) -> dict[str, object]:
    with hub.runtime.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT relname, last_analyze FROM pg_stat_user_tables"
                " WHERE schemaname = current_schema() AND relname IN ('products', 'bindings')"
            )
        )
        return {name: at for name, at in rows if at is not None}


def test_a_large_first_sync_refreshes_the_statistics_and_the_next_sync_finds_it_unchanged(
    hub: Hub, backend: str, large_flowhub: FlowhubSandbox
):
    connected = connect_flowhub(hub, large_flowhub)
    first = hub.sync(connected.integration_id)
    with hub.runtime.engine.connect() as connection:
        stored = connection.execute(
            text("SELECT COUNT(*) FROM products WHERE integration_id = :id AND visible"),
            {"id": connected.integration_id},
        ).scalar_one()
    assert stored >= 1000, "the catalogue is large enough to be worth new statistics"
    if backend == "postgres":
        wait_for(lambda: len(_analyzed(hub)) == 2, "products and bindings analyzed after the first sync")
    again = hub.sync(connected.integration_id)
    assert first["status"] == again["status"] == "succeeded"
    assert again["counts"]["unchanged"] == stored and again["counts"]["created"] == 0
