"""Shared fixtures: a real database per backend, a real Flourish sandbox and a real hub, all over loopback.

Every test that asks for ``runtime`` (directly or through ``hub``) runs twice: on SQLite and on PostgreSQL
(``CANNASYNC_TEST_POSTGRES_URL``). In CI a PostgreSQL that cannot be reached fails the run instead of skipping.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest
from sqlalchemy import text

from cannasync.cli.servers import BackgroundServer
from cannasync.jobs.embedded import EmbeddedWorkers
from cannasync.jobs.runtime import Runtime
from cannasync.sandboxes import flourish as flourish_sandbox
from cannasync.settings import Settings
from cannasync.store.db import make_engine, upgrade
from cannasync.store.secrets import SecretBox
from cannasync.store.tables import Base
from cannasync.web.site import create_site

# openapi-spec-validator picks the jsonschema-rs backend when it is installed (schemathesis brings it), and that
# engine refuses the inline `(?i)` flag LeafLink's file uses in its patterns; the Python engine (Python regexes,
# as the file's authors meant) is the one the LeafLink checks were written against.
os.environ.setdefault("OPENAPI_SPEC_VALIDATOR_SCHEMA_VALIDATOR_BACKEND", "jsonschema")
POSTGRES_URL = os.environ.get("CANNASYNC_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
TEST_KEY = SecretBox.new_key()
FACILITY = "101"


@pytest.fixture(scope="session")
def postgres_schema() -> Iterator[str]:
    """A schema of our own in the test database, migrated once: parallel runs never see each other's rows."""
    schema = f"cs_test_{os.getpid()}"
    admin = make_engine(POSTGRES_URL)
    try:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            connection.execute(text(f"CREATE SCHEMA {schema}"))
    except Exception as error:  # pragma: no cover - depends on the machine
        admin.dispose()
        message = f"PostgreSQL at {POSTGRES_URL} is not reachable: {error}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    engine = make_engine(POSTGRES_URL, search_path=schema)
    upgrade(engine)
    engine.dispose()
    yield schema
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


# A failed vendor write is tried again after 0.25 s, 0.5 s … at most 4 s (2 s … 15 min in production): the same
# rule, on a clock that lets a test see a faulted push settle in seconds.
RETRIES = {"retry_first_seconds": 0.25, "retry_max_seconds": 4.0}


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database migrated once per test process; each test gets a copy (migrating costs ~0.25 s a test)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "hub.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture
def runtime(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Runtime]:
    if backend == "sqlite":
        shutil.copyfile(request.getfixturevalue("sqlite_template"), tmp_path / "hub.db")
        settings = Settings(
            data_dir=tmp_path / "data", database_url=f"sqlite:///{tmp_path}/hub.db", secret_keys=TEST_KEY, **RETRIES
        )
        runtime = Runtime(settings, migrate=False)
    else:
        schema = request.getfixturevalue("postgres_schema")
        settings = Settings(data_dir=tmp_path / "data", database_url=POSTGRES_URL, secret_keys=TEST_KEY, **RETRIES)
        runtime = Runtime(settings, migrate=False, search_path=schema)
        tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
        with runtime.engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    yield runtime
    runtime.close()


def wait_for(check: Callable[[], Any], what: str, timeout: float = 60.0) -> Any:
    """Poll until ``check`` is truthy. The bound is generous because it costs nothing when the condition holds:
    on a busy machine (two suites on two cores) a run that takes 3 s alone can take 30."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@dataclass
class Sandbox:
    server: BackgroundServer
    state: Any  # the sandbox's FlourishSandbox, for assertions on what "Flourish" holds
    control: httpx2.Client

    @property
    def api_url(self) -> str:
        return f"{self.server.url}/external/api"

    def fault(self, **fault: Any) -> None:
        self.control.post("/_sandbox/faults", json=fault).raise_for_status()

    def move(self, order_id: str, status: str) -> None:
        self.control.post(
            f"/_sandbox/retail-orders/{order_id}/status", json={"order_status": status}
        ).raise_for_status()

    def set_quantity(self, item_id: str, quantity: int, facility: str = FACILITY) -> None:
        self.control.post(
            f"/_sandbox/items/{item_id}/quantity", json={"facility_id": facility, "sellable_qty": quantity}
        ).raise_for_status()

    def patch_item(self, item_id: str, **changes: Any) -> None:
        self.control.patch(f"/_sandbox/items/{item_id}", json=changes).raise_for_status()

    def requests(self) -> dict[str, int]:
        return dict(self.control.get("/_sandbox/requests").json())


@pytest.fixture
def flourish() -> Iterator[Sandbox]:
    app = flourish_sandbox.create_app(items=120, seed=3)
    server = BackgroundServer(app).start()
    with httpx2.Client(base_url=server.url, timeout=10) as control:
        yield Sandbox(server, app.state.sandbox, control)
    server.stop()


@dataclass
class Hub:
    runtime: Runtime
    workers: EmbeddedWorkers
    server: BackgroundServer
    api: httpx2.Client
    token: str
    organization_id: int

    @property
    def db(self) -> Any:
        return self.runtime.db

    def client(self, token: str | None) -> httpx2.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx2.Client(base_url=self.server.url, headers=headers, timeout=30)

    def sync(self, integration_id: int, flow: str = "menu_sync") -> dict[str, Any]:
        """Run a flow through the API (the Sync button) and wait for its run to end."""
        answer = self.api.post(f"/api/v1/integrations/{integration_id}/sync", json={"flow": flow})
        assert answer.status_code == 202, answer.text
        run_id = answer.json()["run_id"]
        assert run_id is not None, answer.text

        def finished() -> dict[str, Any] | None:
            run = self.api.get(f"/api/v1/runs/{run_id}").json()
            return run if run["status"] in ("succeeded", "failed") else None

        run = wait_for(finished, f"run {run_id}")
        if answer.json()["already_running"]:  # a run was under way: the follow-up queued behind it is ours

            def follow_up() -> dict[str, Any] | None:
                runs = self.api.get(f"/api/v1/integrations/{integration_id}/runs", params={"flow": flow}).json()
                later = [row for row in runs if row["id"] > run_id]
                first = min(later, key=lambda row: row["id"]) if later else None
                return first if first and first["status"] in ("succeeded", "failed") else None

            run = wait_for(follow_up, f"the run after {run_id}")
        return dict(run)

    def first_sync(self, integration_id: int, flow: str = "menu_sync") -> dict[str, Any]:
        """Wait for the run that connecting started and return it, as a person waits for the first sync after
        connecting. Connecting makes the flow due at once, so asking for another (``sync``) right after would
        find that run under way and wait for a second one reading the same pages again."""

        def first_ended() -> dict[str, Any] | None:
            runs = self.api.get(f"/api/v1/integrations/{integration_id}/runs", params={"flow": flow}).json()
            first = min(runs, key=lambda row: row["id"]) if runs else None
            return first if first and first["status"] in ("succeeded", "failed") else None

        run = wait_for(first_ended, f"the first {flow} of integration {integration_id}")
        return dict(self.api.get(f"/api/v1/runs/{run['id']}").json())

    def order(self, order_id: int) -> dict[str, Any]:
        return dict(self.api.get(f"/api/v1/orders/{order_id}").json())

    def stop(self) -> None:
        """Shut the hub down as `serve` does: the API first (it hands work to the workers), then the workers,
        which finish what they hold. Safe to call twice."""
        self.server.stop()
        self.workers.stop()


# Hubs of the test under way. They are stopped before any fixture is torn down: a run a webhook started in the
# test's last moments then ends against live sandboxes, instead of retrying against stopped ones (each read's
# backoff, about 2 s) while the hub fixture waits its turn to stop the workers.
_LIVE_HUBS: list[Hub] = []


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item: pytest.Item) -> None:
    while _LIVE_HUBS:
        _LIVE_HUBS.pop().stop()


@pytest.fixture
def hub(runtime: Runtime) -> Iterator[Hub]:
    workers = EmbeddedWorkers(runtime.db, workers=4, tick_seconds=0.1)
    server = BackgroundServer(create_site(runtime.db, workers.dispatcher)).start()
    workers.dispatcher.public_url = server.url
    with runtime.db.uow() as uow:
        org = uow.accounts.organization_named("Test Dispensary Co.")
        token = uow.accounts.issue_token(org.id, "tests")
        org_id = org.id
    workers.start()
    with httpx2.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as api:
        found = Hub(runtime, workers, server, api, token, org_id)
        _LIVE_HUBS.append(found)
        yield found
        if found in _LIVE_HUBS:
            _LIVE_HUBS.remove(found)
    found.stop()


@dataclass
class Connected:
    store_id: int
    integration_id: int


def connect_flourish(hub: Hub, sandbox: Sandbox, **settings: Any) -> Connected:
    """A store with Flourish connected and facility 101 chosen (so its schedules exist)."""
    store = hub.api.post("/api/v1/stores", json={"name": "Great Lakes Ann Arbor"}).json()
    answer = hub.api.put(
        f"/api/v1/stores/{store['id']}/integrations/flourish",
        json={
            "credentials": {"username": "demo", "api_key": "demo-key"},
            "settings": {"base_url": sandbox.api_url, "facility_id": FACILITY, "requests_per_second": 1000, **settings},
        },
    )
    assert answer.status_code == 200, answer.text
    return Connected(store["id"], answer.json()["id"])


@pytest.fixture
def connected(hub: Hub, flourish: Sandbox) -> Connected:
    """Flourish connected with Sync Orders on, and one full menu sync done."""
    link = connect_flourish(hub, flourish, sync_orders=True)
    run = hub.first_sync(link.integration_id)
    assert run["status"] == "succeeded", run
    return link


def pytest_configure(config: pytest.Config) -> None:
    from cannasync.jobs.runtime import configure_logging

    configure_logging("WARNING")


FLOWHUB_CREDENTIALS = {
    "client_id": "3f7c1a52-0d7e-4b8a-9a51-6f2d1c0e9b11",
    "api_key": "9b1d6c2e-7a44-4f0e-8c3b-5e2a7d9f1c20",
    "order_ahead_client_id": "c0ffee00-1234-4abc-9def-00000000a11e",
    "order_ahead_token": "oa-demo-token",
}


@dataclass
class FlowhubSandbox(Sandbox):
    def move(self, order_id: str, status: str) -> None:
        self.control.post(f"/_sandbox/orders/{order_id}/status", json={"status": status}).raise_for_status()

    def set_quantity(self, item_id: str, quantity: int, facility: str = "") -> None:
        self.control.post(
            f"/_sandbox/items/{item_id}/quantity", json={"locationId": facility, "quantity": quantity}
        ).raise_for_status()

    @property
    def api_url(self) -> str:
        return self.server.url

    @property
    def where(self) -> dict[str, str]:
        """The connection's address settings: the sandbox serves the Order Ahead grant (Auth0's part) too."""
        return {"base_url": self.server.url, "token_url": f"{self.server.url}/oauth/token"}

    def orders(self) -> list[dict[str, Any]]:
        return list(self.control.get("/_sandbox/orders").json()["data"])


@contextmanager
def served_flowhub(items: int = 120) -> Iterator[FlowhubSandbox]:
    """A Flowhub sandbox of ``items`` products (seed 3, no rate limit) on a real port, stopped afterwards."""
    from cannasync.sandboxes import flowhub as flowhub_sandbox

    app = flowhub_sandbox.create_app(items=items, seed=3, rate_limit_rps=None)
    server = BackgroundServer(app).start()
    with httpx2.Client(base_url=server.url, timeout=10) as control:
        yield FlowhubSandbox(server, app.state.sandbox, control)
    server.stop()


@pytest.fixture
def flowhub() -> Iterator[FlowhubSandbox]:
    with served_flowhub() as sandbox:
        yield sandbox


def connect_flowhub(hub: Hub, sandbox: FlowhubSandbox, location: str | None = None, **settings: Any) -> Connected:
    """A store with Flowhub connected at its first location (or ``location``)."""
    store = hub.api.post("/api/v1/stores", json={"name": "Sunset Eastside"}).json()
    url = f"/api/v1/stores/{store['id']}/integrations/flowhub"
    answer = hub.api.put(url, json={"credentials": FLOWHUB_CREDENTIALS, "settings": sandbox.where})
    assert answer.status_code == 200, answer.text
    chosen = location or answer.json()["locations"][0]["id"]
    answer = hub.api.put(url, json={"settings": {"location_id": chosen, "requests_per_second": 1000, **settings}})
    assert answer.status_code == 200, answer.text
    return Connected(store["id"], answer.json()["id"])


ALLEAVES_CREDENTIALS = {"location_id": "ALV-1001", "username": "demo", "password": "demo-pass"}


@dataclass
class AlleavesSandbox(Sandbox):
    def move(self, order_id: str, status: str) -> None:
        self.control.post(f"/_sandbox/orders/{order_id}/status", json={"status": status}).raise_for_status()

    def set_quantity(self, item_id: str, quantity: int, facility: str = "") -> None:
        self.control.post(
            f"/_sandbox/items/{item_id}/quantity", json={"area_id": facility, "quantity": quantity}
        ).raise_for_status()

    @property
    def api_url(self) -> str:
        return self.server.url

    def orders(self) -> list[dict[str, Any]]:
        return list(self.control.get("/_sandbox/orders").json()["data"])

    def patients(self) -> list[dict[str, Any]]:
        return list(self.control.get("/_sandbox/patients").json()["data"])


@pytest.fixture
def alleaves() -> Iterator[AlleavesSandbox]:
    from cannasync.connectors.alleaves.auth import forget_tokens
    from cannasync.sandboxes import alleaves as alleaves_sandbox

    forget_tokens()  # tokens are cached per credential for the process; each sandbox issues its own
    app = alleaves_sandbox.create_app(items=150, seed=3, rate_limit_per_minute=None)
    server = BackgroundServer(app).start()
    with httpx2.Client(base_url=server.url, timeout=10) as control:
        yield AlleavesSandbox(server, app.state.sandbox, control)
    server.stop()
    forget_tokens()


def connect_alleaves(
    hub: Hub, sandbox: AlleavesSandbox, areas: tuple[str, ...] = ("Retail",), **settings: Any
) -> Connected:
    """A store with Alleaves connected and the named areas chosen."""
    store = hub.api.post("/api/v1/stores", json={"name": "Evergreen Main St"}).json()
    url = f"/api/v1/stores/{store['id']}/integrations/alleaves"
    answer = hub.api.put(url, json={"credentials": ALLEAVES_CREDENTIALS, "settings": {"base_url": sandbox.api_url}})
    assert answer.status_code == 200, answer.text
    ids = [loc["id"] for loc in answer.json()["locations"] if loc["name"] in areas]
    assert len(ids) == len(areas), answer.json()["locations"]
    answer = hub.api.put(url, json={"settings": {"area_ids": ids, "requests_per_second": 1000, **settings}})
    assert answer.status_code == 200, answer.text
    return Connected(store["id"], answer.json()["id"])


@pytest.fixture
def loyalty_flourish() -> Iterator[Sandbox]:
    """A Flourish with a sales history and a third facility (a location key nobody has mapped yet)."""
    app = flourish_sandbox.create_app(items=60, seed=5, facilities=3, sales=30)
    server = BackgroundServer(app).start()
    with httpx2.Client(base_url=server.url, timeout=10) as control:
        yield Sandbox(server, app.state.sandbox, control)
    server.stop()


@pytest.fixture
def sms() -> Iterator[Sandbox]:
    from cannasync.sandboxes import sms as sms_sandbox

    app = sms_sandbox.create_app()
    server = BackgroundServer(app).start()
    with httpx2.Client(base_url=server.url, timeout=10) as control:
        yield Sandbox(server, app.state.sandbox, control)
    server.stop()


def connect_loyalty(hub: Hub, sandbox: Sandbox, **settings: Any) -> int:
    """A Flourish loyalty source (credential) for the hub's organization; returns its integration id."""
    answer = hub.api.post(
        "/api/v1/integrations",
        json={
            "vendor": "flourish_loyalty",
            "name": "Flourish MI",
            "credentials": {"username": "demo", "api_key": "demo-key"},
            "settings": {
                "base_url": sandbox.api_url,
                "age_gate_attested": True,
                "requests_per_second": 1000,
                **settings,
            },
        },
    )
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


def connect_sms(hub: Hub, sandbox: Sandbox) -> int:
    answer = hub.api.post(
        "/api/v1/integrations",
        json={
            "vendor": "sms",
            "name": "Texts",
            "credentials": {"api_key": "sms-demo-key", "signing_secret": "sms-demo-secret"},
            "settings": {"base_url": sandbox.server.url},
        },
    )
    assert answer.status_code == 201, answer.text
    sandbox.control.post("/_sandbox/config", json={"inbound_url": hub.server.url + answer.json()["inbound_path"]})
    return int(answer.json()["id"])


@dataclass
class Wholesale:
    flourish: Sandbox
    leaflink: Sandbox
    store_id: int
    flourish_integration_id: int
    link_id: int


@pytest.fixture
def wholesale(hub: Hub) -> Iterator[Wholesale]:
    """A Flourish facility and LeafLink company 1 bridged, with both vendors' webhooks pointed at the hub."""
    from cannasync.sandboxes import leaflink as leaflink_sandbox

    flourish_app = flourish_sandbox.create_app(items=60, seed=4)
    leaflink_app = leaflink_sandbox.create_app(seed=4, rate_limit_per_minute=None)
    flourish_server = BackgroundServer(flourish_app).start()
    leaflink_server = BackgroundServer(leaflink_app).start()
    with (
        httpx2.Client(base_url=flourish_server.url, timeout=10) as flourish_control,
        httpx2.Client(base_url=leaflink_server.url, timeout=10) as leaflink_control,
    ):
        flourish = Sandbox(flourish_server, flourish_app.state.sandbox, flourish_control)
        leaflink = Sandbox(leaflink_server, leaflink_app.state.sandbox, leaflink_control)
        store = hub.api.post("/api/v1/stores", json={"name": "Great Lakes Growers HQ"}).json()
        pos = hub.api.put(
            f"/api/v1/stores/{store['id']}/integrations/flourish",
            json={
                "credentials": {"username": "demo", "api_key": "demo-key", "webhook_key": "flourish-demo-webhook-key"},
                "settings": {"base_url": flourish.api_url, "facility_id": FACILITY, "requests_per_second": 1000},
            },
        )
        assert pos.status_code == 200, pos.text
        link = hub.api.post(
            "/api/v1/integrations",
            json={
                "vendor": "leaflink",
                "name": "LeafLink - Great Lakes Growers",
                "credentials": {"api_key": "ll-key-company-1", "webhook_key": "ll-demo-webhook-key"},
                "settings": {
                    "base_url": f"{leaflink.server.url}/api/v2",
                    "flourish_integration_id": pos.json()["id"],
                    "brands": ["Glacier Lake", "North Coast"],
                    "create_on": ["submitted", "accepted"],
                    "requests_per_second": 1000,
                },
            },
        )
        assert link.status_code == 201, link.text
        flourish_control.post(
            "/_sandbox/webhooks/config",
            json={"url": hub.server.url + pos.json()["inbound_path"], "key": "flourish-demo-webhook-key"},
        ).raise_for_status()
        leaflink_control.post(
            "/_sandbox/config", json={"webhook_url": hub.server.url + link.json()["inbound_path"], "company_id": 1}
        ).raise_for_status()
        yield Wholesale(flourish, leaflink, store["id"], pos.json()["id"], link.json()["id"])
    flourish_server.stop()
    leaflink_server.stop()


MERCHANT_EMAIL = "owner@greatlakes.test"
MERCHANT_PASSWORD = "correct horse battery"


@dataclass
class Console:
    """A browser-less merchant signed in to the console: the session cookie and the CSRF token its forms carry."""

    client: httpx2.Client
    csrf_token: str

    def get(self, path: str, **kwargs: Any) -> httpx2.Response:
        return self.client.get(path, **kwargs)

    def post(self, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> httpx2.Response:
        return self.client.post(path, data={"csrf_token": self.csrf_token, **(data or {})}, **kwargs)


def post_sign_in(client: httpx2.Client, email: str, password: str) -> httpx2.Response:
    """What a browser does: open the sign-in page (which sets its CSRF cookie), then post the form with its token."""
    form = client.get("/console/sign-in")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None, "the sign-in form carries a CSRF token"
    return client.post("/console/sign-in", data={"email": email, "password": password, "csrf_token": token.group(1)})


def sign_in(hub: Hub) -> Console:
    with hub.db.uow() as uow:
        uow.users.set_user(hub.organization_id, MERCHANT_EMAIL, MERCHANT_PASSWORD)
    client = httpx2.Client(base_url=hub.server.url, timeout=30, follow_redirects=True)
    answer = post_sign_in(client, MERCHANT_EMAIL, MERCHANT_PASSWORD)
    assert answer.status_code == 200, answer.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', answer.text)
    assert token is not None, "a signed-in page carries the CSRF token"
    return Console(client, token.group(1))


@pytest.fixture
def merchant(hub: Hub) -> Iterator[Console]:
    console = sign_in(hub)
    yield console
    console.client.close()
