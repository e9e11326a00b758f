"""The migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import event, text
from sqlalchemy.exc import IntegrityError

from cannasync.jobs.runtime import Runtime
from cannasync.store.db import make_engine, upgrade
from cannasync.store.tables import Base
from tests.conftest import POSTGRES_URL


def test_migrations_match_the_models(runtime: Runtime):
    with runtime.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_no_upgrade_on_sqlite_rebuilds_a_table_other_rows_depend_on(tmp_path: Path):
    """On SQLite a batch migration may rebuild a table (copy, DROP, rename); with foreign keys on, dropping a table
    that others point at deletes their rows through ON DELETE CASCADE (0013 once wiped every order this way)."""
    engine = make_engine(f"sqlite:///{tmp_path}/hub.db")
    # 0003 rebuilt `integrations` to make a column NOT NULL (SQLite cannot change that in place), before this check;
    # every migration since adds and drops in place.
    upgrade(engine, "0003")
    dropped: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def spy(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        words = statement.split()
        if words[:2] == ["DROP", "TABLE"]:
            dropped.append(words[-1].strip('"'))

    upgrade(engine)
    engine.dispose()
    referenced = {key.column.table.name for table in Base.metadata.tables.values() for key in table.foreign_keys}
    assert dropped, "the spy saw the migrations' statements (so this test can fail)"
    assert sorted(set(dropped) & referenced) == []


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_0014_gives_existing_connections_a_daily_reconciliation(backend: str, tmp_path: Path):
    """POS connections syncing before 0014 get the reconcile schedule, a day out; paused ones stay paused."""
    schema = f"cs_mig_{os.getpid()}"
    if backend == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path}/old.db")
    else:
        admin = make_engine(POSTGRES_URL)
        try:
            with admin.begin() as connection:
                connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
                connection.execute(text(f"CREATE SCHEMA {schema}"))
        except Exception as error:  # pragma: no cover - depends on the machine
            pytest.skip(f"PostgreSQL is not reachable: {error}")
        engine = make_engine(POSTGRES_URL, search_path=schema)
    try:
        upgrade(engine, "0013")
        now = datetime.now(UTC)
        with engine.begin() as connection:
            connection.execute(
                text("INSERT INTO organizations (id, name, created_at) VALUES (1, 'Org', :now)"), {"now": now}
            )
            for integration_id, vendor, due in ((1, "flourish", now), (2, "alleaves", None), (3, "leaflink", now)):
                connection.execute(
                    text(
                        "INSERT INTO integrations (id, organization_id, vendor, enabled, credentials, settings, "
                        "sync_state, name, created_at, updated_at) VALUES (:id, 1, :vendor, true, :blob, '{}', '{}', "
                        "'', :now, :now)"
                    ),
                    {"id": integration_id, "vendor": vendor, "blob": b"x", "now": now},
                )
                flow = "menu_sync" if vendor != "leaflink" else "wholesale_sync"
                connection.execute(
                    text(
                        "INSERT INTO schedules (integration_id, flow, interval_seconds, next_run_at, follow_up) "
                        "VALUES (:id, :flow, 600, :due, false)"
                    ),
                    {"id": integration_id, "flow": flow, "due": due},
                )
        upgrade(engine)
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT integration_id, interval_seconds, next_run_at FROM schedules WHERE flow = 'reconcile'")
            ).all()
        found = {row[0]: row for row in rows}
        assert sorted(found) == [1, 2, 3]  # the POS connections and the LeafLink link
        assert found[1][1] == 86400 and found[2][2] is None  # paused stays paused
        first = found[1][2] if isinstance(found[1][2], datetime) else datetime.fromisoformat(str(found[1][2]))
        assert (first.replace(tzinfo=first.tzinfo or UTC) - now).total_seconds() > 86000
    finally:
        engine.dispose()
        if backend == "postgres":
            with admin.begin() as connection:
                connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            admin.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_0016_keeps_every_shop_orders_link_and_gives_every_other_order_one(backend: str, tmp_path: Path):
    """A shop order's page was at its checkout key (its Idempotency-Key, prefixed): the link keeps working. An order
    placed over the API gets a random key of its own, so its messages can link to a page too."""
    schema = f"cs_mig16_{os.getpid()}"
    if backend == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path}/old.db")
    else:
        admin = make_engine(POSTGRES_URL)
        try:
            with admin.begin() as connection:
                connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
                connection.execute(text(f"CREATE SCHEMA {schema}"))
        except Exception as error:  # pragma: no cover - depends on the machine
            pytest.skip(f"PostgreSQL is not reachable: {error}")
        engine = make_engine(POSTGRES_URL, search_path=schema)
    shop_key = "Zq3xY7-abcdefghijklmnopqrstuv"
    try:
        upgrade(engine, "0015")
        now = datetime.now(UTC)
        with engine.begin() as connection:
            connection.execute(
                text("INSERT INTO organizations (id, name, created_at) VALUES (1, 'Org', :now)"), {"now": now}
            )
            connection.execute(
                text(
                    "INSERT INTO stores (id, organization_id, name, timezone, randomized_order_numbers, "
                    "last_order_sequence, created_at) VALUES (1, 1, 'Downtown', 'America/Detroit', false, 1003, :now)"
                ),
                {"now": now},
            )
            connection.execute(
                text(
                    "INSERT INTO customers (id, store_id, first_name, last_name, needs_id_verification, created_at) "
                    "VALUES (1, 1, 'Sam', 'Okafor', false, :now)"
                ),
                {"now": now},
            )
            for order_id, key in ((1, f"shop-{shop_key}"), (2, "api-retry-7"), (3, None)):
                connection.execute(
                    text(
                        "INSERT INTO orders (id, store_id, number, idempotency_key, status, fulfillment, is_medical, "
                        "customer_id, subtotal_cents, discount_cents, fees_cents, total_cents, fees, notes, "
                        "keep_holding, placed_at, updated_at) VALUES (:id, 1, :number, :key, 'pending', 'pickup', "
                        "false, 1, 100, 0, 0, 100, '[]', '', false, :now, :now)"
                    ),
                    {"id": order_id, "number": str(1000 + order_id), "key": key, "now": now},
                )
        upgrade(engine)
        with engine.connect() as connection:
            keys = dict(connection.execute(text("SELECT id, page_key FROM orders")).all())
        assert keys[1] == shop_key
        assert all(len(keys[i]) >= 22 and keys[i] not in ("api-retry-7", shop_key) for i in (2, 3))
        assert keys[2] != keys[3]
    finally:
        engine.dispose()
        if backend == "postgres":
            with admin.begin() as connection:
                connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            admin.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_0017_gives_the_products_already_synced_their_size_key(backend: str, tmp_path: Path):
    """Sizes of one product already on the menu are one card as soon as the hub is upgraded, not as they change."""
    schema = f"cs_mig17_{os.getpid()}"
    if backend == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path}/old.db")
    else:
        admin = make_engine(POSTGRES_URL)
        try:
            with admin.begin() as connection:
                connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
                connection.execute(text(f"CREATE SCHEMA {schema}"))
        except Exception as error:  # pragma: no cover - depends on the machine
            pytest.skip(f"PostgreSQL is not reachable: {error}")
        engine = make_engine(POSTGRES_URL, search_path=schema)
    try:
        upgrade(engine, "0016")
        now = datetime.now(UTC)
        with engine.begin() as connection:
            connection.execute(
                text("INSERT INTO organizations (id, name, created_at) VALUES (1, 'Org', :now)"), {"now": now}
            )
            connection.execute(
                text(
                    "INSERT INTO stores (id, organization_id, name, timezone, randomized_order_numbers, "
                    "last_order_sequence, created_at) VALUES (1, 1, 'Downtown', 'America/Detroit', false, 0, :now)"
                ),
                {"now": now},
            )
            connection.execute(
                text(
                    "INSERT INTO integrations (id, organization_id, store_id, name, sync_state, vendor, enabled, "
                    "credentials, settings, created_at, updated_at) "
                    "VALUES (1, 1, 1, '', '{}', 'alleaves', false, :blob, '{}', :now, :now)"
                ),
                {"now": now, "blob": b"x"},
            )
            for product_id, name in ((1, "Blue Dream 3.5g"), (2, "Blue Dream 7g"), (3, "Blue Dream")):
                connection.execute(
                    text(
                        "INSERT INTO products (id, store_id, integration_id, name, brand, pos_category, category, "
                        "description, images, cannabinoids, terpenes, price_tiers, pos_quantity, held_quantity, "
                        "visible, fingerprint, created_at, updated_at) VALUES (:id, 1, 1, :name, 'Kiva', 'Flower', "
                        "'Flower', '', '[]', '[]', '[]', '[]', 5, 0, true, 'f', :now, :now)"
                    ),
                    {"id": product_id, "name": name, "now": now},
                )
        upgrade(engine)
        with engine.connect() as connection:
            keys = dict(connection.execute(text("SELECT id, variant_key FROM products")).all())
        assert keys[1] is not None and keys[1] == keys[2]  # the two sizes share a key
        assert keys[3] is None  # a name with no size part is never grouped
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_0018_renames_the_wholesale_pairs_columns_in_place_keeping_every_pair(backend: str, tmp_path: Path):
    """The pairs' vendor-named columns become pos_*/market_* without copying a row: the pairs the bridge knew are
    still found by their new names, their unique constraints still hold, and no table is rebuilt."""
    schema = f"cs_mig18_{os.getpid()}"
    if backend == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path}/old.db")
    else:
        admin = make_engine(POSTGRES_URL)
        try:
            with admin.begin() as connection:
                connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
                connection.execute(text(f"CREATE SCHEMA {schema}"))
        except Exception as error:  # pragma: no cover - depends on the machine
            pytest.skip(f"PostgreSQL is not reachable: {error}")
        engine = make_engine(POSTGRES_URL, search_path=schema)
    try:
        upgrade(engine, "0017")
        now = datetime.now(UTC)
        with engine.begin() as connection:
            connection.execute(
                text("INSERT INTO organizations (id, name, created_at) VALUES (1, 'Org', :now)"), {"now": now}
            )
            connection.execute(
                text(
                    "INSERT INTO integrations (id, organization_id, vendor, enabled, credentials, settings, "
                    "sync_state, name, created_at, updated_at) VALUES (1, 1, 'leaflink', true, :blob, '{}', '{}', "
                    "'', :now, :now)"
                ),
                {"blob": b"x", "now": now},
            )
            connection.execute(
                text(
                    "INSERT INTO wholesale_products (id, integration_id, flourish_item_id, leaflink_product_id, "
                    "quantity_sent, updated_at) VALUES (1, 1, 'item-7', '2093', 12, :now)"
                ),
                {"now": now},
            )
            connection.execute(
                text(
                    "INSERT INTO wholesale_customers (id, integration_id, leaflink_customer_id, "
                    "flourish_destination_id, created_at) VALUES (1, 1, '148515', 'dest-3', :now)"
                ),
                {"now": now},
            )
            connection.execute(
                text(
                    "INSERT INTO wholesale_orders (id, integration_id, leaflink_number, flourish_order_id, "
                    "facility_id, leaflink_status, flourish_status, created_at, updated_at) VALUES "
                    "(1, 1, 'aec108ac', 'OB-1', 'fac-1', 'accepted', 'Allocated', :now, :now)"
                ),
                {"now": now},
            )
        statements: list[str] = []

        @event.listens_for(engine, "before_cursor_execute")
        def spy(_conn: object, _cursor: object, statement: str, *_: object) -> None:
            statements.append(" ".join(statement.split()).upper())

        upgrade(engine)
        event.remove(engine, "before_cursor_execute", spy)
        assert any("RENAME COLUMN" in s for s in statements), "the spy saw the renames (so this test can fail)"
        assert [s for s in statements if s.startswith(("DROP TABLE", "CREATE TABLE", "INSERT INTO WHOLESALE"))] == []
        with engine.connect() as connection:
            product = connection.execute(
                text("SELECT pos_item_id, market_product_id, quantity_sent FROM wholesale_products")
            ).one()
            buyer = connection.execute(
                text("SELECT market_customer_id, pos_destination_id FROM wholesale_customers")
            ).one()
            order = connection.execute(
                text("SELECT market_number, pos_order_id, market_status, pos_status FROM wholesale_orders")
            ).one()
        assert tuple(product) == ("item-7", "2093", 12)
        assert tuple(buyer) == ("148515", "dest-3")
        assert tuple(order) == ("aec108ac", "OB-1", "accepted", "Allocated")
        with pytest.raises(IntegrityError), engine.begin() as connection:  # one pair per marketplace order still
            connection.execute(
                text(
                    "INSERT INTO wholesale_orders (id, integration_id, market_number, market_status, created_at, "
                    "updated_at) VALUES (2, 1, 'aec108ac', 'submitted', :now, :now)"
                ),
                {"now": now},
            )
    finally:
        engine.dispose()
        if backend == "postgres":
            with admin.begin() as connection:
                connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            admin.dispose()
