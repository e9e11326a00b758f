"""Reconciliation benchmark: what comparing a store with its POS costs on top of reading the POS's pages.

In one run, against a Flourish sandbox in its own process, so this process measures only the hub:

- ``floor``: fetch and parse every page a reconciliation reads (items and their stock, no art), with a plain
  httpx2 client: what no implementation can avoid;
- ``clean``: a reconciliation of a store that agrees with its POS (one full menu sync before): nothing differs,
  nothing is written but the run's record;
- ``drifted``: the same after ``--drift`` items had their stock changed and ``--drift`` were deleted behind the
  hub's back: each difference found, recorded and repaired;
- ``after``: a reconciliation right after the repairs, which must find nothing;
- ``memory``: the Python heap's peak (tracemalloc) during a clean reconciliation: it follows the page, not the
  catalogue.

Prints JSON with the ratios of each reconciliation to the floor.

    python bench/reconcile.py --items 10000 --json

With ``--stores N``, the reconciliation of N stores on the distributed workers instead, in production's processes
as ``bench/scale.py`` runs them: ``cannasync worker`` (Dramatiq over a Redis broker, a namespace of this run's own)
and ``cannasync scheduler`` subprocesses, on PostgreSQL (a fresh schema), against ONE Flowhub sandbox process
serving N generated locations of ``--items`` products (one store and one Flowhub integration per location). Every
store's menu sync is run first (``sync_cycle``), so the stores agree with their POS; then every store's daily
reconciliation is made due at once and the real scheduler hands the runs to the real workers:

- ``clean``: nothing changed since the sync, so nothing is found (the records each location sends that cannot be
  read were quarantined by the sync and never became products, so they are the sync's to report, not drift);
- ``drifted``: the same after one product per store was recounted behind the hub's back (a control route):
  each found and repaired;
- ``after``: again right after: the recounts are not found again;
- ``floor``: with the cluster stopped, the same documents (each location's inventory, what a Flowhub
  reconciliation reads) fetched with plain HTTP at the same concurrency; ``ratio_*_to_floor`` divides each
  cycle's wall time (the trigger to the last run's end) by it.

    python bench/reconcile.py --stores 1000 --items 200 --json     # the full size (issue 18)
    python bench/reconcile.py --stores 50 --json
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import secrets
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx2
from sqlalchemy import Engine, func, select, text

import scale
from cannasync.flows import reconcile
from cannasync.jobs.runtime import Runtime, configure_logging
from cannasync.jobs.scheduler import Dispatcher
from cannasync.settings import Settings
from cannasync.store.catalog.products import PRODUCT
from cannasync.store.secrets import SecretBox
from cannasync.store.tables import Binding, Integration, Product
from cannasync.store.types import utcnow
from menu_sync import FACILITY, KEY, hub, ratio, start_sandbox, timed_sync


def pages_floor(api: str) -> dict[str, Any]:
    """The requests a reconciliation makes of Flourish (items, then their stock, a page at a time), parsed."""
    started = time.perf_counter()
    records = requests = offset = 0
    with httpx2.Client(base_url=api, headers=KEY, timeout=30) as client:
        while True:
            params = {"active": "true", "ecommerce_active": "true", "sellable": "true", "offset": offset, "limit": 50}
            page = client.get("v1/items/", params=params).json()
            ids = [item["id"] for item in page["data"]]
            client.get(
                "v1/inventory/summary/", params=[("item_id", i) for i in ids], headers={"FacilityID": FACILITY}
            ).json()
            requests += 2
            records += len(ids)
            offset += len(ids)
            if not page["meta"]["next"]:
                break
    return {"seconds": round(time.perf_counter() - started, 3), "records": records, "requests": requests}


def timed_reconcile(runtime: Runtime, integration_id: int) -> dict[str, Any]:
    """One reconciliation, started as the console's button and ``cannasync reconcile`` start one."""
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=1) as executor:
        run_id = Dispatcher(runtime.db, executor).run_now(integration_id, reconcile.FLOW, trigger="bench")
    seconds = time.perf_counter() - started
    with runtime.db.uow() as uow:
        run = uow.runs.get(run_id)
        assert run is not None
        status, counts, error = run.status, dict(run.counts), run.error
    if status != "succeeded":
        raise RuntimeError(f"the bench's reconciliation (run {run_id}) ended {status}: {error}")
    return {"seconds": round(seconds, 3), "counts": counts}


def inject_drift(runtime: Runtime, control: str, integration_id: int, count: int) -> int:
    """Change the stock of ``count`` listed items and delete ``count`` others, through the sandbox's control routes."""
    with runtime.db.uow() as uow:
        rows = uow.session.execute(
            select(Binding.external_id, Product.pos_quantity)
            .join(Product, Product.id == Binding.internal_id)
            .where(Binding.integration_id == integration_id, Binding.kind == PRODUCT, Product.visible.is_(True))
            .order_by(Product.id)
            .limit(2 * count)
        ).all()
    with httpx2.Client(base_url=control, timeout=30) as client:
        for external_id, quantity in rows[:count]:
            body = {"facility_id": FACILITY, "sellable_qty": quantity + 3}
            client.post(f"/_sandbox/items/{external_id}/quantity", json=body).raise_for_status()
        for external_id, _ in rows[count:]:
            client.delete(f"/_sandbox/items/{external_id}").raise_for_status()
    return len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=None, help="products in the catalogue (10000; 200 per store)")
    parser.add_argument("--drift", type=int, default=50, help="items changed, and as many deleted, behind our back")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--stores", type=int, default=0, help="N stores on the distributed workers instead of one")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (with --stores)")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (with --stores)")
    parser.add_argument("--tick", type=float, default=2.0, help="scheduler tick, seconds (with --stores)")
    parser.add_argument("--database-url", default=scale.POSTGRES_URL, help="PostgreSQL, with --stores")
    parser.add_argument("--broker-url", default=scale.REDIS_URL, help="Redis for the broker, with --stores")
    parser.add_argument("--json", action="store_true", help="print only the JSON result")
    args = parser.parse_args()
    if args.stores:
        if min(args.stores, args.workers, args.threads, args.items or 1) < 1 or args.tick <= 0:
            parser.error("--stores, --items, --workers and --threads must be >= 1, --tick > 0")
        configure_logging("ERROR")
        result = distributed(args)
        if not args.json:
            print(
                f"{args.stores} stores: floor {result['floor']['seconds']}s · clean {result['clean']['seconds']}s "
                f"(×{result['ratio_clean_to_floor']}) · drifted {result['drifted']['seconds']}s "
                f"(×{result['ratio_drifted_to_floor']})",
                file=sys.stderr,
            )
        print(json.dumps(result, indent=2, default=str))
        return
    args.items = args.items or 10_000
    configure_logging("WARNING")
    process, url = start_sandbox("flourish", args.items, args.seed)
    api = f"{url}/external/api/"
    try:
        floor = pages_floor(api)
        with tempfile.TemporaryDirectory() as directory:
            runtime, integration_id = hub(Path(directory), "flourish", api, FACILITY)
            timed_sync(runtime, integration_id)  # the store agrees with its POS to start with
            clean = timed_reconcile(runtime, integration_id)
            injected = inject_drift(runtime, url, integration_id, args.drift)
            drifted = timed_reconcile(runtime, integration_id)
            after = timed_reconcile(runtime, integration_id)
            tracemalloc.start()
            timed_reconcile(runtime, integration_id)
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            runtime.close()
    finally:
        process.terminate()
        process.wait(10)
    result = {
        "bench": "reconcile",
        "vendor": "flourish",
        "items_in_catalogue": args.items,
        "listed_records": floor["records"],
        "requests_per_read": floor["requests"],
        "drift_injected": injected,
        "floor_seconds": floor["seconds"],
        "clean_seconds": clean["seconds"],
        "drifted_seconds": drifted["seconds"],
        "after_seconds": after["seconds"],
        "clean_counts": clean["counts"],
        "drifted_counts": drifted["counts"],
        "after_counts": after["counts"],
        "ratio_clean_to_floor": ratio(clean["seconds"], floor["seconds"]),
        "ratio_drifted_to_floor": ratio(drifted["seconds"], floor["seconds"]),
        "peak_python_heap_mb_during_reconcile": round(peak / 2**20, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "cpus": os.cpu_count(),
    }
    if not args.json:
        print(
            f"floor {floor['seconds']}s · clean reconcile {clean['seconds']}s (×{result['ratio_clean_to_floor']}) · "
            f"drifted {drifted['seconds']}s (×{result['ratio_drifted_to_floor']}), "
            f"{drifted['counts'].get('differences')} differences",
            file=sys.stderr,
        )
    print(json.dumps(result, indent=2))


# --------------------------------------------------------------------------------------------------
# Many stores on the distributed workers (--stores)


def reconcile_cycle(
    bench: scale.Bench, engine: Engine, running: scale.Cluster, stores: int, timeout: float
) -> dict[str, Any]:
    """Every store's reconciliation made due at once; the cycle lasts until the last of them has finished."""
    after = scale.last_run_id(engine)
    before = scale.CpuSnapshot.take(bench, engine, running)
    trigger = utcnow()
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE schedules SET next_run_at = :now WHERE flow = :flow"), {"now": trigger, "flow": reconcile.FLOW}
        )
    deadline = time.monotonic() + timeout
    query = text(
        "SELECT status, counts, queued_at, started_at, finished_at FROM sync_runs "
        "WHERE id > :after AND flow = :flow AND finished_at IS NOT NULL"
    )
    while True:
        with engine.connect() as connection:
            rows = connection.execute(query, {"after": after, "flow": reconcile.FLOW}).all()
        if len(rows) >= stores:
            break
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {len(rows)} of {stores} reconciliations finished within {timeout:.0f}s")
        running.check_alive()
        time.sleep(0.1)
    cpu = scale.CpuSnapshot.take(bench, engine, running).since(before)
    seconds = (max(row.finished_at for row in rows) - trigger).total_seconds()
    statuses: dict[str, int] = {}
    counts: dict[str, int] = {}
    for row in rows:
        statuses[row.status] = statuses.get(row.status, 0) + 1
        for name, value in (row.counts or {}).items():
            counts[name] = counts.get(name, 0) + int(value)
    durations = [(row.finished_at - row.started_at).total_seconds() for row in rows if row.started_at]
    return {
        "seconds": round(seconds, 3),
        "store_reconciles": len(rows),
        "store_reconciles_per_second": round(len(rows) / seconds, 2),
        "runs": statuses,
        "counts": counts,
        "dispatched_within_seconds": round((max(row.queued_at for row in rows) - trigger).total_seconds(), 3),
        "run_seconds_p50": scale.percentile(durations, 0.5),
        "run_seconds_p95": scale.percentile(durations, 0.95),
        "worker_cpu_seconds": round(cpu["workers"], 2),
        "cpu_seconds_per_store_reconcile": round(cpu["workers"] / max(1, len(rows)), 4),
        "postgres_cpu_seconds": round(cpu["postgres"], 2),
        "sandbox_cpu_seconds": round(cpu["sandbox"], 2),
        "others_cpu_seconds": round(cpu["others"], 2),
    }


def recount_one_per_store(runtime: Runtime, api: str) -> int:
    """Behind the hub's back, one listed product of every store is recounted (3 more) at its Flowhub location."""
    with runtime.db.uow() as uow:
        locations = {row.id: row.settings["location_id"] for row in uow.session.scalars(select(Integration))}
        firsts = select(func.min(Product.id)).where(Product.visible.is_(True)).group_by(Product.integration_id)
        picked = uow.session.execute(
            select(Product.integration_id, Binding.external_id, Product.pos_quantity)
            .join(Binding, (Binding.internal_id == Product.id) & (Binding.kind == PRODUCT))
            .where(Product.id.in_(firsts))
        ).all()
    with httpx2.Client(base_url=api, timeout=30) as client:
        for integration_id, external_id, quantity in picked:
            body = {"locationId": locations[integration_id], "quantity": quantity + 3}
            client.post(f"/_sandbox/items/{external_id}/quantity", json=body).raise_for_status()
    return len(picked)


def distributed(args: argparse.Namespace) -> dict[str, Any]:
    """Sync every store, then reconcile every store at once: clean, drifted, and again; then the floor."""
    items = args.items or 200
    load_before = os.getloadavg()[0]
    tag = f"{os.getpid()}_{secrets.token_hex(3)}"
    schema, namespace = f"cs_bench_reconcile_{tag}", f"cs_bench_reconcile_{tag}"
    started = time.perf_counter()
    cleanups: list[Callable[[], object]] = []
    try:
        with tempfile.TemporaryDirectory(prefix="cs_bench_reconcile_") as directory:
            sandbox, url = scale.start_sandbox(args.stores, items, args.seed)
            cleanups.append(lambda: scale.stop(sandbox, 10))
            admin = scale.fresh_schema(args.database_url, schema)
            cleanups.append(admin.dispose)
            cleanups.append(lambda: scale.drop_schema(admin, schema))
            cleanups.append(lambda: scale.clean_broker(args.broker_url, namespace))
            bench = scale.Bench(
                schema=schema,
                database_url=scale.subprocess_database_url(args.database_url, schema, f"cs_bench_{tag}"),
                application_name=f"cs_bench_{tag}",
                broker_url=args.broker_url,
                namespace=namespace,
                secret_key=SecretBox.new_key(),
                api=url,
                sandbox_pid=sandbox.pid,
                threads=args.threads,
                tick=args.tick,
                log_level="INFO",  # the processes say they are ready at INFO (scale.cluster waits for it)
                logs=Path(directory),
            )
            # This process only sets up and reads: no broker, so it runs nothing itself.
            values: dict[str, Any] = {"database_url": args.database_url, "secret_keys": bench.secret_key}
            runtime = Runtime(Settings(data_dir=Path(directory) / "bench", **values), search_path=schema)
            cleanups.append(runtime.close)
            engine = runtime.engine
            scale.connect_stores(runtime.db, url, args.stores)
            scale.park(engine)  # nothing runs until a cycle makes it due
            timeout = max(120.0, args.stores * 3.0)
            with scale.cluster(bench, args.workers) as running:
                synced = scale.cycle(bench, engine, running, args.stores, timeout)
                clean = reconcile_cycle(bench, engine, running, args.stores, timeout)
                injected = recount_one_per_store(runtime, url)
                drifted = reconcile_cycle(bench, engine, running, args.stores, timeout)
                after = reconcile_cycle(bench, engine, running, args.stores, timeout)
            floor = scale.floor(bench, args.stores, args.workers)
    finally:
        for cleanup in reversed(cleanups):
            try:
                cleanup()
            except Exception as error:  # the others still run
                print(f"cleanup failed: {error!r}", file=sys.stderr)
    return {
        "bench": "reconcile",
        "mode": "distributed",
        "vendor": "flowhub",
        "database": "postgresql",
        "broker": "redis",
        "stores": args.stores,
        "items_in_catalogue": items,
        "workers": args.workers,
        "threads_per_worker": args.threads,
        "tick_seconds": args.tick,
        "sync_cycle_seconds": synced["seconds"],
        "sync_cycle_runs": synced["runs"],
        "drift_injected": injected,
        "clean": clean,
        "drifted": drifted,
        "after": after,
        "floor": floor,
        "ratio_clean_to_floor": ratio(clean["seconds"], floor["seconds"]),
        "ratio_drifted_to_floor": ratio(drifted["seconds"], floor["seconds"]),
        "bench_seconds": round(time.perf_counter() - started, 1),
        "cpus": os.cpu_count(),
        "load_average_before_after": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


if __name__ == "__main__":
    main()
