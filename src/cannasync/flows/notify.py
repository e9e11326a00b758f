"""Telling operators: a failed run, a flow that keeps failing, an order push that keeps failing.

Each is an incident (``store/incidents.py``), told once when it opens, once more when it keeps happening and once
when it clears, by e-mail (the organization's SMTP server) and by webhook (a URL the operator sets, the body signed
with the operator's secret). A notification is an outbox message written in the transaction that opened or closed
the incident, so a mail server or receiver that is down delays it (the outbox's backoff) and never drops it.

Delivery is at least once: a message sent whose "done" could not be recorded is sent again.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from email.message import EmailMessage
from typing import Any

import httpx2
import structlog

from cannasync.connectors.registry import VENDORS
from cannasync.flows.checkout import PUSH_ORDER
from cannasync.flows.mail import SEND_TIMEOUT, NotSent, send_mail
from cannasync.store.incidents import NOTIFY, Channels
from cannasync.store.tables import Incident, Integration
from cannasync.store.types import utcnow
from cannasync.store.uow import Database, UnitOfWork

log = structlog.get_logger(__name__)

#: A push is an incident once it has failed this many times in a row (one failure is a blip the retry absorbs),
#: and is told again ("still failing") once at ``PUSH_REPEATED`` (with the default backoff, about half an hour on).
PUSH_FAILING = 3
PUSH_REPEATED = 10
SIGNATURE_HEADER = "X-Cannasync-Signature"
EVENT_WORDS = {"opened": "Failing", "repeated": "Still failing", "resolved": "Resolved"}


def _where(integration: Integration) -> str:
    spec = VENDORS.get(integration.vendor)
    title = spec.title if spec else integration.vendor
    place = integration.store.name if integration.store else "the organization"
    return f"{title} at {place}"


def _link(public_url: str | None, anchor: str) -> str:
    return f"{public_url.rstrip('/') if public_url else ''}/console/health#{anchor}"


def _tell(uow: UnitOfWork, incident: Incident, event: str | None) -> int:
    """Queue one notification per configured channel; how many were queued."""
    if event is None:
        return 0
    channels = uow.incidents.channels(incident.organization_id)
    if channels is None:
        return 0
    queued = 0
    for channel, wanted in (("email", channels.email), ("webhook", channels.webhook)):
        if wanted:
            notification_id = uow.incidents.add_notification(incident.id, event, channel)
            uow.outbox.enqueue(None, NOTIFY, notification_id, f"{NOTIFY}:{notification_id}")
            queued += 1
    return queued


def after_run(db: Database, run_id: int, public_url: str | None = None) -> None:
    """Open, count or clear the incident of a run's flow, after the run has ended."""
    with db.uow() as uow:
        run = uow.runs.get(run_id)
        if run is None or run.status not in ("succeeded", "failed"):
            return
        integration = uow.accounts.integration(run.integration_id)
        if integration is None:
            return
        key = f"run:{integration.id}:{run.flow}"
        if run.status == "succeeded":
            if (incident := uow.incidents.cleared(integration.organization_id, key)) is not None:
                _tell(uow, incident, "resolved")
            return
        flow = run.flow.replace("_", " ")
        incident, event = uow.incidents.failed(
            integration.organization_id,
            key,
            kind="run_failed",
            title=f"{flow.capitalize()} of {_where(integration)} failed",
            detail=f"Run #{run.id}: {run.error or 'failed'}",
            link=_link(public_url, f"flow-{integration.id}-{run.flow}"),
        )
        _tell(uow, incident, event)


def after_push(db: Database, message_id: int, public_url: str | None = None) -> None:
    """Open or clear the incident of a vendor write that keeps failing, after one attempt at it."""
    with db.uow() as uow:
        message = uow.outbox.get(message_id)
        if message is None or message.kind == NOTIFY or message.integration_id is None:
            return
        integration = uow.accounts.integration(message.integration_id)
        if integration is None:
            return
        key = f"push:{message.id}"
        if message.state in ("done", "cancelled"):
            if (incident := uow.incidents.cleared(integration.organization_id, key)) is not None:
                _tell(uow, incident, "resolved")
            return
        if not (message.state == "failed" or (message.state == "pending" and message.attempts >= PUSH_FAILING)):
            return
        what = message.kind.replace("_", " ")
        if message.kind == PUSH_ORDER and (order := uow.orders.get(message.subject_id)) is not None:
            what = f"order #{order.number}"
        verb = "was refused by" if message.state == "failed" else "keeps failing to reach"
        incident, event = uow.incidents.failed(
            integration.organization_id,
            key,
            kind="push_failing",
            title=f"Sending {what} {verb} {_where(integration)}",
            detail=f"{message.attempts} attempt(s); last error: {message.last_error or 'unknown'}",
            link=_link(public_url, f"push-{message.id}"),
            count=max(message.attempts, 1),
            repeat_at=PUSH_REPEATED,
        )
        _tell(uow, incident, event)


# --- sending -----------------------------------------------------------------------------------------------------


def send(db: Database, message_id: int) -> None:
    """Deliver one claimed notification, recording the outcome on its outbox message."""
    with db.uow() as uow:
        message = uow.outbox.get(message_id)
        assert message is not None
        found = uow.incidents.notification(message.subject_id)
        channels = None
        if found is not None:
            notification, incident = found
            channels = uow.incidents.channels(incident.organization_id)
            event, channel = notification.event, notification.channel
            body = _body(incident, event)
    if found is None or channels is None or not getattr(channels, channel):
        with db.uow() as uow:
            message = uow.outbox.get(message_id)
            assert message is not None
            uow.outbox.done(message, {"skipped": "the channel is no longer set up"})
        return
    try:
        if channel == "email":
            _email(channels, body)
        else:
            _webhook(channels, body)
    except NotSent as error:
        log.info("notification_not_sent", message_id=message_id, channel=channel, error=str(error))
        with db.uow() as uow:
            message = uow.outbox.get(message_id)
            assert message is not None
            uow.outbox.retry_later(message, str(error), outcome_unknown=False)
        return
    with db.uow() as uow:
        message = uow.outbox.get(message_id)
        assert message is not None
        uow.outbox.done(message, {"sent": channel, "at": utcnow().isoformat()})
    log.info("notification_sent", message_id=message_id, channel=channel, incident_event=event)


def _body(incident: Incident, event: str) -> dict[str, Any]:
    return {
        "event": f"incident.{event}",
        "incident": {
            "id": incident.id,
            "kind": incident.kind,
            "title": incident.title,
            "detail": incident.detail,
            "failures": incident.failures,
            "opened_at": incident.opened_at.isoformat(),
            "resolved_at": incident.resolved_at.isoformat() if incident.resolved_at else None,
            "link": incident.link,
        },
        "organization_id": incident.organization_id,
    }


def _email(channels: Channels, body: dict[str, Any]) -> None:
    incident = body["incident"]
    word = EVENT_WORDS.get(body["event"].removeprefix("incident."), "Incident")
    mail = EmailMessage()
    mail["Subject"] = f"[cannasync] {word}: {incident['title']}"
    mail["From"] = channels.email_from or f"cannasync@{channels.smtp_host}"
    mail["To"] = ", ".join(channels.email_to)
    lines = [f"{word}: {incident['title']}", "", incident["detail"], ""]
    lines.append(f"Failures in a row: {incident['failures']}")
    lines.append(f"Since: {incident['opened_at']}")
    if incident["resolved_at"]:
        lines.append(f"Resolved: {incident['resolved_at']}")
    if incident["link"]:
        lines += ["", f"Health: {incident['link']}"]
    mail.set_content("\n".join(lines) + "\n")
    send_mail(channels, mail)


def sign(secret: str, timestamp: str, raw: bytes) -> str:
    """The signature header's value: ``t=<unix time>,v1=<hex HMAC-SHA256 of "<t>." + body>``."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + raw, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def _webhook(channels: Channels, body: dict[str, Any]) -> None:
    raw = json.dumps(body, sort_keys=True).encode()
    headers = {"Content-Type": "application/json", "X-Cannasync-Event": body["event"]}
    if channels.webhook_secret:
        headers[SIGNATURE_HEADER] = sign(channels.webhook_secret, str(int(time.time())), raw)
    try:
        with httpx2.Client(timeout=SEND_TIMEOUT, follow_redirects=False) as client:
            response = client.post(channels.webhook_url, content=raw, headers=headers)
    except httpx2.HTTPError as error:
        raise NotSent(f"webhook not delivered: {error.__class__.__name__}") from None
    if not 200 <= response.status_code < 300:
        raise NotSent(f"webhook answered {response.status_code}")
