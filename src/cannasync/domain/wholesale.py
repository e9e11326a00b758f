"""The wholesale bridge's rules (seed 004): payment terms, the bridge's own order statuses and how each side's
statuses move the other. Pure data.

A POS (its outbound orders) supplies a marketplace (orders received from buyers); each side's connector maps its
vendor's statuses onto :class:`WholesaleStatus`. A bridge
never forces a transition: a move the other side does not allow now is recorded for a person.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import StrEnum

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


class WholesaleStatus(StrEnum):
    """A wholesale order's status in the bridge's own words, for both sides (each connector maps its vendor's
    names onto these with a status table). The values are the marketplace road's names, as recorded on a pair."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    BACKORDER = "backorder"
    ACCEPTED = "accepted"
    FULFILLED = "fulfilled"
    SHIPPED = "shipped"
    COMPLETE = "complete"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    COMBINED = "combined"


#: Marketplace statuses that cancel the POS order: rejected and cancelled ones, and the originals of a combined
#: order (the combined order arrives as a new order). The statuses that create the POS order (Submitted,
#: Accepted, Backorder) are the link's choice, not a constant.
CANCELLING_STATUSES = frozenset({WholesaleStatus.REJECTED, WholesaleStatus.CANCELLED, WholesaleStatus.COMBINED})

#: POS order statuses after which the bridge no longer changes the POS order (no cancelling, no new lines).
FINAL_POS = frozenset({WholesaleStatus.CANCELLED, WholesaleStatus.SHIPPED})

#: The bridge's name for the request that moves a marketplace order to each status (a connector sends it in its
#: vendor's words). Also what a pair records as the transition last sent.
TARGET_ACTIONS: dict[WholesaleStatus, str] = {
    WholesaleStatus.SUBMITTED: "submit",
    WholesaleStatus.ACCEPTED: "accept",
    WholesaleStatus.FULFILLED: "fulfill",
    WholesaleStatus.SHIPPED: "ship",
    WholesaleStatus.COMPLETE: "complete",
    WholesaleStatus.REJECTED: "reject",
    WholesaleStatus.CANCELLED: "cancel",
}

#: A POS order's status → the marketplace status it asks for (seed 004's table of how the POS updates the
#: marketplace, in the bridge's words): a POS order cancelled is one the seller rejects on the marketplace.
POS_TARGETS: dict[WholesaleStatus, WholesaleStatus] = {
    WholesaleStatus.CANCELLED: WholesaleStatus.REJECTED,
    WholesaleStatus.ACCEPTED: WholesaleStatus.ACCEPTED,
    WholesaleStatus.FULFILLED: WholesaleStatus.FULFILLED,
    WholesaleStatus.SHIPPED: WholesaleStatus.SHIPPED,
}

#: The marketplace's forward road, in order. A POS status may skip steps (Created → Allocated without
#: Partially Allocated), so the bridge walks the road one offered step at a time rather than jumping.
#: Backorder stands beside Submitted: it too leads to Accepted, and neither is ever a step the bridge asks for.
_ROAD: dict[WholesaleStatus, int] = {
    WholesaleStatus.SUBMITTED: 0,
    WholesaleStatus.BACKORDER: 0,
    WholesaleStatus.ACCEPTED: 1,
    WholesaleStatus.FULFILLED: 2,
    WholesaleStatus.SHIPPED: 3,
    WholesaleStatus.COMPLETE: 4,
}
_STEPS = frozenset({WholesaleStatus.ACCEPTED, WholesaleStatus.FULFILLED, WholesaleStatus.SHIPPED})
#: Statuses that already mean "the order will not be filled": nothing is left to do for a rejection.
ENDED = frozenset({WholesaleStatus.REJECTED, WholesaleStatus.CANCELLED})


def reached(current: WholesaleStatus | None, target: WholesaleStatus) -> bool:
    """Whether the marketplace order is at the status the POS asks for, or past it (it never goes back)."""
    if target in ENDED:
        return current in ENDED
    return current == target or (current in _ROAD and target in _ROAD and _ROAD[current] >= _ROAD[target])


def next_step(
    current: WholesaleStatus | None, target: WholesaleStatus, offered: Sequence[WholesaleStatus]
) -> WholesaleStatus | None:
    """The status to move to next on the way from ``current`` to ``target``, using only what is ``offered``
    now; None when no offered move gets closer (no path: a person decides)."""
    if target in ENDED:
        return target if target in offered else None
    if current not in _ROAD or target not in _ROAD:
        return None
    closer = [s for s in offered if s in _STEPS and _ROAD[current] < _ROAD[s] <= _ROAD[target]]
    return max(closer, key=_ROAD.__getitem__) if closer else None
