"""Stores, their category table, and their menu."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from cannasync.api import views
from cannasync.api.deps import BY_API, Db, Org, not_found
from cannasync.api.edge import MAX_OFFSET
from cannasync.api.schemas import CategoryMappingIn, ProductPatch, StoreIn, StorePatch
from cannasync.flows import shopper_messages, stores
from cannasync.store import history
from cannasync.store.catalog.sync import EDITED_BY_STORE
from cannasync.store.tables import Store
from cannasync.store.uow import UnitOfWork

router = APIRouter(tags=["stores"])


def _view(uow: UnitOfWork, store: Store) -> dict[str, Any]:
    """The store, with whether its order messages could go out now: texts need the organization's SMS gateway,
    e-mails the SMTP server of its notification settings."""
    ready = {
        "sms": shopper_messages.sms_gateway(uow, store.organization_id) is not None,
        "email": shopper_messages.mail_server_set(uow, store.organization_id),
    }
    return views.store(store, ready)


@router.post("/stores", status_code=201)
def create_store(body: StoreIn, db: Db, org: Org) -> dict[str, Any]:
    """Add a store. Without a ``timezone`` it takes its POS location's own once one is connected."""
    with db.uow() as uow:
        store = uow.accounts.add_store(org, body.name)
        changes = body.model_dump(exclude={"name"}, exclude_none=True, mode="json")
        stores.apply(store, changes)
        uow.session.flush()
        return _view(uow, store)


@router.get("/stores")
def list_stores(db: Db, org: Org) -> list[dict[str, Any]]:
    with db.uow() as uow:
        return [_view(uow, store) for store in uow.accounts.stores(org)]


@router.get("/stores/{store_id}")
def get_store(store_id: int, db: Db, org: Org) -> dict[str, Any]:
    """The store's settings, with the purchase limits its orders are held to (its state's, or its own)."""
    with db.uow() as uow:
        store = uow.accounts.store(store_id, org)
        if store is None:
            raise not_found("store")
        return _view(uow, store)


@router.patch("/stores/{store_id}")
def update_store(store_id: int, body: StorePatch, db: Db, org: Org) -> dict[str, Any]:
    """Change the fields sent. Setting ``timezone`` keeps it: the POS location's zone no longer replaces it."""
    changes = body.model_dump(exclude_unset=True, mode="json")
    for field, value in changes.items():
        if value is None and field not in StorePatch.NULLABLE:
            raise stores.InvalidStore(field, "cannot be null")
    with db.uow() as uow:
        store = uow.accounts.store(store_id, org)
        if store is None:
            raise not_found("store")
        stores.apply(store, changes)
        return _view(uow, store)


@router.get("/stores/{store_id}/category-mappings")
def get_category_mappings(store_id: int, db: Db, org: Org) -> dict[str, Any]:
    with db.uow() as uow:
        if uow.accounts.store(store_id, org) is None:
            raise not_found("store")
        return {"mapping": uow.categories.category_map(store_id)}


@router.put("/stores/{store_id}/category-mappings")
def put_category_mappings(store_id: int, body: CategoryMappingIn, db: Db, org: Org) -> dict[str, Any]:
    """Replace the table. It applies from the next menu sync (every product is re-categorised then)."""
    with db.uow() as uow:
        if uow.accounts.store(store_id, org) is None:
            raise not_found("store")
        moved = uow.categories.set_category_map(store_id, body.mapping)  # applies at once, not from the next sync
        return {"mapping": uow.categories.category_map(store_id), "recategorised": moved}


@router.get("/stores/{store_id}/products")
def list_products(
    store_id: int,
    db: Db,
    org: Org,
    category: str | None = None,
    search: str | None = None,
    include_hidden: bool = False,
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> dict[str, Any]:
    with db.uow() as uow:
        if uow.accounts.store(store_id, org) is None:
            raise not_found("store")
        rows, total = uow.catalog.products(
            store_id, include_hidden=include_hidden, category=category, search=search, limit=limit, offset=offset
        )
        return {"total": total, "limit": limit, "offset": offset, "data": [views.product(row) for row in rows]}


@router.get("/products/{product_id}")
def get_product(product_id: int, db: Db, org: Org) -> dict[str, Any]:
    with db.uow() as uow:
        product = uow.catalog.product(product_id)
        if product is None or uow.accounts.store(product.store_id, org) is None:
            raise not_found("product")
        return views.product(product)


@router.get("/products/{product_id}/history")
def product_history(product_id: int, db: Db, org: Org, limit: int = Query(200, ge=1, le=1000)) -> list[dict[str, Any]]:
    """Every change the hub made to the product's count, prices, listing or name, newest first, and why: the run
    that made it (its flow and trigger: a scheduled sync, a webhook, a reconciliation) or who edited it."""
    with db.uow() as uow:
        product = uow.catalog.product(product_id)
        if product is None or uow.accounts.store(product.store_id, org) is None:
            raise not_found("product")
        return [
            views.record_change(change, run)
            for change, run in history.of(uow.session, history.PRODUCT, product_id, limit)
        ]


@router.patch("/products/{product_id}")
def edit_product(product_id: int, body: ProductPatch, db: Db, org: Org) -> dict[str, Any]:
    """Edit a product as the store. Fields whose sync is off for the POS keep this edit; the others follow
    the POS again at the next sync."""
    with db.uow() as uow:
        product = uow.catalog.product(product_id)
        if product is None or uow.accounts.store(product.store_id, org) is None:
            raise not_found("product")
        before = history.snapshot(product)
        for field, value in body.model_dump(exclude_none=True).items():
            setattr(product, field, value)
        changes: list[dict[str, Any]] = []
        history.note(changes, product, before, actor=BY_API)
        history.record(uow.session, changes)
        product.fingerprint = EDITED_BY_STORE  # the next sync rewrites whatever the POS owns
        return views.product(product)
