"""Reconciling a wholesale bridge: the POS's wholesale items and each order pair's two statuses against the
marketplace."""

from __future__ import annotations

from cannasync.connectors.base import WholesaleMarket
from cannasync.domain.drift import Cause, Difference, Kind, Repair
from cannasync.domain.wholesale import FINAL_POS
from cannasync.flows import wholesale
from cannasync.flows.reconcile.counts import ReconcileCounts
from cannasync.store.accounts import IntegrationConfig
from cannasync.store.uow import Database


def reconcile(
    db: Database, market: WholesaleMarket, integration: IntegrationConfig, run_id: int, counts: ReconcileCounts
) -> None:
    """The POS's wholesale items against the marketplace products the bridge made, and each order pair's two
    statuses against both vendors. Every repair is the bridge's own run, made due now: it alone writes to either
    vendor, with its rules (who owns stock and descriptions, which transitions the marketplace offers)."""
    side = wholesale.sides(db, integration)
    supplier = wholesale.supplier_for(db, integration)
    link = market.wholesale_options
    stock = link.stock_from_supplier
    differences: list[Difference] = []
    try:
        for item in supplier.offered_items():
            if not link.sells(item.brand):
                continue
            counts.products += 1
            with db.uow() as uow:
                pair = uow.wholesale.product_for_item(integration.id, item.id)
                known = (pair.market_product_id, pair.quantity_sent, pair.updated_at) if pair else None
            label = item.name
            if known is None:
                differences.append(
                    Difference(
                        Kind.NOT_LISTED,
                        "product",
                        label,
                        {"marketplace_product": None},
                        {"item": item.id, "sellable": item.quantity},
                        Cause.POS_CHANGED,
                        "an item of this account's brands with no marketplace product yet",
                        Repair.REPAIRED,
                        "the bridge runs now and lists it",
                        external_id=item.id,
                    )
                )
            elif stock and item.quantity != known[1]:
                differences.append(
                    Difference(
                        Kind.WHOLESALE_STOCK,
                        "product",
                        label,
                        {"quantity_sent": known[1], "product": known[0]},
                        {"sellable": item.quantity},
                        Cause.MISSED_WEBHOOK,
                        "the POS's stock changed and the marketplace was not sent it (its stock webhook was lost)",
                        Repair.REPAIRED,
                        "the bridge runs now and sends the quantity",
                        external_id=item.id,
                        since=known[2],
                    )
                )
        with db.uow() as uow:
            pairs = [
                (
                    p.market_number,
                    p.pos_order_id,
                    p.facility_id,
                    p.market_status,
                    p.pos_status,
                    p.conflict,
                    p.updated_at,
                )
                for p in uow.wholesale.orders(integration.id)
            ]
        for number, pos_id, facility, ours_market, ours_pos, conflict, since in pairs:
            if conflict:
                differences.append(
                    Difference(
                        Kind.WHOLESALE_CONFLICT,
                        "order",
                        f"order {number}",
                        {side.market: ours_market, side.pos: ours_pos},
                        {},
                        Cause.FAILED_PUSH,
                        conflict,
                        Repair.NEEDS_PERSON,
                        f"settle it in {side.market_title} or {side.pos_title} as the note says",
                    )
                )
                continue
            if ours_pos is not None and supplier.status_meaning(ours_pos) in FINAL_POS:
                continue
            counts.orders += 1
            pos_order = supplier.order(pos_id, facility) if pos_id and facility else None
            theirs_pos = pos_order.status if pos_order else None
            found = market.order(number)
            theirs_market = found.status_name if found else None
            pos_moved = pos_id is not None and theirs_pos not in (None, ours_pos)
            market_moved = theirs_market is not None and theirs_market != ours_market
            if pos_moved or market_moved:
                differences.append(
                    Difference(
                        Kind.WHOLESALE_STATUS,
                        "order",
                        f"order {number}",
                        {side.market: ours_market, side.pos: ours_pos},
                        {side.market: theirs_market, side.pos: theirs_pos},
                        Cause.MISSED_WEBHOOK,
                        _status_moved(ours_market, theirs_market, ours_pos, theirs_pos, pos_moved, market_moved),
                        Repair.REPAIRED,
                        "the bridge runs now and carries the status across, with the transitions the marketplace "
                        "offers (each sent once: it reads the order before each step)"
                        if pos_moved
                        else "the bridge runs now and carries the marketplace's order to the POS",
                        since=since,
                    )
                )
    finally:
        supplier.close()
    with db.uow() as uow:
        if differences:
            repairable = [d for d in differences if d.repair == Repair.REPAIRED]
            if repairable and not uow.drift.sync_soon(integration.id, wholesale.FLOW):
                for difference in repairable:
                    difference.repair = Repair.NEEDS_PERSON
                    difference.repair_detail = f"the bridge is paused: enable the {side.market_title} link"
        uow.drift.record(run_id, integration.id, differences)
        counts.add(differences)
        uow.runs.progress(run_id, pages=0, seen=counts.products + counts.orders, counts=counts.as_dict())


def _status_moved(
    ours_market: str, theirs_market: str | None, ours_pos: str | None, theirs_pos: str | None, pos: bool, market: bool
) -> str:
    """Which side moved the order, from what to what, and why the other side was not told."""
    moves = []
    if pos:
        moves.append(f"the POS moved its outbound order from {ours_pos} to {theirs_pos}")
    if market:
        moves.append(f"the marketplace moved it from {ours_market} to {theirs_market}")
    return (
        "; ".join(moves) + ": the webhook that announces it never reached the hub, and the bridge has not run "
        "since, so the other side still shows the old status"
    )
