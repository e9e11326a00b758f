"""Requests a stranger or a broken client may send: each gets a 4xx at once that names what to fix, never a 500.

Every case here was a server error, a stall or a silent drop before (issue 13's probes), on SQLite, PostgreSQL or
both; the tests run on both.
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx2
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from cannasync.cli.servers import BackgroundServer
from cannasync.store.tables import Integration
from tests.api.test_api import new_store, order_body, place, stocked
from tests.conftest import Connected, Hub, Wholesale, sign_in


def refused(answer: httpx2.Response, status: int, *words: str) -> None:
    assert answer.status_code == status, (answer.status_code, answer.text)
    text = json.dumps(answer.json())
    for word in words:
        assert word in text, (word, text)


def test_a_huge_offer_value_is_refused_at_once_and_the_hub_keeps_answering(hub: Hub, connected: Connected):
    item = stocked(hub, connected.store_id)[0]
    offer = {"label": "Big", "kind": "amount", "value": "1e1000000"}
    started = time.monotonic()
    answer = place(hub, connected.store_id, order_body(item["id"], offers=[offer]))
    refused(answer, 422, "value")
    assert time.monotonic() - started < 2, "the bound is checked before any arithmetic"
    over_100 = place(
        hub, connected.store_id, order_body(item["id"], offers=[{**offer, "kind": "percent", "value": 150}])
    )
    refused(over_100, 422, "100")
    for value in ("NaN", "Infinity", "-1"):
        refused(
            place(hub, connected.store_id, order_body(item["id"], offers=[{**offer, "value": value}])), 422, "value"
        )
    assert hub.api.get(f"/api/v1/stores/{connected.store_id}/orders").json() == []
    assert hub.api.get("/healthz").status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/stores/{big}",
        "/api/v1/orders/{big}",
        "/api/v1/products/{big}",
        "/api/v1/integrations/{big}",
        "/api/v1/runs/{big}",
    ],
)
def test_ids_past_what_a_row_can_hold_are_a_422_naming_the_parameter(hub: Hub, path: str):
    answer = hub.api.get(path.format(big=2**63))
    refused(answer, 422, "less than or equal")
    assert answer.json()["detail"][0]["loc"][0] == "path"


def test_integers_past_2_63_in_bodies_and_queries_are_422(hub: Hub, connected: Connected):
    store = connected.store_id
    item = stocked(hub, store)[0]
    refused(place(hub, store, order_body(2**63)), 422, "product_id")
    refused(
        place(hub, store, order_body(item["id"], fees=[{"name": "Bag", "amount_cents": 2**63}])), 422, "amount_cents"
    )
    refused(hub.api.patch(f"/api/v1/products/{item['id']}", json={"rec_price_cents": 2**64}), 422, "rec_price_cents")
    refused(hub.api.get(f"/api/v1/stores/{store}/orders", params={"offset": 2**63}), 422, "offset")
    refused(hub.api.get(f"/api/v1/stores/{store}/products", params={"offset": 2**63}), 422, "offset")


def test_checkout_fields_a_database_cannot_hold_or_a_person_did_not_mean(hub: Hub, connected: Connected):
    store = connected.store_id
    item = stocked(hub, store)[0]
    customer = order_body(item["id"])["customer"]

    def with_customer(**changes: Any) -> httpx2.Response:
        return place(hub, store, order_body(item["id"], customer={**customer, **changes}))

    refused(with_customer(first_name="Ada\x00"), 422, "NUL")
    # A lone surrogate as a real client sends it: escaped in the JSON text (``\ud800``), which parses to a str
    # that UTF-8 cannot encode.
    lone = json.dumps(order_body(item["id"], customer={**customer, "last_name": "Stone\ud800"}))
    sent = hub.api.post(
        f"/api/v1/stores/{store}/orders", content=lone.encode(), headers={"content-type": "application/json"}
    )
    refused(sent, 422, "surrogate")
    refused(with_customer(email="a" * 250 + "@example.com"), 422, "email")
    refused(with_customer(date_of_birth="0001-01-01"), 422, "1900")
    refused(with_customer(phone="call me maybe"), 422, "phone")
    refused(place(hub, store, {**order_body(item["id"]), "lines": [{"product_id": item["id"], "quantity": True}]}), 422)
    naive_and_aware = order_body(item["id"], window_start="2026-12-03T17:00:00", window_end="2026-12-03T18:00:00-08:00")
    refused(place(hub, store, naive_and_aware), 422, "UTC offset")
    far = order_body(item["id"], window_start="9999-12-31T23:00:00-14:00", window_end="9999-12-31T23:30:00-14:00")
    refused(place(hub, store, far), 422, "2100")
    assert hub.api.get(f"/api/v1/stores/{store}/orders").json() == []


def test_store_and_catalogue_edits_that_would_store_nonsense(hub: Hub, connected: Connected):
    refused(hub.api.post("/api/v1/stores", json={"name": "Zoned", "timezone": "Mars/Olympus"}), 422, "time zone")
    refused(hub.api.post("/api/v1/stores", json={"name": "Zoned", "timezone": "A" * 65}), 422, "timezone")
    ok = hub.api.post("/api/v1/stores", json={"name": "Zoned", "timezone": "America/Detroit"})
    assert ok.status_code == 201, ok.text
    mappings = f"/api/v1/stores/{connected.store_id}/category-mappings"
    refused(hub.api.put(mappings, json={"mapping": {"Vapes": ""}}), 422, "mapping")
    refused(hub.api.put(mappings, json={"mapping": {"V" * 201: "Vapes"}}), 422, "mapping")
    item = stocked(hub, connected.store_id)[0]
    for image in ("javascript:alert(1)", "file:///etc/passwd", "not a url"):
        refused(hub.api.patch(f"/api/v1/products/{item['id']}", json={"images": [image]}), 422, "http(s)")
    assert hub.api.get(f"/api/v1/stores/{connected.store_id}/category-mappings").json() == {"mapping": {}}


def test_forged_tokens_and_signatures_with_non_ascii_are_refused_not_crashed(hub: Hub, connected: Connected):
    # A postback address with a wrong (here non-ASCII) token: refused, never a 500.
    answer = hub.api.post(f"/hooks/flowhub/{connected.integration_id}/%C3%A9t%C3%A9", json={})
    assert answer.status_code == 401, answer.text
    # The Flourish webhook's signature header with characters outside ASCII (HTTP carries them as Latin-1).
    with hub.db.uow() as uow:
        token = uow.session.get(Integration, connected.integration_id).webhook_token
    signed = hub.api.post(
        f"/hooks/flourish/{connected.integration_id}/{token}",
        content=b"{}",
        headers={"auth-signature": "\u00e9\u00e9".encode("latin-1"), "content-type": "application/json"},
    )
    assert signed.status_code == 401, signed.text
    # The console's CSRF header.
    console = sign_in(hub)
    try:
        forged = console.client.post(
            f"/console/integrations/{connected.integration_id}/check",
            headers={"X-CSRF-Token": "\u00fc".encode("latin-1")},
        )
        assert forged.status_code == 403, forged.text
    finally:
        console.client.close()


def test_a_deeply_nested_body_is_a_400_and_an_oversized_one_a_413(hub: Hub):
    store = new_store(hub, "Nested")
    deep = "[" * 100_000 + "]" * 100_000
    nested = hub.api.post(f"/api/v1/stores/{store}/orders", content=deep, headers={"content-type": "application/json"})
    assert 400 <= nested.status_code < 500, nested.text
    huge = hub.api.post(
        f"/api/v1/stores/{store}/orders", content=b"x" * (3 * 1024 * 1024), headers={"content-type": "application/json"}
    )
    refused(huge, 413, "larger than")

    def stream() -> Any:  # no Content-Length: the cap applies while it streams
        for _ in range(64):
            yield b" " * 65536

    streamed = hub.api.post(
        f"/api/v1/stores/{store}/orders", content=stream(), headers={"content-type": "application/json"}
    )
    refused(streamed, 413, "larger than")
    assert hub.api.get("/healthz").status_code == 200


class Capture:
    """A stranger's host: records every request that reaches it, headers included."""

    def __init__(self) -> None:
        self.seen: list[dict[str, str]] = []

        async def anything(request: Request) -> JSONResponse:
            self.seen.append(dict(request.headers))
            return JSONResponse([{"id": "x", "name": "echo"}])

        app = Starlette(routes=[Route("/{path:path}", anything, methods=["GET", "POST", "PUT"])])
        self.server = BackgroundServer(app).start()


def test_saved_credentials_never_follow_a_changed_base_url(hub: Hub, connected: Connected):
    capture = Capture()
    try:
        moved = hub.api.patch(
            f"/api/v1/integrations/{connected.integration_id}",
            json={"settings": {"base_url": capture.server.url + "/external/api"}},
        )
        refused(moved, 422, "credentials")
        assert capture.seen == [], "the saved key was sent to the new host"
        assert hub.api.get(f"/api/v1/integrations/{connected.integration_id}").json()["settings"]["base_url"] != (
            capture.server.url + "/external/api"
        )
        for bad in ("ftp://example.com/api", "not a url", "file:///etc/passwd"):
            refused(
                hub.api.patch(
                    f"/api/v1/integrations/{connected.integration_id}",
                    json={"credentials": {"username": "demo", "api_key": "demo-key"}, "settings": {"base_url": bad}},
                ),
                422,
                "http(s)",
            )
        assert capture.seen == []
    finally:
        capture.server.stop()


def test_a_leaflink_link_cannot_name_another_organizations_flourish_connection(hub: Hub, wholesale: Wholesale):
    with hub.db.uow() as uow:
        other = uow.accounts.organization_named("Someone Else Co.")
        other_token = uow.accounts.issue_token(other.id, "tests")
    stranger = hub.client(other_token)
    link = stranger.post(
        "/api/v1/integrations",
        json={
            "vendor": "leaflink",
            "name": "Borrowed supplier",
            "credentials": {"api_key": "ll-key-company-1", "webhook_key": "ll-demo-webhook-key"},
            "settings": {
                "base_url": f"{wholesale.leaflink.server.url}/api/v2",
                "flourish_integration_id": wholesale.flourish_integration_id,
                "requests_per_second": 1000,
            },
        },
    )
    refused(link, 422, "flourish_integration_id", "not a connection of yours")
    assert stranger.get("/api/v1/integrations").json() == []
