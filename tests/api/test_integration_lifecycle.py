"""Disconnecting an integration over the API (credentials erased, history kept, connect again), and what
``GET /vendors`` tells a client before it connects: every setting's warning, and a vendor's caution."""

from __future__ import annotations

from tests.conftest import FACILITY, Connected, Hub, Sandbox


def test_disconnect_erases_the_credentials_and_keeps_the_history(hub: Hub, flourish: Sandbox, connected: Connected):
    integration_id = connected.integration_id
    before = hub.api.get(f"/api/v1/integrations/{integration_id}").json()
    assert before["connected"] is True and before["inbound_path"]
    products = hub.api.get(f"/api/v1/stores/{connected.store_id}/products").json()["total"]
    runs = hub.api.get(f"/api/v1/integrations/{integration_id}/runs").json()
    assert products > 0 and runs

    gone = hub.api.post(f"/api/v1/integrations/{integration_id}/disconnect")
    assert gone.status_code == 200, gone.text
    shown = gone.json()
    assert shown["connected"] is False and shown["credentials"]["saved"] is False and shown["enabled"] is False
    assert shown["inbound_path"] is None
    assert shown["settings"]["facility_id"] == FACILITY  # its settings stay, for connecting again
    assert all(s["next_run_at"] is None for s in shown["schedules"])  # nothing runs on its own any more
    with hub.db.uow() as uow:
        row = uow.accounts.integration(integration_id)
        assert row is not None and uow.accounts.config(row).credentials == {}

    # The history stays: products, runs; the old inbound address no longer answers; a sync is refused clearly.
    assert hub.api.get(f"/api/v1/stores/{connected.store_id}/products").json()["total"] == products
    assert [r["id"] for r in hub.api.get(f"/api/v1/integrations/{integration_id}/runs").json()] == [
        r["id"] for r in runs
    ]
    assert hub.client(None).post(before["inbound_path"], content=b"{}").status_code == 401
    refused = hub.api.post(f"/api/v1/integrations/{integration_id}/sync", json={"flow": "menu_sync"})
    assert refused.status_code == 409, refused.text
    settings_only = hub.api.patch(f"/api/v1/integrations/{integration_id}", json={"settings": {}, "enabled": True})
    assert settings_only.status_code == 422 and "credentials" in settings_only.text

    # Connecting again needs the credentials, and picks up the same integration with its history.
    again = hub.api.put(
        f"/api/v1/stores/{connected.store_id}/integrations/flourish",
        json={"credentials": {"username": "demo", "api_key": "demo-key"}, "settings": {}},
    )
    assert again.status_code == 200, again.text
    assert again.json()["id"] == integration_id and again.json()["connected"] is True
    assert again.json()["inbound_path"] not in (None, before["inbound_path"])  # a new secret address
    assert {s["flow"] for s in again.json()["schedules"] if s["next_run_at"]} == {
        "menu_sync",
        "order_status",
        "reconcile",
    }

    assert hub.api.post("/api/v1/integrations/987654/disconnect").status_code == 404


def test_vendors_lists_every_settings_warning_and_the_loyalty_caution(hub: Hub):
    vendors = {v["name"]: v for v in hub.api.get("/api/v1/vendors").json()}
    loyalty = vendors["flourish_loyalty"]
    assert "switching POS systems" in loyalty["settings"]["use_last_backup"]["warning"]
    assert "overwrites edits" in loyalty["settings"]["sync_personas"]["warning"]
    assert loyalty["settings"]["regions"]["warning"] is None
    assert "SMS opt-in requests" in loyalty["caution"] and "enrol shoppers" in loyalty["caution"]
    assert "Every order confirmed" in vendors["flourish"]["settings"]["sync_orders"]["warning"]
    assert vendors["flourish"]["caution"] is None
