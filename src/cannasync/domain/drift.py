"""What a reconciliation reports: a difference between the hub and a vendor, its likely cause, and its repair.

Pure data: the flow (``flows/reconcile/``) finds differences, the store keeps them (``drift`` table), and the
console, the API and ``/metrics`` show them by kind.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    """What differs."""

    QUANTITY = "quantity"  # the store sells from another count than the POS's sellable count
    PRICE = "price"
    VISIBILITY = "visibility"  # shown while the POS says not to (or hidden while it lists it)
    GONE_FROM_POS = "gone_from_pos"  # the store shows a product the POS no longer sells
    NOT_ON_STORE = "not_on_store"  # the POS sells an item the store has never listed
    UNREADABLE = "unreadable"  # the POS record is quarantined: the store shows its last good version
    ORDER_NOT_IN_POS = "order_not_in_pos"  # confirmed online, absent in the POS
    ORDER_NOT_RECORDED = "order_not_recorded"  # in the POS under our reference, but ours does not know it
    POS_ORDER_MISSING = "pos_order_missing"  # ours points at a POS order the POS no longer has
    STATUS_BEHIND = "status_behind"  # the POS moved the order on, ours did not follow
    STALE_HOLD = "stale_hold"  # stock held for an order the POS has closed or already counts
    SHOPPER_MISSING = "shopper_missing"  # a POS customer with no persona
    PROFILE = "profile"  # a persona's contact differs from its POS customer's (the POS is the source of truth)
    SALE_MISSING = "sale_missing"  # a completed POS sale the program never read (so it earned nothing)
    SALE_UNATTRIBUTED = "sale_unattributed"  # read before its shopper was known: it earned no points
    NOT_LISTED = "not_listed"  # a wholesale item of this account's brands with no marketplace product
    WHOLESALE_STOCK = "wholesale_stock"  # the marketplace was last sent another quantity than the POS sells now
    WHOLESALE_STATUS = "wholesale_status"  # an order moved on one side and the other was not told
    WHOLESALE_CONFLICT = "wholesale_conflict"  # a pair the bridge left for a person


class Cause(StrEnum):
    """Why it most likely differs."""

    POS_CHANGED = "pos_changed"  # changed in the POS after our last sync read it
    SYNC_FAILED = "sync_failed"  # our last sync of it failed
    QUARANTINED = "quarantined"  # the POS record cannot be read (its reason is in the quarantine)
    STORE_OWNED = "store_owned"  # the store keeps this field as it edited it (an unticked POS setting)
    STORE_EDITED = "store_edited"  # someone edited in the hub a field the POS owns
    LOST_PUSH_ANSWER = "lost_push_answer"  # the POS created the order, its answer never reached us
    FAILED_PUSH = "failed_push"  # the POS refused the push, or it has not got through yet
    MISSED_WEBHOOK = "missed_webhook"  # the POS's status callback never arrived
    NOT_POLLED = "not_polled"  # the status poll has not read the change yet (or failed to)
    DELETED_IN_POS = "deleted_in_pos"
    HOLD_NOT_RELEASED = "hold_not_released"
    NOT_PULLED = "not_pulled"  # changed in the POS after the loyalty pull's cursor: the next pull reads it
    PASSED_BY_PULL = "passed_by_pull"  # dated before the pull's cursor (a late or back-dated change): never read
    PERSONAS_OFF = "personas_off"  # Sync Personas is off: profile changes are not taken, by the store's choice


class Repair(StrEnum):
    REPAIRED = "repaired"  # done by the run; the detail says how
    NEEDS_PERSON = "needs_person"  # the detail says what a person must do
    NONE = "none"  # a difference by design (a field the store owns)


@dataclass(slots=True)
class Difference:
    kind: Kind
    subject: str  # product, order, hold
    label: str
    ours: dict[str, Any]
    theirs: dict[str, Any]
    cause: Cause
    explanation: str
    repair: Repair = Repair.NEEDS_PERSON
    repair_detail: str = ""
    subject_id: int | None = None
    external_id: str | None = None
    since: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def open_count(differences: list[Difference]) -> int:
    """Differences that are not by design."""
    return sum(1 for d in differences if d.repair != Repair.NONE)
