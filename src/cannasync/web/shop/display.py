"""How a product reads to a shopper: potency as labels print it, prices, stock words, and a placeholder look.

Pure functions over the stored row's values, so the menu card, the product page and the cart agree on every
number they show.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from cannasync.domain.catalog import available_quantity
from cannasync.domain.variants import split_size
from cannasync.store.catalog.storefront import THCA_TO_THC
from cannasync.store.tables import Product

#: At or below this many left, a card says "Only N left" (a nudge, and a warning before the cart says no).
LOW_STOCK = 5

#: The colour family a strain type is drawn in, as dispensary menus do (purple indica, orange sativa, green hybrid).
STRAIN_TONES: Mapping[str, str] = {
    "indica": "indica",
    "indica hybrid": "indica",
    "hybrid": "hybrid",
    "sativa hybrid": "sativa",
    "sativa": "sativa",
    "cbd": "cbd",
}


@dataclass(frozen=True, slots=True)
class LabValue:
    name: str
    amount: str  # "21.4%" or "100 mg"
    share: float  # 0-100, for a bar: the value against the strongest one shown


@dataclass(frozen=True, slots=True)
class ProductView:
    id: int
    name: str
    brand: str | None
    category: str
    subcategory: str | None
    strain_type: str | None
    tone: str
    description: str
    image: str | None
    images: list[str]
    thc: str | None
    cbd: str | None
    cannabinoids: list[LabValue]
    terpenes: list[LabValue]
    rec_price_cents: int | None
    med_price_cents: int | None
    price_tiers: list[dict[str, Any]]
    available: int
    #: The name without its size part and the size ("Blue Dream", "3.5g"): a card of several sizes shows both.
    base_name: str = ""
    size: str | None = None

    @property
    def low_stock(self) -> bool:
        return 0 < self.available <= LOW_STOCK

    @property
    def sold_out(self) -> bool:
        return self.available <= 0

    @property
    def has_med_price(self) -> bool:
        return self.med_price_cents is not None and self.med_price_cents != self.rec_price_cents

    def price_cents(self, medical: bool) -> int | None:
        """The price a shopper pays: the medical price for a medical order when the store has one."""
        return self.med_price_cents if medical and self.med_price_cents else self.rec_price_cents


def _number(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _amount(value: Decimal, unit: str) -> str:
    text = f"{value.normalize():f}" if value == value.to_integral() else f"{value:.1f}".rstrip("0").rstrip(".")
    return f"{text}%" if unit == "%" else f"{text} {unit}"


def _by_name(values: Sequence[Mapping[str, Any]]) -> dict[str, tuple[Decimal, str]]:
    found: dict[str, tuple[Decimal, str]] = {}
    for entry in values:
        number = _number(entry.get("value"))
        if number is not None and entry.get("name"):
            found[str(entry["name"])] = (number, str(entry.get("unit") or "%"))
    return found


def total_thc(cannabinoids: Sequence[Mapping[str, Any]]) -> str | None:
    """THC as a label prints it: Total THC (THC + 0.877 x THCa) in percent, else THC in mg (edibles), else None.

    Raw flower carries mostly THCa, so showing "THC 0.8%" would undersell every eighth on the menu.
    """
    values = _by_name(cannabinoids)
    thc, thca = values.get("THC"), values.get("THCa")
    percent = [v for v in (thc, thca) if v is not None and v[1] == "%"]
    if percent:
        total = (thc[0] if thc and thc[1] == "%" else Decimal(0)) + (
            thca[0] * Decimal(str(THCA_TO_THC)) if thca and thca[1] == "%" else Decimal(0)
        )
        return _amount(total.quantize(Decimal("0.1")), "%")
    if thc is not None:
        return _amount(thc[0], thc[1])
    return None


def cbd(cannabinoids: Sequence[Mapping[str, Any]]) -> str | None:
    """CBD the same way (CBD + 0.877 x CBDa); None when there is next to none, as labels leave it off."""
    values = _by_name(cannabinoids)
    plain, acid = values.get("CBD"), values.get("CBDa")
    if plain is not None and plain[1] != "%":
        return _amount(plain[0], plain[1]) if plain[0] > 0 else None
    total = (plain[0] if plain else Decimal(0)) + (acid[0] * Decimal(str(THCA_TO_THC)) if acid else Decimal(0))
    return _amount(total.quantize(Decimal("0.1")), "%") if total >= Decimal("0.1") else None


def lab_values(values: Sequence[Mapping[str, Any]]) -> list[LabValue]:
    """Every value, strongest first, each with its share of the strongest (for the bars on the product page)."""
    found = sorted(_by_name(values).items(), key=lambda item: -item[1][0])
    strongest = max((number for _, (number, _) in found), default=Decimal(0))
    return [
        LabValue(name, _amount(number, unit), float(number / strongest * 100) if strongest else 0.0)
        for name, (number, unit) in found
    ]


def view(row: Product) -> ProductView:
    images = [str(url) for url in row.images or [] if url]
    base, size = split_size(row.name)
    return ProductView(
        id=row.id,
        name=row.name,
        brand=row.brand,
        category=row.category,
        subcategory=row.subcategory,
        strain_type=row.strain_type,
        tone=STRAIN_TONES.get((row.strain_type or "").lower(), "plain"),
        description=row.description or "",
        image=images[0] if images else None,
        images=images,
        thc=total_thc(row.cannabinoids or []),
        cbd=cbd(row.cannabinoids or []),
        cannabinoids=lab_values(row.cannabinoids or []),
        terpenes=lab_values(row.terpenes or []),
        rec_price_cents=row.rec_price_cents,
        med_price_cents=row.med_price_cents,
        price_tiers=list(row.price_tiers or []),
        available=available_quantity(row.pos_quantity, row.held_quantity),
        base_name=base,
        size=size.label if size else None,
    )
