"""The menu (categories, strain type, potency and terpene filters, search) and the product page."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from cannasync.api.deps import Db
from cannasync.store.catalog import MENU_SORTS, MenuFilter, menu, menu_facets
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

    def link(self, **changes: str | int) -> str:
        """This menu with ``changes`` applied; a filter change goes back to the first page."""
        changed = replace(self, **({"page": 1} | changes))  # type: ignore[arg-type]
        params = {
            "category": changed.category,
            "strain": changed.strain,
            "thc": changed.thc,
            "terpene": changed.terpene,
            "q": changed.q,
            "sort": "" if changed.sort == "name" else changed.sort,
            "page": "" if changed.page == 1 else str(changed.page),
        }
        query = urlencode({key: value for key, value in params.items() if value})
        return f"/shop/{self.store_id}" + (f"?{query}" if query else "")

    @property
    def filtered(self) -> bool:
        return bool(self.category or self.strain or self.thc or self.terpene or self.q)

    def to_filter(self) -> MenuFilter:
        _, low, high = POTENCY.get(self.thc, ("", None, None))
        return MenuFilter(
            category=self.category or None,
            strain_type=self.strain or None,
            thc_min=low,
            thc_max=high,
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
) -> HTMLResponse:
    query = MenuQuery(store_id, category, strain, thc if thc in POTENCY else "", terpene, q, sort, page)
    with db.uow() as uow:
        store = frame.storefront(uow, store_id)
        rows, total = menu(uow.catalog, store_id, query.to_filter(), limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
        facets = menu_facets(uow.catalog, store_id)
        products = [view(row) for row in rows]
    more = query.link(page=page + 1) if page * PAGE_SIZE < total else None
    # "Show more" asks for the next page's cards only; they are appended where the button was.
    template = "shop/menu_cards.html" if request.headers.get("hx-request") and page > 1 else "shop/menu.html"
    return frame.page(
        request,
        template,
        store,
        query=query,
        products=products,
        total=total,
        facets=facets,
        more=more,
        potency=POTENCY,
        sorts=SORTS,
    )


@router.get("/shop/{store_id}/products/{product_id}", response_class=HTMLResponse)
def product_page(
    request: Request, store_id: int, product_id: int, db: Db, added: int = 0, refused: int = 0
) -> HTMLResponse:
    cart = basket.read(request, store_id)
    with db.uow() as uow:
        store = frame.storefront(uow, store_id)
        row = uow.catalog.product(product_id)
        if row is None or row.store_id != store_id or not row.visible:
            raise frame.PageNotFound("product", store)
        product = view(row)
        # After an add that fell short, say why (stock or a purchase limit), worked out from the cart as it is.
        note = try_add(uow, store_id, cart, row, 1)[1] if refused else None
    in_cart = cart.get(product_id, 0)
    return frame.page(request, "shop/product.html", store, product=product, added=added, in_cart=in_cart, note=note)
