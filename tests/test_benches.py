"""The benchmarks still run: each one at a tiny size, on PostgreSQL, checked for its JSON keys (not its figures).

The benches are not part of ``make test``'s measurements, but a bench that no longer runs is found here rather than
the day someone needs its figures. Both need PostgreSQL: without it they are skipped, unless ``CI`` is set, where
an unreachable PostgreSQL fails the run as everywhere else.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from cannasync.store.db import make_engine
from tests.conftest import POSTGRES_URL

BENCH = Path(__file__).resolve().parent.parent / "bench"

# The scale bench starts worker processes: it shares a pytest worker with the cluster tests (tests/distributed).
pytestmark = pytest.mark.xdist_group("processes")


@pytest.fixture(scope="module", autouse=True)
def postgres() -> None:
    engine = make_engine(POSTGRES_URL)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:  # pragma: no cover - depends on the machine
        message = f"PostgreSQL at {POSTGRES_URL} is not reachable: {error}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    finally:
        engine.dispose()


def run_bench(name: str, *args: str, timeout: float) -> dict[str, Any]:
    env = {**os.environ, "CANNASYNC_TEST_POSTGRES_URL": POSTGRES_URL}
    done = subprocess.run(
        [sys.executable, str(BENCH / name), *args, "--json"],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def test_checkout_bench_never_oversells() -> None:
    result = run_bench("checkout.py", "--shoppers", "4", "--orders", "60", "--stock", "5", timeout=60)
    assert result["oversells"] == 0 and result["floor"]["oversells"] == 0
    checkout = result["checkout"]
    assert checkout["attempts"] == 60 and checkout["placed"] + checkout["refused"] == 60
    assert checkout["units_held"] <= 5 * result["products"]
    for key in ("orders_per_second", "latency_ms_p50", "latency_ms_p95"):
        assert key in checkout and key in result["floor"]
    assert result["ratio_floor_to_checkout_throughput"] is not None


def test_scale_bench_runs_a_cycle_on_real_workers_and_measures_lag() -> None:
    result = run_bench(
        "scale.py",
        *("--stores", "3", "--items", "30", "--workers", "1", "--threads", "2"),
        *("--status-interval", "2", "--lag-window", "2", "--tick", "0.5"),
        timeout=110,
    )
    assert result["broker"] == "redis" and result["threads_per_worker"] == 2
    row = result["workers"]["1"]
    for cycle in ("cold_cycle", "warm_cycle"):
        assert row[cycle]["store_syncs"] == 3 and row[cycle]["runs"] == {"succeeded": 3}
        assert row[cycle]["seconds"] > 0 and row[cycle]["dispatched_within_seconds"] <= row[cycle]["seconds"]
        assert row[cycle]["cpu_seconds_per_store_sync"] > 0  # read from the real worker process's /proc entry
        for key in ("scheduler_cpu_seconds", "postgres_cpu_seconds", "sandbox_cpu_seconds", "run_seconds_p50"):
            assert key in row[cycle]
    assert row["cold_cycle"]["products_in_store"] > 0
    assert row["floor"]["requests"] == 3 and row["floor"]["concurrency"] == 2
    assert row["floor_share_warm"] > 0 and abs(row["hub_share_warm"] + row["floor_share_warm"] - 1) <= 0.002
    (lag,) = result["status_poll_lag"]
    assert lag["workers"] == 1 and lag["status_polls"] == 3
    assert lag["lag_seconds_max"] >= lag["lag_seconds_p95"] >= lag["lag_seconds_p50"] >= 0


def test_fault_bench_kills_the_hub_mid_burst_and_counts_from_the_vendors_side() -> None:
    # The tiniest run: tests/faults/test_hub_killed.py runs it at a size that checks the counts on both backends.
    result = run_bench("faults.py", "--orders", "4", "--vendors", "flourish", "--timeout", "240", timeout=420)
    assert result["hub_starts"] == 2 and result["totals"]["confirmed"] == 4
    assert result["totals"]["once"] == 4 and result["totals"]["lost"] == result["totals"]["duplicated"] == 0
    for key in ("confirmed_before_kill", "down_seconds", "burst_seconds", "converged_seconds", "vendors"):
        assert key in result
