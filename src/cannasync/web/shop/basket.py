"""The shopper's cart: (product id, weight tier) → quantity in a cookie, priced from the database every time it
is shown.

The cookie holds no prices, so a shopper cannot change what they pay by editing it, and a price the POS changed
since they added the item shows up before checkout, not after. A line of a bulk product sold by weight names its
tier by its place in the product's tiers (``12t1x2``: two of product 12's second tier); a tier that is gone when
the cart is priced takes the line out, said on the cart page like any item that left the menu.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from fastapi import Request, Response

from cannasync.domain import limits
from cannasync.domain.catalog import PriceTier
from cannasync.domain.variants import tiers_of
from cannasync.flows.checkout import limit_item, order_limits, stock_wanted
from cannasync.store.uow import UnitOfWork
from cannasync.web.shop.display import ProductView, view

MAX_LINES = 40
#: A bound on what a cookie may claim, not a rule of the store: stock and the purchase limits decide how many.
MAX_COOKIE_QUANTITY = 9999
_ITEM = re.compile(r"^(\d{1,12})(?:t(\d{1,2}))?x(\d{1,4})$")

#: A cart line's key: the product's id and its weight tier's place in its tiers (None: sold by the unit).
Key = tuple[int, int | None]
Cart = dict[Key, int]


def cookie_name(store_id: int) -> str:
    return f"cart_{store_id}"


def parse(raw: str | None) -> Cart:
    """``12x2-15t1x1`` → {(12, None): 2, (15, 1): 1}; anything malformed is dropped rather than failing the page."""
    cart: Cart = {}
    for item in (raw or "").split("-")[:MAX_LINES]:
        match = _ITEM.match(item)
        if match:
            quantity = min(int(match.group(3)), MAX_COOKIE_QUANTITY)
            tier = int(match.group(2)) if match.group(2) is not None else None
            if quantity > 0:
                cart[(int(match.group(1)), tier)] = quantity
    return cart


def key_text(key: Key) -> str:
    """A line's key as the cookie and the cart's form fields write it: ``12`` or ``12t1``."""
    product_id, tier = key
    return f"{product_id}" if tier is None else f"{product_id}t{tier}"


def parse_key(text: str) -> Key | None:
    match = _ITEM.match(f"{text}x1")
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2)) if match.group(2) is not None else None


def serialise(cart: Mapping[Key, int]) -> str:
    # Only characters a cookie value may hold unquoted (no commas, semicolons or spaces).
    return "-".join(f"{key_text(key)}x{quantity}" for key, quantity in cart.items() if quantity > 0)


def read(request: Request, store_id: int) -> Cart:
    return parse(request.cookies.get(cookie_name(store_id)))


def write(response: Response, store_id: int, cart: Mapping[Key, int]) -> None:
    value = serialise(cart)
    path = f"/shop/{store_id}"
    if not value:
        response.delete_cookie(cookie_name(store_id), path=path)
        return
    response.set_cookie(cookie_name(store_id), value, max_age=14 * 86400, path=path, httponly=True, samesite="lax")


def count(cart: Mapping[Key, int]) -> int:
    return sum(cart.values())


def stock_units(cart: Mapping[Key, int], product_id: int, tiers: Sequence[PriceTier]) -> int:
    """What the cart's lines of one product take from its stock, in whole stock units (a tier's grams)."""
    return stock_wanted(
        [
            (pid, quantity, tiers[tier].quantity if tier is not None and tier < len(tiers) else None)
            for (pid, tier), quantity in cart.items()
            if pid == product_id
        ]
    ).get(product_id, 0)


@dataclass(frozen=True, slots=True)
class Line:
    product: ProductView
    quantity: int
    unit_price_cents: int
    #: The weight tier the line is sold by, and its place among the product's tiers (None: by the unit).
    tier: PriceTier | None = None
    tier_index: int | None = None
    #: What the cart's lines of this product take from its stock together (a tier's grams, rounded up).
    stock_taken: int = 0

    @property
    def key(self) -> str:
        return key_text(self.tier_index_key)

    @property
    def tier_index_key(self) -> Key:
        return (self.product.id, self.tier_index)

    @property
    def total_cents(self) -> int:
        return self.quantity * self.unit_price_cents

    @property
    def short(self) -> bool:
        """More in the cart than the store can sell right now."""
        return max(self.stock_taken, self.quantity if self.tier is None else 0) > self.product.available

    @property
    def most(self) -> int:
        """The most of this line the quantity field takes: what the stock allows, at least what the cart has."""
        per = self.tier.quantity if self.tier is not None else 1
        return max(int(self.product.available / per), self.quantity)


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

    @property
    def tier_labels(self) -> dict[Key, str]:
        """Each line sold by a weight tier: its key and its tier's label (what an order names it by)."""
        return {line.tier_index_key: line.tier.label for line in self.lines if line.tier is not None}


def price(uow: UnitOfWork, store_id: int, cart: Mapping[Key, int], *, medical: bool = False) -> PricedCart:
    """The cart as it stands now: current prices (medical or recreational; a weight tier's price), what is still
    available, and the purchase limits it is over (the same arithmetic checkout refuses by, ``domain.limits``)."""
    lines: list[Line] = []
    gone: list[str] = []
    items: list[limits.Item] = []
    for (product_id, tier_index), quantity in cart.items():
        row = uow.catalog.product(product_id)
        if row is None or row.store_id != store_id:
            continue
        product = view(row)
        tiers = tiers_of(row.price_tiers)
        tier = tiers[tier_index] if tier_index is not None and tier_index < len(tiers) else None
        unit = tier.price_cents if tier is not None else product.price_cents(medical)
        if not row.visible or unit is None or (tier_index is not None and tier is None):
            gone.append(row.name if tier_index is None else f"{row.name} by weight")
            continue
        taken = stock_units(cart, product_id, tiers)
        lines.append(Line(product, quantity, unit, tier, tier_index if tier else None, taken))
        items.append(limit_item(row, quantity, tier))
    store = uow.accounts.store(store_id)
    if store is None:
        return PricedCart(lines, gone)
    over = {is_medical: limits.totals(items, order_limits(store, is_medical)).excesses for is_medical in (False, True)}
    return PricedCart(lines, gone, over[False], over[True])


def kept(priced: PricedCart) -> Cart:
    """The cookie's contents after pricing: only what can still be bought."""
    return {(line.product.id, line.tier_index): line.quantity for line in priced.lines}
