"""Finding the shopper in the POS before an order goes in, and creating them only when nobody matches.

Seed 000's cascade: medical orders by medical id (``patient_id``), then every order by phone, then by email,
and only then a new POS customer. The answer is bound to our customer so the next order skips the search, with
two exceptions:

* A medical order always asks the POS for the patient by medical id first. The binding may point at a profile
  found by phone or created for an earlier recreational order, which is not the patient's record.
* A create whose outcome was unknown (a timeout) may have made the customer; a shopper with no phone or e-mail
  cannot be found by them, so the next create first looks for the record by name and date of birth.

What is searched for and sent is the contact typed with the order being pushed (``Order.contact``), never the
shared customer row, which later shoppers with the same phone or e-mail may have filled in.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from cannasync.connectors.base import CustomerDirectory
from cannasync.connectors.http import Rejected
from cannasync.domain.customers import CustomerDetails
from cannasync.store.accounts import IntegrationConfig
from cannasync.store.orders import CONTACT_FIELDS
from cannasync.store.tables import Customer, Order
from cannasync.store.types import utcnow
from cannasync.store.uow import Database

CUSTOMER = "customer"


def _day(value: Any) -> date | None:
    return date.fromisoformat(str(value)) if value else None


def details_from(record: dict[str, Any]) -> CustomerDetails:
    """Contact details from their stored form (an order's ``contact``)."""
    return CustomerDetails(
        first_name=str(record.get("first_name") or ""),
        last_name=str(record.get("last_name") or ""),
        date_of_birth=_day(record.get("date_of_birth")),
        phone=record.get("phone") or None,
        email=record.get("email") or None,
        medical_id=record.get("medical_id") or None,
        medical_id_expiration=_day(record.get("medical_id_expiration")),
    )


def details_of(customer: Customer) -> CustomerDetails:
    """The details on our customer row (the match key; an order shows its own ``contact``)."""
    return details_from({field: getattr(customer, field) for field in CONTACT_FIELDS})


def contact_of(order: Order) -> CustomerDetails:
    """The contact typed with this order (orders from before per-order contacts were back-filled)."""
    return details_from(order.contact) if order.contact else details_of(order.customer)


def find(
    directory: CustomerDirectory, details: CustomerDetails, *, may_have_been_created: bool
) -> tuple[str, str] | None:
    """The POS customer by phone, then e-mail, then (after a create of unknown outcome) name and birth date."""
    if details.phone and (found := directory.find_by_phone(details.phone)):
        return found, "phone"
    if details.email and (found := directory.find_by_email(details.email)):
        return found, "email"
    if may_have_been_created and details.date_of_birth:
        found = directory.find_by_name_and_birth_date(details.first_name, details.last_name, details.date_of_birth)
        if found:
            return found, "name and date of birth"
    return None


def resolve(
    db: Database,
    directory: CustomerDirectory,
    integration: IntegrationConfig,
    customer_id: int,
    details: CustomerDetails,
    *,
    is_medical: bool,
    require_verification: bool,
) -> tuple[str, str]:
    """The POS id for this order's shopper, and how it was found (medical_id, bound, phone, email, … created).

    ``details`` is the order's own contact; ``customer_id`` is our match key, to which the answer is bound.
    """
    patient = directory.find_by_medical_id(details.medical_id) if is_medical and details.medical_id else None
    with db.uow() as uow:
        known = uow.bindings.external(integration.id, CUSTOMER, customer_id)
        customer = uow.session.get(Customer, customer_id)
        assert customer is not None
        create_started = customer.pos_create_started_at is not None
    if patient:
        if known is None:
            _bind(db, integration, customer_id, patient, created=False, require_verification=require_verification)
        return patient, "medical_id"
    if known:
        return known, "bound"
    found = find(directory, details, may_have_been_created=create_started)
    if found is None:
        _mark_create_started(db, customer_id)
        try:
            found = directory.create_customer(details, needs_id_verification=require_verification), "created"
        except Rejected:
            # Refused because the shopper is there already: another order of theirs, pushed at the same moment,
            # created them (a POS answers 409 for a duplicate medical id). Look again and use that profile.
            found = _created_meanwhile(directory, details)
            if found is None:
                raise
    pos_id, how = found
    _bind(db, integration, customer_id, pos_id, created=how == "created", require_verification=require_verification)
    return pos_id, how


def _created_meanwhile(directory: CustomerDirectory, details: CustomerDetails) -> tuple[str, str] | None:
    patient = directory.find_by_medical_id(details.medical_id) if details.medical_id else None
    if patient:
        return patient, "medical_id"
    return find(directory, details, may_have_been_created=True)


def _mark_create_started(db: Database, customer_id: int) -> None:
    """Committed before the create is sent, so a timeout or a dead worker leaves the mark behind."""
    with db.uow() as uow:
        row = uow.session.get(Customer, customer_id)
        assert row is not None
        row.pos_create_started_at = utcnow()


def _bind(
    db: Database,
    integration: IntegrationConfig,
    customer_id: int,
    pos_id: str,
    *,
    created: bool,
    require_verification: bool,
) -> None:
    with db.uow() as uow:
        # Not bound when the POS customer is bound to another of our records already (two shoppers sharing it),
        # or this record was bound meanwhile by a concurrent push: use the answer for this order, keep the first.
        bound = uow.bindings.bind(integration.id, CUSTOMER, pos_id, customer_id)
        row = uow.session.get(Customer, customer_id)
        assert row is not None
        row.pos_create_started_at = None
        if bound and created and require_verification:
            row.needs_id_verification = True
