"""Menu sync: read the POS catalogue a page at a time, write only what changed, hide only after a complete read.

connector.menu_pages() → mapped products / quarantined records → store (per page, one transaction)
→ after a complete read: hide what the POS no longer lists → refresh expiring image links → counts

Checkpoints: each page's transaction also records where the read got to (``sync_runs.checkpoint``). When a run is
taken over (its worker died), the new run resumes after the last written page if the connector can start a read
part-way (``ResumableInventory``); a resumed run read only part of the catalogue, so it hides nothing (the next
full read does). A connector without it is read again from the start, which costs reads, not writes (unchanged
records are not written).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol, runtime_checkable

import structlog

from cannasync.connectors.base import ImageSource, InventorySource, MenuPage
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


@runtime_checkable
class ResumableInventory(Protocol):
    """A catalogue read that can start part-way: each page comes with the cursor of the read after it."""

    def menu_pages_from(self, cursor: str | None) -> Iterator[tuple[MenuPage, str | None]]:
        """Pages from ``cursor`` (None: the start), each with the cursor that resumes after it (None: no more)."""
        ...


def _pages(
    connector: InventorySource, checkpoint: Mapping[str, Any]
) -> tuple[Iterator[tuple[MenuPage, str | None]], bool]:
    """The pages to read and whether they resume a lost run's read (not the whole catalogue, then)."""
    if isinstance(connector, ResumableInventory):
        cursor = checkpoint.get("cursor") if checkpoint.get("resumed_from") else None
        return connector.menu_pages_from(cursor), cursor is not None
    return ((page, None) for page in connector.menu_pages()), False


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
        recorded = uow.runs.get(run_id)
        checkpoint: dict[str, Any] = dict(recorded.checkpoint or {}) if recorded else {}
    page_iter, resumed = _pages(connector, checkpoint)
    pages = int(checkpoint.get("pages", 0)) if resumed else 0
    kept = {"resumed_from": checkpoint["resumed_from"]} if resumed else {}
    if resumed:
        log.info("menu_sync_resumed", run_id=run_id, after_pages=pages, lost_run=checkpoint["resumed_from"])
    for page, cursor in page_iter:
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
            # Written with the page, so the checkpoint never points past what is stored.
            uow.runs.progress(
                run_id,
                pages=pages,
                seen=len(seen),
                counts=counts.as_dict(),
                checkpoint={**kept, "pages": pages, "cursor": cursor},
            )
    with db.uow() as uow:
        if resumed:
            # What the lost run saw is not known here, so "not listed any more" cannot be told: hide nothing.
            log.info("menu_sync_not_hiding", run_id=run_id, reason="resumed read, not a complete one")
        else:
            counts.hidden = uow.catalog.hide_missing(integration.id, seen)
        done = {**kept, "pages": pages, "cursor": None}
        uow.runs.progress(run_id, pages=pages, seen=len(seen), counts=counts.as_dict(), checkpoint=done)
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
