"""Cancelling a Flourish retail order through the API, as Flourish's own WooCommerce plugin does it
(flourishsoftware/flourish-woocommerce-b2c, src/Handlers/HandlerOrdersCancel.php), against the sandbox over HTTP."""

from __future__ import annotations

import httpx2
import pytest

from cannasync.connectors.base import CancelRefused
from cannasync.connectors.flourish.connector import FlourishConnector
from cannasync.connectors.flourish.settings import FlourishCredentials, FlourishSettings
from cannasync.domain.orders import Fulfillment
from tests.conftest import FACILITY, Sandbox


def _flourish_api(flourish: Sandbox) -> httpx2.Client:
    return httpx2.Client(
        base_url=flourish.api_url, headers={"x-api-key": "demo-key", "FacilityID": FACILITY}, timeout=10
    )


def test_flourish_cancels_a_created_order_and_refuses_a_submitted_one(flourish: Sandbox):
    """The one status change Flourish's API makes, as its own plugin does it (HandlerOrdersCancel.php)."""
    connector = FlourishConnector(
        FlourishCredentials(username="demo", api_key="demo-key"),
        FlourishSettings(base_url=flourish.api_url, facility_id=FACILITY),
    )
    customer_id = flourish.state.customers()[0]["id"]
    ids = {}
    with _flourish_api(flourish) as api:
        item = api.get("/v1/items/", params={"limit": 1, "sellable": "true"}).json()["data"][0]["id"]
        for status in ("created", "submitted"):
            body = {
                "original_order_id": f"1001-S{status}",
                "customer_id": customer_id,
                "order_status": status,
                "order_lines": [{"item_id": item, "order_qty": 1, "unit_price": 10.0}],
            }
            ids[status] = api.post("/v2/retail-orders/", json=body).json()["data"]["id"]
    try:
        assert connector.cancel_order(ids["created"]) == "Cancelled"
        assert connector.cancel_order(ids["created"]) == "Cancelled"  # again: nothing to do, no error
        with pytest.raises(CancelRefused, match="Submitted"):
            connector.cancel_order(ids["submitted"])
    finally:
        connector.close()
    statuses = {o["id"]: o["order_status"] for o in flourish.state.orders()}
    assert statuses == {ids["created"]: "Cancelled", ids["submitted"]: "Submitted"}
    assert flourish.requests()["PUT /external/api/v1/retail-orders/{order_id}/"] == 1  # read first, as the plugin


def test_an_order_is_followed_and_cancelled_after_the_store_picks_another_facility(flourish: Sandbox):
    """The order is read with the API key alone (as the vendor's plugin reads it) and cancelled with its own
    facility's FacilityID, so choosing another facility later does not lose the orders pushed before."""
    customer_id = flourish.state.customers()[0]["id"]
    with _flourish_api(flourish) as api:
        item = api.get("/v1/items/", params={"limit": 1, "sellable": "true"}).json()["data"][0]["id"]
        body = {
            "original_order_id": "1002-S1",
            "customer_id": customer_id,
            "order_status": "created",
            "order_lines": [{"item_id": item, "order_qty": 1, "unit_price": 10.0}],
        }
        order_id = api.post("/v2/retail-orders/", json=body).json()["data"]["id"]  # at facility 101
    connector = FlourishConnector(
        FlourishCredentials(username="demo", api_key="demo-key"),
        FlourishSettings(base_url=flourish.api_url, facility_id="102"),
    )
    try:
        assert connector.order_status(order_id, Fulfillment.PICKUP).raw == "Created"
        assert connector.cancel_order(order_id) == "Cancelled"
    finally:
        connector.close()
    assert {o["id"]: o["order_status"] for o in flourish.state.orders()} == {order_id: "Cancelled"}
