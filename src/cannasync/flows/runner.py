"""A run or an outbox message with the connector its integration needs: the flows' part of a job.

Which connector to build, which capability the flow needs of it and where a vendor posts statuses back are the
flows' business; the jobs (``jobs/tasks.py``) claim the work, keep its lease, hand it here and record the outcome.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from cannasync.connectors.base import Connector, StatusPostbacks
from cannasync.connectors.registry import build_connector
from cannasync.flows import notify, registry, shopper_messages
from cannasync.store.accounts import IntegrationConfig
from cannasync.store.incidents import NOTIFY
from cannasync.store.uow import Database

#: Where a vendor posts status changes; the token is the integration's ``webhook_token`` (api/hooks.py).
POSTBACK_PATH = "/hooks/{vendor}/{integration_id}/{token}"


def postback_url(public_url: str | None, config: IntegrationConfig) -> str | None:
    """The address a vendor that posts statuses back is given with each order; None without a public address."""
    if not public_url or not config.webhook_token:
        return None
    path = POSTBACK_PATH.format(vendor=config.vendor, integration_id=config.id, token=config.webhook_token)
    return public_url.rstrip("/") + path


@contextmanager
def connected(config: IntegrationConfig) -> Iterator[Connector]:
    """A connector built from the integration's stored credentials and settings, closed when the work ends."""
    connector = build_connector(config.vendor, config.credentials, config.settings)
    try:
        yield connector
    finally:
        connector.close()


def run(db: Database, flow: registry.Flow, config: IntegrationConfig, run_id: int) -> registry.Counted:
    """One run of ``flow`` for the integration, to its end: its counts."""
    with connected(config) as connector:
        if flow.needs is not None and not isinstance(connector, flow.needs):
            raise TypeError(f"{flow.name} needs a {flow.needs.__name__}; {config.vendor} is not one")
        return flow.run(db, connector, config, run_id)


def deliver(db: Database, config: IntegrationConfig | None, kind: str, message_id: int, public_url: str | None) -> None:
    """Send one claimed outbox message.

    The hub's own messages (to operators; e-mails to shoppers) have no integration: they go through the
    organization's mail server or webhook. The rest go through their integration's connector: a text to a shopper
    through the SMS gateway (its text carries the order page's link, on our address), an order or a signup to
    the POS by the flow that sends that kind.
    """
    if config is None:
        if kind == shopper_messages.ORDER_MESSAGE:
            shopper_messages.send_email(db, message_id, public_url)
        else:
            assert kind == NOTIFY
            notify.send(db, message_id)
        return
    with connected(config) as connector:
        if kind == shopper_messages.ORDER_MESSAGE:
            shopper_messages.send_sms(db, connector, message_id, public_url)
        else:
            callback = postback_url(public_url, config) if isinstance(connector, StatusPostbacks) else None
            registry.SENDERS[kind](db, connector, config, message_id, callback)
