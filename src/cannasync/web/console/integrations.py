"""Store > Integrations: a card per vendor — enable, credentials (write-only), the location choice that follows a
save, every setting with its help text, and a connection check that says what the vendor answered."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from cannasync.api.deps import Db
from cannasync.connectors.http import AuthenticationFailed, Unavailable, VendorError
from cannasync.connectors.registry import ORGANIZATION_VENDORS, STORE_VENDORS, VENDORS, VendorSpec
from cannasync.flows import doctor, integrations, loyalty
from cannasync.store.accounts import IntegrationConfig
from cannasync.store.tables import Integration
from cannasync.store.uow import Database
from cannasync.web.console import integration_cards as cards
from cannasync.web.console.forms import describe, read_credentials, read_settings
from cannasync.web.console.frame import frame
from cannasync.web.pages import PostedForm, render
from cannasync.web.session import Merchant, MerchantForm, Viewer

router = APIRouter(prefix="/console", include_in_schema=False)

#: The order cards appear in; the seeds walk a merchant through the POS first, then the organization's programs.


def _public_url(request: Request) -> str:
    """Where vendors reach this hub: the address the workers give them (``CANNASYNC_PUBLIC_URL``), else this one."""
    configured = getattr(request.app.state.dispatcher, "public_url", None)
    return str(configured or request.base_url).rstrip("/")


def _card(
    request: Request, db: Database, viewer: Viewer, spec: VendorSpec, row: Integration | None, **extra: Any
) -> cards.Card:
    store_id = row.store_id if row is not None else extra.pop("store_id", None)
    extra.pop("store_id", None)
    with db.uow() as uow:
        return cards.build(
            uow,
            spec,
            row,
            organization_id=viewer.organization_id,
            store_id=store_id,
            public_url=_public_url(request),
            **extra,
        )


def _cards(request: Request, db: Database, viewer: Viewer, store_id: int) -> tuple[list[cards.Card], list[cards.Card]]:
    public_url = _public_url(request)
    org = viewer.organization_id
    with db.uow() as uow:
        store_cards = [
            cards.build(
                uow,
                VENDORS[name],
                uow.accounts.integration_for(store_id, name),
                organization_id=org,
                store_id=store_id,
                public_url=public_url,
            )
            for name in STORE_VENDORS
        ]
        org_cards = []
        for name in ORGANIZATION_VENDORS:
            rows = uow.accounts.organization_integrations(org, name)
            org_cards += [
                cards.build(uow, VENDORS[name], row, organization_id=org, store_id=None, public_url=public_url)
                for row in rows
            ]
            if not rows or VENDORS[name].several:
                org_cards.append(
                    cards.build(uow, VENDORS[name], None, organization_id=org, store_id=None, public_url=public_url)
                )
    return store_cards, org_cards


@router.get("/stores/{store_id}/integrations", response_class=HTMLResponse)
def integrations_page(request: Request, store_id: int, db: Db, viewer: Merchant) -> HTMLResponse:
    context = frame(db, viewer, store_id, section="integrations")
    store_cards, org_cards = _cards(request, db, viewer, store_id)
    # A store sells from one POS: the one it uses comes first, the others wait behind "Connect another POS".
    in_use = [card for card in store_cards if card.connected]
    return render(
        request,
        "console/integrations.html",
        **context,
        pos_in_use=in_use,
        pos_others=[card for card in store_cards if not card.connected],
        org_cards=org_cards,
    )


def _problem(error: Exception) -> str:
    if isinstance(error, AuthenticationFailed):
        return f"{error.vendor} refused these credentials ({error.message}). Check them and save again."
    if isinstance(error, Unavailable):
        return f"{error.vendor} cannot be reached right now ({error.message}). Nothing was saved; try again."
    if isinstance(error, VendorError):
        return f"{error.vendor} answered: {error.message}"
    return str(error)


def _reuses_secrets_elsewhere(
    spec: VendorSpec, form: FormData, stored: dict[str, Any] | None, saved: dict[str, Any], changed: dict[str, Any]
) -> bool:
    """A new address with a saved secret not typed again: the secret would go to a host it was never checked with
    (typing only a new username must not send the saved key to a new base URL)."""
    if not stored or not any(saved.get(k) != changed[k] for k in integrations.ADDRESS_SETTINGS if k in changed):
        return False
    secrets = [f.name for f in describe(spec.credentials, None) if f.kind == "secret" and f.name in stored]
    return any(not str(form.get(f"credentials.{name}", "")).strip() for name in secrets)


def _save(
    request: Request,
    form: FormData,
    db: Database,
    viewer: Viewer,
    spec: VendorSpec,
    row: Integration | None,
    store_id: int | None,
) -> HTMLResponse:
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
        if credentials is not None and _reuses_secrets_elsewhere(
            spec, form, stored, row.settings if row else {}, settings
        ):
            raise integrations.InvalidSettings.about(
                "credentials", "", "type the saved secrets again to send them to a new base URL"
            )
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
        card = _card(request, db, viewer, spec, row, store_id=store_id, settings=settings, notice_kind="error")
        cards.keep_typed(card, form)
        if isinstance(error, integrations.InvalidSettings) and error.problems:
            card.notice = cards.show_problems(card, error.problems)
        else:
            card.notice = _problem(error)
        return render(request, "console/integration_card.html", status_code=422, card=card)
    with db.uow() as uow:
        saved = uow.accounts.integration(saved_id)
        assert saved is not None
        uow.session.expunge(saved)
    card = _card(request, db, viewer, spec, saved, locations=locations)
    card.notice = "Saved. " + (
        f"Now choose the {card.choice_noun} to sync."
        if spec.choice and not saved.settings.get(spec.choice)
        else "The credentials work."
    )
    return render(request, "console/integration_card.html", card=card)


@router.post("/stores/{store_id}/integrations/{vendor}", response_class=HTMLResponse)
def connect_store_vendor(
    request: Request, form: PostedForm, store_id: int, vendor: str, db: Db, viewer: MerchantForm
) -> HTMLResponse:
    frame(db, viewer, store_id, section="integrations")  # 404 for another organization's store
    if vendor not in STORE_VENDORS:
        raise HTTPException(404, "unknown POS vendor")
    with db.uow() as uow:
        row = uow.accounts.integration_for(store_id, vendor)
        if row is not None:
            uow.session.expunge(row)
    return _save(request, form, db, viewer, VENDORS[vendor], row, store_id)


@router.post("/integrations/new/{vendor}", response_class=HTMLResponse)
def connect_organization_vendor(
    request: Request, form: PostedForm, vendor: str, db: Db, viewer: MerchantForm
) -> HTMLResponse:
    if vendor not in ORGANIZATION_VENDORS:
        raise HTTPException(404, "unknown organization-wide vendor")
    return _save(request, form, db, viewer, VENDORS[vendor], None, None)


def _owned(db: Database, viewer: Viewer, integration_id: int) -> Integration:
    with db.uow() as uow:
        row = uow.accounts.integration(integration_id, viewer.organization_id)
        if row is None:
            raise HTTPException(404, "integration not found")
        uow.session.expunge(row)
        return row


@router.post("/integrations/{integration_id}", response_class=HTMLResponse)
def update_integration(
    request: Request, form: PostedForm, integration_id: int, db: Db, viewer: MerchantForm
) -> HTMLResponse:
    row = _owned(db, viewer, integration_id)
    return _save(request, form, db, viewer, VENDORS[row.vendor], row, row.store_id)


def _saved_config(db: Database, row: Integration) -> IntegrationConfig:
    with db.uow() as uow:
        found = uow.accounts.integration(row.id)
        assert found is not None
        return uow.accounts.config(found)


@router.get("/integrations/{integration_id}/choices", response_class=HTMLResponse)
def choices(
    request: Request, integration_id: int, db: Db, viewer: Merchant, chosen: Annotated[list[str] | None, Query()] = None
) -> Response:
    """The location picker, filled from the vendor now (loaded after the page, so a slow vendor slows no page);
    ``chosen`` draws a refused save's choice as it was made."""
    row = _owned(db, viewer, integration_id)
    card = _card(request, db, viewer, VENDORS[row.vendor], row, chosen=[c for c in chosen if c] if chosen else None)
    problem = None
    if not card.connected:
        return render(request, "console/integration_choice.html", card=card, choice_error=None)
    try:
        config = _saved_config(db, row)
        card.locations = integrations.check(config.vendor, config.credentials, config.settings)
    except VendorError as error:
        problem = _problem(error)
    return render(request, "console/integration_choice.html", card=card, choice_error=problem)


@router.post("/integrations/{integration_id}/check", response_class=HTMLResponse)
def check_connection(request: Request, integration_id: int, db: Db, viewer: MerchantForm) -> HTMLResponse:
    row = _owned(db, viewer, integration_id)
    spec = VENDORS[row.vendor]
    config = _saved_config(db, row)
    if not config.credentials:
        message = f"Not checked: {spec.title} is disconnected (its credentials were erased). Connect it again."
        return render(request, "console/check_result.html", ok=False, message=message)
    if loyalty.frozen(config.vendor, config.settings):  # it promises no call at all, so it is not asked
        message = f"Not checked: this {spec.title} source is frozen (use last backup)."
        return render(request, "console/check_result.html", ok=True, message=message)
    try:
        locations = integrations.check(config.vendor, config.credentials, config.settings)
    except VendorError as error:
        return render(request, "console/check_result.html", ok=False, message=_problem(error))
    seen = f"{len(locations)} location{'s' if len(locations) != 1 else ''} visible" if spec.choice else "ready"
    return render(request, "console/check_result.html", ok=True, message=f"{spec.title} answered: {seen}.")


@router.post("/integrations/{integration_id}/account-check", response_class=HTMLResponse)
def check_account(request: Request, integration_id: int, db: Db, viewer: MerchantForm) -> HTMLResponse:
    """The read-only account check (``cannasync doctor``) with the saved credentials, which never leave the
    server: the page gets the report, which carries none of them, and the connection keeps it."""
    row = _owned(db, viewer, integration_id)
    try:
        report = doctor.check_integration(db, viewer.organization_id, row.id)
    except doctor.NotCheckable as error:
        return render(request, "console/account_check.html", report=None, account_error=f"Not checked: {error}.")
    except integrations.InvalidSettings as error:  # saved before a rule was added: the card names what to fix
        return render(request, "console/account_check.html", report=None, account_error=f"Not checked: {error}")
    if report is None:
        raise HTTPException(404, "integration not found")
    with db.uow() as uow:  # its time in the zone of the connection's store (an organization's: the first store's)
        store = uow.accounts.store(row.store_id) if row.store_id else None
        stores = uow.accounts.stores(viewer.organization_id) if store is None else [store]
        zone = stores[0].timezone if stores else "UTC"
    return render(request, "console/account_check.html", report=report, account_error=None, tz=zone)


@router.post("/integrations/{integration_id}/disconnect", response_class=HTMLResponse)
def disconnect(request: Request, integration_id: int, db: Db, viewer: MerchantForm) -> HTMLResponse:
    """Erase the credentials and stop every sync; products, orders, runs and personas stay (its history)."""
    row = _owned(db, viewer, integration_id)
    integrations.disconnect(db, viewer.organization_id, row.id)
    row = _owned(db, viewer, integration_id)
    spec = VENDORS[row.vendor]
    card = _card(request, db, viewer, spec, row)
    card.notice = (
        f"Disconnected from {spec.title}: its credentials are erased and nothing syncs. What it synced is kept; "
        "connect again with the credentials to carry on."
    )
    return render(request, "console/integration_card.html", card=card)
