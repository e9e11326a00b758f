"""Purchase limits: how much of each kind of cannabis one order may hold, and by how much an order is over.

The law is data (``vocab/purchase_limits.toml``: each state's adult-use and medical limits, which categories are
flower, concentrate, edible or tincture, and how much a unit counts when the product data lacks the figure);
this module is the arithmetic, the one place it is done. The cart, checkout and the API all ask :func:`check`.

A limit sums one measure (net grams, millilitres, or milligrams of THC) over the kinds it counts, each with a
factor (Michigan counts 16 oz of edibles as 1 oz of flower), and compares the sum with its amount.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import ROUND_UP, Decimal, InvalidOperation
from enum import StrEnum
from functools import cache
from typing import Any

from cannasync.domain.orders import InvalidOrder
from cannasync.vocab import fold, purchase_limit_table

#: How much of THCa counts as THC once heated (labs print Total THC with it).
THCA_TO_THC = Decimal("0.877")


class Measure(StrEnum):
    GRAMS = "grams"
    ML = "ml"
    THC_MG = "thc_mg"


class Kind(StrEnum):
    FLOWER = "flower"
    CONCENTRATE = "concentrate"
    EDIBLE = "edible"
    TINCTURE = "tincture"


class Customer(StrEnum):
    ADULT_USE = "adult_use"
    MEDICAL = "medical"


@dataclass(frozen=True, slots=True)
class Limit:
    key: str
    label: str
    what: str
    measure: Measure
    amount: Decimal
    counts: Mapping[Kind, Decimal]
    #: Whose limit it is, as a refusal names it: "Michigan's adult-use" or "this store's".
    owner: str = ""

    def with_amount(self, amount: Decimal) -> Limit:
        """The store's own amount in place of the state's."""
        label = f"{show(amount, self.measure)} of {self.what}"
        return replace(self, amount=amount, label=label, owner="this store's")


@dataclass(frozen=True, slots=True)
class StateLimits:
    code: str
    name: str
    adult_use: tuple[Limit, ...]
    medical: tuple[Limit, ...]


@dataclass(frozen=True, slots=True)
class Item:
    """One cart line as the limits see it: what kind it is and one unit's measures, where the data says."""

    name: str
    quantity: int
    kind: Kind | None
    grams: Decimal | None = None
    ml: Decimal | None = None
    thc_mg: Decimal | None = None

    def per_unit(self, measure: Measure) -> Decimal:
        """One unit's amount in ``measure``: from the product's data, else what the table counts for its kind."""
        known = {Measure.GRAMS: self.grams, Measure.ML: self.ml, Measure.THC_MG: self.thc_mg}[measure]
        if known is not None:
            return known
        if self.kind is None:
            return Decimal(0)
        return _unknown().get(self.kind, {}).get(measure, Decimal(0))


@dataclass(frozen=True, slots=True)
class Excess:
    limit: Limit
    total: Decimal
    over: Decimal

    @property
    def message(self) -> str:
        """ "This order is over Michigan's adult-use limit of 15 g of concentrate by 2.5 g." """
        return (
            f"This order is over {self.limit.owner} limit of {self.limit.label} "
            f"by {show(self.over.quantize(Decimal('0.01'), ROUND_UP), self.limit.measure)}."
        )


class OverLimit(InvalidOrder):
    """An order over a purchase limit: a 422 in the API, a message by the cart and checkout."""

    def __init__(self, excesses: Sequence[Excess]) -> None:
        super().__init__(" ".join(excess.message for excess in excesses))
        self.excesses = list(excesses)


@dataclass(frozen=True, slots=True)
class Totals:
    """Each limit with what the order holds against it (for a cart that shows how close it is)."""

    rows: list[tuple[Limit, Decimal]] = field(default_factory=list)

    @property
    def excesses(self) -> list[Excess]:
        return [Excess(limit, total, total - limit.amount) for limit, total in self.rows if total > limit.amount]


# --- the table -------------------------------------------------------------------------------------------------


def _decimal(value: Any) -> Decimal:
    return Decimal(str(value))


@cache
def _kinds() -> dict[str, Kind]:
    table = purchase_limit_table()
    return {fold(name): Kind(kind) for kind, names in table["kinds"].items() for name in names}


@cache
def _unknown() -> dict[Kind, dict[Measure, Decimal]]:
    table = purchase_limit_table()
    return {
        Kind(kind): {Measure(measure): _decimal(value) for measure, value in values.items()}
        for kind, values in table["unknown"].items()
    }


def _limit(raw: Mapping[str, Any], owner: str) -> Limit:
    return Limit(
        key=str(raw["key"]),
        label=str(raw["label"]),
        what=str(raw["what"]),
        measure=Measure(raw["measure"]),
        amount=_decimal(raw["amount"]),
        counts={Kind(kind): _decimal(factor) for kind, factor in raw["counts"].items()},
        owner=owner,
    )


@cache
def states() -> dict[str, StateLimits]:
    """Every state the table knows, by its two-letter code."""
    found: dict[str, StateLimits] = {}
    for code, raw in purchase_limit_table()["states"].items():
        name = str(raw["name"])
        found[code] = StateLimits(
            code=code,
            name=name,
            adult_use=tuple(_limit(limit, f"{name}'s adult-use") for limit in raw.get("adult_use", ())),
            medical=tuple(_limit(limit, f"{name}'s medical") for limit in raw.get("medical", ())),
        )
    return found


def state_code(name: str | None) -> str | None:
    """A state the table knows, from its code ("MI") or its name ("Michigan", as some POSes spell it)."""
    if not name:
        return None
    wanted = fold(name)
    for code, state in states().items():
        if wanted in (code.lower(), fold(state.name)):
            return code
    return None


def limits_for(state: str | None, customer: Customer, overrides: Mapping[str, Any] | None = None) -> list[Limit]:
    """The limits an order of ``customer`` is held to at a store in ``state``, with the store's own amounts.

    An override names a limit by key with a number (a store stricter than the law, or a state the table lacks
    nothing for); ``None`` or a missing key keeps the state's amount.
    """
    table = states().get((state or "").upper())
    base = list(getattr(table, customer.value)) if table else []
    mine = dict((overrides or {}).get(customer.value) or {})
    result = []
    for limit in base:
        amount = mine.get(limit.key)
        result.append(limit.with_amount(_decimal(amount)) if amount is not None else limit)
    return result


def override_problem(overrides: Mapping[str, Any]) -> str | None:
    """What is wrong with a store's overrides, or None: customer types, keys and amounts must make sense."""
    for customer, amounts in overrides.items():
        if customer not in {c.value for c in Customer}:
            return f"{customer!r} is not a customer type (adult_use or medical)"
        if not isinstance(amounts, Mapping):
            return f"{customer} must map limit keys to amounts"
        for key, amount in amounts.items():
            if amount is None:
                continue
            try:
                value = _decimal(amount)
            except InvalidOperation:
                return f"{customer}.{key} must be a number"
            if isinstance(amount, bool) or not value.is_finite() or value < 0 or value > 100_000:
                return f"{customer}.{key} must be a number from 0 to 100000"
    return None


# --- products --------------------------------------------------------------------------------------------------


def kind_of(categories: Iterable[str | None]) -> Kind | None:
    """The kind of the first of a product's categories the table knows (the store's, then the POS's)."""
    kinds = _kinds()
    for category in categories:
        if category and (kind := kinds.get(fold(category))):
            return kind
    return None


def _number(value: Any) -> Decimal | None:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() and number >= 0 else None


def thc_mg(cannabinoids: Sequence[Mapping[str, Any]], grams: Decimal | None) -> Decimal | None:
    """One unit's THC in mg: a label's mg figure, else Total THC percent (THC + 0.877 x THCa) of its weight."""
    values: dict[str, tuple[Decimal, str]] = {}
    for entry in cannabinoids:
        number = _number(entry.get("value"))
        if number is not None and entry.get("name"):
            values[str(entry["name"])] = (number, str(entry.get("unit") or "%"))
    thc, thca = values.get("THC"), values.get("THCa")
    if thc is not None and thc[1] == "mg":
        return thc[0]
    if grams is None:
        return None
    if thc is not None and thc[1] == "mg/g":
        return thc[0] * grams
    percent = (thc[0] if thc and thc[1] == "%" else Decimal(0)) + (
        thca[0] * THCA_TO_THC if thca and thca[1] == "%" else Decimal(0)
    )
    if not percent:
        return None
    return percent * grams * 10  # 1 % of a gram is 10 mg


def item(
    name: str,
    quantity: int,
    categories: Iterable[str | None],
    net_weight: str | None,
    net_weight_unit: str | None,
    cannabinoids: Sequence[Mapping[str, Any]],
) -> Item:
    """A product row's values as the limits count them."""
    amount = _number(net_weight) if net_weight is not None else None
    grams = amount if amount is not None and net_weight_unit == "g" else None
    ml = amount if amount is not None and net_weight_unit == "ml" else None
    return Item(name, quantity, kind_of(categories), grams=grams, ml=ml, thc_mg=thc_mg(cannabinoids, grams))


def totals(items: Iterable[Item], limits: Sequence[Limit]) -> Totals:
    lines = list(items)
    rows = []
    for limit in limits:
        total = sum(
            (
                line.per_unit(limit.measure) * line.quantity * limit.counts[line.kind]
                for line in lines
                if line.kind is not None and line.kind in limit.counts
            ),
            Decimal(0),
        )
        rows.append((limit, total))
    return Totals(rows)


def check(items: Iterable[Item], limits: Sequence[Limit]) -> None:
    """Raise :class:`OverLimit` naming each limit the order is over, and by how much."""
    excesses = totals(items, limits).excesses
    if excesses:
        raise OverLimit(excesses)


def show(value: Decimal, measure: Measure) -> str:
    """An amount as a shopper reads it: "2.5 g", "120 mg", "30 ml" (at most two decimals, no trailing zeros)."""
    unit = {Measure.GRAMS: "g", Measure.ML: "ml", Measure.THC_MG: "mg"}[measure]
    rounded = value.quantize(Decimal("0.01")).normalize()
    text = f"{rounded:f}"
    return f"{text} {unit}"
