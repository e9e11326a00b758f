"""Things that happen at once: first calls of a new organization, flows starting together, Sync during a run.

Each test releases its callers together (a Barrier) and asserts what a user would see: no 500, no failed run, and
a Sync pressed while a run is under way is not lost.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import httpx2
import pytest

from cannasync.cli.servers import BackgroundServer
from cannasync.flows import integrations, loyalty
from cannasync.jobs import tasks
from cannasync.jobs.runtime import Runtime
from cannasync.sandboxes import flourish as flourish_sandbox
from cannasync.store.types import utcnow
from tests.conftest import Connected, Hub, Sandbox, wait_for

ROUNDS = 3


def together(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls in threads released at once by a Barrier; their answers in order, or their first error."""
    barrier = threading.Barrier(len(calls))
    answers: list[Any] = [None] * len(calls)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            answers[index] = calls[index]()
        except BaseException as error:  # every failure is what the test reports
            errors.append(error)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, f"{len(errors)} of {len(calls)} failed: {errors[0]!r}"
    return answers


def new_organization(runtime: Runtime, name: str) -> tuple[int, str]:
    with runtime.db.uow() as uow:
        org = uow.accounts.organization_named(name)
        return org.id, uow.accounts.issue_token(org.id, "races")


def test_twenty_first_loyalty_calls_of_a_new_organization_all_answer(hub: Hub):
    """A new organization's console opens several loyalty panels at once: the program is made once, nobody 500s."""
    for n in range(ROUNDS):
        _, token = new_organization(hub.runtime, f"Brand New Co. {n}")
        with hub.client(token) as client:
            answers = together([lambda: client.get("/api/v1/loyalty/program") for _ in range(20)])
        assert [answer.status_code for answer in answers] == [200] * 20, [a.text for a in answers if a.is_error]
        assert {answer.json()["name"] for answer in answers} == {"Loyalty"}


@pytest.fixture
def shopless_flourish() -> Iterator[Sandbox]:
    """A Flourish with no shoppers or sales yet: a pull reaches the program as soon as it starts."""
    app = flourish_sandbox.create_app(items=10, seed=5, customers=0, sales=0)
    server = BackgroundServer(app).start()
    with httpx2.Client(base_url=server.url, timeout=10) as control:
        yield Sandbox(server, app.state.sandbox, control)
    server.stop()


def test_loyalty_pull_and_sms_opt_in_starting_together_at_connect_both_succeed(
    runtime: Runtime, shopless_flourish: Sandbox, sms: Sandbox
):
    """Connecting a loyalty source and an SMS gateway schedules both flows at once; the first run of each must
    succeed, although both find the new organization's program missing and make it."""
    for n in range(ROUNDS * 2):
        org, _ = new_organization(runtime, f"Just Connected {n}")
        source, _ = integrations.save(
            runtime.db,
            "flourish_loyalty",
            organization_id=org,
            credentials={"username": "demo", "api_key": "demo-key"},
            settings={"base_url": shopless_flourish.api_url, "age_gate_attested": True, "requests_per_second": 1000},
        )
        gateway, _ = integrations.save(
            runtime.db,
            "sms",
            organization_id=org,
            credentials={"api_key": "sms-demo-key", "signing_secret": "sms-demo-secret"},
            settings={"base_url": sms.server.url},
        )
        held = []
        with runtime.db.uow() as uow:  # the scheduler's claim of both schedules, due now since connect
            for integration_id, flow in ((source, loyalty.PULL), (gateway, loyalty.OPT_IN)):
                claimed = uow.runs.lease(integration_id, flow, "test", utcnow(), timedelta(minutes=5), "schedule")
                assert claimed is not None
                held.append((claimed[1].id, claimed[0].id))
        together(
            [lambda run=run, schedule=schedule: tasks.run_flow(runtime.db, run, schedule) for run, schedule in held]
        )
        with runtime.db.uow() as uow:
            outcomes = [
                (run.flow, run.status, run.error) for run in (uow.runs.get(run_id) for run_id, _ in held) if run
            ]
        assert outcomes == [(loyalty.PULL, "succeeded", None), (loyalty.OPT_IN, "succeeded", None)], f"round {n}"


@pytest.mark.parametrize("requests", [1, 3])
def test_sync_pressed_while_a_run_holds_the_lease_runs_once_more_after_it(
    hub: Hub, connected: Connected, requests: int
):
    """The run under way may have read past a change made while it ran: a Sync pressed meanwhile must lead to
    exactly one more run when it ends (however often it was pressed), not wait for the next scheduled one."""
    flow = "menu_sync"

    def quiet() -> bool:  # the connect-time runs (and any follow-up of the first Sync) are over
        with hub.db.uow() as uow:
            schedule = uow.runs.schedule(connected.integration_id, flow)
            assert schedule is not None
            return schedule.lease_run_id is None and not schedule.follow_up

    wait_for(quiet, "the runs since connect to end")
    with hub.db.uow() as uow:  # a run under way: its lease is held
        claimed = uow.runs.lease(connected.integration_id, flow, "test", utcnow(), timedelta(minutes=5), "schedule")
        assert claimed is not None, "the schedule was free after the first sync"
        schedule_id, running = claimed[0].id, claimed[1].id
    for _ in range(requests):
        answer = hub.api.post(f"/api/v1/integrations/{connected.integration_id}/sync", json={"flow": flow})
        assert answer.status_code == 202, answer.text
        assert answer.json() == {"run_id": running, "already_running": True, "follow_up_queued": True}
    tasks.run_flow(hub.db, running, schedule_id)  # the run under way ends, and lets go of the lease

    def runs_after() -> list[dict[str, Any]]:
        runs = hub.api.get(f"/api/v1/integrations/{connected.integration_id}/runs", params={"flow": flow}).json()
        return [run for run in runs if run["id"] > running]

    def follow_up_done() -> bool:
        after = runs_after()
        with hub.db.uow() as uow:
            schedule = uow.runs.schedule(connected.integration_id, flow)
            released = schedule is not None and schedule.lease_run_id is None
        return bool(after) and all(run["status"] in ("succeeded", "failed") for run in after) and released

    wait_for(follow_up_done, "the follow-up run to end")
    after = runs_after()
    assert [(run["trigger"], run["status"]) for run in after] == [("follow_up", "succeeded")]
    with hub.db.uow() as uow:  # and nothing more is owed: the next run is the schedule's own, an interval away
        schedule = uow.runs.schedule(connected.integration_id, flow)
        assert schedule is not None and not schedule.follow_up
        assert schedule.next_run_at is not None and schedule.next_run_at > utcnow() + timedelta(minutes=1)
