"""Sizes of one product are one card, and the menu counts cards: a category chip never promises more cards than
the menu shows (over real HTTP, against the Alleaves sandbox, on both databases)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx2
import pytest

from cannasync.web.shop import gate
from tests.conftest import AlleavesSandbox, Hub, connect_alleaves
from tests.flows.test_alleaves import items_in


@pytest.fixture
def shopper(hub: Hub) -> Iterator[httpx2.Client]:
    with hub.client(None) as client:
        client.cookies.set(gate.COOKIE, gate.ADULT)
        yield client


def _chip_count(html: str, category: str) -> int:
    found = re.search(rf">{re.escape(category)} <span class=\"chip-count\">(\d+)</span>", html)
    assert found, f"no {category} chip"
    return int(found.group(1))


def test_a_category_chip_counts_cards_not_sizes(hub: Hub, alleaves: AlleavesSandbox, shopper: httpx2.Client) -> None:
    flower = [
        i
        for i in items_in(alleaves, "Retail")
        if i["category"] == "Flower" and i["quantity_available"] > 5 and not i["pricing"]["is_tiered"]
    ]
    link = connect_alleaves(hub, alleaves, ("Retail",))
    assert hub.first_sync(link.integration_id)["status"] == "succeeded"
    menu = shopper.get(f"/shop/{link.store_id}", params={"category": "Flower"}).text
    before = _chip_count(menu, "Flower")

    # The store names three of its flower items as sizes of one product: three products, one card.
    for item, size in zip(flower[:3], ("3.5g", "7g", "14g"), strict=True):
        alleaves.patch_item(item["item_id"], name=f"Velvet Dusk {size}", brand="Harbor Farms")
    assert hub.sync(link.integration_id, "menu_sync")["status"] == "succeeded"

    menu = shopper.get(f"/shop/{link.store_id}", params={"category": "Flower", "q": "Velvet Dusk"}).text
    assert menu.count('class="product-card') == 1
    everything = shopper.get(f"/shop/{link.store_id}", params={"category": "Flower"}).text
    assert _chip_count(everything, "Flower") == before - 2  # three sizes became one card
