"""The per-order "keep holding" switch: the stock the console says is held is the stock that is held.

A POS that deducts stock the moment an order is created in it (HoldRelease.ON_PUSH) makes the push end the hub's
hold, unless the store switched "keep holding" on. Flipping the switch after the push must therefore act at once:
on takes the hold again (only if the stock is still there), off gives it back. Before the push, or for a POS that
counts the sale only when it completes the order, the switch only records the wish: the push (or the close) does
the rest.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from cannasync.connectors.base import HoldRelease
from cannasync.connectors.registry import UnknownVendor, vendor
from cannasync.domain import holds as hold_rules
from cannasync.domain.orders import OrderStatus
from cannasync.flows.checkout import stock_wanted, tier_quantity
from cannasync.store.catalog.holds import OutOfStock
from cannasync.store.tables import Order
from cannasync.store.uow import Database, UnitOfWork

log = structlog.get_logger(__name__)

#: Why a hold ended because the store turned the switch off (shown in the order's hold list).
RELEASED_BY_SWITCH = "keep holding turned off: the POS counts it"


class CannotHoldAgain(Exception):
    """The store asked to hold an order's stock again but it is no longer there; nothing was changed."""


@dataclass(frozen=True, slots=True)
class SwitchResult:
    keep_holding: bool
    #: What the store should read: whether the stock is held now.
    notice: str


def _pos_counts_at_push(uow: UnitOfWork, order: Order) -> bool:
    integration = uow.accounts.integration(order.integration_id) if order.integration_id else None
    if integration is None:
        return False
    try:
        return vendor(integration.vendor).traits.hold_release == HoldRelease.ON_PUSH
    except UnknownVendor:
        return False


def _quantities(order: Order) -> dict[int, int]:
    """What the order's lines hold, in each product's stock units (a weight tier's grams), as checkout held it."""
    return stock_wanted([(line.product_id, line.quantity, tier_quantity(line)) for line in order.lines])


def set_keep_holding(db: Database, order_id: int, wanted: bool) -> SwitchResult:
    """Record the switch and make the holds match it; raises CannotHoldAgain (and changes nothing) when turning
    it on would need stock that has been sold since.

    The order row is locked, as the push locks it before deciding to release, so a push and a switch never both
    act on a stale view of the other.
    """
    try:
        with db.uow() as uow:
            order = uow.orders.get(order_id, lock=True)
            assert order is not None
            return _apply(uow, order, wanted)
    except OutOfStock as short:
        raise CannotHoldAgain(
            f"Not held: {short.name} has only {short.available} available, the order needs {short.wanted}. "
            "The switch stays off."
        ) from short


def _apply(uow: UnitOfWork, order: Order, wanted: bool) -> SwitchResult:
    order.keep_holding = wanted
    ended = hold_rules.ends_holds(OrderStatus(order.status))
    acts_now = bool(order.pos_order_id) and not ended and _pos_counts_at_push(uow, order)
    if not acts_now:
        if ended:
            return SwitchResult(wanted, "The order is closed: nothing is held for it.")
        if wanted:
            return SwitchResult(wanted, "Its stock stays held until the order closes.")
        return SwitchResult(wanted, "Its stock is held as the POS rules say.")
    holding = uow.holds.is_holding(order.id)
    if wanted and not holding:
        uow.holds.hold_again(order.id, _quantities(order))
        uow.orders.record(order.id, "note", "merchant", "stock held again until the order closes")
        log.info("hold_taken_again", order_id=order.id)
        return SwitchResult(True, "Its stock is held again until the order closes.")
    if not wanted and holding:
        uow.holds.release_holds(order.id, RELEASED_BY_SWITCH)
        uow.orders.record(order.id, "note", "merchant", "hold released: the POS counts the stock")
        log.info("hold_released_by_switch", order_id=order.id)
        return SwitchResult(False, "Its stock is released: the POS counts it now.")
    if wanted:
        return SwitchResult(True, "Its stock stays held until the order closes.")
    return SwitchResult(False, "Nothing is held: the POS counts its stock.")
