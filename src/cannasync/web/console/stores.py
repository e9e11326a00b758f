"""Store > Settings, and Add store: the store's name, address, phone, hours, time zone, what it offers (pickup,
delivery, the delivery fee and minimum), its order numbers, its purchase limits, and the messages its shoppers get
about their orders (by text, by e-mail).

The form is read into the same changes the API takes (``flows.stores.apply``), so both refuse alike; a refused
form comes back with everything typed and the message by its field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from cannasync.api import views
from cannasync.api.deps import Db
from cannasync.domain import limits
from cannasync.domain.stores import DAY_NAMES, DAYS, open_state
from cannasync.flows import shopper_messages
from cannasync.flows.stores import InvalidStore, apply
from cannasync.store.tables import Store
from cannasync.store.uow import Database
from cannasync.web.console.frame import frame
from cannasync.web.pages import PostedForm, render
from cannasync.web.pages import phone as shown_phone
from cannasync.web.session import Merchant, MerchantForm, Viewer

router = APIRouter(prefix="/console", include_in_schema=False)

#: The zones a US dispensary picks from; a store's own zone is added when it is another.
ZONES: tuple[tuple[str, str], ...] = (
    ("America/New_York", "Eastern (New York)"),
    ("America/Detroit", "Eastern (Detroit)"),
    ("America/Indiana/Indianapolis", "Eastern (Indianapolis)"),
    ("America/Chicago", "Central (Chicago)"),
    ("America/Denver", "Mountain (Denver)"),
    ("America/Boise", "Mountain (Boise)"),
    ("America/Phoenix", "Mountain, no DST (Phoenix)"),
    ("America/Los_Angeles", "Pacific (Los Angeles)"),
    ("America/Anchorage", "Alaska (Anchorage)"),
    ("Pacific/Honolulu", "Hawaii (Honolulu)"),
    ("America/Puerto_Rico", "Atlantic (Puerto Rico)"),
)

#: Each field as the form labels it, so a refusal names what the operator sees.
LABELS: dict[str, str] = {
    "name": "Store name",
    "timezone": "Time zone",
    "phone": "Phone",
    "address": "Address",
    "hours": "Opening hours",
    "delivery_fee_cents": "Delivery fee",
    "delivery_minimum_cents": "Delivery minimum",
    "limit_overrides": "Purchase limits",
}


@dataclass
class SettingsForm:
    """What the form shows: the saved values, or what was typed into a refused form."""

    values: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)


def _money(cents: int) -> str:
    return f"{cents / 100:.2f}" if cents else ""


def _values(store: Store | None) -> dict[str, Any]:
    if store is None:
        return {
            "name": "",
            "timezone": "",
            "current_zone": "",
            "address": {},
            "phone": "",
            "hours": {},
            "pickup_enabled": True,
            "delivery_enabled": True,
            "delivery_fee": "",
            "delivery_minimum": "",
            "randomized_order_numbers": False,
            "overrides": {},
            "order_sms_enabled": False,
            "order_email_enabled": False,
        }
    return {
        "name": store.name,
        # "" follows the POS location's zone; a zone a person chose is kept.
        "timezone": store.timezone if store.timezone_chosen else "",
        "current_zone": store.timezone,
        "address": dict(store.address or {}),
        "phone": shown_phone(store.phone),
        "hours": dict(store.hours or {}),
        "pickup_enabled": store.pickup_enabled,
        "delivery_enabled": store.delivery_enabled,
        "delivery_fee": _money(store.delivery_fee_cents),
        "delivery_minimum": _money(store.delivery_minimum_cents),
        "randomized_order_numbers": store.randomized_order_numbers,
        "order_sms_enabled": store.order_sms_enabled,
        "order_email_enabled": store.order_email_enabled,
        "overrides": {
            customer: {key: str(amount) for key, amount in amounts.items()}
            for customer, amounts in (store.limit_overrides or {}).items()
        },
    }


def _cents(raw: str, name: str) -> int:
    text = raw.strip().lstrip("$").replace(",", "")
    if not text:
        return 0
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise InvalidStore(name, "enter an amount in dollars, like 5.00") from None
    if not amount.is_finite() or amount < 0 or amount > 100_000:
        raise InvalidStore(name, "enter an amount in dollars from 0 to 100,000")
    return int((amount * 100).to_integral_value())


def _typed(form: FormData) -> dict[str, Any]:
    """The form as typed (for showing it again), in the shape of :func:`_values`."""

    def text(name: str) -> str:
        return str(form.get(name) or "").strip()

    hours = {day: {"open": text(f"{day}_open"), "close": text(f"{day}_close")} for day in DAYS if form.get(f"{day}_on")}
    overrides: dict[str, dict[str, str]] = {}
    for key in form:
        for customer in limits.Customer:
            prefix = f"limit_{customer.value}_"
            if key.startswith(prefix) and text(key):
                overrides.setdefault(customer.value, {})[key.removeprefix(prefix)] = text(key)
    return {
        "name": text("name"),
        "timezone": text("timezone"),
        "current_zone": text("current_zone"),
        "address": {key: text(f"address_{key}") for key in ("line1", "line2", "city", "state", "postcode")},
        "phone": text("phone"),
        "hours": hours,
        "pickup_enabled": bool(form.get("pickup_enabled")),
        "delivery_enabled": bool(form.get("delivery_enabled")),
        "delivery_fee": text("delivery_fee"),
        "delivery_minimum": text("delivery_minimum"),
        "randomized_order_numbers": bool(form.get("randomized_order_numbers")),
        "order_sms_enabled": bool(form.get("order_sms_enabled")),
        "order_email_enabled": bool(form.get("order_email_enabled")),
        "overrides": overrides,
    }


def _changes(typed: dict[str, Any]) -> dict[str, Any]:
    """The typed form as the changes ``flows.stores.apply`` takes; amounts are checked here, the rest there."""
    for day, span in typed["hours"].items():
        if not span["open"] or not span["close"]:
            raise InvalidStore("hours", f"give {DAY_NAMES[day]} an opening and a closing time, or untick it")
    overrides: dict[str, dict[str, Decimal]] = {}
    for customer, amounts in typed["overrides"].items():
        for key, raw in amounts.items():
            try:
                overrides.setdefault(customer, {})[key] = Decimal(raw)
            except InvalidOperation:
                raise InvalidStore("limit_overrides", f"{raw!r} is not a number") from None
    chosen = {"timezone": typed["timezone"]} if typed["timezone"] else {}
    return {
        "name": typed["name"],
        **chosen,
        "address": typed["address"],
        "phone": typed["phone"] or None,
        "hours": typed["hours"],
        "pickup_enabled": typed["pickup_enabled"],
        "delivery_enabled": typed["delivery_enabled"],
        "delivery_fee_cents": _cents(typed["delivery_fee"], "delivery_fee_cents"),
        "delivery_minimum_cents": _cents(typed["delivery_minimum"], "delivery_minimum_cents"),
        "randomized_order_numbers": typed["randomized_order_numbers"],
        "limit_overrides": overrides,
        "order_sms_enabled": typed["order_sms_enabled"],
        "order_email_enabled": typed["order_email_enabled"],
    }


def _page(
    request: Request,
    db: Database,
    viewer: Viewer,
    store_id: int | None,
    form: SettingsForm,
    *,
    status_code: int = 200,
    notice: str | None = None,
) -> HTMLResponse:
    context = frame(db, viewer, store_id, section="settings" if store_id else "new-store")
    state = (form.values["address"] or {}).get("state") or ""
    zones = list(ZONES)
    if form.values["timezone"] and form.values["timezone"] not in {zone for zone, _ in zones}:
        zones.append((form.values["timezone"], form.values["timezone"]))
    purchase = None
    opening = None
    with db.uow() as uow:  # whether the store's order messages could go out, to say so beside their switches
        channels = {
            "sms": shopper_messages.sms_gateway(uow, viewer.organization_id) is not None,
            "email": shopper_messages.mail_server_set(uow, viewer.organization_id),
        }
    if store_id is not None:
        with db.uow() as uow:
            store = uow.accounts.store(store_id, viewer.organization_id)
            assert store is not None  # frame() answered 404 otherwise
            purchase = views.purchase_limits(store)
            opening = open_state(store.hours, datetime.now(UTC), store.timezone)
    return render(
        request,
        "console/store_settings.html",
        status_code=status_code,
        **context,
        store_id=store_id,
        form=form,
        zones=zones,
        days=[(day, DAY_NAMES[day]) for day in DAYS],
        purchase=purchase,
        state_known=state.upper() in limits.states(),
        states=limits.states(),
        opening=opening,
        channels=channels,
        notice=notice,
        notice_kind="error" if form.errors else "ok",
        labels=LABELS,
    )


def _refused(error: InvalidStore) -> SettingsForm:
    label = LABELS.get(error.field, error.field.replace("_", " ").capitalize())
    return SettingsForm({}, {error.field: f"{label}: {error.message}"})


@router.get("/stores/new", response_class=HTMLResponse)
def new_store_page(request: Request, db: Db, viewer: Merchant) -> HTMLResponse:
    return _page(request, db, viewer, None, SettingsForm(_values(None)))


@router.get("/stores/{store_id}/settings", response_class=HTMLResponse)
def settings_page(request: Request, store_id: int, db: Db, viewer: Merchant, saved: int = 0) -> HTMLResponse:
    frame(db, viewer, store_id, section="settings")  # a store of another organization is a 404
    with db.uow() as uow:
        values = _values(uow.accounts.store(store_id, viewer.organization_id))
    notice = "Saved. Times in the console and the online store now follow these settings." if saved else None
    return _page(request, db, viewer, store_id, SettingsForm(values), notice=notice)


def _save(request: Request, form: FormData, db: Database, viewer: Viewer, store_id: int | None) -> Response:
    typed = _typed(form)
    try:
        changes = _changes(typed)
        with db.uow() as uow:
            if store_id is None:
                store = uow.accounts.add_store(viewer.organization_id, typed["name"] or "New store")
            else:
                found = uow.accounts.store(store_id, viewer.organization_id)
                if found is None:
                    raise InvalidStore("name", "this store is not one of yours")
                store = found
            apply(store, changes)
            uow.session.flush()
            saved_id = store.id
    except InvalidStore as error:
        refused = _refused(error)
        shown = SettingsForm(typed, refused.errors)
        message = next(iter(refused.errors.values()))
        return _page(request, db, viewer, store_id, shown, status_code=422, notice=message)
    target = f"/console/stores/{saved_id}/settings?saved=1" if store_id else f"/console/stores/{saved_id}/integrations"
    return RedirectResponse(target, status_code=303)


@router.post("/stores/{store_id}/settings", response_model=None)
def save_settings(request: Request, form: PostedForm, store_id: int, db: Db, viewer: MerchantForm) -> Response:
    frame(db, viewer, store_id, section="settings")
    return _save(request, form, db, viewer, store_id)


@router.post("/stores/new", response_model=None)
def add_store(request: Request, form: PostedForm, db: Db, viewer: MerchantForm) -> Response:
    """Add a store with its settings, then connect its POS (the POS location's time zone fills in until one is
    chosen here)."""
    return _save(request, form, db, viewer, None)
