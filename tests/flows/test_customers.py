"""Who an order is for: each order keeps its own contact, medical orders land on the patient, a timed-out customer
create never makes a second POS customer. Real checkout, real API and pages, real sandboxes, both databases."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from cannasync.store.db import MIGRATIONS
from cannasync.web.shop import gate
from tests.conftest import (
    AlleavesSandbox,
    Connected,
    Console,
    Hub,
    Sandbox,
    connect_alleaves,
    connect_flourish,
    wait_for,
)
from tests.flows.support import MEDICAL_PATIENT, confirm_and_wait_for_push, place, stocked

BEN = {
    "first_name": "Ben",
    "last_name": "Ortiz",
    "date_of_birth": "1988-03-14",
    "phone": "(734) 555-0199",
    "email": "ben.ortiz@example.com",
}
#: Another shopper who types Ben's phone (a shared household number) with her own name, birthday and e-mail.
DEE = {
    "first_name": "Dee",
    "last_name": "Bulk",
    "date_of_birth": "1970-07-07",
    "phone": "734.555.0199",
    "email": "dee.bulk@example.com",
}
DEE_TRACES = ("Dee", "Bulk", "1970-07-07", "dee.bulk@example.com")


@pytest.fixture
def shop(hub: Hub, flourish: Sandbox) -> Connected:
    link = connect_flourish(hub, flourish, sync_orders=True)
    assert hub.first_sync(link.integration_id)["status"] == "succeeded"
    return link


@pytest.fixture
def browsers(hub: Hub) -> Iterator[tuple[httpx2.Client, httpx2.Client]]:
    """Two shoppers' browsers (each its own cart cookie)."""
    with hub.client(None) as ben, hub.client(None) as dee:
        for shopper in (ben, dee):
            shopper.cookies.set(gate.COOKIE, gate.ADULT)  # past the shop's age gate
        yield ben, dee


def shop_checkout(shopper: httpx2.Client, store_id: int, product_id: int, contact: dict[str, str]) -> str:
    """Checkout through the store's own pages; returns the shopper's order page address."""
    added = shopper.post(f"/shop/{store_id}/cart/add", data={"product_id": product_id, "quantity": 1})
    assert added.status_code == 303, added.text
    form = shopper.get(f"/shop/{store_id}/checkout")
    key = re.search(r'name="key" value="([^"]+)"', form.text)
    assert key, form.text
    data = {"key": key.group(1), "fulfillment": "pickup", "customer_type": "recreational", **contact}
    placed = shopper.post(f"/shop/{store_id}/checkout", data=data)
    assert placed.status_code == 303, placed.text
    return str(placed.headers["location"])


def order_id_of(hub: Hub, store_id: int, page_url: str) -> int:
    with hub.db.uow() as uow:
        order = uow.orders.by_idempotency_key(store_id, "shop-" + page_url.rsplit("/", 1)[1])
        assert order is not None
        return order.id


def name_shown(html: str) -> str:
    found = re.search(r"<dt>Name</dt><dd>(.*?)</dd>", html, re.S)
    assert found, "the page shows a name"
    return re.sub(r"\s+", " ", found.group(1)).strip()


def test_a_later_shopper_with_the_same_phone_never_changes_an_earlier_order(
    hub: Hub,
    flourish: Sandbox,
    shop: Connected,
    merchant: Console,
    browsers: tuple[httpx2.Client, httpx2.Client],
):
    product = stocked(hub, shop)[0]
    ben_browser, dee_browser = browsers
    ben_page = shop_checkout(ben_browser, shop.store_id, product["id"], BEN)
    dee_page = shop_checkout(dee_browser, shop.store_id, product["id"], DEE)
    ben_id, dee_id = order_id_of(hub, shop.store_id, ben_page), order_id_of(hub, shop.store_id, dee_page)

    # The console API: Ben's order is Ben's, as typed, and nothing of Dee's.
    ben = hub.order(ben_id)
    shown = {field: ben["customer"][field] for field in ("first_name", "last_name", "date_of_birth", "email")}
    assert shown == {**{k: BEN[k] for k in shown}, "email": "ben.ortiz@example.com"}
    assert ben["customer"]["phone"] == "7345550199"
    assert not [trace for trace in DEE_TRACES if trace in str(ben)]
    dee = hub.order(dee_id)
    assert (dee["customer"]["first_name"], dee["customer"]["date_of_birth"]) == ("Dee", "1970-07-07")
    assert dee["customer"]["email"] == "dee.bulk@example.com"

    # Ben's own order page (the privacy leak): his name, never hers.
    page = ben_browser.get(ben_page)
    assert page.status_code == 200
    assert name_shown(page.text) == "Ben Ortiz"
    assert "Dee Bulk" not in page.text and "dee.bulk@example.com" not in page.text
    assert name_shown(dee_browser.get(dee_page).text) == "Dee Bulk"

    # The console's list and slide-out.
    listing = merchant.get(f"/console/stores/{shop.store_id}/orders").text
    ben_row = re.search(rf'data-order-id="{ben_id}".*?</tr>', listing, re.S)
    assert ben_row and "Ben Ortiz" in ben_row.group(0) and "Dee" not in ben_row.group(0)
    slide = merchant.get(f"/console/orders/{ben_id}", headers={"HX-Request": "true"}).text
    assert "Ben Ortiz" in slide and "1988-03-14" in slide
    assert not [trace for trace in ("Dee Bulk", "1970-07-07", "dee.bulk@example.com") if trace in slide]

    # The POS receives each order's own contact: Ben's order, pushed after Dee checked out, creates Ben.
    before = len(flourish.state.customers())
    pushed = confirm_and_wait_for_push(hub, ben_id)
    remote = next(o for o in flourish.state.orders() if o["id"] == pushed["pos_order_id"])
    created = next(c for c in flourish.state.customers() if c["id"] == remote["customer_id"])
    assert (created["first_name"], created["last_name"], created["dob"]) == ("Ben", "Ortiz", "1988-03-14")
    assert created["email"] == "ben.ortiz@example.com"
    assert len(flourish.state.customers()) == before + 1
    # Dee's order finds that customer by the shared phone (the seed's cascade); Ben's order still shows Ben.
    confirm_and_wait_for_push(hub, dee_id)
    assert hub.order(ben_id)["customer"]["first_name"] == "Ben"
    assert name_shown(ben_browser.get(ben_page).text) == "Ben Ortiz"


def test_a_later_order_only_fills_what_the_shopper_record_is_missing(hub: Hub, shop: Connected):
    """The shared record is a match key: a later order may add a missing e-mail, never rewrite a name."""
    product = stocked(hub, shop)[0]
    line = [{"product_id": product["id"], "quantity": 1}]
    first = place(hub, shop, {"customer": {**BEN, "email": None}, "lines": line})
    second = place(hub, shop, {"customer": DEE, "lines": line})
    with hub.db.uow() as uow:
        a, b = uow.orders.get(first["id"]), uow.orders.get(second["id"])
        assert a is not None and b is not None
        assert a.customer_id == b.customer_id  # matched by the phone
        record = a.customer
        assert (record.first_name, record.last_name, record.date_of_birth) == ("Ben", "Ortiz", "1988-03-14")
        assert record.email == "dee.bulk@example.com"  # empty before, so filled
    assert hub.order(first["id"])["customer"]["email"] is None  # Ben's order shows what Ben typed


# --- a medical order goes to the patient, whatever the shopper is bound to ------------------------------------


def test_flourish_medical_order_from_a_shopper_bound_to_a_non_patient_lands_on_the_patient(hub: Hub, flourish: Sandbox):
    link = connect_flourish(hub, flourish, sync_orders=True)
    hub.first_sync(link.integration_id)
    product = stocked(hub, link)[0]
    line = [{"product_id": product["id"], "quantity": 1}]
    phone = "555-777-1234"  # not on Jordan's Flourish record: the recreational order creates a second profile
    rec = place(hub, link, {"customer": {**MEDICAL_PATIENT, "medical_id": None, "phone": phone}, "lines": line})
    rec_pushed = confirm_and_wait_for_push(hub, rec["id"])
    non_patient = next(o for o in flourish.state.orders() if o["id"] == rec_pushed["pos_order_id"])["customer_id"]
    assert non_patient != "70001"

    med = place(hub, link, {"customer": {**MEDICAL_PATIENT, "phone": phone}, "is_medical": True, "lines": line})
    pushed = confirm_and_wait_for_push(hub, med["id"])
    remote = next(o for o in flourish.state.orders() if o["id"] == pushed["pos_order_id"])
    assert remote["customer_id"] == "70001"  # Jordan Rivera, patient MED-100200
    assert remote["is_recreational"] is False
    assert any("customer by medical_id" in e["detail"] for e in pushed["history"]), pushed["history"]


def test_alleaves_medical_order_from_a_shopper_bound_to_a_non_patient_lands_on_the_patient(
    hub: Hub, alleaves: AlleavesSandbox
):
    link = connect_alleaves(hub, alleaves, ("Retail",), sync_orders=True)
    hub.first_sync(link.integration_id)
    product = stocked(hub, link)[0]
    line = [{"product_id": product["id"], "quantity": 1}]
    dana = {"first_name": "Dana", "last_name": "Whitaker", "date_of_birth": "1979-05-14", "phone": "360-555-0999"}
    rec = place(hub, link, {"customer": dana, "lines": line})
    hub.api.post(f"/api/v1/orders/{rec['id']}/confirm")
    rec_pos = wait_for(lambda: hub.order(rec["id"])["pos_order_id"], "the recreational push")
    non_patient = next(o for o in alleaves.orders() if o["order_id"] == rec_pos)["patient_id"]
    assert non_patient != "PAT-00001"

    card = {"medical_id": "WA-MMJ-0042-7781", "medical_id_expiration": "2027-01-31"}
    med = place(hub, link, {"customer": {**dana, **card}, "is_medical": True, "lines": line})
    hub.api.post(f"/api/v1/orders/{med['id']}/confirm")
    med_pos = wait_for(lambda: hub.order(med["id"])["pos_order_id"], "the medical push")
    sent = next(o for o in alleaves.orders() if o["order_id"] == med_pos)
    assert sent["patient_id"] == "PAT-00001"  # Dana Whitaker's patient record
    assert sent["menu_type"] == "medical"


# --- a timed-out customer create ------------------------------------------------------------------------------

NO_PHONE_NO_EMAIL = {"first_name": "Noor", "last_name": "Haddad", "date_of_birth": "1991-12-05"}


def named(records: list[dict[str, Any]], dob_field: str) -> list[dict[str, Any]]:
    return [
        r
        for r in records
        if (r["first_name"], r["last_name"], r[dob_field]) == ("Noor", "Haddad", NO_PHONE_NO_EMAIL["date_of_birth"])
    ]


def test_flourish_timed_out_customer_create_makes_one_customer(hub: Hub, flourish: Sandbox):
    link = connect_flourish(hub, flourish, sync_orders=True, timeout_seconds=0.5)
    hub.first_sync(link.integration_id)
    product = stocked(hub, link)[0]
    flourish.fault(
        method="POST", path_prefix="/external/api/v1/customers", mode="timeout_after_commit", delay_seconds=2
    )
    order = place(hub, link, {"customer": NO_PHONE_NO_EMAIL, "lines": [{"product_id": product["id"], "quantity": 1}]})
    pushed = confirm_and_wait_for_push(hub, order["id"], timeout=30)
    assert pushed["push_attempts"][0]["outcome_unknown"] is True  # the create really timed out
    customers = named(flourish.state.customers(), "dob")
    assert len(customers) == 1, customers
    remote = next(o for o in flourish.state.orders() if o["id"] == pushed["pos_order_id"])
    assert remote["customer_id"] == customers[0]["id"]
    assert any("customer by name and date of birth" in e["detail"] for e in pushed["history"]), pushed["history"]


def test_alleaves_timed_out_patient_create_makes_one_patient(hub: Hub, alleaves: AlleavesSandbox):
    link = connect_alleaves(hub, alleaves, ("Retail",), sync_orders=True, timeout_seconds=0.5)
    hub.first_sync(link.integration_id)
    product = stocked(hub, link)[0]
    alleaves.fault(method="POST", path_prefix="/api/v1/patients", mode="timeout_after_commit", delay_seconds=2)
    order = place(hub, link, {"customer": NO_PHONE_NO_EMAIL, "lines": [{"product_id": product["id"], "quantity": 1}]})
    pushed = confirm_and_wait_for_push(hub, order["id"], timeout=30)
    assert pushed["push_attempts"][0]["outcome_unknown"] is True
    patients = named(alleaves.patients(), "date_of_birth")
    assert len(patients) == 1, patients
    sent = next(o for o in alleaves.orders() if o["order_id"] == pushed["pos_order_id"])
    assert sent["patient_id"] == patients[0]["patient_id"]


def test_two_orders_of_a_new_patient_pushed_at_once_land_on_one_patient(hub: Hub, alleaves: AlleavesSandbox):
    """Both pushes find no patient and both create; Alleaves refuses the second (409 duplicate_medical_id), which
    must then find the first one's patient instead of failing its order for good (a steady-fault probe lost it)."""
    link = connect_alleaves(hub, alleaves, ("Retail",), sync_orders=True)
    hub.first_sync(link.integration_id)
    product = stocked(hub, link)[0]
    # Each create waits a second before it is served, so the two overlap whatever order the workers take them in.
    alleaves.fault(method="POST", path_prefix="/api/v1/patients", mode="delay", delay_seconds=1, count=2)
    card = {**NO_PHONE_NO_EMAIL, "medical_id": "WA-MMJ-7777-0001", "medical_id_expiration": "2027-06-30"}
    body = {"customer": card, "is_medical": True, "lines": [{"product_id": product["id"], "quantity": 1}]}
    orders = [place(hub, link, body) for _ in range(2)]
    for order in orders:
        assert hub.api.post(f"/api/v1/orders/{order['id']}/confirm").status_code == 200
    pushed = [wait_for(lambda o=o: (h := hub.order(o["id"]))["pos_order_id"] and h, "the push") for o in orders]
    patients = [p for p in alleaves.patients() if p.get("medical_id") == card["medical_id"]]
    assert len(patients) == 1, patients
    sent = {o["order_id"]: o["patient_id"] for o in alleaves.orders()}
    assert [sent[p["pos_order_id"]] for p in pushed] == [patients[0]["patient_id"]] * 2
    assert all(p["push_error"] is None for p in pushed)


# --- the migration --------------------------------------------------------------------------------------------


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def _migrate(hub: Hub, step: str, revision: str) -> None:
    config = _config()
    with hub.runtime.engine.begin() as connection:
        config.attributes["connection"] = connection
        getattr(command, step)(config, revision)


def test_the_migration_gives_existing_orders_the_contact_they_showed(hub: Hub, shop: Connected):
    product = stocked(hub, shop)[0]
    order = place(hub, shop, {"customer": BEN, "lines": [{"product_id": product["id"], "quantity": 1}]})
    script = ScriptDirectory.from_config(_config())
    ours = next(r for r in script.walk_revisions() if r.path and r.path.endswith("_order_contact.py"))
    _migrate(hub, "downgrade", str(ours.down_revision))  # as the database was before per-order contacts
    with hub.runtime.engine.connect() as connection:
        assert "contact" not in {c["name"] for c in sa.inspect(connection).get_columns("orders")}
    _migrate(hub, "upgrade", "head")
    with hub.db.uow() as uow:
        row = uow.orders.get(order["id"])
        assert row is not None and row.contact is not None
        assert (row.contact["first_name"], row.contact["date_of_birth"], row.contact["phone"]) == (
            "Ben",
            "1988-03-14",
            "7345550199",
        )
    assert hub.order(order["id"])["customer"]["email"] == "ben.ortiz@example.com"
