"""A record's history in a real browser: a product's and a persona's slide-out say what changed, from what to what,
and who or what changed it, and a reload opens the same slide-out again.

"Why does the store show 3 when the POS says 5?": the product's slide-out shows the count the POS gave, the stock
open orders hold (each with its order), and the sync that last changed the count.
"""

from __future__ import annotations

import re
import time

from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot, sign_in
from tests.conftest import Connected, Hub, Sandbox, connect_loyalty
from tests.flows.support import MEDICAL_PATIENT, place, stocked
from tests.flows.test_loyalty import persona_of
from tests.flows.test_reconcile import external_id


def test_a_products_slide_out_explains_its_count_and_who_changed_it(
    page: Page, hub: Hub, flourish: Sandbox, connected: Connected
):
    product = stocked(hub, connected)[0]
    counted = product["pos_quantity"] + 4
    flourish.set_quantity(external_id(hub, connected, product["id"]), counted)  # recounted in Flourish
    hub.sync(connected.integration_id)
    [synced] = hub.api.get(f"/api/v1/products/{product['id']}/history").json()
    assert synced["flow"] == "menu_sync"
    order = place(hub, connected, {"customer": MEDICAL_PATIENT, "is_medical": True, "lines": [
        {"product_id": product["id"], "quantity": 2}]})  # fmt: skip
    sign_in(page, hub)
    page.goto(f"/console/stores/{connected.store_id}/products")
    page.get_by_test_id("search").fill(product["name"])
    expect(page).to_have_url(re.compile(r"[?&]q="))  # the filtered table is in (its address pushed) before a click,
    page.wait_for_load_state("networkidle")  # and no later keystroke's filter is still on its way to push another
    row = page.locator(f'[data-testid=product-row][data-product-id="{product["id"]}"]')
    row.click()

    detail = page.get_by_test_id("product-detail")
    expect(detail.get_by_test_id("detail-available")).to_have_text(str(counted - 2))
    expect(detail.get_by_test_id("detail-pos-quantity")).to_contain_text(str(counted))
    expect(detail.get_by_test_id("product-holds")).to_contain_text(f"2 for order #{order['number']}")
    change = detail.get_by_test_id("record-change").first
    expect(change).to_contain_text(f"POS count {product['pos_quantity']} → {counted}")
    by = f"Menu sync run {synced['run_id']} ({synced['trigger']})"
    expect(change.get_by_test_id("changed-by")).to_have_text(by)
    expect(change.get_by_role("link")).to_have_attribute("href", f"/console/runs/{synced['run_id']}")
    expect(page).to_have_url(re.compile(rf"[?&]product={product['id']}\b"))  # the slide-out's own address
    screenshot(page, "product-detail")

    page.reload()
    detail = page.get_by_test_id("product-detail")
    expect(detail).to_have_attribute("data-product-id", str(product["id"]))
    expect(detail.get_by_test_id("record-change").first).to_contain_text(f"→ {counted}")
    expect(detail.get_by_role("button", name="Close")).to_be_focused()
    page.keyboard.press("Escape")
    expect(detail).to_be_hidden()
    assert "product=" not in page.url  # closed: a reload no longer opens it
    page.reload()
    expect(page.get_by_test_id("product-row").first).to_be_visible()
    expect(page.get_by_test_id("product-detail")).to_have_count(0)


def test_a_personas_slide_out_lists_its_changes_and_the_pull_that_made_them(
    page: Page, hub: Hub, loyalty_flourish: Sandbox
):
    source = connect_loyalty(hub, loyalty_flourish, sync_personas=True)
    hub.first_sync(source, "loyalty_pull")
    time.sleep(0.01)  # an edit stamped after Sync Personas was switched on (the POS counts milliseconds)
    loyalty_flourish.control.patch("/_sandbox/customers/70002", json={"email": "casey.moved@example.com"})
    hub.sync(source, "loyalty_pull")
    casey = persona_of(hub, "70002")
    pulled = hub.api.get(f"/api/v1/loyalty/personas/{casey['id']}/history").json()[0]
    assert pulled["flow"] == "loyalty_pull" and pulled["changes"]["email"]["to"] == "casey.moved@example.com"
    sign_in(page, hub)
    page.goto("/console/loyalty")
    page.get_by_label("Search personas").fill(casey["last_name"])
    expect(page).to_have_url(re.compile(r"[?&]q="))
    page.wait_for_load_state("networkidle")
    page.locator(f'tr[data-persona="{casey["id"]}"]').click()

    detail = page.get_by_test_id("persona-detail")
    newest = detail.get_by_test_id("record-change").first
    expect(newest).to_contain_text(re.compile(r"E ?-?mail .+ → casey\.moved@example\.com", re.IGNORECASE))
    expect(newest.get_by_test_id("changed-by")).to_have_text(
        f"Loyalty pull run {pulled['run_id']} ({pulled['trigger']})"
    )
    first = detail.get_by_test_id("record-change").last  # where it came from: the first pull
    expect(first).to_contain_text("Sourced from — → Flourish")
    expect(page).to_have_url(re.compile(rf"[?&]persona={casey['id']}\b"))
    screenshot(page, "loyalty-persona-history")

    page.reload()
    detail = page.get_by_test_id("persona-detail")
    expect(detail).to_have_attribute("data-persona-id", str(casey["id"]))
    expect(detail.get_by_test_id("record-change").first.get_by_test_id("changed-to")).to_have_text(
        "casey.moved@example.com"
    )
