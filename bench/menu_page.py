"""The storefront menu's page query at catalogue size: one page of cards (sizes of one product grouped into one
card, ``store.catalog.storefront.menu``) and its size choices (``sizes_of``), on SQLite or PostgreSQL.

A store of ``--products`` visible products (a third of them sizes of another: 2 or 3 sizes share a variant key, as
"Blue Dream 3.5g" / "Blue Dream 7g") is written straight to the tables, then each menu query is timed ``--runs``
times: the first page, a deep page, a category, a search and a price sort; against the baseline of the same first
page without grouping (every in-stock product its own card, the query before sizes were grouped). Prints JSON.

    bench/menu_page.py --products 20000 --database sqlite --json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text

from cannasync.domain.variants import variant_key
from cannasync.jobs.runtime import Runtime
from cannasync.settings import Settings
from cannasync.store.catalog.storefront import MenuFilter, _in_stock, menu, sizes_of
from cannasync.store.db import make_engine
from cannasync.store.secrets import SecretBox
from cannasync.store.tables import Product
from cannasync.store.uow import Database

CATEGORIES = ("Flower", "Vapes", "Edibles", "Concentrates", "Pre-rolls")
SIZES = ("3.5g", "7g", "14g")


def fill(db: Database, products: int) -> int:
    with db.uow() as uow:
        org_id = uow.accounts.organization_named("Bench").id
        store_id = uow.accounts.add_store(org_id, "Bench Menu").id
        integration = uow.accounts.save_integration(
            org_id,
            "alleaves",
            store_id=store_id,
            existing=None,
            credentials={"location_id": "x", "username": "x", "password": "x"},
            settings={"base_url": "http://127.0.0.1:9/api"},
            enabled=False,
        )
        rows = []
        n = 0
        while len(rows) < products:
            category = CATEGORIES[n % len(CATEGORIES)]
            sizes = SIZES[: 2 + n % 2] if n % 3 == 0 else ("",)  # a third are products sold in 2 or 3 sizes
            for size in sizes:
                name = f"Strain {n} {size}".strip()
                rows.append(
                    {
                        "store_id": store_id,
                        "integration_id": integration.id,
                        "name": name,
                        "brand": f"Brand {n % 40}",
                        "pos_category": category,
                        "category": category,
                        "rec_price_cents": 1000 + (n * 37) % 9000 + 500 * len(size),
                        "pos_quantity": 10,
                        "held_quantity": 0,
                        "visible": True,
                        "fingerprint": f"bench-{len(rows)}",
                        "variant_key": variant_key(name, f"Brand {n % 40}", category),
                        "cannabinoids": [{"name": "THC", "value": str(15 + n % 15), "unit": "%"}],
                        "terpenes": [],
                        "images": [],
                        "price_tiers": [],
                        "description": "",
                    }
                )
            n += 1
        uow.session.execute(Product.__table__.insert(), rows[:products])
    with db.uow() as uow:
        uow.session.execute(text("ANALYZE products"))  # as autovacuum (or SQLite's optimize) would after a sync
    return store_id


def timed(runs: int, work: Any) -> dict[str, float]:
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        seconds.append(time.perf_counter() - started)
    return {"ms_median": round(statistics.median(seconds) * 1000, 2), "ms_max": round(max(seconds) * 1000, 2)}


def measure(args: argparse.Namespace, directory: Path, schema: str | None) -> dict[str, Any]:
    url = args.database_url if args.database == "postgres" else None
    settings = Settings(data_dir=directory, database_url=url, secret_keys=SecretBox.new_key())
    runtime = Runtime(settings, search_path=schema) if schema else Runtime(settings)
    try:
        store_id = fill(runtime.db, args.products)
        cases = {
            "first_page": (MenuFilter(), 0),
            "page_100": (MenuFilter(), 24 * 99),
            "category": (MenuFilter(category="Flower"), 0),
            "search": (MenuFilter(search="strain 1"), 0),
            "price_sort": (MenuFilter(sort="price_low"), 0),
        }
        results: dict[str, Any] = {}
        cards = 0
        for name, (wanted, offset) in cases.items():

            def page(wanted: MenuFilter = wanted, offset: int = offset) -> None:
                nonlocal cards
                with runtime.db.uow() as uow:
                    rows, cards = menu(uow.catalog, store_id, wanted, limit=24, offset=offset)
                    sizes_of(uow.catalog, store_id, rows)

            results[name] = timed(args.runs, page)

        def ungrouped() -> None:
            with runtime.db.uow() as uow:
                query = select(Product).where(_in_stock(store_id))
                uow.session.scalar(select(func.count()).select_from(query.subquery()))
                list(uow.session.scalars(query.order_by(Product.name, Product.id).limit(24)))

        baseline = timed(args.runs, ungrouped)
        ratio = results["first_page"]["ms_median"] / max(baseline["ms_median"], 0.01)
        return {
            "bench": "menu_page",
            "database": args.database,
            "products": args.products,
            "cards": cards,
            **results,
            "ungrouped_first_page": baseline,
            "ratio_first_page_to_ungrouped": round(ratio, 2),
        }
    finally:
        runtime.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--products", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("CANNASYNC_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"),
    )
    parser.add_argument("--json", action="store_true", help="print only the JSON result")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as directory:
        schema = None
        if args.database == "postgres":
            schema = f"cs_bench_menu_{os.getpid()}"
            admin = make_engine(args.database_url)
            with admin.begin() as connection:
                connection.execute(text(f"CREATE SCHEMA {schema}"))
        try:
            result = measure(args, Path(directory), schema)
        finally:
            if schema:
                with admin.begin() as connection:
                    connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
                admin.dispose()
    print(json.dumps(result, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
