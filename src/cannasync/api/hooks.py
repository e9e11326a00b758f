"""Inbound calls from vendors: order status postbacks, SMS replies (the SMS gateway), and signed webhooks: order
statuses (a POS's retail orders) and the wholesale bridge's news (either side's), handed to the wholesale flow.

Each goes to ``/hooks/<vendor>/<integration>/<token>``: the URL's last part is an unguessable per-integration
token, compared in constant time (a POS that pushes postbacks may sign nothing); the SMS gateway also signs its
body, checked by its connector. A wrong URL and an unknown integration answer the same 404.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from cannasync.connectors.base import SignedWebhooks, SmsGateway, StatusPostbacks, StatusWebhooks
from cannasync.connectors.registry import VENDORS, build_connector
from cannasync.connectors.values import json_document
from cannasync.domain.sync import MappingError
from cannasync.domain.tokens import same_secret
from cannasync.flows import loyalty, order_status, wholesale
from cannasync.flows.runner import POSTBACK_PATH
from cannasync.jobs.scheduler import Dispatcher
from cannasync.store import history
from cannasync.store.uow import Database

router = APIRouter(tags=["postbacks"])

#: How long a refused inbound call stays listed on Health.
INTAKE_KEPT = timedelta(days=7)


def _handle(
    db: Database, jobs: Dispatcher, vendor: str, integration_id: int, token: str, raw: bytes, headers: dict[str, str]
) -> dict[str, Any]:
    with db.uow() as uow:
        row = uow.accounts.integration(integration_id)
        if row is None or row.vendor != vendor or not row.webhook_token or not same_secret(token, row.webhook_token):
            # One answer for an unknown integration and a wrong token, so the address reveals nothing.
            raise HTTPException(401, "this address is not a postback address of a connected integration")
        config = uow.accounts.config(row)
    connector = build_connector(config.vendor, config.credentials, config.settings)
    try:
        if isinstance(connector, StatusPostbacks):
            try:
                parsed = connector.parse_postback(json_document(raw, "the postback"))
            except MappingError as error:
                raise HTTPException(422, str(error)) from None
            with history.acting(actor=f"{VENDORS[vendor].title} status postback (webhook)"):
                return {"outcome": order_status.apply_postback(db, connector, integration_id, parsed)}
        if isinstance(connector, SmsGateway):
            try:
                message = connector.parse_inbound(raw, headers)
            except MappingError as error:
                raise HTTPException(401, str(error)) from None
            with history.acting(actor=f"a reply through the {VENDORS[vendor].title} (webhook)"):
                return {"outcome": loyalty.record_reply(db, config.organization_id, message.sender, message.body)}
        if isinstance(connector, SignedWebhooks):
            try:
                payload = connector.verify_webhook(raw, headers)
            except MappingError as error:
                raise HTTPException(401, str(error)) from None
            with db.uow() as uow:
                if not uow.wholesale.first_receipt(integration_id, hashlib.sha256(raw).hexdigest()):
                    return {"outcome": "duplicate"}
            if isinstance(connector, StatusWebhooks):
                try:
                    change = connector.status_from_webhook(payload)
                except MappingError as error:
                    raise HTTPException(422, str(error)) from None
                if change is not None:  # a retail order moved: its shopper sees it now, not at the next poll
                    with history.acting(actor=f"{VENDORS[vendor].title} order webhook"):
                        return {"outcome": order_status.apply_postback(db, connector, integration_id, change)}
            # The wholesale bridge's news: the flow reads it (through the connector) and says which runs to start.
            outcome = wholesale.on_webhook(
                db, connector, config, payload, lambda link_id: jobs.run_now_or_skip(link_id, wholesale.FLOW, "webhook")
            )
            return {"outcome": outcome}
        raise HTTPException(404, "not found")
    except HTTPException as refused:
        if refused.status_code in (400, 401, 422):
            # A connected vendor's call we refused (a signature that no longer matches, a body we cannot read):
            # Health lists it, since the vendor's next webhooks will fail the same way.
            with db.uow() as uow:
                uow.health.record_intake_error(integration_id, refused.status_code, str(refused.detail), INTAKE_KEPT)
        raise
    finally:
        connector.close()


@router.post(POSTBACK_PATH, include_in_schema=False)
async def inbound(vendor: str, integration_id: int, token: str, request: Request) -> dict[str, Any]:
    raw = await request.body()  # the exact bytes: a signature is over them, not over re-serialised JSON
    return await run_in_threadpool(
        _handle,
        request.app.state.db,
        request.app.state.dispatcher,
        vendor,
        integration_id,
        token,
        raw,
        dict(request.headers),
    )
