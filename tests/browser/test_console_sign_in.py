"""Signing in to the console in a real browser, the first screen a new organization sees, "+ Add store" once it has
a store, and the console's and the shop's pages for a link that leads nowhere."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot, sign_in
from tests.conftest import Hub, Sandbox


def test_sign_in_add_a_store_and_connect_flourish(page: Page, hub: Hub, flourish: Sandbox):
    page.goto("/console")
    expect(page.get_by_role("heading", name="Sign in to your console")).to_be_visible()
    screenshot(page, "console-sign-in")
    sign_in(page, hub)
    expect(page.get_by_role("heading", name="Add your first store")).to_be_visible()
    screenshot(page, "console-first-store")
    page.get_by_label("Store name").fill("Great Lakes Ann Arbor")
    page.get_by_role("button", name="Add store").click()
    expect(page.get_by_role("heading", name="Integrations")).to_be_visible()

    card = page.locator("article[data-vendor=flourish]")
    card.get_by_label("Flourish username").fill("demo")
    card.get_by_label("Flourish external API key").fill("demo-key")
    card.locator("summary", has_text="Advanced").click()  # a sandbox, not Flourish itself
    card.get_by_label("Base URL").fill(flourish.api_url)
    card.get_by_label("Flourish external API key").fill("a-mistyped-key")
    card.get_by_role("button", name="Connect Flourish").click()
    card = page.locator("article[data-vendor=flourish]")
    expect(card.get_by_role("alert")).to_contain_text("Flourish refused these credentials")
    card.get_by_label("Flourish username").fill("demo")
    card.get_by_label("Flourish external API key").fill("demo-key")
    card.get_by_role("button", name="Connect Flourish").click()
    card = page.locator("article[data-vendor=flourish]")
    expect(card.get_by_text("Now choose the facility to sync.")).to_be_visible()
    card.get_by_test_id("choice").select_option("101")
    card.get_by_role("button", name="Save").click()
    expect(page.locator("article[data-vendor=flourish]").get_by_test_id("state")).to_have_text("Connected")
    page.locator("article[data-vendor=flourish]").get_by_role("button", name="Check connection").click()
    expect(page.get_by_test_id("check-result")).to_contain_text("Flourish answered")
    screenshot(page, "console-integrations")

    store_id = int(re.findall(r"/stores/(\d+)/integrations", page.url)[0])

    # "+ Add store" for an organization that has one: the settings form, empty, its button "Add store".
    page.get_by_role("link", name="+ Add store").click()
    expect(page).to_have_url(re.compile(r"/console/stores/new$"))
    expect(page.get_by_role("heading", name="Add a store")).to_be_visible()
    expect(page.get_by_label("Store name")).to_have_value("")
    expect(page.get_by_role("button", name="Add store")).to_be_visible()
    screenshot(page, "console-add-store")

    # A stale link in the console is a page that says so, with a way back; the shop's is the store's own page.
    answer = page.goto(f"/console/stores/{store_id + 1000}/integrations")
    assert answer is not None and answer.status == 404
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    expect(page.get_by_role("link", name="Console home")).to_be_visible()
    screenshot(page, "console-not-found")
    answer = page.goto(f"/shop/{store_id}/products/999999")
    assert answer is not None and answer.status == 404
    expect(page.get_by_role("heading", name="This product isn't on the menu")).to_be_visible()
    expect(page.get_by_role("link", name="Browse the menu")).to_have_attribute("href", f"/shop/{store_id}")
    screenshot(page, "shop-not-found")
