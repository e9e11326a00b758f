"""Store > Products: the synced menu (searchable, filterable, paged), the Sync button with live progress, the
category table, and the records the last syncs could not map (with a replay).

Seed 000: "go to your products screen and click on the sync button to pull inventory". A sync runs in a worker;
the page follows it by polling a small run fragment every second until it ends, then the table and the quarantine
reload themselves (the fragment that sees the end sends an ``HX-Trigger: menu-synced``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse

from cannasync.api.deps import Db
from cannasync.connectors.registry import STORE_VENDORS, VENDORS, spoken
from cannasync.domain.catalog import SHOPPER_CATEGORIES, available_quantity, suggest_category
from cannasync.flows import menu_sync, quarantine
from cannasync.jobs.scheduler import AlreadyRunning, Dispatcher
from cannasync.store.catalog.stock import LOW_STOCK, StockLevel
from cannasync.store.tables import Integration, Product, QuarantinedRecord
from cannasync.store.uow import Database, UnitOfWork
from cannasync.web.console.frame import frame
from cannasync.web.console.runviews import RunView, run_view, vendor_title
from cannasync.web.pages import render
from cannasync.web.session import Merchant, MerchantForm, Viewer

router = APIRouter(prefix="/console", include_in_schema=False)

PAGE_SIZE = 50
Visibility = Literal["", "all", "only"]


@dataclass(frozen=True, slots=True)
class Filters:
    q: str = ""
    category: str = ""
    brand: str = ""
    strain_type: str = ""
    stock: StockLevel | Literal[""] = ""
    hidden: Visibility = ""
    page: int = 1

    def query(self, **changes: Any) -> str:
        """This view's query string with ``changes`` (page links, the reload after a sync); empty values left out."""
        values = {name: getattr(self, name) for name in self.__dataclass_fields__} | changes
        return urlencode({k: v for k, v in values.items() if v not in ("", None) and not (k == "page" and v == 1)})

    @property
    def active(self) -> bool:
        return any((self.q, self.category, self.brand, self.strain_type, self.stock, self.hidden))


@dataclass(frozen=True, slots=True)
class ProductRow:
    id: int
    name: str
    sku: str | None
    brand: str | None
    category: str
    pos_category: str
    strain_type: str | None
    rec_price_cents: int | None
    med_price_cents: int | None
    available: int
    held: int
    visible: bool
    updated_at: Any

    @property
    def stock_state(self) -> tuple[str, str]:
        if self.available <= 0:
            return "Out", "bad"
        if self.available <= LOW_STOCK:
            return "Low", "warn"
        return "", ""


@dataclass(frozen=True, slots=True)
class Source:
    """A POS integration this store's menu comes from, with what the Sync panel shows about it."""

    id: int
    store_id: int
    title: str
    enabled: bool
    ready: bool  # a location is chosen, so its menu_sync schedule exists
    run: RunView | None
    next_run_at: Any


@dataclass(frozen=True, slots=True)
class QuarantineRow:
    id: int
    integration_id: int
    kind: str
    external_id: str
    reason: str
    payload: dict[str, Any]
    first_seen_at: Any
    last_seen_at: Any


def _product_row(row: Product) -> ProductRow:
    return ProductRow(
        id=row.id,
        name=row.name,
        sku=row.sku,
        brand=row.brand,
        category=row.category,
        pos_category=row.pos_category,
        strain_type=row.strain_type,
        rec_price_cents=row.rec_price_cents,
        med_price_cents=row.med_price_cents,
        available=available_quantity(row.pos_quantity, row.held_quantity),
        held=row.held_quantity,
        visible=row.visible,
        updated_at=row.updated_at,
    )


def _quarantine_row(row: QuarantinedRecord) -> QuarantineRow:
    return QuarantineRow(
        id=row.id,
        integration_id=row.integration_id,
        kind=row.kind,
        external_id=row.external_id,
        reason=row.reason,
        payload=dict(row.payload or {}),
        first_seen_at=row.first_seen_at,
        last_seen_at=row.last_seen_at,
    )


def _menu_sources(uow: UnitOfWork, store_id: int) -> list[Integration]:
    """The store's integrations that read a menu (its POS)."""
    return [
        row
        for row in uow.accounts.integrations(store_id)
        if row.vendor in VENDORS and menu_sync.FLOW in VENDORS[row.vendor].scheduled_flows
    ]


def _source(uow: UnitOfWork, row: Integration) -> Source:
    schedule = uow.runs.schedule(row.id, menu_sync.FLOW)
    latest = next(iter(uow.runs.recent(row.id, menu_sync.FLOW, 1)), None)
    return Source(
        id=row.id,
        store_id=row.store_id or 0,
        title=vendor_title(row),
        enabled=row.enabled,
        ready=schedule is not None,
        run=run_view(latest) if latest else None,
        next_run_at=schedule.next_run_at if schedule else None,
    )


def _table(uow: UnitOfWork, store_id: int, filters: Filters) -> dict[str, Any]:
    rows, total = uow.catalog.products(
        store_id,
        search=filters.q.strip() or None,
        category=filters.category or None,
        brand=filters.brand or None,
        strain_type=filters.strain_type or None,
        stock=filters.stock or None,
        include_hidden=filters.hidden == "all",
        only_hidden=filters.hidden == "only",
        limit=PAGE_SIZE,
        offset=(filters.page - 1) * PAGE_SIZE,
    )
    first = (filters.page - 1) * PAGE_SIZE + 1 if rows else 0
    return {
        "products": [_product_row(row) for row in rows],
        "total": total,
        "first": first,
        "last": first + len(rows) - 1 if rows else 0,
        "has_previous": filters.page > 1,
        "has_next": filters.page * PAGE_SIZE < total,
        "filters": filters,
    }


@dataclass(frozen=True, slots=True)
class CategoryRow:
    """A row of the category table: the POS name, what the table maps it to ("" = its own name), and, for a row
    the table does not map yet, the shopper category the console suggests (pre-filled, applied by Save)."""

    pos: str
    mapped: str
    suggested: str = ""

    @property
    def value(self) -> str:
        return self.mapped or self.suggested


def _category_rows(uow: UnitOfWork, store_id: int) -> list[CategoryRow]:
    """Every POS category the menu has or the table names, with the store category it maps to and a suggestion."""
    mapping = uow.categories.category_map(store_id)
    seen = uow.catalog.product_facets(store_id)["pos_categories"]
    bases = uow.categories.category_bases(store_id)
    folded = {name.casefold() for name in mapping}
    names = sorted(mapping) + [name for name in seen if name.casefold() not in folded]
    rows = []
    for name in sorted(names, key=str.casefold):
        mapped = mapping.get(name, "")
        suggestion = "" if mapped else suggest_category(name, bases.get(name, ())) or ""
        rows.append(CategoryRow(name, mapped, "" if suggestion == name else suggestion))  # "Pre-Rolls" too
    return rows


def _category_choices(rows: list[CategoryRow]) -> list[str]:
    """The shopper categories offered while typing: the fixed list, then the store's own additions."""
    own = sorted({row.mapped for row in rows if row.mapped} - set(SHOPPER_CATEGORIES), key=str.casefold)
    return [*SHOPPER_CATEGORIES, *own]


@router.get("/stores/{store_id}/products", response_class=HTMLResponse)
def products_page(
    request: Request,
    store_id: int,
    db: Db,
    viewer: Merchant,
    q: str = "",
    category: str = "",
    brand: str = "",
    strain_type: str = "",
    stock: Annotated[StockLevel | Literal[""], Query()] = "",
    hidden: Annotated[Visibility, Query()] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    product: int | None = None,
) -> HTMLResponse:
    context = frame(db, viewer, store_id, section="products")
    filters = Filters(q, category, brand, strain_type, stock, hidden, page)
    with db.uow() as uow:
        table = _table(uow, store_id, filters)
        if request.headers.get("hx-target") == "product-table":  # a filter changed: the table alone
            return render(request, "console/product_table.html", store_id=store_id, store=context["store"], **table)
        sources = [_source(uow, row) for row in _menu_sources(uow, store_id)]
        quarantined = {s.id: [_quarantine_row(r) for r in uow.runs.quarantined(s.id)] for s in sources}
        facets = uow.catalog.product_facets(store_id)
        categories = _category_rows(uow, store_id)
    return render(
        request,
        "console/products.html",
        **context,
        **table,
        store_id=store_id,
        sources=sources,
        pos_vendors=spoken(STORE_VENDORS),  # what a store without a POS may connect
        quarantined=quarantined,
        facets=facets,
        category_rows=categories,
        category_choices=_category_choices(categories),
        low_stock=LOW_STOCK,
        open_product=product,
    )


# --- sync and its progress ---


def _owned_source(db: Database, viewer: Viewer, integration_id: int) -> Source:
    with db.uow() as uow:
        row = uow.accounts.integration(integration_id, viewer.organization_id)
        if row is None or menu_sync.FLOW not in VENDORS[row.vendor].scheduled_flows:
            raise HTTPException(404, "integration not found")
        return _source(uow, row)


def _sync_panel(request: Request, source: Source, notice: str | None = None, kind: str = "info") -> HTMLResponse:
    response = render(request, "console/sync_panel.html", source=source, notice=notice, notice_kind=kind)
    following = request.query_params.get("follow") == "1" or request.method == "POST"
    if following and source.run is not None and not source.run.unfinished:
        # The answer that sees the run end tells the page, so the table and the quarantine reload once.
        response.headers["HX-Trigger"] = "menu-synced"
    return response


def start_sync(dispatcher: Dispatcher, source: Source) -> tuple[str | None, str]:
    """Queue a menu sync, or follow the one under way; the notice to show (if any) and its kind."""
    if not source.enabled:
        return "This connection is disabled: enable it on the Integrations screen first.", "warn"
    if not source.ready:
        return "Choose a location on the Integrations screen before syncing.", "warn"
    try:
        dispatcher.run_now(source.id, menu_sync.FLOW)
    except AlreadyRunning:
        return "A sync was already under way: following it. Another sync runs as soon as it ends.", "info"
    except RuntimeError:  # the process is shutting down: the schedule runs it later
        return "The hub is restarting; the sync will run on its schedule.", "warn"
    return None, "info"


@router.post("/stores/{store_id}/products/sync", response_class=HTMLResponse)
def sync_now(
    request: Request, store_id: int, db: Db, viewer: MerchantForm, integration_id: Annotated[int, Form()]
) -> HTMLResponse:
    frame(db, viewer, store_id, section="products")  # 404 for another organization's store
    source = _owned_source(db, viewer, integration_id)
    notice, kind = start_sync(request.app.state.dispatcher, source)
    return _sync_panel(request, _owned_source(db, viewer, integration_id), notice, kind)


@router.get("/integrations/{integration_id}/sync-panel", response_class=HTMLResponse)
def sync_panel(request: Request, integration_id: int, db: Db, viewer: Merchant) -> HTMLResponse:
    """The panel again (polled every second while its run is queued or running)."""
    return _sync_panel(request, _owned_source(db, viewer, integration_id))


# --- the category table ---


def _read_mapping(pos_names: list[str], categories: list[str]) -> dict[str, str]:
    """The submitted rows as a table; a blank store category means "show the POS name" (no row)."""
    mapping: dict[str, str] = {}
    for pos, category in zip(pos_names, categories, strict=False):
        pos, category = pos.strip(), category.strip()
        if pos and category and category != pos:
            mapping[pos[:200]] = category[:200]
    return mapping


@router.post("/stores/{store_id}/category-mappings", response_class=HTMLResponse)
def save_category_mapping(
    request: Request,
    store_id: int,
    db: Db,
    viewer: MerchantForm,
    pos_category: Annotated[list[str] | None, Form()] = None,
    category: Annotated[list[str] | None, Form()] = None,
) -> HTMLResponse:
    frame(db, viewer, store_id, section="products")
    mapping = _read_mapping(pos_category or [], category or [])
    with db.uow() as uow:
        moved = uow.categories.set_category_map(store_id, mapping)
    with db.uow() as uow:
        rows = _category_rows(uow, store_id)
    saved = f"Saved {len(mapping)} mapping{'s' if len(mapping) != 1 else ''}"
    response = render(
        request,
        "console/category_map.html",
        store_id=store_id,
        category_rows=rows,
        category_choices=_category_choices(rows),
        notice=f"{saved}; {moved} product{'s' if moved != 1 else ''} moved to {'their' if moved != 1 else 'its'} "
        "new category now, on the menu and in the shop.",
    )
    response.headers["HX-Trigger"] = "categories-saved"  # the product table reloads with the new names
    return response


# --- quarantine ---


@router.get("/integrations/{integration_id}/quarantine", response_class=HTMLResponse)
def quarantine_list(request: Request, integration_id: int, db: Db, viewer: Merchant) -> HTMLResponse:
    source = _owned_source(db, viewer, integration_id)
    with db.uow() as uow:
        rows = [_quarantine_row(r) for r in uow.runs.quarantined(integration_id)]
    return render(request, "console/quarantine.html", source=source, rows=rows)


@router.post("/integrations/{integration_id}/quarantine/{record_id}/replay", response_class=HTMLResponse)
def replay(request: Request, integration_id: int, record_id: int, db: Db, viewer: MerchantForm) -> HTMLResponse:
    """Read the record again now (a menu sync): it leaves the list when that sync maps it cleanly."""
    source = _owned_source(db, viewer, integration_id)
    try:
        quarantine.replay_quarantined(db, integration_id, record_id)
    except quarantine.NotReplayable as gone:
        return render(request, "console/quarantine_row.html", row=None, record_id=record_id, message=str(gone))
    notice, kind = start_sync(request.app.state.dispatcher, source)
    source = _owned_source(db, viewer, integration_id)
    with db.uow() as uow:
        row = next((_quarantine_row(r) for r in uow.runs.quarantined(integration_id) if r.id == record_id), None)
    message = notice if kind == "warn" else "Re-reading it now: it leaves this list when the sync maps it cleanly."
    return render(
        request,
        "console/quarantine_row.html",
        row=row,
        record_id=record_id,
        message=message,
        source=source,
        oob_panel=True,
    )
