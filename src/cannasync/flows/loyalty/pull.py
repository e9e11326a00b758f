"""The loyalty pull (seed 002).

Read top to bottom, a pull is: changed customers → personas (created, or updated when Sync Personas is on and
the change is newer than the day it was switched on; never our own write echoed back) → completed sales, each
seen once → store mapping, enrolment, points, opt-in eligibility, redemption matching. Every rule that gives or
takes points writes a ledger entry that is unique per reference, so nothing is counted twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import structlog

from cannasync.connectors.base import Connector, LoyaltyOptions, Sale, Shopper, ShopperSource
from cannasync.connectors.registry import loyalty_options, vendor
from cannasync.domain.loyalty import Channel, ConsentState, EarningRule, earns, eligible_by_date
from cannasync.domain.sync import RunCounts
from cannasync.flows.loyalty.rewards import charge
from cannasync.flows.loyalty.source import BATCH, profile_hash, settings_changed
from cannasync.store.accounts import IntegrationConfig
from cannasync.store.tables import LoyaltyProgram, LoyaltySale, Persona
from cannasync.store.types import utcnow
from cannasync.store.uow import Database, UnitOfWork

log = structlog.get_logger(__name__)


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _shopper_hash(shopper: Shopper) -> str:
    return profile_hash(shopper.first_name, shopper.last_name, shopper.email, shopper.phone, shopper.date_of_birth)


def pull(db: Database, source: Connector, integration: IntegrationConfig, run_id: int) -> RunCounts:
    """One scheduled read of a loyalty source. A frozen source ("use last backup") is not called at all."""
    assert isinstance(source, ShopperSource)
    counts = RunCounts()
    settings = integration.settings
    options = loyalty_options(integration.vendor, settings)
    if options.frozen:
        counts.skipped = 1
        log.info("loyalty_source_frozen", integration_id=integration.id)
        return counts
    with db.uow() as uow:
        row = uow.accounts.integration(integration.id)
        assert row is not None
        state = dict(row.sync_state)
        # Normally recorded when the switch was saved; this covers a source switched on before that was so.
        state = settings_changed(state, settings, settings)
        row.sync_state = state
    state["customers_since"] = _pull_shoppers(db, source, integration, state, options, counts, run_id)
    state["sales_since"] = _pull_sales(db, source, integration, state, counts, run_id)
    with db.uow() as uow:
        row = uow.accounts.integration(integration.id)
        assert row is not None
        if counts.created or counts.updated or counts.unchanged:
            state["last_data_at"] = utcnow().isoformat()
        row.sync_state = {**row.sync_state, **state}
    return counts


def _pull_shoppers(
    db: Database,
    source: ShopperSource,
    integration: IntegrationConfig,
    state: dict[str, Any],
    options: LoyaltyOptions,
    counts: RunCounts,
    run_id: int,
) -> str | None:
    since = datetime.fromisoformat(state["customers_since"]) if state.get("customers_since") else None
    personas_since = datetime.fromisoformat(state["personas_since"]) if state.get("personas_since") else None
    cursor = since
    batch: list[Shopper] = []

    def flush() -> None:
        with db.uow() as uow:
            # Locked: a signup (or another source's pull) of the same new shopper must see this batch's personas.
            program = uow.loyalty.program(integration.organization_id, lock=True)
            for shopper in batch:
                outcome = _apply_shopper(uow, program, integration, shopper, personas_since)
                setattr(counts, outcome, getattr(counts, outcome) + 1)
            uow.runs.progress(
                run_id, pages=0, seen=counts.created + counts.updated + counts.unchanged, counts=counts.as_dict()
            )
        batch.clear()

    for shopper in source.shoppers_changed_since(since):
        cursor = shopper.updated_at if cursor is None else max(cursor, shopper.updated_at)
        if not options.reaches(shopper.state):
            counts.skipped += 1  # Sync to state: only this credential's regions
            continue
        batch.append(shopper)
        if len(batch) >= BATCH:
            flush()
    flush()
    return cursor.isoformat() if cursor else None


def _apply_shopper(
    uow: UnitOfWork,
    program: LoyaltyProgram,
    integration: IntegrationConfig,
    shopper: Shopper,
    personas_since: datetime | None,
) -> str:
    incoming = _shopper_hash(shopper)
    found = uow.loyalty.linked(integration.id, shopper.external_id)
    if found is not None:
        persona, link = found
        if link.profile_hash == incoming:
            return "unchanged"  # nothing new, or our own write coming back
        if personas_since is None or shopper.updated_at < personas_since:
            return "unchanged"  # Sync Personas is off, or the change predates it: the persona is left alone
        _copy_contact(persona, shopper)
        link.profile_hash = incoming
        return "updated"
    matched = uow.loyalty.match(program.id, shopper.phone, shopper.email)
    if matched is None:
        matched = uow.loyalty.add_persona(program.id, vendor(integration.vendor).system)
        _copy_contact(matched, shopper)
    persona = matched
    uow.loyalty.link(integration.id, shopper.external_id, persona.id, incoming)
    if shopper.location_key:
        store_id = uow.loyalty.store_for(integration.id, shopper.location_key)
        persona.favorite_store_id = persona.favorite_store_id or store_id
    return "created"


def _copy_contact(persona: Persona, shopper: Shopper) -> None:
    persona.first_name = shopper.first_name
    persona.last_name = shopper.last_name
    persona.email = shopper.email
    persona.phone = shopper.phone
    persona.date_of_birth = shopper.date_of_birth.isoformat() if shopper.date_of_birth else None
    persona.state = shopper.state
    persona.updated_at = utcnow()


def _pull_sales(
    db: Database,
    source: ShopperSource,
    integration: IntegrationConfig,
    state: dict[str, Any],
    counts: RunCounts,
    run_id: int,
) -> str | None:
    since = datetime.fromisoformat(state["sales_since"]) if state.get("sales_since") else None
    cursor = since
    batch: list[Sale] = []

    def flush() -> None:
        with db.uow() as uow:
            program = uow.loyalty.program(integration.organization_id)
            for sale in batch:
                counts.sales += _apply_sale(uow, program, integration, sale)
            uow.runs.progress(
                run_id,
                pages=0,
                seen=counts.created + counts.updated + counts.unchanged + counts.sales,
                counts=counts.as_dict(),
            )
        batch.clear()

    for sale in source.sales_completed_since(since):
        cursor = sale.completed_at if cursor is None else max(cursor, sale.completed_at)
        batch.append(sale)
        if len(batch) >= BATCH:
            flush()
    flush()
    return cursor.isoformat() if cursor else None


def _apply_sale(uow: UnitOfWork, program: LoyaltyProgram, integration: IntegrationConfig, sale: Sale) -> int:
    """Record a sale and apply the program to it; 1 when the sale is new, 0 when it was seen before."""
    found = uow.loyalty.linked(integration.id, sale.customer_external_id) if sale.customer_external_id else None
    persona = found[0] if found else None
    store_id = uow.loyalty.store_for(integration.id, sale.location_key) if sale.location_key else None
    recorded = uow.loyalty.record_sale(
        integration.id,
        sale.external_id,
        persona_id=persona.id if persona else None,
        location_key=sale.location_key,
        completed_at=sale.completed_at,
        total_cents=sale.total_cents,
        discount_ids=list(sale.discount_ids),
    )
    if recorded is None:
        return 0  # seen before: it counted then
    if persona is None:
        return 1  # a sale without a known shopper: kept, for the store mapping and the record
    if store_id is not None:
        persona.favorite_store_id = store_id  # the store they last bought at
    evaluate(uow, program, persona, [recorded])
    _match_redemptions(uow, program, integration, persona, recorded)
    return 1


def evaluate(uow: UnitOfWork, program: LoyaltyProgram, persona: Persona, sales: Iterable[LoyaltySale]) -> None:
    """Apply the program's dates and earning rule to a shopper's sales (safe to repeat: every effect is once)."""
    rule = EarningRule(Decimal(program.points_per_dollar))
    enroll_after = _day(program.enroll_after)
    opt_in_after = _day(program.sms_opt_in_after)
    for sale in sales:
        day = sale.completed_at.date()
        if persona.enrolled_at is None and eligible_by_date(day, enroll_after):
            assert enroll_after is not None
            persona.enrolled_at = utcnow()
            persona.enrolled_via = f"purchased on or after {enroll_after.isoformat()}"
            persona.earns_from = enroll_after.isoformat()
        if earns(day, _day(persona.earns_from)) and (points := rule.points_for(sale.total_cents)):
            uow.loyalty.add_entry(
                persona.id,
                points,
                "earn",
                f"sale:{sale.integration_id}:{sale.external_id}",
                f"{points} points for a ${sale.total_cents / 100:.2f} purchase on {day.isoformat()}",
                "pos",
            )
        if (
            persona.phone
            and eligible_by_date(day, opt_in_after)
            and uow.loyalty.consent(persona.id, Channel.SMS) is None
        ):
            assert opt_in_after is not None
            uow.loyalty.set_consent(
                persona.id, Channel.SMS, ConsentState.PENDING, f"purchased on or after {opt_in_after.isoformat()}"
            )


def _match_redemptions(
    uow: UnitOfWork, program: LoyaltyProgram, integration: IntegrationConfig, persona: Persona, sale: LoyaltySale
) -> None:
    """A sale that used a reward's POS discount is matched to the redemption the POS reported, never charged twice.
    A redemption the POS did not report is charged now (the shopper did get the discount)."""
    rewards = uow.loyalty.rewards(program.id, integration_id=integration.id)
    for discount_id in sale.discount_ids:
        matching = [reward for reward in rewards if reward.pos_discount_id == discount_id]
        if not matching:
            continue
        reported = uow.loyalty.unmatched_redemption(persona.id, [reward.id for reward in matching])
        if reported is not None:
            reported.sale_external_id = sale.external_id
            continue
        reward = matching[0]
        charge(uow, integration.id, persona, reward, f"sale:{sale.external_id}:{discount_id}", sale.external_id)
