"""SMS double opt-in: the daily request to pending shoppers and the reply that answers it."""

from __future__ import annotations

import structlog

from cannasync.connectors.base import Connector, SmsGateway
from cannasync.connectors.http import VendorError
from cannasync.domain.customers import normalise_phone
from cannasync.domain.loyalty import Channel, ConsentState, opt_in_message, reply_meaning
from cannasync.domain.sync import RunCounts
from cannasync.store.accounts import IntegrationConfig
from cannasync.store.types import utcnow
from cannasync.store.uow import Database

log = structlog.get_logger(__name__)


def send_opt_in_requests(db: Database, gateway: Connector, integration: IntegrationConfig, run_id: int) -> RunCounts:
    """The daily job: ask every pending shopper once. A request is claimed before it is sent, so two runs never
    text the same shopper twice; a gateway failure puts it back for the next run."""
    assert isinstance(gateway, SmsGateway)
    counts = RunCounts()
    with db.uow() as uow:
        program = uow.loyalty.program(integration.organization_id)
        name = program.name
        claimed = []
        for consent, persona in uow.loyalty.pending_requests(program.id, Channel.SMS, limit=1000):
            consent.state = ConsentState.REQUESTED
            consent.requested_at = utcnow()
            claimed.append((persona.id, persona.phone))
    for persona_id, phone in claimed:
        try:
            message_id = gateway.send_sms(f"+1{phone}", opt_in_message(name), f"opt-in:{persona_id}")
        except VendorError as error:
            log.warning("opt_in_send_failed", persona_id=persona_id, error=str(error))
            with db.uow() as uow:
                uow.loyalty.set_consent(
                    persona_id, Channel.SMS, ConsentState.PENDING, "retry after a failed send", requested_at=None
                )
            counts.skipped += 1
            continue
        with db.uow() as uow:
            sent = uow.loyalty.consent(persona_id, Channel.SMS)
            assert sent is not None
            sent.message_id = message_id
        counts.created += 1
    with db.uow() as uow:
        uow.runs.progress(run_id, pages=1, seen=len(claimed), counts=counts.as_dict())
    return counts


def record_reply(db: Database, organization_id: int, sender: str, body: str) -> str:
    """A reply to an opt-in request: YES confirms, NO/STOP declines, anything else leaves it requested."""
    try:
        phone = normalise_phone(sender)
    except ValueError:
        return "unknown sender"
    meaning = reply_meaning(body)
    with db.uow() as uow:
        program = uow.loyalty.program(organization_id)
        persona = uow.loyalty.persona_by_phone(program.id, phone) if phone else None
        if persona is None:
            return "unknown sender"
        consent = uow.loyalty.consent(persona.id, Channel.SMS)
        if consent is None or meaning is None:
            return "ignored"
        uow.loyalty.set_consent(persona.id, Channel.SMS, meaning, f"SMS reply {body.strip()!r}", answered_at=utcnow())
        return meaning.value
