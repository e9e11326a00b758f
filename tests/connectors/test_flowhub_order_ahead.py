"""The Flowhub connector's Order Ahead side against the sandbox over real HTTP: the grant, its cache and renewal,
the bearer-only calls, and finding an order again in the documented sales list."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import structlog

from cannasync.connectors.base import CustomerDetails, PosOrder, PosOrderLine
from cannasync.connectors.flowhub import auth, mapping
from cannasync.connectors.flowhub.connector import FlowhubConnector
from cannasync.connectors.flowhub.settings import DEFAULT_TOKEN_URL, FlowhubCredentials, FlowhubSettings
from cannasync.connectors.http import AuthenticationFailed
from cannasync.domain.orders import Fulfillment
from tests.conftest import FLOWHUB_CREDENTIALS, FlowhubSandbox

EAST = "loc-eastside"
GRANTS = "POST /oauth/token"


@pytest.fixture(autouse=True)
def no_cached_tokens() -> Iterator[None]:
    auth.forget_tokens()
    yield
    auth.forget_tokens()


def connector(sandbox: FlowhubSandbox, **changes: Any) -> FlowhubConnector:
    credentials = FlowhubCredentials.model_validate({**FLOWHUB_CREDENTIALS, **changes.pop("credentials", {})})
    settings = FlowhubSettings.model_validate(
        {**sandbox.where, "location_id": EAST, "sync_orders": True, "requests_per_second": 1000, **changes}
    )
    return FlowhubConnector(credentials, settings)


def grants(sandbox: FlowhubSandbox) -> int:
    return int(sandbox.control.get("/_sandbox/requests").json().get(GRANTS, 0))


def an_order(sandbox: FlowhubSandbox, reference: str, quantity: int = 2) -> PosOrder:
    product = next(
        row
        for row in sandbox.state.inventory(EAST, "inventoryNonZero")
        if row["productId"] not in sandbox.state.malformed_ids
    )
    return PosOrder(
        reference=reference,
        customer_pos_id=None,
        customer=CustomerDetails("Alex", "Kim", date(1990, 3, 3), "5553004000", "alex@example.com"),
        fulfillment=Fulfillment.PICKUP,
        is_medical=False,
        placed_at=datetime.now(UTC),
        lines=[PosOrderLine(str(product["productId"]), product["sku"], product["productName"], quantity, 1000, 0)],
    )


def test_the_token_url_defaults_to_flowhubs_auth0_tenant() -> None:
    assert FlowhubSettings().token_url == DEFAULT_TOKEN_URL == "https://flowhub.auth0.com/oauth/token"


def test_one_grant_serves_every_call_and_every_connector_of_the_credential(flowhub: FlowhubSandbox) -> None:
    first, second = connector(flowhub), connector(flowhub)
    try:
        assert first.order_status("OA-404", Fulfillment.PICKUP).raw == "(not found)"
        assert first.order_status("OA-405", Fulfillment.PICKUP).raw == "(not found)"
        assert second.order_status("OA-406", Fulfillment.PICKUP).raw == "(not found)"
        assert grants(flowhub) == 1
    finally:
        first.close()
        second.close()


def test_a_token_refused_with_401_is_granted_again_once(flowhub: FlowhubSandbox) -> None:
    link = connector(flowhub)
    try:
        pos_id = link.create_order(an_order(flowhub, "WEB-71"))
        assert flowhub.control.post("/_sandbox/oauth/expire").json() == {"expired": 1}
        assert link.order_status(pos_id, Fulfillment.PICKUP).raw == "new"  # the 401, a new grant, the retry
        assert grants(flowhub) == 2
    finally:
        link.close()


def test_a_slow_grant_before_a_create_is_retried_as_a_read_and_the_order_made_once(flowhub: FlowhubSandbox) -> None:
    link = connector(flowhub, timeout_seconds=0.5)
    flowhub.fault(method="POST", path_prefix="/oauth/token", mode="delay", delay_seconds=1.5)
    try:
        pos_id = link.create_order(an_order(flowhub, "WEB-76"))  # the grant timed out once, then was granted
        link.create_order(an_order(flowhub, "WEB-77"))  # with a token in hand: no grant, no check first
    finally:
        link.close()
    assert [order["orderId"] for order in flowhub.orders()][:1] == [pos_id] and len(flowhub.orders()) == 2
    counts = flowhub.control.get("/_sandbox/requests").json()
    assert (counts[GRANTS], counts["GET /authTest"]) == (2, 1)


def test_order_ahead_sends_the_bearer_alone_and_never_logs_it(flowhub: FlowhubSandbox) -> None:
    link = connector(flowhub)
    try:
        with structlog.testing.capture_logs() as logs:
            pos_id = link.create_order(an_order(flowhub, "WEB-72"))
            link.order_status(pos_id, Fulfillment.PICKUP)
    finally:
        link.close()
    # The sandbox refuses an Order Ahead call carrying clientId/key: the order exists, so none was sent.
    (stored,) = flowhub.orders()
    assert (stored["orderId"], stored["locationId"]) == (pos_id, EAST)
    body = mapping.order_body(an_order(flowhub, "WEB-72"))
    assert "locationId" not in body and "externalId" not in body  # neither is in the documented create body
    tokens = flowhub.state.tenant.tokens()
    assert tokens and not any(token in repr(entry) for entry in logs for token in tokens)


def test_the_connection_check_makes_a_new_grant_and_names_a_refused_one(flowhub: FlowhubSandbox) -> None:
    good = connector(flowhub)
    try:
        assert [location.detail for location in good.locations()] == ["America/Detroit", "America/Detroit"]
        assert good.locations() and grants(flowhub) == 2  # each check proves the grant anew
    finally:
        good.close()
    wrong = connector(flowhub, credentials={"order_ahead_token": "not-the-secret"})
    try:
        with pytest.raises(AuthenticationFailed) as refused:
            wrong.locations()
        assert "order-ahead grant was refused" in str(refused.value)
        assert "not-the-secret" not in str(refused.value)
    finally:
        wrong.close()
    menu_only = connector(flowhub, credentials={"order_ahead_token": "not-the-secret"}, sync_orders=False)
    try:
        assert len(menu_only.locations()) == 2  # no orders pushed: the grant is not asked for
    finally:
        menu_only.close()


def test_a_lost_create_is_found_in_the_sales_list_by_what_it_holds(flowhub: FlowhubSandbox) -> None:
    """Flowhub keeps no order reference of ours, so every Order Ahead sale since the day before is a candidate,
    carrying what the documented Sale tells: lines, customer name and creation time (the push compares them)."""
    link = connector(flowhub)
    try:
        order = an_order(flowhub, "WEB-73", quantity=3)
        pos_id = link.create_order(order)
        other = an_order(flowhub, "WEB-74")
        other_id = link.create_order(replace(other, customer=replace(other.customer, first_name="Dee")))
        found = {placed.pos_order_id: placed for placed in link.find_orders("WEB-73", order.placed_at)}
        assert {pos_id, other_id} <= set(found)
        ours = found[pos_id]
        assert (ours.reference, ours.customer_name) == (None, "Alex Kim")
        assert ours.quantities == {order.lines[0].pos_item_id: 3}
        assert ours.created_at is not None and abs(ours.created_at - datetime.now(UTC)) < timedelta(minutes=5)
        assert found[other_id].customer_name == "Dee Kim"
        counts = flowhub.control.get("/_sandbox/requests").json()
        assert counts.get("GET /v1/orders/findByLocationId/{importId}", 0) >= 1
    finally:
        link.close()
