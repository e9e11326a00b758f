"""Deterministic test data for the Flowhub sandbox: products and their stock by room at the well-known locations.

Everything comes from ``random.Random`` instances seeded from the caller's ``seed``, and every timestamp is
derived from a fixed epoch rather than the wall clock, so the same ``(items, seed)`` always yields the same
catalogue, byte for byte. Locations and their room ids are the same for every seed (``locations.py``; the
generated ones: ``fleet.py``; customers: ``customer_data.py``).

Products are plain JSON-ready dicts using Flowhub's v0 ``InventoryItem`` field names, in the order served;
what depends on the location (``quantity``, ``locationId``, ``locationName``) holds a placeholder the
sandbox overwrites when it serves them.
``productPictureURL`` holds a path (``/_sandbox/images/<productId>.png``) or None; the sandbox prefixes it
with the base URL the request came in on. The UPC of each product is kept apart (``Catalogue.upcs``)
because only the by-room inventory carries it.

The generator plants a few malformed records a careful connector has to quarantine, and makes sure every
strain-type spelling and every terpene name of Flowhub's integration article (seed 001) occurs once the
catalogue has at least 50 products.

Well-known records
------------------
* Products have ids ``30001`` upwards; the malformed ones are listed in ``FlowhubSandbox.malformed``
  (product id → kind of damage) and ``FlowhubSandbox.malformed_ids``.

Choices where Flowhub's public notes are silent
-----------------------------------------------
Each is a guess kept easy to change; none is confirmed by Flowhub. (How items are served, choice 4:
``inventory.py``.)

5. Item values: ``unitOfMeasureToGramsMultiplier`` is 0.01 for ``%`` and 0.001 for ``mg``;
   ``lowerRange`` equals ``upperRange`` on about half the lab values. ``weightTierInformation`` is
   ``[{"name": "1/8 oz", "gramAmount": 3.5, "pricePerUnitInMinorUnits": 4700}, ...]`` (1g, 1/8, 1/4, 1/2
   and 1 oz) on flower sold by weight, where ``pricePerUnitInMinorUnits`` is the price of the whole tier,
   and ``[]`` otherwise; such flower has ``priceInMinorUnits`` per gram. ``postTaxPriceInPennies`` is the
   pre-tax price plus 16% (Michigan sales tax and excise) on cannabis, 6% on accessories.
   ``priceProfileName`` is "Adult-Use", "Medical" or "Standard" by ``purchaseCategory``. ``tags`` and
   ``effects`` are lists of strings, mostly empty. ``productPictureURL`` (null on about 20%) is
   ``<base URL of the request>/_sandbox/images/<productId>.png``, a 1x1 PNG served without auth
   (``control.py``).
6. Malformed records (about 1 in 100, at least 4 once there are 50 products, stocked at both locations):
   ``productName`` missing from the record, ``priceInMinorUnits`` negative (-2500) or a string
   (``"24.99"``), or a THC ``lowerRange`` of ``"n/a"``.
"""

from __future__ import annotations

import random
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cannasync.sandboxes._kit.values import iso_ms
from cannasync.sandboxes.flowhub.locations import LOCATIONS, ROOMS

JSON = dict[str, Any]

#: Catalogue timestamps are spread over the year before this instant (never the wall clock).
CATALOGUE_AS_OF = datetime(2025, 6, 1, 12, 0, 0, tzinfo=UTC)

#: First product id; products are numbered upwards from here.
FIRST_PRODUCT_ID = 30001

#: The 15 terpene names exactly as Flowhub's integration article lists them (seed 001).
TERPENES: tuple[str, ...] = (
    "α-Bisabolol",
    "α-Humulene",
    "α-Terpinene",
    "α-Pinene",
    "β-Pinene",
    "β-Caryophyllene",
    "β-Myrcene",
    "β-Ocimene",
    "Linalool",
    "Terpinolene",
    "Limonene",
    "Guaiol",
    "Caryophyllene oxide",
    "delta 3 Carene",
    "Trans-Nerolidol",
)
#: Terpenes Flowhub can report that are outside the article's list; a connector must tolerate them.
EXTRA_TERPENES: tuple[str, ...] = ("Valencene", "Farnesene")

#: Every distinct strain-type (``speciesName``) spelling of the article's Types list, in its order.
SPECIES_NAMES: tuple[str, ...] = (
    "Indica",
    "Indica-Dom",
    "Sativa",
    "Sativa-Dom",
    "Hybrid",
    "50/50",
    "CBD",
    "Indica Hybrid",
    "indica hybrid",
    "hybrid indica",
    "Sativa Hybrid",
    "sativa hybrid",
    "hybrid sativa",
)
#: A strain's family → the spellings budtenders type for it (one is picked per product).
_SPELLINGS: dict[str, tuple[str, ...]] = {
    "Indica": ("Indica",),
    "Indica-Dom": ("Indica-Dom", "Indica Hybrid", "indica hybrid", "hybrid indica"),
    "Sativa": ("Sativa",),
    "Sativa-Dom": ("Sativa-Dom", "Sativa Hybrid", "sativa hybrid", "hybrid sativa"),
    "Hybrid": ("Hybrid", "Hybrid", "50/50"),
    "CBD": ("CBD",),
}
_FAMILY_OF: dict[str, str] = {spelling: family for family, spellings in _SPELLINGS.items() for spelling in spellings}

#: Flowhub's main categories.
CATEGORIES: tuple[str, ...] = (
    "Flower",
    "Pre-Rolls",
    "Vape",
    "Edibles",
    "Concentrates",
    "Tinctures",
    "Topicals",
    "Accessories",
)
_CATEGORY_WEIGHTS: tuple[int, ...] = (30, 15, 15, 15, 10, 5, 4, 6)
_CATEGORY_CODES: dict[str, str] = {
    "Flower": "FL",
    "Pre-Rolls": "PR",
    "Vape": "VP",
    "Edibles": "ED",
    "Concentrates": "CN",
    "Tinctures": "TN",
    "Topicals": "TP",
    "Accessories": "AC",
}

#: The kinds of damage planted in malformed records, in the order they are handed out.
MALFORMED_KINDS: tuple[str, ...] = (
    "missing_name",
    "negative_price",
    "price_is_string",
    "cannabinoid_not_numeric",
)

# Probability that a product is carried at each location (in location order).
_CARRY_PROBABILITY: tuple[float, ...] = (0.95, 0.75)

#: Michigan: 6% sales tax plus the 10% adult-use excise on cannabis; accessories carry sales tax only.
CANNABIS_TAX_RATE = 0.16
ACCESSORY_TAX_RATE = 0.06


@dataclass(frozen=True)
class Brand:
    """An invented brand, its code (for SKUs) and the categories it makes."""

    name: str
    code: str
    categories: tuple[str, ...]


HOUSE_BRAND = "Sunset Cannabis Co."
BRANDS: tuple[Brand, ...] = (
    Brand("Northbound Farms", "NBF", ("Flower", "Pre-Rolls")),
    Brand("Glacier Lake Growers", "GLG", ("Flower", "Pre-Rolls", "Concentrates")),
    Brand("Motor City Melts", "MCM", ("Concentrates", "Vape")),
    Brand("Old Mission Confections", "OMC", ("Edibles",)),
    Brand("Huron Valley Extracts", "HVE", ("Vape", "Concentrates", "Tinctures")),
    Brand("Copperline Cultivation", "CPL", ("Flower", "Pre-Rolls", "Vape")),
    Brand("Saugatuck Sun", "SGS", ("Flower", "Edibles")),
    Brand("Thumb Coast Farms", "TCF", ("Flower", "Pre-Rolls")),
    Brand("Keweenaw Kitchen", "KWK", ("Edibles", "Tinctures")),
    Brand("Lift Bridge Labs", "LBL", ("Vape", "Topicals", "Tinctures")),
    Brand("Belle Isle Botanicals", "BIB", ("Topicals", "Tinctures", "Flower")),
    Brand("Two Hearted Glass", "THG", ("Accessories",)),
    Brand("Porchlight Supply", "PLS", ("Accessories", "Pre-Rolls")),
    Brand(HOUSE_BRAND, "SCC", ("Flower", "Pre-Rolls")),
)
_BRANDS_BY_CATEGORY: dict[str, tuple[Brand, ...]] = {
    category: tuple(brand for brand in BRANDS if category in brand.categories) for category in CATEGORIES
}
_DISTRIBUTORS: tuple[str, ...] = ("Riverline Distribution LLC", "Great Lakes Wholesale Supply")

# (strain name, family). The family decides which speciesName spellings the strain can carry.
STRAINS: tuple[tuple[str, str], ...] = (
    ("Blue Dream", "Sativa-Dom"),
    ("OG Kush", "Hybrid"),
    ("Sour Diesel", "Sativa"),
    ("Girl Scout Cookies", "Hybrid"),
    ("Gelato", "Indica-Dom"),
    ("Wedding Cake", "Indica-Dom"),
    ("Granddaddy Purple", "Indica"),
    ("Jack Herer", "Sativa-Dom"),
    ("Green Crack", "Sativa"),
    ("Northern Lights", "Indica"),
    ("Purple Punch", "Indica-Dom"),
    ("Runtz", "Hybrid"),
    ("Zkittlez", "Indica-Dom"),
    ("Gorilla Glue #4", "Hybrid"),
    ("Durban Poison", "Sativa"),
    ("Pineapple Express", "Sativa-Dom"),
    ("Super Lemon Haze", "Sativa-Dom"),
    ("Bubba Kush", "Indica"),
    ("White Widow", "Hybrid"),
    ("Ice Cream Cake", "Indica-Dom"),
    ("Strawberry Cough", "Sativa-Dom"),
    ("Tangie", "Sativa"),
    ("Mimosa", "Sativa-Dom"),
    ("Apple Fritter", "Hybrid"),
    ("Lemon Cherry Gelato", "Indica-Dom"),
    ("Biscotti", "Indica-Dom"),
    ("Do-Si-Dos", "Indica"),
    ("Trainwreck", "Sativa-Dom"),
    ("Cherry Pie", "Hybrid"),
    ("Forbidden Fruit", "Indica"),
    ("Maui Wowie", "Sativa"),
    ("Skywalker OG", "Indica-Dom"),
    ("Jealousy", "Hybrid"),
    ("GMO Cookies", "Indica-Dom"),
    ("Harlequin", "CBD"),
    ("ACDC", "CBD"),
    ("Cannatonic", "CBD"),
)

_FLAVORS: tuple[str, ...] = (
    "Watermelon",
    "Blue Raspberry",
    "Mango",
    "Sour Cherry",
    "Pineapple",
    "Black Cherry",
    "Grape",
    "Peach",
    "Tart Cherry",
    "Huckleberry",
)
_EFFECTS: tuple[str, ...] = ("Relaxed", "Happy", "Uplifted", "Euphoric", "Sleepy", "Creative", "Focused", "Hungry")
_TAGS: tuple[str, ...] = ("Staff Pick", "New Arrival", "Local", "Limited Drop", "Value")


@dataclass
class Catalogue:
    """Everything the generator produces for one ``(items, seed)``.

    ``stock`` maps location id → product id → room id → quantity. A product missing from a location's map
    is not carried there (absent from its inventory); an empty room map means carried but out of stock.
    """

    locations: list[JSON]
    products: list[JSON]
    upcs: dict[int, str | None] = field(default_factory=dict)
    stock: dict[str, dict[int, dict[str, int]]] = field(default_factory=dict)
    malformed: dict[int, str] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------------
# Products


@dataclass
class _Product:
    """The category-specific part of a product, before the common fields are added."""

    base: str
    variant: str
    price: int
    weight: float = 1.0
    sold_by_weight: bool = False
    strain: str | None = None
    family: str | None = None
    types: tuple[str, ...] = ()
    customs: tuple[str, ...] = ()
    cannabinoids: list[JSON] = field(default_factory=list)
    terpenes: list[JSON] = field(default_factory=list)
    tiers: list[JSON] = field(default_factory=list)
    description: str = ""
    mix_and_match: bool = False


def _price(rng: random.Random, low: int, high: int) -> int:
    """A shelf price in cents: whole dollars, sometimes ending in .50 or .99."""
    return rng.randint(low, high) * 100 + rng.choice((0, 0, 0, 50, 99))


def _potency(rng: random.Random, name: str, low: float, high: float, unit: str = "%") -> JSON:
    """One lab value as Flowhub reports it: a range (often a single value) with its unit."""
    value = rng.uniform(low, high)
    spread = 0.0 if rng.random() < 0.5 else rng.uniform(0.1, 0.08 * value + 0.1)
    lower, upper = max(value - spread / 2, 0.0), value + spread / 2
    return {
        "name": name,
        "lowerRange": round(lower, 2),
        "upperRange": round(upper, 2),
        "unitOfMeasure": unit,
        "unitOfMeasureToGramsMultiplier": 0.01 if unit == "%" else 0.001,
    }


def _fixed(name: str, value: float, unit: str = "mg") -> JSON:
    return {
        "name": name,
        "lowerRange": value,
        "upperRange": value,
        "unitOfMeasure": unit,
        "unitOfMeasureToGramsMultiplier": 0.01 if unit == "%" else 0.001,
    }


def _flower_cannabinoids(rng: random.Random, family: str, scale: float = 1.0) -> list[JSON]:
    """Raw flower carries mostly THCA (and CBDA on CBD strains), in percent."""
    if family == "CBD":
        result = [
            _potency(rng, "THC", 0.1, 0.6),
            _potency(rng, "THCA", 4 * scale, 9 * scale),
            _potency(rng, "CBD", 0.2, 1.2),
            _potency(rng, "CBDA", 8 * scale, 16 * scale),
        ]
    else:
        result = [_potency(rng, "THC", 0.3, 1.8), _potency(rng, "THCA", 16 * scale, 31 * scale)]
        if rng.random() < 0.5:
            result.append(_potency(rng, "CBDA", 0.02, 0.4))
    result.append(_potency(rng, "CBG", 0.1, 1.6))
    if rng.random() < 0.4:
        result.append(_potency(rng, "CBN", 0.01, 0.3))
    if rng.random() < 0.25:
        result.append(_potency(rng, "CBC", 0.01, 0.4))
    return result


def _extract_cannabinoids(rng: random.Random, family: str, low: float, high: float) -> list[JSON]:
    if family == "CBD":
        return [_potency(rng, "THC", 20, 35), _potency(rng, "CBD", 35, 55)]
    result = [_potency(rng, "THC", low, high)]
    if rng.random() < 0.5:
        result.append(_potency(rng, "THCA", 0.5, 6))
    if rng.random() < 0.6:
        result.append(_potency(rng, "CBG", 0.3, 3))
    if rng.random() < 0.3:
        result.append(_potency(rng, "CBN", 0.1, 1.5))
    return result


def _terpenes(rng: random.Random, low: float, high: float, unit: str = "%") -> list[JSON]:
    """3-6 terpenes, strongest first; now and then one outside the article's list."""
    names = rng.sample(TERPENES, rng.randint(3, 6))
    if rng.random() < 0.1:
        names.append(rng.choice(EXTRA_TERPENES))
    result = [_potency(rng, name, low, high, unit) for name in names]
    result.sort(key=lambda terpene: -float(terpene["upperRange"]))
    return result


def _family(rng: random.Random) -> str:
    return rng.choice(("Hybrid", "Hybrid", "Indica", "Indica-Dom", "Sativa", "Sativa-Dom", "CBD"))


def _flower(rng: random.Random) -> _Product:
    strain, family = rng.choice(STRAINS)
    product = _Product(
        base=strain,
        variant="",
        price=0,
        strain=strain,
        family=family,
        types=("Indoor", "Indoor", "Greenhouse", "Outdoor"),
        customs=("House Flower", "Top Shelf", "Smalls", "Value Eighths"),
        cannabinoids=_flower_cannabinoids(rng, family),
        terpenes=_terpenes(rng, 0.05, 1.2),
    )
    if rng.random() < 0.35:
        # Bulk ("deli") flower sold by the gram, with weight tiers at a volume discount.
        per_gram = rng.randint(7, 15) * 100
        product.tiers = [{"name": "1g", "gramAmount": 1.0, "pricePerUnitInMinorUnits": per_gram}]
        for name, grams, factor in (
            ("1/8 oz", 3.5, 0.95),
            ("1/4 oz", 7.0, 0.9),
            ("1/2 oz", 14.0, 0.85),
            ("1 oz", 28.0, 0.78),
        ):
            tier_price = int(round(per_gram * grams * factor, -2))
            product.tiers.append({"name": name, "gramAmount": grams, "pricePerUnitInMinorUnits": tier_price})
        product.variant, product.price, product.sold_by_weight = "Bulk", per_gram, True
        product.description = f"{strain}, weighed to order at the counter."
        return product
    weight, low, high = rng.choice(((3.5, 25, 55), (3.5, 25, 55), (3.5, 25, 55), (7.0, 45, 95), (28.0, 140, 300)))
    product.variant, product.price, product.weight = f"{weight:g}g", _price(rng, low, high), weight
    product.description = f"{weight:g}g of {strain}, hand-trimmed and slow-cured."
    return product


def _pre_roll(rng: random.Random) -> _Product:
    strain, family = rng.choice(STRAINS)
    variant, weight, low, high, scale, kind = rng.choice(
        (
            ("1g", 1.0, 8, 16, 1.0, "Single"),
            ("1g", 1.0, 8, 16, 1.0, "Single"),
            ("5pk 2.5g", 2.5, 25, 45, 1.0, "Multi-Pack"),
            ("Infused 1g", 1.0, 15, 28, 1.3, "Infused"),
        )
    )
    return _Product(
        base=f"{strain} Pre-Roll",
        variant=variant,
        price=_price(rng, low, high),
        weight=weight,
        strain=strain,
        family=family,
        types=(kind,),
        customs=("Infused Pre-Rolls",) if kind == "Infused" else ("Pre-Roll Packs", "Dogwalkers"),
        cannabinoids=_flower_cannabinoids(rng, family, scale),
        terpenes=_terpenes(rng, 0.05, 1.0),
        description=f"{strain} rolled in unbleached paper with a crutch.",
        mix_and_match=kind == "Single" and rng.random() < 0.6,
    )


def _vape(rng: random.Random) -> _Product:
    strain, family = rng.choice(STRAINS)
    variant, weight, low, high, kind, custom, potency = rng.choice(
        (
            ("Live Resin Cart 0.5g", 0.5, 28, 48, "Cartridge", "Live Resin", (65.0, 84.0)),
            ("Live Resin Cart 1g", 1.0, 45, 70, "Cartridge", "Live Resin", (65.0, 84.0)),
            ("Distillate Cart 1g", 1.0, 35, 55, "Cartridge", "Distillate Carts", (82.0, 93.0)),
            ("All-in-One 0.5g", 0.5, 30, 50, "Disposable", "Disposables", (75.0, 90.0)),
            ("Pod 0.5g", 0.5, 30, 45, "Pod", "Distillate Carts", (80.0, 92.0)),
        )
    )
    live = custom == "Live Resin"
    return _Product(
        base=f"{strain} {variant.rsplit(' ', 1)[0]}",
        variant=variant.rsplit(" ", 1)[1],
        price=_price(rng, low, high),
        weight=weight,
        strain=strain,
        family=family,
        types=(kind,),
        customs=(custom,),
        cannabinoids=_extract_cannabinoids(rng, family, *potency),
        terpenes=_terpenes(rng, 0.5, 4.5) if live or rng.random() < 0.3 else [],
        description=f"{strain} {variant.lower()} on a 510 thread.",
    )


def _edible(rng: random.Random) -> _Product:
    flavor = rng.choice(_FLAVORS)
    style, pack, low, high, kind, custom = rng.choice(
        (
            ("Gummies", "10pk", 12, 25, "Gummy", "Gummies"),
            ("Gummies", "20pk", 15, 28, "Gummy", "Gummies"),
            ("Sour Chews", "10pk", 12, 22, "Chew", "Low Dose"),
            ("Chocolate Bar", "", 15, 28, "Chocolate", "Chocolates"),
            ("Mints", "20pk", 14, 24, "Mint", "Low Dose"),
            ("Sparkling Water", "12oz", 6, 10, "Beverage", "Drinks"),
        )
    )
    if kind == "Chocolate":
        flavor = rng.choice(("Dark", "Milk", "Sea Salt Caramel", "Espresso", "Cookies & Cream"))
    thc = rng.choice((100.0, 100.0, 100.0, 50.0, 200.0)) if kind != "Beverage" else rng.choice((5.0, 10.0))
    cannabinoids = [_fixed("THC", thc)]
    family = _family(rng)
    if family == "CBD":
        cannabinoids.append(_fixed("CBD", thc * rng.choice((1.0, 2.0))))
    if rng.random() < 0.15:
        cannabinoids.append(_fixed("CBN", float(rng.choice((25, 50)))))
        custom = "Sleep"
    # Some edibles are made with strain-specific terpene blends, reported in mg per package.
    terpenes = _terpenes(rng, 0.5, 8.0, unit="mg") if rng.random() < 0.3 else []
    return _Product(
        base=f"{flavor} {style}",
        variant=f"{pack} {thc:g}mg".strip(),
        price=_price(rng, low, high),
        weight=float(rng.choice((30, 40, 50, 60))),
        family=family,
        types=(kind,),
        customs=(custom,),
        cannabinoids=cannabinoids,
        terpenes=terpenes,
        description=f"{flavor} {kind.lower()}, {thc:g}mg THC per package.",
        mix_and_match=kind in ("Gummy", "Chocolate") and rng.random() < 0.4,
    )


def _concentrate(rng: random.Random) -> _Product:
    strain, family = rng.choice(STRAINS)
    kind, low, high, potency, custom = rng.choice(
        (
            ("Live Resin", 35, 60, (65.0, 82.0), "Live Resin"),
            ("Shatter", 25, 45, (70.0, 85.0), "Budget Dabs"),
            ("Badder", 30, 55, (68.0, 84.0), "Live Resin"),
            ("Rosin", 50, 80, (62.0, 78.0), "Solventless"),
            ("Diamonds", 45, 70, (85.0, 96.0), "Live Resin"),
        )
    )
    return _Product(
        base=f"{strain} {kind}",
        variant="1g",
        price=_price(rng, low, high),
        strain=strain,
        family=family,
        types=(kind,),
        customs=(custom,),
        cannabinoids=_extract_cannabinoids(rng, family, *potency),
        terpenes=_terpenes(rng, 0.3, 5.0),
        description=f"{strain} {kind.lower()}, extracted from fresh-frozen plants.",
    )


def _tincture(rng: random.Random) -> _Product:
    style, thc, cbd, kind = rng.choice(
        (
            ("THC Tincture", 300.0, 0.0, "Tincture"),
            ("1:1 Tincture", 300.0, 300.0, "Tincture"),
            ("CBD Tincture", 30.0, 600.0, "Tincture"),
            ("Sleep Spray", 300.0, 0.0, "Spray"),
        )
    )
    cannabinoids = [_fixed("THC", thc)]
    if cbd:
        cannabinoids.append(_fixed("CBD", cbd))
    if style.startswith("Sleep"):
        cannabinoids.append(_fixed("CBN", 150.0))
    return _Product(
        base=style,
        variant=f"30ml {thc + cbd:g}mg",
        price=_price(rng, 35, 80),
        weight=30.0,
        family="CBD" if cbd > thc else rng.choice(("Hybrid", "Indica", "Sativa")),
        types=(kind,),
        customs=("Sublingual", "Wellness"),
        cannabinoids=cannabinoids,
        description="MCT oil tincture with a graduated dropper.",
    )


def _topical(rng: random.Random) -> _Product:
    style, weight, mg, kind = rng.choice(
        (
            ("Relief Balm", 50.0, 500.0, "Balm"),
            ("Cooling Lotion", 100.0, 200.0, "Lotion"),
            ("Transdermal Patch", 1.0, 20.0, "Transdermal"),
            ("Massage Oil", 60.0, 250.0, "Lotion"),
        )
    )
    cannabinoids = [_fixed("THC", mg)]
    if rng.random() < 0.5:
        cannabinoids.append(_fixed("CBD", mg))
    return _Product(
        base=style,
        variant=f"{mg:g}mg",
        price=_price(rng, 20, 60),
        weight=weight,
        family="CBD" if len(cannabinoids) > 1 else "Hybrid",
        types=(kind,),
        customs=("Balms & Lotions", "Wellness"),
        cannabinoids=cannabinoids,
        description=f"{style.lower()} for localized relief; not for ingestion.",
    )


def _accessory(rng: random.Random) -> _Product:
    name, low, high, kind, custom = rng.choice(
        (
            ("Rolling Papers 1 1/4", 2, 4, "Papers", "Smoking Supplies"),
            ("Glass Spoon Pipe", 15, 40, "Pipe", "Glassware"),
            ("Herb Grinder 4pc", 18, 35, "Grinder", "Smoking Supplies"),
            ("510 Battery", 15, 30, "Battery", "Batteries"),
            ("Hemp Wick 10ft", 3, 6, "Papers", "Smoking Supplies"),
            ("Lighter", 2, 5, "Lighter", "Smoking Supplies"),
        )
    )
    return _Product(
        base=name,
        variant="Each",
        price=_price(rng, low, high),
        weight=float(rng.choice((10, 25, 60, 120))),
        types=(kind,),
        customs=(custom,),
        description=f"{name}. No cannabis content.",
    )


_MAKERS: dict[str, Callable[[random.Random], _Product]] = {
    "Flower": _flower,
    "Pre-Rolls": _pre_roll,
    "Vape": _vape,
    "Edibles": _edible,
    "Concentrates": _concentrate,
    "Tinctures": _tincture,
    "Topicals": _topical,
    "Accessories": _accessory,
}
_PRICE_PROFILES: dict[str, str] = {"rec": "Adult-Use", "med": "Medical", "both": "Standard"}


def _upc(rng: random.Random) -> str:
    """A valid 12-digit UPC-A (with its check digit)."""
    digits = [rng.randint(0, 9) for _ in range(11)]
    check = (10 - (3 * sum(digits[0::2]) + sum(digits[1::2])) % 10) % 10
    return "".join(map(str, digits)) + str(check)


def _make_product(rng: random.Random, product_id: int, parents: dict[tuple[str, str, str], int]) -> JSON:
    category = rng.choices(CATEGORIES, weights=_CATEGORY_WEIGHTS)[0]
    product = _MAKERS[category](rng)
    brand = rng.choice(_BRANDS_BY_CATEGORY[category])
    parent_key = (brand.name, category, product.base)
    parent_id = parents.setdefault(parent_key, 800001 + len(parents))

    accessory = category == "Accessories"
    purchase_category = rng.choices(("both", "rec", "med"), weights=(60, 25, 15))[0] if not accessory else "both"
    custom = None
    if rng.random() < 0.4:
        custom = "House Flower" if brand.name == HOUSE_BRAND and category == "Flower" else rng.choice(product.customs)
    kind = rng.choice(product.types) if rng.random() < 0.8 else None
    species = rng.choice(_SPELLINGS[product.family]) if product.family else None
    supplier = f"{brand.name} LLC" if brand.name != HOUSE_BRAND and rng.random() < 0.7 else rng.choice(_DISTRIBUTORS)
    tax_rate = ACCESSORY_TAX_RATE if accessory else CANNABIS_TAX_RATE
    unit = "g" if product.sold_by_weight else "each"
    grams = 1.0 if product.sold_by_weight else product.weight

    created = CATALOGUE_AS_OF - timedelta(days=365) + timedelta(seconds=rng.randint(0, 300 * 86400))
    created = created.replace(microsecond=rng.randint(0, 999) * 1000)
    updated = min(created + timedelta(seconds=rng.randint(0, 120 * 86400)), CATALOGUE_AS_OF)
    picture = f"/_sandbox/images/{product_id}.png" if rng.random() < 0.8 else None

    return {
        "productId": product_id,
        "productName": product.base if accessory else f"{product.base} {product.variant}",
        "parentProductId": parent_id,
        "parentProductName": f"{brand.name} {product.base}",
        "variantId": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "variantName": product.variant,
        "sku": f"{brand.code}-{_CATEGORY_CODES[category]}-{product_id}",
        "regulatoryId": None if accessory else f"1A4050300002{rng.randint(0, 999999):06d}{rng.randint(0, 999999):06d}",
        "brand": brand.name,
        "category": category,
        "customCategoryName": custom,
        "type": kind,
        "purchaseCategory": purchase_category,
        "speciesName": species,
        "strainName": product.strain,
        "supplierName": supplier,
        "tags": sorted(rng.sample(_TAGS, rng.randint(1, 2))) if rng.random() < 0.2 else [],
        "effects": sorted(rng.sample(_EFFECTS, rng.randint(1, 3))) if product.strain and rng.random() < 0.3 else [],
        "cannabinoidInformation": product.cannabinoids,
        "terpenes": product.terpenes,
        "priceInMinorUnits": product.price,
        "preTaxPriceInPennies": product.price,
        "postTaxPriceInPennies": round(product.price * (1 + tax_rate)),
        "costInMinorUnits": round(product.price * rng.uniform(0.35, 0.55)),
        "currencyCode": "USD",
        "priceProfileName": _PRICE_PROFILES[purchase_category],
        "weightTierInformation": product.tiers,
        "quantity": 0,
        "inventoryUnitOfMeasure": unit,
        "inventoryUnitOfMeasureToGramsMultiplier": 1.0 if unit == "g" else grams,
        "productUnitOfMeasure": unit,
        "productUnitOfMeasureToGramsMultiplier": 1.0 if unit == "g" else grams,
        "productWeight": product.weight,
        "isSoldByWeight": product.sold_by_weight,
        "productDescription": product.description if rng.random() < 0.9 else "",
        "productPictureURL": picture,
        "isMixAndMatch": product.mix_and_match,
        "isStackable": rng.random() < 0.3,
        "locationId": None,
        "locationName": None,
        "createdAt": iso_ms(created),
        "productUpdatedAt": iso_ms(max(updated, created)),
        **_receiving(product_id, category, created),
    }


def _receiving(product_id: int, category: str, created: datetime) -> JSON:
    """The fields an item carries from how it was received (vendor-apis.md §2 InventoryItem, "Other";
    flowhub-client-ts ``src/types/inventory.ts``): ``clientId`` (the owner's, set when served),
    ``expirationDate`` (edibles and tinctures mostly), ``invoiceNumber``, ``manifestId`` (a METRC transfer
    manifest, cannabis only) and ``nutrients`` (null in every example seen). A generator of its own, so that
    adding these fields changed no other value of the catalogue."""
    rng = random.Random(f"flowhub-receiving:{product_id}")
    perishable = category in ("Edibles", "Tinctures", "Topicals")
    expires = (created + timedelta(days=rng.randint(180, 540))).date().isoformat()
    return {
        "clientId": None,
        "expirationDate": expires if perishable or rng.random() < 0.1 else None,
        "invoiceNumber": f"INV-{created.year}-{rng.randint(1, 9999):04d}" if rng.random() < 0.7 else None,
        "manifestId": f"{rng.randint(1, 99999999):010d}" if category != "Accessories" and rng.random() < 0.8 else None,
        "nutrients": None,
    }


def _malformed_count(items: int) -> int:
    """About 1 in 100, and at least one of each kind (so at least 3) once there are 50 products."""
    if items < 50:
        return items // 100
    return max(len(MALFORMED_KINDS), round(items / 100))


def _corrupt(product: JSON, kind: str) -> None:
    """Damage a record the way real back-office data gets damaged."""
    if kind == "missing_name":
        del product["productName"]
    elif kind == "negative_price":
        product.update(priceInMinorUnits=-2500, preTaxPriceInPennies=-2500)
    elif kind == "price_is_string":
        product["priceInMinorUnits"] = "24.99"
    elif kind == "cannabinoid_not_numeric":
        rest = [c for c in product["cannabinoidInformation"] if c["name"] != "THC"]
        broken = {**_fixed("THC", 0.0, "%"), "lowerRange": "n/a"}
        product["cannabinoidInformation"] = [broken, *rest]
    else:  # pragma: no cover - guarded by MALFORMED_KINDS
        raise ValueError(kind)


def _cover_spellings_and_terpenes(rng: random.Random, products: list[JSON], malformed: dict[int, str]) -> None:
    """Make sure every speciesName spelling and every article terpene occurs at least once."""
    healthy = [p for p in products if p["productId"] not in malformed]
    counts = Counter(p["speciesName"] for p in healthy if p["speciesName"])
    for spelling in SPECIES_NAMES:
        if counts[spelling]:
            continue
        family = _FAMILY_OF[spelling]
        same_family = [
            p
            for p in healthy
            if p["speciesName"] and _FAMILY_OF[p["speciesName"]] == family and counts[p["speciesName"]] > 1
        ]
        donors = same_family or [p for p in healthy if p["speciesName"] and counts[p["speciesName"]] > 1]
        if donors:
            donor = rng.choice(donors)
            counts[donor["speciesName"]] -= 1
            donor["speciesName"] = spelling
            counts[spelling] += 1
    seen = {t["name"] for p in healthy for t in p["terpenes"]}
    flowers = [p for p in healthy if p["category"] == "Flower" and p["terpenes"]]
    for name in TERPENES:
        if name not in seen and flowers:
            donor = rng.choice(flowers)
            donor["terpenes"] = [*donor["terpenes"], _potency(rng, name, 0.05, 0.3)]


def spread_over_rooms(rng: random.Random, rooms: tuple[tuple[str, str], ...], total: int) -> dict[str, int]:
    """Spread ``total`` over the rooms: mostly the sales floor, some in the vault or back stock."""
    if total == 0:
        return {}
    floor, vault, back, quarantine = (room for room, _ in rooms)
    roll = rng.random()
    if roll < 0.55:
        split = {floor: total}
    elif roll < 0.8:
        on_floor = rng.randint(0, total)
        split = {floor: on_floor, vault: total - on_floor}
    elif roll < 0.92:
        on_floor = rng.randint(0, total)
        split = {floor: on_floor, back: total - on_floor}
    else:
        split = {vault: total}
    if rng.random() < 0.05:
        split[quarantine] = rng.randint(1, 5)
    return {room: quantity for room, quantity in split.items() if quantity > 0}


def generate_catalogue(items: int, seed: int) -> Catalogue:
    """Build ``items`` products (ids ``30001`` upwards) and their stock by room at each location."""
    if items < 0:
        raise ValueError("items must be >= 0")
    rng = random.Random(f"flowhub-items:{seed}")
    parents: dict[tuple[str, str, str], int] = {}
    products = [_make_product(rng, FIRST_PRODUCT_ID + index, parents) for index in range(items)]
    upcs = {p["productId"]: (_upc(rng) if rng.random() < 0.85 else None) for p in products}

    malformed: dict[int, str] = {}
    for n, index in enumerate(sorted(rng.sample(range(items), _malformed_count(items)))):
        kind = MALFORMED_KINDS[n % len(MALFORMED_KINDS)]
        _corrupt(products[index], kind)
        malformed[products[index]["productId"]] = kind
    if items >= 50:
        _cover_spellings_and_terpenes(rng, products, malformed)

    stock: dict[str, dict[int, dict[str, int]]] = {location["locationId"]: {} for location in LOCATIONS}
    for product in products:
        product_id = product["productId"]
        by_weight = product["isSoldByWeight"]
        for location, probability in zip(LOCATIONS, _CARRY_PROBABILITY, strict=True):
            location_id = location["locationId"]
            if product_id in malformed:
                stock[location_id][product_id] = {ROOMS[location_id][0][0]: rng.randint(5, 40)}
            elif rng.random() < probability:
                total = rng.randint(1, 1500) if by_weight else rng.randint(1, 120)
                if rng.random() < 0.07:
                    total = 0
                stock[location_id][product_id] = spread_over_rooms(rng, ROOMS[location_id], total)

    return Catalogue(
        locations=[dict(location) for location in LOCATIONS],
        products=products,
        upcs=upcs,
        stock=stock,
        malformed=malformed,
    )
