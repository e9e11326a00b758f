"""A vendor's order statuses as data: each maps to a canonical status, except for some kinds of order.

Every connector declares its table here instead of branching, so the table in docs/vendors.md and the code are
the same shape, and a status a vendor adds is one row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cannasync.domain.orders import Fulfillment, OrderStatus


@dataclass(frozen=True, slots=True)
class Row:
    """What a vendor status means (None: nothing changes), and the kinds of order it does not apply to."""

    status: OrderStatus | None
    not_for: frozenset[Fulfillment] = frozenset()


class StatusTable:
    def __init__(self, rows: Mapping[str, Row]) -> None:
        self._rows = dict(rows)

    def __contains__(self, raw: object) -> bool:
        return raw in self._rows

    def meaning(self, raw: str, fulfillment: Fulfillment) -> OrderStatus | None:
        """The canonical status a vendor status means for this order; None when it changes nothing."""
        row = self._rows.get(raw)
        if row is None or fulfillment in row.not_for:
            return None
        return row.status


DELIVERY = frozenset({Fulfillment.DELIVERY})
NOT_DELIVERY = frozenset({Fulfillment.PICKUP, Fulfillment.KIOSK})
