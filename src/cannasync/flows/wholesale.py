"""The wholesale bridge (seed 004): a POS facility and a marketplace seller account agree on products, stock,
buyers, orders and payment terms, with each fact owned by one side. Each side's connector speaks its vendor's
words; the bridge reads statuses as :class:`WholesaleStatus` and the link's settings as its typed options.

One run, top to bottom:
  1. products: each item enabled for e-commerce whose brand this account sells gets its marketplace product
     (created Available; afterwards only stock and description change, as the link's rules say, never the
     listing state the seller set);
  2. orders in: marketplace orders changed since the last run → POS orders (created at the link's statuses,
     cancelled when rejected, cancelled or combined, lines replaced when the buyer edits them);
  3. statuses out: POS order statuses → marketplace transitions, only those the marketplace allows now;
     anything else is recorded on the pair for a person. Payment terms travel both ways when supported.
Webhooks only trigger a run sooner (``on_webhook``): the run is the one place that acts, so a redelivered or
echoed webhook changes nothing. The one exception is a POS stock change, pushed to the marketplace at once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple

import structlog

from cannasync.connectors.base import (
    Connector,
    MarketOrder,
    SupplierWebhooks,
    WholesaleLine,
    WholesaleMarket,
    WholesaleOptions,
    WholesaleSupplier,
)
from cannasync.connectors.http import Rejected, VendorError
from cannasync.connectors.registry import MARKETS, SUPPLIERS, VENDORS, build_connector, vendor, wholesale_options
from cannasync.domain.sync import RunCounts
from cannasync.domain.wholesale import (
    CANCELLING_STATUSES,
    FINAL_POS,
    POS_TARGETS,
    TARGET_ACTIONS,
    WholesaleStatus,
    next_step,
    payment_term,
    reached,
)
from cannasync.store.accounts import IntegrationConfig
from cannasync.store.types import utcnow
from cannasync.store.uow import Database

FLOW = "wholesale_sync"
INTERVAL = timedelta(minutes=2)

log = structlog.get_logger(__name__)


class BridgeMisconfigured(ValueError):
    pass


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _lines_digest(lines: Sequence[WholesaleLine]) -> str:
    return _digest("|".join(f"{line.item_id}:{line.quantity}:{line.unit_price_cents}" for line in lines))


def options(integration: IntegrationConfig) -> WholesaleOptions:
    """The link's settings as its marketplace connector reads them."""
    return wholesale_options(integration.vendor, integration.settings)


class Sides(NamedTuple):
    """The vendors of a link's two sides, by the registry's name and display name (for notes to people)."""

    pos: str
    pos_title: str
    market: str
    market_title: str


def sides(db: Database, integration: IntegrationConfig) -> Sides:
    supplier_id = options(integration).supplier_integration_id
    with db.uow() as uow:
        row = uow.accounts.integration(supplier_id, integration.organization_id) if supplier_id else None
        pos = row.vendor if row is not None and row.vendor in VENDORS else None
    market = vendor(integration.vendor)
    return Sides(pos or "pos", vendor(pos).title if pos else "the POS", market.name, market.title)


def titles(db: Database, integration: IntegrationConfig) -> tuple[str, str]:
    """The display names of the link's POS and of its marketplace."""
    found = sides(db, integration)
    return found.pos_title, found.market_title


def supplier_for(db: Database, integration: IntegrationConfig) -> WholesaleSupplier:
    supplier_id = options(integration).supplier_integration_id
    with db.uow() as uow:
        row = uow.accounts.integration(supplier_id, integration.organization_id) if supplier_id else None
        market = vendor(integration.vendor).title
        if row is None or row.vendor not in SUPPLIERS:
            pos = " or ".join(vendor(name).title for name in SUPPLIERS)
            raise BridgeMisconfigured(f"the {market} link names no {pos} connection of this organization")
        if not row.credentials:
            pos = vendor(row.vendor).title
            raise BridgeMisconfigured(f"the {pos} connection this {market} link sells from is disconnected")
        config = uow.accounts.config(row)
    return SUPPLIERS[config.vendor](config.credentials, config.settings)


def run(db: Database, market: Connector, integration: IntegrationConfig, run_id: int) -> RunCounts:
    assert isinstance(market, WholesaleMarket)
    counts = RunCounts()
    supplier = supplier_for(db, integration)
    try:
        sync_products(db, supplier, market, integration, counts)
        orders_in(db, supplier, market, integration, counts)
        statuses_out(db, supplier, market, integration, counts)
    finally:
        supplier.close()
    with db.uow() as uow:
        uow.runs.progress(
            run_id, pages=1, seen=counts.created + counts.updated + counts.unchanged, counts=counts.as_dict()
        )
    return counts


# --- 1. products and stock ----------------------------------------------------------------------------------


def sync_products(
    db: Database,
    supplier: WholesaleSupplier,
    market: WholesaleMarket,
    integration: IntegrationConfig,
    counts: RunCounts,
) -> None:
    link = market.wholesale_options
    stock, descriptions = link.stock_from_supplier, link.descriptions_from_supplier
    for item in supplier.offered_items():
        if not link.sells(item.brand):
            continue  # another account's brand
        with db.uow() as uow:
            pair = uow.wholesale.product_for_item(integration.id, item.id)
            known = (pair.market_product_id, pair.quantity_sent, pair.description_sent) if pair else None
        if known is None:
            product_id = market.find_product(item.sku) or market.create_product(item, with_quantity=stock)
            with db.uow() as uow:
                created = uow.wholesale.pair_product(integration.id, item.id, product_id)
                created.quantity_sent = item.quantity if stock else None
                created.description_sent = _digest(item.description)
            if stock or descriptions:
                market.update_product(
                    product_id,
                    quantity=item.quantity if stock else None,
                    description=item.description if descriptions else None,
                )
            counts.created += 1
            continue
        product_id, quantity_sent, description_sent = known
        quantity = item.quantity if stock and item.quantity != quantity_sent else None
        description = item.description if descriptions and _digest(item.description) != description_sent else None
        if quantity is None and description is None:
            counts.unchanged += 1
            continue
        market.update_product(product_id, quantity=quantity, description=description)
        with db.uow() as uow:
            pair = uow.wholesale.product_for_item(integration.id, item.id)
            assert pair is not None
            if quantity is not None:
                pair.quantity_sent = quantity
            if description is not None:
                pair.description_sent = _digest(description)
            pair.updated_at = utcnow()
        counts.updated += 1


def push_stock(
    db: Database, supplier: WholesaleSupplier, market: WholesaleMarket, integration: IntegrationConfig, item_id: str
) -> bool:
    """A stock change in the POS, reported by webhook: the marketplace quantity follows at once."""
    if not market.wholesale_options.stock_from_supplier:
        return False
    with db.uow() as uow:
        pair = uow.wholesale.product_for_item(integration.id, item_id)
        known = (pair.market_product_id, pair.quantity_sent) if pair else None
    if known is None:
        return False
    quantity = supplier.sellable(item_id)
    if quantity == known[1]:
        return False
    market.update_product(known[0], quantity=quantity, description=None)
    with db.uow() as uow:
        pair = uow.wholesale.product_for_item(integration.id, item_id)
        assert pair is not None
        pair.quantity_sent = quantity
    return True


def on_webhook(
    db: Database,
    connector: Connector,
    integration: IntegrationConfig,
    payload: Mapping[str, Any],
    run_soon: Callable[[int], object],
) -> str:
    """A verified, first-seen webhook of either side of a bridge (the API hands it over; ``run_soon`` asks for a
    link's run now). A stock change in the POS moves at once; everything else runs the bridge now (the run is the
    one place that acts, so an echo of the bridge's own write changes nothing)."""
    if isinstance(connector, WholesaleMarket):
        run_soon(integration.id)
        return "bridge run"
    stock = connector.stock_moved(payload) if isinstance(connector, SupplierWebhooks) else None
    moved = 0
    for link in _links_selling_from(db, integration):
        if stock is None:
            run_soon(link.id)
            continue
        market = build_connector(link.vendor, link.credentials, link.settings)
        try:
            assert isinstance(market, WholesaleMarket)
            supplier = supplier_for(db, link)
            try:
                moved += push_stock(db, supplier, market, link, stock.item_id)
            finally:
                supplier.close()
        finally:
            market.close()
    return f"stock pushed to {moved} listing(s)" if moved else "bridge run"


def _links_selling_from(db: Database, pos: IntegrationConfig) -> list[IntegrationConfig]:
    """The enabled marketplace links of the organization that sell from this POS connection."""
    with db.uow() as uow:
        return [
            uow.accounts.config(row)
            for market in MARKETS
            for row in uow.accounts.organization_integrations(pos.organization_id, market)
            if row.enabled and wholesale_options(row.vendor, row.settings).supplier_integration_id == pos.id
        ]


# --- 2. orders in -----------------------------------------------------------------------------------------------


def orders_in(
    db: Database,
    supplier: WholesaleSupplier,
    market: WholesaleMarket,
    integration: IntegrationConfig,
    counts: RunCounts,
) -> None:
    with db.uow() as uow:
        row = uow.accounts.integration(integration.id)
        assert row is not None
        since_text = row.sync_state.get("orders_since")
    since = datetime.fromisoformat(since_text) if since_text else None
    cursor = since
    # The whole batch first: a combination and the orders it replaces change together, in either order.
    batch = list(market.orders_changed_since(since))
    replacing = _buyers_with_replaced_orders(db, integration.id, batch)
    for order in batch:
        if order.modified is not None:
            cursor = order.modified if cursor is None else max(cursor, order.modified)
        replaces = order.combination and order.buyer.id in replacing
        outcome = order_in(db, supplier, market, integration, order, replaces=replaces)
        setattr(counts, outcome, getattr(counts, outcome) + 1)
    with db.uow() as uow:
        row = uow.accounts.integration(integration.id)
        assert row is not None
        if cursor is not None:
            row.sync_state = {**row.sync_state, "orders_since": cursor.isoformat()}


def _buyers_with_replaced_orders(db: Database, integration_id: int, batch: Sequence[MarketOrder]) -> set[str]:
    """Buyers whose orders were combined away in this batch after reaching the POS.

    Seed 004: the POS cancels the combined orders and creates the new order that replaces them. The
    combination has to be created whatever statuses the link creates on, or the buyer's goods vanish from the
    POS (both originals cancelled, nothing in their place). The cursor only moves once a run succeeds, so a
    run that fails half-way sees the same batch, and the same buyers, again.
    """
    combined = [order for order in batch if order.status == WholesaleStatus.COMBINED]
    if not combined:
        return set()
    with db.uow() as uow:
        return {
            order.buyer.id
            for order in combined
            if (pair := uow.wholesale.order(integration_id, order.number)) is not None and pair.pos_order_id
        }


def _facility(link: WholesaleOptions, supplier: WholesaleSupplier, order: MarketOrder) -> str:
    """Orders route to a facility by their sales rep; the link's facility otherwise."""
    reps = link.sales_rep_facilities
    return next((reps[rep] for rep in order.sales_rep_ids if rep in reps), supplier.facility_id)


def order_in(
    db: Database,
    supplier: WholesaleSupplier,
    market: WholesaleMarket,
    integration: IntegrationConfig,
    order: MarketOrder,
    *,
    replaces: bool = False,
) -> str:
    """Apply one marketplace order to the POS; returns created, updated or unchanged.

    ``replaces``: the order combines orders that were in the POS (now cancelled there); it is created at once.
    """
    with db.uow() as uow:
        pair = uow.wholesale.order(integration.id, order.number) or uow.wholesale.add_order(
            integration.id, order.number, order.status_name
        )
        state = (pair.pos_order_id, pair.facility_id, pair.lines_sent, pair.pos_status, pair.payment_term)
        pair.market_status = order.status_name
    pos_id, facility, lines_sent, pos_status, known_term = state
    pos_final = pos_status is not None and supplier.status_meaning(pos_status) in FINAL_POS
    if order.status in CANCELLING_STATUSES:
        if pos_id and facility and not pos_final:
            cancelled = supplier.cancel_order(pos_id, facility)
            _record(db, integration.id, order.number, pos_status=cancelled.status)
            return "updated"
        return "unchanged"
    lines, missing = _pos_lines(db, integration.id, order.lines)
    if missing:
        pos_title, market_title = titles(db, integration)
        conflict = f"{market_title} products {', '.join(missing)} are not bridged to {pos_title} items; "
        if replaces:  # the originals are already cancelled: say what brings their goods back
            conflict = (
                f"this order combines orders already cancelled in {pos_title}, so their goods are in no {pos_title} "
                f"order: {conflict}list their {pos_title} items for e-commerce under one of this link's brands, "
                f"then save the order in {market_title} so the bridge reads it again"
            )
        else:
            conflict += "the order waits until they are"
        _record(db, integration.id, order.number, conflict=conflict)
        return "skipped"
    term = payment_term(order.payment_term)
    link = market.wholesale_options
    if pos_id is None:
        if order.status not in link.create_on and not replaces:
            return "unchanged"
        facility = _facility(link, supplier, order)
        created = supplier.find_order(order.number, facility)
        if created is None:
            # The buyer goes with the order, with the details the marketplace has (license, e-mail, phone):
            # the POS finds its customer by license, or makes it, once.
            buyer = market.buyer(order.buyer.id) or order.buyer
            created = supplier.create_order(order.number, buyer, facility, lines, term, order.short_id)
        if created.destination_id:
            with db.uow() as uow:  # which POS customer each buyer became, for the people who look
                uow.wholesale.pair_customer(integration.id, order.buyer.id, created.destination_id)
        _record(
            db,
            integration.id,
            order.number,
            pos_order_id=created.id,
            facility_id=facility,
            pos_status=created.status,
            lines_sent=_lines_digest(lines),
            payment_term=term,
            conflict=None if term or not order.payment_term else _unshared_term(db, integration, order.payment_term),
        )
        return "created"
    new_term = term is not None and term != known_term  # the buyer or seller changed it on the marketplace
    if (_lines_digest(lines) != lines_sent or new_term) and not pos_final and facility:
        try:
            replaced = supplier.replace_lines(pos_id, facility, lines, term)
        except Rejected as refused:
            kept = f"{titles(db, integration)[0]} kept the order as it was: {refused.message}"
            _record(db, integration.id, order.number, conflict=kept)
            return "skipped"
        _record(
            db,
            integration.id,
            order.number,
            lines_sent=_lines_digest(lines),
            pos_status=replaced.status,
            payment_term=term or known_term,
        )
        return "updated"
    return "unchanged"


def _unshared_term(db: Database, integration: IntegrationConfig, term: str) -> str:
    pos_title, market_title = titles(db, integration)
    return f"payment term {term!r} is not one {pos_title} and {market_title} share; left alone"


def _pos_lines(
    db: Database, integration_id: int, lines: Sequence[WholesaleLine]
) -> tuple[list[WholesaleLine], list[str]]:
    pos, missing = [], []
    with db.uow() as uow:
        for line in lines:
            item = uow.wholesale.item_for_product(integration_id, line.item_id)
            if item is None:
                missing.append(line.item_id)
            else:
                pos.append(WholesaleLine(item, line.quantity, line.unit_price_cents))
    return pos, missing


def _record(db: Database, integration_id: int, number: str, **fields: Any) -> None:
    with db.uow() as uow:
        pair = uow.wholesale.order(integration_id, number)
        assert pair is not None
        for name, value in fields.items():
            setattr(pair, name, value)
        pair.updated_at = utcnow()


# --- 3. statuses and terms out -------------------------------------------------------------------------------


def statuses_out(
    db: Database,
    supplier: WholesaleSupplier,
    market: WholesaleMarket,
    integration: IntegrationConfig,
    counts: RunCounts,
) -> None:
    with db.uow() as uow:
        open_pairs = [
            (p.market_number, p.pos_order_id, p.facility_id, p.pos_status, p.payment_term)
            for p in uow.wholesale.orders(integration.id)
            if p.pos_order_id and p.facility_id and p.market_status not in CANCELLING_STATUSES
        ]
    for number, pos_id, facility, known_status, known_term in open_pairs:
        assert pos_id is not None and facility is not None
        pos = supplier.order(pos_id, facility)
        if pos is None:
            continue
        changed = False
        if pos.status != known_status:
            # The POS status is recorded only once the marketplace has followed it (or cannot): a walk that
            # failed on the way is compared, and walked again, on the next run.
            if _walk(db, market, integration, number, pos.status, pos.meaning) != "retry":
                _record(db, integration.id, number, pos_status=pos.status)
            changed = True
        if pos.payment_term != known_term and pos.payment_term:
            supported = payment_term(pos.payment_term)
            if supported is None:
                _record(
                    db,
                    integration.id,
                    number,
                    payment_term=pos.payment_term,
                    conflict=_untaken_term(db, integration, pos.payment_term),
                )
            else:
                market.set_payment_term(number, supported)
                _record(db, integration.id, number, payment_term=pos.payment_term)
            changed = True
        counts.updated += int(changed)


def _untaken_term(db: Database, integration: IntegrationConfig, term: str) -> str:
    pos_title, market_title = titles(db, integration)
    return f"{pos_title}'s payment term {term!r} is not one {market_title} takes; left alone"


def _walk(
    db: Database,
    market: WholesaleMarket,
    integration: IntegrationConfig,
    number: str,
    pos_status: str,
    meaning: WholesaleStatus | None,
) -> str:
    """Move the marketplace order to the status the POS status asks for, one offered transition at a time.

    Returns "done" (there, or nothing to do), "conflict" (no offered move gets closer: recorded on the pair
    for a person) or "retry" (a transition failed: the next run reads the order again and carries on).
    """
    target = POS_TARGETS.get(meaning) if meaning is not None else None
    if target is None:
        return "done"
    order = market.order(number)
    if order is None:
        _record(db, integration.id, number, conflict="the marketplace no longer has this order: left for a person")
        return "conflict"
    for _ in range(len(TARGET_ACTIONS)):  # the road is short; a vendor that never moves cannot loop us
        if reached(order.status, target):
            _record(db, integration.id, number, market_status=order.status_name, conflict=None)
            return "done"
        step = next_step(order.status, target, order.available_transitions)
        if step is None:
            offered = ", ".join(order.available_transitions) or "nothing"
            _record(
                db,
                integration.id,
                number,
                market_status=order.status_name,
                conflict=(
                    f"the POS says {pos_status!r}, which asks for {TARGET_ACTIONS[target]!r}, but the marketplace "
                    f"order is {order.status_name} and offers {offered}: no path, left for a person"
                ),
            )
            return "conflict"
        action = TARGET_ACTIONS[step]
        try:
            moved = market.transition(number, step)
        except VendorError as error:
            _record(
                db,
                integration.id,
                number,
                market_status=order.status_name,
                conflict=f"the marketplace refused {action!r} ({error.message}); tried again on the next run",
            )
            return "retry"
        if moved.status == order.status:
            break
        _record(db, integration.id, number, market_status=moved.status_name, transition_sent=action)
        order = moved
    if reached(order.status, target):
        _record(db, integration.id, number, conflict=None)
        return "done"
    _record(
        db,
        integration.id,
        number,
        conflict=(
            f"the marketplace order stayed {order.status_name} on the way to {target}; tried again on the next run"
        ),
    )
    return "retry"
