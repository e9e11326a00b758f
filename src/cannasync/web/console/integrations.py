"""Store > Integrations: a card per vendor — enable, credentials (write-only), the location choice that follows a
save, every setting with its help text, and a connection check that says what the vendor answered."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from cannasync.api.deps import Db
from cannasync.connectors.base import Location
from cannasync.connectors.http import AuthenticationFailed, Unavailable, VendorError
from cannasync.connectors.registry import VENDORS, VendorSpec
from cannasync.flows import integrations, loyalty
from cannasync.store.tables import Integration
from cannasync.store.uow import Database
from cannasync.web.console.forms import FieldView, describe, read_credentials, read_settings
from cannasync.web.console.frame import frame
from cannasync.web.pages import render
from cannasync.web.session import Merchant, MerchantForm, Viewer

router = APIRouter(prefix="/console", include_in_schema=False)

#: The order cards appear in; the seeds walk a merchant through the POS first, then the organization's programs.
STORE_VENDORS = ("flourish", "flowhub", "alleaves")
ORGANIZATION_VENDORS = ("flourish_loyalty", "leaflink", "sms")


@dataclass
class Card:
    spec: VendorSpec
    integration: Integration | None
    credentials: list[FieldView]
    settings: list[FieldView]
    locations: list[Location] | None = None
    notice: str | None = None
    notice_kind: str = "ok"
    store_id: int | None = None

    @property
    def state(self) -> tuple[str, str]:
        """A badge: what a merchant most needs to know about this connection at a glance."""
        row = self.integration
        if row is None:
            return "Not connected", ""
        if not row.enabled:
            return "Disabled", "warn"
        if self.spec.choice and not row.settings.get(self.spec.choice):
            return f"Choose a {self.choice_label.lower()}", "warn"
        return "Connected", "ok"

    @property
    def choice_label(self) -> str:
        return {"facility_id": "Facility", "location_id": "Location", "area_ids": "Areas"}.get(
            self.spec.choice or "", "Location"
        )

    @property
    def dom_id(self) -> str:
        return f"card-{self.spec.name}-{self.integration.id if self.integration else 'new'}"

    @property
    def action(self) -> str:
        if self.integration is not None:
            return f"/console/integrations/{self.integration.id}"
        if self.store_id is not None:
            return f"/console/stores/{self.store_id}/integrations/{self.spec.name}"
        return f"/console/integrations/new/{self.spec.name}"


def _card(spec: VendorSpec, row: Integration | None, store_id: int | None, **extra: Any) -> Card:
    hidden = (spec.choice,) if spec.choice else ()
    return Card(
        spec=spec,
        integration=row,
        credentials=describe(spec.credentials, None),
        settings=describe(spec.settings, row.settings if row else None, skip=hidden),
        store_id=store_id,
        **extra,
    )


def _cards(db: Database, viewer: Viewer, store_id: int) -> tuple[list[Card], list[Card]]:
    with db.uow() as uow:
        store_cards = [
            _card(VENDORS[name], uow.accounts.integration_for(store_id, name), store_id) for name in STORE_VENDORS
        ]
        org_cards = []
        for name in ORGANIZATION_VENDORS:
            rows = uow.accounts.organization_integrations(viewer.organization_id, name)
            org_cards += [_card(VENDORS[name], row, None) for row in rows]
            if not rows or name == "flourish_loyalty":  # each Flourish loyalty credential is one more source
                org_cards.append(_card(VENDORS[name], None, None))
    return store_cards, org_cards


@router.get("/stores/{store_id}/integrations", response_class=HTMLResponse)
def integrations_page(request: Request, store_id: int, db: Db, viewer: Merchant) -> HTMLResponse:
    context = frame(db, viewer, store_id, section="integrations")
    store_cards, org_cards = _cards(db, viewer, store_id)
    return render(request, "console/integrations.html", **context, store_cards=store_cards, org_cards=org_cards)


def _problem(error: Exception) -> str:
    if isinstance(error, AuthenticationFailed):
        return f"{error.vendor} refused these credentials ({error.message}). Check them and save again."
    if isinstance(error, Unavailable):
        return f"{error.vendor} cannot be reached right now ({error.message}). Nothing was saved; try again."
    if isinstance(error, VendorError):
        return f"{error.vendor} answered: {error.message}"
    return str(error)


async def _save(
    request: Request, db: Database, viewer: Viewer, spec: VendorSpec, row: Integration | None, store_id: int | None
) -> HTMLResponse:
    form = await request.form()
    stored = None
    if row is not None:
        with db.uow() as uow:
            found = uow.accounts.integration(row.id)
            assert found is not None
            stored = uow.accounts.config(found).credentials
    settings = read_settings(spec.settings, form)
    if spec.choice and spec.choice in form.getlist("present"):
        values = [str(v) for v in form.getlist(f"settings.{spec.choice}") if str(v)]
        settings[spec.choice] = values if spec.choice == "area_ids" else (values[0] if values else None)
    credentials = read_credentials(spec.credentials, form, stored)
    try:
        saved_id, locations = integrations.save(
            db,
            spec.name,
            organization_id=viewer.organization_id,
            store_id=store_id,
            integration_id=row.id if row is not None and store_id is None else None,
            name=str(form.get("name", "")).strip(),
            credentials=credentials,
            settings=settings,
            enabled=form.get("enabled") == "on",
        )
    except (integrations.InvalidSettings, VendorError) as error:
        card = _card(spec, row, store_id, notice=_problem(error), notice_kind="error")
        card.settings = describe(
            spec.settings, {**(row.settings if row else {}), **settings}, skip=(spec.choice or "",)
        )
        return render(request, "console/integration_card.html", status_code=422, card=card)
    with db.uow() as uow:
        saved = uow.accounts.integration(saved_id)
        assert saved is not None
        uow.session.expunge(saved)
    card = _card(spec, saved, store_id, locations=locations)
    card.notice = "Saved. " + (
        f"Now choose the {card.choice_label.lower()} to sync."
        if spec.choice and not saved.settings.get(spec.choice)
        else "The credentials work."
    )
    return render(request, "console/integration_card.html", card=card)


@router.post("/stores/{store_id}/integrations/{vendor}", response_class=HTMLResponse)
async def connect_store_vendor(
    request: Request, store_id: int, vendor: str, db: Db, viewer: MerchantForm
) -> HTMLResponse:
    frame(db, viewer, store_id, section="integrations")  # 404 for another organization's store
    if vendor not in STORE_VENDORS:
        raise HTTPException(404, "unknown POS vendor")
    with db.uow() as uow:
        row = uow.accounts.integration_for(store_id, vendor)
        if row is not None:
            uow.session.expunge(row)
    return await _save(request, db, viewer, VENDORS[vendor], row, store_id)


@router.post("/integrations/new/{vendor}", response_class=HTMLResponse)
async def connect_organization_vendor(request: Request, vendor: str, db: Db, viewer: MerchantForm) -> HTMLResponse:
    if vendor not in ORGANIZATION_VENDORS:
        raise HTTPException(404, "unknown organization-wide vendor")
    return await _save(request, db, viewer, VENDORS[vendor], None, None)


def _owned(db: Database, viewer: Viewer, integration_id: int) -> Integration:
    with db.uow() as uow:
        row = uow.accounts.integration(integration_id, viewer.organization_id)
        if row is None:
            raise HTTPException(404, "integration not found")
        uow.session.expunge(row)
        return row


@router.post("/integrations/{integration_id}", response_class=HTMLResponse)
async def update_integration(request: Request, integration_id: int, db: Db, viewer: MerchantForm) -> HTMLResponse:
    row = _owned(db, viewer, integration_id)
    return await _save(request, db, viewer, VENDORS[row.vendor], row, row.store_id)


@router.get("/integrations/{integration_id}/choices", response_class=HTMLResponse)
def choices(request: Request, integration_id: int, db: Db, viewer: Merchant) -> Response:
    """The location picker, filled from the vendor now (loaded after the page, so a slow vendor slows no page)."""
    row = _owned(db, viewer, integration_id)
    spec = VENDORS[row.vendor]
    card = _card(spec, row, row.store_id)
    problem = None
    try:
        with db.uow() as uow:
            found = uow.accounts.integration(row.id)
            assert found is not None
            config = uow.accounts.config(found)
        card.locations = integrations.check(config.vendor, config.credentials, config.settings)
    except VendorError as error:
        problem = _problem(error)
    return render(request, "console/integration_choice.html", card=card, choice_error=problem)


@router.post("/integrations/{integration_id}/check", response_class=HTMLResponse)
def check_connection(request: Request, integration_id: int, db: Db, viewer: MerchantForm) -> HTMLResponse:
    row = _owned(db, viewer, integration_id)
    spec = VENDORS[row.vendor]
    with db.uow() as uow:
        found = uow.accounts.integration(row.id)
        assert found is not None
        config = uow.accounts.config(found)
    if loyalty.frozen(config.settings):  # it promises no call at all, so it is not asked
        message = f"Not checked: this {spec.title} source is frozen (use last backup)."
        return render(request, "console/check_result.html", ok=True, message=message)
    try:
        locations = integrations.check(config.vendor, config.credentials, config.settings)
    except VendorError as error:
        return render(request, "console/check_result.html", ok=False, message=_problem(error))
    seen = f"{len(locations)} location{'s' if len(locations) != 1 else ''} visible" if spec.choice else "ready"
    return render(request, "console/check_result.html", ok=True, message=f"{spec.title} answered: {seen}.")
