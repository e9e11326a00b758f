"""A run's checkpoint is a typed value in the code and the same JSON object in ``sync_runs.checkpoint`` as before."""

from __future__ import annotations

from cannasync.domain.sync import Checkpoint


def test_a_checkpoint_reads_and_writes_the_stored_form_unchanged():
    fresh = {"pages": 3, "cursor": "150"}
    resumed = {"resumed_from": 41, "pages": 7, "cursor": None}
    assert Checkpoint.from_json(fresh) == Checkpoint(pages=3, cursor="150")
    assert Checkpoint.from_json(resumed) == Checkpoint(pages=7, resumed_from=41)
    assert Checkpoint.from_json(fresh).as_json() == fresh
    assert Checkpoint.from_json(resumed).as_json() == resumed
    assert "resumed_from" not in Checkpoint(pages=1).as_json(), "a fresh run stores no resumed_from key"


def test_a_run_that_recorded_nothing_resumes_nothing():
    for stored in (None, {}):
        checkpoint = Checkpoint.from_json(stored)
        assert checkpoint == Checkpoint() and not checkpoint.resuming


def test_the_run_that_takes_over_keeps_the_lost_runs_place():
    lost = Checkpoint.from_json({"resumed_from": 5, "pages": 2, "cursor": "100"})
    taken = lost.taken_over_from(9)
    assert taken.resuming and taken.as_json() == {"resumed_from": 9, "pages": 2, "cursor": "100"}
