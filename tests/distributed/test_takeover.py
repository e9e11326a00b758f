"""Takeover and resume at the store and flow level (both databases): what the cluster tests rely on.

A lease that runs out fails its run as "worker lost" and is claimed again at once, carrying the lost run's
checkpoint; a menu sync that resumes from it reads only the rest of the catalogue and therefore hides nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from cannasync.connectors.base import InventorySource, MenuPage
from cannasync.connectors.registry import build_connector
from cannasync.flows import menu_sync
from cannasync.store.types import utcnow
from tests.conftest import Connected, Hub, Sandbox


class ResumableFlourish:
    """Flourish read with page-number cursors, as a connector whose paging allows resume would offer it."""

    def __init__(self, inner: InventorySource) -> None:
        self.inner = inner
        self.options = inner.options
        self.started_at: str | None = None

    def menu_pages(self) -> Iterator[MenuPage]:
        return self.inner.menu_pages()

    def menu_pages_from(self, cursor: str | None) -> Iterator[tuple[MenuPage, str | None]]:
        self.started_at = cursor
        for number, page in enumerate(self.inner.menu_pages()):
            if number >= int(cursor or 0):
                yield page, str(number + 1)


def _expire_menu_lease(hub: Hub, link: Connected, pages: int) -> int:
    """A menu sync whose worker died after ``pages`` pages: running, checkpointed, its lease run out."""
    now = utcnow()
    with hub.db.uow() as uow:
        held = uow.runs.lease(link.integration_id, menu_sync.FLOW, "dead-host:1", now, timedelta(seconds=1), "manual")
        assert held is not None
        schedule, run = held
        uow.runs.start(run.id)
        uow.runs.progress(run.id, pages=pages, seen=50, counts={}, checkpoint={"pages": pages, "cursor": str(pages)})
        schedule.leased_until = now - timedelta(seconds=1)
        return run.id


def test_an_expired_lease_fails_its_run_and_is_claimed_again_with_its_checkpoint(hub: Hub, connected: Connected):
    hub.workers.stop()  # claims by hand here, no tick
    lost_id = _expire_menu_lease(hub, connected, pages=1)
    with hub.db.uow() as uow:
        claimed = uow.runs.claim_due(utcnow(), "scheduler:2", timedelta(seconds=30))
        ((schedule, run),) = [(s, r) for s, r in claimed if s.flow == menu_sync.FLOW]
        assert run.trigger == "takeover" and schedule.lease_run_id == run.id
        assert run.checkpoint == {"pages": 1, "cursor": "1", "resumed_from": lost_id}
        lost = uow.runs.get(lost_id)
        assert lost is not None and lost.status == "failed" and "worker lost" in (lost.error or "")
        # The lost run, were it alive after all, can no longer write or let go of the new run's lease.
        uow.runs.release(schedule.id, lost_id)
        assert uow.runs.schedule(connected.integration_id, menu_sync.FLOW).lease_run_id == run.id  # type: ignore[union-attr]


def test_a_resumed_menu_sync_reads_only_the_rest_and_hides_nothing(hub: Hub, flourish: Sandbox, connected: Connected):
    hub.workers.stop()
    # An item leaves the POS: a complete read would hide it, a resumed one cannot know and must not.
    victim = next(
        i
        for i in flourish.state.items()
        if i["active"] and i["ecommerce_active"] and i["sellable"] and i["id"] not in flourish.state.malformed_ids
    )
    flourish.patch_item(victim["id"], sellable=False)
    lost_id = _expire_menu_lease(hub, connected, pages=1)
    with hub.db.uow() as uow:
        visible_before = len(uow.catalog.products(connected.store_id, limit=1000))
        claimed = uow.runs.claim_due(utcnow(), "scheduler:2", timedelta(seconds=30))
        ((_, run),) = [(s, r) for s, r in claimed if s.flow == menu_sync.FLOW]
        run_id = run.id
        uow.runs.start(run_id)
        config = uow.accounts.config(uow.accounts.integration(connected.integration_id))  # type: ignore[arg-type]
    connector = build_connector(config.vendor, config.credentials, config.settings)
    resumable = ResumableFlourish(connector)  # type: ignore[arg-type]
    counts = menu_sync.run(hub.db, resumable, config, run_id)  # type: ignore[arg-type]
    connector.close()
    assert resumable.started_at == "1", "the read started after the lost run's last written page"
    assert counts.hidden == 0
    with hub.db.uow() as uow:
        resumed = uow.runs.get(run_id)
        assert resumed is not None and resumed.checkpoint is not None
        assert resumed.checkpoint["resumed_from"] == lost_id and resumed.pages > 1
        assert len(uow.catalog.products(connected.store_id, limit=1000)) == visible_before
