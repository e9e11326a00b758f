"""The Orders screen over real HTTP: tabs by status, the detail slide-out, confirm (and the POS order id arriving),
cancel, the keep-holding switch, CSRF and tenancy."""

from __future__ import annotations

import re
from typing import Any

from tests.conftest import MERCHANT_EMAIL, Connected, Console, Hub, Sandbox, wait_for
from tests.flows.support import MEDICAL_PATIENT, place, stocked


def new_order(hub: Hub, link: Connected, **body: Any) -> dict[str, Any]:
    product = stocked(hub, link)[0]
    return place(
        hub,
        link,
        {
            "customer": MEDICAL_PATIENT,
            "is_medical": True,
            "lines": [{"product_id": product["id"], "quantity": 2}],
            "offers": [{"label": "Spring 10%", "kind": "percent", "value": "10"}],
            "fees": [{"name": "Bag fee", "amount_cents": 10}],
            **body,
        },
    )


def tab_count(html: str, status: str) -> int:
    found = re.search(rf'data-testid="tab-{status}">[^<]*<span class="tab-count"[^>]*>(\d+)</span>', html)
    assert found, f"a {status} tab with its count"
    return int(found.group(1))


def shown_in(html: str, name: str) -> str:
    found = re.search(rf'data-testid="{name}"[^>]*>(.*?)</', html, re.S)
    assert found, f"{name} is shown"
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


def test_orders_are_listed_by_status_with_counts(hub: Hub, merchant: Console, connected: Connected):
    first = new_order(hub, connected)
    second = new_order(hub, connected)
    hub.api.post(f"/api/v1/orders/{second['id']}/cancel", json={"reason": "duplicate"})
    page = merchant.get(f"/console/stores/{connected.store_id}/orders")
    assert page.status_code == 200
    assert tab_count(page.text, "all") == 2
    assert tab_count(page.text, "pending") == 1 and tab_count(page.text, "cancelled") == 1
    assert len(re.findall(r'data-testid="order-row"', page.text)) == 2
    assert f"#{first['number']}" in page.text and "Jordan Rivera" in page.text

    pending = merchant.get(f"/console/stores/{connected.store_id}/orders", params={"status": "pending"}).text
    assert f'data-order-id="{first["id"]}"' in pending and f'data-order-id="{second["id"]}"' not in pending
    assert merchant.get(f"/console/stores/{connected.store_id}/orders", params={"status": "lost"}).status_code == 404


def test_the_slide_out_shows_the_whole_order(hub: Hub, merchant: Console, connected: Connected):
    order = new_order(hub, connected)
    detail = merchant.get(f"/console/orders/{order['id']}", headers={"HX-Request": "true"})
    assert detail.status_code == 200
    html = detail.text
    assert "<html" not in html  # a fragment for #slideout
    assert shown_in(html, "order-status") == "Pending"
    assert order["lines"][0]["name"] in html
    assert "Spring 10%" in html and "Bag fee" in html
    assert shown_in(html, "order-total") == f"${order['total_cents'] / 100:,.2f}"
    assert "MED-100200" in html  # the customer's medical id
    assert "order placed" in html  # the history
    assert 'data-testid="confirm"' in html and 'data-testid="cancel"' in html
    assert "Not in the POS" in shown_in(html, "pos-order-id")
    assert 'hx-trigger="every 3s' not in html  # nothing to wait for yet


def test_confirming_pushes_it_and_the_pos_order_id_appears(
    hub: Hub, merchant: Console, connected: Connected, flourish: Sandbox
):
    order = new_order(hub, connected)
    confirmed = merchant.post(f"/console/orders/{order['id']}/confirm")
    assert confirmed.status_code == 200, confirmed.text
    assert "Confirmed." in confirmed.text
    assert 'hx-trigger="every 3s' in confirmed.text  # it waits for the POS: the slide-out refreshes itself
    assert 'hx-swap-oob="true"' in confirmed.text  # and updates its row in the list

    def pushed() -> str | None:
        html = merchant.get(f"/console/orders/{order['id']}", params={"refresh": 1}).text
        return html if "<code>" in html.split('data-testid="pos-order-id"')[1][:200] else None

    html = wait_for(pushed, "the POS order id")
    pos_order_id = hub.order(order["id"])["pos_order_id"]
    assert shown_in(html, "pos-order-id") == pos_order_id
    assert shown_in(html, "order-status") == "Submitted"
    assert 'data-testid="push-attempts"' in html and "Done" in html
    assert 'data-testid="confirm"' not in html

    flourish.move(pos_order_id, "Completed")
    hub.sync(connected.integration_id, "order_status")
    closed = merchant.get(f"/console/orders/{order['id']}", params={"refresh": 1}).text
    assert shown_in(closed, "order-status") == "Closed" and shown_in(closed, "pos-status") == "Completed"
    assert 'hx-trigger="every 3s' not in closed  # nothing more will come from the POS
    listed = merchant.get(f"/console/stores/{connected.store_id}/orders").text
    assert pos_order_id in listed


def test_cancel_with_a_reason_and_the_keep_holding_switch(hub: Hub, merchant: Console, connected: Connected):
    order = new_order(hub, connected)
    switched = merchant.post(f"/console/orders/{order['id']}/keep-holding", {"keep_holding": "on"})
    assert switched.status_code == 200 and "stays held" in switched.text
    assert hub.order(order["id"])["keep_holding"] is True
    merchant.post(f"/console/orders/{order['id']}/keep-holding", {})
    assert hub.order(order["id"])["keep_holding"] is False

    cancelled = merchant.post(f"/console/orders/{order['id']}/cancel", {"reason": "customer called"})
    assert shown_in(cancelled.text, "order-status") == "Cancelled"
    assert "customer called" in cancelled.text
    assert 'data-testid="cancel"' not in cancelled.text
    detail = hub.order(order["id"])
    assert detail["status"] == "cancelled" and all(h["released_at"] for h in detail["holds"])
    again = merchant.post(f"/console/orders/{order['id']}/confirm")
    assert "Not confirmed" in again.text  # a cancelled order can no longer change
    # Each change is in the order's history with who made it: the person signed in to the console.
    changes = hub.api.get(f"/api/v1/orders/{order['id']}/history").json()
    assert [(c["changes"], c["by"]) for c in changes] == [
        ({"status": {"from": "pending", "to": "cancelled"}}, MERCHANT_EMAIL),
        ({"keep_holding": {"from": True, "to": False}}, MERCHANT_EMAIL),
        ({"keep_holding": {"from": False, "to": True}}, MERCHANT_EMAIL),
    ]
    shown = re.findall(r'data-testid="changed-by">([^<]*)<', again.text)
    assert shown == [MERCHANT_EMAIL] * 3  # and in its slide-out


def test_changes_need_the_csrf_token(hub: Hub, merchant: Console, connected: Connected):
    order = new_order(hub, connected)
    for action in ("confirm", "cancel", "keep-holding"):
        assert merchant.client.post(f"/console/orders/{order['id']}/{action}").status_code == 403
    assert hub.order(order["id"])["status"] == "pending"


def test_another_organizations_order_is_not_found(hub: Hub, merchant: Console, connected: Connected):
    order = new_order(hub, connected)
    with hub.db.uow() as uow:  # the store (and its order) now belongs to another organization
        rival = uow.accounts.organization_named("Rival Co.")
        store = uow.accounts.store(connected.store_id)
        assert store is not None
        store.organization_id = rival.id
    assert merchant.get(f"/console/orders/{order['id']}").status_code == 404
    assert merchant.post(f"/console/orders/{order['id']}/confirm").status_code == 404
    assert merchant.post(f"/console/orders/{order['id']}/cancel").status_code == 404
    assert merchant.get(f"/console/stores/{connected.store_id}/orders").status_code == 404
    assert hub.order(order["id"]).get("status") is None  # the API agrees: not ours
