"""Purchase limits: the arithmetic every cart, checkout and API refusal shares (domain/limits.py), over the
states' table (vocab/purchase_limits.toml)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from cannasync.domain import limits
from cannasync.domain.limits import Customer, Kind, Measure
from cannasync.domain.stores import open_state, week

MG = [{"name": "THC", "value": "100", "unit": "mg"}]


def line(category: str, quantity: int, weight: str | None = None, unit: str = "g", lab: list | None = None):  # type: ignore[no-untyped-def,type-arg]
    return limits.item(category.lower(), quantity, (category,), weight, unit if weight else None, lab or [])


def test_michigan_refuses_concentrate_past_15_grams_naming_the_limit_and_by_how_much() -> None:
    rules = limits.limits_for("MI", Customer.ADULT_USE)
    limits.check([line("Concentrates", 15, "1")], rules)  # exactly the limit is fine
    with pytest.raises(limits.OverLimit) as refused:
        limits.check([line("Concentrates", 7, "2.5"), line("Flower", 2, "3.5")], rules)
    assert str(refused.value) == "This order is over Michigan's adult-use limit of 15 g of concentrate by 2.5 g."


def test_michigan_counts_edibles_and_tinctures_by_equivalency_towards_two_and_a_half_ounces() -> None:
    rules = limits.limits_for("MI", Customer.ADULT_USE)
    # 2 oz of flower (56.7 g) + 16 oz of edibles (453.6 g = 1 oz equivalent) = 3 oz: over 2.5 oz (70.87 g) by 14.18 g.
    items = [line("Flower", 2, "28.35"), line("Edibles", 8, "56.7")]
    excess = limits.totals(items, rules).excesses
    assert [e.limit.key for e in excess] == ["cannabis"]
    assert excess[0].over == Decimal("14.18")


def test_a_product_without_weight_counts_as_the_table_says_for_its_category() -> None:
    no_weight = line("Pre-Rolls", 1)  # flower kind, no weight from the POS
    assert no_weight.kind is Kind.FLOWER
    assert no_weight.per_unit(Measure.GRAMS) == Decimal("3.5")
    assert line("Topicals", 50).kind is None  # counts towards nothing
    rules = limits.limits_for("WA", Customer.ADULT_USE)  # 1 oz of useable cannabis
    limits.check([line("Pre-Rolls", 8)], rules)  # 28 g
    with pytest.raises(limits.OverLimit, match=r"Washington's adult-use limit of 1 oz of useable cannabis by 6\.65 g"):
        limits.check([line("Pre-Rolls", 10)], rules)


def test_thc_milligrams_come_from_the_label_or_the_percent_of_the_weight() -> None:
    rules = limits.limits_for("IL", Customer.ADULT_USE)
    limits.check([line("Edibles", 5, "60", lab=MG)], rules)  # 500 mg
    with pytest.raises(limits.OverLimit, match="500 mg of THC in edibles and tinctures by 100 mg"):
        limits.check([line("Edibles", 5, "60", lab=MG), line("Tinctures", 1, "30", unit="ml", lab=MG)], rules)
    flower = line("Flower", 1, "3.5", lab=[{"name": "THCa", "value": "20", "unit": "%"}])
    assert flower.thc_mg == Decimal("613.900")  # 3.5 g x 20 % x 0.877 x 10 mg


def test_medical_limits_are_their_own_and_a_store_may_hold_its_orders_to_less() -> None:
    medical = limits.limits_for("WA", Customer.MEDICAL)
    limits.check([line("Concentrates", 21, "1")], medical)
    mine = limits.limits_for("WA", Customer.ADULT_USE, {"adult_use": {"concentrate": "3"}})
    with pytest.raises(limits.OverLimit, match="this store's limit of 3 g of concentrate by 1 g"):
        limits.check([line("Concentrates", 4, "1")], mine)
    assert limits.limits_for("ZZ", Customer.ADULT_USE) == []  # a state not in the table: no limits
    assert limits.override_problem({"adult_use": {"concentrate": "-1"}}) is not None
    assert limits.state_code("Michigan") == "MI" and limits.state_code("wa") == "WA"


def test_open_now_is_read_in_the_stores_own_time_zone() -> None:
    hours = {"mon": {"open": "09:00", "close": "21:00"}, "tue": {"open": "09:00", "close": "21:00"}}
    monday_noon_utc = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)  # 12:00 in Detroit, 09:00 in Los Angeles
    assert open_state(hours, monday_noon_utc, "America/Detroit").text == "Open now · until 9 PM"
    early = datetime(2026, 11, 30, 13, 0, tzinfo=UTC)  # 08:00 in Detroit
    assert open_state(hours, early, "America/Detroit").text == "Closed · opens 9 AM"
    assert open_state(hours, early, "Asia/Tokyo").text == "Closed · opens Tue 9 AM"  # 22:00 Monday in Tokyo
    assert week(hours)[2] == ("Wednesday", "Closed")


def test_a_products_kind_is_its_stores_category_first_then_the_pos_category() -> None:
    assert limits.kind_of(("Top Shelf", "Flower")) is Kind.FLOWER  # a custom name, told apart by the POS's
    assert limits.kind_of(("Gummies",)) is Kind.EDIBLE
    assert limits.kind_of((None, "Shatter")) is Kind.CONCENTRATE
    assert limits.kind_of(("Edibles", "Flower")) is Kind.EDIBLE  # the store's category wins
    assert limits.kind_of(("Topicals",)) is None and limits.kind_of(()) is None


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"adult_use": {"concentrate": "3"}, "medical": {"cannabis": None}}, None),
        ({"kids": {}}, "'kids' is not a customer type (adult_use or medical)"),
        ({"adult_use": 5}, "adult_use must map limit keys to amounts"),
        ({"adult_use": {"concentrate": "three"}}, "adult_use.concentrate must be a number"),
        ({"medical": {"cannabis": "-1"}}, "medical.cannabis must be a number from 0 to 100000"),
        ({"medical": {"cannabis": "1e9"}}, "medical.cannabis must be a number from 0 to 100000"),
        ({"medical": {"cannabis": "NaN"}}, "medical.cannabis must be a number from 0 to 100000"),
    ],
)
def test_a_stores_own_limits_are_refused_saying_what_is_wrong(overrides: dict, problem: str | None) -> None:  # type: ignore[type-arg]
    assert limits.override_problem(overrides) == problem


@pytest.mark.parametrize(
    ("value", "measure", "shown"),
    [
        (Decimal("2.50"), Measure.GRAMS, "2.5 g"),
        (Decimal("28.349523125"), Measure.GRAMS, "28.35 g"),
        (Decimal(120), Measure.THC_MG, "120 mg"),
        (Decimal("30.0"), Measure.ML, "30 ml"),
    ],
)
def test_amounts_read_as_a_shopper_reads_them(value: Decimal, measure: Measure, shown: str) -> None:
    assert limits.show(value, measure) == shown


def test_thc_per_unit_from_milligrams_per_gram() -> None:
    concentrate = line("Concentrates", 1, "0.5", lab=[{"name": "THC", "value": "800", "unit": "mg/g"}])
    assert concentrate.thc_mg == Decimal("400.0")
    assert line("Flower", 1, None, lab=[{"name": "THC", "value": "20", "unit": "%"}]).thc_mg is None  # no weight
