"""When an order's held stock goes back on the menu.

Checkout holds each line's stock (``domain.catalog.available_quantity`` counts it out) until the order ends: a
closed or cancelled order holds nothing. A POS that counts the sale the moment the order is created in it ends the
hold at the push instead, unless the store asked to keep holding. Ending a hold gives back everything the order
holds, once; the store does the row work (``store.catalog.holds``).
"""

from __future__ import annotations

from cannasync.domain.orders import FINAL_STATUSES, OrderStatus

#: The statuses whose orders hold nothing: reaching one gives the order's stock back.
RELEASING_STATUSES: frozenset[OrderStatus] = FINAL_STATUSES
#: Why a hold ended at the push: the POS counts the order's stock from then on.
COUNTED_AT_PUSH = "the POS counts it now"


def ends_holds(status: OrderStatus) -> bool:
    """Whether an order in ``status`` holds nothing."""
    return status in RELEASING_STATUSES


def release_on_status(status: OrderStatus) -> str | None:
    """Why moving an order to ``status`` gives back what it holds, or None when it keeps holding."""
    return f"order {status.value}" if ends_holds(status) else None


def release_on_push(*, counted_at_push: bool, keep_holding: bool) -> str | None:
    """Why an order's push into the POS gives back what it holds, or None when the hub keeps holding: only a POS
    that counts the sale at once (``counted_at_push``) ends it, and not when the store keeps holding."""
    return COUNTED_AT_PUSH if counted_at_push and not keep_holding else None
