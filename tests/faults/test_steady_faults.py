"""Each POS connector's menu sync and order push against its sandbox with every listed fault kind injected at a
steady, seeded rate, on SQLite and PostgreSQL; the result is counted from the vendor's side.

What a merchant would notice if this broke: an online order missing from the POS, or rung up twice, or at another
total; a POS item missing from the online menu with no reason given.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from cannasync.store.catalog.products import PRODUCT
from tests.conftest import Connected, Hub, Sandbox, wait_for
from tests.faults.vendors import POS, Pos, VendorOrder, steady_faults
from tests.flows.support import place, stocked
from tests.flows.test_menu_sync import products

ORDERS = 6


@pytest.fixture(params=sorted(POS))
def pos(request: pytest.FixtureRequest) -> Pos:
    return POS[str(request.param)]


@pytest.fixture
def vendor(pos: Pos, request: pytest.FixtureRequest) -> Sandbox:
    return request.getfixturevalue(pos.name)  # type: ignore[no-any-return]


def fired(sandbox: Sandbox) -> dict[str, int]:
    """How often the steady faults fired so far, by method (each was added with a count of a million)."""
    counts: Counter[str] = Counter()
    for fault in sandbox.control.get("/_sandbox/faults").json()["data"]:
        if fault["rate"] is not None:
            counts[fault["method"]] += 1_000_000 - fault["remaining"]
    return dict(counts)


def pos_lines(hub: Hub, link: Connected, order: dict[str, Any]) -> tuple[tuple[str, int], ...]:
    """Our order's lines as the POS should hold them: (POS item id, quantity), summed per item."""
    with hub.db.uow() as uow:
        items = uow.bindings.externals(link.integration_id, PRODUCT, [line["product_id"] for line in order["lines"]])
    summed: Counter[str] = Counter()
    for line in order["lines"]:
        summed[str(items[line["product_id"]])] += line["quantity"]
    return tuple(sorted(summed.items()))


def summed(order: VendorOrder) -> tuple[tuple[str, int], ...]:
    per_item: Counter[str] = Counter()
    for item, quantity in order.lines:
        per_item[item] += quantity  # a line split for a discount that does not divide is still one item
    return tuple(sorted(per_item.items()))


def test_under_steady_faults_every_order_lands_once_and_every_record_is_accounted_for(
    hub: Hub, pos: Pos, vendor: Sandbox
) -> None:
    # The first read is refused (so that reads are faulted whatever the seeded draws give on a vendor that is
    # read little), then every kind fires at its steady rate. The hub gives up on an answer after 0.5 s; a
    # timeout-after-commit holds it back 1 s.
    vendor.fault(method="GET", path_prefix=pos.api_root, status=503)
    steady_faults(vendor, pos, seed=11, slow=1.0)
    link = pos.connect(hub, vendor, sync_orders=True, timeout_seconds=0.5)
    run = hub.sync(link.integration_id)
    assert run["status"] == "succeeded", run

    chosen = stocked(hub, link, at_least=4, count=3)
    placed = [
        place(hub, link, {**pos.shopper, "lines": [{"product_id": chosen[n % 3]["id"], "quantity": 1 + n % 2}]})
        for n in range(ORDERS)
    ]
    for order in placed:
        assert hub.api.post(f"/api/v1/orders/{order['id']}/confirm").status_code == 200
    ours = wait_for(
        lambda: all(hub.order(p["id"])["pos_order_id"] for p in placed) and [hub.order(p["id"]) for p in placed],
        "every confirmed order in the POS",
        timeout=45,
    )
    faults = fired(vendor)
    left = vendor.control.get("/_sandbox/faults").json()["data"]
    vendor.control.delete("/_sandbox/faults").raise_for_status()  # from here on, read the vendor's side plainly
    assert faults.get("POST", 0) > 0, faults
    assert all(f["rate"] is not None for f in left), "the first read was refused (and spent its one firing)"

    # The vendor's side: each confirmed order exactly once, none lost, none extra, same total and lines.
    # Where the vendor keeps no reference of ours (Flowhub), its order ids are what ours must hold, once each.
    theirs = pos.orders(vendor)
    assert Counter(o.pos_id for o in theirs) == Counter(o["pos_order_id"] for o in ours)
    by_pos_id = {o["pos_order_id"]: o for o in ours}
    for order in theirs:
        mine = by_pos_id[order.pos_id]
        assert order.reference in (None, mine["push_reference"])
        assert summed(order) == pos_lines(hub, link, mine)
        if order.total_cents is not None:
            assert order.total_cents == mine["total_cents"], order.reference
    assert all(o["push_error"] is None and o["status"] != "confirmed" for o in ours)

    # Every record of the vendor's menu is in the store, or quarantined with its reason.
    good, broken = pos.catalogue(hub, link, vendor)
    assert {p["sku"] for p in products(hub, link.store_id, include_hidden=True)} == good
    quarantined = hub.api.get(f"/api/v1/integrations/{link.integration_id}/quarantine").json()
    assert {str(q["external_id"]) for q in quarantined} == {str(b) for b in broken}
    assert all(q["reason"] for q in quarantined)
