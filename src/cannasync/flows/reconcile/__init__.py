"""Reconciliation: read the POS's truth, compare it with ours, explain every difference, repair what is safe.

Nothing is written to the vendor: the POS is only read, through the capabilities the other flows use (the menu
pages, the order lookup by our reference, the order status read). Repairs are ours alone, each recorded with the
difference it mends:

* a product whose count, price or listing drifted is re-synced from the page just read (the menu sync's own
  write, ``CatalogSync.save_page``); one the POS no longer sells is hidden (only after a complete read, as the menu
  sync does); one the POS sells and the store never listed makes the menu sync run now;
* an order the POS holds under our reference but ours never recorded (the push's answer was lost) has its push
  queued again through the outbox, outcome unknown, so the sender looks it up before it creates: exactly once;
* an order the POS moved on without telling us (a lost webhook, a poll not run yet) gets the POS's status, with
  the status machine's forward-only rule; that releases the holds of an order the POS closed;
* holds still open on orders that are closed (or that a POS counting stock at push already counts) are released.

What needs a person (a record the POS sends that cannot be read, a push the POS refuses, a POS order that
vanished) is listed with what to do, never guessed. Each page is compared and its differences written in one
transaction, so memory follows a page, not the catalogue.
"""

from __future__ import annotations

from datetime import timedelta

import structlog

from cannasync.connectors.base import Connector, InventorySource, ShopperSource, WholesaleMarket
from cannasync.flows.reconcile import catalogue, loyalty_source, orders, wholesale_bridge
from cannasync.flows.reconcile.counts import ReconcileCounts
from cannasync.store.accounts import IntegrationConfig
from cannasync.store.drift import FLOW
from cannasync.store.uow import Database

INTERVAL = timedelta(days=1)

log = structlog.get_logger(__name__)

__all__ = ["FLOW", "INTERVAL", "ReconcileCounts", "run"]


def run(db: Database, connector: Connector, integration: IntegrationConfig, run_id: int) -> ReconcileCounts:
    """One reconciliation: a store's POS (its catalogue, then its orders, then its holds), or a loyalty source
    (its customers, then its completed sales)."""
    counts = ReconcileCounts()
    if isinstance(connector, ShopperSource):
        loyalty_source.reconcile(db, connector, integration, run_id, counts)
        return counts
    if isinstance(connector, WholesaleMarket):
        wholesale_bridge.reconcile(db, connector, integration, run_id, counts)
        return counts
    if integration.store_id is None:
        raise ValueError("a reconciliation compares a store's POS connection or a loyalty source")
    pages = 0
    if isinstance(connector, InventorySource):
        pages = catalogue.reconcile(db, connector, integration, run_id, counts)
    orders.reconcile_orders(db, connector, integration, run_id, counts, pages)
    orders.reconcile_holds(db, connector, integration, run_id, counts, pages)
    with db.uow() as uow:
        uow.runs.progress(run_id, pages=pages, seen=counts.products + counts.orders, counts=counts.as_dict())
    log.info("reconcile_done", integration_id=integration.id, run_id=run_id, **counts.as_dict())
    return counts
