"""What the fault suite needs to know of each POS: how to connect it, who shops, where orders are created, and how
to read back from the vendor's side what the hub should have (its menu records, its orders with our reference)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from cannasync.sandboxes._kit.faults import steady_mix
from tests.conftest import (
    AlleavesSandbox,
    Connected,
    FlowhubSandbox,
    Hub,
    Sandbox,
    connect_alleaves,
    connect_flourish,
    connect_flowhub,
)
from tests.flows.support import MEDICAL_PATIENT
from tests.flows.test_alleaves import MED_PATIENT as ALLEAVES_PATIENT
from tests.flows.test_alleaves import items_in
from tests.flows.test_flowhub import REC_SHOPPER, inventory, location_of
from tests.flows.test_menu_sync import listed


@dataclass(frozen=True)
class VendorOrder:
    """One order as the vendor holds it: its id, our reference (None: the vendor keeps none, as Flowhub), and its
    total in cents (None: the vendor prices it)."""

    pos_id: str
    reference: str | None
    total_cents: int | None
    lines: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class Pos:
    name: str
    api_root: str  # where read faults go (every vendor call under it)
    create_path: str  # the order create call, where write faults go
    shopper: dict[str, Any]
    connect: Callable[..., Connected]
    #: The vendor's well-formed records the store should show (by sku), and the malformed ones it must quarantine.
    catalogue: Callable[[Hub, Connected, Sandbox], tuple[set[str], set[str]]]
    orders: Callable[[Sandbox], list[VendorOrder]]


def _cents(value: Any) -> int:
    return round(Decimal(str(value)) * 100)


def _flourish_catalogue(hub: Hub, link: Connected, sandbox: Sandbox) -> tuple[set[str], set[str]]:
    malformed = sandbox.state.malformed_ids
    items = listed(sandbox)
    return {i["sku"] for i in items if i["id"] not in malformed}, {i["id"] for i in items if i["id"] in malformed}


def _flowhub_catalogue(hub: Hub, link: Connected, sandbox: Sandbox) -> tuple[set[str], set[str]]:
    assert isinstance(sandbox, FlowhubSandbox)
    malformed = {str(i) for i in sandbox.state.malformed_ids}
    items = inventory(sandbox, location_of(hub, link))
    ids = {str(i["productId"]) for i in items}
    return {i["sku"] for i in items if str(i["productId"]) not in malformed}, ids & malformed


def _alleaves_catalogue(hub: Hub, link: Connected, sandbox: Sandbox) -> tuple[set[str], set[str]]:
    assert isinstance(sandbox, AlleavesSandbox)
    malformed = sandbox.state.malformed_ids
    items = items_in(sandbox, "Retail")
    good = {i["sku"] for i in items if i["item_id"] not in malformed}
    return good, {i["item_id"] for i in items if i["item_id"] in malformed}


def _flourish_orders(sandbox: Sandbox) -> list[VendorOrder]:
    return [
        VendorOrder(
            o["id"],
            o["original_order_id"],
            _cents(o["total"]),
            tuple((str(line["item_id"]), int(line["order_qty"])) for line in o["order_lines"]),
        )
        for o in sandbox.state.orders()
    ]


def _flowhub_orders(sandbox: Sandbox) -> list[VendorOrder]:
    assert isinstance(sandbox, FlowhubSandbox)
    return [
        VendorOrder(
            o["orderId"],
            None,  # Order Ahead keeps no order reference of ours (connectors/flowhub find_orders)
            None,  # Flowhub's order-ahead takes no prices: it prices the cart itself
            tuple((str(item["productId"]), int(item["quantityPurchased"])) for item in o["orderItems"]),
        )
        for o in sandbox.orders()
    ]


def _alleaves_orders(sandbox: Sandbox) -> list[VendorOrder]:
    assert isinstance(sandbox, AlleavesSandbox)
    return [
        VendorOrder(
            o["order_id"],
            o["external_id"],
            _cents(o["total"]),
            tuple((str(line["item_id"]), int(line["quantity"])) for line in o["lines"]),
        )
        for o in sandbox.orders()
    ]


POS = {
    "flourish": Pos(
        "flourish",
        "/external/",
        "/external/api/v2/retail-orders",
        {"customer": MEDICAL_PATIENT, "is_medical": True},
        connect_flourish,
        _flourish_catalogue,
        _flourish_orders,
    ),
    "flowhub": Pos(
        "flowhub",
        "/",  # every read: inventory, locations, order statuses and the sales-list lookups
        "/order-ahead/v0/create",
        {"customer": REC_SHOPPER},
        connect_flowhub,
        _flowhub_catalogue,
        _flowhub_orders,
    ),
    "alleaves": Pos(
        "alleaves",
        "/api/",
        "/api/v1/orders",
        {"customer": ALLEAVES_PATIENT},
        connect_alleaves,
        _alleaves_catalogue,
        _alleaves_orders,
    ),
}


def steady_faults(sandbox: Sandbox, pos: Pos, *, seed: int, slow: float = 1.0) -> None:
    """Every listed fault kind at a steady, seeded rate on the vendor's reads and its order create
    (sandboxes/_kit/faults.py)."""
    for fault in steady_mix(pos.create_path, pos.api_root, seed=seed, slow=slow):
        sandbox.fault(**fault)
