"""An order's statuses and the moves between them (``orders.py`` moves an order through the API,
``marketplace.py`` as the buyer or the seller in LeafLink's UI).

* Status machine (``available_transitions`` per status): Draft → submitted, cancelled; Submitted →
  accepted, backorder, rejected, cancelled; Backorder → accepted, rejected, cancelled; Accepted →
  fulfilled, rejected (exactly LeafLink's example); Fulfilled → shipped; Shipped → complete; Complete,
  Rejected, Cancelled and Combined are final. No API action leads to Backorder (the seller sets it in the
  UI: the control route). The buyer may cancel from Draft, Submitted, Backorder **and Accepted** (control
  route). Combined is set only by the combine control route.

Choices where LeafLink's public material is silent
--------------------------------------------------
Each is a guess kept easy to change (numbered across the sandbox; the others are beside the code they govern).

3. Which transitions each status allows (above): only Accepted's list comes from LeafLink's example. The
   seller API cannot cancel an Accepted order (the example lists only fulfilled and rejected), the buyer
   can.
"""

from __future__ import annotations

from collections.abc import Mapping

STATUSES: tuple[str, ...] = (
    "Draft",
    "Submitted",
    "Accepted",
    "Backorder",
    "Fulfilled",
    "Shipped",
    "Complete",
    "Rejected",
    "Combined",
    "Cancelled",
)
#: Status → the states it can move to, as ``available_transitions`` lists them. Sources: the OpenAPI file
#: (OrderResponse.available_transitions, "States that the order can transition to"; its Accepted example lists
#: ``fulfilled`` and ``rejected``); LeafLink's help centre, "Accepting or Rejecting an Order" (an Accepted order
#: cannot go back to Submitted) and "Managing Orders" (Accepted orders enter the Fulfillment Queue, Fulfilled
#: ones the Shipment Queue: one step at a time, so a client reaching Fulfilled from Submitted must accept first).
TRANSITIONS: Mapping[str, tuple[str, ...]] = {
    "Draft": ("submitted", "cancelled"),
    "Submitted": ("accepted", "backorder", "rejected", "cancelled"),
    "Backorder": ("accepted", "rejected", "cancelled"),
    "Accepted": ("fulfilled", "rejected"),
    "Fulfilled": ("shipped",),
    "Shipped": ("complete",),
    "Complete": (),
    "Rejected": (),
    "Combined": (),
    "Cancelled": (),
}
#: Transition action → the status it leads to.
ACTIONS: Mapping[str, str] = {
    "submit": "Submitted",
    "accept": "Accepted",
    "fulfill": "Fulfilled",
    "cancel": "Cancelled",
    "reject": "Rejected",
    "ship": "Shipped",
    "complete": "Complete",
}
RESERVING = frozenset({"Submitted", "Accepted"})
LINES_EDITABLE = frozenset({"Draft", "Submitted", "Backorder", "Accepted"})
BUYER_CANCELLABLE = LINES_EDITABLE
COMBINABLE = frozenset({"Submitted", "Backorder", "Accepted"})
