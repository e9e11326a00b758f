"""Store > Orders: the store's online orders by status, and a slide-out with everything about one order.

Seed 000: "you'll now see the [POS] Order ID directly in the order dashboard. To view this, click into the
order to open the slideout details." The slide-out refreshes itself every few seconds while the order waits for
the POS (a push queued, or an order in the POS not yet closed), so the POS order id and status changes appear
without a reload.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse

from cannasync.api import views
from cannasync.api.deps import Db
from cannasync.domain.orders import Fulfillment, InvalidOrder, OrderStatus, transition_problem
from cannasync.flows import checkout, holds, order_status
from cannasync.store import history
from cannasync.store.tables import Order
from cannasync.store.uow import Database, UnitOfWork
from cannasync.web.console.frame import frame
from cannasync.web.console.historyviews import changes
from cannasync.web.console.orderviews import order_counts
from cannasync.web.console.runviews import duration, vendor_title
from cannasync.web.pages import render
from cannasync.web.session import Merchant, MerchantForm, Viewer

router = APIRouter(prefix="/console", include_in_schema=False)

PAGE_SIZE = 50
#: The tabs, in the order an order moves through them.
TABS = [status.value for status in OrderStatus]
#: Outbox states in which a push has not yet reached its end.
PUSH_UNDER_WAY = ("pending", "sending")


@dataclass(frozen=True, slots=True)
class OrderRow:
    id: int
    number: str
    status: str
    fulfillment: str
    is_medical: bool
    customer: str
    total_cents: int
    pos_order_id: str | None
    placed_at: Any
    attention: str | None = None


def _row(order: Order) -> OrderRow:
    customer = views.contact(order)
    return OrderRow(
        id=order.id,
        number=order.number,
        status=order.status,
        fulfillment=order.fulfillment,
        is_medical=order.is_medical,
        customer=f"{customer['first_name'] or ''} {customer['last_name'] or ''}".strip(),
        total_cents=order.total_cents,
        pos_order_id=order.pos_order_id,
        placed_at=order.placed_at,
        attention=order.attention,
    )


@router.get("/stores/{store_id}/orders", response_class=HTMLResponse)
def orders_page(
    request: Request,
    store_id: int,
    db: Db,
    viewer: Merchant,
    status: str = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    order: int | None = None,
) -> HTMLResponse:
    context = frame(db, viewer, store_id, section="orders")
    if status and status not in TABS:
        raise HTTPException(404, "no such order status")
    with db.uow() as uow:
        counts = order_counts(uow, store_id)
        rows = [
            _row(order)
            for order in uow.orders.for_store(
                store_id, status=status or None, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE
            )
        ]
    return render(
        request,
        "console/orders.html",
        **context,
        store_id=store_id,
        orders=rows[:PAGE_SIZE],
        has_next=len(rows) > PAGE_SIZE,
        page=page,
        status=status,
        tabs=TABS,
        counts=counts,
        total=sum(counts.values()),
        open_order=order,
    )


# --- the slide-out ---


def _owned(uow: UnitOfWork, viewer: Viewer, order_id: int) -> Order:
    """The order, if it belongs to one of the viewer's stores; another organization's order is a 404."""
    order = uow.orders.get(order_id)
    if order is None or uow.accounts.store(order.store_id, viewer.organization_id) is None:
        raise HTTPException(404, "order not found")
    return order


def _allowed(order: dict[str, Any], target: OrderStatus) -> bool:
    current = OrderStatus(order["status"])
    return transition_problem(current, target, Fulfillment(order["fulfillment"])) is None


def _waiting_for_pos(detail: dict[str, Any]) -> bool:
    """Whether something is still to come from the POS: a push under way, or a pushed order not yet closed."""
    if not OrderStatus(detail["status"]).is_open:
        return False
    pushing = any(attempt["state"] in PUSH_UNDER_WAY for attempt in detail["push_attempts"])
    return pushing or bool(detail["pos_order_id"])


def _detail(uow: UnitOfWork, order: Order) -> dict[str, Any]:
    detail = views.order(
        order,
        uow.orders.events(order.id),
        uow.holds.of_order(order.id),
        uow.outbox.for_subject(checkout.PUSH_ORDER, order.id),
        uow.messages.for_order(order.id),
    )
    names = {line["product_id"]: line["name"] for line in detail["lines"]}
    for hold in detail["holds"]:
        hold["name"] = names.get(hold["product_id"], f"product {hold['product_id']}")
    integration = uow.accounts.integration(order.integration_id) if order.integration_id else None
    detail["pos"] = vendor_title(integration) if integration else None
    polled = uow.runs.schedule(integration.id, order_status.FLOW) if integration else None
    detail["status_every"] = None
    if integration is not None and polled is not None:
        # A POS that pushes statuses is asked at the schedule's pace (a safety net); one that does not is asked
        # every 15 s while it has open orders (flows/order_status.py).
        pushes = order_status.pushes_statuses(integration)
        every = polled.interval_seconds if pushes else order_status.OPEN_ORDERS_INTERVAL.total_seconds()
        detail["status_every"] = ("pushed by the POS, and asked every " if pushes else "asked every ") + duration(every)
    detail["sync_orders"] = integration is not None and checkout.pushes_orders(integration)
    detail["can_confirm"] = _allowed(detail, OrderStatus.CONFIRMED)
    detail["can_cancel"] = _allowed(detail, OrderStatus.CANCELLED)
    detail["waiting"] = _waiting_for_pos(detail)
    detail["open"] = OrderStatus(detail["status"]).is_open
    detail["row"] = _row(order)
    detail["changes"] = changes(uow, history.ORDER, order.id)
    counts = order_counts(uow, order.store_id)
    detail["tab_counts"] = {"all": sum(counts.values()), **{tab: counts.get(tab, 0) for tab in TABS}}
    return detail


def _slideout(
    request: Request,
    db: Database,
    viewer: Viewer,
    order_id: int,
    *,
    notice: str | None = None,
    kind: str = "ok",
    opening: bool = False,
) -> HTMLResponse:
    with db.uow() as uow:
        order = _owned(uow, viewer, order_id)
        detail = _detail(uow, order)
        store = uow.accounts.store(order.store_id)
        tz = store.timezone if store else "UTC"
    return render(
        request, "console/order_detail.html", order=detail, notice=notice, notice_kind=kind, opening=opening, tz=tz
    )


@router.get("/orders/{order_id}", response_class=HTMLResponse)
def order_detail(request: Request, order_id: int, db: Db, viewer: Merchant, refresh: int = 0) -> HTMLResponse:
    return _slideout(request, db, viewer, order_id, opening=not refresh)


@router.post("/orders/{order_id}/confirm", response_class=HTMLResponse)
def confirm(request: Request, order_id: int, db: Db, viewer: MerchantForm) -> HTMLResponse:
    with db.uow() as uow:
        _owned(uow, viewer, order_id)
    try:
        with history.acting(actor=viewer.email):
            checkout.confirm_order(db, order_id)
    except (checkout.StatusConflict, InvalidOrder) as error:
        return _slideout(request, db, viewer, order_id, notice=f"Not confirmed: {error}.", kind="error")
    request.app.state.dispatcher.nudge()  # push it within seconds rather than at the next tick
    return _slideout(request, db, viewer, order_id, notice="Confirmed.")


@router.post("/orders/{order_id}/cancel", response_class=HTMLResponse)
def cancel(
    request: Request, order_id: int, db: Db, viewer: MerchantForm, reason: Annotated[str, Form(max_length=500)] = ""
) -> HTMLResponse:
    with db.uow() as uow:
        _owned(uow, viewer, order_id)
    try:
        with history.acting(actor=viewer.email):
            checkout.cancel_order(db, order_id, source="merchant", reason=reason.strip() or "cancelled by the store")
    except (checkout.StatusConflict, InvalidOrder) as error:
        return _slideout(request, db, viewer, order_id, notice=f"Not cancelled: {error}.", kind="error")
    return _slideout(request, db, viewer, order_id, notice="Cancelled. Its held stock is back on the menu.")


@router.post("/orders/{order_id}/attention/done", response_class=HTMLResponse)
def attention_done(request: Request, order_id: int, db: Db, viewer: MerchantForm) -> HTMLResponse:
    """Staff did the task the hub could not (e.g. cancelled the order in the POS by hand): clear it."""
    # acting outermost: the unit of work commits (and flushes the change) as it closes, inside it
    with history.acting(actor=viewer.email), db.uow() as uow:
        _owned(uow, viewer, order_id)
        order = uow.orders.get(order_id, lock=True)
        assert order is not None
        if order.attention:
            uow.orders.record(order_id, "attention", viewer.email, f"done: {order.attention}")
            order.attention = None
    return _slideout(request, db, viewer, order_id, notice="Marked as done.")


@router.post("/orders/{order_id}/keep-holding", response_class=HTMLResponse)
def keep_holding(
    request: Request, order_id: int, db: Db, viewer: MerchantForm, keep_holding: Annotated[str, Form()] = ""
) -> HTMLResponse:
    """The per-order switch: keep the stock held after the push, for a POS that would otherwise count it at once."""
    with db.uow() as uow:
        _owned(uow, viewer, order_id)
    try:
        with history.acting(actor=viewer.email):
            switched = holds.set_keep_holding(db, order_id, keep_holding == "on")
    except holds.CannotHoldAgain as error:
        return _slideout(request, db, viewer, order_id, notice=str(error), kind="error")
    return _slideout(request, db, viewer, order_id, notice=switched.notice)
