"""Checkout: pickup or delivery, recreational or medical, and what the store's POS needs; then the order.

Each rendering of the form carries a fresh key, sent as the order's Idempotency-Key: a double click or a
resubmitted form places one order, and the same key (never the order's number) is the order page's address.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cannasync.api.deps import Db
from cannasync.domain.customers import InvalidCustomer
from cannasync.flows.checkout import (
    CheckoutLine,
    CheckoutRequest,
    IdempotencyConflict,
    InvalidOrder,
    OutOfStock,
    place_order,
)
from cannasync.store.uow import Database
from cannasync.web.pages import PostedForm
from cannasync.web.shop import basket, frame
from cannasync.web.shop.checkout_form import KEY_PREFIX, WINDOWS, CheckoutForm, Parsed, new_key, valid_key
from cannasync.web.shop.requirements import Requirements, for_checkout

router = APIRouter(route_class=frame.ShopRoute, include_in_schema=False)


def _form_page(
    request: Request,
    db: Database,
    store_id: int,
    form: CheckoutForm,
    key: str,
    *,
    status_code: int = 200,
    problem: str | None = None,
) -> Response:
    cart = basket.read(request, store_id)
    with db.uow() as uow:
        store = frame.storefront(uow, store_id)
        priced = basket.price(uow, store_id, cart, medical=form.medical)
        needs = for_checkout(uow, store_id, priced.product_ids)
    if not priced.lines:
        return RedirectResponse(f"/shop/{store_id}/cart", status_code=303)
    if not store.pickup_enabled and store.delivery_enabled:
        form.values["fulfillment"] = "delivery"  # the one way this store takes orders
    return frame.page(
        request,
        "shop/checkout.html",
        store,
        status_code=status_code,
        form=form,
        key=key,
        needs=needs,
        cart=priced,
        cart_count=priced.count,
        windows=WINDOWS,
        problem=problem,
    )


@router.get("/shop/{store_id}/checkout", response_class=HTMLResponse)
def checkout_page(request: Request, store_id: int, db: Db) -> Response:
    return _form_page(request, db, store_id, CheckoutForm.blank(), new_key())


@router.get("/shop/{store_id}/checkout/summary", response_class=HTMLResponse)
def checkout_summary(request: Request, store_id: int, db: Db, customer_type: str = "recreational") -> HTMLResponse:
    """The order summary again when the shopper switches between recreational and medical prices."""
    with db.uow() as uow:
        store = frame.storefront(uow, store_id)
        priced = basket.price(uow, store_id, basket.read(request, store_id), medical=customer_type == "medical")
    return frame.page(request, "shop/checkout_summary.html", store, cart=priced, medical=customer_type == "medical")


def _order_request(parsed: Parsed, cart: basket.Cart, tier_labels: dict[basket.Key, str]) -> CheckoutRequest:
    """The order the cart is: each line by its product and, for a bulk product, its weight tier's label."""
    return CheckoutRequest(
        customer=parsed.customer,
        lines=[
            CheckoutLine(product_id, quantity, tier_labels.get((product_id, tier)) if tier is not None else None)
            for (product_id, tier), quantity in sorted(cart.items(), key=lambda item: (item[0][0], item[0][1] or -1))
        ],
        fulfillment=parsed.fulfillment,
        is_medical=parsed.is_medical,
        notes=parsed.notes,
        delivery_address=parsed.delivery_address,
        window_start=parsed.window_start,
        window_end=parsed.window_end,
    )


def _out_of_stock(error: OutOfStock) -> str:
    if error.available <= 0:
        return f"Sorry, {error.name} just sold out. Remove it from your cart to place your order."
    return (
        f"Sorry, only {error.available} of {error.name} {'is' if error.available == 1 else 'are'} left. "
        "Change the quantity in your cart to place your order."
    )


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")


@router.post("/shop/{store_id}/checkout")
def place(request: Request, raw: PostedForm, store_id: int, db: Db) -> Response:
    form = CheckoutForm.read(raw)
    submitted_key = str(raw.get("key") or "")
    key = submitted_key if valid_key(submitted_key) else new_key()
    cart = basket.read(request, store_id)
    with db.uow() as uow:
        store: frame.StoreInfo = frame.storefront(uow, store_id)
        needs: Requirements = for_checkout(uow, store_id, [product_id for product_id, _ in cart])
        tier_labels = basket.price(uow, store_id, cart).tier_labels
    parsed = form.check(needs, store.timezone, today=store.today)
    if parsed is None or not valid_key(submitted_key):
        problem = None if parsed is None else "This form had expired. Check your details and place the order again."
        return _form_page(request, db, store_id, form, key, status_code=422, problem=problem)
    if not cart:
        return RedirectResponse(f"/shop/{store_id}/cart", status_code=303)
    try:
        # The form's key is the order page's address too: the redirect below, and every message's link.
        place_order(db, store_id, _order_request(parsed, cart, tier_labels), KEY_PREFIX + key, page_key=key)
    except OutOfStock as error:
        return _form_page(request, db, store_id, form, key, status_code=409, problem=_out_of_stock(error))
    except (InvalidOrder, InvalidCustomer) as error:
        return _form_page(request, db, store_id, form, key, status_code=422, problem=_sentence(str(error)))
    except IdempotencyConflict:
        # This form already placed an order and then changed (back button, edited cart): a new form, a new order.
        problem = "This form was already used for an order. Check your details and place this order again."
        return _form_page(request, db, store_id, form, new_key(), status_code=409, problem=problem)
    response = RedirectResponse(f"/shop/{store_id}/orders/{key}", status_code=303)
    basket.write(response, store_id, {})
    return response
