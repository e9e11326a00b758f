"""When an order's held stock goes back (domain/holds.py): no database, no HTTP."""

from __future__ import annotations

import pytest

from cannasync.domain.holds import COUNTED_AT_PUSH, RELEASING_STATUSES, ends_holds, release_on_push, release_on_status
from cannasync.domain.orders import OrderStatus

OPEN = [status for status in OrderStatus if status.is_open]


def test_only_a_closed_or_cancelled_order_ends_its_holds() -> None:
    assert {OrderStatus.CLOSED, OrderStatus.CANCELLED} == RELEASING_STATUSES
    assert [status for status in OrderStatus if ends_holds(status)] == [OrderStatus.CLOSED, OrderStatus.CANCELLED]


@pytest.mark.parametrize("status", OPEN)
def test_an_open_order_keeps_holding(status: OrderStatus) -> None:
    assert not ends_holds(status)
    assert release_on_status(status) is None


def test_an_ended_order_releases_with_its_status_as_the_reason() -> None:
    assert release_on_status(OrderStatus.CLOSED) == "order closed"
    assert release_on_status(OrderStatus.CANCELLED) == "order cancelled"


@pytest.mark.parametrize(
    ("counted_at_push", "keep_holding", "reason"),
    [(True, False, COUNTED_AT_PUSH), (True, True, None), (False, False, None), (False, True, None)],
)
def test_a_push_releases_only_where_the_pos_counts_it_and_the_store_did_not_keep_holding(
    counted_at_push: bool, keep_holding: bool, reason: str | None
) -> None:
    assert release_on_push(counted_at_push=counted_at_push, keep_holding=keep_holding) == reason
