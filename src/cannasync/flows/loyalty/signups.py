"""Signups: a shopper enrols through our form, the POS is given the new customer, contact edits go both ways."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from cannasync.connectors.base import Connector, CustomerDirectory
from cannasync.connectors.http import VendorError
from cannasync.connectors.registry import LOYALTY_SOURCES, loyalty_options, spoken
from cannasync.domain.customers import CustomerDetails, InvalidCustomer
from cannasync.domain.loyalty import Channel, ConsentState, PosOwnsContact
from cannasync.flows.loyalty.source import CREATE_SHOPPER, frozen, profile_hash
from cannasync.store.accounts import IntegrationConfig
from cannasync.store.tables import Persona
from cannasync.store.types import utcnow
from cannasync.store.uow import Database, UnitOfWork

#: How long a signup waits before looking again whether its frozen source has been thawed.
FROZEN_RECHECK = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Signup:
    details: CustomerDetails
    state: str | None = None
    sms_opt_in: bool = False


def signup(db: Database, organization_id: int, form: Signup) -> tuple[int, bool]:
    """A shopper signs up through cannasync's form: enrolled at once, asked to confirm SMS when they ticked it,
    and queued for creation in every loyalty source that syncs personas (only if nobody there matches).
    Returns the persona id and whether it is new."""
    details = form.details
    if not (details.phone or details.email):
        raise InvalidCustomer("a signup needs a phone number or an email")
    with db.uow() as uow:
        # Locked until commit: the same form sent twice at once (a double click) must find the first persona.
        program = uow.loyalty.program(organization_id, lock=True)
        persona = uow.loyalty.match(program.id, details.phone, details.email)
        created = persona is None
        if persona is None:
            persona = uow.loyalty.add_persona(
                program.id,
                "Signup",
                first_name=details.first_name,
                last_name=details.last_name,
                email=details.email,
                phone=details.phone,
                date_of_birth=details.date_of_birth.isoformat() if details.date_of_birth else None,
                state=form.state,
            )
        if persona.enrolled_at is None:
            persona.enrolled_at = utcnow()
            persona.enrolled_via = "signup form"
            persona.earns_from = utcnow().date().isoformat()
        if form.sms_opt_in and persona.phone and uow.loyalty.consent(persona.id, Channel.SMS) is None:
            uow.loyalty.set_consent(persona.id, Channel.SMS, ConsentState.PENDING, "signup form")
        for source in uow.accounts.organization_integrations(organization_id, LOYALTY_SOURCES):
            options = loyalty_options(source.vendor, source.settings)
            linked = any(link.integration_id == source.id for link in uow.loyalty.links_of(persona.id))
            if source.enabled and options.sync_personas and not options.frozen and not linked:
                uow.outbox.enqueue(source.id, CREATE_SHOPPER, persona.id, f"{CREATE_SHOPPER}:{source.id}:{persona.id}")
        return persona.id, created


def push_signup(
    db: Database, connector: Connector, integration: IntegrationConfig, message_id: int, _: Any = None
) -> str:
    """Outbox: find the signup in the POS by phone or email; create it there only when nobody matches."""
    assert isinstance(connector, CustomerDirectory)
    if frozen(integration.vendor, integration.settings):
        return _wait_for_thaw(db, message_id)
    with db.uow() as uow:
        message = uow.outbox.get(message_id)
        assert message is not None
        persona = uow.loyalty.persona(message.subject_id)
        assert persona is not None
        details = CustomerDetails(
            first_name=persona.first_name,
            last_name=persona.last_name,
            date_of_birth=date.fromisoformat(persona.date_of_birth) if persona.date_of_birth else None,
            phone=persona.phone,
            email=persona.email,
        )
        persona_id = persona.id
    try:
        found = (details.phone and connector.find_by_phone(details.phone)) or (
            details.email and connector.find_by_email(details.email)
        )
        external_id = found or connector.create_customer(details, needs_id_verification=False)
    except VendorError as error:
        with db.uow() as uow:
            message = uow.outbox.get(message_id)
            assert message is not None
            uow.outbox.retry_later(message, str(error), outcome_unknown=True)
        return "retry"
    with db.uow() as uow:
        message = uow.outbox.get(message_id)
        assert message is not None
        if uow.loyalty.linked(integration.id, external_id) is None:
            # The hash of what we wrote: when the POS sends this profile back, it is recognised as our own.
            written = profile_hash(
                details.first_name, details.last_name, details.email, details.phone, details.date_of_birth
            )
            uow.loyalty.link(integration.id, external_id, persona_id, written)
        uow.outbox.done(message, {"external_id": external_id, "created": not found})
    return "created" if not found else "found"


def _wait_for_thaw(db: Database, message_id: int) -> str:
    """A signup queued before its source was frozen is kept, not sent: frozen means no call at all."""
    with db.uow() as uow:
        message = uow.outbox.get(message_id)
        assert message is not None
        uow.outbox.retry_later(
            message, "the source is frozen (use last backup)", delay=FROZEN_RECHECK, outcome_unknown=False
        )
    return "retry"


def edit_contact(db: Database, persona_id: int, organization_id: int, changes: dict[str, Any]) -> None:
    """Contact edits from cannasync: refused for a shopper a POS knows, since the POS is the source of truth."""
    with db.uow() as uow:
        persona = _persona_of(uow, persona_id, organization_id)
        links = uow.loyalty.links_of(persona.id)
        if links:
            rows = (uow.accounts.integration(link.integration_id, organization_id) for link in links)
            pos = spoken((row.vendor for row in rows if row is not None), system=True) or "the POS"
            raise PosOwnsContact(
                "this shopper's contact details come from the POS, which is the source of truth: "
                f"change them in {pos} and they will flow here"
            )
        for field, value in changes.items():
            setattr(persona, field, value)
        persona.updated_at = utcnow()


def _persona_of(uow: UnitOfWork, persona_id: int, organization_id: int) -> Persona:
    persona = uow.loyalty.persona(persona_id)
    program = uow.loyalty.program(organization_id)
    if persona is None or persona.program_id != program.id:
        raise LookupError("persona not found")
    return persona
