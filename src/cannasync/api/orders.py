"""Checkout and the order's life: place (with an Idempotency-Key), confirm, cancel, and its detail."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Query
from fastapi.responses import JSONResponse

from cannasync.api import views
from cannasync.api.deps import BY_API, Db, Jobs, Org, not_found
from cannasync.api.edge import MAX_OFFSET
from cannasync.api.schemas import CancelIn, OrderIn, OrderPatch
from cannasync.domain.customers import CustomerDetails, normalise_email, normalise_phone
from cannasync.domain.orders import Fee, Fulfillment, OfferKind
from cannasync.flows import checkout, holds
from cannasync.store import history
from cannasync.store.uow import Database

router = APIRouter(tags=["orders"])


def _request(body: OrderIn) -> checkout.CheckoutRequest:
    customer = body.customer
    return checkout.CheckoutRequest(
        customer=CustomerDetails(
            first_name=customer.first_name.strip(),
            last_name=customer.last_name.strip(),
            date_of_birth=customer.date_of_birth,
            phone=normalise_phone(customer.phone),
            email=normalise_email(customer.email),
            medical_id=(customer.medical_id or "").strip() or None,
            medical_id_expiration=customer.medical_id_expiration,
        ),
        lines=[checkout.CheckoutLine(line.product_id, line.quantity, line.tier) for line in body.lines],
        fulfillment=Fulfillment(body.fulfillment),
        is_medical=body.is_medical,
        offers=[checkout.CheckoutOffer(o.label, OfferKind(o.kind), o.value, o.line) for o in body.offers],
        fees=[Fee(fee.name, fee.amount_cents) for fee in body.fees],
        notes=body.notes,
        delivery_address=body.delivery_address.model_dump() if body.delivery_address else None,
        window_start=body.window_start,
        window_end=body.window_end,
    )


def _detail(db: Database, order_id: int) -> dict[str, Any]:
    with db.uow() as uow:
        order = uow.orders.get(order_id)
        assert order is not None
        return views.order(
            order,
            uow.orders.events(order_id),
            uow.holds.of_order(order_id),
            uow.outbox.for_subject(checkout.PUSH_ORDER, order_id),
            uow.messages.for_order(order_id),
        )


def _owned(db: Database, order_id: int, org: int) -> None:
    with db.uow() as uow:
        order = uow.orders.get(order_id)
        if order is None or uow.accounts.store(order.store_id, org) is None:
            raise not_found("order")


@router.post("/stores/{store_id}/orders", status_code=201)
def place_order(
    store_id: int,
    body: OrderIn,
    db: Db,
    org: Org,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> JSONResponse:
    """Place an order and hold its stock. Repeating the request with the same ``Idempotency-Key`` returns the
    order already placed (200) instead of placing another."""
    with db.uow() as uow:
        if uow.accounts.store(store_id, org) is None:
            raise not_found("store")
    order_id, created = checkout.place_order(db, store_id, _request(body), idempotency_key)
    return JSONResponse(_detail(db, order_id), status_code=201 if created else 200)


@router.get("/stores/{store_id}/orders")
def list_orders(
    store_id: int,
    db: Db,
    org: Org,
    status: str | None = None,
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> list[dict[str, Any]]:
    with db.uow() as uow:
        if uow.accounts.store(store_id, org) is None:
            raise not_found("store")
        return [
            views.order_summary(o) for o in uow.orders.for_store(store_id, status=status, limit=limit, offset=offset)
        ]


@router.get("/orders/{order_id}")
def get_order(order_id: int, db: Db, org: Org) -> dict[str, Any]:
    _owned(db, order_id, org)
    return _detail(db, order_id)


@router.post("/orders/{order_id}/confirm")
def confirm_order(order_id: int, db: Db, org: Org, jobs: Jobs) -> dict[str, Any]:
    """Confirm the order; with Sync Orders on it is pushed to the POS within seconds."""
    _owned(db, order_id, org)
    with history.acting(actor=BY_API):
        checkout.confirm_order(db, order_id)
    jobs.nudge()
    return _detail(db, order_id)


@router.post("/orders/{order_id}/cancel")
def cancel_order(order_id: int, db: Db, org: Org, body: CancelIn | None = None) -> dict[str, Any]:
    _owned(db, order_id, org)
    with history.acting(actor=BY_API):
        checkout.cancel_order(db, order_id, source="merchant", reason=(body or CancelIn()).reason)
    return _detail(db, order_id)


@router.patch("/orders/{order_id}")
def update_order(order_id: int, body: OrderPatch, db: Db, org: Org) -> dict[str, Any]:
    """Change the order's switches. Turning "keep holding" on after a POS already counted the order's stock
    holds it again, or answers 409 (changing nothing) when that stock has been sold since."""
    _owned(db, order_id, org)
    if body.keep_holding is not None:
        try:
            with history.acting(actor=BY_API):
                holds.set_keep_holding(db, order_id, body.keep_holding)
        except holds.CannotHoldAgain as error:
            raise HTTPException(409, str(error)) from error
    return _detail(db, order_id)


@router.get("/orders/{order_id}/history")
def order_history(order_id: int, db: Db, org: Org, limit: int = Query(200, ge=1, le=1000)) -> list[dict[str, Any]]:
    """Every change to the order's status, its place in the POS (order id, POS status, push error), its staff task
    and its "keep holding" switch, newest first, and why: the run that made it (a status poll, a reconciliation),
    the postback (webhook) or outbox push that brought it, or who did it (a console e-mail, the API)."""
    _owned(db, order_id, org)
    with db.uow() as uow:
        return [
            views.record_change(change, run) for change, run in history.of(uow.session, history.ORDER, order_id, limit)
        ]
