"""Every bench in bench/ still runs: each at a tiny size, in seconds, with its JSON checked.

The benches are found by glob, so a new one cannot be left out: a bench without a tiny size in ``TINY`` fails here
until it is given one. Each runs as its own process, as someone measuring would run it (``--json``: nothing but the
JSON on stdout), and what a reader of its figures relies on is checked: every promised key is there, the JSON is
strict (no NaN or Infinity), nothing was oversold, every ratio against the baseline measured in the same run is a
finite positive number, and the work the bench claims to time really happened (a sync created the products, the
unchanged sync wrote nothing, stock ran out). The figures themselves are not checked: they depend on the machine.

Benches on PostgreSQL or Redis are skipped when it cannot be reached, unless ``CI`` is set, where that fails the
run as everywhere else. The full sizes stay out of the tests (``make bench`` runs them).
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from cannasync.store.db import make_engine
from tests.conftest import POSTGRES_URL

BENCH = Path(__file__).resolve().parent.parent / "bench"
# The Redis database scale.py uses by default (none of the tests does): the bench deletes its keys afterwards.
BENCH_REDIS_URL = os.environ.get("CANNASYNC_BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")

Result = dict[str, Any]


@dataclass(frozen=True)
class Tiny:
    """One bench's tiny run: its arguments, the keys its JSON promises, and what must hold of the figures."""

    args: tuple[str, ...]
    keys: tuple[str, ...]  # dotted for nested keys: "checkout.placed"
    check: Callable[[Result], None]
    needs: tuple[str, ...] = ()  # "postgres", "redis"
    starts_workers: bool = False  # starts worker processes: shares a pytest worker with tests/distributed
    #: A bound that catches a hung bench, not a slow one: a tiny run is seconds of work on a quiet machine, but it
    #: starts Python processes (the sandbox, a memory probe) whose start-up a loaded machine stretches ten-fold (a
    #: tiny menu sync took 66 s, and another passed 90 s, beside two other suites at load 19).
    timeout: float = 180.0
    label: str = ""
    #: A test that runs this bench itself at a size of its own, checking this JSON too: not run twice.
    run_by: str = ""


# --------------------------------------------------------------------------------------------------
# What each bench's figures must show


def checkout_sold_out_without_overselling(result: Result) -> None:
    checkout, floor = result["checkout"], result["floor"]
    for run in (checkout, floor):
        assert run["attempts"] == 60 and run["placed"] + run["refused"] == 60, run
        # Demand (~80 units) is above stock (25): both outcomes happen, so "no oversell" was put to the test.
        assert run["placed"] > 0 and run["refused"] > 0, run
    assert checkout["units_held"] <= 5 * result["products"]
    assert checkout["oversold_units"] == 0 and checkout["products_with_mismatched_holds"] == 0


def menu_sync_created_then_wrote_nothing(result: Result) -> None:
    full, unchanged = result["full_sync_counts"], result["unchanged_sync_counts"]
    assert result["listed_records"] > 0 and result["requests_per_sync"] > 0
    # Every record the POS listed became a product or was quarantined as malformed.
    assert full["created"] > 0 and full["created"] + full["quarantined"] == result["listed_records"], result
    # The second sync, nothing having changed, found every product unchanged and wrote none.
    assert unchanged["created"] == unchanged["updated"] == unchanged["hidden"] == 0, unchanged
    assert unchanged["unchanged"] == full["created"], result
    assert result["peak_python_heap_mb_during_full_sync"] > 0


def faults_lost_nothing(result: Result, orders: int) -> None:
    totals = result["totals"]
    assert result["hub_starts"] == 2, "the hub was killed and started again"
    assert totals["confirmed"] == totals["once"] == orders, result
    for count in ("lost", "duplicated", "unknown", "wrong_total", "wrong_pos_id", "push_errors"):
        assert totals[count] == 0, (count, result)


def scale_ran_every_store_on_real_workers(result: Result) -> None:
    assert result["broker"] == "redis" and result["stores"] == 5 and result["threads_per_worker"] == 2
    row = result["workers"]["1"]
    for cycle in ("cold_cycle", "warm_cycle"):
        assert row[cycle]["store_syncs"] == 5 and row[cycle]["runs"] == {"succeeded": 5}, row[cycle]
        assert 0 < row[cycle]["dispatched_within_seconds"] <= row[cycle]["seconds"]
        assert row[cycle]["cpu_seconds_per_store_sync"] > 0  # read from the real worker process's /proc entry
    assert row["cold_cycle"]["products_in_store"] > 0
    assert row["floor"]["requests"] == 5 and row["floor"]["concurrency"] == 2 and row["floor"]["megabytes"] > 0
    assert abs(row["hub_share_warm"] + row["floor_share_warm"] - 1) <= 0.002
    (lag,) = result["status_poll_lag"]
    assert lag["workers"] == 1 and lag["status_polls"] == 5
    assert lag["lag_seconds_max"] >= lag["lag_seconds_p95"] >= lag["lag_seconds_p50"] >= 0


def reconcile_found_each_difference_then_nothing(result: Result) -> None:
    clean, drifted, after = result["clean_counts"], result["drifted_counts"], result["after_counts"]
    assert clean["products"] > 0 and clean["differences"] == 0, result
    # Half the injected items had their stock changed, half were deleted: each one found, each one repaired.
    injected = result["drift_injected"]
    assert drifted["differences"] == drifted["repaired"] == injected > 0, result
    assert drifted["drift_quantity"] == drifted["drift_gone_from_pos"] == injected // 2, result
    assert after["differences"] == 0, result
    assert result["peak_python_heap_mb_during_reconcile"] > 0


def reconcile_ran_every_store_on_real_workers(result: Result) -> None:
    assert (result["mode"], result["broker"], result["stores"], result["workers"]) == ("distributed", "redis", 3, 1)
    assert result["sync_cycle_runs"] == {"succeeded": 3}, result
    clean, drifted, after = result["clean"], result["drifted"], result["after"]
    for cycle in (clean, drifted, after):
        assert cycle["store_reconciles"] == 3 and cycle["runs"] == {"succeeded": 3}, cycle
        assert 0 < cycle["dispatched_within_seconds"] <= cycle["seconds"], cycle
        assert cycle["cpu_seconds_per_store_reconcile"] > 0  # read from the real worker process's /proc entry
    assert clean["counts"]["products"] > 0 and clean["counts"]["differences"] == 0, clean
    # One product per store recounted behind the hub's back: each found and repaired, then not found again.
    assert result["drift_injected"] == 3
    assert drifted["counts"]["drift_quantity"] == drifted["counts"]["repaired"] == 3, drifted
    assert after["counts"]["differences"] == 0, after
    assert result["floor"]["requests"] == 3 and result["floor"]["megabytes"] > 0


CHECKOUT_KEYS = (
    "database",
    "oversells",
    "checkout.attempts_per_second",
    "checkout.latency_ms_p50",
    "checkout.latency_ms_p95",
    "floor.attempts_per_second",
    "floor.oversells",
    "ratio_floor_to_checkout_throughput",
    "ratio_checkout_to_floor_latency_p50",
)

MENU_SYNC_KEYS = (
    "vendor",
    "items_in_catalogue",
    "listed_records",
    "requests_per_sync",
    "floor_seconds",
    "floor_pages_only_seconds",
    "full_sync_seconds",
    "unchanged_sync_seconds",
    "full_sync_counts.created",
    "unchanged_sync_counts.unchanged",
    "ratio_full_to_floor",
    "ratio_unchanged_to_floor",
    "ratio_unchanged_to_pages_floor",
    "peak_python_heap_mb_during_full_sync",
)
CYCLE_KEYS = tuple(
    f"workers.1.{cycle}.{key}"
    for cycle in ("cold_cycle", "warm_cycle")
    for key in (
        "seconds",
        "store_syncs_per_second",
        "dispatched_within_seconds",
        "run_seconds_p50",
        "cpu_seconds_per_store_sync",
        "scheduler_cpu_seconds",
        "postgres_cpu_seconds",
        "sandbox_cpu_seconds",
        "others_cpu_seconds",
    )
)


#: Every bench in bench/, by file name, and its tiny run(s). A bench added to bench/ must be added here.
def menu_page_grouped_the_sizes(result: Result) -> None:
    # A third of the products are sold in 2 or 3 sizes, each product one card: fewer cards than products.
    assert 0 < result["cards"] < result["products"], result


TINY: dict[str, list[Tiny]] = {
    "menu_page": [
        Tiny(
            args=("--products", "300", "--runs", "2"),
            keys=("cards", "first_page.ms_median", "search.ms_median", "ratio_first_page_to_ungrouped"),
            check=menu_page_grouped_the_sizes,
        )
    ],
    "checkout": [
        Tiny(
            args=("--shoppers", "4", "--orders", "60", "--stock", "5"),
            keys=CHECKOUT_KEYS,
            check=checkout_sold_out_without_overselling,
            needs=("postgres",),
            label="postgres",
        ),
        Tiny(
            args=("--database", "sqlite", "--shoppers", "4", "--orders", "60", "--stock", "5"),
            keys=CHECKOUT_KEYS,
            check=checkout_sold_out_without_overselling,
            label="sqlite",
        ),
    ],
    "menu_sync": [
        Tiny(
            args=("--vendor", vendor, "--items", "200"),
            keys=MENU_SYNC_KEYS,
            check=menu_sync_created_then_wrote_nothing,
            label=vendor,
        )
        for vendor in ("flourish", "flowhub", "alleaves")
    ],
    "reconcile": [
        Tiny(
            args=("--items", "200", "--drift", "4"),
            keys=(
                "floor_seconds",
                "clean_seconds",
                "drifted_seconds",
                "ratio_clean_to_floor",
                "ratio_drifted_to_floor",
                "drifted_counts.differences",
                "peak_python_heap_mb_during_reconcile",
            ),
            check=reconcile_found_each_difference_then_nothing,
        ),
        Tiny(
            # Three stores on one real worker of two threads and a real scheduler with a short tick: the same
            # cycles as the full run (1,000 stores), over seconds.
            args=("--stores", "3", "--items", "60", "--workers", "1", "--threads", "2", "--tick", "0.3"),
            keys=(
                "floor.seconds",
                "clean.seconds",
                "drifted.seconds",
                "clean.store_reconciles_per_second",
                "drifted.counts.differences",
                "ratio_clean_to_floor",
                "ratio_drifted_to_floor",
            ),
            check=reconcile_ran_every_store_on_real_workers,
            needs=("postgres", "redis"),
            starts_workers=True,
            label="distributed",
            timeout=240.0,  # seconds on a quiet machine; the bound is for a shared one, as scale's
        ),
    ],
    "faults": [
        Tiny(
            # tests/faults/test_hub_killed.py runs it (a hub killed mid-burst, on both backends) and checks this
            # JSON with check_common and faults_lost_nothing: a second run here would only repeat it.
            args=("--orders", "12"),
            keys=("hub_starts", "totals.confirmed", "totals.once", "burst_seconds", "ratio_converged_to_burst"),
            check=lambda result: faults_lost_nothing(result, orders=12),
            run_by="tests/faults/test_hub_killed.py",
        )
    ],
    "scale": [
        Tiny(
            # One worker of two threads, a short tick, and a lag window of 2 s over a 2 s status interval: the
            # same measurements as the full run, over seconds instead of minutes.
            args=(
                *("--stores", "5", "--items", "200", "--workers", "1", "--threads", "2"),
                *("--tick", "0.5", "--status-interval", "2", "--lag-window", "2"),
            ),
            keys=(
                *CYCLE_KEYS,
                "workers.1.floor.seconds",
                "workers.1.floor_share_cold",
                "workers.1.floor_share_warm",
                "workers.1.hub_share_cold",
                "workers.1.hub_share_warm",
                "status_poll_lag.0.lag_seconds_p95",
                "status_poll_lag.0.lag_p95_share_of_interval",
            ),
            check=scale_ran_every_store_on_real_workers,
            needs=("postgres", "redis"),
            starts_workers=True,
            # Seconds on a quiet machine; the bound is for a shared one (the cluster tests' pace, two cores).
            timeout=240.0,
        )
    ],
}


# --------------------------------------------------------------------------------------------------
# Running a bench, and the checks every bench's JSON passes


def bench_names(directory: Path = BENCH) -> list[str]:
    """Every bench: each bench/*.py (a helper module would start with an underscore)."""
    return sorted(path.stem for path in directory.glob("*.py") if not path.name.startswith("_"))


def tiny_runs(directory: Path = BENCH) -> Iterator[Any]:
    for name in bench_names(directory):
        runs = TINY.get(name) or [None]
        for tiny in runs:
            label = f"{name}-{tiny.label}" if tiny and tiny.label else name
            # Worker processes of their own: on the pytest worker the cluster tests use, never two clusters at once.
            marks = [pytest.mark.xdist_group("processes")] if tiny and tiny.starts_workers else []
            if tiny and not tiny.run_by:  # the bench's own bound, plus room for pytest to report what it printed
                marks.append(pytest.mark.timeout(tiny.timeout + 30))
            yield pytest.param(name, tiny, id=label, marks=marks)


def require(service: str) -> None:
    """Skip when ``service`` cannot be reached, or fail under CI, where every service is expected."""
    try:
        if service == "postgres":
            engine = make_engine(POSTGRES_URL)
            try:
                with engine.connect() as connection:
                    connection.execute(text("SELECT 1"))
            finally:
                engine.dispose()
        else:
            import redis

            redis.Redis.from_url(BENCH_REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as error:  # pragma: no cover - depends on the machine
        message = f"{service} is not reachable: {error}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def run_bench(name: str, args: tuple[str, ...], timeout: float) -> Result:
    env = {**os.environ, "CANNASYNC_TEST_POSTGRES_URL": POSTGRES_URL, "CANNASYNC_BENCH_REDIS_URL": BENCH_REDIS_URL}
    done = subprocess.run(
        [sys.executable, str(BENCH / f"{name}.py"), *args, "--json"],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )
    assert done.returncode == 0, f"bench/{name}.py {' '.join(args)} failed:\n{done.stderr[-3000:]}"
    return strict_json(done.stdout)


def strict_json(output: str) -> Result:
    """The bench's stdout as one JSON object; NaN and Infinity (which json.dumps writes) are refused."""

    def refuse(constant: str) -> None:
        raise AssertionError(f"the bench printed {constant}, which is not JSON")

    result = json.loads(output, parse_constant=refuse)
    assert isinstance(result, dict), output[:500]
    return result


def lookup(result: Result, dotted: str) -> Any:
    value: Any = result
    for part in dotted.split("."):
        value = value[int(part)] if isinstance(value, list) else value[part]
    return value


def entries(value: Any, path: str = "") -> Iterator[tuple[str, str, Any]]:
    """Every (path, key, value) in a JSON document, nested ones included."""
    if isinstance(value, dict):
        for key, inner in value.items():
            where = f"{path}.{key}" if path else key
            yield where, key, inner
            yield from entries(inner, where)
    elif isinstance(value, list):
        for n, inner in enumerate(value):
            yield from entries(inner, f"{path}.{n}")


def is_ratio(key: str) -> bool:
    """A comparison with the baseline: ``ratio_*`` and the ``*_share_*`` figures."""
    return key.startswith("ratio_") or "share" in key.split("_")


def check_common(name: str, tiny: Tiny, result: Result) -> None:
    assert result.get("bench") == name, f"bench/{name}.py must name itself in its JSON: {result.get('bench')!r}"
    missing = []
    for key in tiny.keys:
        try:
            lookup(result, key)
        except (KeyError, IndexError, TypeError):
            missing.append(key)
    assert not missing, f"bench/{name}.py no longer reports {missing}"
    found = list(entries(result))
    ratios = {where: value for where, key, value in found if is_ratio(key)}
    assert ratios, f"bench/{name}.py compares nothing with a baseline measured in the same run"
    for where, value in ratios.items():
        number = isinstance(value, int | float) and not isinstance(value, bool)
        assert number and math.isfinite(value) and value > 0, f"{where} = {value!r}: ratios are finite and positive"
    for where, key, value in found:
        if key == "oversells":
            assert value == 0, f"{where} = {value!r}: the bench oversold"


# --------------------------------------------------------------------------------------------------


def test_every_bench_is_found() -> None:
    """The glob finds the benches we know of; if it found none, the test below would pass vacuously."""
    assert {"checkout", "faults", "menu_sync", "reconcile", "scale"} <= set(bench_names())


def test_a_new_bench_cannot_be_left_out(tmp_path: Path) -> None:
    """A bench dropped into bench/ gets a run of its own, which fails until it is given a tiny size."""
    for name in ("menu_sync.py", "latency.py", "_shared.py"):
        (tmp_path / name).write_text("")
    runs = {param.id: param.values[1] for param in tiny_runs(tmp_path)}
    assert set(runs) == {"latency", "menu_sync-flourish", "menu_sync-flowhub", "menu_sync-alleaves"}
    assert runs["latency"] is None and runs["menu_sync-flowhub"] is not None


def test_the_json_checks_catch_what_a_broken_bench_prints() -> None:
    """Each check refuses what it is there to refuse: these are what a bench that had rotted would print."""
    tiny = TINY["checkout"][0]
    good = {"bench": "checkout", **{key: 1 for key in tiny.keys if "." not in key}}
    good.update(oversells=0, checkout={key.split(".")[1]: 1.0 for key in tiny.keys if key.startswith("checkout.")})
    good["floor"] = {"attempts_per_second": 1.0, "oversells": 0}
    check_common("checkout", tiny, good)
    broken: list[tuple[Result, str]] = [
        ({**good, "bench": "menu_sync"}, "must name itself"),
        ({key: value for key, value in good.items() if key != "ratio_floor_to_checkout_throughput"}, "no longer"),
        ({**good, "ratio_floor_to_checkout_throughput": None}, "finite and positive"),
        ({**good, "ratio_floor_to_checkout_throughput": 0.0}, "finite and positive"),
        ({**good, "floor": {"attempts_per_second": 1.0, "oversells": 3}}, "oversold"),
    ]
    for result, complaint in broken:
        with pytest.raises(AssertionError, match=complaint):
            check_common("checkout", tiny, result)
    with pytest.raises(AssertionError, match="NaN"):
        strict_json('{"bench": "checkout", "ratio_full_to_floor": NaN}')
    no_baseline = Tiny(args=(), keys=(), check=lambda _: None)
    with pytest.raises(AssertionError, match="compares nothing"):
        check_common("latency", no_baseline, {"bench": "latency", "seconds": 1.0})


@pytest.mark.parametrize(("name", "tiny"), list(tiny_runs()))
def test_bench_runs_at_its_tiny_size(name: str, tiny: Tiny | None) -> None:
    assert tiny is not None, f"bench/{name}.py has no tiny size: add it to TINY in tests/test_benches.py"
    if tiny.run_by:  # that test runs it; it must still exist and run this very bench
        runner = Path(__file__).resolve().parent.parent / tiny.run_by
        assert f'"{name}.py"' in runner.read_text(), f"{tiny.run_by} no longer runs bench/{name}.py"
        return
    for service in tiny.needs:
        require(service)
    result = run_bench(name, tiny.args, tiny.timeout)
    check_common(name, tiny, result)
    tiny.check(result)
