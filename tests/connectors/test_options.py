"""Each vendor's stored settings as the hub's typed options, pure: the defaults live in the vendor's settings model
once, and flows and pages read these (no database, no HTTP)."""

from __future__ import annotations

import pytest

from cannasync.connectors.base import Options
from cannasync.connectors.registry import (
    LOYALTY_SOURCES,
    ORGANIZATION_VENDORS,
    STORE_VENDORS,
    UnknownVendor,
    loyalty_options,
    pos_options,
)
from cannasync.domain.catalog import FieldGroup
from cannasync.flows.loyalty.source import frozen


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
    with pytest.raises(UnknownVendor):
        loyalty_options("nobody", {})


# --- loyalty sources ---------------------------------------------------------------------------------------------

#: What a source's settings hold at the least: its connection refuses to save without the age-gate attestation.
ATTESTED = {"age_gate_attested": True}


@pytest.mark.parametrize("name", LOYALTY_SOURCES)
def test_a_source_left_at_its_defaults_is_live_syncs_no_persona_and_feeds_every_state(name: str) -> None:
    options = loyalty_options(name, ATTESTED)
    assert (options.frozen, options.sync_personas, options.regions) == (False, False, None)
    assert options.reaches("MI") and options.reaches(None)
    assert not frozen(name, ATTESTED)


def test_use_last_backup_freezes_the_source() -> None:
    assert loyalty_options("flourish_loyalty", {**ATTESTED, "use_last_backup": True}).frozen
    assert frozen("flourish_loyalty", {**ATTESTED, "use_last_backup": True})


def test_sync_personas_is_read() -> None:
    assert loyalty_options("flourish_loyalty", {**ATTESTED, "sync_personas": True}).sync_personas


def test_regions_leave_shoppers_out_only_with_sync_to_state_on() -> None:
    regions = {**ATTESTED, "regions": ["mi", " OH "]}
    assert loyalty_options("flourish_loyalty", regions).regions is None  # given, but sync to state is off
    options = loyalty_options("flourish_loyalty", {**regions, "sync_to_state": True})
    assert options.regions == {"MI", "OH"}  # as the model stores them
    assert options.reaches("MI") and not options.reaches("IL") and not options.reaches(None)
    # Sync to state with no region given leaves no one out.
    assert loyalty_options("flourish_loyalty", {**ATTESTED, "sync_to_state": True}).reaches("IL")


@pytest.mark.parametrize("name", [*STORE_VENDORS, "sms", "leaflink"])
def test_only_a_loyalty_source_is_ever_frozen(name: str) -> None:
    assert not frozen(name, {"use_last_backup": True})
    with pytest.raises(UnknownVendor, match="not a loyalty source"):
        loyalty_options(name, {})
