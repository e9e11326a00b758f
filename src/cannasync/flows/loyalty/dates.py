"""The program's settings: its dates (previewed, then applied) and its earning rule."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from cannasync.domain.loyalty import Channel, DateChangePreview, LoyaltyRefused
from cannasync.flows.loyalty.pull import evaluate
from cannasync.store.types import utcnow
from cannasync.store.uow import Database


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
                evaluate(uow, program, persona, uow.loyalty.sales_of(persona_id))
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
