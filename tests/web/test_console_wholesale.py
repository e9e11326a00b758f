"""Organization > Wholesale over real HTTP against the Flourish and LeafLink sandboxes, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from tests.conftest import Console, Hub, Wholesale

FLOW = "wholesale_sync"
RULES_ON = {"inventory_from_flourish": "on", "descriptions_from_flourish": "on", "create_on": ["submitted", "accepted"]}


def listing(body: Any) -> list[dict[str, Any]]:
    return list(body["data"] if isinstance(body, dict) else body)


def settings_of(hub: Hub, integration_id: int) -> dict[str, Any]:
    with hub.db.uow() as uow:
        row = uow.accounts.integration(integration_id)
        assert row is not None
        return dict(row.settings)


def second_account(hub: Hub, w: Wholesale) -> int:
    """LeafLink company 2 ("Lakeshore Botanicals") as a second account selling from the same Flourish facility."""
    answer = hub.api.post(
        "/api/v1/integrations",
        json={
            "vendor": "leaflink",
            "name": "LeafLink - Lakeshore",
            "credentials": {"api_key": "ll-key-company-2"},
            "settings": {
                "base_url": f"{w.leaflink.server.url}/api/v2",
                "flourish_integration_id": w.flourish_integration_id,
                "brands": ["Lakeshore Botanicals"],
                "requests_per_second": 1000,
            },
        },
    )
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


def test_each_account_shows_the_flourish_connection_it_sells_from_and_can_be_unlinked(
    hub: Hub, merchant: Console, wholesale: Wholesale
):
    page = merchant.get("/console/wholesale")
    assert page.status_code == 200
    assert "LeafLink - Great Lakes Growers" in page.text and ">Linked<" in page.text
    assert f'value="{wholesale.flourish_integration_id}" selected>Great Lakes Growers HQ · Flourish facility 101' in (
        page.text
    )

    unlinked = merchant.post(
        f"/console/wholesale/links/{wholesale.link_id}", {"flourish_integration_id": "", **RULES_ON}
    )
    assert unlinked.status_code == 200, unlinked.text
    assert "Not linked to Flourish" in unlinked.text and "Saved." in unlinked.text
    assert settings_of(hub, wholesale.link_id)["flourish_integration_id"] is None
    assert settings_of(hub, wholesale.link_id)["brands"] == ["Glacier Lake", "North Coast"]  # the rest is kept

    merchant.post(
        f"/console/wholesale/links/{wholesale.link_id}",
        {"flourish_integration_id": wholesale.flourish_integration_id, **RULES_ON},
    )
    assert settings_of(hub, wholesale.link_id)["flourish_integration_id"] == wholesale.flourish_integration_id


def test_source_of_truth_rules_are_toggles_that_say_what_they_mean(hub: Hub, merchant: Console, wholesale: Wholesale):
    page = merchant.get("/console/wholesale")
    assert "Inventory levels follow Flourish" in page.text and "Product descriptions follow Flourish" in page.text
    assert "the bridge never changes them" in page.text  # what "off" means is said before it is chosen
    saved = merchant.post(
        f"/console/wholesale/links/{wholesale.link_id}",
        {
            "flourish_integration_id": wholesale.flourish_integration_id,
            "descriptions_from_flourish": "on",
            "create_on": ["accepted", "backorder"],
        },
    )
    assert saved.status_code == 200
    settings = settings_of(hub, wholesale.link_id)
    assert settings["inventory_from_flourish"] is False and settings["descriptions_from_flourish"] is True
    assert settings["create_on"] == ["accepted", "backorder"]
    assert 'name="inventory_from_flourish" >' in saved.text.replace("  ", " ")  # drawn unticked now
    none = merchant.post(
        f"/console/wholesale/links/{wholesale.link_id}",
        {"flourish_integration_id": wholesale.flourish_integration_id},
    )
    assert none.status_code == 422 and "Choose at least one LeafLink status" in none.text
    assert settings_of(hub, wholesale.link_id)["create_on"] == ["accepted", "backorder"]


def test_brand_and_sales_rep_routing_are_editable_tables(hub: Hub, merchant: Console, wholesale: Wholesale):
    lakeshore = second_account(hub, wholesale)
    page = merchant.get("/console/wholesale/routing")
    assert 'value="North Coast"' in page.text and 'value="Lakeshore Botanicals"' in page.text
    # North Coast moves to the second account; Glacier Lake stays; a new brand is added to the first.
    saved = merchant.post(
        "/console/wholesale/brands",
        {
            "brand": ["Glacier Lake", "North Coast", "Lakeshore Botanicals", "Sunrise Farms", ""],
            "account": [wholesale.link_id, lakeshore, lakeshore, wholesale.link_id, wholesale.link_id],
        },
    )
    assert saved.status_code == 200 and "Brand routing saved" in saved.text
    assert settings_of(hub, wholesale.link_id)["brands"] == ["Glacier Lake", "Sunrise Farms"]
    assert settings_of(hub, lakeshore)["brands"] == ["North Coast", "Lakeshore Botanicals"]

    reps = merchant.post(
        f"/console/wholesale/links/{wholesale.link_id}/reps", {"rep": ["102", "103", ""], "facility": ["102", "", ""]}
    )
    assert reps.status_code == 422 and "Give sales rep 103 a Flourish facility" in reps.text
    assert settings_of(hub, wholesale.link_id)["sales_rep_facilities"] == {}
    reps = merchant.post(
        f"/console/wholesale/links/{wholesale.link_id}/reps", {"rep": ["102", ""], "facility": ["102", ""]}
    )
    assert reps.status_code == 200 and "sales rep routing saved" in reps.text
    assert settings_of(hub, wholesale.link_id)["sales_rep_facilities"] == {"102": "102"}
    assert 'value="102" list="facilities"' in reps.text


def test_order_pairs_show_both_sides_statuses(hub: Hub, merchant: Console, wholesale: Wholesale):
    assert "No wholesale orders yet" in merchant.get("/console/wholesale/orders").text
    hub.sync(wholesale.link_id, FLOW)
    products = [
        p["id"]
        for p in listing(wholesale.leaflink.control.get("/_sandbox/products").json())
        if isinstance(p.get("external_ids"), dict) and "flourish" in p["external_ids"]
    ][:1]
    placed = wholesale.leaflink.control.post(
        "/_sandbox/orders",
        json={
            "company_id": 1,
            "customer_id": 1001,
            "status": "Submitted",
            "lines": [{"product_id": pid, "quantity": 2} for pid in products],
            "payment_term_code": "net30",
        },
    )
    assert placed.status_code == 201, placed.text
    number = placed.json()["number"]
    hub.sync(wholesale.link_id, FLOW)
    with hub.db.uow() as uow:
        pair = uow.wholesale.order(wholesale.link_id, number)
        assert pair is not None and pair.pos_order_id
        flourish_id, flourish_status, ll_status = pair.pos_order_id, pair.pos_status, pair.market_status
        everyone = uow.wholesale.orders(wholesale.link_id)  # the sandbox's own seeded orders come in too
        total, conflicts = len(everyone), sum(1 for p in everyone if p.conflict)

    page = merchant.get("/console/wholesale/orders")
    row = page.text.split(f'data-order="{number}"')[1].split("</tr>")[0]
    assert f'title="{number}">{number[:8]}…</b>' in row  # a long LeafLink number, shortened, whole on hover
    assert f'data-testid="leaflink-status">{ll_status.capitalize()}<' in row
    assert f"<code>{flourish_id}</code>" in row and f'data-testid="flourish-status">{flourish_status}<' in row
    assert f"1–{min(total, 25)} of {total}" in page.text
    assert "Net 30" in row  # the buyer's payment term, as both sides name it
    waiting = merchant.get("/console/wholesale/orders", params={"conflicts": "true"}).text
    assert f'data-order="{number}"' not in waiting  # only the orders left for a person
    assert waiting.count("data-order=") == waiting.count('class="has-conflict"') == min(conflicts, 25)
    if not conflicts:
        assert "Nothing needs a person" in waiting
    assert merchant.get("/console/wholesale/orders", params={"link": ""}).status_code == 200


def test_wholesale_forms_need_the_csrf_token_and_your_own_account(hub: Hub, merchant: Console, wholesale: Wholesale):
    refused = merchant.client.post(
        f"/console/wholesale/links/{wholesale.link_id}", data={"flourish_integration_id": "", **RULES_ON}
    )
    assert refused.status_code == 403
    assert merchant.client.post("/console/wholesale/brands", data={"brand": "X", "account": "1"}).status_code == 403
    assert settings_of(hub, wholesale.link_id)["flourish_integration_id"] == wholesale.flourish_integration_id
    assert merchant.post("/console/wholesale/links/999999", RULES_ON).status_code == 404
