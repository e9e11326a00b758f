"""The wholesale bridge's rules (seed 004): payment terms and how each side's statuses move the other. Pure data.

Flourish is the POS (its outbound orders), LeafLink the marketplace (orders received from buyers). A bridge
never forces a transition: a move the other side does not allow now is recorded for a person.
"""

from __future__ import annotations

import re

#: The payment terms both sides understand, as the bridge names them (seed 004).
PAYMENT_TERMS: tuple[str, ...] = (
    "Cash on Delivery",
    "Consignment",
    "Net 3",
    "Net 7",
    "Net 10",
    "Net 14",
    "Net 15",
    "Net 20",
    "Net 30",
    "Net 60",
    "Net 90",
    "Pre-Payment",
)

_NET = re.compile(r"^net\s*-?\s*(\d+)$")
_ALIASES = {
    "cod": "Cash on Delivery",
    "c.o.d.": "Cash on Delivery",
    "cash on delivery": "Cash on Delivery",
    "consignment": "Consignment",
    "pre-payment": "Pre-Payment",
    "prepayment": "Pre-Payment",
    "pre payment": "Pre-Payment",
    "prepaid": "Pre-Payment",
}


def payment_term(text: str | None) -> str | None:
    """The supported term a vendor's spelling means (``Net 30``, ``net30``, ``COD``…), or None when unsupported."""
    if not text:
        return None
    folded = " ".join(text.strip().lower().split())
    if folded in _ALIASES:
        return _ALIASES[folded]
    match = _NET.match(folded)
    if match:
        term = f"Net {int(match.group(1))}"
        return term if term in PAYMENT_TERMS else None
    return None


#: LeafLink statuses that cancel the Flourish order: rejected and cancelled ones, and the originals of a combined
#: order (the combined order arrives as a new order). The statuses that create the Flourish order (Submitted,
#: Accepted, Backorder) are the link's choice, not a constant.
CANCELLING_STATUSES = frozenset({"rejected", "cancelled", "combined"})

#: A LeafLink transition action → the status it leads to (``available_transitions`` lists target statuses).
ACTION_TARGETS: dict[str, str] = {
    "submit": "submitted",
    "accept": "accepted",
    "fulfill": "fulfilled",
    "ship": "shipped",
    "complete": "complete",
    "reject": "rejected",
    "cancel": "cancelled",
}

#: Flourish outbound status → the LeafLink transition it asks for (seed 004).
FLOURISH_TRANSITIONS: dict[str, str] = {
    "Cancelled": "reject",
    "Partially Allocated": "accept",
    "Allocated": "fulfill",
    "Shipped": "ship",
}
