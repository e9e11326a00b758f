"""The Integrations screen over real HTTP: sign-in, CSRF, a Flourish card saved, its facility chosen."""

from __future__ import annotations

import asyncio
import inspect
import json
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx2
from fastapi.routing import APIRoute
from starlette.requests import Request

from cannasync.cli.servers import BackgroundServer
from cannasync.jobs.runtime import Runtime
from cannasync.jobs.scheduler import Dispatcher
from cannasync.sandboxes import flourish as flourish_sandbox
from cannasync.web.site import create_site
from tests.conftest import (
    FACILITY,
    FLOWHUB_CREDENTIALS,
    MERCHANT_EMAIL,
    Console,
    FlowhubSandbox,
    Hub,
    Sandbox,
    connect_flourish,
    post_sign_in,
    wait_for,
)
from tests.proxy import answering_proxy


def test_pages_need_a_sign_in_and_say_where_to_go(hub: Hub):
    answer = hub.client(None).get("/console/stores/1/integrations", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/sign-in?next=/console/stores/1/integrations"


def test_a_wrong_password_is_refused_with_a_message(hub: Hub, merchant: Console):
    answer = post_sign_in(hub.client(None), MERCHANT_EMAIL, "nope-nope")
    assert answer.status_code == 401
    assert "don&#39;t match" in answer.text or "don't match" in answer.text


def test_a_form_without_the_csrf_token_changes_nothing(hub: Hub, merchant: Console):
    answer = merchant.client.post("/console/stores", data={"name": "Sneaky"})
    assert answer.status_code == 403
    with hub.db.uow() as uow:
        assert [s.name for s in uow.accounts.stores(hub.organization_id)] == []


@contextmanager
def held_answers(sandbox: Sandbox) -> Iterator[tuple[str, threading.Event]]:
    """The sandbox behind a proxy that passes each call on and holds its answer until the test lets go."""
    release = threading.Event()

    async def until_released(request: Request) -> None:
        await asyncio.to_thread(release.wait, 120)

    with answering_proxy(sandbox.server.url, until_released) as url:
        try:
            yield f"{url}/external/api", release
        finally:
            release.set()  # before the proxy stops: a held answer would hold up its shutdown


def test_a_slow_vendor_check_holds_up_nobody_else(hub: Hub, merchant: Console, flourish: Sandbox):
    """Saving a POS card checks its credentials with the vendor. While a slow vendor keeps that check waiting, the
    shop's shoppers, the API and the console's other pages go on being answered."""
    page = merchant.post("/console/stores", {"name": "Great Lakes Ann Arbor"})
    store_id = int(str(page.url).split("/stores/")[1].split("/")[0])
    answers: list[httpx2.Response] = []
    with held_answers(flourish) as (api_url, release):
        saving = threading.Thread(
            target=lambda: answers.append(
                merchant.post(
                    f"/console/stores/{store_id}/integrations/flourish",
                    {
                        "enabled": "on",
                        "credentials.username": "demo",
                        "credentials.api_key": "demo-key",
                        "settings.base_url": api_url,
                    },
                )
            )
        )
        saving.start()
        wait_for(lambda: sum(flourish.requests().values()) > 0, "the credential check to reach Flourish")
        # Flourish's answer is held until every other request has been answered: one queued behind the check would
        # never be (no clock here, so a busy machine's slow answers are not mistaken for waiting).
        for path, client in (
            (f"/shop/{store_id}", hub.client(None)),
            ("/api/v1/stores", hub.api),
            (f"/console/stores/{store_id}/settings", merchant.client),
        ):
            answer = client.get(path)
            assert answer.status_code == 200, (path, answer.text[:300])
        assert not answers, "the vendor check ended before Flourish answered"
        release.set()
        saving.join(timeout=120)
    assert answers and answers[0].status_code == 200, answers[0].text if answers else "no answer"
    assert "Now choose the facility to sync." in answers[0].text


def _endpoints(routes: Iterable[Any]) -> Iterator[Callable[..., Any]]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route.endpoint
        included = getattr(route, "original_router", None)  # this FastAPI keeps an included router whole
        if included is not None:
            yield from _endpoints(included.routes)


def test_every_page_and_api_handler_waits_off_the_event_loop(runtime: Runtime):
    """The rule behind the test above, for every route: a handler is a plain function (FastAPI runs it in a worker
    thread) unless it is a coroutine that hands its work to one itself (the webhook intake, which must read the
    exact bytes first)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        site = create_site(runtime.db, Dispatcher(runtime.db, pool))
    handlers = list(_endpoints(site.routes))
    assert len(handlers) > 100
    coroutines = sorted(f"{h.__module__}.{h.__name__}" for h in handlers if inspect.iscoroutinefunction(h))
    assert coroutines == ["cannasync.api.hooks.inbound"]


def test_connect_flourish_then_choose_a_facility(hub: Hub, merchant: Console, flourish: Sandbox):
    page = merchant.post("/console/stores", {"name": "Great Lakes Ann Arbor"})
    assert page.status_code == 200 and "Connect Flourish" in page.text
    store_id = int(str(page.url).split("/stores/")[1].split("/")[0])

    saved = merchant.post(
        f"/console/stores/{store_id}/integrations/flourish",
        {
            "enabled": "on",
            "credentials.username": "demo",
            "credentials.api_key": "demo-key",
            "settings.base_url": flourish.api_url,
            "present": "sync_orders",
            "settings.sync_orders": "on",
        },
    )
    assert saved.status_code == 200, saved.text
    assert "Now choose the facility to sync." in saved.text
    assert "demo-key" not in saved.text  # credentials are write-only
    assert f'value="{FACILITY}"' in saved.text

    with hub.db.uow() as uow:
        row = uow.accounts.integration_for(store_id, "flourish")
        assert row is not None and row.settings["sync_orders"] is True
        integration_id = row.id
    chosen = merchant.post(
        f"/console/integrations/{integration_id}",
        {"enabled": "on", "present": ["facility_id", "sync_orders"], "settings.facility_id": FACILITY},
    )
    assert chosen.status_code == 200, chosen.text
    assert "Connected" in chosen.text
    with hub.db.uow() as uow:
        row = uow.accounts.integration(integration_id)
        assert row is not None
        assert row.settings["facility_id"] == FACILITY
        assert row.settings["sync_orders"] is False  # the box was drawn and left unticked
        assert uow.accounts.config(row).credentials["api_key"] == "demo-key"  # blank fields kept the saved key
        assert {s.flow for s in uow.runs.schedules(integration_id)} == {"menu_sync", "order_status", "reconcile"}

    check = merchant.post(f"/console/integrations/{integration_id}/check")
    assert "Flourish answered" in check.text

    # Check this account: the read-only check on the saved credentials; its report is kept, with none of them.
    answer = merchant.post(f"/console/integrations/{integration_id}/account-check")
    assert answer.status_code == 200, answer.text
    assert 'data-testid="account-verdict">Usable<' in answer.text
    assert "retail_price &#39;TBD&#39; is not a number" in answer.text  # a planted malformed item, with its reason
    with hub.db.uow() as uow:  # when it was checked, in the store's own time
        store = uow.accounts.store(store_id)
        assert store is not None
        abbreviation = datetime.now(ZoneInfo(store.timezone)).strftime("%Z")
    assert re.search(rf"Checked \d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d {abbreviation},", answer.text), answer.text
    page = merchant.get(f"/console/stores/{store_id}/integrations").text
    assert 'data-testid="account-verdict">Usable<' in page, "the report is kept on the connection"
    assert "demo-key" not in answer.text + page
    with hub.db.uow() as uow:
        kept = uow.accounts.integration(integration_id)
        assert kept is not None and kept.last_check is not None and kept.last_check["usable"] is True
    assert "demo-key" not in json.dumps(kept.last_check)
    # Another organization's connection is not found; a disconnected one says why it is not checked.
    assert merchant.post("/console/integrations/999999/account-check").status_code == 404
    merchant.post(f"/console/integrations/{integration_id}/disconnect")
    gone = merchant.post(f"/console/integrations/{integration_id}/account-check")
    assert "Not checked: Flourish is disconnected" in gone.text


def test_wrong_credentials_are_named_and_nothing_is_saved(hub: Hub, merchant: Console, flourish: Sandbox):
    page = merchant.post("/console/stores", {"name": "Great Lakes Ann Arbor"})
    store_id = int(str(page.url).split("/stores/")[1].split("/")[0])
    answer = merchant.post(
        f"/console/stores/{store_id}/integrations/flourish",
        {
            "enabled": "on",
            "credentials.username": "demo",
            "credentials.api_key": "wrong",
            "settings.base_url": flourish.api_url,
        },
    )
    assert answer.status_code == 422
    assert "refused these credentials" in answer.text
    with hub.db.uow() as uow:
        assert uow.accounts.integration_for(store_id, "flourish") is None


def test_a_refused_save_keeps_the_typed_ids_and_names_fields_by_their_labels(
    hub: Hub, merchant: Console, flourish: Sandbox, flowhub: FlowhubSandbox
):
    page = merchant.post("/console/stores", {"name": "Sunset Eastside"})
    store_id = int(str(page.url).split("/stores/")[1].split("/")[0])
    refused = merchant.post(
        f"/console/stores/{store_id}/integrations/flowhub",
        {
            "enabled": "on",
            "credentials.api_key": "not-the-key",
            "credentials.client_id": FLOWHUB_CREDENTIALS["client_id"],
            "credentials.order_ahead_client_id": FLOWHUB_CREDENTIALS["order_ahead_client_id"],
            "credentials.order_ahead_token": "not-the-token",
            "settings.base_url": flowhub.api_url,
            "settings.room_id": "Back room",
        },
    )
    assert refused.status_code == 422, refused.text
    # The room id's mistake is named by its label; the ids typed are drawn again, in plain text; secrets are not.
    assert "Room ID: &#39;Back room&#39; is not a Room ID" in refused.text or "Room ID: 'Back room'" in refused.text
    assert "room_id:" not in refused.text
    assert f'value="{FLOWHUB_CREDENTIALS["client_id"]}"' in refused.text
    assert f'value="{FLOWHUB_CREDENTIALS["order_ahead_client_id"]}"' in refused.text
    assert "not-the-key" not in refused.text and "not-the-token" not in refused.text
    assert 'value="Back room"' in refused.text  # the setting too, to correct rather than retype

    # A facility that is not the account's is named as "Facility", beside the picker.
    saved = merchant.post(
        f"/console/stores/{store_id}/integrations/flourish",
        {
            "enabled": "on",
            "credentials.username": "demo",
            "credentials.api_key": "demo-key",
            "settings.base_url": flourish.api_url,
        },
    )
    assert saved.status_code == 200, saved.text
    with hub.db.uow() as uow:
        row = uow.accounts.integration_for(store_id, "flourish")
        assert row is not None
        integration_id = row.id
    wrong = merchant.post(
        f"/console/integrations/{integration_id}",
        {"enabled": "on", "present": ["facility_id"], "settings.facility_id": "999"},
    )
    assert wrong.status_code == 422
    assert "Facility: &#39;999&#39; is not one of this account" in wrong.text
    assert "facility_id:" not in wrong.text
    assert "chosen=999" in wrong.text  # the picker, loaded after, shows the choice that was refused


def test_a_new_base_url_needs_the_saved_secret_typed_again(hub: Hub, merchant: Console, flourish: Sandbox):
    """Typing only a new username with a new address must not send the saved key to that address."""
    link = connect_flourish(hub, flourish)
    elsewhere = flourish_sandbox.create_app(items=5, seed=1)
    server = BackgroundServer(elsewhere).start()
    try:
        answer = merchant.post(
            f"/console/integrations/{link.integration_id}",
            {"enabled": "on", "credentials.username": "demo", "settings.base_url": f"{server.url}/external/api"},
        )
        assert answer.status_code == 422, answer.text
        assert "type the saved secrets again" in answer.text
        with httpx2.Client(base_url=server.url) as control:
            assert control.get("/_sandbox/requests").json() == {}  # the other host was never called
    finally:
        server.stop()
    with hub.db.uow() as uow:
        row = uow.accounts.integration(link.integration_id)
        assert row is not None and row.settings["base_url"] == flourish.api_url
