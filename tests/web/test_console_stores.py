"""Add store and Store > Settings over real HTTP: a refused form keeps what was typed and names the field by its
label; another organization's store is not found."""

from __future__ import annotations

from tests.conftest import Console, Hub


def test_add_a_store_then_a_refused_save_keeps_what_was_typed(hub: Hub, merchant: Console) -> None:
    added = merchant.post(
        "/console/stores/new",
        {"name": "Riverside", "address_state": "wa", "mon_on": "1", "mon_open": "10:00", "mon_close": "20:00"},
    )
    assert added.status_code == 200 and "/integrations" in str(added.url), added.text
    store_id = int(str(added.url).split("/stores/")[1].split("/")[0])
    store = hub.api.get(f"/api/v1/stores/{store_id}").json()
    assert store["address"]["state"] == "WA" and store["hours"] == {"mon": {"open": "10:00", "close": "20:00"}}
    assert store["timezone_chosen"] is False  # "The POS location's own" was left chosen

    refused = merchant.post(
        f"/console/stores/{store_id}/settings",
        {"name": "Riverside North", "phone": "555", "address_city": "Vancouver", "delivery_fee": "4.50"},
    )
    assert refused.status_code == 422
    assert "Phone: give a 10-digit phone number" in refused.text
    assert 'value="Riverside North"' in refused.text and 'value="Vancouver"' in refused.text
    assert 'value="4.50"' in refused.text
    assert hub.api.get(f"/api/v1/stores/{store_id}").json()["name"] == "Riverside"  # nothing was saved

    saved = merchant.post(
        f"/console/stores/{store_id}/settings",
        {
            "name": "Riverside North",
            "address_state": "WA",
            "timezone": "America/Los_Angeles",
            "limit_adult_use_concentrate": "5",
        },
    )
    assert saved.status_code == 200 and "Saved." in saved.text
    store = hub.api.get(f"/api/v1/stores/{store_id}").json()
    assert store["timezone_chosen"] is True and store["pickup_enabled"] is False  # an unticked box is off
    assert store["purchase_limits"]["overrides"] == {"adult_use": {"concentrate": "5"}}

    with hub.db.uow() as uow:
        other = uow.accounts.organization_named("Someone Else Co.")
        theirs = uow.accounts.add_store(other.id, "Not yours").id
    assert merchant.get(f"/console/stores/{theirs}/settings").status_code == 404
    assert merchant.post(f"/console/stores/{theirs}/settings", {"name": "Mine now"}).status_code == 404
