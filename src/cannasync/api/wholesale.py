"""The wholesale bridge's order pairs: both sides' statuses and anything left for a person."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from cannasync.api.deps import Db, Org, not_found
from cannasync.connectors.registry import MARKETS, spoken

router = APIRouter(tags=["wholesale"])


@router.get("/integrations/{integration_id}/wholesale-orders")
def order_pairs(integration_id: int, db: Db, org: Org) -> list[dict[str, Any]]:
    with db.uow() as uow:
        row = uow.accounts.integration(integration_id, org)
        if row is None or row.vendor not in MARKETS:
            raise not_found(f"{spoken(MARKETS)} link")
        # The first four field names name the vendors: they are published (clients and the demo's summary read
        # them), so they stay as they are (tests/test_vendor_words.py, PUBLISHED).
        return [
            {
                "leaflink_number": pair.market_number,
                "leaflink_status": pair.market_status,
                "flourish_order_id": pair.pos_order_id,
                "flourish_status": pair.pos_status,
                "facility_id": pair.facility_id,
                "payment_term": pair.payment_term,
                "conflict": pair.conflict,
                "updated_at": pair.updated_at.isoformat(),
            }
            for pair in uow.wholesale.orders(integration_id)
        ]
