"""Deterministic test data for the Alleaves sandbox: items and their stock by area at the well-known locations.

Everything comes from ``random.Random`` instances seeded from the caller's ``seed``, and every timestamp is
derived from a fixed epoch rather than the wall clock, so the same ``(items, seed)`` always yields the same
catalogue, byte for byte. Locations and their areas (``places.py``) and the well-known patients
(``people.py``) are the same for every seed.

Items are plain JSON-ready dicts with the field names of the wire format (``items.py``), in the order served,
**without** ``quantities`` and ``quantity_available`` (those depend on the location and the areas asked for;
the sandbox appends them). Image URLs are stored as paths (``/_sandbox/images/<item_id>/<n>.png``); the
sandbox prefixes them with the base URL a request came in on.

The catalogue is organisation-wide: both locations sell from the same item list, each with its own stock.
The generator plants a few malformed records a careful connector has to quarantine, and, once there are 50
items, makes sure that every terpene name of the Alleaves article (seed 003), every store-typed name that
must not match it and every way of typing a terpene value occur on items a location really lists.

Items have ids ``ITM-000001`` upwards. The malformed ones (about 1 in 100, at least 4 once there are 50
items, active and stocked in Retail at both locations) are in ``AlleavesSandbox.malformed`` (item id →
kind) and ``malformed_ids``: ``name`` missing, ``pricing.recreational`` the string ``"call"``, a negative
``otd_price`` (-12.5), or an ``images`` entry without ``url``.

Choice 4 (beyond the facts; easy to change; not confirmed by Alleaves): prices: ``medical`` is the
recreational price or 10% less, or null (not on the medical menu); about 3% of cannabis items are
medical-only (``recreational`` null, so no ``otd_price``); ``otd_price`` is the recreational price plus 20%
(cannabis) or 8.9% (accessories), null on about 4%.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from cannasync.sandboxes._kit.values import cents, iso_ms
from cannasync.sandboxes.alleaves.places import (
    AREAS,
    BACK_ROOM,
    DISPLAY,
    JSON,
    LOCATIONS,
    MAIN,
    QUARANTINE,
    RETAIL,
    THRESHOLDS,
    VAULT,
)

#: Catalogue timestamps are spread over the year before this instant (never the wall clock).
CATALOGUE_AS_OF = datetime(2025, 6, 1, 12, 0, 0, tzinfo=UTC)

#: The 16 terpene names exactly as the Alleaves article lists them (seed 003).
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
#: Terpene names as stores type them that do NOT match the article's list: misspelt, wrong case, abbreviated,
#: shortened, or a terpene the list does not have. A connector leaves them out (and counts them).
MISTYPED_TERPENES: tuple[str, ...] = ("Lemonene", "beta myrcene", "B-Caryophyllene", "Myrcene", "Valencene")

#: The ways stores type a terpene value, with an example of each: ``1.2%``, ``1.2 %``, ``3 mg``, ``3mg``, ``0.8``.
TERPENE_VALUE_STYLES: tuple[str, ...] = ("percent", "percent_spaced", "mg_spaced", "mg", "bare")
_STYLE_WEIGHTS: tuple[int, ...] = (45, 12, 15, 10, 18)

CANNABINOIDS: tuple[str, ...] = ("THC", "THCA", "CBD", "CBDA", "CBG", "CBN")

CATEGORIES: tuple[str, ...] = (
    "Flower",
    "Pre-Roll",
    "Vaporizer",
    "Edible",
    "Concentrate",
    "Tincture",
    "Topical",
    "Accessory",
)
_CATEGORY_WEIGHTS: tuple[int, ...] = (30, 14, 15, 15, 10, 5, 4, 7)
_CATEGORY_CODES: dict[str, str] = {
    "Flower": "FL",
    "Pre-Roll": "PR",
    "Vaporizer": "VP",
    "Edible": "ED",
    "Concentrate": "CN",
    "Tincture": "TN",
    "Topical": "TP",
    "Accessory": "AC",
}

#: The kinds of damage planted in malformed records, in the order they are handed out.
MALFORMED_KINDS: tuple[str, ...] = (
    "missing_name",
    "price_not_numeric",
    "negative_otd_price",
    "image_without_url",
)

#: Out-the-door price = shelf price plus taxes, in cents (ROUND_HALF_UP): 20% on cannabis, 8.9% on accessories.
CANNABIS_OTD_RATE = Decimal("0.20")
ACCESSORY_OTD_RATE = Decimal("0.089")

#: Deli-style tiers of bulk flower: (label, grams, price factor against grams x the 1 g price).
TIERS: tuple[tuple[str, float, float], ...] = (
    ("1g", 1, 1.0),
    ("3.5g", 3.5, 0.92),
    ("7g", 7, 0.87),
    ("14g", 14, 0.8),
    ("28g", 28, 0.72),
)

# Probability that an item is carried at each location (in location order).
_CARRY_PROBABILITY: tuple[float, ...] = (0.95, 0.7)


@dataclass(frozen=True)
class Brand:
    """An invented brand, its code (for SKUs) and the categories it makes."""

    name: str
    code: str
    categories: tuple[str, ...]


HOUSE_BRAND = "Evergreen House"
BRANDS: tuple[Brand, ...] = (
    Brand("Cascade Crest Farms", "CCF", ("Flower", "Pre-Roll")),
    Brand("Puget Pines", "PGP", ("Flower", "Pre-Roll", "Concentrate")),
    Brand("Olympic Extracts", "OLX", ("Concentrate", "Vaporizer", "Tincture")),
    Brand("Rainier Confections", "RNC", ("Edible",)),
    Brand("Columbia Gorge Growers", "CGG", ("Flower", "Pre-Roll")),
    Brand("Tidewater Labs", "TWL", ("Vaporizer", "Topical", "Tincture")),
    Brand("Salish Sea Botanicals", "SSB", ("Topical", "Tincture", "Edible")),
    Brand("Yakima Valley Sun", "YVS", ("Flower", "Edible")),
    Brand("Palouse Provisions", "PLP", ("Vaporizer", "Concentrate")),
    Brand("Ferry Dock Glass", "FDG", ("Accessory",)),
    Brand("Skagit Supply Co.", "SKS", ("Accessory", "Pre-Roll")),
    Brand(HOUSE_BRAND, "EVH", ("Flower", "Pre-Roll")),
)
_BRANDS_BY_CATEGORY: dict[str, tuple[Brand, ...]] = {
    category: tuple(brand for brand in BRANDS if category in brand.categories) for category in CATEGORIES
}

# (strain name, strain type).
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
    ("Durban Poison", "Sativa"),
    ("Pineapple Express", "Hybrid"),
    ("Super Lemon Haze", "Sativa"),
    ("Bubba Kush", "Indica"),
    ("Cherry Pie", "Hybrid"),
    ("Tangie", "Sativa"),
    ("Mimosa", "Sativa"),
    ("Apple Fritter", "Hybrid"),
    ("Ice Cream Cake", "Indica"),
    ("Do-Si-Dos", "Indica"),
    ("Trainwreck", "Sativa"),
    ("Skywalker OG", "Indica"),
    ("Jealousy", "Hybrid"),
    ("Harlequin", "CBD"),
    ("ACDC", "CBD"),
    ("Cannatonic", "CBD"),
)
STRAIN_TYPES: tuple[str, ...] = ("Indica", "Sativa", "Hybrid", "CBD")

_FLAVORS: tuple[str, ...] = (
    "Huckleberry",
    "Marionberry",
    "Rainier Cherry",
    "Wild Blackberry",
    "Honeycrisp Apple",
    "Pear Ginger",
    "Blue Raspberry",
    "Mango Chili",
    "Lemon Lavender",
    "Dark Chocolate Sea Salt",
)


def dollars(value: Decimal) -> float:
    """A Decimal amount as a JSON number of dollars, rounded to cents (ROUND_HALF_UP)."""
    return float(cents(value))


def otd_price(shelf: float, category: str) -> float:
    """The out-the-door price of a shelf price: taxes included, in cents (see ``CANNABIS_OTD_RATE``)."""
    rate = ACCESSORY_OTD_RATE if category == "Accessory" else CANNABIS_OTD_RATE
    return dollars(Decimal(str(shelf)) * (1 + rate))


def image_path(item_id: str, position: int) -> str:
    """Where the sandbox serves an item's image (a path; the sandbox prefixes the base URL)."""
    return f"/_sandbox/images/{item_id}/{position}.png"


@dataclass
class Catalogue:
    """Everything the generator produces for one ``(items, seed)``.

    ``stock`` maps location id → item id → area id → quantity, holding positive quantities only. An item
    missing from a location's map (or with an empty map) has no stock there and is never listed there.
    """

    locations: list[JSON]
    areas: dict[str, list[JSON]]
    items: list[JSON]
    stock: dict[str, dict[str, dict[str, int | float]]] = field(default_factory=dict)
    malformed: dict[str, str] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------------
# Items


def _trim(value: float, places: int) -> str:
    """A number as a store types it: at most ``places`` decimals, no trailing zeros (``1.20`` → ``1.2``)."""
    text = f"{value:.{places}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def terpene_value(rng: random.Random, style: str) -> str:
    """A terpene value typed in ``style`` (one of ``TERPENE_VALUE_STYLES``)."""
    if style in ("percent", "percent_spaced"):
        number = _trim(rng.uniform(0.05, 2.4), 2)
        return f"{number}%" if style == "percent" else f"{number} %"
    if style in ("mg_spaced", "mg"):
        number = _trim(rng.randint(1, 60) / 2, 1)
        return f"{number} mg" if style == "mg_spaced" else f"{number}mg"
    if style == "bare":
        return _trim(rng.randint(1, 30) / 10, 1)
    raise ValueError(style)  # pragma: no cover - guarded by TERPENE_VALUE_STYLES


def value_style(value: str) -> str:
    """Which of ``TERPENE_VALUE_STYLES`` a typed value is in (the inverse of ``terpene_value``)."""
    if value.endswith(" %"):
        return "percent_spaced"
    if value.endswith("%"):
        return "percent"
    if value.endswith(" mg"):
        return "mg_spaced"
    if value.endswith("mg"):
        return "mg"
    return "bare"


def _cannabinoid(name: str, text: str) -> JSON:
    return {"compound": name, "kind": "cannabinoid", "value": text}


def _terpene(name: str, text: str) -> JSON:
    return {"compound": name, "kind": "terpene", "value": text}


def _pct(rng: random.Random, low: float, high: float) -> str:
    return f"{rng.uniform(low, high):.1f}%"


def _plant_cannabinoids(rng: random.Random, strain_type: str, scale: float = 1.0) -> list[JSON]:
    """Flower and pre-rolls: mostly THCA (CBDA on CBD strains), in percent."""
    if strain_type == "CBD":
        result = [
            _cannabinoid("THC", _pct(rng, 0.1, 0.6)),
            _cannabinoid("THCA", _pct(rng, 4 * scale, 9 * scale)),
            _cannabinoid("CBDA", _pct(rng, 8 * scale, 16 * scale)),
        ]
    else:
        result = [_cannabinoid("THCA", _pct(rng, 16 * scale, 31 * scale)), _cannabinoid("THC", _pct(rng, 0.3, 1.8))]
    if rng.random() < 0.6:
        result.append(_cannabinoid("CBG", _pct(rng, 0.1, 1.6)))
    if rng.random() < 0.3:
        result.append(_cannabinoid("CBN", _pct(rng, 0.1, 0.5)))
    return result


def _extract_cannabinoids(rng: random.Random, strain_type: str, low: float, high: float) -> list[JSON]:
    if strain_type == "CBD":
        return [_cannabinoid("THC", _pct(rng, 20, 35)), _cannabinoid("CBD", _pct(rng, 35, 55))]
    result = [_cannabinoid("THC", _pct(rng, low, high))]
    if rng.random() < 0.4:
        result.append(_cannabinoid("CBG", _pct(rng, 0.3, 3)))
    return result


def _mg_cannabinoids(rng: random.Random, thc_choices: tuple[int, ...], cbd_probability: float) -> list[JSON]:
    result = [_cannabinoid("THC", f"{rng.choice(thc_choices)} mg")]
    if rng.random() < cbd_probability:
        result.append(_cannabinoid("CBD", f"{rng.choice((5, 10, 20, 50, 100))} mg"))
    if rng.random() < 0.1:
        result.append(_cannabinoid("CBN", f"{rng.choice((5, 10, 25))} mg"))
    return result


def _terpenes(rng: random.Random, count_range: tuple[int, int] = (2, 5)) -> list[JSON]:
    """A store-typed terpene profile: mostly names from the article, in one value style (sometimes mixed)."""
    count = rng.randint(*count_range)
    names: list[str] = []
    while len(names) < count:
        name = rng.choice(MISTYPED_TERPENES) if rng.random() < 0.1 else rng.choice(TERPENES)
        if name not in names:
            names.append(name)
    style = rng.choices(TERPENE_VALUE_STYLES, weights=_STYLE_WEIGHTS)[0]
    mixed = rng.random() < 0.15
    result = []
    for name in names:
        this_style = rng.choices(TERPENE_VALUE_STYLES, weights=_STYLE_WEIGHTS)[0] if mixed else style
        result.append(_terpene(name, terpene_value(rng, this_style)))
    return result


@dataclass
class _Product:
    """The category-specific part of an item, before the common fields are added."""

    name: str
    price: float
    subcategory: str | None = None
    strain_type: str | None = None
    description: str = ""
    profile: list[JSON] = field(default_factory=list)
    tiers: list[JSON] = field(default_factory=list)
    bulk: bool = False


def _tiers(per_gram: float) -> list[JSON]:
    """Deli-style tiers from the 1 g price, each ``price`` being the price of the whole tier."""
    return [
        {
            "label": label,
            "quantity": grams,
            "unit": "g",
            "price": dollars(Decimal(str(per_gram)) * Decimal(str(grams)) * Decimal(str(factor))),
        }
        for label, grams, factor in TIERS
    ]


def _make_bulk(rng: random.Random, item: JSON) -> None:
    """Turn a packaged flower item into bulk flower sold deli style."""
    per_gram = float(rng.randint(6, 14))
    strain = str(item["name"]).rsplit(" ", 1)[0]
    item.update(
        name=f"{strain} (Bulk)",
        subcategory="Bulk",
        description=f"{strain}, weighed to order at the counter, deli style.",
        pricing={
            "recreational": per_gram,
            "medical": per_gram,
            "otd_price": otd_price(per_gram, "Flower"),
            "is_tiered": True,
            "tiers": _tiers(per_gram),
        },
    )


def _shelf(rng: random.Random, low: int, high: int) -> float:
    """A shelf price in dollars: whole dollars, sometimes ending in .50 or .99."""
    return float(rng.randint(low, high) + rng.choice((0, 0, 0, 0.5, 0.99)))


def _strain(rng: random.Random) -> tuple[str, str]:
    return rng.choice(STRAINS)


def _flower(rng: random.Random) -> _Product:
    strain, strain_type = _strain(rng)
    profile = [*_plant_cannabinoids(rng, strain_type), *_terpenes(rng)]
    if rng.random() < 0.25:
        per_gram = float(rng.randint(6, 14))
        return _Product(
            name=f"{strain} (Bulk)",
            price=per_gram,
            subcategory="Bulk",
            strain_type=strain_type,
            description=f"{strain}, weighed to order at the counter, deli style.",
            profile=profile,
            tiers=_tiers(per_gram),
            bulk=True,
        )
    size, subcategory, low, high = rng.choice(
        (
            ("3.5g", "Eighths", 25, 55),
            ("3.5g", "Eighths", 25, 55),
            ("3.5g", "Smalls", 18, 30),
            ("7g", "Quarters", 45, 95),
            ("14g", None, 80, 160),
            ("28g", "Ounces", 140, 280),
        )
    )
    return _Product(
        name=f"{strain} {size}",
        price=_shelf(rng, low, high),
        subcategory=subcategory,
        strain_type=strain_type,
        description=f"{size} of {strain}, hand-trimmed and slow-cured.",
        profile=profile,
    )


def _pre_roll(rng: random.Random) -> _Product:
    strain, strain_type = _strain(rng)
    name, subcategory, low, high, scale = rng.choice(
        (
            (f"{strain} Pre-Roll 1g", "Singles", 7, 14, 1.0),
            (f"{strain} Pre-Roll 1g", "Singles", 7, 14, 1.0),
            (f"{strain} Pre-Roll 5pk", "Multi-Pack", 25, 45, 1.0),
            (f"Infused {strain} Pre-Roll", "Infused", 15, 30, 1.4),
        )
    )
    return _Product(
        name=name,
        price=_shelf(rng, low, high),
        subcategory=subcategory,
        strain_type=strain_type,
        description=f"{strain} rolled in unbleached paper.",
        profile=[*_plant_cannabinoids(rng, strain_type, scale), *_terpenes(rng)],
    )


def _vaporizer(rng: random.Random) -> _Product:
    strain, strain_type = _strain(rng)
    kind, size, low, high = rng.choice(
        (
            ("Cartridge", "1g", 35, 60),
            ("Cartridge", "0.5g", 22, 38),
            ("Disposable", "0.5g", 25, 45),
            ("Pod", "1g", 35, 55),
        )
    )
    return _Product(
        name=f"{strain} {kind} {size}",
        price=_shelf(rng, low, high),
        subcategory=kind,
        strain_type=strain_type,
        description=f"{strain} distillate with strain-specific terpenes, {size}.",
        profile=[*_extract_cannabinoids(rng, strain_type, 78, 93), *_terpenes(rng, (2, 4))],
    )


def _edible(rng: random.Random) -> _Product:
    flavor = rng.choice(_FLAVORS)
    kind, total, low, high = rng.choice(
        (
            ("Gummies", 100, 14, 24),
            ("Gummies", 100, 14, 24),
            ("Chocolate", 100, 16, 26),
            ("Beverage", 10, 6, 10),
            ("Baked Goods", 50, 10, 18),
        )
    )
    strain_type = rng.choice(("Indica", "Sativa", "Hybrid", "CBD", None, None))
    return _Product(
        name=f"{flavor} {kind} {total}mg",
        price=_shelf(rng, low, high),
        subcategory=kind,
        strain_type=strain_type,
        description=f"{flavor} {kind.lower()}, {total} mg THC per package.",
        profile=_mg_cannabinoids(rng, (total,), 0.3 if strain_type != "CBD" else 1.0),
    )


def _concentrate(rng: random.Random) -> _Product:
    strain, strain_type = _strain(rng)
    kind = rng.choice(("Live Resin", "Shatter", "Rosin", "Badder"))
    return _Product(
        name=f"{strain} {kind} 1g",
        price=_shelf(rng, 25, 70),
        subcategory=kind,
        strain_type=strain_type,
        description=f"{strain} {kind.lower()}, 1 gram.",
        profile=[*_extract_cannabinoids(rng, strain_type, 65, 88), *_terpenes(rng, (3, 6))],
    )


def _tincture(rng: random.Random) -> _Product:
    ratio, strain_type = rng.choice((("1:1", "CBD"), ("THC", "Hybrid"), ("20:1 CBD", "CBD"), ("Sleep", "Indica")))
    total = rng.choice((300, 500, 1000))
    return _Product(
        name=f"{ratio} Tincture {total}mg",
        price=_shelf(rng, 30, 75),
        subcategory=rng.choice(("Oral Drops", "Oral Drops", "Spray")),
        strain_type=strain_type,
        description=f"{ratio} tincture, {total} mg per 30 ml bottle.",
        profile=_mg_cannabinoids(rng, (total,), 0.8),
    )


def _topical(rng: random.Random) -> _Product:
    scent = rng.choice(("Peppermint", "Lavender", "Cedar", "Unscented", "Eucalyptus"))
    kind = rng.choice(("Balm", "Lotion", "Patch"))
    return _Product(
        name=f"{scent} Relief {kind}",
        price=_shelf(rng, 18, 55),
        subcategory=kind,
        strain_type=rng.choice(("CBD", None)),
        description=f"{scent} {kind.lower()} for sore muscles. Not for ingestion.",
        profile=_mg_cannabinoids(rng, (100, 250, 500), 0.9),
    )


def _accessory(rng: random.Random) -> _Product:
    name, subcategory, low, high = rng.choice(
        (
            ("Rolling Papers 1 1/4", "Papers", 2, 4),
            ("Glass Spoon Pipe", "Pipes", 15, 40),
            ("Herb Grinder 4pc", "Grinders", 18, 35),
            ("510 Battery", "Batteries", 15, 30),
            ("Hemp Wick 10ft", "Papers", 3, 6),
        )
    )
    return _Product(
        name=name,
        price=_shelf(rng, low, high),
        subcategory=subcategory if rng.random() < 0.85 else None,
        description=f"{name}. No cannabis content.",
    )


_MAKERS: dict[str, Callable[[random.Random], _Product]] = {
    "Flower": _flower,
    "Pre-Roll": _pre_roll,
    "Vaporizer": _vaporizer,
    "Edible": _edible,
    "Concentrate": _concentrate,
    "Tincture": _tincture,
    "Topical": _topical,
    "Accessory": _accessory,
}


def _images(rng: random.Random, item_id: str) -> list[JSON]:
    """0-4 images with positions 1..n; for some items the list is not in position order."""
    count = rng.choices((0, 1, 2, 3, 4), weights=(15, 35, 25, 15, 10))[0]
    images = [{"url": image_path(item_id, position), "position": position} for position in range(1, count + 1)]
    if count >= 2 and rng.random() < 0.35:
        shuffled = images[:]
        while shuffled == images:
            rng.shuffle(shuffled)
        images = shuffled
    return images


def _pricing(rng: random.Random, category: str, product: _Product) -> JSON:
    shelf = product.price
    accessory = category == "Accessory"
    recreational: float | None = shelf
    medical: float | None
    roll = rng.random()
    if accessory or roll < 0.55:
        medical = shelf
    elif roll < 0.85:
        medical = dollars(Decimal(str(shelf)) * Decimal("0.9"))
    else:
        medical = None  # not on the medical menu
    if not accessory and medical is not None and rng.random() < 0.03:
        recreational = None  # medical only
    otd = otd_price(recreational, category) if recreational is not None and rng.random() > 0.04 else None
    return {
        "recreational": recreational,
        "medical": medical,
        "otd_price": otd,
        "is_tiered": bool(product.tiers),
        **({"tiers": product.tiers} if product.tiers else {}),
    }


def item_id_for(number: int) -> str:
    return f"ITM-{number:06d}"


def _make_item(rng: random.Random, number: int) -> JSON:
    item_id = item_id_for(number)
    category = rng.choices(CATEGORIES, weights=_CATEGORY_WEIGHTS)[0]
    product = _MAKERS[category](rng)
    brand = rng.choice(_BRANDS_BY_CATEGORY[category])
    updated = CATALOGUE_AS_OF - timedelta(seconds=rng.randint(0, 365 * 86400), milliseconds=rng.randint(0, 999))
    return {
        "item_id": item_id,
        "sku": f"{brand.code}-{_CATEGORY_CODES[category]}-{number:05d}",
        "name": product.name,
        "brand": brand.name,
        "category": category,
        "subcategory": product.subcategory,
        "strain_type": product.strain_type,
        "description": product.description if rng.random() < 0.92 else "",
        "active": True,
        "updated_at": iso_ms(updated),
        "images": _images(rng, item_id),
        "pricing": _pricing(rng, category, product),
        "chemical_profile": product.profile,
    }


def _malformed_count(items: int) -> int:
    """About 1 in 100, and at least one of each kind (so at least 4) once there are 50 items."""
    if items < 50:
        return items // 100
    return max(len(MALFORMED_KINDS), round(items / 100))


def _corrupt(item: JSON, kind: str) -> None:
    """Damage a record the way real back-office data gets damaged."""
    if kind == "missing_name":
        del item["name"]
    elif kind == "price_not_numeric":
        item["pricing"] = {**item["pricing"], "recreational": "call"}
    elif kind == "negative_otd_price":
        item["pricing"] = {**item["pricing"], "otd_price": -12.5}
    elif kind == "image_without_url":
        images = item["images"] or [{"url": image_path(item["item_id"], 1), "position": 1}]
        item["images"] = [*images, {"position": len(images) + 1}]
    else:  # pragma: no cover - guarded by MALFORMED_KINDS
        raise ValueError(kind)


def _amount(rng: random.Random, bulk: bool, low: int, high: int) -> int | float:
    """A stock quantity: whole units, or grams in halves for bulk flower."""
    return rng.randint(low * 2, high * 2) / 2 if bulk else rng.randint(low, high)


def stock_split(rng: random.Random, location_id: str, bulk: bool) -> dict[str, int | float]:
    """How an item's stock at a location is spread over its areas (empty when it has none)."""
    threshold = THRESHOLDS[location_id]
    has_display = any(area["area_id"] == DISPLAY for area in AREAS[location_id])
    high = 900 if bulk else 120
    roll = rng.random()
    if roll < 0.06:
        return {}
    if roll < 0.13:
        return {RETAIL: _amount(rng, bulk, 1, threshold)}
    if roll < 0.17:
        return {VAULT: _amount(rng, bulk, 5, high)}
    if roll < 0.2:
        return {QUARANTINE: _amount(rng, bulk, 1, 20)}
    split: dict[str, int | float] = {RETAIL: _amount(rng, bulk, threshold + 1, high)}
    if rng.random() < 0.3:
        split[VAULT] = _amount(rng, bulk, 1, high)
    if rng.random() < 0.15:
        split[BACK_ROOM] = _amount(rng, bulk, 1, 40)
    if has_display and rng.random() < 0.1:
        split[DISPLAY] = _amount(rng, bulk, 1, 3)
    if rng.random() < 0.04:
        split[QUARANTINE] = _amount(rng, bulk, 1, 10)
    return split


def is_bulk(item: JSON) -> bool:
    return bool(item["pricing"].get("is_tiered"))


def _guarantee(
    rng: random.Random,
    items: list[JSON],
    stock: dict[str, dict[str, dict[str, int | float]]],
    malformed: dict[str, str],
) -> None:
    """Make sure the cases a connector must handle occur at the main location (once there are 50 items).

    Every article terpene name, every mistyped name and every value style sits on an active, healthy item in
    Retail at Main St well above the threshold, and so does a tiered item; there are low-quantity,
    Vault-only and Quarantine-only items and an inactive item that has stock.
    """
    main = stock[MAIN]
    threshold = LOCATIONS[0]["low_quantity_threshold"]

    def showcase(item: JSON) -> bool:
        quantity = main.get(item["item_id"], {}).get(RETAIL, 0)
        return item["active"] and item["item_id"] not in malformed and quantity > 10

    plants = [item for item in items if showcase(item) and item["category"] in ("Flower", "Pre-Roll", "Concentrate")]
    if plants:
        terpenes = [entry for item in items if showcase(item) for entry in item["chemical_profile"]]
        terpenes = [entry for entry in terpenes if entry["kind"] == "terpene"]
        seen_names = {entry["compound"] for entry in terpenes}
        seen_styles = {value_style(entry["value"]) for entry in terpenes}
        wanted: list[tuple[str | None, str | None]] = [
            (name, None) for name in (*TERPENES, *MISTYPED_TERPENES) if name not in seen_names
        ]
        wanted += [(None, style) for style in TERPENE_VALUE_STYLES if style not in seen_styles]
        for name, style in wanted:
            donor = rng.choice(plants)
            on_donor = {entry["compound"] for entry in donor["chemical_profile"]}
            if name is None:
                name = next(candidate for candidate in TERPENES if candidate not in on_donor)
            if style is None:
                style = rng.choices(TERPENE_VALUE_STYLES, weights=_STYLE_WEIGHTS)[0]
            donor["chemical_profile"] = [*donor["chemical_profile"], _terpene(name, terpene_value(rng, style))]

    healthy = [item for item in items if item["active"] and item["item_id"] not in malformed]
    rng.shuffle(healthy)

    def count(predicate: Callable[[JSON, dict[str, int | float]], bool]) -> int:
        return sum(1 for item in healthy if predicate(item, main.get(item["item_id"], {})))

    cases: list[
        tuple[int, Callable[[JSON, dict[str, int | float]], bool], Callable[[JSON], dict[str, int | float]]]
    ] = [
        (
            2,
            lambda item, areas: set(areas) == {RETAIL} and areas[RETAIL] <= threshold,
            lambda item: {RETAIL: rng.randint(1, threshold)},
        ),
        (1, lambda item, areas: set(areas) == {VAULT}, lambda item: {VAULT: _amount(rng, is_bulk(item), 5, 60)}),
        (
            1,
            lambda item, areas: set(areas) == {QUARANTINE},
            lambda item: {QUARANTINE: _amount(rng, is_bulk(item), 1, 20)},
        ),
    ]

    def special(item: JSON) -> bool:
        areas = main.get(item["item_id"], {})
        return any(present(item, areas) for _, present, _ in cases)

    # Restock only items that carry no terpene (the showcase stays as it is) and are no case already.
    used: set[str] = set()
    pool = [item for item in healthy if not special(item)]
    pool = [item for item in pool if not any(e["kind"] == "terpene" for e in item["chemical_profile"])] or pool
    for needed, present, make in cases:
        for _ in range(needed - count(present)):
            candidates = [item for item in pool if item["item_id"] not in used]
            if not candidates:
                break
            chosen = candidates[0]
            used.add(chosen["item_id"])
            main[chosen["item_id"]] = make(chosen)
    inactive_with_stock = [item for item in items if not item["active"] and main.get(item["item_id"])]
    if not inactive_with_stock:
        candidates = [item for item in pool if item["item_id"] not in used]
        if candidates:
            chosen = candidates[0]
            chosen["active"] = False
            main[chosen["item_id"]] = {RETAIL: _amount(rng, is_bulk(chosen), 10, 60)}
    if not any(is_bulk(item) and showcase(item) for item in items):
        flowers = [item for item in items if showcase(item) and item["category"] == "Flower"]
        if flowers:
            _make_bulk(rng, rng.choice(flowers))


def generate_catalogue(items: int, seed: int) -> Catalogue:
    """Build ``items`` items (ids ``ITM-000001`` upwards) and their stock by area at each location."""
    if items < 0:
        raise ValueError("items must be >= 0")
    rng = random.Random(f"alleaves-items:{seed}")
    records = [_make_item(rng, number) for number in range(1, items + 1)]

    malformed: dict[str, str] = {}
    for n, index in enumerate(sorted(rng.sample(range(items), _malformed_count(items)))):
        kind = MALFORMED_KINDS[n % len(MALFORMED_KINDS)]
        _corrupt(records[index], kind)
        malformed[records[index]["item_id"]] = kind
    for item in records:
        if item["item_id"] not in malformed and rng.random() < 0.04:
            item["active"] = False

    stock: dict[str, dict[str, dict[str, int | float]]] = {location["location_id"]: {} for location in LOCATIONS}
    for item in records:
        item_id = item["item_id"]
        for location, probability in zip(LOCATIONS, _CARRY_PROBABILITY, strict=True):
            location_id = location["location_id"]
            if item_id in malformed:
                stock[location_id][item_id] = {RETAIL: rng.randint(10, 40)}
            elif rng.random() < probability:
                split = stock_split(rng, location_id, is_bulk(item))
                if split:
                    stock[location_id][item_id] = split
    if items >= 50:
        _guarantee(rng, records, stock, malformed)

    return Catalogue(
        locations=[{**location, "address": dict(location["address"])} for location in LOCATIONS],
        areas={location_id: [dict(area) for area in areas] for location_id, areas in AREAS.items()},
        items=records,
        stock=stock,
        malformed=malformed,
    )
