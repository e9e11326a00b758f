"""Vendor credentials: encrypted at rest, readable after a key rotation, and never written to a log."""

from __future__ import annotations

import base64
import io
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import structlog
from sqlalchemy import text

from cannasync.jobs.runtime import configure_logging
from cannasync.store.accounts import IntegrationConfig
from cannasync.store.secrets import SecretBox, SecretsUnreadable
from tests.conftest import FACILITY, TEST_KEY, Hub, Sandbox, wait_for

SECRET_KEY = "sk-flourish-Zr8uKq3NvB6yTe1W"
USERNAME = "budtender.ypsilanti"
SECRETS = (SECRET_KEY, USERNAME, base64.b64encode(f"{USERNAME}:{SECRET_KEY}".encode()).decode())


def connect(hub: Hub, sandbox: Sandbox, store_id: int | None = None, **settings: Any) -> tuple[int, int]:
    """Connect Flourish with a key of our own, distinctive enough that finding it anywhere means a leak."""
    with sandbox.state.lock:
        sandbox.state.credentials[SECRET_KEY] = (USERNAME, True)
    if store_id is None:
        store_id = int(hub.api.post("/api/v1/stores", json={"name": "Great Lakes Ypsilanti"}).json()["id"])
    answer = hub.api.put(
        f"/api/v1/stores/{store_id}/integrations/flourish",
        json={
            "credentials": {"username": USERNAME, "api_key": SECRET_KEY},
            "settings": {"base_url": sandbox.api_url, "requests_per_second": 1000, **settings},
        },
    )
    assert answer.status_code == 200, answer.text
    return store_id, int(answer.json()["id"])


# --- at rest ---------------------------------------------------------------------------------------------------


def test_credentials_are_encrypted_at_rest(hub: Hub, flourish: Sandbox):
    store_id, integration_id = connect(hub, flourish)  # no facility chosen: nothing syncs meanwhile
    with hub.db.uow() as uow:
        rows = uow.session.execute(text("select id, credentials, settings from integrations")).all()
    assert [row[0] for row in rows] == [integration_id]
    sealed = bytes(rows[0][1])
    assert sealed, "credentials were not stored"
    for secret in (SECRET_KEY, USERNAME, "api_key", "username"):
        assert secret.encode() not in sealed, f"{secret!r} is readable in integrations.credentials"
    assert SECRET_KEY not in str(rows[0][2]) and USERNAME not in str(rows[0][2])
    # They open with the configured key, and with nothing else.
    assert hub.runtime.settings.secret_keys == TEST_KEY
    assert SecretBox([TEST_KEY]).open(sealed) == {"username": USERNAME, "api_key": SECRET_KEY}
    with pytest.raises(SecretsUnreadable):
        SecretBox([SecretBox.new_key()]).open(sealed)
    # Saving again re-encrypts: the same credentials never give the same bytes (no dictionary attack on them).
    connect(hub, flourish, store_id)
    with hub.db.uow() as uow:
        resealed = bytes(uow.session.execute(text("select credentials from integrations")).scalar_one())
    assert resealed != sealed
    assert SecretBox([TEST_KEY]).open(resealed) == SecretBox([TEST_KEY]).open(sealed)


def test_a_rotated_key_list_still_opens_old_secrets():
    old, new, unrelated = SecretBox.new_key(), SecretBox.new_key(), SecretBox.new_key()
    secret = {"username": USERNAME, "api_key": SECRET_KEY}
    sealed_with_old = SecretBox([old]).seal(secret)

    rotated = SecretBox([new, old])  # newest first, as CANNASYNC_SECRET_KEYS says
    assert rotated.open(sealed_with_old) == secret
    resealed = rotated.rotate(sealed_with_old)
    assert SecretBox([new]).open(resealed) == secret  # once rotated, the old key can be dropped
    with pytest.raises(SecretsUnreadable):
        SecretBox([old]).open(rotated.seal(secret))  # new secrets use the first key
    with pytest.raises(SecretsUnreadable):
        SecretBox([new]).open(sealed_with_old)
    with pytest.raises(SecretsUnreadable):
        SecretBox([unrelated]).open(sealed_with_old)
    with pytest.raises(SecretsUnreadable):
        rotated.open(b"not a fernet token")
    with pytest.raises(ValueError):
        SecretBox([])


def test_a_decrypted_config_does_not_show_its_credentials():
    config = IntegrationConfig(
        id=1,
        organization_id=1,
        store_id=2,
        vendor="flourish",
        enabled=True,
        credentials={"username": USERNAME, "api_key": SECRET_KEY},
        settings={},
    )
    for shown in (repr(config), str(config), f"{config}", f"{config!r}"):
        assert SECRET_KEY not in shown and USERNAME not in shown


# --- logs ------------------------------------------------------------------------------------------------------


@contextmanager
def debug_log() -> Iterator[tuple[io.StringIO, io.StringIO]]:
    """Everything cannasync logs at DEBUG, through structlog and through the standard library, captured.

    ``configure_logging`` caches each module's logger on first use (``cache_logger_on_first_use``), so loggers
    used by earlier tests would keep their WARNING filter: their cache is dropped here and again afterwards.
    Used inside the test body (not as a fixture) so that DEBUG never outlives the test's own output capture.
    """
    structured, standard = io.StringIO(), io.StringIO()
    before = structlog.get_config()
    proxy_type = type(structlog.get_logger())
    proxies = [
        value
        for name, module in list(sys.modules.items())
        if name.startswith("cannasync") and module is not None
        for value in vars(module).values()
        if isinstance(value, proxy_type)
    ]
    assert proxies, "cannasync's module loggers were not found"

    def forget_cached_loggers() -> None:
        for proxy in proxies:
            vars(proxy).pop("bind", None)

    root = logging.getLogger()
    handler = logging.StreamHandler(standard)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    level = root.level
    configure_logging("DEBUG")
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(structured))
    forget_cached_loggers()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield structured, standard
    finally:
        root.setLevel(level)
        root.removeHandler(handler)
        configure_logging("WARNING")
        structlog.configure(**before)
        forget_cached_loggers()


def test_credentials_never_reach_the_logs(hub: Hub, flourish: Sandbox):
    with debug_log() as (structured_log, standard_log):
        run_the_story(hub, flourish)
    structured, standard = structured_log.getvalue(), standard_log.getvalue()
    # The capture works: every kind of vendor call was logged (so this test can fail).
    calls = [line for line in structured.splitlines() if "vendor_call" in line]
    for path in ("facilities", "items", "inventory/summary", "retail-orders", "customers"):
        assert any(path in line for line in calls), f"no vendor_call for {path} in the log"
    assert "order_pushed" in structured and "menu_sync_done" in structured
    assert "apscheduler" in standard  # the libraries' lines are captured too (so this test can fail)
    assert "HTTP Request" not in standard  # httpx2's own lines carry whole URLs: configure_logging keeps them out
    for secret in SECRETS:
        assert secret not in structured, f"{secret!r} was logged by structlog"
        assert secret not in standard, f"{secret!r} was logged through logging"


def run_the_story(hub: Hub, flourish: Sandbox) -> None:
    """Connect, sync the menu, place and push an order, sync statuses, and try a refused key."""
    store_id, integration_id = connect(hub, flourish, facility_id=FACILITY, sync_orders=True)
    assert hub.sync(integration_id)["status"] == "succeeded"
    product = next(
        p
        for p in hub.api.get(f"/api/v1/stores/{store_id}/products", params={"limit": 200}).json()["data"]
        if p["available_quantity"] >= 1
    )
    order = hub.api.post(
        f"/api/v1/stores/{store_id}/orders",
        json={
            "customer": {
                "first_name": "Ada",
                "last_name": "Stone",
                "date_of_birth": "1990-05-17",
                "phone": "5550102030",
                "email": "ada@example.com",
            },
            "lines": [{"product_id": product["id"], "quantity": 1}],
        },
    )
    assert order.status_code == 201, order.text
    assert hub.api.post(f"/api/v1/orders/{order.json()['id']}/confirm").status_code == 200
    wait_for(lambda: hub.order(order.json()["id"])["pos_order_id"], "the order push")
    assert hub.sync(integration_id, "order_status")["status"] == "succeeded"
    # A refused key goes through the error path: it must not be logged either.
    refused = hub.api.put(
        f"/api/v1/stores/{store_id}/integrations/flourish",
        json={"credentials": {"username": USERNAME, "api_key": SECRET_KEY + "-old"}, "settings": {}},
    )
    assert refused.status_code == 422 and SECRET_KEY not in refused.text
