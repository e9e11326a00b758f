"""Inbound calls from vendors: order status postbacks (Flowhub), SMS replies (the SMS gateway), and signed
webhooks: order statuses (Flourish retail orders) and the wholesale bridge's news (Flourish, LeafLink).

Each goes to ``/hooks/<vendor>/<integration>/<token>``: the URL's last part is an unguessable per-integration
token, compared in constant time (Flowhub signs nothing); the SMS gateway also signs its body, checked by its
connector. A wrong URL and an unknown integration answer the same 404.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from cannasync.connectors.base import SignedWebhooks, SmsGateway, StatusPostbacks, StatusWebhooks, WholesaleMarket
from cannasync.connectors.registry import VENDORS, build_connector
from cannasync.connectors.values import json_document
from cannasync.domain.sync import MappingError
from cannasync.domain.tokens import same_secret
from cannasync.flows import loyalty, order_status, wholesale
from cannasync.jobs.scheduler import Dispatcher
from cannasync.jobs.tasks import POSTBACK_PATH
from cannasync.store import history
from cannasync.store.accounts import IntegrationConfig
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
            return {"outcome": _bridge_event(db, jobs, config, payload)}
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


def _bridge_event(db: Database, jobs: Dispatcher, config: IntegrationConfig, payload: dict[str, Any]) -> str:
    """A signed webhook for the wholesale bridge. Stock moves at once; everything else runs the bridge now (the run
    is the one place that acts, so an echo of the bridge's own write changes nothing)."""
    if config.vendor == "leaflink":
        jobs.run_now_or_skip(config.id, wholesale.FLOW, "webhook")
        return "bridge run"
    with db.uow() as uow:
        links = [
            uow.accounts.config(row)
            for row in uow.accounts.organization_integrations(config.organization_id, "leaflink")
            if row.enabled and row.settings.get("flourish_integration_id") == config.id
        ]
    data = payload.get("data") if isinstance(payload.get("data"), dict) else {}
    moved = 0
    for link in links:
        if payload.get("resource_type") == "inventory_summary" and data.get("item_id") is not None:
            market = build_connector(link.vendor, link.credentials, link.settings)
            supplier = wholesale.supplier_for(db, link)
            try:
                assert isinstance(market, WholesaleMarket)
                moved += wholesale.push_stock(db, supplier, market, link, str(data["item_id"]))
            finally:
                supplier.close()
                market.close()
        else:
            jobs.run_now_or_skip(link.id, wholesale.FLOW, "webhook")
    return f"stock pushed to {moved} listing(s)" if moved else "bridge run"


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
