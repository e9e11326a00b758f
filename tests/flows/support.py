"""Small helpers shared by the flow tests: pick stocked products, place orders through the API."""

from __future__ import annotations

from typing import Any

from tests.conftest import Connected, Hub, wait_for

MEDICAL_PATIENT = {
    "first_name": "Jordan",
    "last_name": "Rivera",
    "medical_id": "MED-100200",
    "date_of_birth": "1985-04-12",
}  # a Flourish customer, found by patient_id


def stocked(hub: Hub, link: Connected, at_least: int = 3, count: int = 3) -> list[dict[str, Any]]:
    page = hub.api.get(f"/api/v1/stores/{link.store_id}/products", params={"limit": 200}).json()["data"]
    found = [p for p in page if p["available_quantity"] >= at_least and p["rec_price_cents"]]
    assert len(found) >= count, "the sandbox catalogue needs stocked products"
    return found[:count]


def place(hub: Hub, link: Connected, body: dict[str, Any], key: str | None = None) -> dict[str, Any]:
    headers = {"Idempotency-Key": key} if key else {}
    answer = hub.api.post(f"/api/v1/stores/{link.store_id}/orders", json=body, headers=headers)
    assert answer.status_code in (200, 201), answer.text
    return dict(answer.json())


def confirm_and_wait_for_push(hub: Hub, order_id: int, timeout: float = 20.0) -> dict[str, Any]:
    answer = hub.api.post(f"/api/v1/orders/{order_id}/confirm")
    assert answer.status_code == 200, answer.text
    return dict(wait_for(lambda: (o := hub.order(order_id))["pos_order_id"] and o, "the push", timeout))
