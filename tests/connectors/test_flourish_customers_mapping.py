"""Flourish's customer body, item art and the retail order read back by our reference, pure (beside
test_flourish_mapping.py, which covers the menu, statuses and the order body).

Shapes: ``POST /customers/`` fields and the retail order of vendor-apis.md §1 "Customers" and "Retail orders"
(``original_order_id`` our external id, ``order_lines`` of ``{item_id, sku, order_qty, unit_price}``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from cannasync.connectors.flourish import mapping
from cannasync.domain.customers import CustomerDetails
from cannasync.domain.sync import MappingError


def test_a_new_flourish_customer_whose_id_staff_must_check_is_not_verified() -> None:
    details = CustomerDetails(
        "Casey", "Morgan", date(1992, 9, 30), "5550002222", "casey@example.com", "MI-MED-0042", date(2027, 1, 31)
    )
    assert mapping.customer_body(details, needs_id_verification=True) == {
        "first_name": "Casey",
        "last_name": "Morgan",
        "dob": "1992-09-30",
        "email": "casey@example.com",
        "phone": "5550002222",
        "patient_id": "MI-MED-0042",  # Flourish's name for the medical card number
        "is_verified": False,  # how Flourish flags an ID to check at pickup
    }


def test_a_customer_body_sends_only_what_is_known() -> None:
    body = mapping.customer_body(CustomerDetails("Casey", "Morgan"), needs_id_verification=False)
    assert body == {"first_name": "Casey", "last_name": "Morgan", "is_verified": True}


def test_item_art_is_shown_product_shot_first_then_packaging_then_label() -> None:
    art = {"label": "https://art.example/l.png", "product": "https://art.example/p.png", "packaging": " "}
    assert mapping.art_links(art) == ("https://art.example/p.png", "https://art.example/l.png")
    assert mapping.art_links(None) == () and mapping.art_links({}) == ()


ORDER: dict[str, Any] = {
    "id": "88121",
    "original_order_id": "1042",
    "customer_id": "70002",
    "order_status": "Submitted",
    "created_timestamp": "2025-06-01T16:05:09.120Z",
    # A line sent split in two, one cent apart (mapping.order_lines), and a delivery fee.
    "order_lines": [
        {"item_id": "10001", "sku": "BRR-VP-10001", "order_qty": 2, "unit_price": 16.99},
        {"item_id": "10001", "sku": "BRR-VP-10001", "order_qty": 1, "unit_price": 17.0},
        {"item_id": "10002", "sku": None, "order_qty": 1, "unit_price": 38.25},
    ],
    "delivery_fee": 5.0,
    "total": 94.23,
}


def test_an_order_found_by_our_reference_reads_back_its_goods_value_lines_and_customer() -> None:
    placed = mapping.placed_order(ORDER)
    assert (placed.pos_order_id, placed.reference, placed.customer_pos_id) == ("88121", "1042", "70002")
    assert placed.quantities == {"10001": 3, "10002": 1}
    assert placed.goods_cents == 8923  # the total less the delivery fee Flourish added to it
    assert placed.created_at == datetime(2025, 6, 1, 16, 5, 9, 120_000, tzinfo=UTC)
    assert mapping.placed_order({**ORDER, "delivery_fee": None}).goods_cents == 9423


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"total": "ninety"}, "total"),
        ({"created_timestamp": "yesterday"}, "created_timestamp"),
        ({"order_lines": [{"order_qty": 1}]}, "without item_id"),
        ({"order_lines": "10001 x3"}, "order_lines"),
    ],
)
def test_an_order_that_cannot_be_read_back_is_refused_with_its_reason(changes: dict[str, Any], reason: str) -> None:
    with pytest.raises(MappingError, match=reason):
        mapping.placed_order({**ORDER, **changes})
