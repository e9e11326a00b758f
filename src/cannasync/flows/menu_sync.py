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
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy.exc import DataError, DBAPIError, StatementError

from cannasync.connectors.base import ImageSource, InventorySource, MenuPage, ResumableInventory
from cannasync.domain.catalog import Product, map_category
from cannasync.domain.sync import Checkpoint, Quarantined, RunCounts
from cannasync.domain.text import json_safe
from cannasync.store.accounts import IntegrationConfig
from cannasync.store.catalog.products import PRODUCT
from cannasync.store.types import utcnow
from cannasync.store.uow import Database, UnitOfWork

FLOW = "menu_sync"
INTERVAL = timedelta(minutes=10)
IMAGE_BATCH = 50
#: A sync that created this many products has the database's statistics refreshed (a store's first sync, mostly).
REFRESH_STATISTICS_AFTER = 1000

log = structlog.get_logger(__name__)


def _pages(connector: InventorySource, checkpoint: Checkpoint) -> tuple[Iterator[tuple[MenuPage, str | None]], bool]:
    """The pages to read and whether they resume a lost run's read (not the whole catalogue, then)."""
    if isinstance(connector, ResumableInventory):
        cursor = checkpoint.cursor if checkpoint.resuming else None
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
        categories = uow.categories.category_map(store_id)
        # Usually empty; checked in memory so that a clean page costs no write to the quarantine.
        quarantined = {record.external_id for record in uow.runs.quarantined(integration.id)}
        checkpoint = uow.runs.checkpoint(run_id)
    page_iter, resumed = _pages(connector, checkpoint)
    pages = checkpoint.pages if resumed else 0
    lost_run = checkpoint.resumed_from if resumed else None
    if resumed:
        log.info("menu_sync_resumed", run_id=run_id, after_pages=pages, lost_run=lost_run)
    for page, cursor in page_iter:
        pages += 1
        # A POS that lists an item twice in one read (two rows, two rooms) gets its first listing used.
        fresh = list({p.external_id: p for p in reversed(page.products) if p.external_id not in seen}.values())
        fresh.reverse()
        counts.skipped += len(page.products) - len(fresh) + page.skipped
        for kind, count in page.left_out.items():
            counts.left_out[kind] = counts.left_out.get(kind, 0) + count
        progress = Checkpoint(pages=pages, cursor=cursor, resumed_from=lost_run)
        try:
            with db.uow() as uow:
                outcomes = _write(uow, connector, integration, run_id, categories, quarantined, fresh, page.quarantined)
                _record(uow, run_id, counts, seen, fresh, outcomes, page.quarantined, progress)
        except (DataError, StatementError, UnicodeError) as error:
            if not _refused(error):
                raise
            # The database refused something on this page that the mapping let through: find which product, one
            # transaction each, and quarantine it; the rest of the page and every later page still sync.
            log.warning("menu_sync_page_refused", run_id=run_id, page=pages, error=_cause(error))
            written: list[Product] = []
            outcomes = []
            refused = list(page.quarantined)
            for product in fresh:
                try:
                    with db.uow() as uow:
                        outcomes += _write(uow, connector, integration, run_id, categories, quarantined, [product], [])
                    written.append(product)
                except (DataError, StatementError, UnicodeError) as one:
                    if not _refused(one):
                        raise
                    reason = f"the database refused it ({_cause(one)})"
                    refused.append(Quarantined(product.external_id, asdict(product), reason))
            with db.uow() as uow:
                _write(uow, connector, integration, run_id, categories, quarantined, [], refused)
                _record(uow, run_id, counts, seen, written, outcomes, refused, progress)
    with db.uow() as uow:
        if resumed:
            # What the lost run saw is not known here, so "not listed any more" cannot be told: hide nothing.
            log.info("menu_sync_not_hiding", run_id=run_id, reason="resumed read, not a complete one")
        else:
            counts.hidden = uow.catalog_sync.hide_missing(integration.id, seen, run_id)
            # What this complete read did not quarantine again is fixed or gone (records with no id included).
            uow.runs.resolve_unseen(integration.id, PRODUCT, run_id)
        done = Checkpoint(pages=pages, resumed_from=lost_run)
        uow.runs.progress(run_id, pages=pages, seen=len(seen), counts=counts.as_dict(), checkpoint=done)
    if counts.created >= REFRESH_STATISTICS_AFTER:
        with db.uow() as uow:  # a transaction of its own: ANALYZE's lock is held until it commits
            uow.catalog_sync.refresh_statistics()
    if isinstance(connector, ImageSource):
        refresh_images(db, connector, integration)
    log.info("menu_sync_done", integration_id=integration.id, run_id=run_id, **counts.as_dict())
    return counts


def _write(
    uow: UnitOfWork,
    connector: InventorySource,
    integration: IntegrationConfig,
    run_id: int,
    categories: Mapping[str, str],
    quarantined: set[str],
    products: list[Product],
    bad: Sequence[Quarantined],
) -> list[str]:
    """Write mapped products and quarantine bad records in the caller's transaction; each product's outcome.

    Everything is flushed here, so a value the database refuses is refused now, before anything is counted.
    """
    assert integration.store_id is not None
    outcomes = uow.catalog_sync.save_page(
        store_id=integration.store_id,
        integration_id=integration.id,
        products=[(product, map_category(product.category, categories)) for product in products],
        run_id=run_id,
        store_owned=connector.options.store_owned,
    )
    fixed = [p.external_id for p in products if p.external_id in quarantined]
    uow.runs.resolve_quarantined(integration.id, PRODUCT, fixed)
    uow.runs.quarantine_many(
        integration.id, PRODUCT, [(_quarantine_id(record), record.payload, record.reason) for record in bad], run_id
    )
    uow.session.flush()
    return outcomes


def _record(
    uow: UnitOfWork,
    run_id: int,
    counts: RunCounts,
    seen: set[str],
    products: list[Product],
    outcomes: list[str],
    bad: Sequence[Quarantined],
    checkpoint: Checkpoint,
) -> None:
    """Count a written page and record the run's progress with it, so the checkpoint never points past what is
    stored; raises RunSuperseded (rolling the page back) if the run was taken over."""
    for outcome in outcomes:
        setattr(counts, outcome, getattr(counts, outcome) + 1)
    seen.update(product.external_id for product in products)
    for record in bad:
        # A record we cannot read now keeps its last good version on the menu: it is seen, not gone.
        seen.add(_quarantine_id(record))
        counts.quarantined += 1
    uow.runs.progress(run_id, pages=checkpoint.pages, seen=len(seen), counts=counts.as_dict(), checkpoint=checkpoint)


def _quarantine_id(record: Quarantined) -> str:
    return record.external_id or "unidentified:" + _digest(record.payload)


def _refused(error: BaseException) -> bool:
    """Whether the database refused a value (a NUL, a length, a JSON number, an encoding), rather than failing
    as a database (a lost connection, a lock): only the first is one record's fault."""
    if isinstance(error, DataError):
        return True
    if isinstance(error, StatementError):
        return isinstance(error.orig, ValueError | UnicodeError) and not isinstance(error, DBAPIError)
    return isinstance(error, UnicodeError)


def _cause(error: BaseException) -> str:
    """A short, SQL-free name for what the database refused."""
    orig = getattr(error, "orig", None) or error
    return orig.__class__.__name__


def refresh_images(db: Database, connector: ImageSource, integration: IntegrationConfig) -> int:
    """Fetch image links that are missing or will expire before the next sync or two."""
    stale_before: datetime = utcnow() - (connector.image_lifetime - 3 * INTERVAL)
    refreshed = 0
    while True:
        with db.uow() as uow:
            batch = uow.catalog_sync.needing_images(integration.id, stale_before, IMAGE_BATCH)
        if not batch:
            return refreshed
        fetched = [(product_id, connector.images(external_id)) for product_id, external_id in batch]
        with db.uow() as uow:
            for product_id, images in fetched:
                uow.catalog_sync.set_images(product_id, images)
        refreshed += len(fetched)


def _digest(payload: Mapping[str, Any]) -> str:
    safe = json_safe(payload)  # the same record gives the same digest, whatever its NaNs and surrogates
    return hashlib.sha256(json.dumps(safe, sort_keys=True, default=str).encode()).hexdigest()[:16]
