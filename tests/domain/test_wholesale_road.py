"""The wholesale bridge's walk along the marketplace's statuses (domain/wholesale.py): pure rules, every case."""

from __future__ import annotations

import pytest

from cannasync.domain.wholesale import POS_TARGETS, next_step, reached

# Offered moves per status, as the marketplace's ``available_transitions`` lists them.
OFFERED = {
    "draft": ("submitted", "cancelled"),
    "submitted": ("accepted", "backorder", "rejected", "cancelled"),
    "backorder": ("accepted", "rejected", "cancelled"),
    "accepted": ("fulfilled", "rejected"),
    "fulfilled": ("shipped",),
    "shipped": ("complete",),
    "complete": (),
    "rejected": (),
    "cancelled": (),
    "combined": (),
}


def walk(current: str, target: str) -> list[str] | None:
    """The statuses the bridge passes through, or None when it stops for a person."""
    path = []
    while not reached(current, target):
        step = next_step(current, target, OFFERED[current])
        if step is None:
            return None
        assert step in OFFERED[current]  # only ever what is offered
        path.append(step)
        current = step
    return path


@pytest.mark.parametrize(
    ("start", "pos_status", "path"),
    [
        ("submitted", "Allocated", ["accepted", "fulfilled"]),
        ("submitted", "Shipped", ["accepted", "fulfilled", "shipped"]),
        ("backorder", "Allocated", ["accepted", "fulfilled"]),
        ("accepted", "Shipped", ["fulfilled", "shipped"]),
        ("submitted", "Partially Allocated", ["accepted"]),
        ("fulfilled", "Partially Allocated", []),  # the marketplace is ahead and never goes back
        ("complete", "Shipped", []),
        ("accepted", "Cancelled", ["rejected"]),
        ("cancelled", "Cancelled", []),  # the buyer cancelled first: nothing left to do
        ("fulfilled", "Cancelled", None),  # no offered move rejects a fulfilled order
        ("rejected", "Allocated", None),
        ("combined", "Allocated", None),
        ("draft", "Allocated", None),  # only the buyer submits
    ],
)
def test_the_walk_takes_only_offered_steps_and_stops_where_none_gets_closer(
    start: str, pos_status: str, path: list[str] | None
) -> None:
    assert walk(start, POS_TARGETS[pos_status]) == path


def test_an_offered_jump_is_taken_in_one_step() -> None:
    assert next_step("submitted", "fulfilled", ("accepted", "fulfilled")) == "fulfilled"
