"""Money and stock reach the POS as the store means them: a Flourish pickup order with a bag fee totals the same
in Flourish as on our receipt (seed 000), and an Alleaves area whose stock may not be sold cannot be chosen to
sell from (seed 003). Real HTTP against the sandboxes, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import httpx2

from tests.conftest import ALLEAVES_CREDENTIALS, FACILITY, AlleavesSandbox, Connected, Console, Hub, Sandbox
from tests.flows.support import MEDICAL_PATIENT, confirm_and_wait_for_push, place, stocked


def flourish_order(sandbox: Sandbox, pos_id: str) -> dict[str, Any]:
    """The order as Flourish's API answers it to anyone reading it (GET /retail-orders/{id})."""
    answer = httpx2.get(
        f"{sandbox.api_url}/v1/retail-orders/{pos_id}",
        headers={"x-api-key": "demo-key", "FacilityID": FACILITY},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json()["data"])


def test_a_pickup_orders_fee_makes_flourishs_total_ours(hub: Hub, flourish: Sandbox, connected: Connected):
    first, second, _ = stocked(hub, connected)
    order = place(
        hub,
        connected,
        {
            "customer": MEDICAL_PATIENT,
            "is_medical": True,
            "fulfillment": "pickup",
            "lines": [{"product_id": first["id"], "quantity": 3}, {"product_id": second["id"], "quantity": 1}],
            "offers": [{"label": "Spring 10%", "kind": "percent", "value": "10"}],
            "fees": [{"name": "Bag fee", "amount_cents": 10}, {"name": "Service", "amount_cents": 149}],
        },
    )
    pushed = confirm_and_wait_for_push(hub, order["id"])
    remote = flourish_order(flourish, pushed["pos_order_id"])
    assert remote["fulfillment_type"] == "pickup"
    assert round(Decimal(str(remote["total"])) * 100) == order["total_cents"]
    assert "Bag fee ($0.10)" in remote["notes"] and "Service ($1.49)" in remote["notes"]


def test_an_alleaves_area_marked_not_sellable_cannot_be_chosen(hub: Hub, alleaves: AlleavesSandbox, merchant: Console):
    store = hub.api.post("/api/v1/stores", json={"name": "Evergreen Main St"}).json()
    url = f"/api/v1/stores/{store['id']}/integrations/alleaves"
    saved = hub.api.put(url, json={"credentials": ALLEAVES_CREDENTIALS, "settings": {"base_url": alleaves.api_url}})
    assert saved.status_code == 200, saved.text
    areas = {loc["name"]: loc["id"] for loc in saved.json()["locations"]}
    refused = hub.api.put(url, json={"settings": {"area_ids": [areas["Retail"], areas["Quarantine"]]}})
    assert refused.status_code == 422
    assert "Quarantine" in refused.json()["detail"] and "not sellable" in refused.json()["detail"]
    assert hub.api.get(f"/api/v1/integrations/{saved.json()['id']}").json()["settings"]["area_ids"] == []

    picker = merchant.get(f"/console/integrations/{saved.json()['id']}/choices", headers={"HX-Request": "true"})
    assert picker.status_code == 200
    offered = set(re.findall(r'name="settings\.area_ids" value="([^"]+)"', picker.text))
    assert areas["Retail"] in offered and areas["Vault"] in offered
    assert areas["Quarantine"] not in offered and "Quarantine" not in picker.text
