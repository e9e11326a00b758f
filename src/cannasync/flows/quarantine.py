"""Replaying a quarantined record: have it read again, so that a fix (in the POS, or in our mapping) takes effect.

Replay does not map the stored payload by itself. The payload alone is not enough to map a record: a POS
may send an item's sellable quantity apart from the item, and what a product becomes also depends on the
integration's settings and the store's category table at the time of the read. Nor does ``connectors.base`` offer
a capability to map one stored record, and a flow must not reach into a vendor's mapping module. So a replay asks
for the flow that reads records of that kind (a menu sync for products) to run now: the record is fetched fresh,
mapped with today's code, written if it maps, and leaves the quarantine in that same transaction (menu_sync
resolves every quarantined record it reads cleanly). Until then it stays listed, with its reason.

The flow run is queued by the caller (``jobs`` sits above ``flows``); this module decides whether a record can be
replayed and which flow replays it.
"""

from __future__ import annotations

from dataclasses import dataclass

from cannasync.flows import menu_sync
from cannasync.store.catalog.products import PRODUCT
from cannasync.store.uow import Database

#: The flow that reads each kind of record an integration quarantines.
READ_BY: dict[str, str] = {PRODUCT: menu_sync.FLOW}


class NotReplayable(Exception):
    """The record is not (or no longer) in this integration's quarantine, or nothing reads records of its kind."""


@dataclass(frozen=True, slots=True)
class Replay:
    """What to run to read a quarantined record again."""

    integration_id: int
    record_id: int
    kind: str
    external_id: str
    flow: str


def replay_quarantined(db: Database, integration_id: int, record_id: int) -> Replay:
    """The flow run that re-reads this record; raises NotReplayable when there is nothing to replay.

    A record already resolved (a sync read it cleanly since the page was drawn) is not replayable: it is fixed.
    """
    with db.uow() as uow:
        record = next((r for r in uow.runs.quarantined(integration_id) if r.id == record_id), None)
        if record is None:
            raise NotReplayable("this record is no longer quarantined: a sync has read it cleanly")
        flow = READ_BY.get(record.kind)
        if flow is None:
            raise NotReplayable(f"no flow reads {record.kind} records again")
        return Replay(integration_id, record.id, record.kind, record.external_id, flow)
