"""Finding the shopper in the POS before an order goes in, and creating them only when nobody matches.

Seed 000's cascade: medical orders by medical id (``patient_id``), then every order by phone, then by email,
and only then a new POS customer. The answer is bound to our customer so the next order skips the search.
"""

from __future__ import annotations

from datetime import date

from cannasync.connectors.base import CustomerDirectory
from cannasync.domain.customers import CustomerDetails
from cannasync.store.accounts import IntegrationConfig
from cannasync.store.tables import Customer
from cannasync.store.uow import Database

CUSTOMER = "customer"


def details_of(customer: Customer) -> CustomerDetails:
    return CustomerDetails(
        first_name=customer.first_name,
        last_name=customer.last_name,
        date_of_birth=date.fromisoformat(customer.date_of_birth) if customer.date_of_birth else None,
        phone=customer.phone,
        email=customer.email,
        medical_id=customer.medical_id,
        medical_id_expiration=date.fromisoformat(customer.medical_id_expiration)
        if customer.medical_id_expiration
        else None,
    )


def find_or_create(
    directory: CustomerDirectory,
    details: CustomerDetails,
    *,
    is_medical: bool,
    require_verification: bool,
) -> tuple[str, str]:
    """The POS customer id, and how it was found (medical_id, phone, email or created)."""
    if is_medical and details.medical_id and (found := directory.find_by_medical_id(details.medical_id)):
        return found, "medical_id"
    if details.phone and (found := directory.find_by_phone(details.phone)):
        return found, "phone"
    if details.email and (found := directory.find_by_email(details.email)):
        return found, "email"
    return directory.create_customer(details, needs_id_verification=require_verification), "created"


def resolve(
    db: Database,
    directory: CustomerDirectory,
    integration: IntegrationConfig,
    customer_id: int,
    *,
    is_medical: bool,
    require_verification: bool,
) -> tuple[str, str]:
    """The POS id of our customer: from the binding when we know it, else by the cascade (and then bound)."""
    with db.uow() as uow:
        known = uow.bindings.external(integration.id, CUSTOMER, customer_id)
        customer = uow.session.get(Customer, customer_id)
        assert customer is not None
        details = details_of(customer)
    if known:
        return known, "bound"
    pos_id, how = find_or_create(directory, details, is_medical=is_medical, require_verification=require_verification)
    with db.uow() as uow:
        # Not bound when the POS customer is bound to another of our records already (the same person checked
        # out twice with different details, or two pushes at once): use it, keep the first binding.
        bound = uow.bindings.bind(integration.id, CUSTOMER, pos_id, customer_id)
        if bound and how == "created" and require_verification:
            row = uow.session.get(Customer, customer_id)
            assert row is not None
            row.needs_id_verification = True
    return pos_id, how
