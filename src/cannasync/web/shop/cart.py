"""The cart page and the forms that change it (add from the menu or a product page, change, remove)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cannasync.api.deps import Db
from cannasync.domain.catalog import available_quantity
from cannasync.domain.variants import tiers_of
from cannasync.store.tables import Product
from cannasync.store.uow import UnitOfWork
from cannasync.web.pages import PostedForm
from cannasync.web.shop import basket, frame

router = APIRouter(route_class=frame.ShopRoute, include_in_schema=False)


def _quantity(value: object, default: int = 1) -> int:
    try:
        return max(0, min(int(str(value)), basket.MAX_COOKIE_QUANTITY))
    except ValueError:
        return default


def _tier(value: object, count: int) -> int | None:
    """A weight tier's place among a product's ``count`` tiers, from a form (None: by the unit, or no such tier)."""
    text = str(value or "")
    return int(text) if text.isdigit() and int(text) < count else None


def _back_to(store_id: int, target: object, fallback: str) -> str:
    """Only ever back into this store (a form's ``next`` must not send a shopper elsewhere)."""
    text = str(target or "")
    return text if text.startswith(f"/shop/{store_id}") and "//" not in text and "\\" not in text else fallback


@router.get("/shop/{store_id}/cart", response_class=HTMLResponse)
def cart_page(request: Request, store_id: int, db: Db) -> HTMLResponse:
    cart = basket.read(request, store_id)
    with db.uow() as uow:
        store = frame.storefront(uow, store_id)
        priced = basket.price(uow, store_id, cart)
    response = frame.page(request, "shop/cart.html", store, cart=priced, cart_count=priced.count)
    if basket.kept(priced) != cart:
        basket.write(response, store_id, basket.kept(priced))  # drop what left the menu, once it was shown
    return response


def try_add(
    uow: UnitOfWork, store_id: int, cart: basket.Cart, row: Product, wanted: int, tier: int | None = None
) -> tuple[int, str | None]:
    """How many of ``row`` (by the unit, or of its weight tier ``tier``) the cart may hold after adding
    ``wanted``, and what to tell the shopper when that is less than asked (never a silent no-op): the store's
    stock, counted in its units (a tier's grams, with the cart's other lines of the product), then the purchase
    limits of every kind of order the store takes (a cart no checkout could place is refused at the add, with
    the limit and by how much)."""
    key = (row.id, tier)
    tiers = tiers_of(row.price_tiers)
    before = cart.get(key, 0)
    available = available_quantity(row.pos_quantity, row.held_quantity)

    def taken(quantity: int) -> int:
        return basket.stock_units({**cart, key: quantity}, row.id, tiers)

    ceiling = max(available, taken(before))
    quantity = before + wanted
    while quantity > before and taken(quantity) > ceiling:
        quantity -= 1
    note = None
    if quantity - before < wanted:
        unit = f" {tiers[tier].unit}" if tier is not None else ""
        if available <= 0:
            note = f"Sorry, {row.name} is sold out."
        elif quantity <= before:
            note = f"You already have all {available}{unit} in your cart."
        else:
            note = f"Added {quantity - before}: that's all {available}{unit} the store has."
    if quantity > before:
        over = basket.price(uow, store_id, {**cart, key: quantity}).over_every_limit
        if over:
            message = over[0].message
            return before, "Not added: " + message[:1].lower() + message[1:]
    return quantity, note


@router.post("/shop/{store_id}/cart/add")
def add_to_cart(request: Request, form: PostedForm, store_id: int, db: Db) -> Response:
    try:
        product_id = int(str(form.get("product_id")))
    except ValueError:
        raise frame.PageNotFound("product") from None
    wanted = max(1, _quantity(form.get("quantity")))
    cart = basket.read(request, store_id)
    with db.uow() as uow:
        store = frame.storefront(uow, store_id)
        row = uow.catalog.product(product_id)
        if row is None or row.store_id != store_id or not row.visible:
            raise frame.PageNotFound("product", store)
        tier = _tier(form.get("tier"), len(row.price_tiers or []))
        before = cart.get((product_id, tier), 0)
        quantity, note = try_add(uow, store_id, cart, row, wanted, tier)
    added = quantity - before
    if quantity > 0:
        cart[(product_id, tier)] = quantity
    if request.headers.get("hx-request"):
        response: Response = frame.page(
            request, "shop/cart_button.html", store, cart_count=basket.count(cart), toast=note, oob=True
        )
        response.headers["X-Cart-Added"] = str(added)  # the card's tick shows only when something was added
    else:
        chosen = f"&tier={tier}" if tier is not None else ""
        fallback = f"/shop/{store_id}/products/{product_id}?added={added}{chosen}"
        # A shortfall is said on the product page, which works it out again from the cart and the stock.
        target = f"{fallback}&refused=1" if note else _back_to(store_id, form.get("next"), fallback)
        response = RedirectResponse(target, status_code=303)
    basket.write(response, store_id, cart)
    return response


@router.post("/shop/{store_id}/cart/update")
def update_cart(request: Request, form: PostedForm, store_id: int, db: Db) -> Response:
    """Every line's quantity comes back as ``qty_<line key>`` (``qty_12``, ``qty_12t1`` for a weight tier);
    ``remove`` names a line to take out."""
    cart = basket.read(request, store_id)
    with db.uow() as uow:
        frame.storefront(uow, store_id)
        for key in list(cart):
            field = form.get(f"qty_{basket.key_text(key)}")
            if field is None:
                continue
            row = uow.catalog.product(key[0])
            if row is None:
                continue
            # Up to what the store has (a quantity already above it stays, so the cart can say it is short).
            wanted = _quantity(field, cart[key])
            if wanted <= cart[key]:
                cart[key] = wanted
            else:
                cart[key] = try_add(uow, store_id, cart, row, wanted - cart[key], key[1])[0]
    removed = basket.parse_key(str(form.get("remove") or ""))
    if removed is not None:
        cart.pop(removed, None)
    response = RedirectResponse(f"/shop/{store_id}/cart", status_code=303)
    basket.write(response, store_id, {pid: qty for pid, qty in cart.items() if qty > 0})
    return response
