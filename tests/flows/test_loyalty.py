"""Marketing + loyalty ↔ Flourish (seed 002) over real HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2

from tests.conftest import Hub, Sandbox, connect_loyalty, connect_sms, wait_for

PULL = "loyalty_pull"


def personas(hub: Hub) -> list[dict[str, Any]]:
    return list(hub.api.get("/api/v1/loyalty/personas", params={"limit": 200}).json()["data"])


def persona_of(hub: Hub, customer_id: str) -> dict[str, Any]:
    for row in personas(hub):
        detail = hub.api.get(f"/api/v1/loyalty/personas/{row['id']}").json()
        if any(link["customer_id"] == customer_id for link in detail["linked_to"]):
            return dict(detail)
    raise AssertionError(f"no persona linked to {customer_id}")


def sale(
    sandbox: Sandbox,
    customer_id: str,
    facility: str = "101",
    dollars: float = 40.0,
    discounts: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    item = next(i for i in sandbox.state.items() if i["id"] not in sandbox.state.malformed_ids)
    answer = sandbox.control.post(
        "/_sandbox/sales",
        json={
            "facility_id": facility,
            "customer_id": customer_id,
            "lines": [{"item_id": item["id"], "order_qty": 1, "unit_price": dollars}],
            "applied_discounts": discounts or [],
        },
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json()["data"])


def test_connecting_needs_the_age_gate_attestation_and_working_credentials(hub: Hub, loyalty_flourish: Sandbox):
    base = {"vendor": "flourish_loyalty", "credentials": {"username": "demo", "api_key": "demo-key"}}
    no_gate = hub.api.post("/api/v1/integrations", json={**base, "settings": {"base_url": loyalty_flourish.api_url}})
    assert no_gate.status_code == 422 and "age gate" in no_gate.json()["detail"]
    wrong = hub.api.post(
        "/api/v1/integrations",
        json={
            **base,
            "credentials": {"username": "demo", "api_key": "nope"},
            "settings": {"base_url": loyalty_flourish.api_url, "age_gate_attested": True},
        },
    )
    assert wrong.status_code == 422 and "credentials" in wrong.json()["detail"]
    first = connect_loyalty(hub, loyalty_flourish, regions=["MI"])
    second = connect_loyalty(hub, loyalty_flourish, regions=["OH"])  # "Add Credential": one or more
    listed = hub.api.get("/api/v1/integrations", params={"vendor": "flourish_loyalty"}).json()
    assert {row["id"] for row in listed} == {first, second}
    assert all(
        {s["flow"]: s["every_seconds"] for s in row["schedules"]} == {PULL: 900, "reconcile": 86400} for row in listed
    )


def test_shoppers_and_sales_come_in_with_their_source_and_store(hub: Hub, loyalty_flourish: Sandbox):
    source = connect_loyalty(hub, loyalty_flourish)
    run = hub.sync(source, PULL)
    assert run["status"] == "succeeded", run
    everyone = personas(hub)
    assert len(everyone) == len(loyalty_flourish.state.customers())
    assert {p["sourced_from"] for p in everyone} == {"Flourish"}
    # Every facility key in the data raises an unmapped-store notification until it is mapped.
    notes = hub.api.get("/api/v1/loyalty/notifications").json()
    assert {n["location_key"] for n in notes} == {"101", "102", "103"}
    store = hub.api.post("/api/v1/stores", json={"name": "Ann Arbor"}).json()
    mapping = next(n for n in notes if n["location_key"] == "101")
    assert (
        hub.api.put(
            f"/api/v1/loyalty/store-mappings/{mapping['mapping_id']}", json={"store_id": store["id"]}
        ).status_code
        == 200
    )
    assert {n["location_key"] for n in hub.api.get("/api/v1/loyalty/notifications").json()} == {"102", "103"}
    sale(loyalty_flourish, "70001", "101")
    hub.sync(source, PULL)
    assert persona_of(hub, "70001")["favorite_store_id"] == store["id"]
    health = hub.api.get("/api/v1/loyalty/health").json()
    assert health["personas_by_source"]["Flourish"] == len(everyone)
    assert health["sources"][0]["last_data_received_at"] and set(health["sources"][0]["unmapped_location_keys"]) == {
        "102",
        "103",
    }


def test_sync_to_state_keeps_other_regions_out(hub: Hub, loyalty_flourish: Sandbox):
    source = connect_loyalty(hub, loyalty_flourish, regions=["MI"], sync_to_state=True)
    hub.sync(source, PULL)
    michigan = [c for c in loyalty_flourish.state.customers() if c["state"] == "MI"]
    assert len(michigan) < len(loyalty_flourish.state.customers())
    assert len(personas(hub)) == len(michigan) and {p["state"] for p in personas(hub)} == {"MI"}


def test_enrolment_after_a_date_earns_points_once_per_sale(hub: Hub, loyalty_flourish: Sandbox):
    source = connect_loyalty(hub, loyalty_flourish)
    hub.sync(source, PULL)
    cutoff = (datetime.now(UTC) - timedelta(days=30)).date()
    preview = hub.api.post("/api/v1/loyalty/program/dates/preview", json={"enroll_after": cutoff.isoformat()}).json()
    assert preview["would_enroll"] > 0 and preview["would_lose_membership"] == preview["would_lose_points"] == 0
    saved = hub.api.put("/api/v1/loyalty/program/dates", json={"enroll_after": cutoff.isoformat()}).json()
    assert saved["enrolled"] == preview["would_enroll"]
    casey = persona_of(hub, "70002")
    earned = [e for e in casey["ledger"] if e["kind"] == "earn"]
    assert casey["enrolled"] and casey["points"] == sum(e["points"] for e in earned)
    before = casey["points"]
    sale(loyalty_flourish, "70002", "102", dollars=55.0)
    hub.sync(source, PULL)
    hub.sync(source, PULL)  # seen again: earns nothing more
    assert persona_of(hub, "70002")["points"] == before + 55
    # Removing the date later takes nothing away from anybody.
    hub.api.put("/api/v1/loyalty/program/dates", json={"enroll_after": None})
    after = persona_of(hub, "70002")
    assert after["enrolled"] and after["points"] == before + 55


def test_sync_personas_brings_pos_edits_from_the_day_it_is_on_and_never_echoes(hub: Hub, loyalty_flourish: Sandbox):
    source = connect_loyalty(hub, loyalty_flourish)
    hub.sync(source, PULL)
    edit = {"email": "before.sync@example.com"}
    loyalty_flourish.control.patch("/_sandbox/customers/70002", json=edit).raise_for_status()
    hub.sync(source, PULL)
    assert persona_of(hub, "70002")["email"] != "before.sync@example.com"  # Sync Personas is off
    hub.api.patch(f"/api/v1/integrations/{source}", json={"settings": {"sync_personas": True}})
    hub.sync(source, PULL)
    assert persona_of(hub, "70002")["email"] != "before.sync@example.com"  # the edit predates switching it on
    time.sleep(0.01)
    loyalty_flourish.control.patch("/_sandbox/customers/70002", json={"email": "casey.new@example.com"})
    hub.sync(source, PULL)
    casey = persona_of(hub, "70002")
    assert casey["email"] == "casey.new@example.com"
    # Contact edits in cannasync are refused for a shopper the POS knows: the POS is the source of truth.
    refused = hub.api.patch(f"/api/v1/loyalty/personas/{casey['id']}", json={"email": "mine@example.com"})
    assert refused.status_code == 409 and "source of truth" in refused.json()["detail"]
    # A signup nobody in Flourish matches is created there, once, and does not come back as a new change.
    signed = hub.api.post(
        "/api/v1/loyalty/signup",
        json={
            "first_name": "Nia",
            "last_name": "Vale",
            "phone": "555-404-5050",
            "email": "nia@example.com",
            "date_of_birth": "1991-01-01",
        },
    )
    assert signed.status_code == 201 and signed.json()["sourced_from"] == "Signup" and signed.json()["enrolled"]
    created = wait_for(
        lambda: [c for c in loyalty_flourish.state.customers() if c.get("email") == "nia@example.com"],
        "the signup to reach Flourish",
    )
    assert len(created) == 1
    count = len(personas(hub))
    run = hub.sync(source, PULL)
    assert len(personas(hub)) == count and run["counts"]["updated"] == 0
    nia = persona_of(hub, created[0]["id"])
    assert nia["sourced_from"] == "Signup"


def test_sms_double_opt_in_after_a_date(hub: Hub, loyalty_flourish: Sandbox, sms: Sandbox):
    source = connect_loyalty(hub, loyalty_flourish)
    gateway = connect_sms(hub, sms)
    hub.sync(source, PULL)
    cutoff = (datetime.now(UTC) - timedelta(days=20)).date().isoformat()
    preview = hub.api.post("/api/v1/loyalty/program/dates/preview", json={"sms_opt_in_after": cutoff}).json()
    assert preview["would_request_sms_opt_in"] > 0
    hub.api.put("/api/v1/loyalty/program/dates", json={"sms_opt_in_after": cutoff})
    hub.sync(gateway, "sms_opt_in")  # (the daily run scheduled at connect may have sent them already)
    sent = sms.control.get("/_sandbox/messages").json()["data"]
    runs = hub.api.get(f"/api/v1/integrations/{gateway}/runs", params={"flow": "sms_opt_in"}).json()
    assert len(sent) == preview["would_request_sms_opt_in"] == sum(r["counts"].get("created", 0) for r in runs)
    assert all("reply YES" in message["body"] for message in sent)
    hub.sync(gateway, "sms_opt_in")
    assert len(sms.control.get("/_sandbox/messages").json()["data"]) == len(sent)  # each shopper asked once
    yes, no = sent[0]["to"], sent[-1]["to"]
    assert sms.control.post("/_sandbox/reply", json={"from": yes, "body": "YES"}).json()["status_code"] == 200
    assert sms.control.post("/_sandbox/reply", json={"from": no, "body": "stop"}).json()["status_code"] == 200
    states = {p["phone"]: p["consent"].get("sms") for p in personas(hub)}
    assert states[yes[2:]] == "confirmed" and states[no[2:]] == "declined"
    # A forged reply (wrong signature) changes nothing.
    path = hub.api.get(f"/api/v1/integrations/{gateway}").json()["inbound_path"]
    forged = httpx2.post(
        hub.server.url + path,
        content=b'{"id":"x","from":"' + no.encode() + b'","body":"YES"}',
        headers={"X-SMS-Signature": "0" * 64},
    )
    assert forged.status_code == 401
    # Moving the date later never takes anybody's consent away.
    hub.api.put("/api/v1/loyalty/program/dates", json={"sms_opt_in_after": None})
    assert {p["phone"]: p["consent"].get("sms") for p in personas(hub)}[yes[2:]] == "confirmed"


def test_rewards_are_redeemed_at_the_pos_once_and_matched_to_the_sale(hub: Hub, loyalty_flourish: Sandbox):
    source = connect_loyalty(hub, loyalty_flourish)
    hub.sync(source, PULL)
    hub.api.put(
        "/api/v1/loyalty/program/dates",
        json={"enroll_after": (datetime.now(UTC) - timedelta(days=90)).date().isoformat()},
    )
    missing = hub.api.post(
        "/api/v1/loyalty/rewards",
        json={
            "integration_id": source,
            "name": "$5 off",
            "kind": "flat",
            "value": 5,
            "points_cost": 50,
            "pos_discount_id": "999",
        },
    )
    assert missing.status_code == 422 and "create the discount in Flourish first" in missing.json()["detail"]
    reward = hub.api.post(
        "/api/v1/loyalty/rewards",
        json={
            "integration_id": source,
            "name": "$5 off",
            "kind": "flat",
            "value": 5,
            "points_cost": 50,
            "pos_discount_id": "501",
        },
    ).json()
    sale(loyalty_flourish, "70001", dollars=120.0)
    hub.sync(source, PULL)
    pos = httpx2.Client(base_url=hub.server.url, auth=("demo", "demo-key"), timeout=10)
    assert httpx2.get(f"{hub.server.url}/pos/v1/loyalty/customers/70001/rewards", auth=("demo", "x")).status_code == 401
    offer = pos.get("/pos/v1/loyalty/customers/70001/rewards").json()
    start = offer["balance"]
    assert start >= 120 and offer["rewards"][0]["redeemable"] is True
    body = {"customer_id": "70001", "reward_id": reward["id"], "reference": "flourish-redemption-1"}
    first = pos.post("/pos/v1/loyalty/redemptions", json=body)
    again = pos.post("/pos/v1/loyalty/redemptions", json=body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["balance"] == again.json()["balance"] == start - 50
    # The sale that used the discount arrives later: matched to the redemption, not charged twice.
    sale(loyalty_flourish, "70001", dollars=0.0, discounts=[{"discount_id": "501", "discount_amount": 5}])
    hub.sync(source, PULL)
    assert persona_of(hub, "70001")["points"] == start - 50
    # Past the balance: refused, nothing charged.
    poor = pos.post("/pos/v1/loyalty/redemptions", json={**body, "reference": "r-2"})
    while poor.status_code == 201:
        poor = pos.post("/pos/v1/loyalty/redemptions", json={**body, "reference": f"r-{time.monotonic_ns()}"})
    assert poor.status_code == 409 and "balance" in poor.json()["detail"]
    assert persona_of(hub, "70001")["points"] >= 0
    pos.close()


def test_use_last_backup_freezes_the_source_and_resumes_where_it_stopped(hub: Hub, loyalty_flourish: Sandbox):
    source = connect_loyalty(hub, loyalty_flourish)
    hub.sync(source, PULL)
    count = len(personas(hub))
    hub.api.patch(f"/api/v1/integrations/{source}", json={"settings": {"use_last_backup": True}})
    calls = sum(loyalty_flourish.requests().values())
    loyalty_flourish.control.post(
        "/_sandbox/customers",
        json={
            "first_name": "Late",
            "last_name": "Comer",
            "dob": "1980-02-02",
            "phone": "5557778888",
            "facility_id": "101",
        },
    ).raise_for_status()
    run = hub.sync(source, PULL)
    assert run["status"] == "succeeded"
    assert sum(loyalty_flourish.requests().values()) == calls  # no call to Flourish at all
    assert len(personas(hub)) == count
    hub.api.patch(f"/api/v1/integrations/{source}", json={"settings": {"use_last_backup": False}})
    hub.sync(source, PULL)
    assert len(personas(hub)) == count + 1
