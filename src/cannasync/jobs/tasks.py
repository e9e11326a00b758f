"""The job functions: the same code runs in the embedded thread pool and in distributed workers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import structlog

from cannasync.connectors.base import StatusPostbacks
from cannasync.connectors.http import VendorError
from cannasync.connectors.registry import build_connector
from cannasync.flows import loyalty, menu_sync, order_push, order_status, wholesale
from cannasync.flows.checkout import PUSH_ORDER
from cannasync.store.accounts import IntegrationConfig
from cannasync.store.secrets import SecretsUnreadable
from cannasync.store.uow import Database

log = structlog.get_logger(__name__)

#: Where a vendor posts status changes; the token is the integration's ``webhook_token`` (api/hooks.py).
POSTBACK_PATH = "/hooks/{vendor}/{integration_id}/{token}"

FLOWS: dict[str, Callable[..., Any]] = {
    menu_sync.FLOW: menu_sync.run,
    order_status.FLOW: order_status.run,
    loyalty.PULL: loyalty.pull,
    loyalty.OPT_IN: loyalty.send_opt_in_requests,
    wholesale.FLOW: wholesale.run,
}

#: Outbox message kinds and the flow that sends each.
SENDERS: dict[str, Callable[..., Any]] = {PUSH_ORDER: order_push.push, loyalty.CREATE_SHOPPER: loyalty.push_signup}


def run_flow(db: Database, run_id: int, schedule_id: int | None) -> None:
    """Run one queued run to its end, recording the outcome; the schedule's lease is released whatever happens."""
    connector = None
    try:
        with db.uow() as uow:
            run = uow.runs.get(run_id)
            assert run is not None
            integration = uow.accounts.integration(run.integration_id)
            assert integration is not None
            config = uow.accounts.config(integration)
            flow = run.flow
            uow.runs.start(run_id)
        structlog.contextvars.bind_contextvars(run_id=run_id, integration_id=config.id, flow=flow)
        connector = build_connector(config.vendor, config.credentials, config.settings)
        counts = FLOWS[flow](db, connector, config, run_id)
        with db.uow() as uow:
            uow.runs.finish(run_id, counts=counts.as_dict(), error=None, complete_read=flow == menu_sync.FLOW)
    except (VendorError, SecretsUnreadable, wholesale.BridgeMisconfigured) as error:
        log.warning("run_failed", error=str(error))
        _fail(db, run_id, str(error))
    except Exception as error:
        log.exception("run_crashed")
        _fail(db, run_id, f"internal error: {error.__class__.__name__}: {error}")
    finally:
        if connector is not None:
            connector.close()
        if schedule_id is not None:
            with db.uow() as uow:
                uow.runs.release(schedule_id, run_id)
        structlog.contextvars.unbind_contextvars("run_id", "integration_id", "flow")


def _fail(db: Database, run_id: int, error: str) -> None:
    with db.uow() as uow:
        run = uow.runs.get(run_id)
        counts = dict(run.counts) if run else {}
        uow.runs.finish(run_id, counts=counts, error=error)


def postback_url(public_url: str | None, config: IntegrationConfig) -> str | None:
    if not public_url or not config.webhook_token:
        return None
    path = POSTBACK_PATH.format(vendor=config.vendor, integration_id=config.id, token=config.webhook_token)
    return public_url.rstrip("/") + path


def push_message(db: Database, message_id: int, public_url: str | None = None) -> None:
    """Send one outbox message with a connector built for its integration."""
    with db.uow() as uow:
        message = uow.outbox.get(message_id)
        assert message is not None
        integration = uow.accounts.integration(message.integration_id)
        assert integration is not None
        config = uow.accounts.config(integration)
        kind = message.kind
    connector = build_connector(config.vendor, config.credentials, config.settings)
    callback = postback_url(public_url, config) if isinstance(connector, StatusPostbacks) else None
    try:
        SENDERS[kind](db, connector, config, message_id, callback)
    except Exception:
        log.exception("push_crashed", message_id=message_id)
        raise
    finally:
        connector.close()
