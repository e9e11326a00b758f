"""Checkout benchmark: concurrent shoppers against limited stock, and the floor under them.

In one run, in a fresh PostgreSQL schema that is dropped afterwards (or, with ``--database sqlite``, a fresh
SQLite file in a temporary directory, as the embedded hub keeps it):

- ``checkout``: ``--shoppers`` threads place ``--orders`` orders in all through cannasync's real
  ``flows.checkout.place_order`` (one ``Database.uow()`` each: price, record the order, hold its stock), one or
  two units of one of a few products with ``--stock`` units each, until the stock runs out and checkouts are
  refused. Oversells are counted from the database afterwards and must be 0: no product holds more than its
  stock, and the open holds agree with the held quantity.
- ``floor``: the same attempts, same concurrency, as a bare conditional
  ``UPDATE stock SET q = q - n WHERE id = ? AND q >= n`` on a scratch table: the one statement no
  implementation of holds can do without.

Prints JSON with orders per second, attempts, placed, refused, oversells, p50/p95 latency, and the ratio of
the checkout's throughput to the floor's.

    python bench/checkout.py --shoppers 8 --orders 2000 --stock 100 --json
    python bench/checkout.py --database sqlite --shoppers 8 --orders 2000 --stock 100 --json
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from cannasync.domain.customers import CustomerDetails
from cannasync.flows.checkout import CheckoutLine, CheckoutRequest, OutOfStock, place_order
from cannasync.jobs.runtime import Runtime, configure_logging
from cannasync.settings import Settings
from cannasync.store.db import make_engine
from cannasync.store.secrets import SecretBox
from cannasync.store.tables import Product
from cannasync.store.uow import Database

POSTGRES_URL = os.environ.get("CANNASYNC_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
PRODUCTS = 5
PRICE_CENTS = 2500
SHOPPER = CustomerDetails(first_name="Pat", last_name="Parallel", phone="5551230000", date_of_birth=date(1980, 1, 1))


@dataclass
class Tally:
    """What the shoppers of one run did, gathered under a lock (threads append as they go)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    placed: int = 0
    refused: int = 0
    latencies: list[float] = field(default_factory=list)

    def add(self, ok: bool, seconds: float) -> None:
        with self.lock:
            self.placed += ok
            self.refused += not ok
            self.latencies.append(seconds)


def attempts(orders: int, products: list[int], seed: int) -> list[tuple[int, int]]:
    """The (product, quantity) of every attempt, fixed by the seed so both runs face the same demand."""
    rng = random.Random(seed)
    return [(rng.choice(products), rng.choice((1, 1, 2))) for _ in range(orders)]


def run_concurrently(shoppers: int, work: list[tuple[int, int]], attempt: Callable[[int, int], bool]) -> Tally:
    """Hand the attempts to ``shoppers`` threads, each taking the next one until none is left."""
    tally = Tally()
    cursor = iter(enumerate(work))
    take = threading.Lock()

    def shopper() -> None:
        for _ in range(len(work)):  # bounded: never more turns than attempts
            with take:
                job = next(cursor, None)
            if job is None:
                return
            _, (product_id, quantity) = job
            started = time.perf_counter()
            ok = attempt(product_id, quantity)
            tally.add(ok, time.perf_counter() - started)

    with ThreadPoolExecutor(max_workers=shoppers) as pool:
        for future in [pool.submit(shopper) for _ in range(shoppers)]:
            future.result()
    return tally


def summary(tally: Tally, seconds: float) -> dict[str, Any]:
    ordered = sorted(tally.latencies)

    def pct(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000, 2) if ordered else 0.0

    return {
        "seconds": round(seconds, 3),
        "attempts": len(ordered),
        "placed": tally.placed,
        "refused": tally.refused,
        "attempts_per_second": round(len(ordered) / seconds, 1) if seconds else 0.0,
        "orders_per_second": round(tally.placed / seconds, 1) if seconds else 0.0,
        "latency_ms_p50": pct(0.5),
        "latency_ms_p95": pct(0.95),
        "latency_ms_mean": round(statistics.fmean(ordered) * 1000, 2) if ordered else 0.0,
    }


# --------------------------------------------------------------------------------------------------
# The hub's checkout


def stocked_store(db: Database, stock: int) -> tuple[int, list[int]]:
    """A store with a few visible products of ``stock`` units each, as a menu sync would leave them."""
    with db.uow() as uow:
        org_id = uow.accounts.organization_named("Bench").id
        store_id = uow.accounts.add_store(org_id, "Bench Store").id
        integration = uow.accounts.save_integration(
            org_id,
            "flourish",
            store_id=store_id,
            existing=None,
            credentials={"username": "demo", "api_key": "demo-key"},
            settings={"base_url": "http://127.0.0.1:9/external/api", "facility_id": "101"},
            enabled=False,  # nothing is scheduled: only checkouts touch these rows
        )
        rows = [
            Product(
                store_id=store_id,
                integration_id=integration.id,
                name=f"Bench Gummies {n}",
                pos_category="Edibles",
                category="Edibles",
                rec_price_cents=PRICE_CENTS,
                pos_quantity=stock,
                held_quantity=0,
                visible=True,
                fingerprint=f"bench-{n}",
            )
            for n in range(PRODUCTS)
        ]
        uow.session.add_all(rows)
        uow.session.flush()
        return store_id, [row.id for row in rows]


def hub_checkout(db: Database, store_id: int) -> Callable[[int, int], bool]:
    def attempt(product_id: int, quantity: int) -> bool:
        # A shopper of their own each time: one shared customer row would serialise every checkout on its lock.
        key = uuid.uuid4()
        shopper = replace(SHOPPER, phone=f"555{key.int % 10_000_000:07d}", email=f"{key.hex}@example.com")
        request = CheckoutRequest(customer=shopper, lines=[CheckoutLine(product_id, quantity)])
        try:
            place_order(db, store_id, request, idempotency_key=f"bench-{key.hex}")
        except OutOfStock:
            return False
        return True

    return attempt


def oversells(engine: Engine, stock: int) -> dict[str, int]:
    """Checked from the database: units held or ordered beyond the stock, and holds that disagree with it."""
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT p.id, p.pos_quantity, p.held_quantity,"
                " COALESCE((SELECT SUM(h.quantity) FROM holds h WHERE h.product_id = p.id"
                " AND h.released_at IS NULL), 0),"
                " COALESCE((SELECT SUM(l.quantity) FROM order_lines l WHERE l.product_id = p.id), 0)"
                " FROM products p"
            )
        ).all()
    over = sum(max(0, max(held, holds, ordered) - stock) for _, _, held, holds, ordered in rows)
    mismatched = sum(1 for _, _, held, holds, ordered in rows if not held == holds == ordered)
    return {
        "oversold_units": int(over),
        "products_with_mismatched_holds": mismatched,
        "units_held": int(sum(r[2] for r in rows)),
    }


# --------------------------------------------------------------------------------------------------
# The floor: a bare conditional UPDATE


def floor_table(engine: Engine, products: list[int], stock: int) -> None:
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE bench_stock (id INTEGER PRIMARY KEY, q INTEGER NOT NULL)"))
        connection.execute(
            text("INSERT INTO bench_stock (id, q) VALUES (:id, :q)"), [{"id": p, "q": stock} for p in products]
        )


def floor_attempt(engine: Engine) -> Callable[[int, int], bool]:
    statement = text("UPDATE bench_stock SET q = q - :n WHERE id = :id AND q >= :n")

    def attempt(product_id: int, quantity: int) -> bool:
        with engine.begin() as connection:
            return bool(connection.execute(statement, {"id": product_id, "n": quantity}).rowcount)

    return attempt


def floor_oversells(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT COUNT(*) FROM bench_stock WHERE q < 0")).scalar_one())


# --------------------------------------------------------------------------------------------------


def fresh_schema(url: str) -> tuple[Engine, str]:
    schema = f"cs_bench_checkout_{os.getpid()}"
    admin = make_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    return admin, schema


def measure(args: argparse.Namespace, directory: Path, schema: str | None) -> dict[str, Any]:
    url = args.database_url if args.database == "postgres" else None  # None: the data directory's SQLite file
    settings = Settings(data_dir=directory, database_url=url, secret_keys=SecretBox.new_key())
    runtime = Runtime(settings, search_path=schema)  # migrates the fresh schema (or file)
    try:
        store_id, products = stocked_store(runtime.db, args.stock)
        work = attempts(args.orders, products, args.seed)
        started = time.perf_counter()
        hub = run_concurrently(args.shoppers, work, hub_checkout(runtime.db, store_id))
        hub_seconds = time.perf_counter() - started
        checked = oversells(runtime.engine, args.stock)

        floor_table(runtime.engine, products, args.stock)
        started = time.perf_counter()
        floor = run_concurrently(args.shoppers, work, floor_attempt(runtime.engine))
        floor_seconds = time.perf_counter() - started
        floor_over = floor_oversells(runtime.engine)
    finally:
        runtime.close()
    result_hub = summary(hub, hub_seconds)
    result_floor = summary(floor, floor_seconds)
    return {
        "bench": "checkout",
        "database": "postgresql" if args.database == "postgres" else "sqlite",
        "shoppers": args.shoppers,
        "products": len(products),
        "stock_per_product": args.stock,
        "checkout": {**result_hub, **checked},
        "oversells": checked["oversold_units"] + checked["products_with_mismatched_holds"],
        "floor": {**result_floor, "oversells": floor_over},
        # Attempts per second: both runs make the same attempts, and a refusal costs about what a sale does.
        "ratio_floor_to_checkout_throughput": round(
            result_floor["attempts_per_second"] / result_hub["attempts_per_second"], 2
        )
        if result_hub["attempts_per_second"]
        else None,
        "ratio_checkout_to_floor_latency_p50": round(result_hub["latency_ms_p50"] / result_floor["latency_ms_p50"], 2)
        if result_floor["latency_ms_p50"]
        else None,
        "cpus": os.cpu_count(),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shoppers", type=int, default=8, help="concurrent shoppers (threads)")
    parser.add_argument("--orders", type=int, default=2000, help="checkout attempts in all")
    parser.add_argument("--stock", type=int, default=100, help=f"units of each of the {PRODUCTS} products")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--database-url", default=POSTGRES_URL, help="PostgreSQL (a schema of its own is used)")
    parser.add_argument("--json", action="store_true", help="print only the JSON result")
    args = parser.parse_args(argv)
    if args.shoppers < 1 or args.orders < 1 or args.stock < 0:
        parser.error("--shoppers and --orders must be >= 1, --stock >= 0")
    configure_logging("WARNING")
    if args.database == "sqlite":
        with tempfile.TemporaryDirectory() as directory:
            result = measure(args, Path(directory), None)
    else:
        admin, schema = fresh_schema(args.database_url)
        try:
            with tempfile.TemporaryDirectory() as directory:
                result = measure(args, Path(directory), schema)
        finally:
            with admin.begin() as connection:
                connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            admin.dispose()
    if not args.json:
        hub, floor = result["checkout"], result["floor"]
        print(
            f"checkout {hub['orders_per_second']} orders/s ({hub['placed']} placed, {hub['refused']} refused, "
            f"p95 {hub['latency_ms_p95']} ms) · floor {floor['attempts_per_second']} updates/s · "
            f"oversells {result['oversells']}",
            file=sys.stderr,
        )
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
