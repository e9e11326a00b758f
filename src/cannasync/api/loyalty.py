"""The loyalty program: its rules and dates, store mapping, personas, signups, rewards, and its health."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Query

from cannasync.api import views
from cannasync.api.deps import BY_API, Db, Jobs, Org, not_found
from cannasync.api.edge import MAX_OFFSET
from cannasync.api.schemas import PersonaPatch, ProgramDatesIn, ProgramIn, RewardIn, SignupIn, StoreMappingIn
from cannasync.connectors.registry import LOYALTY_SOURCES, SMS_GATEWAYS, loyalty_options
from cannasync.domain.customers import CustomerDetails, normalise_email, normalise_phone
from cannasync.domain.loyalty import RewardKind
from cannasync.flows import loyalty
from cannasync.store import history
from cannasync.store.tables import Persona
from cannasync.store.uow import UnitOfWork

router = APIRouter(prefix="/loyalty", tags=["loyalty"])


def _at(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _program(uow: UnitOfWork, org: int) -> dict[str, Any]:
    program = uow.loyalty.program(org)
    return {
        "name": program.name,
        "points_per_dollar": program.points_per_dollar,
        "sms_opt_in_after": program.sms_opt_in_after,
        "enroll_after": program.enroll_after,
    }


def _persona(uow: UnitOfWork, persona: Persona, *, detail: bool = False) -> dict[str, Any]:
    shown: dict[str, Any] = {
        "id": persona.id,
        "first_name": persona.first_name,
        "last_name": persona.last_name,
        "email": persona.email,
        "phone": persona.phone,
        "date_of_birth": persona.date_of_birth,
        "state": persona.state,
        "sourced_from": persona.sourced_from,
        "favorite_store_id": persona.favorite_store_id,
        "enrolled": persona.enrolled_at is not None,
        "enrolled_via": persona.enrolled_via,
        "points": uow.loyalty.balance(persona.id),
        "consent": {c.channel: c.state for c in uow.loyalty.consents(persona.id)},
    }
    if detail:
        shown["consents"] = [
            {
                "channel": c.channel,
                "state": c.state,
                "via": c.via,
                "requested_at": _at(c.requested_at),
                "answered_at": _at(c.answered_at),
            }
            for c in uow.loyalty.consents(persona.id)
        ]
        shown["ledger"] = [
            {"points": e.points, "kind": e.kind, "reason": e.reason, "source": e.source, "at": _at(e.created_at)}
            for e in uow.loyalty.ledger(persona.id)
        ]
        shown["linked_to"] = [
            {"integration_id": link.integration_id, "customer_id": link.external_id}
            for link in uow.loyalty.links_of(persona.id)
        ]
    return shown


@router.get("/program")
def get_program(db: Db, org: Org) -> dict[str, Any]:
    with db.uow() as uow:
        return _program(uow, org)


@router.patch("/program")
def update_program(body: ProgramIn, db: Db, org: Org) -> dict[str, Any]:
    loyalty.set_earning(db, org, name=body.name, points_per_dollar=body.points_per_dollar)
    with db.uow() as uow:
        return _program(uow, org)


@router.post("/program/dates/preview")
def preview_dates(body: ProgramDatesIn, db: Db, org: Org) -> dict[str, Any]:
    """What saving these dates would do, before it is done. Nobody ever loses membership, consent or points."""
    preview = loyalty.preview_dates(db, org, body.sms_opt_in_after, body.enroll_after)
    return {
        "would_request_sms_opt_in": preview.newly_requested,
        "would_enroll": preview.newly_enrolled,
        "would_lose_membership": preview.losing_membership,
        "would_lose_points": preview.losing_points,
    }


@router.put("/program/dates")
def set_dates(body: ProgramDatesIn, db: Db, org: Org) -> dict[str, Any]:
    """Save the SMS double opt-in and enrolment dates and apply them to the sales already seen."""
    with history.acting(actor=f"{BY_API}, saving the program's dates"):  # the enrolments they make
        preview = loyalty.set_dates(db, org, body.sms_opt_in_after, body.enroll_after)
    with db.uow() as uow:
        return {
            **_program(uow, org),
            "requested_sms_opt_in": preview.newly_requested,
            "enrolled": preview.newly_enrolled,
        }


@router.get("/store-mappings")
def list_store_mappings(db: Db, org: Org) -> list[dict[str, Any]]:
    with db.uow() as uow:
        return [
            {
                "id": m.id,
                "integration_id": i.id,
                "source": i.name or i.vendor,
                "location_key": m.location_key,
                "store_id": m.store_id,
                "first_seen_at": _at(m.first_seen_at),
            }
            for m, i in uow.loyalty.mappings(org)
        ]


@router.put("/store-mappings/{mapping_id}")
def map_store(mapping_id: int, body: StoreMappingIn, db: Db, org: Org) -> dict[str, Any]:
    with db.uow() as uow:
        mapping = uow.loyalty.mapping(mapping_id)
        if mapping is None or uow.accounts.integration(mapping.integration_id, org) is None:
            raise not_found("store mapping")
        if body.store_id is not None and uow.accounts.store(body.store_id, org) is None:
            raise HTTPException(422, f"store_id: store {body.store_id} is not one of yours")
        mapping.store_id = body.store_id
        return {"id": mapping.id, "location_key": mapping.location_key, "store_id": mapping.store_id}


@router.get("/notifications")
def notifications(db: Db, org: Org) -> list[dict[str, Any]]:
    """Open notifications: each POS location key seen in the data but not mapped to a store (until it is)."""
    with db.uow() as uow:
        return [
            {
                "kind": "unmapped_store",
                "mapping_id": m.id,
                "integration_id": i.id,
                "location_key": m.location_key,
                "message": f"{i.name or i.vendor} sends data for location {m.location_key!r}, which is not mapped to a "
                "store: map it so shoppers get their favorite store",
            }
            for m, i in uow.loyalty.mappings(org)
            if m.store_id is None
        ]


@router.get("/personas")
def list_personas(
    db: Db, org: Org, limit: int = Query(50, ge=1, le=200), offset: int = Query(0, ge=0, le=MAX_OFFSET)
) -> dict[str, Any]:
    with db.uow() as uow:
        program = uow.loyalty.program(org)
        rows, total = uow.loyalty.personas(program.id, limit=limit, offset=offset)
        return {"total": total, "data": [_persona(uow, row) for row in rows]}


@router.get("/personas/{persona_id}")
def get_persona(persona_id: int, db: Db, org: Org) -> dict[str, Any]:
    with db.uow() as uow:
        persona = uow.loyalty.persona(persona_id)
        if persona is None or persona.program_id != uow.loyalty.program(org).id:
            raise not_found("persona")
        return _persona(uow, persona, detail=True)


@router.patch("/personas/{persona_id}")
def edit_persona(persona_id: int, body: PersonaPatch, db: Db, org: Org) -> dict[str, Any]:
    """Contact edits. A shopper the POS knows is refused (409): the POS is the source of truth for contacts."""
    changes = body.model_dump(exclude_none=True)
    if "phone" in changes:
        changes["phone"] = normalise_phone(changes["phone"])
    if "email" in changes:
        changes["email"] = normalise_email(changes["email"])
    try:
        with history.acting(actor=BY_API):
            loyalty.edit_contact(db, persona_id, org, changes)
    except LookupError:
        raise not_found("persona") from None
    return get_persona(persona_id, db, org)


@router.get("/personas/{persona_id}/history")
def persona_history(persona_id: int, db: Db, org: Org, limit: int = Query(200, ge=1, le=1000)) -> list[dict[str, Any]]:
    """Every change to the persona's contact, favourite store, membership and consents, newest first, and why: the
    loyalty pull run that copied it from the POS, the signup, the SMS reply (webhook), or who edited it. Points
    have their own ledger, each entry with its reason (``GET /personas/{id}``)."""
    with db.uow() as uow:
        persona = uow.loyalty.persona(persona_id)
        if persona is None or persona.program_id != uow.loyalty.program(org).id:
            raise not_found("persona")
        return [
            views.record_change(change, run)
            for change, run in history.of(uow.session, history.PERSONA, persona_id, limit)
        ]


@router.post("/signup", status_code=201)
def signup(body: SignupIn, db: Db, org: Org, jobs: Jobs) -> dict[str, Any]:
    """The signup form: enrols at once; with ``sms_opt_in`` the shopper is asked to confirm by text."""
    details = CustomerDetails(
        first_name=body.first_name.strip(),
        last_name=body.last_name.strip(),
        date_of_birth=body.date_of_birth,
        phone=normalise_phone(body.phone),
        email=normalise_email(body.email),
    )
    with history.acting(actor="the signup form (API)"):
        persona_id, created = loyalty.signup(
            db, org, loyalty.Signup(details, body.state.upper() if body.state else None, body.sms_opt_in)
        )
    jobs.nudge()
    if body.sms_opt_in:  # ask now rather than at the next daily run: the shopper is holding their phone
        with db.uow() as uow:
            gateway = next((g.id for g in uow.accounts.organization_integrations(org, SMS_GATEWAYS) if g.enabled), None)
        if gateway is not None:
            jobs.run_now_or_skip(gateway, loyalty.OPT_IN)
    with db.uow() as uow:
        persona = uow.loyalty.persona(persona_id)
        assert persona is not None
        return {**_persona(uow, persona), "new": created}


@router.post("/rewards", status_code=201)
def create_reward(body: RewardIn, db: Db, org: Org) -> dict[str, Any]:
    """A flat or percent reward for points that triggers a POS discount: the discount must exist in the POS."""
    reward_id = loyalty.add_reward(
        db,
        org,
        body.integration_id,
        name=body.name,
        kind=RewardKind(body.kind),
        value=body.value,
        points_cost=body.points_cost,
        pos_discount_id=body.pos_discount_id,
    )
    return {"id": reward_id, **body.model_dump(mode="json")}


@router.get("/rewards")
def list_rewards(db: Db, org: Org) -> list[dict[str, Any]]:
    with db.uow() as uow:
        program = uow.loyalty.program(org)
        return [
            {
                "id": r.id,
                "integration_id": r.integration_id,
                "name": r.name,
                "kind": r.kind,
                "value": r.value,
                "points_cost": r.points_cost,
                "pos_discount_id": r.pos_discount_id,
            }
            for r in uow.loyalty.rewards(program.id)
        ]


@router.get("/health")
def health(db: Db, org: Org) -> dict[str, Any]:
    """Is it working (seed 002's FAQ)? Per source: when data last arrived, personas it brought, unmapped keys."""
    with db.uow() as uow:
        program = uow.loyalty.program(org)
        by_source = uow.loyalty.personas_by_source(program.id)
        sources = []
        for row in uow.accounts.organization_integrations(org, LOYALTY_SOURCES):
            runs = uow.runs.recent(row.id, loyalty.PULL, limit=1)
            mappings = [m for m, i in uow.loyalty.mappings(org) if i.id == row.id]
            sources.append(
                {
                    "integration_id": row.id,
                    "name": row.name,
                    "frozen": loyalty_options(row.vendor, row.settings).frozen,
                    "last_data_received_at": row.sync_state.get("last_data_at"),
                    "last_run": {
                        "status": runs[0].status,
                        "finished_at": _at(runs[0].finished_at),
                        "error": runs[0].error,
                    }
                    if runs
                    else None,
                    "unmapped_location_keys": [m.location_key for m in mappings if m.store_id is None],
                }
            )
        return {"personas_by_source": by_source, "sources": sources}
