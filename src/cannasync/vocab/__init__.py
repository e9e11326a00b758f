"""Normalisation tables, kept as data so that a vendor's spelling is a row to add, not a branch to write.

Each CSV maps an alias (compared case-insensitively, with runs of white space folded) to one canonical name.
The canonical terpene names are the sixteen that seed 000 lists; every vendor's spelling maps onto them.
"""

from __future__ import annotations

import csv
import tomllib
from functools import cache
from importlib import resources
from typing import Any

__all__ = [
    "CANONICAL_CANNABINOIDS",
    "CANONICAL_TERPENES",
    "canonical_cannabinoid",
    "canonical_strain_type",
    "canonical_terpene",
    "canonical_unit",
    "fold",
    "purchase_limit_table",
    "shopper_category",
    "singular_forms",
]

#: The cannabinoids the online store shows (seed 000, "Labs").
CANONICAL_CANNABINOIDS: tuple[str, ...] = ("THC", "THCa", "CBD", "CBDa", "CBG", "CBN")

#: The sixteen terpene names of seed 000, exactly as written there.
CANONICAL_TERPENES: tuple[str, ...] = (
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


def fold(text: str) -> str:
    """The comparison key of a spelling: lower case, white space folded, ends trimmed."""
    return " ".join(text.split()).lower()


@cache
def _table(name: str) -> dict[str, str]:
    source = resources.files(__package__).joinpath(f"{name}.csv")
    with source.open("r", encoding="utf-8") as handle:
        return {fold(row["alias"]): row["canonical"] for row in csv.DictReader(handle)}


def _lookup(table: str, spelling: str | None) -> str | None:
    if spelling is None:
        return None
    return _table(table).get(fold(spelling))


def canonical_terpene(spelling: str | None, *, exact: bool = False) -> str | None:
    """The canonical terpene for a vendor's spelling, or None when it is not one of the sixteen.

    ``exact`` accepts only the canonical names as written in seed 000 (for a POS that matches them verbatim).
    """
    if spelling is None:
        return None
    if exact:
        stripped = spelling.strip()
        return stripped if stripped in CANONICAL_TERPENES else None
    return _lookup("terpenes", spelling)


def canonical_cannabinoid(spelling: str | None) -> str | None:
    """The canonical cannabinoid name, or None when the store does not show that cannabinoid."""
    return _lookup("cannabinoids", spelling)


def canonical_strain_type(spelling: str | None) -> str | None:
    """One of Indica, Indica Hybrid, Hybrid, Sativa Hybrid, Sativa, CBD; None when unknown."""
    return _lookup("strain_types", spelling)


def canonical_unit(spelling: str | None) -> str | None:
    """``%``, ``mg`` or ``mg/g``; None when unknown."""
    return _lookup("units", spelling)


def singular_forms(word: str) -> list[str]:
    """A folded word and what it may be the plural of: "gummies" → gummies, gummy, gummie; "vapes" → vape."""
    folded = fold(word)
    forms = [folded]
    if folded.endswith("ies") and len(folded) > 4:
        forms.append(folded[:-3] + "y")
    if folded.endswith("es") and len(folded) > 3:
        forms.append(folded[:-2])
    if folded.endswith("s") and not folded.endswith("ss") and len(folded) > 2:
        forms.append(folded[:-1])
    return list(dict.fromkeys(forms))


def shopper_category(spelling: str | None) -> str | None:
    """The shopper category a POS category name is, singular or plural, any case ("Gummies" → Edibles); or None.

    ``shopper_categories.csv`` lists each alias in the singular; a new synonym is a row to add.
    """
    if not spelling:
        return None
    table = _table("shopper_categories")
    for form in singular_forms(spelling):
        if found := table.get(form):
            return found
    return None


@cache
def purchase_limit_table() -> dict[str, Any]:
    """``purchase_limits.toml`` as read: the states' purchase limits and how categories count (domain/limits.py)."""
    source = resources.files(__package__).joinpath("purchase_limits.toml")
    with source.open("rb") as handle:
        return tomllib.load(handle)
