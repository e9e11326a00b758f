"""Ids, text and payloads from a vendor, made fit to store or refused with a reason."""

from __future__ import annotations

import json
import math

import pytest

from cannasync.connectors import values
from cannasync.domain.catalog import Product
from cannasync.domain.sync import MappingError
from cannasync.domain.text import clean, json_safe


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ({"id": 1}, "is a dict"),
        ([1], "is a list"),
        (True, "is not an id"),
        (1.5, "is a float"),
        (None, "is missing"),
        ("   ", "is blank"),
        ("9" * 201, "201 characters long"),
        ("ab\x00c", "characters an id cannot have"),
        ("ab\ud800", "characters an id cannot have"),
    ],
)
def test_a_malformed_id_is_refused_with_its_reason(raw: object, reason: str) -> None:
    with pytest.raises(MappingError, match=reason):
        values.identifier(raw, "id")


def test_ids_are_strings_or_whole_numbers() -> None:
    assert values.identifier(" 42 ", "id") == "42"
    assert values.identifier(42, "id") == "42"
    assert values.identifier("x" * 200, "id") == "x" * 200


def test_vendor_text_loses_nul_and_lone_surrogates() -> None:
    assert values.text(" A\x00B \ud800 ") == "AB \ufffd"
    assert clean(json.loads('"\\ud83d\\ude00"')) == "\U0001f600"  # a real pair is a character, kept


def test_a_product_longer_than_the_store_keeps_is_refused() -> None:
    with pytest.raises(MappingError, match="name is 301 characters long"):
        Product(external_id="1", name="n" * 301, category="Flower")
    with pytest.raises(MappingError, match="sku"):
        Product(external_id="1", name="n", category="Flower", sku="s" * 201)


def test_a_quarantine_payload_is_json_every_database_takes() -> None:
    safe = json_safe({"p": math.nan, "q": [math.inf], "n\x00": "a\ud800", "o": object()})
    text = json.dumps(safe, allow_nan=False)  # raises if a NaN or infinity were left
    assert "\\u0000" not in text and "\\ud800" not in text
    assert safe["p"] == "nan" and safe["q"] == ["inf"] and safe["n"] == "a\ufffd"
