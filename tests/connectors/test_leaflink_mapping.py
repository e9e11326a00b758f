"""LeafLink JSON → the wholesale bridge's MarketOrder, pure: buyers, lines and their prices, payment terms both ways,
sales reps, offered transitions, combined orders, and the reasons a broken order is refused.

Shapes: the order is the OrderResponse example of vendor-apis.md §4 "Orders received" (LeafLink's own doc example,
``status`` capitalised); line items are LineItemResponse as the OpenAPI file types them
(reference/leaflink-marketplace-v2.openapi.yml: ``product`` a string id, ``quantity`` a decimal string, money
``{amount, currency}`` with a decimal-string amount) and as the sandbox serves them
(sandboxes/leaflink/records.py ``_line_json``). Statuses are left to the wholesale bridge's own tests.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from cannasync.connectors.leaflink.connector import market_order, payment_term_of
from cannasync.domain.sync import MappingError
from cannasync.domain.wholesale import PAYMENT_TERMS, payment_term
from cannasync.sandboxes.leaflink.catalog import PAYMENT_TERMS as LEAFLINK_TERMS

# vendor-apis.md §4, the OrderResponse example (fields the bridge never reads trimmed).
ORDER: dict[str, Any] = {
    "number": "aec108ac-6a43-4f1c-9c3f-0b1e2a9bf6e2f",
    "short_id": "a9bf6e2f",
    "external_id_seller": None,
    "created_on": "2020-06-10T15:15:03.776119-06:00",
    "buyer": 6109,
    "seller": 1,
    "customer": {"id": 148515, "display_name": "Good Vibrations Dispensary", "ext_acct_id": None, "delinquent": False},
    "status": "Accepted",
    "total": {"amount": 594, "currency": "USD"},
    "payment_term": "Net 7",
    "selected_payment_option": {
        "id": 1732313,
        "is_default": True,
        "payment_method": {"id": 4, "method": "ACH"},
        "payment_term": {"id": 3, "term": "Net 15", "days": 15, "code": "net15"},
    },
    "sales_reps": [{"id": 13, "user": "John Doe"}],
    "available_transitions": ["fulfilled", "rejected"],
    "modified": "2020-06-10T16:14:49.494713-06:00",
    "is_combination": False,
    "facility_id": 123,
}

# LineItemResponse as the sandbox serves it (records.py ``_line_json``): one line on sale, one at its list price
# (LeafLink sends a sale price of 0.00 when there is none).
LINES: list[dict[str, Any]] = [
    {
        "id": 501,
        "product": "2093",
        "quantity": "10.0000",
        "ordered_unit_price": {"amount": "108.00", "currency": "USD"},
        "sale_price": {"amount": "99.00", "currency": "USD"},
        "on_sale": True,
    },
    {
        "id": 502,
        "product": "2094",
        "quantity": "2.5000",
        "ordered_unit_price": {"amount": "45.50", "currency": "USD"},
        "sale_price": {"amount": "0.00", "currency": "USD"},
        "on_sale": False,
    },
]


def order(**changes: Any) -> dict[str, Any]:
    return {**copy.deepcopy(ORDER), **changes}


def lines(*changes: dict[str, Any]) -> list[dict[str, Any]]:
    found = copy.deepcopy(LINES)
    for line, change in zip(found, changes, strict=False):
        line.update(change)
    return found


def test_an_order_received_becomes_a_market_order() -> None:
    mapped = market_order(order(), lines())
    assert mapped.number == "aec108ac-6a43-4f1c-9c3f-0b1e2a9bf6e2f"
    assert mapped.short_id == "a9bf6e2f"  # the Order No. a person sees in LeafLink
    assert (mapped.buyer.id, mapped.buyer.name, mapped.buyer.license_number) == (
        "148515",
        "Good Vibrations Dispensary",
        None,
    )
    assert [(line.item_id, line.quantity, line.unit_price_cents) for line in mapped.lines] == [
        ("2093", Decimal("10.0000"), 9900),  # the sale price the buyer pays, not the $108 list price
        ("2094", Decimal("2.5000"), 4550),  # no sale price (0.00): the ordered unit price
    ]
    assert mapped.payment_term == "Net 15"
    assert mapped.sales_rep_ids == ("13",)
    assert mapped.available_transitions == ("fulfilled", "rejected")
    assert mapped.modified == datetime(2020, 6, 10, 22, 14, 49, 494_713, tzinfo=UTC)  # -06:00 read as UTC 22:14
    assert mapped.combination is False


@pytest.mark.parametrize(
    ("price", "expected"),
    [
        ({"amount": "12.345", "currency": "USD"}, 1235),  # half a cent rounds up
        ({"amount": 99, "currency": "USD"}, 9900),  # a number, as in LeafLink's own example
        ("99.00", 9900),  # a bare amount
        (None, 10800),  # no sale price at all: the ordered unit price
        ({"amount": None, "currency": "USD"}, 10800),
    ],
)
def test_a_lines_price_is_its_sale_price_when_there_is_one(price: Any, expected: int) -> None:
    mapped = market_order(order(), lines({"sale_price": price}))
    assert mapped.lines[0].unit_price_cents == expected


def test_an_order_with_no_lines_has_none() -> None:
    assert market_order(order(), []).lines == []


# --- payment terms (seed 004: both ways) ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "term"),
    [
        ({}, "Net 15"),  # the selected payment option's term wins over the legacy string
        ({"selected_payment_option": None}, "Net 7"),  # else the legacy ``payment_term`` string
        ({"selected_payment_option": None, "payment_term": {"id": 20, "term": "COD"}}, "COD"),
        ({"selected_payment_option": {"payment_method": {"id": 1}}, "payment_term": "Net 30"}, "Net 30"),
        ({"selected_payment_option": None, "payment_term": None}, None),
        ({"selected_payment_option": None, "payment_term": "  "}, None),
    ],
)
def test_the_orders_payment_term(changes: dict[str, Any], term: str | None) -> None:
    assert payment_term_of(order(**changes)) == term
    assert market_order(order(**changes), []).payment_term == term


@pytest.mark.parametrize("leaflink_term", [term for term in LEAFLINK_TERMS if term.supported], ids=lambda t: t.code)
def test_every_leaflink_term_the_bridge_supports_means_one_of_its_terms(leaflink_term: Any) -> None:
    """LeafLink's legacy term table (the sandbox's, from the OpenAPI file), by the ``term`` an order carries."""
    assert payment_term(leaflink_term.term) in PAYMENT_TERMS


def test_each_bridge_term_is_one_leaflink_offers() -> None:
    """The other way: every term the bridge can write has a LeafLink spelling (COD for Cash on Delivery)."""
    leaflink = {term.term for term in LEAFLINK_TERMS}
    for term in PAYMENT_TERMS:
        assert term in leaflink or (term, "COD") == ("Cash on Delivery", "COD"), term


def test_a_leaflink_only_term_is_not_a_bridge_term() -> None:
    assert payment_term("LeafLink Financial") is None  # the sandbox's "llf": LeafLink-internal
    assert payment_term("Net 45") is None


# --- reps, transitions, combined orders --------------------------------------------------------------------


def test_every_sales_rep_counts_and_odd_entries_are_skipped() -> None:
    reps = [{"id": 13, "user": "John Doe"}, "14", {"id": 15}]
    assert market_order(order(sales_reps=reps), []).sales_rep_ids == ("13", "15")
    assert market_order(order(sales_reps=None), []).sales_rep_ids == ()


@pytest.mark.parametrize(
    ("offered", "expected"),
    [
        (["Fulfilled", "Rejected"], ("fulfilled", "rejected")),
        ("fulfilled, rejected", ("fulfilled", "rejected")),  # typed a string in the OpenAPI file
        ("", ()),
        (None, ()),
    ],
)
def test_offered_transitions_are_read_as_lower_case_target_statuses(offered: Any, expected: tuple[str, ...]) -> None:
    assert market_order(order(available_transitions=offered), []).available_transitions == expected


@pytest.mark.parametrize(
    ("flag", "combined"),
    [(True, True), ("true", True), ("True", True), (False, False), ("false", False), (None, False)],
)
def test_a_combined_order_is_recognised_however_the_flag_is_typed(flag: Any, combined: bool) -> None:
    assert market_order(order(is_combination=flag), []).combination is combined


def test_the_buyers_name_falls_back_to_the_customers_name() -> None:
    customer = {"id": 148515, "name": "Good Vibrations LLC", "license_number": "C10-0000123-LIC"}
    buyer = market_order(order(customer=customer), []).buyer
    assert (buyer.name, buyer.license_number) == ("Good Vibrations LLC", "C10-0000123-LIC")


# --- refusals ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("order_changes", "line_changes", "reason"),
    [
        ({}, {"sale_price": {"amount": "ninety", "currency": "USD"}}, "price"),
        ({}, {"sale_price": None, "ordered_unit_price": {"amount": "-5.00", "currency": "USD"}}, "price"),
        # An order no buyer can be found for: paired as buyer "None", it would become a Flourish destination.
        ({"customer": None}, {}, "customer id"),
        ({"customer": {"display_name": "Good Vibrations Dispensary"}}, {}, "customer id"),
        # A line that names no product cannot be matched to a POS item, nor a quantity that is not one sent.
        ({}, {"product": None}, "product"),
        ({}, {"quantity": None}, "quantity"),
        ({}, {"quantity": "ten"}, "quantity"),
        ({"number": None}, {}, "number"),
        ({"modified": "last Tuesday"}, {}, "modified"),
    ],
)
def test_an_order_that_cannot_be_read_is_refused_with_its_reason(
    order_changes: dict[str, Any], line_changes: dict[str, Any], reason: str
) -> None:
    """A refusal names the field (the account check shows it beside the order), never a KeyError or a "None"."""
    with pytest.raises(MappingError, match=reason):
        market_order(order(**order_changes), lines(line_changes))
