"""The store's SQL for what is left to sell (``store/catalog/stock.available_sql``) says what the domain says
(``domain.catalog.available_quantity``), on SQLite and PostgreSQL: the list's stock filter and checkout's take."""

from __future__ import annotations

import pytest

from cannasync.domain.catalog import available_quantity
from cannasync.jobs.runtime import Runtime
from cannasync.store import tables as t
from cannasync.store.catalog.holds import OutOfStock
from cannasync.store.catalog.stock import LOW_STOCK, StockLevel

#: (POS quantity, held): none left, oversold, a few, exactly the low-stock line, plenty.
STOCK = [(0, 0), (3, 3), (2, 5), (-1, 0), (4, 1), (LOW_STOCK, 0), (LOW_STOCK + 1, 0), (40, 10)]


@pytest.fixture
def products(runtime: Runtime) -> tuple[int, dict[int, tuple[int, int]]]:
    with runtime.db.uow() as uow:
        org = uow.accounts.organization_named("Stock Rules")
        store = uow.accounts.add_store(org.id, "Count Street")
        integration = uow.accounts.save_integration(
            org.id,
            "flourish",
            store_id=store.id,
            existing=None,
            credentials={"username": "u", "api_key": "k"},
            settings={},
            enabled=True,
        )
        rows = [
            t.Product(
                store_id=store.id,
                integration_id=integration.id,
                name=f"Item {n}",
                pos_category="Flower",
                category="Flower",
                pos_quantity=pos,
                held_quantity=held,
                fingerprint=f"f{n}",
            )
            for n, (pos, held) in enumerate(STOCK)
        ]
        uow.session.add_all(rows)
        uow.session.flush()
        return store.id, {row.id: (row.pos_quantity, row.held_quantity) for row in rows}


def test_the_stock_filter_counts_as_the_domain_does(
    runtime: Runtime, products: tuple[int, dict[int, tuple[int, int]]]
) -> None:
    store_id, stock = products
    left = {product_id: available_quantity(pos, held) for product_id, (pos, held) in stock.items()}
    expected = {
        "out": {i for i, n in left.items() if n == 0},
        "low": {i for i, n in left.items() if 0 < n <= LOW_STOCK},
        "in": {i for i, n in left.items() if n > 0},
    }
    with runtime.db.uow() as uow:
        levels: tuple[StockLevel, ...] = ("out", "low", "in")
        for level in levels:
            rows, total = uow.catalog.products(store_id, stock=level, limit=100)
            assert ({row.id for row in rows}, total) == (expected[level], len(expected[level])), level


def test_a_take_succeeds_exactly_when_the_domain_says_it_is_there(
    runtime: Runtime, products: tuple[int, dict[int, tuple[int, int]]]
) -> None:
    _, stock = products
    for product_id, (pos, held) in stock.items():
        left = available_quantity(pos, held)
        for wanted in (1, left, left + 1):
            if wanted < 1:
                continue
            with runtime.db.uow() as uow:
                if wanted <= left:
                    uow.holds.take(product_id, wanted)
                else:
                    with pytest.raises(OutOfStock) as short:
                        uow.holds.take(product_id, wanted)
                    assert short.value.available == left
                uow.session.rollback()  # leave the row as it was for the next case
