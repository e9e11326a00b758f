"""The shopper's cart: product id → quantity in a cookie, priced from the database every time it is shown.

The cookie holds no prices, so a shopper cannot change what they pay by editing it, and a price the POS changed
since they added the item shows up before checkout, not after.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from fastapi import Request, Response

from cannasync.domain import limits
from cannasync.flows.checkout import limit_item, order_limits
from cannasync.store.uow import UnitOfWork
from cannasync.web.shop.display import ProductView, view

MAX_LINES = 40
#: A bound on what a cookie may claim, not a rule of the store: stock and the purchase limits decide how many.
MAX_COOKIE_QUANTITY = 9999
_ITEM = re.compile(r"^(\d{1,12})x(\d{1,4})$")


def cookie_name(store_id: int) -> str:
    return f"cart_{store_id}"


def parse(raw: str | None) -> dict[int, int]:
    """``12x2-15x1`` → {12: 2, 15: 1}; anything malformed is dropped rather than failing the page."""
    cart: dict[int, int] = {}
    for item in (raw or "").split("-")[:MAX_LINES]:
        match = _ITEM.match(item)
        if match:
            quantity = min(int(match.group(2)), MAX_COOKIE_QUANTITY)
            if quantity > 0:
                cart[int(match.group(1))] = quantity
    return cart


def serialise(cart: Mapping[int, int]) -> str:
    # Only characters a cookie value may hold unquoted (no commas, semicolons or spaces).
    return "-".join(f"{product_id}x{quantity}" for product_id, quantity in cart.items() if quantity > 0)


def read(request: Request, store_id: int) -> dict[int, int]:
    return parse(request.cookies.get(cookie_name(store_id)))


def write(response: Response, store_id: int, cart: Mapping[int, int]) -> None:
    value = serialise(cart)
    path = f"/shop/{store_id}"
    if not value:
        response.delete_cookie(cookie_name(store_id), path=path)
        return
    response.set_cookie(cookie_name(store_id), value, max_age=14 * 86400, path=path, httponly=True, samesite="lax")


def count(cart: Mapping[int, int]) -> int:
    return sum(cart.values())


@dataclass(frozen=True, slots=True)
class Line:
    product: ProductView
    quantity: int
    unit_price_cents: int

    @property
    def total_cents(self) -> int:
        return self.quantity * self.unit_price_cents

    @property
    def short(self) -> bool:
        """More in the cart than the store can sell right now."""
        return self.quantity > self.product.available


@dataclass(frozen=True, slots=True)
class PricedCart:
    lines: list[Line]
    #: Items that left the menu since they were added (hidden by a sync, or no price): shown, then dropped.
    gone: list[str] = field(default_factory=list)
    #: The purchase limits the cart is over, for a recreational and for a medical order.
    over_adult_use: list[limits.Excess] = field(default_factory=list)
    over_medical: list[limits.Excess] = field(default_factory=list)

    @property
    def over_every_limit(self) -> list[limits.Excess]:
        """Over the limits of every kind of order the store takes: no checkout can place it."""
        return self.over_adult_use if self.over_medical else []

    @property
    def medical_only(self) -> bool:
        """Over the recreational limits but within the medical ones: only a medical patient can check out."""
        return bool(self.over_adult_use) and not self.over_medical

    @property
    def count(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def subtotal_cents(self) -> int:
        return sum(line.total_cents for line in self.lines)

    @property
    def short_lines(self) -> list[Line]:
        return [line for line in self.lines if line.short]

    @property
    def product_ids(self) -> list[int]:
        return [line.product.id for line in self.lines]


def price(uow: UnitOfWork, store_id: int, cart: Mapping[int, int], *, medical: bool = False) -> PricedCart:
    """The cart as it stands now: current prices (medical or recreational), what is still available, and the
    purchase limits it is over (the same arithmetic checkout refuses by, ``domain.limits``)."""
    lines: list[Line] = []
    gone: list[str] = []
    items: list[limits.Item] = []
    for product_id, quantity in cart.items():
        row = uow.catalog.product(product_id)
        if row is None or row.store_id != store_id:
            continue
        product = view(row)
        unit = product.price_cents(medical)
        if not row.visible or unit is None:
            gone.append(row.name)
            continue
        lines.append(Line(product, quantity, unit))
        items.append(limit_item(row, quantity))
    store = uow.accounts.store(store_id)
    if store is None:
        return PricedCart(lines, gone)
    over = {is_medical: limits.totals(items, order_limits(store, is_medical)).excesses for is_medical in (False, True)}
    return PricedCart(lines, gone, over[False], over[True])


def kept(priced: PricedCart) -> dict[int, int]:
    """The cookie's contents after pricing: only what can still be bought."""
    return {line.product.id: line.quantity for line in priced.lines}
