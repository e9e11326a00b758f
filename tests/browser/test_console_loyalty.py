"""The Loyalty pages in a real browser: a persona's source, the slide-out, mapping a store, the date preview, the
Rewards tab."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from playwright.sync_api import Page, Route, expect

from tests.browser.conftest import PHONE, screenshot, sign_in
from tests.browser.test_shop import fits_the_screen
from tests.conftest import Hub, Sandbox, connect_loyalty, connect_sms


def test_personas_store_mapping_and_program_dates(page: Page, hub: Hub, loyalty_flourish: Sandbox, sms: Sandbox):
    source = connect_loyalty(hub, loyalty_flourish)
    connect_sms(hub, sms)
    assert hub.sync(source, "loyalty_pull")["status"] == "succeeded"
    with hub.db.uow() as uow:
        for name in ("Ann Arbor", "Lansing"):
            uow.accounts.add_store(hub.organization_id, name)
    sign_in(page, hub)

    page.goto("/console/loyalty")
    expect(page.get_by_role("heading", name="Loyalty")).to_be_visible()
    expect(page).to_have_title("Personas · Loyalty · cannasync")  # each tab its own title
    expect(page.get_by_role("columnheader", name="Sourced from")).to_be_visible()
    expect(page.get_by_test_id("sourced-from").first).to_have_text("Flourish")
    expect(page.get_by_test_id("unmapped-warning")).to_contain_text("3 POS stores are not mapped")
    screenshot(page, "loyalty-personas")

    casey = next(c for c in loyalty_flourish.state.customers() if c["id"] == "70002")
    page.get_by_label("Search personas").fill(casey["last_name"])
    expect(page.locator("tr[data-persona]").first).to_contain_text(casey["first_name"])
    page.locator("tr[data-persona]").first.click()
    detail = page.get_by_test_id("persona-detail")
    expect(detail).to_contain_text("Sourced from Flourish")
    expect(detail).to_contain_text("customer 70002")
    screenshot(page, "loyalty-persona")
    # A dialog: focus is in it, Tab does not leave it, Esc closes it and focus goes back to the row that opened it.
    close = detail.get_by_role("button", name="Close")
    expect(close).to_be_focused()
    page.keyboard.press("Shift+Tab")
    assert detail.evaluate("panel => panel.contains(document.activeElement)")
    page.keyboard.press("Tab")
    expect(close).to_be_focused()
    page.keyboard.press("Escape")
    expect(detail).to_be_hidden()
    expect(page.locator("tr[data-persona]").first).to_be_focused()

    page.get_by_role("link", name="Store mapping").click()
    expect(page).to_have_title("Store mapping · Loyalty · cannasync")
    page.get_by_label("Store for Flourish MI location 101").select_option(label="Ann Arbor")
    page.get_by_label("Store for Flourish MI location 102").select_option(label="Lansing")
    page.get_by_role("button", name="Save mappings").click()
    expect(page.get_by_text("Saved: 101 → Ann Arbor, 102 → Lansing.")).to_be_visible()
    expect(page.get_by_test_id("unmapped-warning")).to_contain_text("1 POS store is not mapped")
    screenshot(page, "loyalty-store-mapping")
    page.get_by_label("Store for Flourish MI location 103").select_option(label="Lansing")
    page.get_by_role("button", name="Save mappings").click()
    expect(page.get_by_test_id("unmapped-warning")).to_have_count(0)

    page.get_by_role("link", name="Program").click()
    expect(page).to_have_title("Program · Loyalty · cannasync")
    opt_in = (datetime.now(UTC) - timedelta(days=20)).date().isoformat()
    enrol = (datetime.now(UTC) - timedelta(days=30)).date().isoformat()
    page.get_by_label("Send SMS double opt-ins to personas who purchased after").fill(opt_in)
    page.get_by_label("Enroll personas in the loyalty program who purchased after").fill(enrol)
    preview = page.get_by_test_id("dates-preview")
    expect(preview).to_contain_text("sends an opt-in request to")
    expect(preview).to_contain_text("enrols")
    would_enroll = preview.get_attribute("data-would-enroll")
    screenshot(page, "loyalty-program")
    page.get_by_role("button", name="Save dates").click()
    expect(page.get_by_test_id("dates-saved")).to_contain_text(f"{would_enroll} persona")

    page.get_by_role("link", name="Rewards").click()
    expect(page).to_have_title("Rewards · Loyalty · cannasync")
    expect(page.get_by_role("heading", name="Rewards", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Add a reward")).to_be_visible()
    screenshot(page, "loyalty-rewards")
    page.set_viewport_size(PHONE)  # the table scrolls in its box; the page is no wider than the phone
    expect(page.get_by_role("heading", name="Add a reward")).to_be_visible()
    fits_the_screen(page)


def test_the_date_preview_shows_the_last_dates_typed_even_when_answers_come_back_out_of_order(
    page: Page, hub: Hub, loyalty_flourish: Sandbox, sms: Sandbox
):
    """Both date fields preview into one panel. The first field's preview is held back (as a slow network or a busy
    server would), so any second preview sent meanwhile lands first; what the panel shows once every answer is in
    must count both dates."""
    source = connect_loyalty(hub, loyalty_flourish)
    connect_sms(hub, sms)
    assert hub.sync(source, "loyalty_pull")["status"] == "succeeded"
    sign_in(page, hub)
    page.goto("/console/loyalty/program")
    held: list[Route] = []
    finished: list[str] = []
    page.on("requestfinished", lambda request: finished.append(request.url) if "/preview" in request.url else None)

    def hold_the_first(route: Route) -> None:
        if not held and not finished:
            held.append(route)
        else:
            route.continue_()

    page.route("**/console/loyalty/program/preview", hold_the_first)
    preview = page.get_by_test_id("dates-preview")
    opt_in = (datetime.now(UTC) - timedelta(days=20)).date().isoformat()
    enrol = (datetime.now(UTC) - timedelta(days=30)).date().isoformat()
    page.get_by_label("Send SMS double opt-ins to personas who purchased after").fill(opt_in)
    page.get_by_label("Enroll personas in the loyalty program who purchased after").fill(enrol)
    panel = page.locator("#dates-preview")
    _wait(page, lambda: "enrols" in panel.inner_text(), seconds=1.5)  # a second preview, if one went out meanwhile
    assert len(held) == 1
    held[0].continue_()
    assert _wait(page, lambda: len(finished) >= 2, seconds=15), "every preview answered"
    expect(preview).to_contain_text("enrols")
    expect(preview).to_contain_text("sends an opt-in request to")


def _wait(page: Page, done: Callable[[], bool], *, seconds: float) -> bool:
    """Let the page work until ``done`` or ``seconds`` pass; whether it was done."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if done():
            return True
        page.wait_for_timeout(50)
    return done()
