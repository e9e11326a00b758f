"""Organization > Wholesale (seed 004): each marketplace account and the POS connection it sells from, the
source-of-truth rules, sales rep → facility and brand → account routing, and every order on both sides.

All settings live on the marketplace link (its connector's settings model) and are saved through
``flows.integrations.save``, the same path as the Integrations card and the REST API: the vendor model validates
them and the marketplace is asked whether the credentials still work. The page names both sides by the vendor
registry's display names, and its form fields are the link's own settings, named by ``VendorSpec.option_settings``.
"""

from __future__ import annotations

from collections.abc import Mapping
from math import ceil
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse
from starlette.datastructures import FormData

from cannasync.api.deps import Db
from cannasync.connectors.http import AuthenticationFailed, Unavailable, VendorError
from cannasync.connectors.registry import MARKETS, SUPPLIERS, spoken, vendor, wholesale_options
from cannasync.flows import integrations
from cannasync.store.tables import Integration
from cannasync.store.uow import Database, UnitOfWork
from cannasync.web.console.frame import frame
from cannasync.web.pages import PostedForm, render
from cannasync.web.session import Merchant, MerchantForm, Viewer

router = APIRouter(prefix="/console/wholesale", include_in_schema=False)

PAGE_SIZE = 25
TABS = (
    ("links", "Accounts & rules", "/console/wholesale"),
    ("routing", "Routing", "/console/wholesale/routing"),
    ("orders", "Orders", "/console/wholesale/orders"),
)
#: The marketplace statuses a link may create the POS order at (seed 004: "Submitted / Accepted / BackOrder").
CREATE_ON = (("submitted", "Submitted"), ("accepted", "Accepted"), ("backorder", "Backorder"))
#: An order status → badge colour, for both sides' spellings.
STATUS_KINDS = {
    "submitted": "info",
    "accepted": "info",
    "backorder": "warn",
    "fulfilled": "ok",
    "shipped": "ok",
    "complete": "ok",
    "rejected": "bad",
    "cancelled": "bad",
    "combined": "bad",
    "allocated": "ok",
    "partially allocated": "warn",
}


def _status(request: Request, refused: bool) -> int:
    """422 for a refused plain form; 200 to htmx, which swaps only 2xx answers (the notice says what was wrong)."""
    return 422 if refused and request.headers.get("hx-request") != "true" else 200


def _sides() -> dict[str, str]:
    """The bridge's two sides as the page names them: display names from the registry, and the vendors' keys
    (``data-testid`` hooks)."""
    return {
        "market": spoken(MARKETS),
        "pos": spoken(SUPPLIERS),
        "market_key": "-".join(MARKETS),
        "pos_key": "-".join(SUPPLIERS),
    }


def _links(uow: UnitOfWork, organization_id: int) -> list[Integration]:
    return uow.accounts.organization_integrations(organization_id, MARKETS)


def _suppliers(uow: UnitOfWork, organization_id: int) -> list[dict[str, Any]]:
    """The store connections a marketplace account can sell from (the registry's suppliers), named as the merchant
    knows them."""
    stores = {store.id: store.name for store in uow.accounts.stores(organization_id)}
    shown = []
    for name in SUPPLIERS:
        spec = vendor(name)
        for row in uow.accounts.organization_integrations(organization_id, name):
            if row.store_id is None:
                continue
            facility = row.settings.get(spec.choice or "")  # where the POS sells from: its facility
            store = stores.get(row.store_id, "Store")
            shown.append(
                {
                    "id": row.id,
                    "facility_id": facility,
                    "label": f"{store} · {spec.title} facility {facility or '(not chosen)'}",
                }
            )
    return shown


def _link_view(row: Integration, suppliers: list[dict[str, Any]], counts: tuple[int, int, int]) -> dict[str, Any]:
    options = wholesale_options(row.vendor, row.settings)  # the connector's typed reading, defaults included
    linked = next((s for s in suppliers if s["id"] == options.supplier_integration_id), None)
    if not row.enabled:
        state = ("Paused", "warn")
    elif linked is None:
        state = (f"Not linked to {spoken(SUPPLIERS)}", "warn")
    else:
        state = ("Linked", "ok")
    return {
        "id": row.id,
        "name": _name(row),
        "state": state,
        "linked": linked,
        "fields": vendor(row.vendor).option_settings,  # the form's field names: the link's own settings
        "supplier_integration_id": options.supplier_integration_id,
        "stock_from_supplier": options.stock_from_supplier,
        "descriptions_from_supplier": options.descriptions_from_supplier,
        "create_on": sorted(status.value for status in options.create_on),
        "brands": list(options.brands),
        "reps": sorted(options.sales_rep_facilities.items()),
        "products": counts[0],
        "orders": counts[1],
        "conflicts": counts[2],
    }


def _context(db: Database, viewer: Viewer, tab: str) -> dict[str, Any]:
    context = frame(db, viewer, section="wholesale")
    with db.uow() as uow:
        rows = _links(uow, viewer.organization_id)
        suppliers = _suppliers(uow, viewer.organization_id)
        counts = uow.wholesale.link_counts([row.id for row in rows])
        links = [_link_view(row, suppliers, counts[row.id]) for row in rows]
    return {**context, "tabs": TABS, "tab": tab, "links": links, "suppliers": suppliers, "sides": _sides()}


def _name(row: Integration) -> str:
    """A marketplace account as the merchant knows it: the name given to it, else its vendor's."""
    return row.name or vendor(row.vendor).title


def _owned_link(db: Database, viewer: Viewer, link_id: int) -> Integration:
    with db.uow() as uow:
        row = uow.accounts.integration(link_id, viewer.organization_id)
        if row is None or row.vendor not in MARKETS:
            raise HTTPException(404, f"{spoken(MARKETS)} account not found")
        uow.session.expunge(row)
        return row


def vendor_problem(error: Exception, market: str) -> str:
    if isinstance(error, AuthenticationFailed):
        return f"{market} refused the saved credentials ({error.message}): update them on the Integrations page."
    if isinstance(error, Unavailable):
        return f"{market} cannot be reached right now ({error.message}). Nothing was saved; try again."
    if isinstance(error, VendorError):
        return f"{market} answered: {error.message}"
    return str(error)


def _save(db: Database, viewer: Viewer, row: Integration, settings: dict[str, Any]) -> str | None:
    """Save part of a link's settings (the rest is kept); the problem as a merchant reads it, or None."""
    try:
        integrations.save(
            db,
            row.vendor,
            organization_id=viewer.organization_id,
            integration_id=row.id,
            credentials=None,  # write-only: the stored ones are kept
            settings=settings,
            enabled=row.enabled,
        )
    except (integrations.InvalidSettings, VendorError) as error:
        return vendor_problem(error, vendor(row.vendor).title)
    return None


# --- Accounts & rules ---------------------------------------------------------------------------------------------


@router.get("", response_class=HTMLResponse)
def links_page(request: Request, db: Db, viewer: Merchant) -> HTMLResponse:
    return render(request, "console/wholesale_links.html", **_context(db, viewer, "links"), create_on=CREATE_ON)


def _link_settings(form: FormData, fields: Mapping[str, str]) -> dict[str, Any]:
    """The posted form as the link's settings; ``fields`` names the setting (and form field) of each option."""
    chosen = str(form.get(fields["supplier_integration_id"], "")).strip()
    return {
        fields["supplier_integration_id"]: int(chosen) if chosen.isdigit() else None,
        fields["stock_from_supplier"]: form.get(fields["stock_from_supplier"]) == "on",
        fields["descriptions_from_supplier"]: form.get(fields["descriptions_from_supplier"]) == "on",
        "create_on": [str(status) for status in form.getlist("create_on")],
    }


@router.post("/links/{link_id}", response_class=HTMLResponse)
def save_link(request: Request, form: PostedForm, link_id: int, db: Db, viewer: MerchantForm) -> HTMLResponse:
    """The link to the POS (an empty choice unlinks: the account's sync then waits) and the rules."""
    row = _owned_link(db, viewer, link_id)
    fields = vendor(row.vendor).option_settings
    settings = _link_settings(form, fields)
    market, pos = vendor(row.vendor).title, spoken(SUPPLIERS)
    supplier = settings[fields["supplier_integration_id"]]
    if supplier is not None:
        with db.uow() as uow:
            if supplier not in {s["id"] for s in _suppliers(uow, viewer.organization_id)}:
                raise HTTPException(422, f"that {pos} connection is not one of yours")
    if not settings["create_on"]:
        problem: str | None = f"Choose at least one {market} status that creates the {pos} order."
    else:
        problem = _save(db, viewer, row, settings)
    context = _context(db, viewer, "links")
    if problem is None:
        context["saved_link"] = link_id
    else:
        context["failed_link"], context["problem"] = link_id, problem
    return render(
        request,
        "console/wholesale_links.html",
        status_code=_status(request, problem is not None),
        **context,
        create_on=CREATE_ON,
    )


# --- Routing: brands → accounts, sales reps → facilities -------------------------------------------------------


@router.get("/routing", response_class=HTMLResponse)
def routing_page(request: Request, db: Db, viewer: Merchant) -> HTMLResponse:
    return render(request, "console/wholesale_routing.html", **_context(db, viewer, "routing"))


def _pairs(form: FormData, left: str, right: str) -> list[tuple[str, str]]:
    """Rows of an editable table (parallel lists); a row whose first cell is blank is a removed or unused row."""
    lefts, rights = form.getlist(left), form.getlist(right)
    return [(str(a).strip(), str(b).strip()) for a, b in zip(lefts, rights, strict=False) if str(a).strip()]


def _routing_page(request: Request, db: Database, viewer: Viewer, problem: str | None, notice: str) -> HTMLResponse:
    context = _context(db, viewer, "routing")
    return render(
        request,
        "console/wholesale_routing.html",
        status_code=_status(request, problem is not None),
        **context,
        problem=problem,
        routing_notice=None if problem else notice,
    )


@router.post("/brands", response_class=HTMLResponse)
def save_brands(request: Request, form: PostedForm, db: Db, viewer: MerchantForm) -> HTMLResponse:
    """Brand → account: an item's brand picks the marketplace account that lists it; stored as each link's brands."""
    rows = _pairs(form, "brand", "account")
    with db.uow() as uow:
        links = _links(uow, viewer.organization_id)
        for link in links:
            uow.session.expunge(link)
    wanted: dict[int, list[str]] = {link.id: [] for link in links}
    for brand, account in rows:
        if not account.isdigit() or int(account) not in wanted:
            unknown = f"Choose a {spoken(MARKETS)} account for the brand {brand!r}."
            return _routing_page(request, db, viewer, unknown, "")
        if brand.lower() not in {b.lower() for b in wanted[int(account)]}:
            wanted[int(account)].append(brand)
    for link in links:
        if wanted[link.id] != list(wholesale_options(link.vendor, link.settings).brands):
            problem = _save(db, viewer, link, {"brands": wanted[link.id]})
            if problem:
                return _routing_page(request, db, viewer, f"{_name(link)}: {problem}", "")
    return _routing_page(request, db, viewer, None, "Brand routing saved: the next sync lists items by these brands.")


@router.post("/links/{link_id}/reps", response_class=HTMLResponse)
def save_reps(request: Request, form: PostedForm, link_id: int, db: Db, viewer: MerchantForm) -> HTMLResponse:
    """Sales rep → facility: a marketplace order carrying one of these reps goes to that POS facility."""
    row = _owned_link(db, viewer, link_id)
    rows = _pairs(form, "rep", "facility")
    missing = [rep for rep, facility in rows if not facility]
    if missing:
        unrouted = f"Give sales rep {missing[0]} a {spoken(SUPPLIERS)} facility."
        return _routing_page(request, db, viewer, unrouted, "")
    problem = _save(db, viewer, row, {"sales_rep_facilities": dict(rows)})
    notice = f"{_name(row)}: sales rep routing saved; new orders follow it."
    return _routing_page(request, db, viewer, problem, notice)


# --- Orders on both sides -------------------------------------------------------------------------------------------


def _pair_view(pair: Any, names: dict[int, str]) -> dict[str, Any]:
    return {
        "link": names.get(pair.integration_id, spoken(MARKETS)),
        "number": pair.market_number,
        "market_status": pair.market_status,
        "market_kind": STATUS_KINDS.get(pair.market_status.lower(), ""),
        "pos_order_id": pair.pos_order_id,
        "pos_status": pair.pos_status,
        "pos_kind": STATUS_KINDS.get((pair.pos_status or "").lower(), ""),
        "facility_id": pair.facility_id,
        "payment_term": pair.payment_term,
        "conflict": pair.conflict,
        "updated_at": pair.updated_at,
    }


@router.get("/orders", response_class=HTMLResponse)
def orders_page(
    request: Request,
    db: Db,
    viewer: Merchant,
    link: str = "",  # "" is "All accounts" in the filter
    conflicts: bool = False,
    page: int = Query(1, ge=1, le=100_000),
) -> HTMLResponse:
    context = _context(db, viewer, "orders")
    names = {row["id"]: row["name"] for row in context["links"]}
    one = int(link) if link.isdigit() and int(link) in names else None
    chosen = [one] if one is not None else list(names)
    with db.uow() as uow:
        pairs, total = uow.wholesale.order_pairs(
            chosen, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE, conflicts_only=conflicts
        )
        rows = [_pair_view(pair, names) for pair in pairs]
    paging = {
        "page": page,
        "pages": max(1, ceil(total / PAGE_SIZE)),
        "total": total,
        "first": 0 if total == 0 else (page - 1) * PAGE_SIZE + 1,
        "last": min(total, page * PAGE_SIZE),
        "link": one,
        "conflicts": conflicts,
    }
    return render(request, "console/wholesale_orders.html", **context, pairs=rows, paging=paging)
