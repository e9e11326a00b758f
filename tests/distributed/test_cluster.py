"""Two workers and two schedulers on one broker: what an operator would check after a day of crashes.

Every due run happens once and runs never overlap; a worker killed mid-sync has its sync finished by another; a
worker killed mid-push leaves exactly one order in the POS, and the online order is not lost.
"""

from __future__ import annotations

import itertools
import os
from datetime import timedelta

import pytest

from cannasync.store.types import utcnow
from tests.distributed.conftest import Cluster, wait
from tests.flows.support import MEDICAL_PATIENT

CREATE = "POST /external/api/v2/retail-orders/"

# Each test starts four processes: keep them on one pytest worker, so two clusters never share the cores at once.
# A cluster's setup (a schema migrated, four processes importing the hub, a first menu sync through the broker)
# took over the suite's 120 s bound on a 2-core machine running two suites and four more jobs (load 18): the
# bound counts setup too, and a timeout firing while pytest reports the setup's failure kills the xdist worker.
pytestmark = [pytest.mark.xdist_group("processes"), pytest.mark.timeout(360)]


def _menu_runs(cluster: Cluster, since_id: int = 0) -> list[dict[str, object]]:
    rows = cluster.sql(
        "SELECT id, trigger, status, error, queued_at, started_at, finished_at, pages FROM sync_runs"
        " WHERE integration_id = :i AND flow = 'menu_sync' AND id > :since ORDER BY id",
        i=cluster.integration_id,
        since=since_id,
    )
    return [dict(row._mapping) for row in rows]


def _last_run_id(cluster: Cluster) -> int:
    return max([0, *(int(str(run["id"])) for run in _menu_runs(cluster))])


def _quiet(cluster: Cluster) -> None:
    """Wait until no menu sync is queued or running (so a test starts from rest)."""
    wait(
        lambda: not [run for run in _menu_runs(cluster) if run["status"] in ("queued", "running")],
        "the cluster to be idle",
        cluster,
    )


def _set_interval(cluster: Cluster, seconds: int, *, now: bool) -> None:
    cluster.sql(
        "UPDATE schedules SET interval_seconds = :s, next_run_at = CASE WHEN :now THEN :at ELSE next_run_at END"
        " WHERE integration_id = :i AND flow = 'menu_sync'",
        s=seconds,
        now=now,
        at=utcnow(),
        i=cluster.integration_id,
    )


def _lease_holder_pid(owner: object) -> int | None:
    """The process named in a lease (``host:pid`` or ``host:pid:thread``)."""
    if not isinstance(owner, str):
        return None
    return int(owner.split(":")[1])


def test_every_due_run_happens_once_and_runs_never_overlap(linked: Cluster):
    cluster = linked
    _quiet(cluster)
    before = _last_run_id(cluster)
    listed_before = cluster.flourish.requests().get("GET /external/api/v1/items/", 0)
    _set_interval(cluster, 1, now=True)  # due every second, claimed by two schedulers ticking every 0.3 s
    wait(lambda: len(_menu_runs(cluster, before)) >= 6, "six scheduled runs", cluster, timeout=30)
    _set_interval(cluster, 3600, now=False)
    _quiet(cluster)
    runs = _menu_runs(cluster, before)

    assert [run["status"] for run in runs] == ["succeeded"] * len(runs), runs
    queued = [run["queued_at"] for run in runs]
    # One claim per slot: two schedulers never both queued a run for the same second. Two claims of one slot by
    # schedulers ticking every 0.3 s would be milliseconds apart; claims of consecutive slots are a second apart
    # less the claiming tick's own delay before it writes the run (queued_at is written then, the slot was taken at
    # the tick's start), which a loaded machine stretched past 0.1 s. Half a second tells the two apart.
    assert all(b - a >= timedelta(seconds=0.5) for a, b in itertools.pairwise(queued)), queued
    # One run at a time: each started after the one before it had finished.
    spans = sorted((run["started_at"], run["finished_at"]) for run in runs)
    assert all(later[0] >= earlier[1] for earlier, later in itertools.pairwise(spans)), spans
    # The vendor saw each run read its catalogue once: no run was executed twice by two workers.
    listed = cluster.flourish.requests().get("GET /external/api/v1/items/", 0) - listed_before
    assert listed == sum(int(str(run["pages"])) for run in runs)


def test_a_worker_killed_mid_sync_is_taken_over_and_the_sync_completes(linked: Cluster):
    cluster = linked
    _quiet(cluster)
    visible = cluster.sql(
        "SELECT count(*) FROM products WHERE integration_id = :i AND visible", i=cluster.integration_id
    )
    # Every item page takes 0.8 s, so the kill lands mid-read.
    cluster.flourish.fault(mode="delay", delay_seconds=0.8, path_prefix="/external/api/v1/items", count=12)
    answer = cluster.api.post(f"/api/v1/integrations/{cluster.integration_id}/sync", json={"flow": "menu_sync"})
    assert answer.status_code == 202, answer.text
    run_id = answer.json()["run_id"]

    def holder() -> int | None:
        rows = cluster.sql(
            "SELECT s.lease_owner FROM schedules s JOIN sync_runs r ON r.id = s.lease_run_id"
            " WHERE s.lease_run_id = :r AND r.status = 'running' AND r.pages >= 1",
            r=run_id,
        )
        pid = _lease_holder_pid(rows[0][0]) if rows else None
        return pid if pid in {worker.pid for worker in cluster.workers} else None

    cluster.kill_worker(wait(holder, "the run to be under way on a worker", cluster))

    def taken_over() -> list[dict[str, object]]:
        return [r for r in _menu_runs(cluster, run_id) if r["trigger"] == "takeover" and r["status"] == "succeeded"]

    wait(taken_over, "another worker to take the sync over and finish it", cluster, timeout=40)
    lost = next(run for run in _menu_runs(cluster, run_id - 1) if run["id"] == run_id)
    assert lost["status"] == "failed" and "worker lost" in str(lost["error"]), lost
    assert (
        cluster.sql("SELECT count(*) FROM products WHERE integration_id = :i AND visible", i=cluster.integration_id)
        == visible
    ), "the menu is whole again, nothing hidden by the interrupted read"
    assert not [run for run in _menu_runs(cluster) if run["status"] in ("queued", "running")]


def test_a_worker_killed_mid_push_leaves_one_pos_order_and_loses_none(linked: Cluster):
    cluster = linked
    product = next(
        p
        for p in cluster.api.get(f"/api/v1/stores/{cluster.store_id}/products", params={"limit": 200}).json()["data"]
        if p["available_quantity"] >= 2 and p["rec_price_cents"]
    )
    # Flourish commits the order, then holds its answer back long enough for the kill to land before it.
    cluster.flourish.fault(
        method="POST", path_prefix="/external/api/v2/retail-orders", mode="timeout_after_commit", delay_seconds=5
    )
    body = {"customer": MEDICAL_PATIENT, "is_medical": True, "lines": [{"product_id": product["id"], "quantity": 1}]}
    order = cluster.api.post(
        f"/api/v1/stores/{cluster.store_id}/orders", json=body, headers={"Idempotency-Key": os.urandom(8).hex()}
    ).json()
    assert cluster.api.post(f"/api/v1/orders/{order['id']}/confirm").status_code == 200

    def in_flourish() -> list[dict[str, object]]:
        return [
            o
            for o in cluster.flourish.state.orders()
            if o["original_order_id"] == f"{order['number']}-S{cluster.store_id}"
        ]

    wait(in_flourish, "Flourish to commit the order", cluster)
    rows = cluster.sql("SELECT lease_owner FROM outbox WHERE subject_id = :o AND state = 'sending'", o=order["id"])
    assert rows, "the push is still waiting for Flourish's answer"
    cluster.kill_worker(_lease_holder_pid(rows[0][0]) or 0)

    pushed = wait(
        lambda: (found := cluster.api.get(f"/api/v1/orders/{order['id']}").json())["pos_order_id"] and found,
        "the push to be finished by another worker",
        cluster,
        timeout=40,
    )
    assert len(in_flourish()) == 1, "exactly one POS order"
    assert cluster.flourish.requests()[CREATE] == 1, "the second worker looked it up instead of creating it again"
    assert pushed["status"] == "submitted"
    assert any("found after an unknown outcome" in event["detail"] for event in pushed["history"])
