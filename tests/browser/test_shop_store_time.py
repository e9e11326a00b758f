"""A delivery order in the store's own time, in a real browser: a store in St. John's (UTC-3:30, neither UTC nor this
machine's zone) offers its delivery windows on its own calendar, stores the window the shopper picked as that local
time, and the checkout and order pages show its address, hours and whether it is open now, after a reload too."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot
from tests.conftest import Connected, Hub
from tests.flows.support import stocked

# The rules are tested on both databases over HTTP; the browser path runs on SQLite only, to keep the run short.
pytestmark = pytest.mark.parametrize("backend", ["sqlite"])

ZONE = "America/St_Johns"
STREET = "12 Water St"


def _short(moment: datetime) -> str:
    return moment.strftime("%-I:%M %p").replace(":00 ", " ")


def test_a_delivery_window_is_the_stores_local_time_and_its_pages_say_where_and_when_it_is_open(
    page: Page, hub: Hub, connected: Connected
) -> None:
    # Open from an hour ago to two hours from now on the store's clock, every day: open now there, and closed on a
    # UTC clock (3.5 hours later), so "Open now" is only right when the store's zone is used.
    local_now = datetime.now(ZoneInfo(ZONE))
    opens = (local_now - timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    closes = opens + timedelta(hours=3)
    span = {"open": opens.strftime("%H:%M"), "close": closes.strftime("%H:%M")}
    answer = hub.api.patch(
        f"/api/v1/stores/{connected.store_id}",
        json={
            "timezone": ZONE,
            "address": {"line1": STREET, "city": "Ann Arbor", "state": "MI", "postcode": "48104"},
            "hours": {day: span for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
            "pickup_enabled": True,
            "delivery_enabled": True,
        },
    )
    assert answer.status_code == 200, answer.text
    product = stocked(hub, connected, count=1)[0]

    def shows_the_store() -> None:
        info = page.get_by_test_id("store-info")
        expect(info).to_contain_text(STREET)
        expect(info.get_by_test_id("open-state")).to_have_text(f"Open now · until {_short(closes)}")
        info.locator("summary", has_text="Hours").click()
        expect(info).to_contain_text(f"{_short(opens)} – {_short(closes)}")
        expect(info).to_contain_text(ZONE)

    page.goto(f"/shop/{connected.store_id}/products/{product['id']}")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_text("Added 1 to your cart")).to_be_visible()
    page.goto(f"/shop/{connected.store_id}/checkout")
    page.locator("input[name=fulfillment][value=delivery]").check()
    window = page.locator("fieldset.window")
    expect(window).to_contain_text(f"In the store's local time ({ZONE})")
    # The first day offered is today on the store's calendar (not the machine's, not UTC's).
    today = datetime.now(ZoneInfo(ZONE)).date()
    expect(page.get_by_label("Day")).to_have_attribute("min", today.isoformat())
    expect(page.get_by_label("Time")).to_contain_text("3 – 6 pm")
    shows_the_store()
    page.reload()
    shows_the_store()
    screenshot(page, "shop-checkout-store-time")

    page.locator("input[name=fulfillment][value=delivery]").check()
    page.get_by_label("First name").fill("Ada")
    page.get_by_label("Last name").fill("Stone")
    page.get_by_label("Phone").fill("5550102030")
    page.get_by_label("Date of birth").fill("1990-05-17")
    page.get_by_label("Street address").fill("500 S State St")
    page.get_by_label("City").fill("Ann Arbor")
    page.get_by_label("State").fill("MI")
    page.get_by_label("ZIP").fill("48109")
    day = today + timedelta(days=2)
    page.get_by_label("Day").fill(day.isoformat())
    page.get_by_label("Time").select_option(label="3 – 6 pm")
    page.get_by_role("button", name="Place order").click()
    expect(page).to_have_url(re.compile(rf"/shop/{connected.store_id}/orders/"))

    # Stored as 3 pm and 6 pm in St. John's (18:30 and 21:30 UTC), and shown as 3 to 6 pm again after a reload.
    orders = hub.api.get(f"/api/v1/stores/{connected.store_id}/orders").json()
    delivery = hub.order(next(o["id"] for o in orders if o["fulfillment"] == "delivery"))
    start = datetime.combine(day, time(15), ZoneInfo(ZONE))
    assert datetime.fromisoformat(delivery["window_start"]) == start, delivery
    assert datetime.fromisoformat(delivery["window_end"]) == start + timedelta(hours=3), delivery
    assert start.astimezone(UTC).strftime("%H:%M") == "18:30"
    when = f"{day.strftime('%a')} 3:00 PM – 6:00 PM"
    for _ in range(2):
        expect(page.locator(".order-details")).to_contain_text(when)
        shows_the_store()
        page.reload()
    screenshot(page, "shop-order-store-time")
