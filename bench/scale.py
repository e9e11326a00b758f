"""Scale benchmark: a menu-sync cycle of many stores on real distributed workers, and status-poll lag.

Everything measured is the production code in its production processes: ``cannasync worker`` (Dramatiq) and
``cannasync scheduler`` (the dispatch tick) subprocesses, over a Redis broker (a namespace of this run's own,
its keys deleted afterwards), on PostgreSQL (a fresh schema, dropped afterwards), against ONE Flowhub sandbox
process serving ``--stores`` generated locations of ``--items`` products each
(``cannasync sandbox flowhub --locations N --rps 0 --quiet``). One store and one Flowhub integration per location,
saved through the real ``flows.integrations.save`` (credentials and location checked).

For each worker count (``--workers 1,2``): that many ``cannasync worker --threads T`` processes and one
``cannasync scheduler`` are started (and waited for), then:

- ``cold_cycle``: every store's menu sync is made due at once (its schedule's ``next_run_at`` set to now) on an
  empty catalogue (every product created); the cycle lasts from that trigger to the last run's ``finished_at``
  (``sync_runs``). ``warm_cycle``: the same again with nothing changed, which is what the 10-minute schedule does
  nearly every time. Reported: wall seconds, store-syncs/s, how long the scheduler took to hand every run out,
  and CPU seconds from ``/proc/<pid>/stat`` (all threads) of the worker processes (per store-sync), the
  scheduler, the PostgreSQL backends serving them (found by ``application_name``) and the sandbox.
- ``status_poll_lag``: every store's real schedules (order status every 120 s, menu sync every 600 s), their slots
  spread over one interval as in a system that has been running a while; the schedules whose slot falls in the
  first ``--lag-window`` seconds are given it, the real scheduler claims them as they come due and the real
  workers run them. Lag = a run's ``started_at`` minus its slot, p50/p95/max, also as a share of the interval.
- ``floor`` (with the cluster stopped): the same documents (each location's inventory) fetched with plain HTTP at
  the same concurrency (as many processes as workers, ``--threads`` threads each): what no implementation can
  avoid. ``floor_share_*`` is the floor over the cycle's wall time, ``hub_share_*`` the rest: what cannasync adds.

Prints JSON (``--json``: nothing else on stdout).

    python bench/scale.py --json                                # 50 stores × 200 items, ~2–3 minutes
    python bench/scale.py --stores 200 --items 500 --json
    python bench/scale.py --stores 1000 --items 500 --json      # the full size (issue 8)
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from multiprocessing import get_context
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx2
import redis
from sqlalchemy import Engine, text

from cannasync.cli.servers import free_port
from cannasync.flows import integrations, menu_sync, order_status
from cannasync.jobs.runtime import Runtime, configure_logging
from cannasync.settings import Settings
from cannasync.store.db import make_engine
from cannasync.store.secrets import SecretBox
from cannasync.store.types import utcnow
from cannasync.store.uow import Database

POSTGRES_URL = os.environ.get("CANNASYNC_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
# A Redis database no test uses: the shared rate limits key on the (well-known) sandbox credentials, and an
# unlimited bench must not fill the budget of a test that limits the same credentials.
REDIS_URL = os.environ.get("CANNASYNC_BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
FLOWHUB_CREDENTIALS = {  # the Flowhub sandbox's well-known credentials (they own every generated location)
    "client_id": "3f7c1a52-0d7e-4b8a-9a51-6f2d1c0e9b11",
    "api_key": "9b1d6c2e-7a44-4f0e-8c3b-5e2a7d9f1c20",
    "order_ahead_client_id": "c0ffee00-1234-4abc-9def-00000000a11e",
    "order_ahead_token": "oa-demo-token",
}
FLOWHUB_HEADERS = {"clientId": FLOWHUB_CREDENTIALS["client_id"], "key": FLOWHUB_CREDENTIALS["api_key"]}
UNLIMITED = 100_000.0  # requests per second: the bench measures our cost, not a politeness limit
START_TIMEOUT = 60.0  # seconds for a subprocess to be ready
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
MENU, STATUS = menu_sync.FLOW, order_status.FLOW


@dataclass(frozen=True)
class Bench:
    """Where everything lives for one run."""

    schema: str
    database_url: str  # with the schema and application_name in it, as the subprocesses get it
    application_name: str
    broker_url: str
    namespace: str
    secret_key: str
    api: str
    sandbox_pid: int
    threads: int
    tick: float
    log_level: str
    logs: Path

    def env(self) -> dict[str, str]:
        values = {
            "DATABASE_URL": self.database_url,
            "BROKER_URL": self.broker_url,
            "BROKER_NAMESPACE": self.namespace,
            "SECRET_KEYS": self.secret_key,
            "DATA_DIR": str(self.logs / "data"),
            "TICK_SECONDS": str(self.tick),
            "WORKERS": str(self.threads),
            "LOG_LEVEL": self.log_level,
        }
        env = {name: value for name, value in os.environ.items() if not name.startswith("CANNASYNC_")}
        env.update({f"CANNASYNC_{name}": value for name, value in values.items()})
        return env


# --------------------------------------------------------------------------------------------------
# Processes and their CPU


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process (every thread of it) so far, from /proc; 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def stop(process: subprocess.Popen[bytes], grace: float = 20.0) -> None:
    """SIGTERM (a worker finishes its jobs under way), then SIGKILL if it does not end within ``grace``."""
    stop_all([process], grace)


def stop_all(processes: Sequence[subprocess.Popen[bytes]], grace: float = 20.0) -> None:
    """SIGTERM to every process at once, then SIGKILL to those still running after ``grace``.

    At once, so that the processes wind down side by side: one after the other, a small run spends more time
    stopping its cluster than measuring it."""
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    for process in processes:
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def start_sandbox(stores: int, items: int, seed: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    command = [sys.executable, "-m", "cannasync.cli", "sandbox", "flowhub", "--port", str(port), "--items", str(items)]
    command += ["--seed", str(seed), "--locations", str(stores), "--rps", "0", "--quiet"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx2.get(f"{url}/_sandbox/health", timeout=1).status_code == 200:
                return process, url
        except httpx2.TransportError:
            time.sleep(0.1)
    stop(process, 5)
    raise RuntimeError("the Flowhub sandbox did not start")


@dataclass
class Cluster:
    """``workers`` × ``cannasync worker`` and one ``cannasync scheduler``, each logging to its own file."""

    bench: Bench
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    schedulers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    log_files: dict[int, Path] = field(default_factory=dict)

    def spawn(self, *command: str) -> subprocess.Popen[bytes]:
        path = self.bench.logs / f"{command[0]}-{time.monotonic_ns()}.log"
        with path.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "cannasync.cli", *command],
                env=self.bench.env(),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        self.log_files[process.pid] = path
        return process

    def wait_ready(self, process: subprocess.Popen[bytes], marker: str) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if marker in self.log_files[process.pid].read_text(errors="replace"):
                return
            if process.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError(f"{process.args!r} did not start:\n{self.tail(process.pid)}")

    def tail(self, pid: int) -> str:
        return self.log_files[pid].read_text(errors="replace")[-3000:]

    def check_alive(self) -> None:
        for process in [*self.workers, *self.schedulers]:
            if process.poll() is not None:
                raise RuntimeError(f"{process.args!r} exited ({process.returncode}):\n{self.tail(process.pid)}")

    def cpu(self) -> dict[str, float]:
        return {
            "workers": sum(cpu_seconds(process.pid) for process in self.workers),
            "scheduler": sum(cpu_seconds(process.pid) for process in self.schedulers),
        }


@contextmanager
def cluster(bench: Bench, workers: int) -> Iterator[Cluster]:
    """Started, each process ready, before the caller measures anything; stopped (killed if need be) on exit."""
    found = Cluster(bench)
    try:
        # All started before any is waited for: they start side by side. The scheduler may tick before a worker
        # is ready, harmlessly: every schedule is parked until a measurement makes it due.
        found.workers = [found.spawn("worker", "--threads", str(bench.threads)) for _ in range(workers)]
        found.schedulers = [found.spawn("scheduler")]
        for process in found.workers:
            found.wait_ready(process, "worker_started")
        found.wait_ready(found.schedulers[0], "scheduler ticking")
        yield found
    finally:
        stop_all([*found.schedulers, *found.workers])


def postgres_backends(engine: Engine, application_name: str) -> dict[int, float]:
    """CPU so far of each PostgreSQL backend serving the subprocesses (they connect with ``application_name``)."""
    with engine.connect() as connection:
        pids = connection.execute(
            text("SELECT pid FROM pg_stat_activity WHERE application_name = :name"), {"name": application_name}
        ).scalars()
        return {int(pid): cpu_seconds(int(pid)) for pid in pids}


def machine_cpu_seconds() -> float:
    """CPU time spent by every process on the machine so far (all cores; idle and I/O wait left out)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(value) for value in fields[:8])
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


@dataclass(frozen=True)
class CpuSnapshot:
    processes: dict[str, float]
    postgres: dict[int, float]
    sandbox: float
    bench: float
    machine: float

    @classmethod
    def take(cls, bench: Bench, engine: Engine, running: Cluster) -> CpuSnapshot:
        return cls(
            running.cpu(),
            postgres_backends(engine, bench.application_name),
            cpu_seconds(bench.sandbox_pid),
            cpu_seconds(os.getpid()),
            machine_cpu_seconds(),
        )

    def since(self, before: CpuSnapshot) -> dict[str, float]:
        """CPU seconds between two snapshots (a backend that appeared in between counts from its start).

        ``others`` is what the rest of the machine used meanwhile (other people's work, PostgreSQL's background
        processes, the kernel): a cycle measured while it is large was measured on a busy machine."""
        spent = {
            **{name: self.processes[name] - before.processes[name] for name in self.processes},
            "postgres": sum(cpu - before.postgres.get(pid, 0.0) for pid, cpu in self.postgres.items()),
            "sandbox": self.sandbox - before.sandbox,
        }
        ours = sum(spent.values()) + self.bench - before.bench
        return {**spent, "others": max(0.0, self.machine - before.machine - ours)}


# --------------------------------------------------------------------------------------------------
# The floor


def location_ids(stores: int) -> list[str]:
    return [f"loc-{number:05d}" for number in range(1, stores + 1)]


def fetch_locations(api: str, locations: Sequence[str], threads: int) -> int:
    """The floor's unit of work: each location's inventory document, read whole over HTTP; returns the bytes."""

    def fetch(share: Sequence[str]) -> int:
        read = 0
        with httpx2.Client(base_url=api, headers=FLOWHUB_HEADERS, timeout=120) as client:
            for location in share:
                answer = client.get(f"v0/locations/{location}/inventory")
                answer.raise_for_status()
                read += len(answer.content)
        return read

    with ThreadPoolExecutor(max_workers=threads) as pool:
        return sum(pool.map(fetch, [locations[n::threads] for n in range(threads)]))


def floor(bench: Bench, stores: int, workers: int) -> dict[str, Any]:
    """Every store's document fetched by ``workers`` processes of ``threads`` threads (started before the clock)."""
    ids = location_ids(stores)
    shares = [ids[n::workers] for n in range(workers)]
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
        list(pool.map(fetch_locations, [bench.api] * workers, [ids[:1]] * workers, [1] * workers))  # warm up
        sandbox_before = cpu_seconds(bench.sandbox_pid)
        started = time.perf_counter()
        read = sum(pool.map(fetch_locations, [bench.api] * workers, shares, [bench.threads] * workers))
        seconds = time.perf_counter() - started
        sandbox_cpu = cpu_seconds(bench.sandbox_pid) - sandbox_before
    with httpx2.Client(base_url=bench.api, headers=FLOWHUB_HEADERS, timeout=120) as client:
        document = client.get(f"v0/locations/{ids[0]}/inventory").content
    parses = []
    for _ in range(5):
        began = time.perf_counter()
        records = len(json.loads(document)["data"])
        parses.append(time.perf_counter() - began)
    return {
        "seconds": round(seconds, 3),
        "requests": stores,
        "concurrency": workers * bench.threads,
        "megabytes": round(read / 1e6, 1),
        "sandbox_cpu_seconds": round(sandbox_cpu, 2),
        "records_per_document": records,
        "json_parse_ms_per_document": round(1000 * statistics.median(parses), 2),
    }


# --------------------------------------------------------------------------------------------------
# Setup


def fresh_schema(url: str, schema: str) -> Engine:
    admin = make_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    return admin


def drop_schema(admin: Engine, schema: str) -> None:
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))


def subprocess_database_url(url: str, schema: str, application_name: str) -> str:
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}options={quote(f'-csearch_path={schema}')}&application_name={application_name}"


def clean_broker(url: str, namespace: str) -> int:
    """Delete this run's keys (its namespace only) from the broker's Redis; returns how many."""
    client = redis.Redis.from_url(url)
    try:
        keys = list(client.scan_iter(match=f"{namespace}:*", count=1000))
        if keys:
            client.delete(*keys)
        return len(keys)
    finally:
        client.close()


def connect_stores(db: Database, api: str, stores: int) -> None:
    """One store and one Flowhub integration per generated location, through the real save (credentials checked)."""
    with db.uow() as uow:
        org_id = uow.accounts.organization_named("Bench Chain").id
        store_ids = [uow.accounts.add_store(org_id, f"Store {n}").id for n in range(1, stores + 1)]

    def connect(pair: tuple[int, str]) -> None:
        store_id, location = pair
        integrations.save(
            db,
            "flowhub",
            organization_id=org_id,
            store_id=store_id,
            credentials=FLOWHUB_CREDENTIALS,
            settings={
                "base_url": api,
                "token_url": f"{api}/oauth/token",  # the sandbox is the Auth0 tenant too
                "location_id": location,
                "requests_per_second": UNLIMITED,
            },
        )

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(connect, zip(store_ids, location_ids(stores), strict=True)))


def park(engine: Engine) -> None:
    """Nothing due: the scheduler claims nothing until a measurement gives schedules a slot (leases untouched)."""
    with engine.begin() as connection:
        connection.execute(text("UPDATE schedules SET next_run_at = NULL"))


def forget_catalogue(engine: Engine) -> None:
    """Back to an empty catalogue, so that the next cycle is a cold one again (no cluster is running)."""
    with engine.begin() as connection:
        connection.execute(text("TRUNCATE holds, bindings, products, quarantine CASCADE"))


def last_run_id(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT COALESCE(MAX(id), 0) FROM sync_runs")).scalar_one())


def wait_for_runs(engine: Engine, running: Cluster, after: int, expected: int, timeout: float) -> None:
    """Until ``expected`` runs after id ``after`` have finished; bounded by ``timeout``; fails if a process died."""
    deadline = time.monotonic() + timeout
    finished = 0
    while time.monotonic() < deadline:
        with engine.connect() as connection:
            finished = connection.execute(
                text("SELECT COUNT(*) FROM sync_runs WHERE id > :after AND finished_at IS NOT NULL"), {"after": after}
            ).scalar_one()
        if finished >= expected:
            return
        running.check_alive()
        time.sleep(0.25)
    raise RuntimeError(f"only {finished} of {expected} runs finished within {timeout:.0f}s")


def wait_for_slots(engine: Engine, running: Cluster, after: int, slots: set[tuple[int, str]], timeout: float) -> None:
    """Until every slot's schedule, ``(integration_id, flow)``, has had a run finish after id ``after``."""
    deadline = time.monotonic() + timeout
    done: set[tuple[int, str]] = set()
    while time.monotonic() < deadline:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT integration_id, flow FROM sync_runs WHERE id > :after AND finished_at IS NOT NULL"),
                {"after": after},
            ).all()
        done = {(row.integration_id, row.flow) for row in rows} & slots
        if done == slots:
            return
        running.check_alive()
        time.sleep(0.25)
    raise RuntimeError(f"only {len(done)} of {len(slots)} slots had their run within {timeout:.0f}s")


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 3) if ordered else 0.0


# --------------------------------------------------------------------------------------------------
# Measurements


def cycle(bench: Bench, engine: Engine, running: Cluster, stores: int, timeout: float) -> dict[str, Any]:
    """Every store's menu sync made due at once; the cycle lasts until the last of them has finished."""
    after = last_run_id(engine)
    before = CpuSnapshot.take(bench, engine, running)
    trigger = utcnow()
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE schedules SET next_run_at = :now WHERE flow = :flow"), {"now": trigger, "flow": MENU}
        )
    wait_for_runs(engine, running, after, stores, timeout)
    cpu = CpuSnapshot.take(bench, engine, running).since(before)
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT status, queued_at, started_at, finished_at FROM sync_runs WHERE id > :after AND flow = :flow"),
            {"after": after, "flow": MENU},
        ).all()
        products = connection.execute(text("SELECT COUNT(*) FROM products")).scalar_one()
    seconds = (max(row.finished_at for row in rows) - trigger).total_seconds()
    statuses: dict[str, int] = {}
    for row in rows:
        statuses[row.status] = statuses.get(row.status, 0) + 1
    durations = [(row.finished_at - row.started_at).total_seconds() for row in rows if row.started_at]
    waits = [(row.started_at - row.queued_at).total_seconds() for row in rows if row.started_at]
    busy = sum(cpu.values()) - cpu["others"]
    return {
        "seconds": round(seconds, 3),
        "store_syncs": len(rows),
        "store_syncs_per_second": round(len(rows) / seconds, 2),
        "runs": statuses,
        "products_in_store": int(products),
        "dispatched_within_seconds": round((max(row.queued_at for row in rows) - trigger).total_seconds(), 3),
        "run_seconds_p50": percentile(durations, 0.5),
        "run_seconds_p95": percentile(durations, 0.95),
        "queue_wait_seconds_p50": percentile(waits, 0.5),
        "worker_cpu_seconds": round(cpu["workers"], 2),
        "cpu_seconds_per_store_sync": round(cpu["workers"] / max(1, len(rows)), 4),
        "scheduler_cpu_seconds": round(cpu["scheduler"], 2),
        "postgres_cpu_seconds": round(cpu["postgres"], 2),
        "sandbox_cpu_seconds": round(cpu["sandbox"], 2),
        "cpu_share_of_machine": round(busy / (seconds * (os.cpu_count() or 1)), 3),
        "others_cpu_seconds": round(cpu["others"], 2),
    }


def lag(bench: Bench, engine: Engine, running: Cluster, interval: int, window: float, timeout: float) -> dict[str, Any]:
    """The real schedules of every store, slots spread over their interval; those falling in the window run."""
    window = min(window, float(interval))  # each schedule comes due at most once in the window
    park(engine)
    after = last_run_id(engine)
    start = utcnow() + timedelta(seconds=1)
    slots: dict[tuple[int, str], datetime] = {}
    with engine.begin() as connection:
        for flow, every in ((STATUS, interval), (MENU, interval * 5)):  # menu syncs at their real ratio, 10 : 2 min
            ids = connection.execute(
                text("SELECT id, integration_id FROM schedules WHERE flow = :flow ORDER BY id"), {"flow": flow}
            ).all()
            for n, (schedule_id, integration_id) in enumerate(ids):
                offset = every * n / len(ids)
                if offset >= window:
                    break
                slot = start + timedelta(seconds=offset)
                slots[(integration_id, flow)] = slot
                connection.execute(
                    text("UPDATE schedules SET interval_seconds = :every, next_run_at = :slot WHERE id = :id"),
                    {"every": every, "slot": slot, "id": schedule_id},
                )
    before = CpuSnapshot.take(bench, engine, running)
    wait_for_slots(engine, running, after, set(slots), window + timeout)
    cpu = CpuSnapshot.take(bench, engine, running).since(before)
    park(engine)
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT integration_id, flow, started_at FROM sync_runs WHERE id > :after AND started_at IS NOT NULL"),
            {"after": after},
        ).all()
    # A slot's lag is that of the first run after it. With an interval shorter than the wait (a small run's 2 s),
    # a schedule comes due again meanwhile: its later runs answer later slots, not this one.
    first: dict[tuple[int, str], datetime] = {}
    for row in rows:
        key = (row.integration_id, row.flow)
        if key in slots and (key not in first or row.started_at < first[key]):
            first[key] = row.started_at
    lags = {
        flow: [(started - slots[key]).total_seconds() for key, started in first.items() if key[1] == flow]
        for flow in (STATUS, MENU)
    }
    polls = lags[STATUS]
    return {
        "workers": len(running.workers),
        "interval_seconds": interval,
        "window_seconds": window,
        "status_polls": len(polls),
        "menu_syncs": len(lags[MENU]),
        "lag_seconds_p50": percentile(polls, 0.5),
        "lag_seconds_p95": percentile(polls, 0.95),
        "lag_seconds_max": percentile(polls, 1.0),
        "lag_p95_share_of_interval": round(percentile(polls, 0.95) / interval, 4),
        "menu_sync_lag_seconds_p95": percentile(lags[MENU], 0.95),
        "worker_cpu_seconds": round(cpu["workers"], 2),
        "worker_cpu_seconds_per_run": round(cpu["workers"] / max(1, len(polls) + len(lags[MENU])), 4),
    }


# --------------------------------------------------------------------------------------------------


def measure(args: argparse.Namespace, bench: Bench, runtime: Runtime) -> dict[str, Any]:
    engine = runtime.engine
    connect_stores(runtime.db, bench.api, args.stores)
    per_workers: dict[str, Any] = {}
    lags = []
    timeout = max(120.0, args.stores * 3.0)  # seconds: a cycle slower than 3 s per store is a failure
    for workers in args.workers:
        park(engine)
        forget_catalogue(engine)
        with cluster(bench, workers) as running:
            cold = cycle(bench, engine, running, args.stores, timeout)
            warm = cycle(bench, engine, running, args.stores, timeout)
            lags.append(lag(bench, engine, running, args.status_interval, args.lag_window, timeout))
        raw = floor(bench, args.stores, workers)
        per_workers[str(workers)] = {
            "cold_cycle": cold,
            "warm_cycle": warm,
            "floor": raw,
            "floor_share_cold": round(raw["seconds"] / cold["seconds"], 3),
            "floor_share_warm": round(raw["seconds"] / warm["seconds"], 3),
            "hub_share_cold": round(1 - raw["seconds"] / cold["seconds"], 3),
            "hub_share_warm": round(1 - raw["seconds"] / warm["seconds"], 3),
        }
    return {"workers": per_workers, "status_poll_lag": lags}


def worker_counts(value: str) -> tuple[int, ...]:
    counts = tuple(int(part) for part in value.split(",") if part.strip())
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError("worker counts are integers >= 1, e.g. 1,2")
    return counts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stores", type=int, default=50, help="stores, one generated Flowhub location each")
    parser.add_argument("--items", type=int, default=200, help="products in the sandbox's catalogue")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=worker_counts, default=(1, 2), help="worker processes to compare (1,2)")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (the default CANNASYNC_WORKERS)")
    parser.add_argument("--tick", type=float, default=2.0, help="scheduler tick, seconds (the default)")
    parser.add_argument("--status-interval", type=int, default=120, help="order-status interval, seconds")
    parser.add_argument("--lag-window", type=float, default=30.0, help="seconds of schedule to measure lag over")
    parser.add_argument("--log-level", default="INFO", help="the subprocesses' CANNASYNC_LOG_LEVEL (the default)")
    parser.add_argument("--database-url", default=POSTGRES_URL, help="PostgreSQL (a schema of its own is used)")
    parser.add_argument("--broker-url", default=REDIS_URL, help="Redis for the broker (a namespace of its own)")
    parser.add_argument("--json", action="store_true", help="print only the JSON result")
    args = parser.parse_args(argv)
    if min(args.stores, args.items, args.status_interval, args.threads) < 1 or args.tick <= 0 or args.lag_window <= 0:
        parser.error("--stores, --items, --threads and --status-interval must be >= 1, --tick and --lag-window > 0")
    configure_logging("ERROR")
    load_before = os.getloadavg()[0]
    tag = f"{os.getpid()}_{secrets.token_hex(3)}"
    schema, namespace = f"cs_bench_scale_{tag}", f"cs_bench_scale_{tag}"
    started = time.perf_counter()
    cleanups: list[Callable[[], object]] = []
    try:
        with tempfile.TemporaryDirectory(prefix="cs_bench_scale_") as directory:
            sandbox, url = start_sandbox(args.stores, args.items, args.seed)
            cleanups.append(lambda: stop(sandbox, 10))
            admin = fresh_schema(args.database_url, schema)
            cleanups.append(admin.dispose)
            cleanups.append(lambda: drop_schema(admin, schema))
            cleanups.append(lambda: clean_broker(args.broker_url, namespace))
            clean_broker(args.broker_url, namespace)
            bench = Bench(
                schema=schema,
                database_url=subprocess_database_url(args.database_url, schema, f"cs_bench_{tag}"),
                application_name=f"cs_bench_{tag}",
                broker_url=args.broker_url,
                namespace=namespace,
                secret_key=SecretBox.new_key(),
                api=url,
                sandbox_pid=sandbox.pid,
                threads=args.threads,
                tick=args.tick,
                log_level=args.log_level,
                logs=Path(directory),
            )
            # This process only sets up and reads: no broker, so it runs nothing itself.
            values: dict[str, Any] = {"database_url": args.database_url, "secret_keys": bench.secret_key}
            settings = Settings(data_dir=Path(directory) / "bench", **values)
            runtime = Runtime(settings, search_path=schema)  # migrates the schema, as `cannasync db upgrade`
            cleanups.append(runtime.close)
            figures = measure(args, bench, runtime)
    finally:
        for cleanup in reversed(cleanups):
            try:
                cleanup()
            except Exception as error:  # the others still run
                print(f"cleanup failed: {error!r}", file=sys.stderr)
    result = {
        "bench": "scale",
        "vendor": "flowhub",
        "database": "postgresql",
        "broker": "redis",
        "stores": args.stores,
        "items_in_catalogue": args.items,
        "threads_per_worker": args.threads,
        "tick_seconds": args.tick,
        "log_level": args.log_level,
        **figures,
        "bench_seconds": round(time.perf_counter() - started, 1),
        "cpus": os.cpu_count(),
        # The machine's 1-minute load before and after: other work sharing the cores shows up here.
        "load_average_before_after": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }
    if not args.json:
        for workers, row in result["workers"].items():
            print(
                f"{workers} worker(s): cold {row['cold_cycle']['seconds']}s, warm {row['warm_cycle']['seconds']}s, "
                f"floor {row['floor']['seconds']}s",
                file=sys.stderr,
            )
    print(json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    main()
