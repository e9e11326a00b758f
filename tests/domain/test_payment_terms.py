"""The wholesale bridge's payment terms (seed 004: terms kept both ways): every vendor spelling of a supported term
means one term of the bridge, and an unsupported one means none (a person decides)."""

from __future__ import annotations

import pytest

from cannasync.domain.wholesale import PAYMENT_TERMS, payment_term


@pytest.mark.parametrize("term", PAYMENT_TERMS)
def test_each_supported_term_means_itself(term: str) -> None:
    assert payment_term(term) == term
    assert payment_term(term.upper()) == term


@pytest.mark.parametrize(
    ("spelling", "term"),
    [
        ("net30", "Net 30"),
        ("NET-30", "Net 30"),
        ("Net  30", "Net 30"),
        (" net 7 ", "Net 7"),
        ("Net 007", "Net 7"),
        ("COD", "Cash on Delivery"),
        ("c.o.d.", "Cash on Delivery"),
        ("Prepaid", "Pre-Payment"),
        ("prepayment", "Pre-Payment"),
        ("pre payment", "Pre-Payment"),
    ],
)
def test_vendor_spellings_of_a_term(spelling: str, term: str) -> None:
    assert payment_term(spelling) == term


@pytest.mark.parametrize("spelling", ["Net 45", "Net 0", "Marketplace Financing", "Due on receipt", "", None])
def test_a_term_the_bridge_does_not_support_means_none(spelling: str | None) -> None:
    assert payment_term(spelling) is None
