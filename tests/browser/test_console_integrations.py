"""Store > Integrations as an operator comes back to it: a connected POS edited after a reload (all three POS, and
on a phone), a refused save that keeps what was typed and opens the field that is wrong, the inbound webhook
address copied, Disconnect, the LeafLink card's Flourish connection by name, and the loyalty card's warnings."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import screenshot, sign_in
from tests.conftest import (
    ALLEAVES_CREDENTIALS,
    FLOWHUB_CREDENTIALS,
    Connected,
    Hub,
    Sandbox,
    Wholesale,
    connect_flourish,
)


@dataclass(frozen=True)
class Pos:
    vendor: str
    title: str
    #: Label → what the operator types, in the card's order.
    credentials: dict[str, str]
    choose: Callable[[Locator], None]
    #: A switch the operator turns on once connected (off when it is first connected).
    setting: str


def _facility(card: Locator) -> None:
    card.get_by_test_id("choice").select_option("101")


def _first_location(card: Locator) -> None:
    card.get_by_test_id("choice").select_option(index=1)


def _retail(card: Locator) -> None:
    card.get_by_role("group", name="Areas to sell from").get_by_label("Retail").check()


POS = {
    "flourish": Pos(
        "flourish",
        "Flourish",
        {"Flourish username": "demo", "Flourish external API key": "demo-key"},
        _facility,
        "Sync terpenes",
    ),
    "flowhub": Pos(
        "flowhub",
        "Flowhub",
        {
            "API Key": FLOWHUB_CREDENTIALS["api_key"],
            "Client ID": FLOWHUB_CREDENTIALS["client_id"],
            "Order Ahead Client Id": FLOWHUB_CREDENTIALS["order_ahead_client_id"],
            "Order Ahead Token": FLOWHUB_CREDENTIALS["order_ahead_token"],
        },
        _first_location,
        "Sync orders",
    ),
    "alleaves": Pos(
        "alleaves",
        "Alleaves",
        {
            "Location ID": ALLEAVES_CREDENTIALS["location_id"],
            "Username": ALLEAVES_CREDENTIALS["username"],
            "Password": ALLEAVES_CREDENTIALS["password"],
        },
        _retail,
        "Sync terpenes",
    ),
}


def credential(card: Locator, label: str) -> Locator:
    """A credentials field by the start of its label (the label goes on with "(required)" or a mistake)."""
    return card.get_by_role("group", name="Credentials").get_by_label(re.compile("^" + re.escape(label)))


def add_store(page: Page, hub: Hub, name: str = "Great Lakes Ann Arbor") -> None:
    sign_in(page, hub)
    page.get_by_label("Store name").fill(name)
    page.get_by_role("button", name="Add store").click()
    expect(page.get_by_role("heading", name="Integrations")).to_be_visible()


def pos_card(page: Page, vendor: str) -> Locator:
    return page.locator(f"article[data-vendor={vendor}]")


def connect_pos(page: Page, pos: Pos, api_url: str) -> None:
    """Through the card, as the operator does: credentials, the sandbox's address under Advanced, then the
    location the card asks for."""
    card = pos_card(page, pos.vendor)
    for label, value in pos.credentials.items():
        credential(card, label).fill(value)
    card.locator("summary", has_text="Advanced").click()
    card.get_by_label("Base URL").fill(api_url)
    if pos.vendor == "flowhub":  # the sandbox grants the Order Ahead token too (Auth0's part, on the real API)
        card.get_by_label("Token URL").fill(f"{api_url}/oauth/token")
    card.get_by_role("button", name=f"Connect {pos.title}").click()
    expect(pos_card(page, pos.vendor).get_by_text(re.compile(r"Now choose the \w+ to sync\."))).to_be_visible()
    pos.choose(pos_card(page, pos.vendor))
    pos_card(page, pos.vendor).get_by_role("button", name="Save").click()
    expect(pos_card(page, pos.vendor).get_by_test_id("state")).to_have_text("Connected")


def edit_after_reload(page: Page, pos: Pos) -> None:
    """What the operator comes back for: every control of the connected card is there after a reload, and a
    changed setting is kept."""
    page.reload()
    card = pos_card(page, pos.vendor)
    expect(card.get_by_test_id("state")).to_have_text("Connected")
    # The location picker loads after the page, and must fill itself in, not replace the card.
    if pos.vendor == "alleaves":
        expect(card.get_by_role("group", name="Areas to sell from").get_by_label("Retail")).to_be_checked()
    else:
        expect(card.get_by_test_id("choice")).not_to_have_value("")
    for label in pos.credentials:
        expect(credential(card, label)).to_be_editable()
        expect(credential(card, label)).to_have_value("")  # write-only: nothing saved is shown again
    expect(card.get_by_label("Enabled")).to_be_checked()
    expect(card.get_by_label("Sync orders")).to_be_visible()
    card.get_by_role("button", name="Check connection").click()
    expect(card.get_by_test_id("check-result")).to_contain_text(f"{pos.title} answered")
    switch = card.get_by_label(pos.setting)
    expect(switch).not_to_be_checked()
    switch.check()
    card.get_by_role("button", name="Save").click()
    expect(pos_card(page, pos.vendor).get_by_text("Saved. The credentials work.")).to_be_visible()

    page.reload()
    card = pos_card(page, pos.vendor)
    expect(card.get_by_label(pos.setting)).to_be_checked()
    expect(card.get_by_test_id("state")).to_have_text("Connected")


@pytest.mark.parametrize("vendor", ["flourish", "flowhub", "alleaves"])
def test_a_connected_pos_is_edited_after_a_reload(page: Page, hub: Hub, vendor: str, request: pytest.FixtureRequest):
    sandbox: Sandbox = request.getfixturevalue(vendor)
    pos = POS[vendor]
    add_store(page, hub)
    connect_pos(page, pos, sandbox.api_url)
    edit_after_reload(page, pos)

    # The store uses one POS: the two others wait behind "Connect another POS".
    others = [p for p in POS.values() if p.vendor != vendor]
    for other in others:
        expect(pos_card(page, other.vendor)).to_be_hidden()
    page.locator("summary", has_text="Connect another POS").click()
    for other in others:
        expect(pos_card(page, other.vendor).get_by_role("button", name=f"Connect {other.title}")).to_be_visible()
    screenshot(page, f"console-integrations-{vendor}")


def test_a_connected_pos_is_edited_after_a_reload_on_a_phone(phone: Page, hub: Hub, flowhub: Sandbox):
    pos = POS["flowhub"]
    add_store(phone, hub)
    connect_pos(phone, pos, flowhub.api_url)
    edit_after_reload(phone, pos)
    card = pos_card(phone, "flowhub")
    save = card.get_by_role("button", name="Save")
    save.scroll_into_view_if_needed()
    box = save.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, box  # reachable, not cut off
    screenshot(phone, "console-integrations-phone")

    # On a phone the sidebar is a bar: its Menu button opens the navigation; a wide table scrolls inside itself.
    nav = phone.get_by_role("navigation", name="Console")
    expect(nav).to_be_hidden()
    menu = phone.get_by_role("button", name="Menu")
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    nav.get_by_role("link", name="Products").click()
    expect(phone.get_by_role("heading", name="Products", exact=True)).to_be_visible()
    expect(nav).to_be_hidden()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390  # the page itself never scrolls sideways
    # The first Tab reaches the skip link, which takes the keyboard past the navigation.
    phone.keyboard.press("Tab")
    skip = phone.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    phone.keyboard.press("Enter")
    expect(phone.locator("main")).to_be_focused()


def test_a_refused_save_keeps_what_was_typed_and_opens_the_field_it_names(
    page: Page, hub: Hub, loyalty_flourish: Sandbox, alleaves: Sandbox
):
    add_store(page, hub)

    # A POS refused by the vendor: the location id and username stay as typed, shown; the password does not.
    card = pos_card(page, "alleaves")
    credential(card, "Location ID").fill(ALLEAVES_CREDENTIALS["location_id"])
    credential(card, "Username").fill("demo")
    credential(card, "Password").fill("a-mistyped-password")
    card.locator("summary", has_text="Advanced").click()
    card.get_by_label("Base URL").fill(alleaves.api_url)
    card.get_by_role("button", name="Connect Alleaves").click()
    card = pos_card(page, "alleaves")
    expect(card.get_by_role("alert")).to_contain_text("Alleaves refused these credentials")
    expect(credential(card, "Location ID")).to_have_value(ALLEAVES_CREDENTIALS["location_id"])
    expect(credential(card, "Location ID")).to_have_attribute("type", "text")
    expect(credential(card, "Username")).to_have_value("demo")
    expect(credential(card, "Password")).to_have_value("")
    expect(credential(card, "Password")).to_have_attribute("type", "password")
    expect(card.get_by_label("Base URL")).to_have_value(alleaves.api_url)

    # A loyalty source without the age-gate box: the error names the box by its label and opens its section.
    card = pos_card(page, "flourish_loyalty")
    expect(card.get_by_test_id("caution")).to_contain_text("SMS opt-in requests")
    expect(card.get_by_test_id("caution")).to_contain_text("enrol shoppers in loyalty automatically")
    card.get_by_label("Name", exact=True).fill("Flourish MI")
    credential(card, "Flourish username").fill("demo")
    credential(card, "Flourish external API key").fill("demo-key")
    card.locator("summary", has_text="Advanced").click()
    card.get_by_label("Base URL").fill(loyalty_flourish.api_url)
    card.get_by_role("button", name="Connect Flourish (loyalty)").click()
    card = pos_card(page, "flourish_loyalty").first
    alert = card.get_by_role("alert")
    expect(alert).to_contain_text("Age gate attested: tick the attestation")
    expect(alert).not_to_contain_text("age_gate_attested")
    attest = card.get_by_label("Age gate attested")
    expect(attest).to_be_visible()  # its section was collapsed; the error opened it
    expect(attest).to_have_attribute("aria-invalid", "true")
    expect(card.get_by_label("Name", exact=True)).to_have_value("Flourish MI")
    expect(credential(card, "Flourish username")).to_have_value("demo")
    expect(credential(card, "Flourish external API key")).to_have_value("")
    screenshot(page, "console-integrations-refused")

    attest.check()
    credential(card, "Flourish external API key").fill("demo-key")
    card.get_by_role("button", name="Connect Flourish (loyalty)").click()
    connected = page.locator("article[data-vendor=flourish_loyalty]").filter(has_text="Flourish MI")
    expect(connected.get_by_test_id("state")).to_have_text("Connected")

    page.reload()
    connected = page.locator("article[data-vendor=flourish_loyalty]").filter(has_text="Flourish MI")
    expect(connected.get_by_test_id("caution")).to_contain_text("SMS opt-in requests")
    backup = connected.locator("label", has_text="Use last backup")
    expect(backup).to_contain_text("Only for switching POS systems")
    expect(connected.get_by_label("Age gate attested")).to_be_checked()


def test_copy_the_inbound_address_then_disconnect_keeping_the_history(
    page: Page, hub: Hub, flourish: Sandbox, connected: Connected
):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_in(page, hub)
    page.goto(f"/console/stores/{connected.store_id}/integrations")
    card = pos_card(page, "flourish")
    address = card.get_by_label("Inbound webhook address")
    shown = address.input_value()
    token = hub.api.get(f"/api/v1/integrations/{connected.integration_id}").json()["inbound_path"]
    assert shown == hub.server.url + token, shown  # the whole address, secret included, ready to paste
    card.get_by_role("button", name="Copy").click()
    expect(card.get_by_text("Copied.")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == shown
    products = len(hub.api.get(f"/api/v1/stores/{connected.store_id}/products").json()["data"])
    assert products > 0

    card.locator("summary", has_text="Disconnect").click()
    card.get_by_role("button", name="Disconnect Flourish").click()
    card = pos_card(page, "flourish")
    expect(card.get_by_test_id("state")).to_have_text("Disconnected")
    expect(card.get_by_role("status").first).to_contain_text("credentials are erased")

    page.reload()
    card = pos_card(page, "flourish")
    expect(card.get_by_test_id("state")).to_have_text("Disconnected")
    expect(card.get_by_role("button", name="Connect Flourish")).to_be_visible()
    expect(card.get_by_label("Inbound webhook address")).to_have_count(0)
    expect(card.get_by_role("button", name="Check connection")).to_have_count(0)
    # Every other POS is offered again, side by side (none is in use).
    expect(pos_card(page, "flowhub").get_by_role("button", name="Connect Flowhub")).to_be_visible()
    # The history stays: the products it synced, and the old inbound address no longer answers.
    assert len(hub.api.get(f"/api/v1/stores/{connected.store_id}/products").json()["data"]) == products
    assert hub.client(None).post(shown, content=b"{}").status_code == 401
    page.get_by_role("link", name="Products").click()
    expect(page.get_by_test_id("product-row").first).to_be_visible()

    # Connecting again takes the credentials once more, and works.
    page.get_by_role("link", name="Integrations").click()
    card = pos_card(page, "flourish")
    credential(card, "Flourish username").fill("demo")
    credential(card, "Flourish external API key").fill("demo-key")
    card.get_by_role("button", name="Connect Flourish").click()
    expect(pos_card(page, "flourish").get_by_test_id("state")).to_have_text("Connected")


def test_leaflink_picks_its_flourish_connection_by_name(page: Page, hub: Hub, wholesale: Wholesale):
    other = connect_flourish(hub, wholesale.flourish)  # a second store's Flourish, to choose between
    sign_in(page, hub)
    page.goto(f"/console/stores/{wholesale.store_id}/integrations")
    card = page.locator("article[data-vendor=leaflink]")
    connection = card.get_by_label("Flourish connection")
    expect(connection.locator("option:checked")).to_have_text("Great Lakes Growers HQ")
    expect(connection.locator("option")).to_have_text(
        ["Choose a connection…", "Great Lakes Ann Arbor", "Great Lakes Growers HQ"]
    )
    expect(card.get_by_label("Inbound webhook address")).to_have_value(re.compile(r"/hooks/leaflink/\d+/\S+$"))

    connection.select_option(label="Great Lakes Ann Arbor")
    card.get_by_role("button", name="Save").click()
    expect(page.locator("article[data-vendor=leaflink]").get_by_text("Saved.")).to_be_visible()
    page.reload()
    card = page.locator("article[data-vendor=leaflink]")
    expect(card.get_by_label("Flourish connection").locator("option:checked")).to_have_text("Great Lakes Ann Arbor")
    link = hub.api.get(f"/api/v1/integrations/{wholesale.link_id}").json()
    assert link["settings"]["flourish_integration_id"] == other.integration_id


@pytest.mark.parametrize("backend", ["sqlite"])  # the report's keeping is tested on both in tests/web
def test_check_this_account_shows_a_report_with_no_secret_that_a_reload_keeps(page: Page, hub: Hub, flourish: Sandbox):
    link = connect_flourish(hub, flourish)

    def writes() -> dict[str, int]:
        return {call: n for call, n in flourish.requests().items() if not call.startswith("GET ")}

    before = writes()
    sign_in(page, hub)
    page.goto(f"/console/stores/{link.store_id}/integrations")
    card = pos_card(page, "flourish")
    card.get_by_role("button", name="Check this account").click()
    expect(card.get_by_test_id("account-verdict")).to_have_text("Usable")
    menu = card.locator("[data-testid=finding][data-check=Menu]")
    expect(menu).to_contain_text("Great Lakes Provisions - Ann Arbor (101)")
    expect(menu).to_contain_text("retail_price 'TBD' is not a number")  # a planted malformed item, with its reason
    expect(card.locator("[data-testid=finding][data-check=Credentials]")).to_contain_text("accepted by Flourish")
    card.get_by_text("Report to send to support").click()
    expect(card.get_by_test_id("account-report")).to_contain_text("verdict: USABLE")

    page.reload()
    card = pos_card(page, "flourish")
    expect(card.get_by_test_id("account-verdict")).to_have_text("Usable")  # kept on the connection
    expect(card.locator("[data-testid=finding][data-check=Menu]")).to_contain_text("retail_price 'TBD'")
    assert "demo-key" not in page.content()  # the saved key never comes back to the page
    assert writes() == before, "the check wrote nothing to Flourish"
    screenshot(page, "console-integrations-account-check")


@pytest.mark.parametrize("backend", ["sqlite"])  # the form's layout: one database is enough
def test_where_and_how_fast_a_vendor_is_called_sit_in_the_collapsed_advanced_section(page: Page, hub: Hub):
    add_store(page, hub)
    advanced = ("Base URL", "Timeout seconds", "Requests per second")

    def starts(name: str) -> re.Pattern[str]:  # a label goes on with its hint
        return re.compile("^" + re.escape(name))

    for vendor in ("flourish", "flowhub", "alleaves"):
        card = pos_card(page, vendor)
        section = card.locator("details.advanced")
        expect(section).to_have_count(1)
        expect(section).not_to_have_attribute("open", "")  # closed when the page opens
        for name in advanced:
            # Each field is in the card once, and it is the one inside Advanced: hidden until the section opens.
            expect(card.get_by_label(starts(name))).to_have_count(1)
            expect(section.get_by_label(starts(name))).to_have_count(1)
            expect(section.get_by_label(starts(name))).to_be_hidden()
        section.locator("summary", has_text="Advanced").click()
        for name in advanced:
            expect(section.get_by_label(starts(name))).to_be_visible()
        expect(card.locator("details.settings:not(.advanced)").get_by_label(starts("Base URL"))).to_have_count(0)
    page.reload()
    expect(pos_card(page, "flourish").get_by_label(starts("Base URL"))).to_be_hidden()  # closed again
