"""Each side of the wholesale bridge in the bridge's words, pure: LeafLink's orders and statuses, Flourish's
outbound statuses and stock webhooks, and a link's typed options (no database, no HTTP)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from cannasync.connectors.base import StockMoved, WholesaleLine
from cannasync.connectors.flourish import wholesale as flourish_wholesale
from cannasync.connectors.flourish.connector import FlourishConnector
from cannasync.connectors.flourish.settings import FlourishCredentials, FlourishSettings
from cannasync.connectors.leaflink import connector as leaflink
from cannasync.connectors.leaflink.settings import LeafLinkSettings
from cannasync.connectors.registry import MARKETS, wholesale_options
from cannasync.domain.sync import MappingError
from cannasync.domain.wholesale import FINAL_POS, POS_TARGETS, WholesaleStatus

# LeafLink's order as its docs show it (vendor-apis.md "Orders received"): the status capitalised.
ORDER: dict[str, Any] = {
    "number": "aec108ac-0000-uuid",
    "short_id": "a9bf6e2f",
    "customer": {"id": 148515, "display_name": "Good Vibrations Dispensary"},
    "status": "Accepted",
    "payment_term": "Net 7",
    "sales_reps": [{"id": 13, "user": "John Doe"}],
    "available_transitions": ["fulfilled", "rejected"],
    "modified": "2020-06-10T16:14:49.494713-06:00",
    "is_combination": False,
}
LINES = [{"product": 2093, "quantity": "10.0000", "ordered_unit_price": {"amount": 108}, "sale_price": {"amount": 99}}]


def test_a_leaflink_order_reads_in_the_bridges_words() -> None:
    order = leaflink.market_order(ORDER, LINES)
    assert order.status == WholesaleStatus.ACCEPTED and order.status_name == "accepted"
    assert order.available_transitions == (WholesaleStatus.FULFILLED, WholesaleStatus.REJECTED)
    line = order.lines[0]
    assert (line.item_id, line.quantity, line.unit_price_cents) == ("2093", Decimal("10.0000"), 9900)
    assert str(line.quantity) == "10.0000"  # the digest of lines already sent reads as it did


@pytest.mark.parametrize("status", sorted(leaflink.STATUSES))
def test_every_leaflink_status_has_a_meaning(status: str) -> None:
    order = leaflink.market_order({**ORDER, "status": status.capitalize()}, LINES)
    assert order.status == leaflink.STATUSES[status] and order.status_name == status


def test_a_leaflink_status_the_bridge_has_no_word_for_keeps_its_name_and_means_nothing() -> None:
    order = leaflink.market_order(
        {**ORDER, "status": "Quarantined", "available_transitions": "fulfilled, teleported"}, LINES
    )
    assert (order.status, order.status_name) == (None, "quarantined")
    assert order.available_transitions == (WholesaleStatus.FULFILLED,)


def test_a_leaflink_quantity_that_is_not_a_number_is_refused() -> None:
    with pytest.raises(MappingError, match="quantity"):
        leaflink.market_order(ORDER, [{**LINES[0], "quantity": None}])


def test_each_step_the_bridge_asks_for_is_a_leaflink_action() -> None:
    """Every status the POS can ask for, and every step on the way, has LeafLink's action (its transition URL)."""
    asked = set(POS_TARGETS.values()) | {WholesaleStatus.ACCEPTED, WholesaleStatus.FULFILLED, WholesaleStatus.SHIPPED}
    assert {status: leaflink.ACTIONS[status] for status in asked} == {
        WholesaleStatus.ACCEPTED: "accept",
        WholesaleStatus.FULFILLED: "fulfill",
        WholesaleStatus.SHIPPED: "ship",
        WholesaleStatus.REJECTED: "reject",
    }


@pytest.mark.parametrize(
    ("flourish", "meaning", "final"),
    [
        ("Created", None, False),
        ("Partially Allocated", WholesaleStatus.ACCEPTED, False),
        ("Allocated", WholesaleStatus.FULFILLED, False),
        ("Shipped", WholesaleStatus.SHIPPED, True),
        ("Cancelled", WholesaleStatus.CANCELLED, True),
        ("Completed", None, False),
    ],
)
def test_flourish_outbound_statuses_in_the_bridges_words(flourish: str, meaning: WholesaleStatus | None, final: bool):
    assert flourish_wholesale.STATUSES.get(flourish) == meaning
    assert (meaning in FINAL_POS) is final
    # Seed 004's table: Flourish Cancelled → LeafLink Rejected, Partially Allocated → Accepted, Allocated →
    # Fulfilled, Shipped → Shipped.
    target = POS_TARGETS.get(meaning) if meaning else None
    expected = {
        "Cancelled": "rejected",
        "Partially Allocated": "accepted",
        "Allocated": "fulfilled",
        "Shipped": "shipped",
    }
    assert target == expected.get(flourish)


def test_a_flourish_stock_webhook_names_its_item_and_other_news_does_not() -> None:
    connector = FlourishConnector(
        FlourishCredentials(username="u", api_key="k"), FlourishSettings(base_url="http://127.0.0.1:9/v1")
    )
    try:
        assert connector.stock_moved({"resource_type": "inventory_summary", "data": {"item_id": 42}}) == StockMoved(
            "42"
        )
        assert connector.stock_moved({"resource_type": "inventory_summary", "data": {"sku": "X"}}) is None
        assert connector.stock_moved({"resource_type": "order", "data": {"item_id": 42}}) is None
    finally:
        connector.close()


def test_a_links_options_keep_leaflinks_defaults_in_one_place() -> None:
    assert MARKETS == ("leaflink",)
    options = wholesale_options("leaflink", {})
    assert (options.stock_from_supplier, options.descriptions_from_supplier) == (True, True)
    assert options.create_on == {WholesaleStatus.ACCEPTED} and options.supplier_integration_id is None
    empty = LeafLinkSettings(create_on=[], brands=["Blue Ridge Resin"]).wholesale_options()
    assert empty.create_on == {WholesaleStatus.ACCEPTED}  # as the flow read an empty list before
    assert empty.brands == ("Blue Ridge Resin",) and empty.sells("blue ridge resin") and not empty.sells(None)


def test_flourish_outbound_lines_name_items_by_sku_as_the_vendors_plugin_does() -> None:
    """flourish-woocommerce-b2b (HandlerOrdersOutbound.php get_order_lines) sends ``{sku, order_qty, unit_price,
    discount_price}``; an item Flourish shows no SKU for falls back to its id."""
    lines = [WholesaleLine("11", Decimal("2"), 1250), WholesaleLine("12", Decimal("1.5"), 900)]
    body = flourish_wholesale._lines(lines, {"11": "OG-KUSH-3.5"})
    assert body == [
        {"sku": "OG-KUSH-3.5", "order_qty": 2.0, "unit_price": 12.5, "discount_price": 0},
        {"item_id": "12", "order_qty": 1.5, "unit_price": 9.0, "discount_price": 0},
    ]
