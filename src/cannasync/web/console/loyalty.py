"""Organization > Loyalty (seed 002): the Personas page with its "Sourced from" column, rewards and their POS
discount ids, retail store mapping with the unmapped-store notification, and the program's opt-in and enrolment
dates with what a change would do shown before it is saved.

Route functions stay small: they read through ``db.uow()`` or call the same flows the REST API calls; what a
template shows is shaped in ``loyalty_views``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from starlette.datastructures import FormData

from cannasync.api.deps import Db
from cannasync.api.schemas import RewardIn
from cannasync.connectors.http import VendorError
from cannasync.connectors.registry import LOYALTY_SOURCES, loyalty_options, spoken
from cannasync.domain.loyalty import LoyaltyRefused, RewardKind
from cannasync.flows import loyalty
from cannasync.store import history
from cannasync.store.uow import Database
from cannasync.web.console import loyalty_views as views
from cannasync.web.console.frame import frame
from cannasync.web.pages import PostedForm, render
from cannasync.web.session import Merchant, MerchantForm, Viewer

router = APIRouter(prefix="/console/loyalty", include_in_schema=False)

PAGE_SIZE = 25
TABS = (
    ("personas", "Personas", "/console/loyalty"),
    ("rewards", "Rewards", "/console/loyalty/rewards"),
    ("stores", "Store mapping", "/console/loyalty/stores"),
    ("program", "Program", "/console/loyalty/program"),
)


def _status(request: Request, refused: bool) -> int:
    """A refused form answers 422, except to htmx, which swaps only 2xx answers into the page: there the notice
    in the page says what was wrong."""
    return 422 if refused and request.headers.get("hx-request") != "true" else 200


def _page(db: Database, viewer: Viewer, tab: str, **extra: Any) -> dict[str, Any]:
    """What every loyalty tab shows: the console frame, the tabs, and the unmapped-store warning."""
    context = frame(db, viewer, section="loyalty")
    with db.uow() as uow:
        unmapped = views.unmapped(uow, viewer.organization_id)
        has_source = bool(uow.accounts.organization_integrations(viewer.organization_id, LOYALTY_SOURCES))
    return {
        **context,
        "tabs": TABS,
        "tab": tab,
        "unmapped": unmapped,
        "has_source": has_source,
        "loyalty_sources": spoken(LOYALTY_SOURCES),  # what to connect, by its card's title
        **extra,
    }


# --- Personas --------------------------------------------------------------------------------------------------


@router.get("", response_class=HTMLResponse)
def personas_page(
    request: Request,
    db: Db,
    viewer: Merchant,
    q: str = "",
    page: int = Query(1, ge=1, le=100_000),
    persona: int | None = None,
) -> HTMLResponse:
    """The personas; ``?persona=<id>`` opens one's slide-out on load (what a row's click puts in the address)."""
    with db.uow() as uow:
        listing = views.personas(uow, viewer.organization_id, q, page=page, size=PAGE_SIZE)
        sources = views.sources(uow, viewer.organization_id)
    return render(
        request,
        "console/loyalty_personas.html",
        **_page(db, viewer, "personas"),
        listing=listing,
        sources=sources,
        open_persona=persona,
    )


@router.get("/personas/{persona_id}", response_class=HTMLResponse)
def persona_detail(request: Request, persona_id: int, db: Db, viewer: Merchant) -> HTMLResponse:
    """The slide-out: ledger, consents with their dates, and the POS customers this persona is."""
    with db.uow() as uow:
        detail = views.persona_detail(uow, viewer.organization_id, persona_id)
    if detail is None:
        raise HTTPException(404, "persona not found")
    return render(request, "console/loyalty_persona.html", persona=detail)


# --- Rewards ----------------------------------------------------------------------------------------------------


def _rewards_page(
    request: Request, db: Database, viewer: Viewer, *, refused: bool = False, **extra: Any
) -> HTMLResponse:
    with db.uow() as uow:
        rewards = views.rewards(uow, viewer.organization_id)
        choices = [
            {"id": row.id, "name": views.source_name(row), "frozen": loyalty_options(row.vendor, row.settings).frozen}
            for row in uow.accounts.organization_integrations(viewer.organization_id, LOYALTY_SOURCES)
        ]
    # The POS whose discounts rewards trigger, by its vendor's own name ("create the discount in <it> first").
    pos = spoken(LOYALTY_SOURCES, system=True)
    context = {"rewards": rewards, "source_choices": choices, "form": {}, "pos": pos, **extra}
    return render(
        request,
        "console/loyalty_rewards.html",
        status_code=_status(request, refused),
        **_page(db, viewer, "rewards"),
        **context,
    )


@router.get("/rewards", response_class=HTMLResponse)
def rewards_page(request: Request, db: Db, viewer: Merchant) -> HTMLResponse:
    return _rewards_page(request, db, viewer)


def _reward_in(form: dict[str, str]) -> RewardIn:
    """The form read by the API's own model, so the console and the API refuse the same things."""
    try:
        value = Decimal(form.get("value", "").strip() or "0")
    except InvalidOperation:
        value = Decimal(0)
    return RewardIn.model_validate(
        {
            "integration_id": form.get("integration_id") or 0,
            "name": form.get("name", "").strip(),
            "kind": form.get("kind", ""),
            "value": value,
            "points_cost": form.get("points_cost") or 0,
            "pos_discount_id": form.get("pos_discount_id", "").strip(),
        }
    )


def _add_reward(db: Database, viewer: Viewer, body: RewardIn) -> None:
    """As POST /api/v1/loyalty/rewards: the discount must already exist in the POS, which is asked now."""
    loyalty.add_reward(
        db,
        viewer.organization_id,
        body.integration_id,
        name=body.name,
        kind=RewardKind(body.kind),
        value=body.value,
        points_cost=body.points_cost,
        pos_discount_id=body.pos_discount_id,
    )


@router.post("/rewards", response_class=HTMLResponse)
def create_reward(request: Request, posted: PostedForm, db: Db, viewer: MerchantForm) -> HTMLResponse:
    form = {key: str(value) for key, value in posted.items()}
    try:
        body = _reward_in(form)
        _add_reward(db, viewer, body)
    except ValidationError as error:
        return _rewards_page(request, db, viewer, refused=True, form=form, panel_error=views.validation_problems(error))
    except (LoyaltyRefused, VendorError) as error:
        return _rewards_page(request, db, viewer, refused=True, form=form, panel_error=str(error))
    return _rewards_page(
        request, db, viewer, panel_notice=f"Reward {body.name!r} added: shoppers can redeem it at the POS."
    )


# --- Store mapping ------------------------------------------------------------------------------------------------


def _stores_page(request: Request, db: Database, viewer: Viewer, **extra: Any) -> HTMLResponse:
    with db.uow() as uow:
        rows = views.mappings(uow, viewer.organization_id)
    return render(request, "console/loyalty_stores.html", **_page(db, viewer, "stores"), mappings=rows, **extra)


@router.get("/stores", response_class=HTMLResponse)
def stores_page(request: Request, db: Db, viewer: Merchant) -> HTMLResponse:
    return _stores_page(request, db, viewer)


@router.post("/stores", response_class=HTMLResponse)
def save_mappings(request: Request, form: PostedForm, db: Db, viewer: MerchantForm) -> HTMLResponse:
    """Every dropdown of the table comes back as ``store.<mapping id>`` = a store id, or "" for not mapped."""
    chosen: dict[int, int | None] = {}
    for key, value in form.items():
        if key.startswith("store.") and key[6:].isdigit():
            chosen[int(key[6:])] = int(value) if isinstance(value, str) and value.isdigit() else None
    with db.uow() as uow:
        ours = {store.id: store.name for store in uow.accounts.stores(viewer.organization_id)}
        changed = []
        for mapping_id, store_id in chosen.items():
            if store_id is not None and store_id not in ours:
                raise HTTPException(422, "that store is not one of yours")
            before = uow.loyalty.mapping(mapping_id)
            previous = before.store_id if before is not None else None
            mapping = uow.loyalty.map_location(mapping_id, viewer.organization_id, store_id)
            if mapping is not None and previous != store_id:
                changed.append(f"{mapping.location_key} → {ours[store_id] if store_id else 'not mapped'}")
    notice = f"Saved: {', '.join(changed)}." if changed else "Nothing changed."
    return _stores_page(request, db, viewer, panel_notice=notice)


# --- Program: earning and dates ---------------------------------------------------------------------------------


def _day(text: str | None) -> date | None:
    text = (text or "").strip()
    return date.fromisoformat(text) if text else None


def _dates(form: FormData) -> tuple[date | None, date | None]:
    try:
        return _day(str(form.get("sms_opt_in_after", ""))), _day(str(form.get("enroll_after", "")))
    except ValueError:
        raise HTTPException(422, "dates are written YYYY-MM-DD") from None


def _program_page(
    request: Request, db: Database, viewer: Viewer, *, refused: bool = False, **extra: Any
) -> HTMLResponse:
    with db.uow() as uow:
        program = views.program(uow, viewer.organization_id)
    return render(
        request,
        "console/loyalty_program.html",
        status_code=_status(request, refused),
        **_page(db, viewer, "program"),
        program=program,
        **extra,
    )


@router.get("/program", response_class=HTMLResponse)
def program_page(request: Request, db: Db, viewer: Merchant) -> HTMLResponse:
    return _program_page(request, db, viewer)


@router.post("/program/preview", response_class=HTMLResponse)
def preview_dates(request: Request, form: PostedForm, db: Db, viewer: MerchantForm) -> HTMLResponse:
    """What saving these dates would do, counted read-only; shown as the merchant changes a date."""
    sms_opt_in_after, enroll_after = _dates(form)
    with db.uow() as uow:
        preview = views.date_preview(uow, viewer.organization_id, sms_opt_in_after, enroll_after)
    return render(request, "console/loyalty_dates_preview.html", preview=preview)


@router.post("/program/dates", response_class=HTMLResponse)
def save_dates(request: Request, form: PostedForm, db: Db, viewer: MerchantForm) -> HTMLResponse:
    sms_opt_in_after, enroll_after = _dates(form)
    with history.acting(actor=viewer.email):  # the enrolments the new dates make
        done = loyalty.set_dates(db, viewer.organization_id, sms_opt_in_after, enroll_after)
    notice = (
        f"Saved. {views.plural(done.newly_requested, 'shopper')} will be sent an SMS opt-in request with the next "
        f"daily run; {views.plural(done.newly_enrolled, 'persona')} enrolled now."
    )
    return _program_page(request, db, viewer, dates_notice=notice)


@router.post("/program", response_class=HTMLResponse)
def save_earning(request: Request, form: PostedForm, db: Db, viewer: MerchantForm) -> HTMLResponse:
    name = str(form.get("name", "")).strip()
    try:
        rate = Decimal(str(form.get("points_per_dollar", "")).strip())
        loyalty.set_earning(db, viewer.organization_id, name=name or None, points_per_dollar=rate)
    except (InvalidOperation, LoyaltyRefused) as error:
        problem = str(error) if isinstance(error, LoyaltyRefused) else "points per dollar must be a number"
        return _program_page(request, db, viewer, refused=True, earning_error=f"Not saved: {problem}.")
    return _program_page(request, db, viewer, earning_notice="Saved: new sales earn at this rate.")
