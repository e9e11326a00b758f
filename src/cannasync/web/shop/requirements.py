"""What checkout must ask for, read from the traits of the POS the cart's products come from.

The template only ever sees these flags, never a vendor's name: connecting another POS changes the form by
changing its :class:`~cannasync.connectors.base.Traits`, not the store's pages.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields

from cannasync.connectors.registry import VENDORS, pos_options
from cannasync.store.tables import Integration
from cannasync.store.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class Requirements:
    #: The POS cannot create a customer without one.
    date_of_birth: bool = False
    #: A recreational order needs a phone (a medical one has the card number instead), for a POS that asks.
    phone_unless_medical: bool = False
    #: A medical card number must come with its expiry date.
    medical_id_expiration: bool = False
    #: A delivery order must say when.
    delivery_window: bool = False
    #: The store checks every new customer's ID before handing over the order (the store's own switch).
    id_checked_at_pickup: bool = False

    def merged(self, other: Requirements) -> Requirements:
        """Both POSes' needs (a store mid-switch can have two): a field either requires is required."""
        return Requirements(**{f.name: getattr(self, f.name) or getattr(other, f.name) for f in fields(self)})


def of_integration(integration: Integration) -> Requirements:
    spec = VENDORS.get(integration.vendor)
    if spec is None or spec.scope != "store":
        return Requirements()
    traits = spec.traits
    return Requirements(
        date_of_birth=traits.requires_date_of_birth,
        phone_unless_medical=traits.requires_medical_id_or_phone,
        medical_id_expiration=traits.requires_medical_id_expiration,
        delivery_window=traits.requires_delivery_window,
        # The store's own switch, saved with its POS settings.
        id_checked_at_pickup=pos_options(integration.vendor, integration.settings).require_medical_verification,
    )


def for_checkout(uow: UnitOfWork, store_id: int, product_ids: Iterable[int]) -> Requirements:
    """The POS behind the cart's products decides; with nothing in the cart, every POS the store has connected."""
    integration_ids: set[int] = set()
    for product_id in product_ids:
        row = uow.catalog.product(product_id)
        if row is not None:
            integration_ids.add(row.integration_id)
    integrations = [uow.accounts.integration(i) for i in sorted(integration_ids)] or uow.accounts.integrations(store_id)
    result = Requirements()
    for integration in integrations:
        if integration is not None and integration.enabled:
            result = result.merged(of_integration(integration))
    return result
