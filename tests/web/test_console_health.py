"""The Health screen over real HTTP: a row per integration and flow, with a red / amber / green state."""

from __future__ import annotations

import re
from datetime import timedelta

from cannasync.store.types import utcnow
from cannasync.web.console.health import judge
from cannasync.web.console.runviews import RunView
from tests.conftest import Connected, Console, Hub, Sandbox


def states(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-testid="health-row" data-flow="([^"]+)" data-state="([^"]+)"', html))


def test_a_healthy_menu_sync_is_green_with_its_last_success(hub: Hub, merchant: Console, connected: Connected):
    page = merchant.get("/console/health")
    assert page.status_code == 200
    found = states(page.text)
    assert set(found) == {"menu_sync", "order_status", "reconcile"}
    assert found["menu_sync"] == "ok"
    assert "Great Lakes Ann Arbor" in page.text and "Flourish" in page.text
    assert "every 10 min" in page.text and "every 2 min" in page.text
    assert "Recent runs" in page.text


def test_a_failed_sync_turns_the_row_red_and_shows_the_error(
    hub: Hub, merchant: Console, connected: Connected, flourish: Sandbox
):
    flourish.fault(method="GET", path_prefix="/external/api/v1/items", status=401, count=50)
    run = hub.sync(connected.integration_id)
    assert run["status"] == "failed"
    page = merchant.get("/console/health").text
    assert states(page)["menu_sync"] == "bad"
    assert "The last run failed" in page
    assert run["error"][:40] in page.replace("&#39;", "'").replace("&quot;", '"')


def test_a_disabled_integration_is_paused(hub: Hub, merchant: Console, connected: Connected):
    with hub.db.uow() as uow:
        row = uow.accounts.integration(connected.integration_id)
        assert row is not None
        row.enabled = False
    assert set(states(merchant.get("/console/health").text).values()) == {"paused"}


def test_an_organization_with_nothing_connected_is_told_so(merchant: Console):
    page = merchant.get("/console/health")
    assert page.status_code == 200 and "Nothing is scheduled yet" in page.text


def run(status: str, minutes_ago: int) -> RunView:
    at = utcnow() - timedelta(minutes=minutes_ago)
    return RunView(1, 1, "menu_sync", "schedule", status, at, at, at, 1, 1)


def test_the_state_rules():
    now, interval = utcnow(), timedelta(minutes=10)

    def state(lag: int = 0, success: int | None = 1, recent: list[RunView] | None = None) -> str:
        return judge(
            enabled=True,
            paused=False,
            interval=interval,
            lag=timedelta(minutes=lag),
            last_success=now - timedelta(minutes=success) if success is not None else None,
            recent=[run("succeeded", 1)] if recent is None else recent,
            now=now,
        )[0]

    assert state() == "ok"
    assert state(lag=5) == "warn" and state(lag=25) == "bad"
    assert state(recent=[run("succeeded", 1), run("failed", 11)]) == "warn"
    assert state(recent=[run("failed", 1), run("succeeded", 11)]) == "bad"
    assert state(success=None, recent=[]) == "warn"  # waiting for the first run
    assert state(success=25) == "warn" and state(success=45) == "bad"
