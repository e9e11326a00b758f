"""Fault bench: a burst of confirmed orders into Flourish, Flowhub and Alleaves under steady faults, with the hub
killed (SIGKILL) and restarted mid-burst; the outcome is counted from the vendors' side.

In one run, on SQLite (a file) or PostgreSQL (a fresh schema, dropped afterwards):

- the three POS sandboxes are served on loopback, each with every fault kind of ``sandboxes/_faults.steady_mix``
  at a steady, seeded rate on its reads and on its order create (timeout after commit, 5xx, 429 with and without
  Retry-After, resets before and after commit, answers cut mid-body, slow answers);
- a real hub (``cannasync serve``) connects one store to each POS, syncs the menus under the faults, then takes
  ``--orders`` orders from ``--shoppers`` threads (each placed with an Idempotency-Key and confirmed, both retried
  while the hub is down, as a shop front would). When ``--kill-at`` of them have been confirmed the hub gets
  SIGKILL, and is started again at once;
- once every confirmed order has its POS id (or ``--timeout`` passes), the faults are cleared and each vendor's
  orders are read: ``once`` (orders carrying one of our references exactly once), ``lost`` (confirmed, not in the
  POS), ``duplicated`` (a reference more than once), ``unknown`` (a POS order with no order of ours),
  ``wrong_total`` and ``wrong_pos_id`` must all be 0 but ``once``. Then a fault-free menu sync shows whether the
  synced menus missed anything (``menu_changes_after`` must be 0) and how many records are quarantined.

    python bench/faults.py --orders 1000 --backend postgres --json
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx2
from sqlalchemy import select, text

from cannasync.cli.servers import BackgroundServer, free_port
from cannasync.jobs.runtime import Runtime, configure_logging
from cannasync.sandboxes import alleaves, flourish, flowhub
from cannasync.sandboxes._kit.faults import steady_mix
from cannasync.settings import Settings
from cannasync.store.db import make_engine
from cannasync.store.secrets import SecretBox
from cannasync.store.tables import Order

POSTGRES_URL = os.environ.get("CANNASYNC_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
CANNASYNC = str(Path(sys.executable).with_name("cannasync"))
HUB_TIMEOUT = 0.5  # the hub's vendor timeout; a timeout-after-commit holds the answer back twice as long


@dataclass(frozen=True)
class Vendor:
    """One POS as the bench drives it: its sandbox, how a store connects, who shops, and its orders as it holds them."""

    name: str
    app: Any
    api_root: str  # read faults go under it
    create_path: str  # write faults go here
    connect: Callable[[httpx2.Client, int, str], None]
    shopper: dict[str, Any]
    # (POS id, our reference, total in cents or None); the reference is None where the vendor keeps none of ours
    # (Flowhub's Order Ahead): its orders are then counted by the POS id our orders hold.
    orders: Callable[[Any], list[tuple[str, str | None, int | None]]]


def _cents(value: Any) -> int:
    return round(Decimal(str(value)) * 100)


def _put(api: httpx2.Client, url: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = api.put(url, json=body)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def _connect_flourish(api: httpx2.Client, store: int, url: str) -> None:
    settings = {"base_url": f"{url}/external/api", "facility_id": "101", "requests_per_second": 1000}
    credentials = {"username": "demo", "api_key": "demo-key"}
    _put(api, f"/api/v1/stores/{store}/integrations/flourish", {"credentials": credentials, "settings": settings})


def _connect_flowhub(api: httpx2.Client, store: int, url: str) -> None:
    path = f"/api/v1/stores/{store}/integrations/flowhub"
    credentials = {
        "client_id": "3f7c1a52-0d7e-4b8a-9a51-6f2d1c0e9b11",
        "api_key": "9b1d6c2e-7a44-4f0e-8c3b-5e2a7d9f1c20",
        "order_ahead_client_id": "c0ffee00-1234-4abc-9def-00000000a11e",
        "order_ahead_token": "oa-demo-token",
    }
    where = {"base_url": url, "token_url": f"{url}/oauth/token"}  # the sandbox is the Auth0 tenant too
    found = _put(api, path, {"credentials": credentials, "settings": where})
    _put(api, path, {"settings": {"location_id": found["locations"][0]["id"], "requests_per_second": 1000}})


def _connect_alleaves(api: httpx2.Client, store: int, url: str) -> None:
    path = f"/api/v1/stores/{store}/integrations/alleaves"
    credentials = {"location_id": "ALV-1001", "username": "demo", "password": "demo-pass"}
    found = _put(api, path, {"credentials": credentials, "settings": {"base_url": url}})
    areas = [loc["id"] for loc in found["locations"] if loc["name"] == "Retail"]
    _put(api, path, {"settings": {"area_ids": areas, "requests_per_second": 1000}})


VENDORS = {
    "flourish": Vendor(
        "flourish",
        lambda: flourish.create_app(items=120, seed=3),
        "/external/",
        "/external/api/v2/retail-orders",
        _connect_flourish,
        {
            "customer": {
                "first_name": "Jordan",
                "last_name": "Rivera",
                "medical_id": "MED-100200",
                "date_of_birth": "1985-04-12",
            },
            "is_medical": True,
        },
        lambda state: [(o["id"], o["original_order_id"], _cents(o["total"])) for o in state.orders()],
    ),
    "flowhub": Vendor(
        "flowhub",
        lambda: flowhub.create_app(items=120, seed=3, rate_limit_rps=None),
        "/",  # every read: inventory, locations, order statuses and the sales-list lookups
        "/order-ahead/v0/create",
        _connect_flowhub,
        {
            "customer": {
                "first_name": "Alex",
                "last_name": "Kim",
                "phone": "(555) 300-4000",
                "date_of_birth": "1990-03-03",
            }
        },
        lambda state: [(o["orderId"], None, None) for o in state.orders()],  # Flowhub prices it, keeps no reference
    ),
    "alleaves": Vendor(
        "alleaves",
        lambda: alleaves.create_app(items=150, seed=3, rate_limit_per_minute=None),
        "/api/",
        "/api/v1/orders",
        _connect_alleaves,
        {
            "customer": {
                "first_name": "Rae",
                "last_name": "Moss",
                "medical_id": "AL-778899",
                "phone": "5556667777",
                "date_of_birth": "1975-08-20",
            }
        },
        lambda state: [(o["order_id"], o["external_id"], _cents(o["total"])) for o in state.orders()],
    ),
}


# --------------------------------------------------------------------------------------------------
# The hub as a process


@dataclass
class HubProcess:
    env: dict[str, str]
    port: int
    log: Path
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 180) -> None:
        # A hub starting on a loaded machine (a second suite, a CPU hog) was seen to take 40-60 s to import,
        # migrate and answer; a dead process is noticed at once below, so a long wait costs nothing otherwise.
        self.starts += 1
        with self.log.open("ab") as out:
            command = [CANNASYNC, "serve", "--port", str(self.port)]
            self.process = subprocess.Popen(command, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the hub exited with {self.process.returncode}: {self.log.read_text()[-2000:]}")
            try:
                if httpx2.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx2.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError("the hub did not answer in time")

    def kill(self) -> None:
        """SIGKILL: no clean stop, as a crash or the OOM killer would."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@contextmanager
def database(backend: str, base: Path) -> Iterator[tuple[Runtime, str]]:
    """A migrated database of our own: its Runtime (for setup and counting) and the URL the hub is given."""
    key = SecretBox.new_key()
    if backend == "sqlite":
        url = f"sqlite:///{base}/hub.db"
        runtime = Runtime(Settings(data_dir=base / "data", database_url=url, secret_keys=key))
        try:
            yield runtime, url
        finally:
            runtime.close()
        return
    schema = f"cs_bench_faults_{uuid.uuid4().hex[:8]}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    settings = Settings(data_dir=base / "data", database_url=POSTGRES_URL, secret_keys=key)
    runtime = Runtime(settings, search_path=schema)
    try:
        yield runtime, f"{POSTGRES_URL}?options={quote(f'-csearch_path={schema}')}"
    finally:
        runtime.close()
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()


# --------------------------------------------------------------------------------------------------
# The shop front: place and confirm, retried while the hub is down


@dataclass
class Burst:
    api: Callable[[], httpx2.Client]
    deadline: float
    lock: threading.Lock = field(default_factory=threading.Lock)
    confirmed: int = 0
    refused: Counter[str] = field(default_factory=Counter)
    retries: int = 0
    last_failure: str = ""
    kill_after: int = 0
    #: Set by the shopper whose confirm reaches ``kill_after``: the kill comes at once, mid-burst.
    kill_point: threading.Event = field(default_factory=threading.Event)

    def call(self, method: str, path: str, **kwargs: Any) -> httpx2.Response:
        """One call, repeated while the hub is unreachable or restarting (what a shop front does)."""
        while True:
            try:
                with self.api() as client:
                    answer = client.request(method, path, **kwargs)
                if answer.status_code < 500:
                    return answer
                self.last_failure = f"{answer.status_code} {answer.text[:200]}"
            except httpx2.TransportError as error:
                self.last_failure = repr(error)
            with self.lock:
                self.retries += 1
            if time.monotonic() > self.deadline:
                raise TimeoutError(f"{method} {path}: the hub never answered ({self.last_failure})")
            time.sleep(0.1)

    def order(self, number: int, store: int, shopper: dict[str, Any], products: list[int]) -> None:
        """Place one order (trying the next product when one runs out) and confirm it."""
        for attempt, product in enumerate(products[number % len(products) :] + products[: number % len(products)]):
            key = f"bench-faults-{number}-{attempt}"
            body = {**shopper, "lines": [{"product_id": product, "quantity": 1}]}
            placed = self.call("POST", f"/api/v1/stores/{store}/orders", json=body, headers={"Idempotency-Key": key})
            if placed.status_code in (200, 201):
                confirmed = self.call("POST", f"/api/v1/orders/{placed.json()['id']}/confirm")
                with self.lock:
                    if confirmed.status_code == 200:
                        self.confirmed += 1
                        if self.confirmed == self.kill_after:
                            self.kill_point.set()
                    else:
                        self.refused[f"confirm {confirmed.status_code}"] += 1
                return
            with self.lock:
                self.refused[f"place {placed.status_code}"] += 1
        raise RuntimeError("every product ran out of stock: give the sandboxes more items")


def stocked(api: httpx2.Client, store: int) -> list[int]:
    found = api.get(f"/api/v1/stores/{store}/products", params={"limit": 200}).json()["data"]
    return [p["id"] for p in found if p["available_quantity"] >= 1 and p["rec_price_cents"]]


def wait(check: Callable[[], Any], what: str, timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.1)
    raise TimeoutError(f"timed out waiting for {what}")


def sync(api: httpx2.Client, integration: int, timeout: float) -> dict[str, Any]:
    """Run a menu sync now (after a scheduled one, if one is running) and return how it ended."""
    while True:
        answer = api.post(f"/api/v1/integrations/{integration}/sync", json={"flow": "menu_sync"}).json()
        path = f"/api/v1/runs/{answer['run_id']}"
        run = wait(
            lambda path=path: (r := api.get(path).json())["status"] in ("succeeded", "failed") and r,  # type: ignore[misc]
            "a menu sync",
            timeout,
        )
        if not answer["already_running"]:
            return dict(run)


# --------------------------------------------------------------------------------------------------
# The run


def run(args: argparse.Namespace) -> dict[str, Any]:
    chosen = [VENDORS[name] for name in args.vendors.split(",")]
    with ExitStack() as stack:
        base = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="cs-bench-faults-")))
        runtime, database_url = stack.enter_context(database(args.backend, base))
        with runtime.db.uow() as uow:
            org = uow.accounts.organization_named("Fault Bench Co.")
            token = uow.accounts.issue_token(org.id, "bench")
        sandboxes: dict[str, Any] = {}
        for vendor in chosen:
            app = vendor.app()
            server = BackgroundServer(app).start()
            stack.callback(server.stop)
            sandboxes[vendor.name] = (server, app.state.sandbox)
        env = {k: v for k, v in os.environ.items() if not k.startswith("CANNASYNC_")}
        env.update(
            CANNASYNC_DATABASE_URL=database_url,
            CANNASYNC_SECRET_KEYS=runtime.settings.secret_keys,
            CANNASYNC_DATA_DIR=str(base / "hub"),
            CANNASYNC_TICK_SECONDS="0.2",
            CANNASYNC_PUSH_LEASE_SECONDS="3",  # a send the kill cut short is swept and looked up 3 s on
            CANNASYNC_RUN_LEASE_SECONDS="5",
            # Faulted pushes tried again after 0.25 s … 4 s rather than 2 s … 15 min: the same backoff rule, on a clock
            # that lets the burst settle in seconds (a push that failed 5 times in a row would otherwise wait a minute).
            CANNASYNC_RETRY_FIRST_SECONDS="0.25",
            CANNASYNC_RETRY_MAX_SECONDS="4",
            CANNASYNC_WORKERS=str(args.hub_workers),
            CANNASYNC_LOG_LEVEL="WARNING",
        )
        hub = HubProcess(env, free_port(), base / "hub.log")
        hub.start()
        stack.callback(hub.stop)
        stack.push(lambda kind, error, trace: bool(error and sys.stderr.write(hub.log.read_text()[-4000:])) and False)

        def client() -> httpx2.Client:
            return httpx2.Client(base_url=hub.url, headers={"Authorization": f"Bearer {token}"}, timeout=30)

        api = stack.enter_context(client())
        stores: dict[str, tuple[int, int]] = {}
        for vendor in chosen:
            store = api.post("/api/v1/stores", json={"name": f"Fault Bench {vendor.name}"}).json()["id"]
            vendor.connect(api, store, sandboxes[vendor.name][0].url)
            config = api.put(
                f"/api/v1/stores/{store}/integrations/{vendor.name}",
                json={"settings": {"sync_orders": True, "timeout_seconds": HUB_TIMEOUT}},
            ).json()
            stores[vendor.name] = (store, config["id"])

        # Every fault kind, steadily, from here on: the menu syncs and the whole burst run under them.
        for n, vendor in enumerate(chosen):
            control = sandboxes[vendor.name][0].url
            for fault in steady_mix(
                vendor.create_path, vendor.api_root, seed=args.seed + 1000 * n, slow=2 * HUB_TIMEOUT
            ):
                httpx2.post(f"{control}/_sandbox/faults", json=fault).raise_for_status()
        started = time.monotonic()
        menu_runs = {v.name: sync(api, stores[v.name][1], args.timeout)["status"] for v in chosen}
        menu_seconds = time.monotonic() - started

        products = {v.name: stocked(api, stores[v.name][0]) for v in chosen}
        burst = Burst(
            client, deadline=time.monotonic() + args.timeout, kill_after=max(1, int(args.orders * args.kill_at))
        )
        killed: dict[str, Any] = {}

        def pushed() -> int:
            with runtime.db.uow() as uow:
                rows = uow.session.scalars(select(Order.pos_order_id).where(Order.pos_order_id.is_not(None)))
                return len(list(rows))

        def killer() -> None:
            if not burst.kill_point.wait(args.timeout):
                raise TimeoutError("the burst never reached the kill point")
            killed["confirmed_before_kill"] = burst.confirmed
            killed["pushed_before_kill"] = pushed()
            hub.kill()
            down = time.monotonic()
            try:
                hub.start()
            except Exception as error:
                sys.stderr.write(f"restart failed: {error!r}\n")
                raise
            killed["down_seconds"] = round(time.monotonic() - down, 2)

        started = time.monotonic()
        with ThreadPoolExecutor(args.shoppers + 1) as pool:
            kill = pool.submit(killer) if args.kill_at < 1 else None
            work = [
                pool.submit(burst.order, n, stores[v.name][0], v.shopper, products[v.name])
                for n in range(args.orders)
                for v in [chosen[n % len(chosen)]]
            ]
            for done in work:
                done.result()
            if kill is not None:
                kill.result()
        burst_seconds = time.monotonic() - started

        def confirmed_orders() -> list[Order]:
            with runtime.db.uow() as uow:
                rows = uow.session.scalars(select(Order).where(Order.status != "pending"))
                return [row for row in rows]

        with suppress(TimeoutError):  # what never arrived is counted below as lost
            wait(lambda: all(o.pos_order_id for o in confirmed_orders()), "every confirmed order pushed", args.timeout)
        converged_seconds = time.monotonic() - started

        fired: dict[str, dict[str, int]] = {}
        for vendor in chosen:
            faults = f"{sandboxes[vendor.name][0].url}/_sandbox/faults"
            fired[vendor.name] = {}
            for fault in httpx2.get(faults).json()["data"]:  # each was added with a count of a million
                key = "writes" if fault["method"] == "POST" else "reads"
                fired[vendor.name][key] = fired[vendor.name].get(key, 0) + 1_000_000 - fault["remaining"]
            httpx2.delete(faults).raise_for_status()
        ours = confirmed_orders()
        per_vendor = {}
        for vendor in chosen:
            store, integration = stores[vendor.name]
            held = vendor.orders(sandboxes[vendor.name][1])
            if all(reference is None for _pos_id, reference, _total in held):  # counted by the POS id we hold
                mine = {o.pos_order_id or f"(none: {o.number})": o for o in ours if o.store_id == store}
                theirs = [(pos_id, pos_id, total) for pos_id, _reference, total in held]
            else:
                mine = {o.push_reference or o.number: o for o in ours if o.store_id == store}  # as sent to the POS
                theirs = [(pos_id, reference or "", total) for pos_id, reference, total in held]
            seen = Counter(reference for _pos_id, reference, _total in theirs)
            after = sync(api, integration, args.timeout)
            quarantined = api.get(f"/api/v1/integrations/{integration}/quarantine").json()
            per_vendor[vendor.name] = {
                "confirmed": len(mine),
                "once": sum(1 for number in mine if seen[number] == 1),
                "lost": sum(1 for number in mine if seen[number] == 0),
                "duplicated": sum(1 for number in mine if seen[number] > 1),
                "unknown": sum(1 for reference in seen if reference not in mine),
                "wrong_total": sum(
                    1
                    for _p, ref, total in theirs
                    if ref in mine and total is not None and total != mine[ref].total_cents
                ),
                "wrong_pos_id": sum(
                    1 for pos_id, ref, _t in theirs if ref in mine and mine[ref].pos_order_id != pos_id
                ),
                "push_errors": sum(1 for o in mine.values() if o.push_error),
                "faults_fired_on_reads": fired[vendor.name].get("reads", 0),
                "faults_fired_on_writes": fired[vendor.name].get("writes", 0),
                "menu_sync_under_faults": menu_runs[vendor.name],
                "menu_changes_after": sum(after["counts"].get(k, 0) for k in ("created", "updated", "hidden")),
                "menu_products": after["counts"].get("created", 0)
                + after["counts"].get("unchanged", 0)
                + after["counts"].get("updated", 0),
                "quarantined": len(quarantined),
                "quarantined_without_reason": sum(1 for q in quarantined if not q["reason"]),
            }
        totals = Counter[str]()
        for counts in per_vendor.values():
            totals.update({k: v for k, v in counts.items() if isinstance(v, int)})
        return {
            "bench": "faults",
            "backend": args.backend,
            "orders": args.orders,
            "shoppers": args.shoppers,
            "hub_starts": hub.starts,
            **killed,
            "menu_sync_seconds": round(menu_seconds, 2),
            "burst_seconds": round(burst_seconds, 2),
            "converged_seconds": round(converged_seconds, 2),
            # The baseline is the burst itself: how much longer than placing the orders it took for every one of
            # them to be in its POS, faults and the kill included.
            "ratio_converged_to_burst": converged_seconds / burst_seconds if burst_seconds > 0 else None,
            "shop_front_retries": burst.retries,
            "refused": dict(burst.refused),
            "totals": dict(totals),
            "vendors": per_vendor,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=1000, help="orders in the burst, spread over the vendors")
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="postgres")
    parser.add_argument("--vendors", default="flourish,flowhub,alleaves")
    parser.add_argument("--shoppers", type=int, default=4, help="threads placing and confirming orders")
    parser.add_argument("--hub-workers", type=int, default=4, help="the hub's worker threads")
    parser.add_argument(
        "--kill-at", type=float, default=0.5, help="share of orders confirmed before the kill (1: none)"
    )
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--timeout", type=float, default=600, help="seconds the burst and the convergence may take")
    parser.add_argument("--json", action="store_true", help="print JSON only")
    args = parser.parse_args()
    configure_logging("WARNING")
    result = run(args)
    print(json.dumps(result, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
