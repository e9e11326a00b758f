"""Every get-or-create in the store, raced: callers released together by a Barrier, on SQLite and PostgreSQL.

A get-or-create that selects and then inserts lets two callers both see "none" and both insert; on PostgreSQL
(READ COMMITTED) the second then dies on the unique constraint and its whole request or run fails. What a user
notices is that failure (a 500, a failed run), so each case asserts that every caller succeeded and that there is
exactly one row afterwards. SQLite serialises writers (BEGIN IMMEDIATE), so there the cases check that the race-safe
SQL works on SQLite too.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from cannasync.domain.customers import CustomerDetails
from cannasync.flows import loyalty as loyalty_flow
from cannasync.jobs.runtime import Runtime
from cannasync.store import tables as t
from cannasync.store.types import utcnow
from cannasync.store.uow import UnitOfWork

CALLERS = 12  # below SQLite's pool (8 + 8 overflow), so every caller holds a connection when the barrier opens
ROUNDS = 3  # a race may not bite every time; three fresh rounds make it bite on PostgreSQL reliably


@dataclass
class World:
    organization_id: int
    integration_id: int
    store_id: int
    run_id: int
    personas: list[int]  # one per round (a consent or link is unique per persona)
    organizations: list[int]  # one per round, with no loyalty program yet


@pytest.fixture
def world(runtime: Runtime) -> World:
    with runtime.db.uow() as uow:
        org = uow.accounts.organization_named("Race Dispensary")
        store = uow.accounts.add_store(org.id, "Race Street")
        integration = uow.accounts.save_integration(
            org.id,
            "flourish",
            store_id=store.id,
            existing=None,
            credentials={"username": "u", "api_key": "k"},
            settings={},
            enabled=True,
        )
        run = uow.runs.queue(integration.id, "menu_sync", "schedule")
        program = uow.loyalty.program(org.id)
        personas = [uow.loyalty.add_persona(program.id, "Signup").id for _ in range(ROUNDS)]
        fresh = [uow.accounts.organization_named(f"Fresh {n}").id for n in range(ROUNDS)]
        return World(org.id, integration.id, store.id, run.id, personas, fresh)


def race(runtime: Runtime, call: Callable[[int], Any]) -> list[Any]:
    """Run ``call`` in CALLERS threads released at once; returns their answers, or fails with their errors."""
    barrier = threading.Barrier(CALLERS)
    answers: list[Any] = []
    errors: list[BaseException] = []

    def caller() -> None:
        try:
            barrier.wait(timeout=30)
            answers.append(call(0))
        except BaseException as error:  # every failure is what the test reports
            errors.append(error)

    threads = [threading.Thread(target=caller) for _ in range(CALLERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, f"{len(errors)} of {CALLERS} callers failed: {errors[0]!r}"
    assert len(answers) == CALLERS
    return answers


def in_uow(runtime: Runtime, work: Callable[[UnitOfWork], Any]) -> Callable[[int], Any]:
    def call(_: int) -> Any:
        with runtime.db.uow() as uow:
            return work(uow)

    return call


def count(runtime: Runtime, model: Any, *where: Any) -> int:
    with runtime.db.uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


# Each case: (what it races, how many rows there must be afterwards). ``n`` is the round.
Case = Callable[[Runtime, World, int], tuple[Callable[[UnitOfWork], Any], int]]


def program(runtime: Runtime, w: World, n: int) -> tuple[Callable[[UnitOfWork], Any], int]:
    org = w.organizations[n]
    return (lambda uow: uow.loyalty.program(org).id), count(
        runtime, t.LoyaltyProgram, t.LoyaltyProgram.organization_id == org
    ) + 1


def store_mapping(runtime: Runtime, w: World, n: int) -> tuple[Callable[[UnitOfWork], Any], int]:
    return (lambda uow: uow.loyalty.store_for(w.integration_id, f"facility-{n}")), 1


def sale(runtime: Runtime, w: World, n: int) -> tuple[Callable[[UnitOfWork], Any], int]:
    def work(uow: UnitOfWork) -> Any:
        recorded = uow.loyalty.record_sale(
            w.integration_id,
            f"sale-{n}",
            persona_id=None,
            location_key=None,
            completed_at=utcnow(),
            total_cents=4000,
            discount_ids=[],
        )
        return recorded is not None

    return work, 1


def ledger_entry(runtime: Runtime, w: World, n: int) -> tuple[Callable[[UnitOfWork], Any], int]:
    persona = w.personas[0]
    return (lambda uow: uow.loyalty.add_entry(persona, 40, "earn", f"sale:race:{n}", "40 points", "pos")), 1


def consent(runtime: Runtime, w: World, n: int) -> tuple[Callable[[UnitOfWork], Any], int]:
    persona = w.personas[n]

    def work(uow: UnitOfWork) -> Any:
        if uow.loyalty.consent(persona, "sms") is None:  # flows.loyalty.pull.evaluate and signup
            uow.loyalty.set_consent(persona, "sms", "pending", "purchased after the date")

    return work, 1


def persona_link(runtime: Runtime, w: World, n: int) -> tuple[Callable[[UnitOfWork], Any], int]:
    persona = w.personas[n]

    def work(uow: UnitOfWork) -> Any:
        if uow.loyalty.linked(w.integration_id, f"customer-{n}") is None:  # flows.loyalty.push_signup
            uow.loyalty.link(w.integration_id, f"customer-{n}", persona, "hash")

    return work, 1


def schedule(runtime: Runtime, w: World, n: int) -> tuple[Callable[[UnitOfWork], Any], int]:
    return (lambda uow: uow.runs.ensure_schedule(w.integration_id, f"flow_{n}", 900, utcnow()).id), 1


def quarantine(runtime: Runtime, w: World, n: int) -> tuple[Callable[[UnitOfWork], Any], int]:
    return (lambda uow: uow.runs.quarantine(w.integration_id, "product", f"item-{n}", {"id": n}, "bad", w.run_id)), 1


def organization(runtime: Runtime, w: World, n: int) -> tuple[Callable[[UnitOfWork], Any], int]:
    return (lambda uow: uow.accounts.organization_named(f"Race Org {n}").id), 1


def user(runtime: Runtime, w: World, n: int) -> tuple[Callable[[UnitOfWork], Any], int]:
    return (lambda uow: uow.users.set_user(w.organization_id, f"race{n}@example.com", "correct horse").id), 1


def binding(runtime: Runtime, w: World, n: int) -> tuple[Callable[[UnitOfWork], Any], int]:
    def work(uow: UnitOfWork) -> Any:
        if uow.bindings.internal(w.integration_id, "customer", f"pos-{n}") is None:
            uow.bindings.bind(w.integration_id, "customer", f"pos-{n}", 1000 + n)

    return work, 1


def product_pair(runtime: Runtime, w: World, n: int) -> tuple[Callable[[UnitOfWork], Any], int]:
    def work(uow: UnitOfWork) -> Any:  # flows.wholesale.sync_products
        return (
            uow.wholesale.product_for_item(w.integration_id, f"item-{n}")
            or uow.wholesale.pair_product(w.integration_id, f"item-{n}", f"product-{n}")
        ).id

    return work, 1


def buyer_pair(runtime: Runtime, w: World, n: int) -> tuple[Callable[[UnitOfWork], Any], int]:
    def work(uow: UnitOfWork) -> Any:  # flows.wholesale.order_in, once the POS has named the destination
        return uow.wholesale.pair_customer(w.integration_id, f"buyer-{n}", f"destination-{n}")

    return work, 1


def order_pair(runtime: Runtime, w: World, n: int) -> tuple[Callable[[UnitOfWork], Any], int]:
    def work(uow: UnitOfWork) -> Any:  # flows.wholesale.order_in
        return (
            uow.wholesale.order(w.integration_id, f"LL-{n}")
            or uow.wholesale.add_order(w.integration_id, f"LL-{n}", "Submitted")
        ).id

    return work, 1


def webhook_receipt(runtime: Runtime, w: World, n: int) -> tuple[Callable[[UnitOfWork], Any], int]:
    return (lambda uow: uow.wholesale.first_receipt(w.integration_id, f"{n:064x}")), 1


def outbox_message(runtime: Runtime, w: World, n: int) -> tuple[Callable[[UnitOfWork], Any], int]:
    return (lambda uow: uow.outbox.enqueue(w.integration_id, "push_order", n, f"push_order:race:{n}")), 1


def store_integration(runtime: Runtime, w: World, n: int) -> tuple[Callable[[UnitOfWork], Any], int]:
    def work(uow: UnitOfWork) -> Any:  # flows.integrations.save: a store's POS connected twice at once
        existing = uow.accounts.integration_for(w.store_id, f"vendor{n}")
        return uow.accounts.save_integration(
            w.organization_id,
            f"vendor{n}",
            store_id=w.store_id,
            existing=existing,
            credentials={"api_key": "k"},
            settings={"n": n},
            enabled=True,
        ).id

    return work, 1


ROWS: dict[str, tuple[Case, Any, Callable[[World, int], Any]]] = {
    "program": (program, t.LoyaltyProgram, lambda w, n: t.LoyaltyProgram.organization_id == w.organizations[n]),
    "store_mapping": (store_mapping, t.StoreMapping, lambda w, n: t.StoreMapping.location_key == f"facility-{n}"),
    "sale": (sale, t.LoyaltySale, lambda w, n: t.LoyaltySale.external_id == f"sale-{n}"),
    "ledger_entry": (ledger_entry, t.PointsEntry, lambda w, n: t.PointsEntry.reference == f"sale:race:{n}"),
    "consent": (consent, t.Consent, lambda w, n: t.Consent.persona_id == w.personas[n]),
    "persona_link": (persona_link, t.PersonaLink, lambda w, n: t.PersonaLink.external_id == f"customer-{n}"),
    "schedule": (schedule, t.Schedule, lambda w, n: t.Schedule.flow == f"flow_{n}"),
    "quarantine": (quarantine, t.QuarantinedRecord, lambda w, n: t.QuarantinedRecord.external_id == f"item-{n}"),
    "organization": (organization, t.Organization, lambda w, n: t.Organization.name == f"Race Org {n}"),
    "user": (user, t.User, lambda w, n: t.User.email == f"race{n}@example.com"),
    "binding": (binding, t.Binding, lambda w, n: t.Binding.external_id == f"pos-{n}"),
    "product_pair": (product_pair, t.WholesaleProduct, lambda w, n: t.WholesaleProduct.pos_item_id == f"item-{n}"),
    "buyer_pair": (
        buyer_pair,
        t.WholesaleCustomer,
        lambda w, n: t.WholesaleCustomer.market_customer_id == f"buyer-{n}",
    ),
    "order_pair": (order_pair, t.WholesaleOrder, lambda w, n: t.WholesaleOrder.market_number == f"LL-{n}"),
    "webhook_receipt": (webhook_receipt, t.WebhookReceipt, lambda w, n: t.WebhookReceipt.digest == f"{n:064x}"),
    "outbox_message": (
        outbox_message,
        t.OutboxMessage,
        lambda w, n: t.OutboxMessage.idempotency_key == f"push_order:race:{n}",
    ),
    "store_integration": (store_integration, t.Integration, lambda w, n: t.Integration.vendor == f"vendor{n}"),
}


@pytest.mark.parametrize("name", list(ROWS))
def test_get_or_create_raced_by_many_callers_makes_one_row_and_fails_nobody(runtime: Runtime, world: World, name: str):
    case, model, where = ROWS[name]
    for n in range(ROUNDS):
        work, rows = case(runtime, world, n)
        answers = race(runtime, in_uow(runtime, work))
        assert count(runtime, model, where(world, n)) == rows, f"{name}: round {n}"
        if name in ("sale", "ledger_entry", "webhook_receipt"):
            assert answers.count(True) == 1, f"{name}: exactly one caller records it ({answers})"
        if name in ("program", "schedule", "organization", "user", "product_pair", "order_pair", "store_integration"):
            assert len(set(answers)) == 1, f"{name}: every caller gets the same row"


def test_signups_of_one_new_shopper_at_once_make_one_persona(runtime: Runtime, world: World):
    """The signup form submitted twice at once (a double click, a retry) must not make the shopper twice."""
    for n in range(ROUNDS):
        phone = f"555010{n:04d}"
        form = loyalty_flow.Signup(CustomerDetails(first_name="Casey", last_name="Jones", phone=phone))
        answers = race(runtime, lambda _, form=form: loyalty_flow.signup(runtime.db, world.organization_id, form))
        assert len({persona_id for persona_id, _ in answers}) == 1
        assert [created for _, created in answers].count(True) == 1
        assert count(runtime, t.Persona, t.Persona.phone == phone) == 1


def test_a_pos_reporting_one_redemption_many_times_at_once_is_charged_once(runtime: Runtime, world: World):
    """The POS retries a redemption it did not hear back about; every report answers, points go once."""
    with runtime.db.uow() as uow:
        persona = uow.loyalty.persona(world.personas[0])
        assert persona is not None
        persona.enrolled_at = utcnow() - timedelta(days=1)
        uow.loyalty.link(world.integration_id, "member-1", persona.id, "hash")
        uow.loyalty.add_entry(persona.id, 500, "earn", "sale:seed", "500 points", "pos")
        reward = t.Reward(
            program_id=persona.program_id,
            integration_id=world.integration_id,
            name="$5 off",
            kind="flat",
            value="5",
            points_cost=50,
            pos_discount_id="501",
        )
        uow.session.add(reward)
        uow.session.flush()
        reward_id, persona_id = reward.id, persona.id
    for n in range(ROUNDS):
        answers = race(
            runtime,
            lambda _, ref=f"register-{n}": loyalty_flow.redeem(
                runtime.db, world.integration_id, world.organization_id, "member-1", reward_id, ref
            ),
        )
        assert len({redemption for redemption, _, _ in answers}) == 1
        assert [charged for _, charged, _ in answers].count(True) == 1
    with runtime.db.uow() as uow:
        assert uow.loyalty.balance(persona_id) == 500 - 50 * ROUNDS


def test_shoppers_checking_out_at_once_with_one_phone_share_one_customer_record(runtime: Runtime, world: World):
    """The customers table has no unique key (two shoppers may share a phone), so the match is serialised on the
    store's row instead: before that, 12 checkouts at once on PostgreSQL made 5 records for one phone."""
    for n in range(ROUNDS):
        phone = f"55501{n:05d}"
        details = CustomerDetails(first_name="Ada", last_name="Stone", phone=phone)
        answers = race(runtime, in_uow(runtime, lambda uow, d=details: uow.orders.save_customer(world.store_id, d).id))
        assert len(set(answers)) == 1
        assert count(runtime, t.Customer, t.Customer.store_id == world.store_id, t.Customer.phone == phone) == 1
