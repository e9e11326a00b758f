"""Health tells the truth: every kind of problem is counted and listed, each run opens its detail with the vendor
calls it made, and each flow can be synced now or paused; all over real HTTP, on both databases."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from cannasync.connectors import limits
from cannasync.store.tables import StoreMapping, WholesaleOrder
from cannasync.store.types import utcnow
from tests.conftest import Connected, Console, Hub, Sandbox, connect_flourish

ITEMS = "/external/api/v1/items"


def tile(html: str, key: str) -> int:
    found = re.search(rf'data-testid="health-tile-{key}"><b>(\d+)</b>', html)
    assert found is not None, f"no {key} tile"
    return int(found.group(1))


def row_state(html: str, flow: str) -> str:
    found = re.search(rf'data-testid="health-row" data-flow="{flow}" data-state="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def test_quarantine_webhook_errors_and_a_refused_credential_are_counted_listed_and_linked(
    hub: Hub, merchant: Console, connected: Connected, flourish: Sandbox
):
    # A webhook from the vendor with a signature that does not match (its secret was changed on one side).
    with hub.db.uow() as uow:
        row = uow.accounts.integration(connected.integration_id)
        assert row is not None
        token = row.webhook_token
    refused = hub.client(None).post(
        f"/hooks/flourish/{connected.integration_id}/{token}",
        content=b'{"resource_type": "item", "data": {}}',
        headers={"auth-signature": "0" * 64},
    )
    assert refused.status_code == 401
    # The vendor refuses the credentials from now on.
    flourish.fault(method="GET", path_prefix=ITEMS, status=401, count=50)
    failed = hub.sync(connected.integration_id)
    assert failed["status"] == "failed"

    page = merchant.get("/console/health").text
    quarantined = len(flourish.state.malformed_ids)
    assert tile(page, "quarantine") == quarantined > 0
    assert tile(page, "intake") == 1 and tile(page, "credentials") == 1
    # Problems come first: the sections with problems are above the flows, each tile links to its section.
    assert page.index('id="problem-credentials"') < page.index('id="flows"')
    assert 'href="#problem-quarantine"' in page
    assert "the vendor refused the credentials" in page
    # A quarantined record links to where it is fixed (its store's products, the quarantine list).
    assert f'href="/console/stores/{connected.store_id}/products#quarantine-{connected.integration_id}"' in page
    assert row_state(page, "menu_sync") == "bad"
    assert 'data-testid="health-section-pushes"' not in page and "Vendor writes failing or retrying: none" in page

    # The failed run's detail: counts, its error, and the vendor calls it made (status, path without query).
    detail = merchant.get(f"/console/runs/{failed['id']}")
    assert detail.status_code == 200
    assert 'data-testid="run-error"' in detail.text
    calls = re.findall(
        r'data-testid="run-call"><td>[^<]+</td><td><code>GET ([^<]+)</code></td>\s*<td><span class="badge bad">401',
        detail.text,
    )
    assert calls and all(path.startswith("v1/items") and "?" not in path for path in calls)  # under the API root
    with hub.db.uow() as uow:  # each call's moment in the store's own time, to the millisecond
        store = uow.accounts.store(connected.store_id)
        assert store is not None
        store_zone = ZoneInfo(store.timezone)
    moments = re.findall(r'data-testid="run-call"><td>([^<]+)</td>', detail.text)
    assert moments and all(
        re.fullmatch(rf"\d\d:\d\d:\d\d\.\d{{3}} {datetime.now(store_zone):%Z}", at) for at in moments
    ), moments
    api = hub.api.get(f"/api/v1/runs/{failed['id']}").json()
    assert api["calls"]["failed"] >= 1 and {c["status"] for c in api["calls"]["calls"]} == {401}
    assert "demo-key" not in detail.text and "demo-key" not in str(api) and "127.0.0.1" not in str(api["calls"])
    assert merchant.get(f"/console/runs/{failed['id'] + 1000}").status_code == 404

    # The vendor takes the credentials again: the next good run clears the tile.
    flourish.control.delete("/_sandbox/faults").raise_for_status()
    assert hub.sync(connected.integration_id)["status"] == "succeeded"
    page = merchant.get("/console/health").text
    assert tile(page, "credentials") == 0


def test_a_long_vendor_pause_is_shown_until_it_ends(
    hub: Hub, merchant: Console, connected: Connected, flourish: Sandbox, monkeypatch: pytest.MonkeyPatch
):
    # The pause holds the credential in this process for ten minutes: keep it to this test's own budgets.
    monkeypatch.setattr(limits._config, "local", limits.LocalBudgets())
    flourish.fault(method="GET", path_prefix=ITEMS, status=429, retry_after="600", count=1)
    run = hub.sync(connected.integration_id)
    assert run["status"] == "failed" and "paused" in run["error"]
    page = merchant.get("/console/health").text
    assert tile(page, "credentials") == 1 and "paused by the vendor for" in page
    with hub.db.uow() as uow:  # ten minutes later the pause is over: no longer a problem
        row = uow.accounts.integration(connected.integration_id)
        assert row is not None and row.credential_until is not None
        row.credential_until = utcnow() - timedelta(seconds=1)
    assert tile(merchant.get("/console/health").text, "credentials") == 0


def test_pause_and_sync_now_on_a_flow_row(hub: Hub, merchant: Console, connected: Connected):
    flow = f"/console/integrations/{connected.integration_id}/flows/order_status"
    answer = merchant.post(f"{flow}/pause")
    assert answer.status_code == 200 and "Paused: no scheduled run starts" in answer.text
    assert row_state(answer.text, "order_status") == "paused" and 'data-testid="flow-resume"' in answer.text
    with hub.db.uow() as uow:  # a paused flow is never claimed, however overdue
        schedule = uow.runs.schedule(connected.integration_id, "order_status")
        assert schedule is not None
        schedule.next_run_at = utcnow() - timedelta(hours=1)
    with hub.db.uow() as uow:
        claimed = uow.runs.claim_due(utcnow(), "test", timedelta(seconds=30))
        assert all(s.flow != "order_status" for s, _ in claimed)
        uow.session.rollback()
    synced = merchant.post(f"{flow}/sync")  # Sync now still runs it once
    assert synced.status_code == 200 and "A run was started" in synced.text

    # The API says the same and resumes it.
    api = f"/api/v1/integrations/{connected.integration_id}/flows/order_status"
    assert hub.api.post(f"{api}/resume").json()["paused"] is False
    assert row_state(merchant.get("/console/health").text, "order_status") != "paused"
    assert hub.api.post(f"/api/v1/integrations/{connected.integration_id}/flows/nope/pause").status_code == 404
    assert hub.api.post(f"/api/v1/integrations/{connected.integration_id}/flows/NOPE%00/pause").status_code == 422
    assert merchant.post(f"/console/integrations/{connected.integration_id}/flows/nope/pause").status_code == 404


def test_the_notification_form_keeps_what_was_typed_and_never_shows_a_secret(hub: Hub, merchant: Console):
    form = {
        "email_to": "ops@example.com",
        "email_from": "hub@example.com",
        "smtp_host": "smtp.example.com",
        "smtp_port": "587",
        "smtp_security": "starttls",
        "smtp_username": "ops",
        "smtp_password": "mail-pass-3",
        "webhook_url": "",
        "webhook_secret": "",
    }
    saved = merchant.post("/console/health/notifications", form)
    assert saved.status_code == 200 and "Notification settings saved." in saved.text
    assert "mail-pass-3" not in saved.text and "set: leave blank to keep it" in saved.text
    # A bad address is named by its label, the typed values stay, the stored password is kept.
    refused = merchant.post(
        "/console/health/notifications", {**form, "email_to": "not-an-address", "smtp_password": ""}
    )
    assert refused.status_code == 422
    assert "Send e-mails to: &#39;not-an-address&#39; is not an e-mail address" in refused.text
    assert 'value="not-an-address"' in refused.text
    moved = merchant.post(
        "/console/health/notifications", {**form, "smtp_host": "other.example.com", "smtp_password": ""}
    )
    assert moved.status_code == 422 and "SMTP password: type it again" in moved.text
    assert hub.api.get("/api/v1/notification-settings").json()["smtp_host"] == "smtp.example.com"


def test_wholesale_conflicts_and_unmapped_loyalty_locations_are_listed_with_their_pages(
    hub: Hub, merchant: Console, flourish: Sandbox
):
    connected = connect_flourish(hub, flourish)  # no sync needed: the rows only name the integration
    with hub.db.uow() as uow:
        uow.session.add(
            WholesaleOrder(
                integration_id=connected.integration_id,
                market_number="LL-4471",
                market_status="Accepted",
                conflict="LeafLink would not take Fulfilled after Accepted",
            )
        )
        uow.session.add(StoreMapping(integration_id=connected.integration_id, location_key="fac-909"))
    page = merchant.get("/console/health").text
    assert tile(page, "wholesale") == 1 and tile(page, "loyalty-stores") == 1
    assert "LL-4471" in page and "LeafLink would not take Fulfilled after Accepted" in page
    assert 'href="/console/wholesale/orders?conflicts=true"' in page
    assert "POS location fac-909" in page and 'href="/console/loyalty/stores"' in page
