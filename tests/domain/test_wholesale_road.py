"""The wholesale bridge's walk along the marketplace's statuses (domain/wholesale.py): pure rules, every case."""

from __future__ import annotations

import pytest

from cannasync.domain.wholesale import POS_TARGETS, WholesaleStatus, next_step, reached

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


def walk(start: str, target: WholesaleStatus) -> list[str] | None:
    """The statuses the bridge passes through, or None when it stops for a person."""
    path: list[str] = []
    current = WholesaleStatus(start)
    while not reached(current, target):
        step = next_step(current, target, [WholesaleStatus(s) for s in OFFERED[current]])
        if step is None:
            return None
        assert step in OFFERED[current]  # only ever what is offered
        path.append(step)
        current = step
    return path


@pytest.mark.parametrize(
    # The POS's statuses in the bridge's words (each POS connector's table maps its own names onto them).
    ("start", "pos_status", "path"),
    [
        ("submitted", "fulfilled", ["accepted", "fulfilled"]),
        ("submitted", "shipped", ["accepted", "fulfilled", "shipped"]),
        ("backorder", "fulfilled", ["accepted", "fulfilled"]),
        ("accepted", "shipped", ["fulfilled", "shipped"]),
        ("submitted", "accepted", ["accepted"]),
        ("fulfilled", "accepted", []),  # the marketplace is ahead and never goes back
        ("complete", "shipped", []),
        ("accepted", "cancelled", ["rejected"]),
        ("cancelled", "cancelled", []),  # the buyer cancelled first: nothing left to do
        ("fulfilled", "cancelled", None),  # no offered move rejects a fulfilled order
        ("rejected", "fulfilled", None),
        ("combined", "fulfilled", None),
        ("draft", "fulfilled", None),  # only the buyer submits
    ],
)
def test_the_walk_takes_only_offered_steps_and_stops_where_none_gets_closer(
    start: str, pos_status: str, path: list[str] | None
) -> None:
    assert walk(start, POS_TARGETS[WholesaleStatus(pos_status)]) == path


def test_an_offered_jump_is_taken_in_one_step() -> None:
    accepted, fulfilled = WholesaleStatus.ACCEPTED, WholesaleStatus.FULFILLED
    assert next_step(WholesaleStatus.SUBMITTED, fulfilled, (accepted, fulfilled)) == fulfilled
