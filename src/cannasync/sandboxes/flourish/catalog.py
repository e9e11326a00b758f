"""Deterministic test data for the Flourish sandbox: facilities, items, stock, item art, customers,
retail discounts and an in-store sales history.

Everything comes from ``random.Random`` instances seeded from the caller's ``seed``, and every timestamp
is derived from a fixed epoch rather than the wall clock, so the same ``(items, seed)`` always yields the
same catalogue, byte for byte. That is what lets the connector's tests, the demo and the benchmark
assert on concrete records. The one exception is the sales history (``generate_sales``): its timestamps
are offsets before an ``as_of`` instant the caller passes (the sandbox passes its creation time unless
told otherwise), so that "the last 60 days" stays the last 60 days; everything else about it is fixed
by the seed.

This module generates the facilities, items, stock, art and brands; ``seeds.py`` generates the customers,
retail discounts, sales history, sales reps and destinations by the same rules, and ``fleet.py`` the
generated facilities' stock.

Data added for the loyalty side draws from random streams of its own (never from the item or customer
streams), so adding it left every earlier record byte-identical: the optional third facility, the
customers' home facility and out-of-state customers do not disturb items, stock at 101/102 or art.

The records are plain JSON-ready dicts using Flourish's field names, because the sandbox serves them as
they are. The generator also plants a few malformed (but active, e-commerce-active and sellable) items
that a careful connector has to quarantine; their ids and the kind of damage are returned alongside.

Wholesale data (the LeafLink bridge, cannasync issue 6): the brand list (``BRANDS`` plus the two
``WHOLESALE_BRANDS``), sales reps and destinations are fixed, seed-independent tables. A handful of items
are re-branded to the wholesale brands ("Glacier Lake" and "North Coast") after generation, chosen by a
random stream of their own among well-formed items on sale at facility 101. That is the one change to
records that existed before: those few items' ``brand``, ``brand_id``, ``sku`` prefix and brand-bearing
display names; every other item, all stock and all art are byte-identical to what they were.

Well-known records (present for every seed)
-------------------------------------------
* Facilities ``"101"`` (Great Lakes Provisions - Ann Arbor) and ``"102"`` (… - Grand Rapids); with
  ``create_app(..., facilities=3)`` also ``"103"`` (… - Lansing), a facility a merchant may not have
  mapped, with items stocked there too. The default stays two facilities because the hub's tests and demo
  expect exactly ``["101", "102"]``.
* Items have ids ``"10001"`` upwards; the malformed ones are listed in ``FlourishSandbox.malformed``
  (id → kind of damage) and ``FlourishSandbox.malformed_ids``.
* Brands ``"301"``-``"315"`` (the generator's) plus the two wholesale brands ``"316"`` **Glacier Lake**
  and ``"317"`` **North Coast** (not to be confused with ``"315"`` North Coast Labs). For every seed and
  catalogue size, up to three items per wholesale brand (six in all; fewer only in a catalogue too small
  to have them) are well-formed, active, ``ecommerce_active``, sellable, priced and in stock at facility
  101: ``FlourishSandbox.wholesale_items`` (item id → brand name), or ``GET /items/?brand_name=Glacier
  Lake``. Their SKUs start ``GLK-`` and ``NCO-``. The bridge's tests can route brand → LeafLink account
  from these two names.

The customers, discounts, sales reps and destinations every seed has: ``seeds.py``.

Choices where Flourish's public notes are silent
------------------------------------------------
Each is a guess kept easy to change; none is confirmed by Flourish.

1. Item detail fields: ``med_price`` (number or null; the medical price when it differs), ``price_tiers``
   (``[{"name": "1/8 oz", "quantity": 3.5, "uom": "g", "price": 35.0}]``; present on bulk flower sold by
   the gram, ``[]`` otherwise), ``cannabinoids`` (``[{"name", "value", "uom": "%"|"mg"}]``, % for flower,
   pre-rolls, vapes and concentrates, mg for edibles, tinctures and topicals, ``[]`` for accessories) and
   ``terpenes`` (``[{"name", "value", "uom": "%"}]``). Items also carry ``inventory_type``,
   ``uom_description`` and ``weight_uom_description`` (read by the vendor plugin). Item ``uom`` is
   ``ea`` or ``g`` (bulk flower).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cannasync.sandboxes._kit.values import iso_ms

JSON = dict[str, Any]

#: Catalogue timestamps are spread over the year before this instant (never the wall clock).
CATALOGUE_AS_OF = datetime(2025, 6, 1, 12, 0, 0, tzinfo=UTC)

#: The 16 terpene names, written exactly as in Flourish's lab data (seed 000).
TERPENES: tuple[str, ...] = (
    "3-Carene",
    "Alpha Pinene",
    "Beta Caryophyllene",
    "Beta Eudesmol",
    "Beta Myrcene",
    "Beta Pinene",
    "Bisabolol",
    "Caryophyllene Oxide",
    "Guaiol",
    "Humulene",
    "Limonene",
    "Linalool",
    "Ocimene",
    "Terpinolene",
    "Terpinene",
    "Trans-Nerolidol",
)
#: Terpenes Flourish can report that are outside the list above; a connector must tolerate them.
EXTRA_TERPENES: tuple[str, ...] = ("Valencene", "Farnesene")

CATEGORIES: tuple[str, ...] = (
    "Flower",
    "Pre-Rolls",
    "Vapes",
    "Edibles",
    "Concentrates",
    "Tinctures",
    "Topicals",
    "Accessories",
)
_CATEGORY_WEIGHTS: tuple[int, ...] = (30, 15, 15, 15, 10, 5, 4, 6)

#: The kinds of damage planted in malformed items, in the order they are handed out.
MALFORMED_KINDS: tuple[str, ...] = (
    "no_name",
    "price_not_numeric",
    "negative_price",
    "cannabinoid_not_numeric",
)

FACILITIES: tuple[JSON, ...] = (
    {
        "id": "101",
        "facility_name": "Great Lakes Provisions - Ann Arbor",
        "facility_type": "Retail",
        "license_number": "AU-R-000417",
        "address": {
            "address_line_1": "2150 Packard St",
            "city": "Ann Arbor",
            "state": "MI",
            "postcode": "48104",
        },
    },
    {
        "id": "102",
        "facility_name": "Great Lakes Provisions - Grand Rapids",
        "facility_type": "Retail",
        "license_number": "AU-R-000588",
        "address": {
            "address_line_1": "840 Leonard St NW",
            "city": "Grand Rapids",
            "state": "MI",
            "postcode": "49504",
        },
    },
)

#: The optional third facility (``facilities=3``): a store a merchant may not have mapped yet.
LANSING: JSON = {
    "id": "103",
    "facility_name": "Great Lakes Provisions - Lansing",
    "facility_type": "Retail",
    "license_number": "AU-R-000731",
    "address": {
        "address_line_1": "1210 E Michigan Ave",
        "city": "Lansing",
        "state": "MI",
        "postcode": "48912",
    },
}

# Probability that an item is stocked at each facility (in facility order).
_STOCK_PROBABILITY: tuple[float, ...] = (0.9, 0.7)
_LANSING_STOCK_PROBABILITY = 0.8


def facilities_for(count: int) -> tuple[JSON, ...]:
    """The first ``count`` facilities: 2 (Ann Arbor, Grand Rapids; the default) or 3 (plus Lansing)."""
    if count == 2:
        return FACILITIES
    if count == 3:
        return (*FACILITIES, LANSING)
    raise ValueError("facilities must be 2 or 3")


@dataclass(frozen=True)
class Brand:
    """An invented brand and the categories it makes."""

    id: str
    name: str
    code: str
    categories: tuple[str, ...]


BRANDS: tuple[Brand, ...] = (
    Brand("301", "Greenhaven Gardens", "GHG", ("Flower", "Pre-Rolls")),
    Brand("302", "Tall Pine Cultivation", "TPC", ("Flower", "Pre-Rolls", "Concentrates")),
    Brand("303", "Lakeshore Botanicals", "LKB", ("Flower", "Vapes", "Tinctures")),
    Brand("304", "Copper Kettle Kitchen", "CKK", ("Edibles",)),
    Brand("305", "Velvet Leaf", "VLF", ("Flower", "Pre-Rolls", "Vapes")),
    Brand("306", "Cloud Harbor Extracts", "CHE", ("Vapes", "Concentrates")),
    Brand("307", "Sunday Drive", "SDR", ("Pre-Rolls", "Flower")),
    Brand("308", "Mitten State Growers", "MSG", ("Flower", "Pre-Rolls")),
    Brand("309", "Prairie Sun Farms", "PSF", ("Flower", "Edibles", "Tinctures")),
    Brand("310", "Honeybee Apothecary", "HBA", ("Topicals", "Tinctures", "Edibles")),
    Brand("311", "Blue Ridge Resin", "BRR", ("Concentrates", "Vapes")),
    Brand("312", "Wild Orchard Confections", "WOC", ("Edibles",)),
    Brand("313", "Ember & Ash", "EMA", ("Pre-Rolls", "Accessories")),
    Brand("314", "Pocket Torch Supply", "PTS", ("Accessories",)),
    Brand("315", "North Coast Labs", "NCL", ("Vapes", "Concentrates", "Topicals")),
)

#: Brands a wholesale seller also lists on LeafLink under the same names (cannasync issue 6). They are kept
#: out of ``BRANDS`` (which drives item generation) so that adding them left the catalogue as it was; a few
#: items are re-branded to them afterwards (see ``generate_catalogue``). "North Coast" is deliberately a
#: near-namesake of "North Coast Labs": brand matching has to be exact.
WHOLESALE_BRANDS: tuple[Brand, ...] = (
    Brand("316", "Glacier Lake", "GLK", ("Flower", "Pre-Rolls", "Edibles")),
    Brand("317", "North Coast", "NCO", ("Vapes", "Concentrates", "Tinctures")),
)
#: Every brand served by ``GET /brands/``, in id order.
ALL_BRANDS: tuple[Brand, ...] = (*BRANDS, *WHOLESALE_BRANDS)
#: How many items each wholesale brand gets (fewer if the catalogue is too small).
WHOLESALE_ITEMS_PER_BRAND = 3
#: The facility whose shelves the wholesale items are chosen from (in stock there, e-commerce active).
WHOLESALE_FACILITY = "101"


def brand_records() -> list[JSON]:
    """The brand list as ``GET /brands/`` serves it: ``{"id", "brand_name"}`` in id order."""
    return [{"id": brand.id, "brand_name": brand.name} for brand in ALL_BRANDS]


# (strain name, strain type). CBD-dominant strains carry the "CBD" type.
STRAINS: tuple[tuple[str, str], ...] = (
    ("Blue Dream", "Hybrid"),
    ("OG Kush", "Hybrid"),
    ("Sour Diesel", "Sativa"),
    ("Girl Scout Cookies", "Hybrid"),
    ("Gelato", "Hybrid"),
    ("Wedding Cake", "Indica"),
    ("Granddaddy Purple", "Indica"),
    ("Jack Herer", "Sativa"),
    ("Green Crack", "Sativa"),
    ("Northern Lights", "Indica"),
    ("Purple Punch", "Indica"),
    ("Runtz", "Hybrid"),
    ("Zkittlez", "Indica"),
    ("Gorilla Glue #4", "Hybrid"),
    ("Durban Poison", "Sativa"),
    ("Pineapple Express", "Hybrid"),
    ("Super Lemon Haze", "Sativa"),
    ("Bubba Kush", "Indica"),
    ("White Widow", "Hybrid"),
    ("Ice Cream Cake", "Indica"),
    ("Strawberry Cough", "Sativa"),
    ("Tangie", "Sativa"),
    ("Mimosa", "Sativa"),
    ("Apple Fritter", "Hybrid"),
    ("Lemon Cherry Gelato", "Hybrid"),
    ("Biscotti", "Indica"),
    ("Do-Si-Dos", "Indica"),
    ("Trainwreck", "Sativa"),
    ("Cherry Pie", "Hybrid"),
    ("Forbidden Fruit", "Indica"),
    ("Maui Wowie", "Sativa"),
    ("Skywalker OG", "Indica"),
    ("Jealousy", "Hybrid"),
    ("GMO Cookies", "Indica"),
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
    "Lemon",
    "Grape",
    "Peach",
    "Strawberry Lemonade",
    "Huckleberry",
)


@dataclass
class Catalogue:
    """Everything the generator produces for one ``(items, seed)``.

    ``stock`` maps facility id → item id → quantities; an item missing from a facility's map is not
    stocked there. ``art`` maps item id → the image kinds it has (items without art are absent).
    """

    facilities: list[JSON]
    items: list[JSON]
    malformed: dict[str, str] = field(default_factory=dict)
    stock: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)
    art: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: Item id → wholesale brand name, for the items re-branded to ``WHOLESALE_BRANDS``.
    wholesale: dict[str, str] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------------
# Items


@dataclass
class _Product:
    """The category-specific part of an item, before the common fields are added."""

    name: str
    price: float
    uom: str = "ea"
    unit_weight: float = 1.0
    weight_uom: str = "g"
    strain: tuple[str, str] | None = None
    strain_type: str | None = None
    sub_categories: tuple[str, ...] = ()
    cannabinoids: list[JSON] = field(default_factory=list)
    terpenes: list[JSON] = field(default_factory=list)
    price_tiers: list[JSON] = field(default_factory=list)
    description: str = ""


def _dollars(rng: random.Random, low: float, high: float) -> float:
    """A shelf price: whole dollars, sometimes ending in .99 or .50."""
    whole = rng.randint(int(low), int(high))
    return round(whole + rng.choice((0.0, 0.0, 0.0, 0.5, 0.99)), 2)


def _pct(rng: random.Random, low: float, high: float) -> float:
    return round(rng.uniform(low, high), 2)


def _flower_cannabinoids(rng: random.Random, strain_type: str, scale: float = 1.0) -> list[JSON]:
    """Lab results of a flower-like product in percent (raw flower carries mostly THCa and CBDa)."""
    if strain_type == "CBD":
        result = [
            {"name": "THC", "value": _pct(rng, 0.1, 0.6), "uom": "%"},
            {"name": "THCa", "value": _pct(rng, 4 * scale, 9 * scale), "uom": "%"},
            {"name": "CBD", "value": _pct(rng, 0.2, 1.2), "uom": "%"},
            {"name": "CBDa", "value": _pct(rng, 8 * scale, 16 * scale), "uom": "%"},
        ]
    else:
        result = [
            {"name": "THC", "value": _pct(rng, 0.3, 1.8), "uom": "%"},
            {"name": "THCa", "value": _pct(rng, 16 * scale, 31 * scale), "uom": "%"},
        ]
        if rng.random() < 0.5:
            result.append({"name": "CBDa", "value": _pct(rng, 0.02, 0.4), "uom": "%"})
    result.append({"name": "CBG", "value": _pct(rng, 0.1, 1.6), "uom": "%"})
    if rng.random() < 0.4:
        result.append({"name": "CBN", "value": _pct(rng, 0.01, 0.3), "uom": "%"})
    if rng.random() < 0.25:
        result.append({"name": "CBC", "value": _pct(rng, 0.01, 0.4), "uom": "%"})
    return result


def _extract_cannabinoids(rng: random.Random, strain_type: str, low: float, high: float) -> list[JSON]:
    """Lab results of a vape or concentrate in percent (mostly activated THC or THCa)."""
    if strain_type == "CBD":
        return [
            {"name": "THC", "value": _pct(rng, 20, 35), "uom": "%"},
            {"name": "CBD", "value": _pct(rng, 35, 55), "uom": "%"},
        ]
    result = [{"name": "THC", "value": _pct(rng, low, high), "uom": "%"}]
    if rng.random() < 0.5:
        result.append({"name": "THCa", "value": _pct(rng, 0.5, 6), "uom": "%"})
    if rng.random() < 0.6:
        result.append({"name": "CBG", "value": _pct(rng, 0.3, 3), "uom": "%"})
    if rng.random() < 0.3:
        result.append({"name": "CBN", "value": _pct(rng, 0.1, 1.5), "uom": "%"})
    return result


def _terpenes(rng: random.Random, low: float = 0.05, high: float = 1.4) -> list[JSON]:
    """3-6 terpenes, strongest first; now and then one outside the documented list of 16."""
    names = rng.sample(TERPENES, rng.randint(3, 6))
    if rng.random() < 0.1:
        names.append(rng.choice(EXTRA_TERPENES))
    result: list[JSON] = [{"name": name, "value": _pct(rng, low, high), "uom": "%"} for name in names]
    result.sort(key=lambda terpene: -float(terpene["value"]))
    return result


def _pick_strain(rng: random.Random) -> tuple[str, str]:
    return rng.choice(STRAINS)


def _flower(rng: random.Random) -> _Product:
    strain = _pick_strain(rng)
    kind = rng.choice(("Indoor Flower", "Indoor Flower", "Greenhouse Flower", "Outdoor Flower", "Smalls"))
    sub = (kind,)
    cannabinoids = _flower_cannabinoids(rng, strain[1])
    terpenes = _terpenes(rng, 0.05, 1.2)
    if rng.random() < 0.4:
        # Bulk ("deli") flower sold by the gram, with weight tiers at a volume discount.
        per_gram = _dollars(rng, 7, 15)
        tiers = [
            ("1g", 1.0, 1.0),
            ("1/8 oz", 3.5, 0.95),
            ("1/4 oz", 7.0, 0.9),
            ("1/2 oz", 14.0, 0.85),
            ("1 oz", 28.0, 0.78),
        ]
        price_tiers = [
            {"name": name, "quantity": qty, "uom": "g", "price": float(round(per_gram * qty * factor))}
            for name, qty, factor in tiers
        ]
        price_tiers[0]["price"] = per_gram
        return _Product(
            name=f"{strain[0]} Bulk Flower",
            price=per_gram,
            uom="g",
            unit_weight=1.0,
            strain=strain,
            sub_categories=sub,
            cannabinoids=cannabinoids,
            terpenes=terpenes,
            price_tiers=price_tiers,
            description=f"{strain[0]} {kind.lower()}, weighed to order at the counter.",
        )
    weight, low, high = rng.choice(
        ((3.5, 25, 55), (3.5, 25, 55), (3.5, 25, 55), (7.0, 45, 95), (14.0, 80, 170), (28.0, 140, 300))
    )
    label = f"{weight:g}g"
    return _Product(
        name=f"{strain[0]} {label}",
        price=_dollars(rng, low, high),
        unit_weight=weight,
        strain=strain,
        sub_categories=sub,
        cannabinoids=cannabinoids,
        terpenes=terpenes,
        description=f"{label} of {strain[0]} ({strain[1].lower()}), {kind.lower()}, hand-trimmed and cured.",
    )


def _pre_roll(rng: random.Random) -> _Product:
    strain = _pick_strain(rng)
    style, weight, low, high, scale = rng.choice(
        (
            ("Pre-Roll 1g", 1.0, 8, 16, 1.0),
            ("Pre-Roll 1g", 1.0, 8, 16, 1.0),
            ("Pre-Roll 5pk 2.5g", 2.5, 25, 45, 1.0),
            ("Infused Pre-Roll 1g", 1.0, 15, 28, 1.3),
        )
    )
    sub = ("Infused Pre-Rolls",) if style.startswith("Infused") else ("Singles", "Multi-Packs")
    return _Product(
        name=f"{strain[0]} {style}",
        price=_dollars(rng, low, high),
        unit_weight=weight,
        strain=strain,
        sub_categories=sub,
        cannabinoids=_flower_cannabinoids(rng, strain[1], scale),
        terpenes=_terpenes(rng, 0.05, 1.0),
        description=f"{strain[0]} rolled in unbleached paper with a crutch.",
    )


def _vape(rng: random.Random) -> _Product:
    strain = _pick_strain(rng)
    style, weight, low, high, sub, potency = rng.choice(
        (
            ("Live Resin Cart 0.5g", 0.5, 28, 48, "Live Resin Carts", (65.0, 84.0)),
            ("Live Resin Cart 1g", 1.0, 45, 70, "Live Resin Carts", (65.0, 84.0)),
            ("Distillate Cart 1g", 1.0, 35, 55, "Distillate Carts", (82.0, 93.0)),
            ("All-in-One 0.5g", 0.5, 30, 50, "Disposables", (75.0, 90.0)),
        )
    )
    live = sub == "Live Resin Carts"
    return _Product(
        name=f"{strain[0]} {style}",
        price=_dollars(rng, low, high),
        unit_weight=weight,
        strain=strain,
        sub_categories=(sub,),
        cannabinoids=_extract_cannabinoids(rng, strain[1], *potency),
        terpenes=_terpenes(rng, 0.5, 4.5) if live or rng.random() < 0.3 else [],
        description=f"{strain[0]} {sub.lower()[:-1]} on a 510 thread.",
    )


def _edible(rng: random.Random) -> _Product:
    flavor = rng.choice(_FLAVORS)
    fmt, low, high, sub = rng.choice(
        (
            ("Gummies 10pk", 12, 25, "Gummies"),
            ("Gummies 20pk", 15, 28, "Gummies"),
            ("Sour Chews 10pk", 12, 22, "Chews"),
            ("Chocolate Bar", 15, 28, "Chocolates"),
            ("Mints 20pk", 14, 24, "Mints"),
        )
    )
    if fmt == "Chocolate Bar":
        flavor = rng.choice(("Dark", "Milk", "Sea Salt Caramel", "Espresso", "Cookies & Cream"))
    thc_mg = rng.choice((100.0, 100.0, 100.0, 50.0, 200.0))
    cbd_mg = 0.0
    ratio = ""
    strain_type = "THC"
    if rng.random() < 0.2:
        cbd_mg = thc_mg * rng.choice((1.0, 2.0))
        ratio = f"{cbd_mg / thc_mg:g}:1 CBD:THC "
        strain_type = "CBD" if cbd_mg > thc_mg else "THC"
    elif rng.random() < 0.25:
        strain_type = rng.choice(("Sativa", "Indica", "Hybrid"))
    cannabinoids = [{"name": "THC", "value": thc_mg, "uom": "mg"}]
    if cbd_mg:
        cannabinoids.append({"name": "CBD", "value": cbd_mg, "uom": "mg"})
    if rng.random() < 0.15:
        cannabinoids.append({"name": "CBN", "value": float(rng.choice((25, 50))), "uom": "mg"})
    return _Product(
        name=f"{flavor} {ratio}{fmt} {thc_mg:g}mg",
        price=_dollars(rng, low, high),
        unit_weight=float(rng.choice((30, 40, 50, 60))),
        strain_type=strain_type,
        sub_categories=(sub,),
        cannabinoids=cannabinoids,
        description=f"{flavor} {sub.lower()}, {thc_mg:g}mg THC per package.",
    )


def _concentrate(rng: random.Random) -> _Product:
    strain = _pick_strain(rng)
    style, low, high, potency = rng.choice(
        (
            ("Live Resin 1g", 35, 60, (65.0, 82.0)),
            ("Shatter 1g", 25, 45, (70.0, 85.0)),
            ("Badder 1g", 30, 55, (68.0, 84.0)),
            ("Live Rosin 1g", 50, 80, (62.0, 78.0)),
            ("Diamonds 1g", 45, 70, (85.0, 96.0)),
        )
    )
    kind = style.removesuffix(" 1g")
    return _Product(
        name=f"{strain[0]} {style}",
        price=_dollars(rng, low, high),
        unit_weight=1.0,
        strain=strain,
        sub_categories=(kind,),
        cannabinoids=_extract_cannabinoids(rng, strain[1], *potency),
        terpenes=_terpenes(rng, 0.3, 5.0),
        description=f"{strain[0]} {kind.lower()}, extracted from fresh-frozen plants.",
    )


def _tincture(rng: random.Random) -> _Product:
    style, thc, cbd = rng.choice(
        (
            ("THC Tincture 30ml", 300.0, 0.0),
            ("1:1 Tincture 30ml", 300.0, 300.0),
            ("CBD Tincture 30ml", 30.0, 600.0),
            ("Sleep Tincture 30ml", 300.0, 0.0),
        )
    )
    cannabinoids = [{"name": "THC", "value": thc, "uom": "mg"}]
    if cbd:
        cannabinoids.append({"name": "CBD", "value": cbd, "uom": "mg"})
    if style.startswith("Sleep"):
        cannabinoids.append({"name": "CBN", "value": 150.0, "uom": "mg"})
    return _Product(
        name=f"{style} {thc + cbd:g}mg",
        price=_dollars(rng, 35, 80),
        unit_weight=30.0,
        weight_uom="ml",
        strain_type="CBD" if cbd > thc else "THC",
        sub_categories=("Tinctures", "Sublingual"),
        cannabinoids=cannabinoids,
        description="MCT oil tincture with a graduated dropper.",
    )


def _topical(rng: random.Random) -> _Product:
    style, weight, weight_uom, mg = rng.choice(
        (
            ("Relief Balm", 50.0, "g", 500.0),
            ("Cooling Lotion", 100.0, "ml", 200.0),
            ("Transdermal Patch", 1.0, "g", 20.0),
            ("Massage Oil", 60.0, "ml", 250.0),
        )
    )
    cannabinoids = [{"name": "THC", "value": mg, "uom": "mg"}]
    if rng.random() < 0.5:
        cannabinoids.append({"name": "CBD", "value": mg, "uom": "mg"})
    return _Product(
        name=f"{style} {mg:g}mg",
        price=_dollars(rng, 20, 60),
        unit_weight=weight,
        weight_uom=weight_uom,
        strain_type="CBD" if len(cannabinoids) > 1 else "THC",
        sub_categories=("Balms & Lotions",),
        cannabinoids=cannabinoids,
        description=f"{style.lower()} for localized relief; not for ingestion.",
    )


def _accessory(rng: random.Random) -> _Product:
    name, low, high = rng.choice(
        (
            ("Rolling Papers 1 1/4", 2, 4),
            ("Glass Spoon Pipe", 15, 40),
            ("Herb Grinder 4pc", 18, 35),
            ("510 Battery", 15, 30),
            ("Hemp Wick 10ft", 3, 6),
            ("Lighter", 2, 5),
            ("Doob Tubes 10pk", 5, 9),
        )
    )
    return _Product(
        name=name,
        price=_dollars(rng, low, high),
        unit_weight=float(rng.choice((10, 25, 60, 120))),
        sub_categories=("Gear",),
        description=f"{name}. No cannabis content.",
    )


_MAKERS: dict[str, Callable[[random.Random], _Product]] = {
    "Flower": _flower,
    "Pre-Rolls": _pre_roll,
    "Vapes": _vape,
    "Edibles": _edible,
    "Concentrates": _concentrate,
    "Tinctures": _tincture,
    "Topicals": _topical,
    "Accessories": _accessory,
}
_CATEGORY_CODES: dict[str, str] = {
    "Flower": "FL",
    "Pre-Rolls": "PR",
    "Vapes": "VP",
    "Edibles": "ED",
    "Concentrates": "CN",
    "Tinctures": "TN",
    "Topicals": "TP",
    "Accessories": "AC",
}
_UOM_DESCRIPTIONS: dict[str, str] = {"ea": "Each", "g": "Grams", "ml": "Milliliters", "mg": "Milligrams"}
_BRANDS_BY_CATEGORY: dict[str, tuple[Brand, ...]] = {
    category: tuple(brand for brand in BRANDS if category in brand.categories) for category in CATEGORIES
}
_BRAND_CODES: dict[str, str] = {brand.name: brand.code for brand in ALL_BRANDS}


def _make_item(rng: random.Random, item_id: int) -> JSON:
    category = rng.choices(CATEGORIES, weights=_CATEGORY_WEIGHTS)[0]
    product = _MAKERS[category](rng)
    brand = rng.choice(_BRANDS_BY_CATEGORY[category])

    # Names: item_name is the back-office name; retail/e-commerce names are optional overrides.
    naming = rng.random()
    retail_display_name = f"{brand.name} {product.name}" if naming < 0.85 else None
    ecommerce_item_name = f"{product.name} | {brand.name}" if naming < 0.6 else None

    # Roughly 10% are hidden from the store in one of three ways.
    hidden = rng.random()
    active = hidden >= 0.035
    ecommerce_active = not 0.035 <= hidden < 0.07
    sellable = not 0.07 <= hidden < 0.10

    is_medical = rng.random() < 0.3
    price = product.price
    med_price = round(price * rng.choice((0.85, 0.9)), 2) if is_medical and rng.random() < 0.7 else None

    created = CATALOGUE_AS_OF - timedelta(days=365) + timedelta(seconds=rng.randint(0, 300 * 86400))
    updated = min(created + timedelta(seconds=rng.randint(0, 120 * 86400)), CATALOGUE_AS_OF)
    created_ts = created.replace(microsecond=rng.randint(0, 999) * 1000)

    strain = product.strain
    return {
        "id": str(item_id),
        "item_name": product.name,
        "retail_display_name": retail_display_name,
        "ecommerce_item_name": ecommerce_item_name,
        "item_description": product.description,
        "sku": f"{brand.code}-{_CATEGORY_CODES[category]}-{item_id}",
        "item_category": category,
        "inventory_type": "Supplies" if category == "Accessories" else "Cannabis",
        "ecommerce_category_name": category if rng.random() < 0.8 else None,
        "ecommerce_sub_category_name": rng.choice(product.sub_categories) if rng.random() < 0.5 else None,
        "active": active,
        "ecommerce_active": ecommerce_active,
        "sellable": sellable,
        "is_medical": is_medical,
        "brand": brand.name,
        "brand_id": brand.id,
        "strain_name": strain[0] if strain else None,
        "strain_type_name": strain[1] if strain else product.strain_type,
        "uom": product.uom,
        "uom_description": _UOM_DESCRIPTIONS[product.uom],
        "unit_weight": product.unit_weight,
        "weight_uom": product.weight_uom,
        "weight_uom_description": _UOM_DESCRIPTIONS[product.weight_uom],
        "retail_price": price,
        "price": price,
        "med_price": med_price,
        "price_tiers": product.price_tiers,
        "cannabinoids": product.cannabinoids,
        "terpenes": product.terpenes,
        "created_timestamp": iso_ms(created_ts),
        "last_updated_timestamp": iso_ms(max(updated, created_ts)),
    }


def _malformed_count(items: int) -> int:
    """About 1 in 100, and at least one of each kind (so at least 3) once there are 50 items."""
    if items < 50:
        return items // 100
    return max(len(MALFORMED_KINDS), round(items / 100))


def _corrupt(item: JSON, kind: str) -> None:
    """Damage an item the way real back-office data gets damaged; it stays visible in the store."""
    item.update(active=True, ecommerce_active=True, sellable=True)
    if kind == "no_name":
        item.update(item_name="", retail_display_name=None, ecommerce_item_name=None)
    elif kind == "price_not_numeric":
        item.update(retail_price="TBD", price="TBD", med_price=None)
    elif kind == "negative_price":
        item.update(retail_price=-12.5, price=-12.5, med_price=None)
    elif kind == "cannabinoid_not_numeric":
        rest = [c for c in item["cannabinoids"] if c["name"] != "THC"]
        item["cannabinoids"] = [{"name": "THC", "value": "high", "uom": "%"}, *rest]
    else:  # pragma: no cover - guarded by MALFORMED_KINDS
        raise ValueError(kind)


def stock_row(rng: random.Random, uom: str) -> dict[str, int]:
    """One item's quantities at one facility, drawn from ``rng`` (bulk flower by the gram, the rest each)."""
    sellable = rng.randint(0, 2000) if uom == "g" else rng.randint(0, 120)
    if rng.random() < 0.05:
        sellable = 0
    non_available = rng.randint(1, 10) if rng.random() < 0.2 else 0
    return {"sellable_qty": sellable, "available_qty": sellable, "non_available_qty": non_available}


def generate_catalogue(items: int, seed: int, facilities: int = 2) -> Catalogue:
    """Build ``items`` items (ids ``"10001"`` upwards), their stock at each facility, and their art.

    ``facilities=3`` adds Lansing (``"103"``); its stock comes from a random stream of its own, so the
    rest of the catalogue is the same as with two facilities.
    """
    if items < 0:
        raise ValueError("items must be >= 0")
    chosen = facilities_for(facilities)
    rng = random.Random(f"flourish-items:{seed}")
    records = [_make_item(rng, 10001 + index) for index in range(items)]

    malformed: dict[str, str] = {}
    for n, index in enumerate(sorted(rng.sample(range(items), _malformed_count(items)))):
        kind = MALFORMED_KINDS[n % len(MALFORMED_KINDS)]
        _corrupt(records[index], kind)
        malformed[records[index]["id"]] = kind

    stock: dict[str, dict[str, dict[str, int]]] = {facility["id"]: {} for facility in FACILITIES}
    art: dict[str, tuple[str, ...]] = {}
    for item in records:
        empty_everywhere = rng.random() < 0.08 and item["id"] not in malformed
        for facility, probability in zip(FACILITIES, _STOCK_PROBABILITY, strict=True):
            if rng.random() < probability or item["id"] in malformed:
                quantities = stock_row(rng, item["uom"])
                if empty_everywhere:
                    quantities.update(sellable_qty=0, available_qty=0)
                stock[facility["id"]][item["id"]] = quantities
        if rng.random() < 0.8:
            kinds = ["product"]
            if rng.random() < 0.5:
                kinds.append("label")
            if rng.random() < 0.3:
                kinds.append("packaging")
            art[item["id"]] = tuple(kinds)

    if LANSING in chosen:
        lansing_rng = random.Random(f"flourish-items-103:{seed}")
        lansing: dict[str, dict[str, int]] = {}
        for item in records:
            if lansing_rng.random() < _LANSING_STOCK_PROBABILITY or item["id"] in malformed:
                lansing[item["id"]] = stock_row(lansing_rng, item["uom"])
        stock[LANSING["id"]] = lansing

    wholesale = _rebrand_for_wholesale(seed, records, malformed, stock[WHOLESALE_FACILITY])

    return Catalogue(
        facilities=[dict(facility) for facility in chosen],
        items=records,
        malformed=malformed,
        stock=stock,
        art=art,
        wholesale=wholesale,
    )


def _wholesale_ready(item: JSON, malformed: Mapping[str, str], shelf: Mapping[str, Mapping[str, int]]) -> bool:
    """Well-formed, active, e-commerce active, sellable, priced and in stock on ``shelf``."""
    price = item["retail_price"]
    return (
        item["id"] not in malformed
        and item["active"]
        and item["ecommerce_active"]
        and item["sellable"]
        and isinstance(price, int | float)
        and price > 0
        and shelf.get(item["id"], {}).get("sellable_qty", 0) > 0
    )


def rebrand(item: JSON, brand: Brand) -> None:
    """Give ``item`` to ``brand``: ``brand``, ``brand_id``, the SKU's brand code and the display names."""
    old = item["brand"]
    code = _BRAND_CODES.get(old)
    if code and isinstance(item.get("sku"), str) and item["sku"].startswith(code + "-"):
        item["sku"] = brand.code + item["sku"][len(code) :]
    for key in ("retail_display_name", "ecommerce_item_name"):
        value = item.get(key)
        if isinstance(value, str) and old:
            item[key] = value.replace(old, brand.name)
    item.update(brand=brand.name, brand_id=brand.id)


def _rebrand_for_wholesale(
    seed: int, records: Sequence[JSON], malformed: Mapping[str, str], shelf: Mapping[str, Mapping[str, int]]
) -> dict[str, str]:
    """Hand ``WHOLESALE_ITEMS_PER_BRAND`` ready items to each wholesale brand (preferring its categories).

    Draws from a random stream of its own, so nothing else about the catalogue changes.
    """
    rng = random.Random(f"flourish-wholesale:{seed}")
    ready = [item for item in records if _wholesale_ready(item, malformed, shelf)]
    chosen: dict[str, str] = {}
    for brand in WHOLESALE_BRANDS:
        free = [item for item in ready if item["id"] not in chosen]
        fitting = [item for item in free if item["item_category"] in brand.categories]
        picks = rng.sample(fitting, min(len(fitting), WHOLESALE_ITEMS_PER_BRAND))
        if len(picks) < WHOLESALE_ITEMS_PER_BRAND:
            rest = [item for item in free if item not in picks]
            picks += rng.sample(rest, min(len(rest), WHOLESALE_ITEMS_PER_BRAND - len(picks)))
        for item in sorted(picks, key=lambda record: int(record["id"])):
            rebrand(item, brand)
            chosen[item["id"]] = brand.name
    return dict(sorted(chosen.items(), key=lambda pair: int(pair[0])))


def new_item(item_id: str, brand: Brand, fields: Mapping[str, Any], stamp: str) -> JSON:
    """An item created by staff (the control route ``POST /_sandbox/items``), in the generated items' shape.

    ``fields`` (already validated) override the defaults: active, e-commerce active, sellable, not medical,
    sold each, no lab data. The SKU defaults to ``<brand code>-<category code>-<id>``.
    """
    category = str(fields.get("item_category") or "Flower")
    uom = str(fields.get("uom") or "ea")
    price = fields.get("retail_price")
    item: JSON = {
        "id": item_id,
        "item_name": None,
        "retail_display_name": None,
        "ecommerce_item_name": None,
        "item_description": "",
        "sku": f"{brand.code}-{_CATEGORY_CODES.get(category, 'XX')}-{item_id}",
        "item_category": category,
        "inventory_type": "Supplies" if category == "Accessories" else "Cannabis",
        "ecommerce_category_name": category,
        "ecommerce_sub_category_name": None,
        "active": True,
        "ecommerce_active": True,
        "sellable": True,
        "is_medical": False,
        "brand": brand.name,
        "brand_id": brand.id,
        "strain_name": None,
        "strain_type_name": None,
        "uom": uom,
        "uom_description": _UOM_DESCRIPTIONS.get(uom, uom),
        "unit_weight": 1.0,
        "weight_uom": "g",
        "weight_uom_description": _UOM_DESCRIPTIONS["g"],
        "retail_price": price,
        "price": price,
        "med_price": None,
        "price_tiers": [],
        "cannabinoids": [],
        "terpenes": [],
    }
    item.update(fields)
    item.update(id=item_id, brand=brand.name, brand_id=brand.id, created_timestamp=stamp, last_updated_timestamp=stamp)
    if "price" not in fields:
        item["price"] = item["retail_price"]
    return item
