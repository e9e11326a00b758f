"""Find my order, over real HTTP: a shopper who lost the link gets back to their order by its number and the phone
or e-mail they ordered with, never to anyone else's, with one "not found" for every wrong pair, and guessing is
throttled like the console's sign-in."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest

from cannasync.web.shop import gate
from cannasync.web.shop.lookup import NOT_FOUND
from tests.conftest import Connected, Hub, Sandbox, connect_flourish
from tests.flows.support import place, stocked

ALEX = {"first_name": "Alex", "last_name": "Moreno", "date_of_birth": "1988-02-11", "phone": "(734) 555-0101"}
BLAKE = {"first_name": "Blake", "last_name": "Nguyen", "date_of_birth": "1991-09-23", "phone": "(734) 555-0202"}


@pytest.fixture
def shopper(hub: Hub) -> Iterator[httpx2.Client]:
    with hub.client(None) as client:
        client.cookies.set(gate.COOKIE, gate.ADULT)
        yield client


def order_for(hub: Hub, link: Connected, customer: dict[str, Any]) -> dict[str, Any]:
    product = stocked(hub, link)[0]
    return place(hub, link, {"customer": customer, "lines": [{"product_id": product["id"], "quantity": 1}]})


def look_up(shopper: httpx2.Client, store_id: int, number: str, contact: str) -> httpx2.Response:
    return shopper.post(f"/shop/{store_id}/find-order", data={"number": number, "contact": contact})


def not_found(answer: httpx2.Response, *secrets: str) -> None:
    """The one answer to a wrong pair: nothing in it tells whose order, or whether the number or the phone exists."""
    assert answer.status_code == 404, answer.text
    assert NOT_FOUND in answer.text.replace("&#39;", "'")
    assert "/orders/" not in answer.text and "location" not in answer.headers
    for secret in secrets:
        assert secret not in answer.text


def test_a_shopper_finds_their_order_by_number_and_phone_or_email(hub: Hub, connected: Connected, shopper):
    order = order_for(hub, connected, {**ALEX, "email": "alex@example.com"})
    page = hub.order(order["id"])["shopper_page"]
    assert re.fullmatch(rf"/shop/{connected.store_id}/orders/[A-Za-z0-9_-]{{22,}}", page)

    form = shopper.get(f"/shop/{connected.store_id}/find-order")
    assert form.status_code == 200 and "Find your order" in form.text
    for number, contact in (
        (order["number"], "(734) 555-0101"),
        (f"#{order['number']} ", "734.555.0101"),
        (order["number"], "  Alex@Example.com "),
    ):
        answer = look_up(shopper, connected.store_id, number, contact)
        assert answer.status_code == 303 and answer.headers["location"] == page, (number, contact, answer.text)
    shown = shopper.get(page)
    assert shown.status_code == 200 and f"Order #{order['number']}" in shown.text and "Alex Moreno" in shown.text
    # The page an order placed over the API has, too; the 404 of a wrong key points to the lookup.
    missing = shopper.get(f"/shop/{connected.store_id}/orders/{'x' * 32}")
    assert missing.status_code == 404 and f"/shop/{connected.store_id}/find-order" in missing.text


def test_no_pair_but_the_orders_own_ever_leads_to_it_and_every_wrong_pair_reads_alike(
    hub: Hub, flourish: Sandbox, connected: Connected, shopper: httpx2.Client
):
    alex = order_for(hub, connected, {**ALEX, "email": "alex@example.com"})
    # Alex's partner orders with the household phone and an e-mail of their own: checkout matches the store's
    # customer record by the phone (Alex's, which keeps Alex's e-mail), but the order keeps what its shopper typed.
    partner = order_for(hub, connected, {**ALEX, "first_name": "Robin", "email": "robin@example.com"})
    blake = order_for(hub, connected, {**BLAKE, "email": "blake@example.com"})
    with hub.db.uow() as uow:
        first, second = uow.orders.get(alex["id"]), uow.orders.get(partner["id"])
        assert first is not None and second is not None and first.customer_id == second.customer_id
    # A second store numbers its orders from the same start: its #1001 is someone else's.
    other = connect_flourish(hub, flourish)
    assert hub.first_sync(other.integration_id)["status"] == "succeeded"
    elsewhere = order_for(hub, other, {**BLAKE, "email": "blake@example.com"})
    assert elsewhere["number"] == alex["number"]

    alex_page = hub.order(alex["id"])["shopper_page"]
    secrets = (alex_page.rsplit("/", 1)[1], "Alex", "Moreno", "Robin")
    store = connected.store_id
    not_found(look_up(shopper, store, alex["number"], "(734) 555-0202"), *secrets)  # Blake's phone, Alex's number
    not_found(look_up(shopper, store, alex["number"], "blake@example.com"), *secrets)
    not_found(look_up(shopper, store, alex["number"], "robin@example.com"), *secrets)  # the partner's e-mail
    not_found(look_up(shopper, store, partner["number"], "alex@example.com"), *secrets)  # the customer row's e-mail
    not_found(look_up(shopper, store, "99999", "(734) 555-0101"), *secrets)  # no such order
    not_found(look_up(shopper, store, alex["number"], "(313) 555-0999"), *secrets)  # nobody's phone
    not_found(look_up(shopper, other.store_id, alex["number"], "(734) 555-0101"), *secrets)  # Alex, wrong store
    # Each right pair leads to its own order only.
    for order, contact in ((partner, "robin@example.com"), (blake, "(734) 555-0202")):
        answer = look_up(shopper, store, order["number"], contact)
        assert answer.headers["location"] == hub.order(order["id"])["shopper_page"]
    answer = look_up(shopper, other.store_id, elsewhere["number"], "(734) 555-0202")
    assert answer.headers["location"] == hub.order(elsewhere["id"])["shopper_page"]


def test_guessing_is_throttled_per_order_number_and_per_phone(hub: Hub, connected: Connected, shopper):
    order = order_for(hub, connected, ALEX)
    store = connected.store_id
    for guess in range(5):  # five wrong phones for one order number
        not_found(look_up(shopper, store, order["number"], f"(313) 555-01{guess:02d}"))
    refused = look_up(shopper, store, order["number"], "(734) 555-0101")  # even the right pair now waits
    assert refused.status_code == 429 and "Too many tries. Wait 15 minutes" in refused.text
    assert int(refused.headers["Retry-After"]) == 15 * 60 and "/orders/" not in refused.text
    # Someone who knows a shopper's phone and counts through order numbers is stopped the same way.
    for number in range(2000, 2005):
        not_found(look_up(shopper, store, str(number), "(734) 555-0202"))
    assert look_up(shopper, store, "2005", "(734) 555-0202").status_code == 429
    # Unreadable input is said plainly, and costs no try.
    bad = look_up(shopper, store, "", "")
    assert bad.status_code == 422 and "Enter your order number" in bad.text
    bad = look_up(shopper, store, "1001", "call me")
    assert bad.status_code == 422 and "10 digits" in bad.text
