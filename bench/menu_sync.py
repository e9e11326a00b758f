"""Menu sync benchmark: what cannasync adds on top of simply fetching a POS's pages.

In one run, against a Flourish (or ``--vendor flowhub``) sandbox in its own process, so this process measures
only the hub:

- ``floor``: fetch and parse every page the sync needs, raw (items, inventory summaries, item art), with a
  plain httpx2 client: the cost no implementation can avoid; ``floor_pages_only`` leaves the art out, which
  is what an unchanged sync fetches (art links are refreshed only when they near expiry);
- ``full_sync``: a first sync into an empty SQLite database (everything created);
- ``unchanged_sync``: the same sync again, nothing changed (nothing written);
- ``memory``: the Python heap's peak (tracemalloc) and the peak RSS of a process of its own doing a full sync
  into a fresh database, to show that memory follows the page size, not the catalogue.

``--database postgres`` runs the syncs against PostgreSQL (``CANNASYNC_TEST_POSTGRES_URL``) instead of SQLite, each
hub in a fresh schema dropped afterwards. ``*_cpu_us_per_record`` is this process's CPU time (every thread: the
hub's own work, the sandbox runs apart) per listed record.

Prints JSON with the ratios of each sync to the floor.

    python bench/menu_sync.py --items 10000 --json
    python bench/menu_sync.py --vendor flowhub --items 10000 --json
    python bench/menu_sync.py --vendor alleaves --items 10000 --json
    python bench/menu_sync.py --vendor alleaves --items 10000 --database postgres --json
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx2
from sqlalchemy import text

from cannasync.cli.servers import free_port
from cannasync.flows import integrations, menu_sync
from cannasync.jobs.runtime import Runtime, configure_logging
from cannasync.jobs.scheduler import Dispatcher
from cannasync.settings import Settings
from cannasync.store.db import make_engine

KEY = {"x-api-key": "demo-key"}
FLOWHUB_CREDENTIALS = {  # the Flowhub sandbox's well-known credentials
    "client_id": "3f7c1a52-0d7e-4b8a-9a51-6f2d1c0e9b11",
    "api_key": "9b1d6c2e-7a44-4f0e-8c3b-5e2a7d9f1c20",
    "order_ahead_client_id": "c0ffee00-1234-4abc-9def-00000000a11e",
    "order_ahead_token": "oa-demo-token",
}
FLOWHUB_HEADERS = {"clientId": FLOWHUB_CREDENTIALS["client_id"], "key": FLOWHUB_CREDENTIALS["api_key"]}
ALLEAVES_CREDENTIALS = {"location_id": "ALV-1001", "username": "demo", "password": "demo-pass"}
FACILITY = "101"
UNLIMITED = 100_000.0  # requests per second: the bench measures our cost, not a politeness limit
POSTGRES_URL = os.environ.get("CANNASYNC_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


#: The sandbox's own rate limit, off (its command-line switch).
SANDBOX_UNLIMITED = {"alleaves": ("--per-minute", "0"), "flowhub": ("--rps", "0")}


def start_sandbox(vendor: str, items: int, seed: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cannasync.cli",
            "sandbox",
            vendor,
            "--port",
            str(port),
            "--items",
            str(items),
            "--seed",
            str(seed),
            # The vendor's rate limit off: what is measured is the work, and both the floor and the syncs would
            # otherwise wait out Alleaves's 600 requests a minute from 60,000 items up.
            *SANDBOX_UNLIMITED.get(vendor, ()),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx2.get(f"{url}/_sandbox/health", timeout=1).status_code == 200:
                return process, url
        except httpx2.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the Flourish sandbox did not start")


def flowhub_floor(api: str) -> dict[str, Any]:
    """Flowhub answers a location's inventory in one response: fetching and parsing it is the floor."""
    started = time.perf_counter()
    with httpx2.Client(base_url=api, headers=FLOWHUB_HEADERS, timeout=60) as client:
        location = client.get("v0/clientsLocations").json()["data"][0]["locationId"]
        items = client.get(f"v0/locations/{location}/inventory").json()["data"]
    seconds = round(time.perf_counter() - started, 3)
    return {"seconds": seconds, "pages_seconds": seconds, "records": len(items), "requests": 2, "location": location}


def alleaves_floor(api: str) -> dict[str, Any]:
    """A token, the location, the areas, then every page of items in the sellable areas."""
    started = time.perf_counter()
    records = requests = 0
    with httpx2.Client(base_url=api, timeout=30) as client:
        token = client.post("api/v1/auth/token", json=ALLEAVES_CREDENTIALS).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"
        client.get("api/v1/location").json()
        areas = [a["area_id"] for a in client.get("api/v1/inventory-areas").json()["data"] if a["sellable"]]
        requests += 3
        page = 1
        while True:
            answer = client.get(
                "api/v1/items", params=[*(("area_id", a) for a in areas), ("page", page), ("per_page", 100)]
            ).json()
            requests += 1
            records += len(answer["data"])
            if page >= answer["pagination"]["total_pages"]:
                break
            page += 1
    seconds = round(time.perf_counter() - started, 3)
    return {"seconds": seconds, "pages_seconds": seconds, "records": records, "requests": requests, "location": areas}


def flourish_floor(api: str) -> dict[str, Any]:
    """The same requests the connector makes, parsed, and nothing else."""
    started = time.perf_counter()
    records = requests = 0
    art_seconds = 0.0
    with httpx2.Client(base_url=api, headers=KEY, timeout=30) as client:
        offset = 0
        while True:
            page = client.get(
                "v1/items/",
                params={
                    "active": "true",
                    "ecommerce_active": "true",
                    "sellable": "true",
                    "offset": offset,
                    "limit": 50,
                },
            ).json()
            requests += 1
            ids = [item["id"] for item in page["data"]]
            client.get(
                "v1/inventory/summary/", params=[("item_id", i) for i in ids], headers={"FacilityID": FACILITY}
            ).json()
            requests += 1
            art_started = time.perf_counter()
            for item_id in ids:
                answer = client.get(f"v1/items/{item_id}/art/", params={"expire": "8h"})
                if answer.content:
                    answer.json()
                requests += 1
            art_seconds += time.perf_counter() - art_started
            records += len(ids)
            offset += len(ids)
            if not page["meta"]["next"]:
                break
    seconds = time.perf_counter() - started
    return {
        "seconds": round(seconds, 3),
        "pages_seconds": round(seconds - art_seconds, 3),
        "records": records,
        "requests": requests,
    }


def hub(directory: Path, vendor: str, api: str, location: Any, schema: str | None = None) -> tuple[Runtime, int]:
    """A fresh hub (SQLite, or PostgreSQL in ``schema``) with one store and its integration, saved as the console
    saves one (credentials checked)."""
    url = POSTGRES_URL if schema else f"sqlite:///{directory}/bench.db"
    runtime = Runtime(Settings(data_dir=directory, database_url=url), search_path=schema)
    with runtime.db.uow() as uow:
        org_id = uow.accounts.organization_named("Bench").id
        store_id = uow.accounts.add_store(org_id, "Bench Store").id
    if vendor == "flourish":
        credentials: dict[str, Any] = {"username": "demo", "api_key": "demo-key"}
        chosen: dict[str, Any] = {"facility_id": location}
    elif vendor == "flowhub":
        credentials, chosen = FLOWHUB_CREDENTIALS, {"location_id": location}
    else:
        credentials, chosen = ALLEAVES_CREDENTIALS, {"area_ids": location}
    integration_id, _ = integrations.save(
        runtime.db,
        vendor,
        organization_id=org_id,
        store_id=store_id,
        credentials=credentials,
        settings={"base_url": api, "requests_per_second": UNLIMITED, **chosen},
    )
    return runtime, integration_id


def timed_sync(runtime: Runtime, integration_id: int) -> dict[str, Any]:
    """One menu sync, started as ``cannasync sync`` and the products screen's Sync button start one.

    The dispatcher leases the schedule and queues the run, and a worker thread runs the job every worker runs
    (``jobs.tasks.run_flow``: the run is marked running, the flow reads and writes, the outcome is recorded). Calling
    the flow on a merely queued run is not how anything starts one: its first progress write finds no running run
    and raises ``RunSuperseded``, which is how this bench once stopped working unnoticed.
    """
    started, cpu_started = time.perf_counter(), time.process_time()
    with ThreadPoolExecutor(max_workers=1) as executor:
        run_id = Dispatcher(runtime.db, executor).run_now(integration_id, menu_sync.FLOW, trigger="bench")
    seconds = time.perf_counter() - started  # leaving the pool waited for the run to end
    cpu_seconds = time.process_time() - cpu_started
    with runtime.db.uow() as uow:
        run = uow.runs.get(run_id)
        assert run is not None
        status, counts, error = run.status, dict(run.counts), run.error
    if status != "succeeded":  # a failed sync has no figures worth printing
        raise RuntimeError(f"the bench's menu sync (run {run_id}) ended {status}: {error}")
    return {"seconds": seconds, "cpu_seconds": cpu_seconds, "counts": counts}


class Schemas:
    """Fresh PostgreSQL schemas for the bench's hubs, each dropped at the end (none for SQLite)."""

    def __init__(self, database: str) -> None:
        self.engine = make_engine(POSTGRES_URL) if database == "postgres" else None
        self.made: list[str] = []

    def new(self) -> str | None:
        if self.engine is None:
            return None
        schema = f"cs_bench_menu_{os.getpid()}_{len(self.made)}"
        with self.engine.begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            connection.execute(text(f"CREATE SCHEMA {schema}"))
        self.made.append(schema)
        return schema

    def drop(self) -> None:
        if self.engine is None:
            return
        with self.engine.begin() as connection:
            for schema in self.made:
                connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        self.engine.dispose()


def _full_sync_memory(vendor: str, api: str, location: Any, schema: str | None, directory: Path) -> dict[str, Any]:
    """In a fresh process: a hub's full sync, with its Python heap's peak and the process's peak RSS over it."""
    configure_logging("WARNING")
    runtime, integration_id = hub(directory, vendor, api, location, schema)
    reset_peak_rss()
    tracemalloc.start()
    timed_sync(runtime, integration_id)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = peak_rss_mb()
    runtime.close()
    return {"heap_mb": round(peak / 2**20, 1), "rss_mb": rss}


def memory_of_a_full_sync(vendor: str, api: str, location: Any, schema: str | None, directory: Path) -> dict[str, Any]:
    """The memory a full sync takes, measured in a process of its own: in this one, the floor's parse of a whole
    answer (Flowhub's inventory is one document) leaves the allocator holding pages that a peak taken here would
    count as the sync's."""
    spawned = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=spawned) as pool:
        return pool.submit(_full_sync_memory, vendor, api, location, schema, directory).result()


def ratio(part: float, whole: float) -> float | None:
    """``part / whole`` rounded; None (JSON null) when the baseline was too quick to time, rather than a crash."""
    return round(part / whole, 2) if whole > 0 else None


def reset_peak_rss() -> None:
    """Start this process's peak resident memory (VmHWM) afresh (Linux: ``5`` to ``/proc/self/clear_refs``)."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def peak_rss_mb() -> float | None:
    """This process's peak resident memory since the last reset, in MB; None where /proc is not there."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return None
    line = next((line for line in status.splitlines() if line.startswith("VmHWM:")), None)
    return round(int(line.split()[1]) / 1024, 1) if line else None


def per_record(seconds: float, records: int) -> float | None:
    """Microseconds per record; None when nothing was listed."""
    return round(seconds / records * 1e6, 1) if records else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vendor", choices=["flourish", "flowhub", "alleaves"], default="flourish")
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--json", action="store_true", help="print only the JSON result")
    args = parser.parse_args()
    configure_logging("WARNING")
    process, url = start_sandbox(args.vendor, args.items, args.seed)
    schemas = Schemas(args.database)
    try:
        if args.vendor == "flourish":
            api = f"{url}/external/api/"
            raw, location = flourish_floor(api), FACILITY
        elif args.vendor == "flowhub":
            api = url
            raw = flowhub_floor(api)
            location = raw["location"]
        else:
            api = url
            raw = alleaves_floor(api)
            location = raw["location"]
        with tempfile.TemporaryDirectory() as first, tempfile.TemporaryDirectory() as second:
            runtime, integration_id = hub(Path(first), args.vendor, api, location, schemas.new())
            full = timed_sync(runtime, integration_id)
            unchanged = timed_sync(runtime, integration_id)
            runtime.close()
            memory = memory_of_a_full_sync(args.vendor, api, location, schemas.new(), Path(second))
    finally:
        process.terminate()
        process.wait(10)
        schemas.drop()
    result = {
        "bench": "menu_sync",
        "vendor": args.vendor,
        "database": args.database,
        "items_in_catalogue": args.items,
        "listed_records": raw["records"],
        "requests_per_sync": raw["requests"],
        "floor_seconds": raw["seconds"],
        "floor_pages_only_seconds": raw["pages_seconds"],
        "full_sync_seconds": round(full["seconds"], 3),
        "unchanged_sync_seconds": round(unchanged["seconds"], 3),
        "full_sync_counts": full["counts"],
        "unchanged_sync_counts": unchanged["counts"],
        "ratio_full_to_floor": ratio(full["seconds"], raw["seconds"]),
        "ratio_unchanged_to_floor": ratio(unchanged["seconds"], raw["seconds"]),
        # An unchanged sync re-reads items and stock but not the (still fresh) art links: its fair floor.
        "ratio_unchanged_to_pages_floor": ratio(unchanged["seconds"], raw["pages_seconds"]),
        "full_sync_cpu_us_per_record": per_record(full["cpu_seconds"], raw["records"]),
        "unchanged_sync_cpu_us_per_record": per_record(unchanged["cpu_seconds"], raw["records"]),
        "peak_python_heap_mb_during_full_sync": memory["heap_mb"],
        # The peak resident memory of a process that only synced (interpreter and imports included), when Linux lets
        # the peak be reset; else (null) only the whole bench's peak below.
        "peak_rss_mb_during_full_sync": memory["rss_mb"],
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "cpus": os.cpu_count(),
    }
    if not args.json:
        print(
            f"floor {raw['seconds']}s · full sync {result['full_sync_seconds']}s (×{result['ratio_full_to_floor']}) · "
            f"unchanged {result['unchanged_sync_seconds']}s (×{result['ratio_unchanged_to_floor']})",
            file=sys.stderr,
        )
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
