"""Each vendor's stored settings as the hub's typed options, pure: the defaults live in the vendor's settings model
once, and flows and pages read these (no database, no HTTP)."""

from __future__ import annotations

import pytest

from cannasync.connectors.base import Options
from cannasync.connectors.registry import ORGANIZATION_VENDORS, STORE_VENDORS, UnknownVendor, pos_options
from cannasync.domain.catalog import FieldGroup


@pytest.mark.parametrize("name", STORE_VENDORS)
def test_a_pos_left_at_its_defaults_pushes_no_order_and_checks_no_id(name: str) -> None:
    options = pos_options(name, {})
    assert (options.sync_orders, options.require_medical_verification) == (False, False)


@pytest.mark.parametrize("name", STORE_VENDORS)
def test_sync_orders_is_read_from_each_pos(name: str) -> None:
    assert pos_options(name, {"sync_orders": True}).sync_orders


def test_flourish_says_whether_the_store_checks_ids_at_pickup() -> None:
    assert pos_options("flourish", {"require_medical_verification": True}).require_medical_verification
    assert pos_options("flourish", {}).store_owned == frozenset()


def test_flowhub_field_groups_that_do_not_follow_it_are_the_stores() -> None:
    assert pos_options("flowhub", {}).store_owned == frozenset()
    options = pos_options("flowhub", {"sync_images": False, "sync_category": False, "sync_terpenes": False})
    assert options.store_owned == {FieldGroup.IMAGES, FieldGroup.CATEGORY}  # terpenes are read or left out, never kept
    everything = {f"sync_{name}": False for name in ("description", "images", "prices", "potency", "category")}
    assert pos_options("flowhub", everything).store_owned == {
        FieldGroup.DESCRIPTION,
        FieldGroup.IMAGES,
        FieldGroup.PRICES,
        FieldGroup.POTENCY,
        FieldGroup.CATEGORY,
    }


def test_alleaves_prices_are_the_stores_when_they_do_not_follow_it() -> None:
    assert pos_options("alleaves", {}).store_owned == frozenset()
    assert pos_options("alleaves", {"sync_prices": False}).store_owned == {FieldGroup.PRICES}


def test_a_vendor_that_is_no_pos_has_no_switch_on() -> None:
    assert "leaflink" in ORGANIZATION_VENDORS
    assert pos_options("leaflink", {}) == Options()


def test_an_unknown_vendor_has_no_options() -> None:
    with pytest.raises(UnknownVendor):
        pos_options("nobody", {})
