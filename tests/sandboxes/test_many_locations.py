"""Sandboxes serving many locations from one process (issue 8): what a scale test relies on.

Each sandbox with ``locations=1000`` lists the generated locations in its vendor's own envelope, serves each one
an inventory of its own (paged where the vendor pages), keeps nothing per location until asked, and answers the
same rows for the same seed. Memory is checked by counting stored rows, not by timing anything.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest

from cannasync.cli.servers import BackgroundServer
from cannasync.sandboxes import alleaves, flourish, flowhub
from cannasync.sandboxes.alleaves.fleet import FleetShelf as AlleavesShelf
from cannasync.sandboxes.flourish.fleet import FleetShelf as FlourishShelf
from cannasync.sandboxes.flowhub.fleet import FleetShelf as FlowhubShelf

LOCATIONS = 1000
ITEMS = 500
FLOURISH_KEY = {"x-api-key": "demo-key"}
FLOWHUB_HEADERS = {"clientId": flowhub.DEFAULT_CLIENT_ID, "key": flowhub.DEFAULT_API_KEY}


@pytest.fixture(scope="module")
def flourish_url() -> Iterator[str]:
    with BackgroundServer(flourish.create_app(items=ITEMS, seed=5, locations=LOCATIONS)) as server:
        yield server.url


@pytest.fixture(scope="module")
def flowhub_url() -> Iterator[str]:
    app = flowhub.create_app(items=ITEMS, seed=5, locations=LOCATIONS, rate_limit_rps=None)
    with BackgroundServer(app) as server:
        yield server.url


@pytest.fixture(scope="module")
def alleaves_url() -> Iterator[str]:
    app = alleaves.create_app(items=ITEMS, seed=5, locations=LOCATIONS, rate_limit_per_minute=None)
    with BackgroundServer(app) as server:
        yield server.url


def flourish_pages(client: httpx2.Client, path: str, **headers: str) -> Iterator[dict[str, Any]]:
    """Follow ``meta.next`` as a Flourish client does, checking the envelope on the way."""
    url: str | None = path
    for _ in range(1000):  # bounded: a runaway ``next`` fails the test instead of hanging it
        if url is None:
            return
        page = client.get(url, headers=headers).json()
        assert set(page) == {"data", "meta"} and set(page["meta"]) == {"offset", "limit", "next"}
        assert len(page["data"]) <= 50
        yield page
        url = page["meta"]["next"]
    raise AssertionError("paging did not end")


# --------------------------------------------------------------------------------------------------
# Flourish: facilities


def test_flourish_lists_the_generated_facilities_in_its_paged_envelope(flourish_url: str) -> None:
    with httpx2.Client(base_url=flourish_url, headers=FLOURISH_KEY, timeout=30) as client:
        pages = list(flourish_pages(client, "/external/api/v1/facilities/"))
    ids = [facility["id"] for page in pages for facility in page["data"]]
    assert len(pages) == 21 and ids[:2] == ["101", "102"]
    assert ids[2:] == [str(1001 + n) for n in range(LOCATIONS)]


def summary(client: httpx2.Client, facility: str) -> dict[str, int]:
    """Every row a facility's inventory summary lists (no item ids: every item stocked there), paged."""
    rows = [
        row
        for page in flourish_pages(client, "/external/api/v1/inventory/summary/", FacilityID=facility)
        for row in page["data"]
    ]
    return {row["item_id"]: row["sellable_qty"] for row in rows}


def test_flourish_facilities_each_stock_their_own_shelf(flourish_url: str) -> None:
    with httpx2.Client(base_url=flourish_url, headers=FLOURISH_KEY, timeout=30) as client:
        first, last = summary(client, "1001"), summary(client, "2000")
        assert client.get("/external/api/v1/inventory/summary/", headers={"FacilityID": "2001"}).status_code == 404
    assert 400 < len(first) < ITEMS and 400 < len(last) < ITEMS  # about 90% stocked, more than one page
    assert first != last and set(first) != set(last)


def test_flourish_generated_stock_is_the_same_for_the_same_seed() -> None:
    one = flourish.FlourishSandbox(items=60, seed=9, locations=3)
    two = flourish.FlourishSandbox(items=60, seed=9, locations=3)
    other = flourish.FlourishSandbox(items=60, seed=10, locations=3)
    assert dict(one.stock["1003"]) == dict(two.stock["1003"]) != dict(other.stock["1003"])


def test_flourish_a_control_write_on_a_generated_facility_is_kept() -> None:
    sandbox = flourish.FlourishSandbox(items=60, seed=9, locations=2)
    item_id = sandbox.items()[0]["id"]
    sandbox.set_quantity(item_id, "1002", 7)
    assert sandbox.stock["1002"][item_id]["sellable_qty"] == 7
    sandbox.delete_item(item_id)
    assert item_id not in sandbox.stock["1002"] and item_id not in sandbox.stock["1001"]


# --------------------------------------------------------------------------------------------------
# Flowhub: locations


def test_flowhub_lists_the_generated_locations_to_the_one_client(flowhub_url: str) -> None:
    with httpx2.Client(base_url=flowhub_url, headers=FLOWHUB_HEADERS, timeout=30) as client:
        answer = client.get("/v0/clientsLocations").json()
    ids = [location["locationId"] for location in answer["data"]]
    assert answer["status"] == 200 and len(ids) == LOCATIONS + 2
    assert ids[2:] == [f"loc-{n:05d}" for n in range(1, LOCATIONS + 1)]


def test_flowhub_locations_each_carry_their_own_inventory(flowhub_url: str) -> None:
    with httpx2.Client(base_url=flowhub_url, headers=FLOWHUB_HEADERS, timeout=30) as client:
        first = client.get("/v0/locations/loc-00001/inventory").json()
        last = client.get("/v0/locations/loc-01000/inventory").json()
        assert client.get("/v0/locations/loc-01001/inventory").status_code == 404
    # Flowhub answers a whole location in one document: its envelope has no paging.
    assert set(first) == {"status", "data"}
    quantities = [{row["productId"]: row["quantity"] for row in answer["data"]} for answer in (first, last)]
    assert all(400 < len(rows) < ITEMS for rows in quantities)
    assert quantities[0] != quantities[1]
    assert {row["locationId"] for row in first["data"]} == {"loc-00001"}


# --------------------------------------------------------------------------------------------------
# Alleaves: locations


def alleaves_items(client: httpx2.Client, location: str) -> dict[str, float]:
    token = client.post(
        "/api/v1/auth/token", json={"location_id": location, "username": "demo", "password": "demo-pass"}
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    areas = [a["area_id"] for a in client.get("/api/v1/inventory-areas", headers=headers).json()["data"]]
    found: dict[str, float] = {}
    for page in range(1, 100):  # bounded
        answer = client.get(
            "/api/v1/items", params={"area_id": areas, "page": page, "per_page": 100}, headers=headers
        ).json()
        found.update({item["item_id"]: item["quantity_available"] for item in answer["data"]})
        if page >= answer["pagination"]["total_pages"]:
            return found
    raise AssertionError("paging did not end")


def test_alleaves_generated_locations_each_list_their_own_items(alleaves_url: str) -> None:
    with httpx2.Client(base_url=alleaves_url, timeout=30) as client:
        first, last = alleaves_items(client, "ALV-2001"), alleaves_items(client, "ALV-3000")
        refused = client.post(
            "/api/v1/auth/token", json={"location_id": "ALV-3001", "username": "demo", "password": "demo-pass"}
        )
    assert refused.status_code >= 400
    assert all(300 < len(items) < ITEMS for items in (first, last))  # more than the 100 of one page
    assert first != last


# --------------------------------------------------------------------------------------------------
# Memory: nothing is kept per generated location


def test_a_thousand_locations_keep_no_rows_until_written() -> None:
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    sandboxes = [
        flourish.FlourishSandbox(items=ITEMS, seed=2, locations=LOCATIONS),
        flowhub.FlowhubSandbox(items=ITEMS, seed=2, locations=LOCATIONS),
        alleaves.AlleavesSandbox(items=ITEMS, seed=2, locations=LOCATIONS),
    ]
    grown = sum(stat.size_diff for stat in tracemalloc.take_snapshot().compare_to(before, "filename"))
    tracemalloc.stop()
    # Three catalogues of 500 items and 3,000 location records: a few MB, nothing like 1.5 million stored rows.
    assert grown < 40 * 2**20
    hub = sandboxes[1]
    assert isinstance(hub, flowhub.FlowhubSandbox)
    for number in range(1, LOCATIONS + 1, 50):
        hub.inventory_payload("inventory", f"loc-{number:05d}", "")
    assert len(hub._cache) <= 32  # the serialised bodies are bounded too
    shelves = [shelf for sandbox in sandboxes for shelf in sandbox.stock.values()]
    generated = [s for s in shelves if isinstance(s, FlourishShelf | FlowhubShelf | AlleavesShelf)]
    assert len(generated) == 3 * LOCATIONS
    assert sum(shelf.stored_rows for shelf in generated) == 0
