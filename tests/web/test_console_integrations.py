"""The Integrations screen over real HTTP: sign-in, CSRF, a Flourish card saved, its facility chosen."""

from __future__ import annotations

from tests.conftest import FACILITY, MERCHANT_EMAIL, Console, Hub, Sandbox, post_sign_in


def test_pages_need_a_sign_in_and_say_where_to_go(hub: Hub):
    answer = hub.client(None).get("/console/stores/1/integrations", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/sign-in?next=/console/stores/1/integrations"


def test_a_wrong_password_is_refused_with_a_message(hub: Hub, merchant: Console):
    answer = post_sign_in(hub.client(None), MERCHANT_EMAIL, "nope-nope")
    assert answer.status_code == 401
    assert "don&#39;t match" in answer.text or "don't match" in answer.text


def test_a_form_without_the_csrf_token_changes_nothing(hub: Hub, merchant: Console):
    answer = merchant.client.post("/console/stores", data={"name": "Sneaky"})
    assert answer.status_code == 403
    with hub.db.uow() as uow:
        assert [s.name for s in uow.accounts.stores(hub.organization_id)] == []


def test_connect_flourish_then_choose_a_facility(hub: Hub, merchant: Console, flourish: Sandbox):
    page = merchant.post("/console/stores", {"name": "Great Lakes Ann Arbor"})
    assert page.status_code == 200 and "Connect Flourish" in page.text
    store_id = int(str(page.url).split("/stores/")[1].split("/")[0])

    saved = merchant.post(
        f"/console/stores/{store_id}/integrations/flourish",
        {
            "enabled": "on",
            "credentials.username": "demo",
            "credentials.api_key": "demo-key",
            "settings.base_url": flourish.api_url,
            "present": "sync_orders",
            "settings.sync_orders": "on",
        },
    )
    assert saved.status_code == 200, saved.text
    assert "Now choose the facility to sync." in saved.text
    assert "demo-key" not in saved.text  # credentials are write-only
    assert f'value="{FACILITY}"' in saved.text

    with hub.db.uow() as uow:
        row = uow.accounts.integration_for(store_id, "flourish")
        assert row is not None and row.settings["sync_orders"] is True
        integration_id = row.id
    chosen = merchant.post(
        f"/console/integrations/{integration_id}",
        {"enabled": "on", "present": ["facility_id", "sync_orders"], "settings.facility_id": FACILITY},
    )
    assert chosen.status_code == 200, chosen.text
    assert "Connected" in chosen.text
    with hub.db.uow() as uow:
        row = uow.accounts.integration(integration_id)
        assert row is not None
        assert row.settings["facility_id"] == FACILITY
        assert row.settings["sync_orders"] is False  # the box was drawn and left unticked
        assert uow.accounts.config(row).credentials["api_key"] == "demo-key"  # blank fields kept the saved key
        assert {s.flow for s in uow.runs.schedules(integration_id)} == {"menu_sync", "order_status"}

    check = merchant.post(f"/console/integrations/{integration_id}/check")
    assert "Flourish answered" in check.text


def test_wrong_credentials_are_named_and_nothing_is_saved(hub: Hub, merchant: Console, flourish: Sandbox):
    page = merchant.post("/console/stores", {"name": "Great Lakes Ann Arbor"})
    store_id = int(str(page.url).split("/stores/")[1].split("/")[0])
    answer = merchant.post(
        f"/console/stores/{store_id}/integrations/flourish",
        {
            "enabled": "on",
            "credentials.username": "demo",
            "credentials.api_key": "wrong",
            "settings.base_url": flourish.api_url,
        },
    )
    assert answer.status_code == 422
    assert "refused these credentials" in answer.text
    with hub.db.uow() as uow:
        assert uow.accounts.integration_for(store_id, "flourish") is None
