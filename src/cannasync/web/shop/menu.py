"""The menu (categories, strain type, potency, brand, price and terpene filters, search) and the product page."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from cannasync.api.deps import Db
from cannasync.connectors.registry import UnknownVendor, vendor
from cannasync.domain.limits import Kind, kind_of
from cannasync.domain.variants import tiers_of
from cannasync.store.catalog.storefront import MENU_SORTS, MenuFilter, menu, menu_facets, sizes_of
from cannasync.store.uow import UnitOfWork
from cannasync.web.shop import basket, frame
from cannasync.web.shop.cart import try_add
from cannasync.web.shop.display import view

router = APIRouter(route_class=frame.ShopRoute, include_in_schema=False)

PAGE_SIZE = 24

#: Potency ranges a shopper picks from (Total THC, percent): key → (label, minimum, maximum).
POTENCY: dict[str, tuple[str, float | None, float | None]] = {
    "lt15": ("Under 15%", None, 15),
    "15-20": ("15–20%", 15, 20),
    "20-25": ("20–25%", 20, 25),
    "25-30": ("25–30%", 25, 30),
    "30+": ("30% and up", 30, None),
}
#: Potency ranges for products labelled in mg (edibles, tinctures: THC per package): key → (label, over, up to).
POTENCY_MG: dict[str, tuple[str, float | None, float | None]] = {
    "mg10": ("Up to 10 mg", None, 10),
    "mg100": ("11–100 mg", 10, 100),
    "mg500": ("101–500 mg", 100, 500),
    "mg500+": ("Over 500 mg", 500, None),
}
#: Price ranges (the adult-use price, cents): key → (label, at least, under).
PRICES: dict[str, tuple[str, int | None, int | None]] = {
    "lt20": ("Under $20", None, 2000),
    "20-40": ("$20–$40", 2000, 4000),
    "40-60": ("$40–$60", 4000, 6000),
    "60+": ("$60 and up", 6000, None),
}

SORTS: dict[str, str] = {
    "name": "Name",
    "price_low": "Lowest price",
    "price_high": "Highest price",
    "potency": "Most THC",
}


@dataclass(frozen=True, slots=True)
class MenuQuery:
    """The menu's query string, read once, and the links that change one part of it."""

    store_id: int
    category: str = ""
    strain: str = ""
    thc: str = ""
    terpene: str = ""
    q: str = ""
    sort: str = "name"
    page: int = 1
    brand: str = ""
    price: str = ""

    def link(self, **changes: str | int) -> str:
        """This menu with ``changes`` applied; a filter change goes back to the first page."""
        changed = replace(self, **({"page": 1} | changes))  # type: ignore[arg-type]
        params = {
            "category": changed.category,
            "strain": changed.strain,
            "thc": changed.thc,
            "terpene": changed.terpene,
            "brand": changed.brand,
            "price": changed.price,
            "q": changed.q,
            "sort": "" if changed.sort == "name" else changed.sort,
            "page": "" if changed.page == 1 else str(changed.page),
        }
        query = urlencode({key: value for key, value in params.items() if value})
        return f"/shop/{self.store_id}" + (f"?{query}" if query else "")

    @property
    def filtered(self) -> bool:
        return bool(self.category or self.strain or self.thc or self.terpene or self.q or self.brand or self.price)

    @property
    def potency_scales(self) -> tuple[bool, bool]:
        """Which potency ranges fit the chosen category: (percent, mg); both when no category says."""
        kind = kind_of([self.category]) if self.category else None
        if kind in (Kind.EDIBLE, Kind.TINCTURE):
            return False, True
        if kind in (Kind.FLOWER, Kind.CONCENTRATE):
            return True, False
        return True, True

    def to_filter(self) -> MenuFilter:
        _, low, high = POTENCY.get(self.thc, ("", None, None))
        _, mg_low, mg_high = POTENCY_MG.get(self.thc, ("", None, None))
        _, price_low, price_high = PRICES.get(self.price, ("", None, None))
        return MenuFilter(
            category=self.category or None,
            strain_type=self.strain or None,
            thc_min=low,
            thc_max=high,
            thc_mg_min=mg_low,
            thc_mg_max=mg_high,
            brand=self.brand or None,
            price_min_cents=price_low,
            price_max_cents=price_high,
            terpene=self.terpene or None,
            search=self.q.strip() or None,
            sort=self.sort if self.sort in MENU_SORTS else "name",
        )


@router.get("/shop/{store_id}", response_class=HTMLResponse)
def menu_page(
    request: Request,
    store_id: int,
    db: Db,
    category: str = "",
    strain: str = "",
    thc: str = "",
    terpene: str = "",
    q: Annotated[str, Query(max_length=100)] = "",
    sort: str = "name",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    brand: Annotated[str, Query(max_length=200)] = "",
    price: str = "",
) -> HTMLResponse:
    potency = thc if thc in POTENCY or thc in POTENCY_MG else ""
    query = MenuQuery(
        store_id, category, strain, potency, terpene, q, sort, page, brand, price if price in PRICES else ""
    )
    with db.uow() as uow:
        store = frame.storefront(uow, store_id)
        rows, total = menu(uow.catalog, store_id, query.to_filter(), limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
        facets = menu_facets(uow.catalog, store_id)
        products = [view(row) for row in rows]
        sizes = {lead: [view(row) for row in group] for lead, group in sizes_of(uow.catalog, store_id, rows).items()}
        by_weight = sells_by_weight(uow, store_id)
    more = query.link(page=page + 1) if page * PAGE_SIZE < total else None
    # "Show more" asks for the next page's cards only; they are appended where the button was.
    template = "shop/menu_cards.html" if request.headers.get("hx-request") and page > 1 else "shop/menu.html"
    return frame.page(
        request,
        template,
        store,
        query=query,
        products=products,
        sizes=sizes,
        by_weight=by_weight,
        total=total,
        facets=facets,
        more=more,
        potency=POTENCY,
        potency_mg=POTENCY_MG,
        prices=PRICES,
        sorts=SORTS,
    )


@router.get("/shop/{store_id}/products/{product_id}", response_class=HTMLResponse)
def product_page(
    request: Request,
    store_id: int,
    product_id: int,
    db: Db,
    added: int = 0,
    refused: int = 0,
    tier: Annotated[int, Query(ge=0, le=99)] = 0,
) -> HTMLResponse:
    cart = basket.read(request, store_id)
    with db.uow() as uow:
        store = frame.storefront(uow, store_id)
        row = uow.catalog.product(product_id)
        if row is None or row.store_id != store_id or not row.visible:
            raise frame.PageNotFound("product", store)
        product = view(row)
        by_weight = sells_by_weight(uow, store_id) and bool(row.price_tiers)
        chosen = tier if by_weight and 0 <= tier < len(row.price_tiers) else None
        # After an add that fell short, say why (stock or a purchase limit), worked out from the cart as it is.
        note = try_add(uow, store_id, cart, row, 1, chosen)[1] if refused else None
        sizes = [view(size) for size in sizes_of(uow.catalog, store_id, [row]).get(row.id, [])]
        taken = basket.stock_units(cart, product_id, tiers_of(row.price_tiers))
    in_cart = cart.get((product_id, None), 0)
    tiers = [
        {**entry, "index": index, "fits": Decimal(str(entry["quantity"])) <= product.available - taken}
        for index, entry in enumerate(row.price_tiers or [])
    ]
    return frame.page(
        request,
        "shop/product.html",
        store,
        product=product,
        added=added,
        in_cart=in_cart,
        taken=taken,
        note=note,
        sizes=sizes,
        by_weight=by_weight,
        tiers=tiers,
        chosen=chosen if chosen is not None else next((t["index"] for t in tiers if t["fits"]), 0),
    )


def sells_by_weight(uow: UnitOfWork, store_id: int) -> bool:
    """Whether the store's POS takes orders by weight tier (its traits): only then does the shop offer tiers."""
    for integration in uow.accounts.integrations(store_id):
        try:
            if integration.enabled and vendor(integration.vendor).traits.sells_weight_tiers:
                return True
        except UnknownVendor:
            continue
    return False
