"""The normalisation tables: every spelling the seeds show maps onto the canonical names of seed 000.

The spellings are copied here verbatim (Greek letters included) from the seeds, so that the tests run on a clean
clone without the seeds folder.
"""

from __future__ import annotations

import pytest

from cannasync.vocab import (
    CANONICAL_CANNABINOIDS,
    CANONICAL_TERPENES,
    canonical_cannabinoid,
    canonical_strain_type,
    canonical_terpene,
    canonical_unit,
)

# Seed 000 (Flourish), "Terpenes": the names the online store shows, exactly as written there.
SEED_000_TERPENES = [
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
]

# Seed 001 (Flowhub), "Terpenes:" list, in its order, with the canonical name each one must become.
SEED_001_TERPENES = {
    "α-Bisabolol": "Bisabolol",
    "α-Humulene": "Humulene",
    "α-Terpinene": "Terpinene",
    "α-Pinene": "Alpha Pinene",
    "β-Pinene": "Beta Pinene",
    "β-Caryophyllene": "Beta Caryophyllene",
    "β-Myrcene": "Beta Myrcene",
    "β-Ocimene": "Ocimene",
    "Linalool": "Linalool",
    "Terpinolene": "Terpinolene",
    "Limonene": "Limonene",
    "Guaiol": "Guaiol",
    "Caryophyllene oxide": "Caryophyllene Oxide",
    "delta 3 Carene": "3-Carene",
    "Trans-Nerolidol": "Trans-Nerolidol",
}

# Seed 001 (Flowhub), "Types:" list (duplicates as in the seed), with the strain type each must become.
SEED_001_TYPES = [
    ("Indica", "Indica"),
    ("Indica", "Indica"),
    ("Indica-Dom", "Indica Hybrid"),
    ("Sativa", "Sativa"),
    ("Sativa", "Sativa"),
    ("Sativa-Dom", "Sativa Hybrid"),
    ("Hybrid", "Hybrid"),
    ("Hybrid", "Hybrid"),
    ("50/50", "Hybrid"),
    ("CBD", "CBD"),
    ("Indica Hybrid", "Indica Hybrid"),
    ("indica hybrid", "Indica Hybrid"),
    ("hybrid indica", "Indica Hybrid"),
    ("Sativa Hybrid", "Sativa Hybrid"),
    ("sativa hybrid", "Sativa Hybrid"),
    ("hybrid sativa", "Sativa Hybrid"),
]


def test_the_canonical_terpenes_are_the_sixteen_of_seed_000():
    assert list(CANONICAL_TERPENES) == SEED_000_TERPENES
    assert len(set(SEED_000_TERPENES)) == 16


@pytest.mark.parametrize("name", SEED_000_TERPENES)
def test_each_canonical_terpene_maps_to_itself_in_both_modes(name: str):
    assert canonical_terpene(name) == name
    assert canonical_terpene(name, exact=True) == name
    # Case and spacing do not matter outside exact mode.
    assert canonical_terpene(f"  {name.upper()} ") == name


@pytest.mark.parametrize(("spelling", "canonical"), list(SEED_001_TERPENES.items()))
def test_every_flowhub_terpene_spelling_maps_to_a_canonical_name(spelling: str, canonical: str):
    assert canonical in SEED_000_TERPENES
    assert canonical_terpene(spelling) == canonical


def test_exact_mode_accepts_only_the_seed_000_spellings():
    for spelling, canonical in SEED_001_TERPENES.items():
        expected = spelling if spelling in SEED_000_TERPENES else None
        assert canonical_terpene(spelling, exact=True) == expected, spelling
        assert canonical_terpene(spelling) == canonical
    for almost in ("beta myrcene", "BETA MYRCENE", "Beta-Myrcene", "Myrcene", "caryophyllene oxide", "Carene"):
        assert canonical_terpene(almost, exact=True) is None, almost
        assert canonical_terpene(almost) is not None, almost  # the lenient mode knows them


def test_unknown_terpenes_and_none_map_to_nothing():
    for spelling in ("Valencene", "Phytol", "Eucalyptol", "", "   "):
        assert canonical_terpene(spelling) is None, spelling
    assert canonical_terpene(None) is None
    assert canonical_terpene(None, exact=True) is None


@pytest.mark.parametrize(("spelling", "canonical"), SEED_001_TYPES)
def test_every_flowhub_strain_type_spelling_maps(spelling: str, canonical: str):
    assert canonical_strain_type(spelling) == canonical


def test_strain_types_cover_the_six_canonical_values_and_nothing_else():
    assert {canonical for _, canonical in SEED_001_TYPES} == {
        "Indica",
        "Indica Hybrid",
        "Hybrid",
        "Sativa Hybrid",
        "Sativa",
        "CBD",
    }
    assert canonical_strain_type("Ruderalis") is None
    assert canonical_strain_type(None) is None


def test_the_store_shows_six_cannabinoids_in_any_case():
    assert CANONICAL_CANNABINOIDS == ("THC", "THCa", "CBD", "CBDa", "CBG", "CBN")
    for name in CANONICAL_CANNABINOIDS:
        assert canonical_cannabinoid(name) == name
        assert canonical_cannabinoid(name.lower()) == name
        assert canonical_cannabinoid(name.upper()) == name
    # THC and THCa stay distinct (so do CBD and CBDa): folding case must not merge them.
    assert canonical_cannabinoid("THCA") == "THCa" and canonical_cannabinoid("thc") == "THC"


def test_cannabinoids_the_store_does_not_show_map_to_none():
    for name in ("CBC", "cbc", "THCV", "Delta-8-THC", "CBGa"):
        assert canonical_cannabinoid(name) is None, name
    assert canonical_cannabinoid(None) is None


def test_units():
    assert canonical_unit("%") == "%"
    assert canonical_unit("Percent") == "%"
    assert canonical_unit("MG") == "mg"
    assert canonical_unit("mg/g") == "mg/g"
    assert canonical_unit("oz") is None
