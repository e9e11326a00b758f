"""Organization > Loyalty over real HTTP, on SQLite and PostgreSQL: what a merchant sees and what their forms do."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from tests.conftest import Console, Hub, Sandbox, connect_loyalty, connect_sms

PULL = "loyalty_pull"


def pulled(hub: Hub, sandbox: Sandbox) -> int:
    """A loyalty source connected and read once: personas, sales and three POS locations (101, 102, 103)."""
    source = connect_loyalty(hub, sandbox)
    assert hub.sync(source, PULL)["status"] == "succeeded"
    return source


def add_store(merchant: Console, name: str) -> int:
    page = merchant.post("/console/stores", {"name": name})
    assert page.status_code == 200, page.text
    return int(str(page.url).split("/stores/")[1].split("/")[0])


def persona_id_of(hub: Hub, source: int, customer_id: str) -> int:
    with hub.db.uow() as uow:
        found = uow.loyalty.linked(source, customer_id)
        assert found is not None
        return found[0].id


def mapping_ids(hub: Hub) -> dict[str, int]:
    with hub.db.uow() as uow:
        return {m.location_key: m.id for m, _ in uow.loyalty.mappings(hub.organization_id)}


def test_personas_say_where_they_are_sourced_from_and_open_in_a_slideout(
    hub: Hub, merchant: Console, loyalty_flourish: Sandbox
):
    source = pulled(hub, loyalty_flourish)
    page = merchant.get("/console/loyalty")
    assert page.status_code == 200
    assert "Sourced from" in page.text
    sources = re.findall(r'data-testid="sourced-from"><span class="badge info">([^<]+)<', page.text)
    assert sources and set(sources) == {"Flourish"}  # seed 002's FAQ: "Flourish" under Sourced from
    total = len(loyalty_flourish.state.customers())
    assert f"Sourced from Flourish: <b>{total}</b>" in page.text

    casey = next(c for c in loyalty_flourish.state.customers() if c["id"] == "70002")
    found = merchant.get("/console/loyalty", params={"q": casey["last_name"]})
    assert casey["first_name"] in found.text
    assert found.text.count('data-testid="sourced-from"') < total  # the search narrowed the list
    nobody = merchant.get("/console/loyalty", params={"q": "zz-nobody-zz"})
    assert "No persona matches" in nobody.text

    detail = merchant.get(f"/console/loyalty/personas/{persona_id_of(hub, source, '70002')}")
    assert detail.status_code == 200
    assert "Sourced from Flourish" in detail.text and "customer <code>70002</code>" in detail.text
    assert "Points ledger" in detail.text and "Consents" in detail.text
    assert merchant.get("/console/loyalty/personas/999999").status_code == 404


def test_personas_are_paged(hub: Hub, merchant: Console, loyalty_flourish: Sandbox):
    pulled(hub, loyalty_flourish)
    with hub.db.uow() as uow:  # more signups than one page holds
        program = uow.loyalty.program(hub.organization_id)
        for n in range(30):
            uow.loyalty.add_persona(program.id, "Signup", first_name=f"Walk-in {n}", last_name="Shopper")
    total = len(loyalty_flourish.state.customers()) + 30
    first = merchant.get("/console/loyalty")
    assert first.text.count('data-testid="sourced-from"') == 25 and f"1–25 of {total}" in first.text
    assert "Sourced from Signup: <b>30</b>" in first.text
    second = merchant.get("/console/loyalty", params={"page": 2})
    assert second.text.count('data-testid="sourced-from"') == total - 25 and f"26–{total} of {total}" in second.text
    searched = merchant.get("/console/loyalty", params={"q": "walk-in shopper"})
    assert "1–25 of 30" in searched.text and "page=2" in searched.text


def test_the_unmapped_store_warning_goes_once_every_pos_store_is_mapped(
    hub: Hub, merchant: Console, loyalty_flourish: Sandbox
):
    pulled(hub, loyalty_flourish)
    ann_arbor = add_store(merchant, "Ann Arbor")
    lansing = add_store(merchant, "Lansing")
    page = merchant.get("/console/loyalty")
    assert 'data-testid="unmapped-warning"' in page.text and "3 POS stores are not mapped" in page.text
    assert re.search(r"\d+ sales? from \d+ shoppers? waiting", page.text)  # what waits on them

    ids = mapping_ids(hub)
    saved = merchant.post("/console/loyalty/stores", {f"store.{ids['101']}": ann_arbor, f"store.{ids['102']}": lansing})
    assert saved.status_code == 200 and "101 → Ann Arbor" in saved.text
    assert "1 POS store is not mapped" in saved.text and "<code>103</code>" in saved.text

    done = merchant.post("/console/loyalty/stores", {f"store.{ids['103']}": lansing})
    assert 'data-testid="unmapped-warning"' not in done.text
    assert 'data-testid="unmapped-warning"' not in merchant.get("/console/loyalty").text
    with hub.db.uow() as uow:
        mapped = {m.location_key: (m.store_id, m.mapped_at) for m, _ in uow.loyalty.mappings(hub.organization_id)}
    assert mapped["101"][0] == ann_arbor and mapped["103"][0] == lansing and mapped["103"][1] is not None


def test_a_store_of_another_organization_cannot_be_chosen(hub: Hub, merchant: Console, loyalty_flourish: Sandbox):
    pulled(hub, loyalty_flourish)
    with hub.db.uow() as uow:
        other = uow.accounts.add_store(uow.accounts.organization_named("Someone Else").id, "Not yours").id
    answer = merchant.post("/console/loyalty/stores", {f"store.{mapping_ids(hub)['101']}": other})
    assert answer.status_code == 422
    with hub.db.uow() as uow:
        assert all(m.store_id is None for m, _ in uow.loyalty.mappings(hub.organization_id))


def test_forms_without_the_csrf_token_change_nothing(hub: Hub, merchant: Console, loyalty_flourish: Sandbox):
    pulled(hub, loyalty_flourish)
    store = add_store(merchant, "Ann Arbor")
    cutoff = (datetime.now(UTC) - timedelta(days=30)).date().isoformat()
    for path, data in (
        ("/console/loyalty/stores", {f"store.{mapping_ids(hub)['101']}": store}),
        ("/console/loyalty/program/dates", {"enroll_after": cutoff}),
        ("/console/loyalty/program", {"name": "Sneaky", "points_per_dollar": "9"}),
    ):
        assert merchant.client.post(path, data=data).status_code == 403, path
    with hub.db.uow() as uow:
        assert all(m.store_id is None for m, _ in uow.loyalty.mappings(hub.organization_id))
        program = uow.loyalty.program(hub.organization_id)
        assert program.enroll_after is None and program.name != "Sneaky"


def counted(hub: Hub) -> tuple[int, int]:
    """What the dates actually did: SMS requests waiting to be sent, and enrolled personas."""
    with hub.db.uow() as uow:
        program = uow.loyalty.program(hub.organization_id)
        pending = len(uow.loyalty.pending_requests(program.id, "sms", limit=10_000))
        rows, _ = uow.loyalty.personas(program.id, limit=10_000, offset=0)
        return pending, sum(1 for row in rows if row.enrolled_at is not None)


def test_the_date_preview_says_what_saving_then_does(
    hub: Hub, merchant: Console, loyalty_flourish: Sandbox, sms: Sandbox
):
    pulled(hub, loyalty_flourish)
    connect_sms(hub, sms)
    program = merchant.get("/console/loyalty/program")
    assert "Send SMS double opt-ins to personas who purchased after" in program.text
    opt_in = (datetime.now(UTC) - timedelta(days=20)).date()
    enrol = (datetime.now(UTC) - timedelta(days=30)).date()
    dates = {"sms_opt_in_after": opt_in.isoformat(), "enroll_after": enrol.isoformat()}

    preview = merchant.post("/console/loyalty/program/preview", dates)
    requested = int(re.search(r'data-would-request="(\d+)"', preview.text).group(1))  # type: ignore[union-attr]
    enrolled = int(re.search(r'data-would-enroll="(\d+)"', preview.text).group(1))  # type: ignore[union-attr]
    assert requested > 0 and enrolled > 0
    assert f"sends an opt-in request to {requested} shopper" in preview.text
    assert f"enrols {enrolled} persona" in preview.text
    api = hub.api.post("/api/v1/loyalty/program/dates/preview", json=dates).json()
    assert (api["would_request_sms_opt_in"], api["would_enroll"]) == (requested, enrolled)
    assert counted(hub) == (0, 0)  # a preview changes nothing

    saved = merchant.post("/console/loyalty/program/dates", dates)
    assert saved.status_code == 200
    assert f"{requested} shopper" in saved.text and f"{enrolled} persona" in saved.text
    assert counted(hub) == (requested, enrolled)
    assert f'value="{opt_in.isoformat()}"' in saved.text

    again = merchant.post("/console/loyalty/program/preview", dates)
    assert 'data-would-request="0"' in again.text and 'data-would-enroll="0"' in again.text
    removed = merchant.post("/console/loyalty/program/preview", {"sms_opt_in_after": "", "enroll_after": ""})
    assert "Removing the SMS opt-in date" in removed.text and "Members keep their membership" in removed.text


def test_rewards_carry_their_pos_discount_id_and_need_it_to_exist(
    hub: Hub, merchant: Console, loyalty_flourish: Sandbox
):
    source = pulled(hub, loyalty_flourish)
    form = {"integration_id": source, "name": "$5 off", "kind": "flat", "value": "5", "points_cost": "100"}
    missing = merchant.post("/console/loyalty/rewards", {**form, "pos_discount_id": "999"})
    assert missing.status_code == 422 and "create the discount in Flourish first" in missing.text
    assert 'value="$5 off"' in missing.text  # what was typed stays in the form
    made = merchant.post("/console/loyalty/rewards", {**form, "pos_discount_id": "501"})
    assert made.status_code == 200 and "Reward &#39;$5 off&#39; added" in made.text
    assert "<code>501</code>" in made.text and "$5 off" in made.text
    bad = merchant.post("/console/loyalty/rewards", {**form, "points_cost": "0", "pos_discount_id": "501"})
    assert bad.status_code == 422 and "points cost" in bad.text
    assert len(hub.api.get("/api/v1/loyalty/rewards").json()) == 1


def test_earning_is_saved_and_a_negative_rate_refused(hub: Hub, merchant: Console):
    saved = merchant.post("/console/loyalty/program", {"name": "Leaf Rewards", "points_per_dollar": "2"})
    assert "Saved: new sales earn at this rate." in saved.text
    refused = merchant.post("/console/loyalty/program", {"name": "Leaf Rewards", "points_per_dollar": "-1"})
    assert refused.status_code == 422 and "cannot be negative" in refused.text
    assert hub.api.get("/api/v1/loyalty/program").json()["points_per_dollar"] == "2"
    assert "No loyalty source is connected yet" in saved.text
