"""Products as the online store sees them, whatever POS they came from."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from decimal import Decimal
from enum import StrEnum

from cannasync.domain.sync import MappingError
from cannasync.domain.text import is_clean
from cannasync.vocab import fold, shopper_category

#: The longest a POS record's id may be (the store keeps ids in 200 characters; a longer one is no id of ours).
MAX_EXTERNAL_ID = 200
#: The longest each text of a product may be, as the store keeps them (store/tables.py sizes its columns so).
MAX_LENGTHS: Mapping[str, int] = {
    "external_id": MAX_EXTERNAL_ID,
    "name": 300,
    "category": 200,
    "brand": 200,
    "subcategory": 200,
    "sku": 200,
}


class StrainType(StrEnum):
    INDICA = "Indica"
    INDICA_HYBRID = "Indica Hybrid"
    HYBRID = "Hybrid"
    SATIVA_HYBRID = "Sativa Hybrid"
    SATIVA = "Sativa"
    CBD = "CBD"


class FieldGroup(StrEnum):
    """Parts of a product a store can choose not to sync, keeping its own edits (a POS's settings may offer this)."""

    DESCRIPTION = "description"
    IMAGES = "images"
    PRICES = "prices"
    POTENCY = "potency"
    TERPENES = "terpenes"
    CATEGORY = "category"


FIELD_GROUPS: dict[FieldGroup, tuple[str, ...]] = {
    FieldGroup.DESCRIPTION: ("description",),
    FieldGroup.IMAGES: ("images",),
    FieldGroup.PRICES: ("rec_price_cents", "med_price_cents", "price_tiers"),
    FieldGroup.POTENCY: ("cannabinoids",),
    FieldGroup.TERPENES: ("terpenes",),
    FieldGroup.CATEGORY: ("category", "subcategory"),
}


class Unit(StrEnum):
    PERCENT = "%"
    MG = "mg"
    MG_PER_G = "mg/g"


@dataclass(frozen=True, slots=True, repr=False)
class Potency:
    """One lab value: a cannabinoid or a terpene, with its unit."""

    name: str
    value: Decimal
    unit: Unit

    def __repr__(self) -> str:
        # The dataclass's own text, without its guard against recursion (these hold no containers): fingerprints
        # repr every lab value of every product, and the guard was a third of that.
        return f"{type(self).__qualname__}(name={self.name!r}, value={self.value!r}, unit={self.unit!r})"


@dataclass(frozen=True, slots=True, repr=False)
class PriceTier:
    """A weight tier ("1/8 oz" for 3.5 g at $35): how flower is priced by weight."""

    label: str
    quantity: Decimal
    unit: str
    price_cents: int

    def __repr__(self) -> str:  # the dataclass's own text, as Potency's
        return (
            f"{type(self).__qualname__}(label={self.label!r}, quantity={self.quantity!r}, unit={self.unit!r}, "
            f"price_cents={self.price_cents!r})"
        )


@dataclass(frozen=True, slots=True)
class Product:
    """A POS item mapped to the store's model.

    ``terpenes`` is None when the store does not sync terpenes: the stored values are then left alone.
    ``images`` is None when the vendor does not carry images inline (they are fetched separately).
    """

    external_id: str
    name: str
    category: str
    brand: str | None = None
    subcategory: str | None = None
    strain_type: StrainType | None = None
    description: str = ""
    sku: str | None = None
    cannabinoids: tuple[Potency, ...] = ()
    terpenes: tuple[Potency, ...] | None = None
    rec_price_cents: int | None = None
    med_price_cents: int | None = None
    price_tiers: tuple[PriceTier, ...] = ()
    #: The POS's own top-level category (Flower, Vape, Edibles ...) where the shown one is a finer name
    #: ("Singles", "Live Resin Carts"): purchase limits tell flower from concentrate by it.
    base_category: str | None = None
    #: One unit's net weight and its unit ("g" or "ml"), where the POS says it: purchase limits count it.
    net_weight: Decimal | None = None
    net_weight_unit: str | None = None
    pos_quantity: int = 0
    images: tuple[str, ...] | None = None
    #: False when the POS says not to show it (e.g. at or below a POS's low-quantity threshold).
    listed: bool = True
    extra: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Refuse a product the store could not keep (a MappingError: the vendor's record is quarantined).

        A value longer than its column, or with a NUL or a lone surrogate, would make the database refuse the
        whole page; cut short it would be wrong on the menu. Mappings clean vendor text (``values.text``), so
        this only catches what slipped through.
        """
        for name, longest in MAX_LENGTHS.items():
            value = getattr(self, name)
            if value is None:
                continue
            if len(value) > longest:
                raise MappingError(f"{name} is {len(value)} characters long (at most {longest})")
            if not is_clean(value):
                raise MappingError(f"{name} has a NUL character or a lone surrogate")
        if not is_clean(self.description) or any(not is_clean(url) for url in self.images or ()):
            raise MappingError("description or an image link has a NUL character or a lone surrogate")

    def fingerprint(self, store_owned: frozenset[FieldGroup] = frozenset()) -> str:
        """A hash of everything the POS decides: equal fingerprints mean there is nothing to write.

        Fields the store owns are left out, so a POS change to them is not an update. The repr of tuples,
        Decimals and enums is deterministic and several times cheaper than serialising through ``asdict``; if a
        Python upgrade ever changed it, the cost would be one sync that rewrites every product once.
        """
        values = tuple((name, getattr(self, name)) for name in _fingerprinted(store_owned))
        return hashlib.sha256(repr(values).encode()).hexdigest()


@functools.cache
def _fingerprinted(store_owned: frozenset[FieldGroup]) -> tuple[str, ...]:
    """The fields a fingerprint covers, in declaration order, when the store owns ``store_owned`` (worked out once:
    looking the dataclass's fields up for every product was a fifth of the fingerprint's cost)."""
    skipped = {name for group in store_owned for name in FIELD_GROUPS[group]}
    return tuple(f.name for f in fields(Product) if f.name not in skipped)


def map_category(source: str, mapping: Mapping[str, str]) -> str:
    """The store's category for a POS category: its mapping table first (case-insensitive), else the POS name."""
    wanted = fold(source)
    for pos_name, store_category in mapping.items():
        if fold(pos_name) == wanted:
            return store_category
    return source.strip()


#: The categories a shopper browses by, whatever the POS calls them: what the console suggests mapping into.
#: A store may type any other name in its category table; these are offered first.
SHOPPER_CATEGORIES: tuple[str, ...] = (
    "Flower",
    "Pre-rolls",
    "Vapes",
    "Concentrates",
    "Edibles",
    "Tinctures",
    "Topicals",
    "Accessories",
)


def suggest_category(pos_name: str, base_categories: Sequence[str | None] = ()) -> str | None:
    """The shopper category a POS category most likely is: by its own name (singular or plural, any case, known
    synonyms: "Gummy" and "Gummies" are Edibles), else by the POS's top-level category of its products (a
    POS's custom category such as "Top Shelf" sits under "Flower"); None when nothing says."""
    return shopper_category(pos_name) or next((s for base in base_categories if (s := shopper_category(base))), None)


def available_quantity(pos_quantity: int, held: int) -> int:
    """What the store may still sell: the POS's sellable count less open holds, never below zero."""
    return max(0, pos_quantity - held)
