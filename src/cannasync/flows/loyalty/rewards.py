"""Rewards at the POS: a reward becomes a POS discount, a shopper's points are checked and redeemed."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from cannasync.connectors.base import Connector, DiscountCatalog
from cannasync.connectors.registry import LOYALTY_SOURCES, build_connector, vendor
from cannasync.domain.loyalty import LoyaltyRefused, NotEnoughPoints, RewardKind
from cannasync.flows.loyalty.source import frozen
from cannasync.store.accounts import IntegrationConfig
from cannasync.store.tables import Persona, Redemption, Reward
from cannasync.store.uow import Database, UnitOfWork


def add_reward(
    db: Database,
    organization_id: int,
    integration_id: int,
    *,
    name: str,
    kind: RewardKind,
    value: Decimal,
    points_cost: int,
    pos_discount_id: str,
) -> int:
    """``create_reward`` with the loyalty source named by its id (the API's and the console's way in)."""
    with db.uow() as uow:
        row = uow.accounts.integration(integration_id, organization_id)
        if row is None or row.vendor not in LOYALTY_SOURCES:
            raise LoyaltyRefused(f"integration_id: {integration_id} is not one of your loyalty sources")
        if not row.credentials:
            raise LoyaltyRefused(f"integration_id: loyalty source {integration_id} is disconnected")
        config = uow.accounts.config(row)
    connector = build_connector(config.vendor, config.credentials, config.settings)
    try:
        return create_reward(
            db,
            organization_id,
            connector,
            config,
            name=name,
            kind=kind,
            value=value,
            points_cost=points_cost,
            pos_discount_id=pos_discount_id,
        )
    finally:
        connector.close()


def create_reward(
    db: Database,
    organization_id: int,
    catalog: Connector,
    integration: IntegrationConfig,
    *,
    name: str,
    kind: RewardKind,
    value: Decimal,
    points_cost: int,
    pos_discount_id: str,
) -> int:
    """A reward that triggers an existing POS discount. The discount must exist in the POS first (seed 002)."""
    assert isinstance(catalog, DiscountCatalog)
    if frozen(integration.vendor, integration.settings):
        raise LoyaltyRefused("this source is frozen (use last backup): the POS discount cannot be checked")
    if points_cost <= 0:
        raise LoyaltyRefused("a reward costs at least 1 point")
    if value <= 0 or (kind == RewardKind.PERCENT and value > 100):
        raise LoyaltyRefused("a reward's value must be above 0 (and at most 100 for a percent)")
    if not catalog.discount_exists(pos_discount_id):
        pos = vendor(integration.vendor).system
        raise LoyaltyRefused(
            f"{pos} has no discount with id {pos_discount_id!r}: create the discount in {pos} first, "
            "then use its discount id here"
        )
    with db.uow() as uow:
        program = uow.loyalty.program(organization_id)
        reward = Reward(
            program_id=program.id,
            integration_id=integration.id,
            name=name,
            kind=kind.value,
            value=str(value),
            points_cost=points_cost,
            pos_discount_id=pos_discount_id,
        )
        uow.session.add(reward)
        uow.session.flush()
        return reward.id


def _shopper_persona(uow: UnitOfWork, integration_id: int, customer_id: str) -> Persona:
    found = uow.loyalty.linked(integration_id, customer_id)
    if found is None:
        raise LookupError(f"no loyalty member is linked to customer {customer_id}")
    return found[0]


def redeemable(db: Database, integration_id: int, organization_id: int, customer_id: str) -> dict[str, Any]:
    """What a shopper at the POS can redeem now: their balance and each reward with whether it is affordable."""
    with db.uow() as uow:
        persona = _shopper_persona(uow, integration_id, customer_id)
        balance = uow.loyalty.balance(persona.id)
        program = uow.loyalty.program(organization_id)
        rewards = uow.loyalty.rewards(program.id, integration_id=integration_id)
        return {
            "customer_id": customer_id,
            "enrolled": persona.enrolled_at is not None,
            "balance": balance,
            "rewards": [
                {
                    "reward_id": reward.id,
                    "name": reward.name,
                    "kind": reward.kind,
                    "value": reward.value,
                    "points_cost": reward.points_cost,
                    "pos_discount_id": reward.pos_discount_id,
                    "redeemable": persona.enrolled_at is not None and balance >= reward.points_cost,
                }
                for reward in rewards
            ],
        }


def redeem(
    db: Database, integration_id: int, organization_id: int, customer_id: str, reward_id: int, pos_reference: str
) -> tuple[int, bool, int]:
    """The POS reports a redemption: points are deducted exactly once per POS reference, and refused when the
    balance is too low. Returns (redemption id, newly charged, balance after)."""
    with db.uow() as uow:
        earlier = uow.loyalty.redemption(integration_id, pos_reference)
        if earlier is not None:
            return earlier.id, False, uow.loyalty.balance(earlier.persona_id)
        persona = _shopper_persona(uow, integration_id, customer_id)
        uow.loyalty.persona(persona.id, lock=True)  # serialise redemptions of one shopper
        # Asked again under the lock: the POS's retry of this report may have charged it while we waited.
        earlier = uow.loyalty.redemption(integration_id, pos_reference)
        if earlier is not None:
            return earlier.id, False, uow.loyalty.balance(earlier.persona_id)
        program = uow.loyalty.program(organization_id)
        reward = uow.loyalty.reward(reward_id)
        if reward is None or reward.program_id != program.id or reward.integration_id != integration_id:
            raise LookupError(f"reward {reward_id} is not one of this source's rewards")
        if persona.enrolled_at is None:
            raise LoyaltyRefused("this shopper is not enrolled in the loyalty program")
        balance = uow.loyalty.balance(persona.id)
        if balance < reward.points_cost:
            raise NotEnoughPoints(f"the balance is {balance} points; {reward.name!r} needs {reward.points_cost}")
        redemption = charge(uow, integration_id, persona, reward, pos_reference, None)
        return redemption, True, uow.loyalty.balance(persona.id)


def charge(
    uow: UnitOfWork, integration_id: int, persona: Persona, reward: Reward, reference: str, sale_id: str | None
) -> int:
    redemption = Redemption(
        integration_id=integration_id,
        reward_id=reward.id,
        persona_id=persona.id,
        pos_reference=reference,
        points=reward.points_cost,
        sale_external_id=sale_id,
    )
    uow.session.add(redemption)
    uow.session.flush()
    uow.loyalty.add_entry(
        persona.id, -reward.points_cost, "redeem", f"redemption:{redemption.id}", f"redeemed {reward.name!r}", "pos"
    )
    return redemption.id
