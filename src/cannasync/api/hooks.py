"""Inbound calls from vendors: order status postbacks (Flowhub) and SMS replies (the SMS gateway).

Each goes to ``/hooks/<vendor>/<integration>/<token>``: the URL's last part is an unguessable per-integration
token, compared in constant time (Flowhub signs nothing); the SMS gateway also signs its body, checked by its
connector. A wrong URL and an unknown integration answer the same 404.
"""

from __future__ import annotations

import hmac
import json
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from cannasync.connectors.base import SmsGateway, StatusPostbacks
from cannasync.connectors.registry import build_connector
from cannasync.domain.sync import MappingError
from cannasync.flows import loyalty, order_status
from cannasync.jobs.tasks import POSTBACK_PATH
from cannasync.store.uow import Database

router = APIRouter(tags=["postbacks"])


def _handle(
    db: Database, vendor: str, integration_id: int, token: str, raw: bytes, headers: dict[str, str]
) -> dict[str, Any]:
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
        if isinstance(connector, StatusPostbacks):
            try:
                parsed = connector.parse_postback(json.loads(raw))
            except (ValueError, MappingError) as error:
                raise HTTPException(422, str(error)) from None
            return {"outcome": order_status.apply_postback(db, connector, integration_id, parsed)}
        if isinstance(connector, SmsGateway):
            try:
                message = connector.parse_inbound(raw, headers)
            except MappingError as error:
                raise HTTPException(401, str(error)) from None
            return {"outcome": loyalty.record_reply(db, config.organization_id, message.sender, message.body)}
        raise HTTPException(404, "not found")
    finally:
        connector.close()


@router.post(POSTBACK_PATH, include_in_schema=False)
async def inbound(vendor: str, integration_id: int, token: str, request: Request) -> dict[str, Any]:
    raw = await request.body()  # the exact bytes: a signature is over them, not over re-serialised JSON
    return await run_in_threadpool(
        _handle, request.app.state.db, vendor, integration_id, token, raw, dict(request.headers)
    )
