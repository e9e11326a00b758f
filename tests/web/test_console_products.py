"""The Products screen over real HTTP: the menu table and its filters, Sync with live progress, the category table,
and quarantined records with their replay."""

from __future__ import annotations

import re
from urllib.parse import unquote_plus

from cannasync.domain.catalog import SHOPPER_CATEGORIES
from cannasync.store.tables import Product
from cannasync.web.shop import gate
from tests.conftest import Connected, Console, FlowhubSandbox, Hub, Sandbox, connect_flowhub, wait_for
from tests.flows.support import MEDICAL_PATIENT, place, stocked


def rows(html: str) -> list[str]:
    return re.findall(r'data-testid="product-row"', html)


def shown_total(html: str) -> int:
    found = re.search(r'id="product-table"[^>]*data-total="(\d+)"', html)
    assert found, "the table says how many products match"
    return int(found.group(1))


def count_tile(html: str, name: str) -> int:
    found = re.search(rf'data-count="{name}">\s*<b>(\d+)</b>', html)
    assert found, f"the {name} count is shown"
    return int(found.group(1))


def menu_size(hub: Hub, store_id: int) -> int:
    return int(hub.api.get(f"/api/v1/stores/{store_id}/products", params={"limit": 1}).json()["total"])


def shop_chips(client: Console, store_id: int) -> set[str]:
    """The shop menu's category chips, as an adult past the age gate sees them."""
    client.client.cookies.set(gate.COOKIE, gate.ADULT)
    shop_html = client.get(f"/shop/{store_id}").text
    return {unquote_plus(name) for name in re.findall(rf'href="/shop/{store_id}\?category=([^"&]+)"', shop_html)}


def products_url(link: Connected) -> str:
    return f"/console/stores/{link.store_id}/products"


def test_the_page_shows_the_last_sync_counts_and_a_page_of_the_menu(
    hub: Hub, merchant: Console, connected: Connected, flourish: Sandbox
):
    page = merchant.get(products_url(connected))
    assert page.status_code == 200, page.text
    total = menu_size(hub, connected.store_id)
    runs = hub.api.get(f"/api/v1/integrations/{connected.integration_id}/runs", params={"flow": "menu_sync"}).json()
    for name in ("created", "updated", "unchanged", "hidden", "quarantined"):  # the last run's counts, on load
        assert count_tile(page.text, name) == runs[0]["counts"][name]
    assert count_tile(page.text, "quarantined") == len(flourish.state.malformed_ids)
    assert count_tile(page.text, "created") + count_tile(page.text, "unchanged") == total
    assert shown_total(page.text) == total
    assert len(rows(page.text)) == min(total, 50)  # a page, never the whole catalogue
    assert f"1–{min(total, 50)} of {total} products" in page.text
    second = merchant.get(products_url(connected), params={"page": 2})
    assert len(rows(second.text)) == min(total - 50, 50)


def test_filters_narrow_the_table(hub: Hub, merchant: Console, connected: Connected, flourish: Sandbox):
    menu = hub.api.get(f"/api/v1/stores/{connected.store_id}/products", params={"limit": 200}).json()["data"]
    total = len(menu)
    category = menu[0]["category"]
    in_category = sum(1 for p in menu if p["category"] == category)
    fragment = merchant.get(
        products_url(connected), params={"category": category}, headers={"HX-Target": "product-table"}
    )
    assert fragment.status_code == 200
    assert "<html" not in fragment.text  # htmx asked for the table alone
    assert shown_total(fragment.text) == in_category < total

    brand = next(p["brand"] for p in menu if p["brand"])
    assert shown_total(merchant.get(products_url(connected), params={"brand": brand}).text) == sum(
        1 for p in menu if p["brand"] == brand
    )
    strain = next(p["strain_type"] for p in menu if p["strain_type"])
    assert shown_total(merchant.get(products_url(connected), params={"strain_type": strain}).text) == sum(
        1 for p in menu if p["strain_type"] == strain
    )
    name = menu[3]["name"]
    searched = merchant.get(products_url(connected), params={"q": name[:12]}).text
    assert name in searched and shown_total(searched) < total

    with hub.db.uow() as uow:  # one product sold out, one nearly: the stock filter finds them
        out, low = (uow.catalog.product(menu[i]["id"]) for i in (1, 2))
        assert isinstance(out, Product) and isinstance(low, Product)
        out.pos_quantity, low.pos_quantity = 0, 2
        out.held_quantity = low.held_quantity = 0
    out_page = merchant.get(products_url(connected), params={"stock": "out"}).text
    assert menu[1]["name"] in out_page and menu[2]["name"] not in out_page
    low_page = merchant.get(products_url(connected), params={"stock": "low"}).text
    assert menu[2]["name"] in low_page and menu[1]["name"] not in low_page

    with hub.db.uow() as uow:
        hidden = uow.catalog.product(menu[4]["id"])
        assert hidden is not None
        hidden.visible = False
    assert shown_total(merchant.get(products_url(connected)).text) == total - 1
    only_hidden = merchant.get(products_url(connected), params={"hidden": "only"}).text
    assert shown_total(only_hidden) == 1 and menu[4]["name"] in only_hidden
    assert shown_total(merchant.get(products_url(connected), params={"hidden": "all"}).text) == total


def test_sync_starts_a_run_and_the_panel_follows_it_to_its_counts(hub: Hub, merchant: Console, connected: Connected):
    started = merchant.post(f"{products_url(connected)}/sync", {"integration_id": connected.integration_id})
    assert started.status_code == 200, started.text
    assert 'data-testid="sync-panel"' in started.text
    panel_url = f"/console/integrations/{connected.integration_id}/sync-panel?follow=1"
    if 'data-status="succeeded"' not in started.text:
        assert 'hx-trigger="every 1s"' in started.text  # queued or running: the panel polls itself

    def finished() -> object:
        answer = merchant.get(panel_url)
        return answer if 'data-status="succeeded"' in answer.text else None

    done = started if 'data-status="succeeded"' in started.text else wait_for(finished, "the sync to end")
    assert done.headers.get("hx-trigger") == "menu-synced"  # the table and the quarantine reload once
    assert 'hx-trigger="every 1s"' not in done.text
    assert count_tile(done.text, "unchanged") == menu_size(hub, connected.store_id)  # nothing changed in Flourish
    assert count_tile(done.text, "created") == 0


def test_a_second_press_follows_the_run_under_way(hub: Hub, merchant: Console, connected: Connected):
    from cannasync.store.types import utcnow

    with hub.db.uow() as uow:  # a run holds the lease, as one under way would
        held = uow.runs.lease(
            connected.integration_id, "menu_sync", "elsewhere", utcnow(), hub.workers.dispatcher.run_lease, "manual"
        )
        assert held is not None
        run_id = held[1].id
    answer = merchant.post(f"{products_url(connected)}/sync", {"integration_id": connected.integration_id})
    assert "already under way" in answer.text
    assert 'data-status="queued"' in answer.text and 'hx-trigger="every 1s"' in answer.text
    with hub.db.uow() as uow:
        assert uow.runs.active(connected.integration_id, "menu_sync").id == run_id  # no second run


def test_sync_needs_the_csrf_token(merchant: Console, connected: Connected):
    answer = merchant.client.post(
        f"{products_url(connected)}/sync", data={"integration_id": str(connected.integration_id)}
    )
    assert answer.status_code == 403


def test_the_category_table_is_saved_and_applies_at_once(hub: Hub, merchant: Console, connected: Connected):
    page = merchant.get(products_url(connected)).text
    pos_categories = re.findall(r'name="pos_category" value="([^"]+)"', page)
    assert pos_categories, "every POS category of the menu is listed"
    chosen = pos_categories[0]
    in_chosen = shown_total(merchant.get(products_url(connected), params={"category": chosen}).text)
    saved = merchant.post(
        f"/console/stores/{connected.store_id}/category-mappings",
        {"pos_category": [*pos_categories, ""], "category": ["House Favourites", *[""] * len(pos_categories)]},
    )
    assert saved.status_code == 200
    assert f"{in_chosen} products moved to their new category now" in saved.text
    assert saved.headers["HX-Trigger"] == "categories-saved"  # the table reloads itself with the new names
    assert 'value="House Favourites"' in saved.text
    with hub.db.uow() as uow:
        assert uow.categories.category_map(connected.store_id) == {chosen: "House Favourites"}
    moved = merchant.get(products_url(connected), params={"category": "House Favourites"}).text
    assert shown_total(moved) == in_chosen > 0  # at once, not from the next sync
    assert "House Favourites" in shop_chips(merchant, connected.store_id)
    hub.sync(connected.integration_id)  # the sync keeps what the table says
    assert shown_total(merchant.get(products_url(connected), params={"category": "House Favourites"}).text) == in_chosen


def test_the_console_suggests_shopper_categories_for_a_flowhub_menu(
    hub: Hub, merchant: Console, flowhub: FlowhubSandbox
):
    link = connect_flowhub(hub, flowhub)
    assert hub.first_sync(link.integration_id)["status"] == "succeeded"
    page = merchant.get(products_url(link)).text
    table = page[page.index('id="category-map"') :]
    rows = dict(
        re.findall(
            r'name="pos_category" value="([^"]+)">[^<]*</td>\s*<td><input name="category" value="([^"]*)"', table
        )
    )
    assert rows["Gummy"] == rows["Gummies"] == "Edibles"  # singular, plural and synonyms
    assert rows["Low Dose"] == "Edibles"  # a custom name, by the POS's top-level category of its products
    assert "Pre-rolls" in rows.values() and "Vapes" in rows.values()
    assert 'data-testid="suggested"' in table
    chips_before = shop_chips(merchant, link.store_id)
    assert {"Gummy", "Gummies"} <= chips_before  # the near-duplicates a shopper saw
    names, categories = zip(*rows.items(), strict=True)
    saved = merchant.post(
        f"/console/stores/{link.store_id}/category-mappings",
        {"pos_category": list(names), "category": list(categories)},
    )
    assert saved.status_code == 200 and "moved to their new category now" in saved.text
    assert 'data-testid="suggested"' not in saved.text  # every suggestion is now the store's own mapping
    after = shop_chips(merchant, link.store_id)
    assert after <= set(SHOPPER_CATEGORIES) and "Edibles" in after  # one chip per shopper category


def test_quarantined_records_are_listed_and_a_replay_reads_them_again(
    hub: Hub, merchant: Console, connected: Connected, flourish: Sandbox
):
    page = merchant.get(products_url(connected)).text
    broken = sorted(flourish.state.malformed_ids)
    for item_id in broken:
        assert f'data-external-id="{item_id}"' in page
    with hub.db.uow() as uow:
        record = next(r for r in uow.runs.quarantined(connected.integration_id) if r.external_id == broken[0])
        record_id, reason = record.id, record.reason
    assert reason in page

    flourish.patch_item(  # the merchant fixes the item in Flourish, then replays it
        broken[0],
        ecommerce_item_name="Repaired Item",
        item_name="Repaired Item",
        retail_price=12.5,
        cannabinoids=[{"name": "THC", "value": 20, "uom": "%"}],
    )
    replay_url = f"/console/integrations/{connected.integration_id}/quarantine/{record_id}/replay"
    answer = merchant.post(replay_url)
    assert answer.status_code == 200, answer.text
    assert "leaves this list when the sync maps it cleanly" in answer.text
    assert 'hx-swap-oob="outerHTML"' in answer.text  # the sync panel follows the run

    def fixed() -> bool:
        listed = merchant.get(f"/console/integrations/{connected.integration_id}/quarantine").text
        return f'data-external-id="{broken[0]}"' not in listed

    wait_for(fixed, "the replayed record to leave the quarantine")
    assert "Repaired Item" in merchant.get(products_url(connected), params={"q": "Repaired"}).text
    again = merchant.post(replay_url)
    assert "no longer quarantined" in again.text


def test_another_organizations_store_and_integration_are_not_found(hub: Hub, merchant: Console, connected: Connected):
    with hub.db.uow() as uow:
        rival = uow.accounts.organization_named("Rival Co.")
        their_store = uow.accounts.add_store(rival.id, "Rival Store").id
        rival_id = rival.id
    assert merchant.get(f"/console/stores/{their_store}/products").status_code == 404
    sync = {"integration_id": connected.integration_id}
    assert merchant.post(f"/console/stores/{their_store}/products/sync", sync).status_code == 404
    with hub.db.uow() as uow:  # the connection now belongs to the rival: none of its screens answer us
        row = uow.accounts.integration(connected.integration_id)
        assert row is not None
        row.organization_id = rival_id
        record_id = uow.runs.quarantined(connected.integration_id)[0].id
    base = f"/console/integrations/{connected.integration_id}"
    assert merchant.get(f"{base}/sync-panel").status_code == 404
    assert merchant.get(f"{base}/quarantine").status_code == 404
    assert merchant.post(f"{base}/quarantine/{record_id}/replay").status_code == 404
    assert merchant.post(f"{products_url(connected)}/sync", sync).status_code == 404


def test_a_products_slide_out_shows_its_holds_and_changes_and_is_only_its_stores(
    hub: Hub, merchant: Console, connected: Connected
):
    product = stocked(hub, connected)[0]
    edited = hub.api.patch(f"/api/v1/products/{product['id']}", json={"rec_price_cents": 1234})
    assert edited.status_code == 200, edited.text
    order = place(hub, connected, {"customer": MEDICAL_PATIENT, "is_medical": True, "lines": [
        {"product_id": product["id"], "quantity": 2}]})  # fmt: skip
    # A row opens the slide-out, and its address reopens it (the page with ?product=).
    page = merchant.get(f"/console/stores/{connected.store_id}/products").text
    assert f'hx-get="/console/products/{product["id"]}"' in page
    reopened = merchant.get(f"/console/stores/{connected.store_id}/products", params={"product": product["id"]}).text
    assert f'hx-get="/console/products/{product["id"]}" hx-trigger="load"' in reopened

    html = merchant.get(f"/console/products/{product['id']}", headers={"HX-Request": "true"}).text

    # What the store shows is the POS's count less what open orders hold (a sync may have moved the count since).
    available = re.search(r'data-testid="detail-available">(\d+)<', html)
    counted = re.search(r'data-testid="detail-pos-quantity">(\d+) ', html)
    assert available and counted and int(available.group(1)) == int(counted.group(1)) - 2, html
    holds = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html.split('data-testid="product-holds"')[1].split("</ul>")[0]))
    assert f"2 for order #{order['number']}" in holds
    assert f"/console/stores/{connected.store_id}/orders?order={order['id']}" in html
    changes = [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", entry.split("</li>")[0]))
        for entry in html.split('data-testid="record-change"')[1:]
    ]
    # (a menu sync since may have put the POS's price back: the store's edit is still listed, under it)
    assert any("Price" in c and "→ $12.34" in c and "the store (API)" in c for c in changes), changes
    with hub.db.uow() as uow:  # the store (and its products) now belong to another organization
        store = uow.accounts.store(connected.store_id)
        assert store is not None
        store.organization_id = uow.accounts.organization_named("Rival Co.").id
    assert merchant.get(f"/console/products/{product['id']}").status_code == 404
