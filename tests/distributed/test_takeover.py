"""Takeover and resume at the store and flow level (both databases): what the cluster tests rely on.

A lease that runs out fails its run as "worker lost" and is claimed again at once, carrying the lost run's
checkpoint; a menu sync that resumes from it reads only the rest of the catalogue and therefore hides nothing.
"""

from __future__ import annotations

from datetime import timedelta

from cannasync.connectors.base import MenuPage, ResumableInventory
from cannasync.connectors.flourish.client import PAGE_SIZE
from cannasync.connectors.registry import build_connector
from cannasync.domain.sync import Checkpoint
from cannasync.flows import menu_sync
from cannasync.store.types import utcnow
from tests.conftest import AlleavesSandbox, Connected, Hub, Sandbox, connect_alleaves, connect_flourish


def _expire_menu_lease(hub: Hub, link: Connected, pages: int) -> int:
    """A menu sync whose worker died after ``pages`` pages of Flourish items: running, checkpointed (the cursor is
    Flourish's item offset), its lease run out."""
    now = utcnow()
    with hub.db.uow() as uow:
        held = uow.runs.lease(link.integration_id, menu_sync.FLOW, "dead-host:1", now, timedelta(seconds=1), "manual")
        assert held is not None
        schedule, run = held
        uow.runs.start(run.id)
        uow.runs.progress(
            run.id, pages=pages, seen=50, counts={}, checkpoint=Checkpoint(pages=pages, cursor=str(pages * PAGE_SIZE))
        )
        schedule.leased_until = now - timedelta(seconds=1)
        return run.id


def test_an_expired_lease_fails_its_run_and_is_claimed_again_with_its_checkpoint(hub: Hub, connected: Connected):
    hub.workers.stop()  # claims by hand here, no tick
    lost_id = _expire_menu_lease(hub, connected, pages=1)
    with hub.db.uow() as uow:
        claimed = uow.runs.claim_due(utcnow(), "scheduler:2", timedelta(seconds=30))
        ((schedule, run),) = [(s, r) for s, r in claimed if s.flow == menu_sync.FLOW]
        assert run.trigger == "takeover" and schedule.lease_run_id == run.id
        assert run.checkpoint == {"pages": 1, "cursor": str(PAGE_SIZE), "resumed_from": lost_id}
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
    assert isinstance(connector, ResumableInventory), "Flourish pages by offset: it can resume"
    flourish.state.requests.clear()
    counts = menu_sync.run(hub.db, connector, config, run_id)  # type: ignore[arg-type]
    connector.close()
    listed = sum(1 for i in flourish.state.items() if i["active"] and i["ecommerce_active"] and i["sellable"])
    pages_in_all = -(-listed // PAGE_SIZE)
    read = flourish.state.requests.snapshot()["GET /external/api/v1/items/"]
    assert pages_in_all >= 2 and read == pages_in_all - 1, "the read started after the lost run's page, not at the top"
    assert counts.hidden == 0
    with hub.db.uow() as uow:
        resumed = uow.runs.get(run_id)
        assert resumed is not None and resumed.checkpoint is not None
        assert resumed.checkpoint["resumed_from"] == lost_id and resumed.pages > 1
        assert len(uow.catalog.products(connected.store_id, limit=1000)) == visible_before


def _ids(page: MenuPage) -> list[str | None]:
    return [p.external_id for p in page.products] + [q.external_id for q in page.quarantined]


def test_flourish_and_alleaves_resume_a_read_where_its_cursor_says(
    hub: Hub, flourish: Sandbox, alleaves: AlleavesSandbox
):
    """Both page by offset or number, so a cursor taken after a page starts the read at the page after it."""
    links = [connect_flourish(hub, flourish), connect_alleaves(hub, alleaves)]
    for link in links:
        with hub.db.uow() as uow:
            config = uow.accounts.config(uow.accounts.integration(link.integration_id))  # type: ignore[arg-type]
        connector = build_connector(config.vendor, config.credentials, config.settings)
        assert isinstance(connector, ResumableInventory)
        whole = list(connector.menu_pages_from(None))
        assert len(whole) >= 2 and whole[-1][1] is None, f"{config.vendor}: the last page has no cursor after it"
        rest = list(connector.menu_pages_from(whole[0][1]))
        connector.close()
        assert [_ids(page) for page, _ in rest] == [_ids(page) for page, _ in whole[1:]], config.vendor
