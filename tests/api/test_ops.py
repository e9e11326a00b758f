"""Operations endpoints over real HTTP, on SQLite and PostgreSQL: /healthz, /readyz, /metrics, correlation ids.

/readyz names what is missing (a database that is gone, a Redis or broker on a port nobody listens on); /metrics
reports, from the database, what every process would report; a caller's X-Correlation-ID comes back and is on the
JSON log lines of the request and of the vendor calls made for it.
"""

from __future__ import annotations

import io
import json
import logging
import os
import sys
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import httpx2
import pytest
import redis
import structlog
from prometheus_client.parser import text_string_to_metric_families

from cannasync.api import correlation
from cannasync.api.app import create_app
from cannasync.cli.servers import BackgroundServer
from cannasync.connectors import http, limits
from cannasync.jobs.runtime import Runtime, configure_logging
from cannasync.jobs.scheduler import Dispatcher
from cannasync.store.db import make_engine, make_session_factory
from cannasync.store.tables import Integration, OutboxMessage, QuarantinedRecord, Schedule, SyncRun
from cannasync.store.types import utcnow
from cannasync.store.uow import Database
from tests.conftest import FACILITY, FLOWHUB_CREDENTIALS, Connected, Hub, Sandbox, wait_for

pytestmark = pytest.mark.db

REDIS_URL = os.environ.get("CANNASYNC_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
NOBODY = "127.0.0.1:1"  # a port nothing listens on


@pytest.fixture
def serve() -> Iterator[Callable[..., httpx2.Client]]:
    """Serve ``create_app(db, ...)`` with no workers (nothing claims due work), and return a client for it."""
    started: list[tuple[BackgroundServer, httpx2.Client, ThreadPoolExecutor]] = []

    def start(db: Database, **options: Any) -> httpx2.Client:
        executor = ThreadPoolExecutor(max_workers=1)
        server = BackgroundServer(create_app(db, Dispatcher(db, executor), **options)).start()
        client = httpx2.Client(base_url=server.url, timeout=30)
        started.append((server, client, executor))
        return client

    yield start
    for server, client, executor in started:
        client.close()
        server.stop()
        executor.shutdown()


def needs_redis() -> str:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as error:  # pragma: no cover - depends on the machine
        if os.environ.get("CI"):
            pytest.fail(f"Redis at {REDIS_URL} is not reachable: {error}")
        pytest.skip(f"Redis at {REDIS_URL} is not reachable: {error}")
    return REDIS_URL


def scrape(client: httpx2.Client) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """/metrics as {(sample name, labels): value}."""
    answer = client.get("/metrics")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


# --- /healthz, /readyz -----------------------------------------------------------------------------------------


def test_healthz_and_readyz_answer_when_the_database_does(hub: Hub):
    assert hub.api.get("/healthz").json() == {"status": "ok"}
    answer = hub.api.get("/readyz")
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"status": "ok", "failing": [], "checks": {"database": "ok"}}
    assert "/healthz" not in hub.api.get("/openapi.json").json()["paths"], "probes stay out of the API reference"


def test_readyz_is_503_naming_the_database_when_it_is_gone(runtime: Runtime, backend: str, serve, tmp_path):
    url = f"sqlite:///{tmp_path}/no/such/dir/hub.db" if backend == "sqlite" else f"postgresql://postgres@{NOBODY}/test"
    gone = make_engine(url)
    client = serve(Database(make_session_factory(gone), runtime.db.box))
    assert client.get("/healthz").status_code == 200, "the process itself is alive"
    answer = client.get("/readyz")
    assert answer.status_code == 503
    body = answer.json()
    assert body["failing"] == ["database"] and body["checks"]["database"].startswith("unavailable")
    assert NOBODY not in answer.text and str(tmp_path) not in answer.text, "where it lives stays in the log"
    # /metrics still answers, and says it could not read the database.
    assert value(scrape(client), "cannasync_metrics_source_up", source="database") == 0
    gone.dispose()


def test_readyz_is_503_naming_an_unreachable_broker_and_redis(runtime: Runtime, serve):
    client = serve(runtime.db, broker_url=f"redis://{NOBODY}/0", redis_url="redis://127.0.0.1:2/0")
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["failing"] == ["broker", "redis"]
    assert answer.json()["checks"]["database"] == "ok"

    amqp = serve(runtime.db, broker_url=f"amqp://guest:secret-pass@{NOBODY}/%2F")
    answer = amqp.get("/readyz")
    assert answer.status_code == 503 and answer.json()["failing"] == ["broker"]
    assert "secret-pass" not in answer.text


def test_readyz_checks_a_redis_broker_that_answers(runtime: Runtime, serve):
    client = serve(runtime.db, broker_url=needs_redis(), redis_url=needs_redis())
    answer = client.get("/readyz")
    assert answer.status_code == 200, answer.text
    assert answer.json()["checks"] == {"database": "ok", "broker": "ok"}, "one Redis for both is checked once"


# --- /metrics ---------------------------------------------------------------------------------------------------


def seed_operations_state(db: Database) -> dict[str, int]:
    """Rows as a distributed deployment would leave them: runs, a lagging schedule, quarantine, an outbox."""
    now = utcnow()
    with db.uow() as uow:
        org = uow.accounts.organization_named("Ops Dispensary")
        store = uow.accounts.add_store(org.id, "Ops Store")
        pos = uow.accounts.save_integration(
            org.id,
            "flourish",
            store_id=store.id,
            existing=None,
            credentials={"api_key": "k"},
            settings={},
            enabled=True,
        )
        session = uow.session
        for seconds, status in ((30, "succeeded"), (10, "succeeded"), (20, "failed")):
            started = now - timedelta(minutes=5)
            session.add(
                SyncRun(
                    integration_id=pos.id,
                    flow="menu_sync",
                    status=status,
                    started_at=started,
                    finished_at=started + timedelta(seconds=seconds),
                )
            )
        session.add(SyncRun(integration_id=pos.id, flow="order_status", status="queued"))
        session.add_all(
            [
                Schedule(
                    integration_id=pos.id,
                    flow="menu_sync",
                    interval_seconds=600,
                    next_run_at=now - timedelta(seconds=90),
                ),
                Schedule(
                    integration_id=pos.id,
                    flow="order_status",
                    interval_seconds=120,
                    next_run_at=now - timedelta(seconds=300),
                    leased_until=now + timedelta(minutes=5),  # claimed: a run has it, so it is not lag
                ),
            ]
        )
        for number, resolved in ((1, None), (2, None), (3, now)):
            session.add(
                QuarantinedRecord(
                    integration_id=pos.id,
                    kind="product",
                    external_id=str(number),
                    payload={},
                    reason="no price",
                    resolved_at=resolved,
                )
            )
        session.add_all(
            [
                OutboxMessage(
                    integration_id=pos.id,
                    kind="push_order",
                    subject_id=1,
                    idempotency_key="ops:1",
                    state="pending",
                    created_at=now - timedelta(seconds=120),
                    next_attempt_at=now + timedelta(hours=1),
                ),
                OutboxMessage(
                    integration_id=pos.id,
                    kind="push_order",
                    subject_id=2,
                    idempotency_key="ops:2",
                    state="pending",
                    created_at=now - timedelta(seconds=30),
                    next_attempt_at=now - timedelta(seconds=1),
                ),
                OutboxMessage(
                    integration_id=pos.id,
                    kind="push_order",
                    subject_id=3,
                    idempotency_key="ops:3",
                    state="done",
                    created_at=now - timedelta(days=1),
                ),
            ]
        )
        return {"integration_id": pos.id}


def test_metrics_report_runs_lag_queues_outbox_and_quarantine_from_the_database(runtime: Runtime, serve):
    seed_operations_state(runtime.db)
    samples = scrape(serve(runtime.db))

    assert value(samples, "cannasync_runs_total", flow="menu_sync", outcome="succeeded") == 2
    assert value(samples, "cannasync_runs_total", flow="menu_sync", outcome="failed") == 1
    assert value(samples, "cannasync_runs_active", flow="order_status", status="queued") == 1
    assert value(samples, "cannasync_run_duration_seconds", flow="menu_sync", quantile="0.5") == 20
    assert value(samples, "cannasync_run_duration_seconds", flow="menu_sync", quantile="1.0") == 30

    assert value(samples, "cannasync_schedules_due", flow="menu_sync") == 1
    assert 90 <= (value(samples, "cannasync_schedule_lag_max_seconds", flow="menu_sync") or 0) < 150
    assert value(samples, "cannasync_schedules_due", flow="order_status") is None, "a leased schedule is not lag"

    assert value(samples, "cannasync_db_queue_depth", queue="runs") == 1
    assert value(samples, "cannasync_db_queue_depth", queue="outbox") == 1, "only the message due now is queued"
    assert value(samples, "cannasync_outbox_messages", state="pending") == 2
    assert value(samples, "cannasync_outbox_messages", state="done") == 1
    assert 120 <= (value(samples, "cannasync_outbox_oldest_unsent_age_seconds") or 0) < 180

    assert value(samples, "cannasync_quarantined_records", vendor="flourish", kind="product") == 2
    assert value(samples, "cannasync_metrics_source_up", source="database") == 1
    assert any(name == "process_cpu_seconds_total" for name, _ in samples) or sys.platform != "linux"


def test_metrics_after_a_real_sync_with_a_429(hub: Hub, flourish: Sandbox, connected: Connected):
    before = scrape(hub.api)
    limited_before = value(before, "cannasync_vendor_rate_limited_total", vendor="flourish") or 0
    flourish.fault(status=429, retry_after=0, method="GET", count=1)
    run = hub.sync(connected.integration_id)
    assert run["status"] == "succeeded", run

    samples = scrape(hub.api)
    runs = hub.api.get(f"/api/v1/integrations/{connected.integration_id}/runs", params={"flow": "menu_sync"}).json()
    succeeded = sum(1 for r in runs if r["status"] == "succeeded")
    assert value(samples, "cannasync_runs_total", flow="menu_sync", outcome="succeeded") == succeeded >= 2
    assert value(samples, "cannasync_quarantined_records", vendor="flourish", kind="product") == len(
        flourish.state.malformed_ids
    )
    assert value(samples, "cannasync_vendor_rate_limited_total", vendor="flourish") == limited_before + 1
    assert (value(samples, "cannasync_run_duration_seconds", flow="menu_sync", quantile="1.0") or -1) >= 0


def test_metrics_read_queue_depth_and_every_processes_429s_from_redis(runtime: Runtime, serve):
    url = needs_redis()
    namespace, queue = f"cs-test-{uuid.uuid4().hex[:8]}", f"cs-test-{uuid.uuid4().hex[:8]}"
    store = redis.Redis.from_url(url)
    limits.configure_shared_limits(url, namespace=namespace)
    try:
        store.rpush(f"{namespace}:{queue}", "m1", "m2", "m3")  # three messages waiting in a Dramatiq queue
        store.hincrby(f"{namespace}:vendor_rate_limited", "flowhub", 4)  # 429s counted by other processes
        limits.count_rate_limited("flowhub")  # and one by this one
        samples = scrape(serve(runtime.db, broker_url=url, redis_url=url, broker_namespace=namespace))
        assert value(samples, "cannasync_queue_depth", queue=queue) == 3
        assert value(samples, "cannasync_vendor_rate_limited_total", vendor="flowhub") == 5
        assert value(samples, "cannasync_metrics_source_up", source="redis") == 1
    finally:
        limits.configure_shared_limits(None)
        store.delete(f"{namespace}:{queue}", f"{namespace}:vendor_rate_limited")
        store.close()


# --- correlation ids and JSON logs -----------------------------------------------------------------------------


@pytest.fixture
def json_logs(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], list[dict[str, Any]]]]:
    """The real JSON logging at DEBUG, written to a buffer; returns a reader of the lines written so far.

    Loggers cache their configuration on first use, so the modules under test get fresh ones for the duration.
    """
    saved = structlog.get_config()
    buffer = io.StringIO()
    monkeypatch.setattr(sys, "stderr", buffer)
    configure_logging("DEBUG", json=True)
    structlog.configure(cache_logger_on_first_use=False)
    for module in (http, correlation):
        monkeypatch.setattr(module, "log", structlog.get_logger(module.__name__))

    def lines() -> list[dict[str, Any]]:
        return [json.loads(line) for line in buffer.getvalue().splitlines() if line.startswith("{")]

    yield lines
    structlog.configure(**saved)


def test_a_callers_correlation_id_is_echoed_and_on_the_vendor_calls_made_for_it(
    hub: Hub, flourish: Sandbox, json_logs: Callable[[], list[dict[str, Any]]]
):
    cid = f"req-{uuid.uuid4().hex[:12]}"
    store = hub.api.post("/api/v1/stores", json={"name": "Correlated"}, headers={"X-Correlation-ID": cid})
    assert store.headers["X-Correlation-ID"] == cid
    answer = hub.api.put(  # checks the key against Flourish and lists facilities: vendor calls inside the request
        f"/api/v1/stores/{store.json()['id']}/integrations/flourish",
        json={
            "credentials": {"username": "demo", "api_key": "demo-key"},
            "settings": {"base_url": flourish.api_url, "requests_per_second": 1000},
        },
        headers={"X-Request-ID": cid},
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["X-Correlation-ID"] == cid

    def access_lines() -> list[dict[str, Any]]:
        found = [line for line in json_logs() if line["event"] == "request" and line.get("correlation_id") == cid]
        return found if len(found) == 2 else []

    requests = wait_for(access_lines, "both access lines", timeout=5)  # written just after the answer is sent
    assert {(r["method"], r["status"]) for r in requests} == {("POST", 201), ("PUT", 200)}
    lines = json_logs()
    calls = [line for line in lines if line["event"] == "vendor_call" and line.get("correlation_id") == cid]
    assert calls, "the vendor calls made for the request carry its correlation id"
    assert all(c["vendor"] == "flourish" and c["status"] == 200 and c["ms"] >= 0 and c["method"] for c in calls)
    assert all(line["level"] and line["timestamp"] for line in requests)
    assert "demo-key" not in json.dumps(lines), "no credential reaches the log"


def test_a_sync_started_through_the_api_logs_its_vendor_calls_with_the_requests_id(
    hub: Hub, flourish: Sandbox, json_logs: Callable[[], list[dict[str, Any]]]
):
    store = hub.api.post("/api/v1/stores", json={"name": "Correlated sync"}).json()
    answer = hub.api.put(
        f"/api/v1/stores/{store['id']}/integrations/flourish",
        json={
            "credentials": {"username": "demo", "api_key": "demo-key"},
            "settings": {"base_url": flourish.api_url, "facility_id": FACILITY, "requests_per_second": 1000},
        },
    )
    assert answer.status_code == 200, answer.text
    integration_id = answer.json()["id"]
    wait_for(lambda: hub.api.get(f"/api/v1/integrations/{integration_id}/runs").json(), "the first run")
    hub.sync(integration_id)  # let the scheduled first sync end, so ours is not "already running"

    cid = f"sync-{uuid.uuid4().hex[:12]}"
    started = hub.api.post(
        f"/api/v1/integrations/{integration_id}/sync", json={"flow": "menu_sync"}, headers={"X-Correlation-ID": cid}
    )
    assert started.status_code == 202 and started.headers["X-Correlation-ID"] == cid
    run_id = started.json()["run_id"]
    wait_for(lambda: hub.api.get(f"/api/v1/runs/{run_id}").json()["status"] in ("succeeded", "failed"), f"run {run_id}")
    calls = [line for line in json_logs() if line["event"] == "vendor_call" and line.get("correlation_id") == cid]
    assert calls and {c["vendor"] for c in calls} == {"flourish"}
    assert any("/items" in c["path"] for c in calls), "the catalogue pages read by the worker, not only the request"


def test_json_log_lines_carry_the_exception_and_its_frames(json_logs: Callable[[], list[dict[str, Any]]]):
    """What an operator reads after a crash: ours (``run_crashed``) and a library's (uvicorn's 500) alike."""
    ours = structlog.get_logger("cannasync.jobs.tasks")
    try:
        raise RuntimeError("the vendor page was not JSON")
    except RuntimeError:
        ours.exception("run_crashed", run_id=7)
    try:
        {}["missing"]
    except KeyError:
        # A library's logger (uvicorn's own may have handlers of its own in a test run that served before).
        logging.getLogger("some_library.server").exception("Exception in ASGI application")
    lines = {line["event"]: line for line in json_logs()}
    for event, kind, message in (
        ("run_crashed", "RuntimeError", "the vendor page was not JSON"),
        ("Exception in ASGI application", "KeyError", "'missing'"),
    ):
        line = lines[event]
        (exception,) = line["exception"]
        assert exception["exc_type"] == kind and exception["exc_value"] == message
        assert exception["frames"] and all({"filename", "lineno", "name"} <= set(f) for f in exception["frames"])
        assert "traceback object" not in json.dumps(line) and "exc_info" not in line


def test_an_unsafe_or_missing_correlation_id_is_replaced(hub: Hub):
    made = hub.api.get("/healthz").headers["X-Correlation-ID"]
    assert len(made) == 32 and int(made, 16) >= 0
    for unsafe in ("a" * 65, "<script>", "two words", "-starts-with-dash"):
        echoed = hub.api.get("/healthz", headers={"X-Correlation-ID": unsafe}).headers["X-Correlation-ID"]
        assert echoed != unsafe and len(echoed) == 32


def test_the_access_log_never_shows_a_postback_token(hub: Hub, json_logs: Callable[[], list[dict[str, Any]]]):
    with hub.db.uow() as uow:
        store = uow.accounts.add_store(hub.organization_id, "Postbacks")
        flowhub = uow.accounts.save_integration(
            hub.organization_id,
            "flowhub",
            store_id=store.id,
            existing=None,
            credentials=FLOWHUB_CREDENTIALS,
            settings={"base_url": "http://127.0.0.1:1", "location_id": "loc-1"},
            enabled=True,
        )
        token = uow.session.get(Integration, flowhub.id).webhook_token
    assert hub.api.post(f"/hooks/flowhub/{flowhub.id}/{token}", json={}).status_code < 500
    hub.api.get("/api/v1/stores", params={"api_key": "query-secret"})
    wait_for(lambda: sum(line["event"] == "request" for line in json_logs()) >= 2, "the access lines", timeout=5)
    written = json.dumps(json_logs())
    assert f"/hooks/flowhub/{flowhub.id}/***" in written
    assert token not in written and "query-secret" not in written
