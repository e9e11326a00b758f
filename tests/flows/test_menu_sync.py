"""Menu sync against the Flourish sandbox over real HTTP, on SQLite and PostgreSQL (seed 000's menu rules)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from cannasync.store.tables import Product
from tests.conftest import Connected, Hub, Sandbox, connect_flourish


def listed(sandbox: Sandbox) -> list[dict]:
    return [i for i in sandbox.state.items() if i["active"] and i["ecommerce_active"] and i["sellable"]]


def products(hub: Hub, store_id: int, **params) -> list[dict]:
    found, offset = [], 0
    while True:
        page = hub.api.get(
            f"/api/v1/stores/{store_id}/products", params={"limit": 200, "offset": offset, **params}
        ).json()
        found += page["data"]
        offset += len(page["data"])
        if offset >= page["total"]:
            return found


def by_name(hub: Hub, store_id: int) -> dict[str, dict]:
    return {p["name"]: p for p in products(hub, store_id)}


def by_sku(hub: Hub, store_id: int) -> dict[str, dict]:
    return {p["sku"]: p for p in products(hub, store_id)}


def test_only_active_sellable_items_reach_the_menu_and_bad_ones_are_quarantined(
    hub: Hub, flourish: Sandbox, connected: Connected
):
    wanted = listed(flourish)
    malformed = flourish.state.malformed_ids
    menu = products(hub, connected.store_id)
    assert len(menu) == len(wanted) - len(malformed)
    assert len(flourish.state.items()) > len(wanted), "the sandbox must contain items to filter out"
    quarantined = hub.api.get(f"/api/v1/integrations/{connected.integration_id}/quarantine").json()
    assert {q["external_id"] for q in quarantined} == set(malformed)
    assert all(q["reason"] and q["payload"]["id"] == q["external_id"] for q in quarantined)
    runs = hub.api.get(f"/api/v1/integrations/{connected.integration_id}/runs", params={"flow": "menu_sync"}).json()
    first = runs[-1]  # the first sync is scheduled the moment a facility is chosen
    assert first["status"] == "succeeded" and first["complete_read"]
    assert first["counts"]["created"] == len(menu) and first["counts"]["quarantined"] == len(malformed)


def test_names_categories_prices_and_cannabinoids_follow_flourish(hub: Hub, flourish: Sandbox, connected: Connected):
    menu = by_sku(hub, connected.store_id)
    assert len(menu) == len(listed(flourish)) - len(flourish.state.malformed_ids), "skus must be unique"
    for item in listed(flourish):
        if item["id"] in flourish.state.malformed_ids:
            continue
        product = menu[item["sku"]]
        assert product["name"] == item["ecommerce_item_name"] or item["retail_display_name"] or item["item_name"]
        assert product["category"] == (item["ecommerce_sub_category_name"] or item["item_category"])
        assert product["rec_price_cents"] == round(Decimal(str(item["retail_price"])) * 100)
        shown = {c["name"] for c in product["cannabinoids"]}
        expected = {c["name"] for c in item["cannabinoids"]} & {"THC", "THCa", "CBD", "CBDa", "CBG", "CBN"}
        assert shown == expected
        assert product["terpenes"] == []  # terpene sync is off by default


def test_terpenes_sync_only_when_turned_on(hub: Hub, flourish: Sandbox):
    link = connect_flourish(hub, flourish, sync_terpenes=True)
    hub.first_sync(link.integration_id)
    with_terpenes = [p for p in products(hub, link.store_id) if p["terpenes"]]
    assert with_terpenes
    canonical = {
        "3-Carene",
        "Alpha Pinene",
        "Beta Caryophyllene",
        "Beta Eudesmol",
        "Beta Myrcene",
        "Beta Pinene",
        "Bisabolol",
        "Caryophyllene Oxide",
        "Guaiol",
        "Humulene",
        "Limonene",
        "Linalool",
        "Ocimene",
        "Terpinolene",
        "Terpinene",
        "Trans-Nerolidol",
    }
    for product in with_terpenes:
        assert {t["name"] for t in product["terpenes"]} <= canonical
        assert all(t["unit"] == "%" for t in product["terpenes"])


def test_quantity_is_sellable_minus_holds_and_a_sync_never_gives_held_stock_back(
    hub: Hub, flourish: Sandbox, connected: Connected
):
    product = next(p for p in products(hub, connected.store_id) if p["pos_quantity"] >= 5)
    item_id = next(
        i["id"]
        for i in listed(flourish)
        if (i["ecommerce_item_name"] or i["retail_display_name"] or i["item_name"]) == product["name"]
    )
    order = hub.api.post(
        f"/api/v1/stores/{connected.store_id}/orders",
        json={
            "customer": {
                "first_name": "Ada",
                "last_name": "Stone",
                "email": "ada@example.com",
                "date_of_birth": "1970-05-05",
            },
            "lines": [{"product_id": product["id"], "quantity": 2}],
        },
    )
    assert order.status_code == 201, order.text
    flourish.set_quantity(item_id, 3)
    hub.sync(connected.integration_id)
    after = hub.api.get(f"/api/v1/products/{product['id']}").json()
    assert (after["pos_quantity"], after["held_quantity"], after["available_quantity"]) == (3, 2, 1)
    flourish.set_quantity(item_id, 1)
    hub.sync(connected.integration_id)
    after = hub.api.get(f"/api/v1/products/{product['id']}").json()
    assert after["available_quantity"] == 0 and after["held_quantity"] == 2


def test_an_unchanged_catalogue_writes_nothing(hub: Hub, flourish: Sandbox, connected: Connected):
    with hub.db.uow() as uow:
        before = {p.id: p.updated_at for p in uow.session.scalars(select(Product))}
    run = hub.sync(connected.integration_id)
    assert run["counts"]["created"] == run["counts"]["updated"] == run["counts"]["hidden"] == 0
    assert run["counts"]["unchanged"] == len(before)
    with hub.db.uow() as uow:
        after = {p.id: p.updated_at for p in uow.session.scalars(select(Product))}
    assert after == before


def test_an_edit_in_flourish_updates_only_that_product(hub: Hub, flourish: Sandbox, connected: Connected):
    item = next(i for i in listed(flourish) if i["id"] not in flourish.state.malformed_ids)
    flourish.patch_item(item["id"], ecommerce_item_name="Renamed For The Web")
    run = hub.sync(connected.integration_id)
    assert run["counts"]["updated"] == 1
    assert "Renamed For The Web" in by_name(hub, connected.store_id)


def test_products_gone_from_flourish_are_hidden_only_after_a_complete_read(
    hub: Hub, flourish: Sandbox, connected: Connected
):
    victim = next(i for i in listed(flourish) if i["id"] not in flourish.state.malformed_ids)
    name = victim["ecommerce_item_name"] or victim["retail_display_name"] or victim["item_name"]
    flourish.patch_item(victim["id"], sellable=False)
    # The third page of items fails on every retry: the read is partial, so nothing may be hidden.
    flourish.fault(method="GET", path_prefix="/external/api/v1/items/", status=503, count=20, after=2)
    failed = hub.sync(connected.integration_id)
    assert failed["status"] == "failed" and "503" in failed["error"]
    assert failed["pages"] == 2 and failed["counts"]["hidden"] == 0
    assert name in by_name(hub, connected.store_id)
    flourish.control.delete("/_sandbox/faults")
    ok = hub.sync(connected.integration_id)
    assert ok["status"] == "succeeded" and ok["counts"]["hidden"] == 1
    assert name not in by_name(hub, connected.store_id)
    hidden = [p for p in products(hub, connected.store_id, include_hidden=True) if p["name"] == name]
    assert hidden and hidden[0]["visible"] is False


def test_a_fixed_record_leaves_quarantine(hub: Hub, flourish: Sandbox, connected: Connected):
    broken = sorted(flourish.state.malformed_ids)[0]
    flourish.patch_item(
        broken,
        ecommerce_item_name="Repaired Item",
        retail_price=12.5,
        cannabinoids=[{"name": "THC", "value": 20, "uom": "%"}],
        item_name="Repaired Item",
    )
    hub.sync(connected.integration_id)
    still = {
        q["external_id"] for q in hub.api.get(f"/api/v1/integrations/{connected.integration_id}/quarantine").json()
    }
    assert broken not in still
    assert by_name(hub, connected.store_id)["Repaired Item"]["rec_price_cents"] == 1250


def test_the_store_category_table_maps_flourish_categories(hub: Hub, flourish: Sandbox, connected: Connected):
    menu = products(hub, connected.store_id)
    pos_category = menu[0]["pos_category"]
    answer = hub.api.put(
        f"/api/v1/stores/{connected.store_id}/category-mappings",
        json={"mapping": {pos_category.upper(): "Mapped Category"}},
    )
    assert answer.status_code == 200
    in_category = sum(1 for p in menu if p["pos_category"] == pos_category)
    assert answer.json()["recategorised"] == in_category  # at once, not from the next sync
    now = [p for p in products(hub, connected.store_id) if p["pos_category"] == pos_category]
    assert now and all(p["category"] == "Mapped Category" for p in now)
    run = hub.sync(connected.integration_id)
    assert run["counts"]["updated"] == in_category
    remapped = [p for p in products(hub, connected.store_id) if p["pos_category"] == pos_category]
    assert remapped and all(p["category"] == "Mapped Category" for p in remapped)


def test_item_art_becomes_product_images(hub: Hub, flourish: Sandbox, connected: Connected):
    menu = products(hub, connected.store_id)
    with_art = [p for p in menu if p["images"]]
    assert with_art and len(with_art) < len(menu)  # some items have no art (Flourish answers 204)
    image = hub.api.get(with_art[0]["images"][0])
    assert image.status_code == 200 and image.headers["content-type"].startswith("image/")


def test_nothing_syncs_until_a_facility_is_chosen(hub: Hub, flourish: Sandbox):
    store = hub.api.post("/api/v1/stores", json={"name": "No Facility Yet"}).json()
    answer = hub.api.put(
        f"/api/v1/stores/{store['id']}/integrations/flourish",
        json={
            "credentials": {"username": "demo", "api_key": "demo-key"},
            "settings": {"base_url": flourish.api_url, "requests_per_second": 1000},
        },
    )
    assert answer.status_code == 200
    body = answer.json()
    assert {loc["id"] for loc in body["locations"]} == {"101", "102"}
    assert body["schedules"] == []
    refused = hub.api.post(f"/api/v1/integrations/{body['id']}/sync", json={"flow": "menu_sync"})
    assert refused.status_code == 409 and "facility" in refused.json()["detail"]
    assert not any(k.startswith("GET /external/api/v1/items") for k in flourish.requests())
