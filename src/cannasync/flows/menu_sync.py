"""Menu sync: read the POS catalogue a page at a time, write only what changed, hide only after a complete read.

connector.menu_pages() → mapped products / quarantined records → store (per page, one transaction)
→ after a complete read: hide what the POS no longer lists → refresh expiring image links → counts
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import structlog

from cannasync.connectors.base import ImageSource, InventorySource
from cannasync.domain.catalog import map_category
from cannasync.domain.sync import RunCounts
from cannasync.store.accounts import IntegrationConfig
from cannasync.store.catalog import PRODUCT
from cannasync.store.types import utcnow
from cannasync.store.uow import Database

FLOW = "menu_sync"
INTERVAL = timedelta(minutes=10)
IMAGE_BATCH = 50

log = structlog.get_logger(__name__)


def run(db: Database, connector: InventorySource, integration: IntegrationConfig, run_id: int) -> RunCounts:
    """One full read of the catalogue. A vendor error ends the run before anything is hidden."""
    store_id = integration.store_id
    if store_id is None:
        raise ValueError("a menu is read for a store's POS integration")
    counts = RunCounts()
    seen: set[str] = set()  # external ids only: bounded by the catalogue's size, never its records
    with db.uow() as uow:
        categories = uow.catalog.category_map(store_id)
        # Usually empty; checked in memory so that a clean page costs no write to the quarantine.
        quarantined = {record.external_id for record in uow.runs.quarantined(integration.id)}
    pages = 0
    for page in connector.menu_pages():
        pages += 1
        with db.uow() as uow:
            # A POS that lists an item twice in one read (two rows, two rooms) gets its first listing used.
            fresh = list({p.external_id: p for p in reversed(page.products) if p.external_id not in seen}.values())
            fresh.reverse()
            counts.skipped += len(page.products) - len(fresh)
            outcomes = uow.catalog.save_page(
                store_id=store_id,
                integration_id=integration.id,
                products=[(product, map_category(product.category, categories)) for product in fresh],
                run_id=run_id,
                store_owned=connector.options.store_owned,
            )
            for product, outcome in zip(fresh, outcomes, strict=True):
                setattr(counts, outcome, getattr(counts, outcome) + 1)
                seen.add(product.external_id)
            fixed = [p.external_id for p in fresh if p.external_id in quarantined]
            uow.runs.resolve_quarantined(integration.id, PRODUCT, fixed)
            for record in page.quarantined:
                # A record we cannot read now keeps its last good version on the menu: it is seen, not gone.
                external_id = record.external_id or "unidentified:" + _digest(record.payload)
                uow.runs.quarantine(integration.id, PRODUCT, external_id, record.payload, record.reason, run_id)
                seen.add(external_id)
                counts.quarantined += 1
            counts.skipped += page.skipped
            for kind, count in page.left_out.items():
                counts.left_out[kind] = counts.left_out.get(kind, 0) + count
            uow.runs.progress(run_id, pages=pages, seen=len(seen), counts=counts.as_dict())
    with db.uow() as uow:
        counts.hidden = uow.catalog.hide_missing(integration.id, seen)
        uow.runs.progress(run_id, pages=pages, seen=len(seen), counts=counts.as_dict())
    if isinstance(connector, ImageSource):
        refresh_images(db, connector, integration)
    log.info("menu_sync_done", integration_id=integration.id, run_id=run_id, **counts.as_dict())
    return counts


def refresh_images(db: Database, connector: ImageSource, integration: IntegrationConfig) -> int:
    """Fetch image links that are missing or will expire before the next sync or two."""
    stale_before: datetime = utcnow() - (connector.image_lifetime - 3 * INTERVAL)
    refreshed = 0
    while True:
        with db.uow() as uow:
            batch = uow.catalog.needing_images(integration.id, stale_before, IMAGE_BATCH)
        if not batch:
            return refreshed
        fetched = [(product_id, connector.images(external_id)) for product_id, external_id in batch]
        with db.uow() as uow:
            for product_id, images in fetched:
                uow.catalog.set_images(product_id, images)
        refreshed += len(fetched)


def _digest(payload: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:16]
