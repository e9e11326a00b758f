"""The catalogue's rules (domain/catalog.py): what a product may hold, when a POS change is an update, the store's
category table and suggestions, and what is left to sell."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from cannasync.domain.catalog import (
    FieldGroup,
    Potency,
    PriceTier,
    Product,
    Unit,
    available_quantity,
    map_category,
    suggest_category,
)
from cannasync.domain.sync import MappingError

CART = Product(
    external_id="10001",
    name="Purple Punch Cart",
    category="Vapes",
    brand="Blue Ridge Resin",
    description="Live resin on a 510 thread.",
    cannabinoids=(Potency("THC", Decimal("81.15"), Unit.PERCENT),),
    terpenes=(Potency("Guaiol", Decimal("4.24"), Unit.PERCENT),),
    rec_price_cents=6450,
    med_price_cents=5805,
    price_tiers=(PriceTier("1/8 oz", Decimal("3.5"), "g", 3500),),
    images=("https://img.example/10001.png",),
    pos_quantity=7,
)


def changed(**changes: object) -> Product:
    return dataclasses.replace(CART, **changes)  # type: ignore[arg-type]


# --- what a product may hold -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"name": "x" * 301}, r"name is 301 characters long \(at most 300\)"),
        ({"external_id": "9" * 201}, r"external_id is 201 characters long \(at most 200\)"),
        ({"brand": "b" * 201}, r"brand is 201 characters long \(at most 200\)"),
        ({"sku": "Blue\x00Ridge"}, "sku has a NUL character"),
        ({"category": "Vapes\ud800"}, "category has a NUL character or a lone surrogate"),
        ({"description": "Live\x00resin"}, "description or an image link"),
        ({"images": ("https://img.example/\x00.png",)}, "description or an image link"),
    ],
)
def test_a_product_the_store_could_not_keep_is_refused_naming_the_field(
    changes: dict[str, object], reason: str
) -> None:
    with pytest.raises(MappingError, match=reason):
        changed(**changes)


def test_the_longest_values_the_store_keeps_are_accepted() -> None:
    kept = changed(name="x" * 300, external_id="9" * 200, description="d" * 10_000)
    assert len(kept.name) == 300


# --- when a POS change is an update ----------------------------------------------------------------------------


def test_an_unchanged_product_has_the_same_fingerprint_and_any_pos_change_another() -> None:
    assert changed().fingerprint() == CART.fingerprint()
    for change in (
        {"rec_price_cents": 6400},
        {"pos_quantity": 6},
        {"name": "Purple Punch Cartridge"},
        {"terpenes": None},
        {"images": ()},
        {"cannabinoids": (Potency("THC", Decimal("81.2"), Unit.PERCENT),)},
    ):
        assert changed(**change).fingerprint() != CART.fingerprint(), change


@pytest.mark.parametrize(
    ("owned", "change"),
    [
        (FieldGroup.PRICES, {"rec_price_cents": 5000, "med_price_cents": None, "price_tiers": ()}),
        (FieldGroup.DESCRIPTION, {"description": "Edited in the POS"}),
        (FieldGroup.IMAGES, {"images": ("https://img.example/other.png",)}),
        (FieldGroup.POTENCY, {"cannabinoids": ()}),
        (FieldGroup.TERPENES, {"terpenes": ()}),
        (FieldGroup.CATEGORY, {"category": "Carts", "subcategory": "Live Resin"}),
    ],
)
def test_a_pos_change_to_what_the_store_owns_is_not_an_update(owned: FieldGroup, change: dict[str, object]) -> None:
    mine = frozenset({owned})
    assert changed(**change).fingerprint(mine) == CART.fingerprint(mine)
    assert changed(**change).fingerprint() != CART.fingerprint()  # without the setting it is one
    assert changed(pos_quantity=1).fingerprint(mine) != CART.fingerprint(mine)  # stock is always the POS's


# --- categories ------------------------------------------------------------------------------------------------


def test_the_stores_category_table_is_read_ignoring_case_and_spaces() -> None:
    table = {"Live Resin Carts": "Vapes", "PRE-ROLLS": "Pre-rolls"}
    assert map_category("live resin carts", table) == "Vapes"
    assert map_category("  Pre-Rolls ", table) == "Pre-rolls"
    assert map_category("  Shake ", table) == "Shake"  # not in the table: the POS's name, trimmed
    assert map_category("Flower", {}) == "Flower"


@pytest.mark.parametrize(
    ("pos_name", "bases", "suggested"),
    [
        ("Gummy", (), "Edibles"),
        ("Gummies", (), "Edibles"),
        ("flower", (), "Flower"),
        ("Pre-Roll", (), "Pre-rolls"),
        ("Cartridges", (), "Vapes"),
        ("Shatter", (), "Concentrates"),
        ("Tincture", (), "Tinctures"),
        ("Papers", (), "Accessories"),
        ("House Picks", ("Flower",), "Flower"),  # a custom category: by its products' POS category
        ("House Picks", (None, "Mystery"), None),  # nothing says: no guess
        ("House Picks", (), None),
    ],
)
def test_a_pos_category_is_suggested_the_shopper_category_it_most_likely_is(
    pos_name: str, bases: tuple[str | None, ...], suggested: str | None
) -> None:
    assert suggest_category(pos_name, bases) == suggested


# --- what is left to sell --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("pos", "held", "left"), [(10, 3, 7), (10, 0, 10), (3, 3, 0), (3, 10, 0), (0, 2, 0)])
def test_the_store_sells_the_pos_count_less_open_holds_never_below_zero(pos: int, held: int, left: int) -> None:
    assert available_quantity(pos, held) == left
