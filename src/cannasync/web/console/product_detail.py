"""Store > Products > one product: a slide-out that answers "why does the store show 3 when the POS says 5?".

It shows what the store shows (available = the POS's count less what open orders hold, each hold with its order),
what the POS said at the last sync, and every change the hub made to the count, prices, listing or name with the
run (which sync, webhook-triggered run or reconciliation) or the person that made it. Its address is the Products
page with ``?product=<id>``, so a reload (or a link sent to a colleague) opens it again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse

from cannasync.api.deps import Db
from cannasync.domain.catalog import available_quantity
from cannasync.store import history
from cannasync.store.catalog.products import PRODUCT
from cannasync.web.console.historyviews import Change, changes
from cannasync.web.console.runviews import vendor_title
from cannasync.web.pages import render
from cannasync.web.session import Merchant

router = APIRouter(prefix="/console", include_in_schema=False)


@dataclass(frozen=True, slots=True)
class Held:
    quantity: int
    order_id: int
    number: str
    since: datetime


@dataclass(frozen=True, slots=True)
class ProductDetail:
    id: int
    store_id: int
    name: str
    brand: str | None
    sku: str | None
    category: str
    pos: str
    pos_id: str | None
    pos_quantity: int
    held_quantity: int
    available: int
    rec_price_cents: int | None
    med_price_cents: int | None
    visible: bool
    updated_at: datetime
    holds: list[Held]
    changes: list[Change]


@router.get("/products/{product_id}", response_class=HTMLResponse)
def product_detail(request: Request, product_id: int, db: Db, viewer: Merchant) -> HTMLResponse:
    with db.uow() as uow:
        row = uow.catalog.product(product_id)
        store = uow.accounts.store(row.store_id, viewer.organization_id) if row is not None else None
        if row is None or store is None:
            raise HTTPException(404, "product not found")  # another organization's product is as absent
        integration = uow.accounts.integration(row.integration_id)
        detail = ProductDetail(
            id=row.id,
            store_id=row.store_id,
            name=row.name,
            brand=row.brand,
            sku=row.sku,
            category=row.category,
            pos=vendor_title(integration) if integration else "the POS",
            pos_id=uow.bindings.external(row.integration_id, PRODUCT, row.id),
            pos_quantity=row.pos_quantity,
            held_quantity=row.held_quantity,
            available=available_quantity(row.pos_quantity, row.held_quantity),
            rec_price_cents=row.rec_price_cents,
            med_price_cents=row.med_price_cents,
            visible=row.visible,
            updated_at=row.updated_at,
            holds=[
                Held(h.quantity, order_id, number, h.created_at)
                for h, order_id, number in uow.holds.open_of_product(row.id)
            ],
            changes=changes(uow, history.PRODUCT, row.id),
        )
        tz: Any = store.timezone
    return render(request, "console/product_detail.html", product=detail, tz=tz)
