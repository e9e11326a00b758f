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
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx2
from sqlalchemy import select

from cannasync.flows import reconcile
from cannasync.jobs.runtime import Runtime, configure_logging
from cannasync.jobs.scheduler import Dispatcher
from cannasync.store.catalog import PRODUCT
from cannasync.store.tables import Binding, Product
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
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--drift", type=int, default=50, help="items changed, and as many deleted, behind our back")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print only the JSON result")
    args = parser.parse_args()
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


if __name__ == "__main__":
    main()
