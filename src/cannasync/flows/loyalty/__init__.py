"""The loyalty program against a POS (seed 002): shoppers and sales in, points, opt-ins, rewards at the POS.

Read top to bottom, a pull is: changed customers → personas (created, or updated when Sync Personas is on and
the change is newer than the day it was switched on; never our own write echoed back) → completed sales, each
seen once → store mapping, enrolment, points, opt-in eligibility, redemption matching. Every rule that gives or
takes points writes a ledger entry that is unique per reference, so nothing is counted twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import structlog

from cannasync.connectors.base import (
    Connector,
    CustomerDirectory,
    DiscountCatalog,
    Sale,
    Shopper,
    ShopperSource,
    SmsGateway,
)
from cannasync.connectors.http import VendorError
from cannasync.connectors.registry import build_connector
from cannasync.domain.customers import CustomerDetails, InvalidCustomer, normalise_phone
from cannasync.domain.loyalty import (
    Channel,
    ConsentState,
    DateChangePreview,
    EarningRule,
    LoyaltyRefused,
    NotEnoughPoints,
    PosOwnsContact,
    RewardKind,
    earns,
    eligible_by_date,
    opt_in_message,
    reply_meaning,
)
from cannasync.domain.sync import RunCounts
from cannasync.store.accounts import IntegrationConfig
from cannasync.store.tables import LoyaltyProgram, LoyaltySale, Persona, Redemption, Reward
from cannasync.store.types import utcnow
from cannasync.store.uow import Database, UnitOfWork

PULL = "loyalty_pull"
PULL_INTERVAL = timedelta(minutes=15)  # the seed promises 24 h, Flourish usually 4 h: a quarter of an hour
OPT_IN = "sms_opt_in"
OPT_IN_INTERVAL = timedelta(hours=24)
CREATE_SHOPPER = "create_shopper"
LOYALTY_VENDOR = "flourish_loyalty"
SMS_VENDOR = "sms"
BATCH = 50

log = structlog.get_logger(__name__)


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def profile_hash(first: str, last: str, email: str | None, phone: str | None, born: date | None) -> str:
    """What a POS profile says about the contact fields; equal hashes mean nothing to exchange (no echoes)."""
    text = "\x1f".join([first, last, email or "", phone or "", born.isoformat() if born else ""])
    return hashlib.sha256(text.encode()).hexdigest()


def _shopper_hash(shopper: Shopper) -> str:
    return profile_hash(shopper.first_name, shopper.last_name, shopper.email, shopper.phone, shopper.date_of_birth)


#: How long a signup waits before looking again whether its frozen source has been thawed.
FROZEN_RECHECK = timedelta(hours=1)


def frozen(settings: Mapping[str, Any]) -> bool:
    """ "Use last backup" (seed 002): the source keeps what it has and is never called again, not even to check
    its credentials, since it is switched on precisely when the old POS stops answering (switching POS)."""
    return bool(settings.get("use_last_backup"))


def settings_changed(state: Mapping[str, Any], before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """The source's sync state once its settings go from ``before`` to ``after`` (saved in the same transaction).

    Sync Personas applies "from the day it is enabled": the moment is recorded when the switch is saved, so a POS
    edit made between switching it on and the next pull is synced; switching it off forgets the moment.
    """
    updated = dict(state)
    if not after.get("sync_personas"):
        updated.pop("personas_since", None)
    elif not before.get("sync_personas") or "personas_since" not in updated:
        # Whole milliseconds, the POS's own precision: an edit stamped in the same millisecond as the switch
        # counts as after it. (Whole seconds dated an edit made up to a second *before* the switch after it.)
        now = utcnow()
        updated["personas_since"] = now.replace(microsecond=now.microsecond // 1000 * 1000).isoformat()
    return updated


# --- the pull --------------------------------------------------------------------------------------------------


def pull(db: Database, source: Connector, integration: IntegrationConfig, run_id: int) -> RunCounts:
    """One scheduled read of a loyalty source. A frozen source ("use last backup") is not called at all."""
    assert isinstance(source, ShopperSource)
    counts = RunCounts()
    settings = integration.settings
    if frozen(settings):
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
    regions = set(settings.get("regions") or []) if settings.get("sync_to_state") else set()
    state["customers_since"] = _pull_shoppers(db, source, integration, state, regions, counts, run_id)
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
    regions: set[str],
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
        if regions and shopper.state not in regions:
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
        matched = uow.loyalty.add_persona(program.id, "Flourish")
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
    _evaluate(uow, program, persona, [recorded])
    _match_redemptions(uow, program, integration, persona, recorded)
    return 1


def _evaluate(uow: UnitOfWork, program: LoyaltyProgram, persona: Persona, sales: Iterable[LoyaltySale]) -> None:
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
        _charge(uow, integration.id, persona, reward, f"sale:{sale.external_id}:{discount_id}", sale.external_id)


# --- dates: preview, then apply ------------------------------------------------------------------------------


def preview_dates(
    db: Database, organization_id: int, sms_opt_in_after: date | None, enroll_after: date | None
) -> DateChangePreview:
    """What saving these dates would do. Nobody loses membership, consent or points, whatever the change."""
    with db.uow() as uow:
        program = uow.loyalty.program(organization_id)
        requested = enrolled = 0
        earliest = min((d for d in (sms_opt_in_after, enroll_after) if d), default=None)
        if earliest is None:
            return DateChangePreview(0, 0)
        start = datetime.combine(earliest, datetime.min.time()).replace(tzinfo=utcnow().tzinfo)
        for persona_id in uow.loyalty.personas_with_sales_since(program.id, start):
            persona = uow.loyalty.persona(persona_id)
            assert persona is not None
            days = [sale.completed_at.date() for sale in uow.loyalty.sales_of(persona_id, since=start)]
            if (
                persona.phone
                and sms_opt_in_after
                and any(day >= sms_opt_in_after for day in days)
                and uow.loyalty.consent(persona_id, Channel.SMS) is None
            ):
                requested += 1
            if persona.enrolled_at is None and enroll_after and any(day >= enroll_after for day in days):
                enrolled += 1
        return DateChangePreview(requested, enrolled)


def set_dates(
    db: Database, organization_id: int, sms_opt_in_after: date | None, enroll_after: date | None
) -> DateChangePreview:
    """Save the program's dates and apply them to the sales already seen. Changing or removing a date only changes
    who becomes eligible from now on; earlier requests, consents, enrolments and points stay."""
    preview = preview_dates(db, organization_id, sms_opt_in_after, enroll_after)
    with db.uow() as uow:
        program = uow.loyalty.program(organization_id)
        program.sms_opt_in_after = sms_opt_in_after.isoformat() if sms_opt_in_after else None
        program.enroll_after = enroll_after.isoformat() if enroll_after else None
        earliest = min((d for d in (sms_opt_in_after, enroll_after) if d), default=None)
        if earliest is not None:
            start = datetime.combine(earliest, datetime.min.time()).replace(tzinfo=utcnow().tzinfo)
            for persona_id in uow.loyalty.personas_with_sales_since(program.id, start):
                persona = uow.loyalty.persona(persona_id)
                assert persona is not None
                _evaluate(uow, program, persona, uow.loyalty.sales_of(persona_id))
    return preview


def set_earning(db: Database, organization_id: int, *, name: str | None, points_per_dollar: Decimal | None) -> None:
    with db.uow() as uow:
        program = uow.loyalty.program(organization_id)
        if name:
            program.name = name
        if points_per_dollar is not None:
            if points_per_dollar < 0:
                raise LoyaltyRefused("points per dollar cannot be negative")
            program.points_per_dollar = str(points_per_dollar)


# --- signups ------------------------------------------------------------------------------------------------


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
        for source in uow.accounts.organization_integrations(organization_id, LOYALTY_VENDOR):
            settings = source.settings
            linked = any(link.integration_id == source.id for link in uow.loyalty.links_of(persona.id))
            if source.enabled and settings.get("sync_personas") and not frozen(settings) and not linked:
                uow.outbox.enqueue(source.id, CREATE_SHOPPER, persona.id, f"{CREATE_SHOPPER}:{source.id}:{persona.id}")
        return persona.id, created


def push_signup(
    db: Database, connector: Connector, integration: IntegrationConfig, message_id: int, _: Any = None
) -> str:
    """Outbox: find the signup in the POS by phone or email; create it there only when nobody matches."""
    assert isinstance(connector, CustomerDirectory)
    if frozen(integration.settings):
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
        if uow.loyalty.links_of(persona.id):
            raise PosOwnsContact(
                "this shopper's contact details come from the POS, which is the source of truth: "
                "change them in Flourish and they will flow here"
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


# --- SMS double opt-in -------------------------------------------------------------------------------------------


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


# --- rewards at the POS --------------------------------------------------------------------------------------


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
        if row is None or row.vendor != LOYALTY_VENDOR:
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
    if frozen(integration.settings):
        raise LoyaltyRefused("this source is frozen (use last backup): the POS discount cannot be checked")
    if points_cost <= 0:
        raise LoyaltyRefused("a reward costs at least 1 point")
    if value <= 0 or (kind == RewardKind.PERCENT and value > 100):
        raise LoyaltyRefused("a reward's value must be above 0 (and at most 100 for a percent)")
    if not catalog.discount_exists(pos_discount_id):
        raise LoyaltyRefused(
            f"Flourish has no discount with id {pos_discount_id!r}: create the discount in Flourish first, "
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
        redemption = _charge(uow, integration_id, persona, reward, pos_reference, None)
        return redemption, True, uow.loyalty.balance(persona.id)


def _charge(
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
