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

#: A marketplace transition action → the status it leads to (``available_transitions`` lists target statuses).
ACTION_TARGETS: dict[str, str] = {
    "submit": "submitted",
    "accept": "accepted",
    "fulfill": "fulfilled",
    "ship": "shipped",
    "complete": "complete",
    "reject": "rejected",
    "cancel": "cancelled",
}
#: The status a transition leads to → the action that asks for it.
TARGET_ACTIONS: dict[str, str] = {target: action for action, target in ACTION_TARGETS.items()}

#: POS outbound status → the marketplace status it asks for (seed 004's "Flourish updates LeafLink" table).
POS_TARGETS: dict[str, str] = {
    "Cancelled": "rejected",
    "Partially Allocated": "accepted",
    "Allocated": "fulfilled",
    "Shipped": "shipped",
}

#: The marketplace's forward road, in order. A POS status may skip steps (Created → Allocated without
#: Partially Allocated), so the bridge walks the road one offered step at a time rather than jumping.
#: Backorder stands beside Submitted: it too leads to Accepted, and neither is ever a step the bridge asks for.
_ROAD: dict[str, int] = {"submitted": 0, "backorder": 0, "accepted": 1, "fulfilled": 2, "shipped": 3, "complete": 4}
_STEPS = frozenset({"accepted", "fulfilled", "shipped"})
#: Statuses that already mean "the order will not be filled": nothing is left to do for a rejection.
_ENDED = frozenset({"rejected", "cancelled"})


def reached(current: str, target: str) -> bool:
    """Whether the marketplace order is at the status the POS asks for, or past it (it never goes back)."""
    if target in _ENDED:
        return current in _ENDED
    return current == target or (current in _ROAD and target in _ROAD and _ROAD[current] >= _ROAD[target])


def next_step(current: str, target: str, offered: tuple[str, ...] | list[str]) -> str | None:
    """The status to move to next on the way from ``current`` to ``target``, using only what is ``offered``
    now; None when no offered move gets closer (no path: a person decides)."""
    if target in _ENDED:
        return target if target in offered else None
    if current not in _ROAD or target not in _ROAD:
        return None
    closer = [s for s in offered if s in _STEPS and _ROAD[current] < _ROAD[s] <= _ROAD[target]]
    return max(closer, key=_ROAD.__getitem__) if closer else None
