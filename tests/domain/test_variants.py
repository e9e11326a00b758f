"""The size and tier rules: which products are one card, and what a tier costs and holds."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cannasync.domain.catalog import PriceTier
from cannasync.domain.variants import (
    UnknownTier,
    choose_tier,
    group,
    held_units,
    size_order,
    split_size,
    stock_units,
    tier_hold,
    tier_weight,
    tiers_of,
    variant_key,
)


@pytest.mark.parametrize(
    ("name", "base", "label", "amount"),
    [
        ("Blue Dream 3.5g", "Blue Dream", "3.5g", Decimal("3.5")),
        ("Blue Dream 7 g", "Blue Dream", "7 g", Decimal(7)),
        ("Blue Dream - 1/8 oz", "Blue Dream", "1/8 oz", Decimal("3.5")),
        ("Blue Dream (1/8th)", "Blue Dream", "1/8 th", Decimal("3.5")),
        ("Blue Dream 1oz Smalls", "Blue Dream Smalls", "1oz", Decimal(28)),
        ("Gummies 10pk", "Gummies", "10pk", Decimal(10)),
        ("Gummies 20 Pack", "Gummies", "20 Pack", Decimal(20)),
        ("Tincture 30ml", "Tincture", "30ml", Decimal(30)),
        ("1g Cart | Lemon Haze", "Cart | Lemon Haze", "1g", Decimal(1)),
    ],
)
def test_a_size_part_is_found_and_taken_out_of_the_name(name: str, base: str, label: str, amount: Decimal) -> None:
    found_base, size = split_size(name)
    assert found_base == base
    assert size is not None
    assert (size.label, size.amount) == (label, amount)


@pytest.mark.parametrize("name", ["Blue Dream", "Gummies 10mg", "OG 18", "Cart 2g3", "Runtz #7"])
def test_a_name_with_no_size_part_is_left_alone(name: str) -> None:
    assert split_size(name) == (name, None)
    assert variant_key(name, "Brand", "Flower") is None


def test_sizes_of_one_product_share_a_key_and_nothing_else_does() -> None:
    eighth = variant_key("Blue Dream 3.5g", "Kiva", "Flower")
    assert eighth is not None
    assert variant_key("blue  dream 7g", "KIVA", "flower") == eighth  # case and spaces do not matter
    assert variant_key("Blue Dream 1/4 oz", "Kiva", "Flower") == eighth
    assert variant_key("Blue Dream 7g", "Other brand", "Flower") != eighth  # another brand
    assert variant_key("Blue Dream 7g", "Kiva", "Pre-Roll") != eighth  # another category
    assert variant_key("Blue Dreams 7g", "Kiva", "Flower") != eighth  # another name
    assert variant_key("Gummies 5mg 10pk", "Kiva", "Edibles") != variant_key("Gummies 10mg 10pk", "Kiva", "Edibles")


def test_groups_keep_first_appearance_order_and_sizes_sort_smallest_first() -> None:
    names = ["Blue Dream 7g", "Zkittlez", "Gummies 20pk", "Blue Dream 3.5g", "Gummies 10pk", "Blue Dream 28g"]
    groups = group(names, lambda name: variant_key(name, None, "x"))
    assert groups == [
        ["Blue Dream 7g", "Blue Dream 3.5g", "Blue Dream 28g"],
        ["Zkittlez"],
        ["Gummies 20pk", "Gummies 10pk"],
    ]
    assert sorted(groups[0], key=size_order) == ["Blue Dream 3.5g", "Blue Dream 7g", "Blue Dream 28g"]


TIERS = (
    PriceTier("1g", Decimal(1), "g", 1200),
    PriceTier("1/8 oz", Decimal("3.5"), "g", 3500),
    PriceTier("1/4 oz", Decimal(7), "g", 6000),
)


def test_a_tier_is_chosen_by_its_label_and_priced_weighed_and_held_by_it() -> None:
    tier = choose_tier("OG (Bulk)", TIERS, "1/8 oz")
    assert tier == TIERS[1]
    assert tier.price_cents == 3500
    assert tier_weight(tier, 2) == Decimal(7)
    assert tier_hold(tier, 1) == 4  # 3.5 g holds 4 whole grams: never promise a half gram the store may not have
    assert tier_hold(tier, 2) == 7
    # Lines of one product add up before rounding: two lines of 3.5 g hold 7 g, not 8.
    assert held_units(stock_units(1, tier.quantity) + stock_units(1, tier.quantity)) == 7
    assert held_units(stock_units(3, None)) == 3


def test_a_bad_tier_choice_names_the_fix() -> None:
    assert choose_tier("OG (Bulk)", TIERS, None) is None  # no tier: sold by its own unit (a gram)
    with pytest.raises(UnknownTier, match=r"^OG \(Bulk\) has no tier '2g': choose one of 1g, 1/8 oz, 1/4 oz$"):
        choose_tier("OG (Bulk)", TIERS, "2g")
    with pytest.raises(UnknownTier, match=r"^Gummies 10pk is sold by the unit, not by weight: leave out its tier$"):
        choose_tier("Gummies 10pk", (), "1g")
    assert choose_tier("Gummies 10pk", (), None) is None


def test_stored_tiers_read_back_as_domain_tiers() -> None:
    rows = [{"label": "1/8 oz", "quantity": "3.5", "unit": "g", "price_cents": 3500}]
    assert tiers_of(rows) == (TIERS[1],)
    assert tiers_of(None) == ()
