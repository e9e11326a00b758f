"""The loyalty source's two switches (seed 002) do what the card says, from the moment they are saved: Sync
Personas syncs edits made from then on, Use last backup freezes a source whose POS no longer answers. Real HTTP
against the Flourish sandbox, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from cannasync.flows.loyalty import CREATE_SHOPPER
from cannasync.store.types import utcnow
from tests.conftest import Hub, Sandbox, connect_loyalty, wait_for
from tests.flows.test_loyalty import PULL, persona_of, personas


def calls(sandbox: Sandbox) -> int:
    return sum(sandbox.requests().values())


def test_sync_personas_picks_up_a_pos_edit_made_before_the_next_pull(hub: Hub, loyalty_flourish: Sandbox):
    source = connect_loyalty(hub, loyalty_flourish)
    hub.sync(source, PULL)
    switched = hub.api.patch(f"/api/v1/integrations/{source}", json={"settings": {"sync_personas": True}})
    assert switched.status_code == 200 and switched.json()["settings"]["sync_personas"] is True
    # Edited in Flourish after the switch was saved but before any pull ran.
    edit = {"email": "edited.after.switch@example.com"}
    loyalty_flourish.control.patch("/_sandbox/customers/70002", json=edit).raise_for_status()
    hub.sync(source, PULL)
    assert persona_of(hub, "70002")["email"] == "edited.after.switch@example.com"


def _run_scheduled_pull(hub: Hub, source: int) -> dict[str, Any]:
    """Make the quarter-hourly pull due now and wait for the scheduler (not the Sync button) to run it."""
    with hub.db.uow() as uow:
        schedule = uow.runs.schedule(source, PULL)
        assert schedule is not None
        schedule.next_run_at = utcnow()

    def finished() -> dict[str, Any] | None:
        runs = hub.api.get(f"/api/v1/integrations/{source}/runs", params={"flow": PULL}).json()
        done = [r for r in runs if r["trigger"] == "schedule" and r["status"] in ("succeeded", "failed")]
        return done[0] if done else None

    return dict(wait_for(finished, "the scheduled pull"))


def test_use_last_backup_is_saved_while_the_pos_refuses_the_credentials_and_calls_nothing(
    hub: Hub, loyalty_flourish: Sandbox
):
    source = connect_loyalty(hub, loyalty_flourish)
    hub.sync(source, PULL)
    count = len(personas(hub))
    # Switching POS: the old Flourish account is closed and refuses the key.
    with loyalty_flourish.state.lock:
        loyalty_flourish.state.credentials["demo-key"] = ("demo", False)
    before = calls(loyalty_flourish)

    frozen = hub.api.patch(f"/api/v1/integrations/{source}", json={"settings": {"use_last_backup": True}})
    assert frozen.status_code == 200, frozen.text
    assert frozen.json()["settings"]["use_last_backup"] is True
    assert calls(loyalty_flourish) == before  # saving it asked Flourish nothing

    run = _run_scheduled_pull(hub, source)
    assert run["status"] == "succeeded" and run["error"] is None
    assert calls(loyalty_flourish) == before  # nor did the scheduled pull
    assert len(personas(hub)) == count  # every persona kept

    # Thawing it checks the credentials again, and Flourish still refuses them.
    thawed = hub.api.patch(f"/api/v1/integrations/{source}", json={"settings": {"use_last_backup": False}})
    assert thawed.status_code == 422 and "credentials" in thawed.json()["detail"]
    assert hub.api.get(f"/api/v1/integrations/{source}").json()["settings"]["use_last_backup"] is True


def test_a_signup_queued_before_the_freeze_is_kept_and_never_sent(hub: Hub, loyalty_flourish: Sandbox):
    source = connect_loyalty(hub, loyalty_flourish, sync_personas=True)
    with loyalty_flourish.state.lock:  # switching POS: the old account already refuses the key
        loyalty_flourish.state.credentials["demo-key"] = ("demo", False)
    signed = hub.api.post(
        "/api/v1/loyalty/signup",
        json={"first_name": "Ola", "last_name": "Nord", "phone": "555-606-7070", "date_of_birth": "1990-01-01"},
    )
    assert signed.status_code == 201, signed.text
    persona_id = signed.json()["id"]

    def message() -> Any:
        with hub.db.uow() as uow:
            (queued,) = uow.outbox.for_subject(CREATE_SHOPPER, persona_id)
            return queued.state, queued.attempts, queued.last_error, queued.next_attempt_at

    def resting() -> bool:
        """Refused at least once, and not due again for a while: no attempt is under way while we freeze."""
        state, attempts, _, due = message()
        return state == "pending" and attempts >= 1 and due > utcnow() + timedelta(seconds=1)

    wait_for(resting, "a refused attempt to create the shopper")
    before = calls(loyalty_flourish)
    assert hub.api.patch(f"/api/v1/integrations/{source}", json={"settings": {"use_last_backup": True}}).is_success
    state, *_ = wait_for(lambda: (m := message())[2] and "frozen" in m[2] and m, "the frozen source to hold it")
    assert state == "pending"  # kept for when the source is thawed, not dropped
    assert calls(loyalty_flourish) == before  # neither the save nor the next attempt called Flourish
