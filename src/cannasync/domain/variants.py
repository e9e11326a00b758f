"""Sizes of one product and weight tiers of a bulk one: the rules the menu, the cart and the holds share.

**Sizes.** POSes list each size of a product as an item of its own ("Blue Dream 3.5g", "Blue Dream 7g";
"Gummies 10pk", "Gummies 20pk"). A shopper sees them as one card with a size choice. Two products are sizes of one
another when they share brand, category and *base name*: the name with its size part taken out. A size part is a
weight or volume (``3.5g``, ``1 g``, ``1/8 oz``, ``1/8th``, ``1oz``, ``100ml``) or a pack count (``10pk``,
``2 pack``, ``5ct``); a dose in mg is *not* a size ("Gummies 5mg" and "Gummies 10mg" are different strengths). A
product whose name has no size part is never grouped. The key is worked out once, when the menu sync writes the
product (``variant_key``), so the menu groups with an indexed column and never parses names at query time.

**Tiers.** A bulk ("deli style") product is sold by weight from its price tiers ("1/8 oz": 3.5 g for $35). A cart
line names its tier; the line's unit price is the tier's price, the purchase limits count the tier's weight, and
the stock held is the tier's weight in the product's stock unit. The store keeps stock in whole units (a sync
rounds a POS's grams down: half a gram cannot be promised), so a hold rounds the weight *up* (3.5 g holds 4 g):
the store never sells grams it may not have; the POS still receives the exact grams.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from cannasync.domain.catalog import PriceTier
from cannasync.vocab import fold

T = TypeVar("T")

#: Grams in one unit of each size word (an ounce is 28 g at every dispensary counter: "1/8 oz" is sold as 3.5 g).
_GRAMS = {"g": 1, "gr": 1, "gram": 1, "grams": 1, "oz": 28, "ounce": 28, "th": 28, "lb": 448, "ml": 1}
_PACKS = ("pk", "pack", "ct", "count")
_SIZE = re.compile(
    r"""
    (?:^|(?<=[\s\-–—|/(\[,]))                 # starts the name or follows a separator
    (?P<size>
        (?P<num>\d+)\s*/\s*(?P<den>\d+)\s*(?P<frac_unit>oz|ounce|th)?   # 1/8 oz, 1/8th, 1/8
      | (?P<amount>\d+(?:\.\d+)?)\s*(?P<unit>grams|gram|gr|g|ounce|oz|lb|ml|pack|pk|count|ct)
    )
    (?=$|[\s\-–—|)\],])                      # and ends it or comes before a separator
    """,
    re.IGNORECASE | re.VERBOSE,
)
_LEFTOVER = re.compile(r"[\s\-–—|,]*(\(\s*\)|\[\s*\])[\s\-–—|,]*|^[\s\-–—|,]+|[\s\-–—|,]+$")


@dataclass(frozen=True, slots=True)
class Size:
    """The size part of a product name, as written ("3.5g"), and how much it is, to put sizes in order."""

    label: str
    #: Grams (or ml) for a weight or volume, the count for a pack.
    amount: Decimal


def split_size(name: str) -> tuple[str, Size | None]:
    """A product name without its size part, and the size (None, and the name as it is, when it has none).

    Only the last size in a name counts ("2 x 0.5g Pre-rolls 1g" is not a name we try to be clever with: its last
    size is taken). A fraction needs a unit unless it is the whole size ("1/8" alone is an eighth of an ounce).
    """
    found = list(_SIZE.finditer(name))
    if not found:
        return name.strip(), None
    match = found[-1]
    if match["den"] is not None:
        if int(match["den"]) == 0:
            return name.strip(), None
        amount = Decimal(match["num"]) / Decimal(match["den"]) * 28
        label = f"{match['num']}/{match['den']}{' ' + match['frac_unit'] if match['frac_unit'] else ''}"
    else:
        unit = match["unit"].lower()
        amount = Decimal(match["amount"]) * (1 if unit in _PACKS else _GRAMS[unit])
        label = " ".join(match["size"].split())
    base = name[: match.start()] + " " + name[match.end() :]
    base = " ".join(_LEFTOVER.sub(" ", base).split())
    return (base or name.strip()), Size(label, amount.quantize(Decimal("0.001")).normalize())


def variant_key(name: str, brand: str | None, category: str) -> str | None:
    """The key products that are sizes of one another share (None for a name with no size part).

    Brand, base name and POS category, compared without case or extra spaces, hashed to a fixed length so the
    store can index it.
    """
    base, size = split_size(name)
    if size is None:
        return None
    parts = "\x1f".join(fold(part) for part in (brand or "", base, category))
    return hashlib.sha256(parts.encode()).hexdigest()[:32]


def size_order(name: str) -> tuple[Decimal, str]:
    """How a product's size sorts among its siblings: smallest first, then by name."""
    _, size = split_size(name)
    return (size.amount if size else Decimal(0), name)


def group(items: Iterable[T], key: Callable[[T], str | None]) -> list[list[T]]:
    """Items with one variant key together, in the order each group first appears; an item with no key alone.

    The menu pages over groups (one card each); this is the same rule for a list already in memory.
    """
    groups: dict[str, list[T]] = {}
    result: list[list[T]] = []
    for item in items:
        found = key(item)
        if found is None:
            result.append([item])
        elif found in groups:
            groups[found].append(item)
        else:
            groups[found] = [item]
            result.append(groups[found])
    return result


# --- weight tiers -------------------------------------------------------------------------------------------------


class UnknownTier(ValueError):
    """A cart or an order named a tier the product does not have, or none where it must choose one."""


def tiers_of(rows: Sequence[Mapping[str, Any]] | None) -> tuple[PriceTier, ...]:
    """A product's stored tiers (as the store keeps them, quantities as text) as domain tiers."""
    tiers = []
    for row in rows or ():
        try:
            quantity = Decimal(str(row["quantity"]))
        except (InvalidOperation, KeyError):
            continue
        tiers.append(
            PriceTier(str(row.get("label") or ""), quantity, str(row.get("unit") or "g"), int(row["price_cents"]))
        )
    return tuple(tiers)


def choose_tier(name: str, tiers: Sequence[PriceTier], label: str | None) -> PriceTier | None:
    """The tier a line names, or None for a line sold by the product's own unit (no tier named: a bulk product's
    unit is one gram at its unit price, as the POS prices it); raises UnknownTier naming the choices."""
    if not label:
        return None
    if not tiers:
        raise UnknownTier(f"{name} is sold by the unit, not by weight: leave out its tier")
    for tier in tiers:
        if tier.label == label:
            return tier
    choices = ", ".join(tier.label for tier in tiers)
    raise UnknownTier(f"{name} has no tier {label!r}: choose one of {choices}")


def stock_units(count: int, tier_quantity: Decimal | None) -> Decimal:
    """What a line takes from stock before rounding: ``count`` units, or ``count`` tiers of ``tier_quantity``."""
    return Decimal(count) if tier_quantity is None else tier_quantity * count


def held_units(amount: Decimal) -> int:
    """The whole stock units a product's lines hold: their amount rounded up (3.5 g holds 4)."""
    return math.ceil(amount)


def tier_weight(tier: PriceTier, count: int) -> Decimal:
    """The weight ``count`` of a tier come to, in the tier's unit (2 x "1/8 oz" is 7 g)."""
    return tier.quantity * count


def tier_hold(tier: PriceTier, count: int) -> int:
    """The stock a line of ``count`` tiers holds, in the store's whole stock units: its weight rounded up."""
    return math.ceil(tier_weight(tier, count))
