"""Read queries the Orders screen needs that the orders repository does not offer yet.

``store/orders.py`` belongs to the order flows; this one count is read-only and screen-specific, so it lives
beside the screen until the repository grows an equivalent (then this module should call that instead).
"""

from __future__ import annotations

from sqlalchemy import func, select

from cannasync.store.tables import Order
from cannasync.store.uow import UnitOfWork


def order_counts(uow: UnitOfWork, store_id: int) -> dict[str, int]:
    """How many of the store's orders are in each status (one grouped query, for the tabs)."""
    rows = uow.session.execute(
        select(Order.status, func.count()).where(Order.store_id == store_id).group_by(Order.status)
    )
    return {status: int(count) for status, count in rows}
