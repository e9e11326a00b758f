"""Inbound postbacks: vendors that push status changes (Flowhub) post to a URL whose last part is a secret.

Flowhub signs nothing, so the URL itself is the credential: an unguessable per-integration token, compared in
constant time. A wrong URL and an unknown integration answer the same 404.
"""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException

from cannasync.api.deps import Db
from cannasync.connectors.base import StatusPostbacks
from cannasync.connectors.registry import build_connector
from cannasync.domain.sync import MappingError
from cannasync.flows import order_status
from cannasync.jobs.tasks import POSTBACK_PATH

router = APIRouter(tags=["postbacks"])


@router.post(POSTBACK_PATH, include_in_schema=False)
def postback(vendor: str, integration_id: int, token: str, body: Annotated[Any, Body()], db: Db) -> dict[str, Any]:
    with db.uow() as uow:
        row = uow.accounts.integration(integration_id)
        if (
            row is None
            or row.vendor != vendor
            or not row.webhook_token
            or not hmac.compare_digest(row.webhook_token, token)
        ):
            raise HTTPException(404, "not found")
        config = uow.accounts.config(row)
    connector = build_connector(config.vendor, config.credentials, config.settings)
    try:
        if not isinstance(connector, StatusPostbacks):
            raise HTTPException(404, "not found")
        try:
            parsed = connector.parse_postback(body)
        except MappingError as error:
            raise HTTPException(422, str(error)) from None
        outcome = order_status.apply_postback(db, connector, integration_id, parsed)
    finally:
        connector.close()
    return {"outcome": outcome}
