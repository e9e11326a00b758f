"""What every console page shows around its content: the organization's stores and the one being looked at."""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException

from cannasync.store.uow import Database
from cannasync.web.session import Viewer


def frame(db: Database, viewer: Viewer, store_id: int | None = None, *, section: str) -> dict[str, Any]:
    """The template context for the sidebar; a store of another organization is a 404, like one that is not there."""
    with db.uow() as uow:
        stores = [
            {"id": s.id, "name": s.name, "timezone": s.timezone} for s in uow.accounts.stores(viewer.organization_id)
        ]
    current = next((s for s in stores if s["id"] == store_id), None)
    if store_id is not None and current is None:
        raise HTTPException(404, "store not found")
    return {"stores": stores, "store": current or (stores[0] if stores else None), "section": section}
