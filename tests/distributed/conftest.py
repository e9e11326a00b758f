"""A real distributed hub for the tests: PostgreSQL, a broker (Redis or RabbitMQ), two ``cannasync worker`` and
two ``cannasync scheduler`` processes, and a Flourish sandbox, all on loopback.

Each broker gets a cluster of its own: a fresh PostgreSQL schema, a broker namespace no one else uses (cleaned up
after), and short ticks and leases so that a killed worker is taken over within seconds. Without CI set, the suite
skips when PostgreSQL or the broker cannot be reached; with CI set, that fails it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx2
import pytest
from sqlalchemy import text

from cannasync.api.app import create_app
from cannasync.cli.servers import BackgroundServer
from cannasync.jobs.distributed import BrokerDispatch
from cannasync.jobs.runtime import Runtime
from cannasync.sandboxes import flourish as flourish_sandbox
from cannasync.settings import Settings
from cannasync.store.db import make_engine, upgrade
from tests.conftest import FACILITY, POSTGRES_URL, TEST_KEY, Sandbox

BROKERS = {
    "redis": os.environ.get("CANNASYNC_TEST_REDIS_URL", "redis://127.0.0.1:6379/11"),
    "rabbitmq": os.environ.get("CANNASYNC_TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/%2F"),
}
TICK = 0.3
# Short, so a killed worker is taken over within seconds; not shorter, because a worker on a machine running
# several suites at once (load 15 on 2 cores) missed three 0.8 s heartbeats in a row and lost live runs to takeover.
LEASE = 4.0
CANNASYNC = str(Path(sys.executable).with_name("cannasync"))


def _unreachable(what: str, error: Exception) -> None:
    message = f"{what} is not reachable: {error}"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def _check_broker(url: str) -> None:
    try:
        if url.startswith("redis"):
            import redis

            redis.Redis.from_url(url, socket_connect_timeout=2).ping()
        else:
            import pika

            params = pika.URLParameters(url)
            params.socket_timeout = 2
            params.connection_attempts = 1
            pika.BlockingConnection(params).close()
    except Exception as error:
        _unreachable(url, error)


def _clean_broker(url: str, namespace: str) -> None:
    """Remove what this run left in the broker: its own keys or queues only, never anyone else's."""
    if url.startswith("redis"):
        import redis

        client = redis.Redis.from_url(url)
        keys = list(client.scan_iter(match=f"{namespace}*"))
        if keys:
            client.delete(*keys)
        client.close()
        return
    import pika

    connection = pika.BlockingConnection(pika.URLParameters(url))
    channel = connection.channel()
    for queue in ("runs", "pushes"):
        for suffix in ("", ".DQ", ".XQ"):
            channel.queue_delete(queue=f"{namespace}.{queue}{suffix}")
    connection.close()


@dataclass
class Cluster:
    broker: str
    runtime: Runtime
    dispatch: BrokerDispatch
    flourish: Sandbox
    api: httpx2.Client
    env: dict[str, str]
    logs: Path
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    schedulers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    store_id: int = 0
    integration_id: int = 0

    def spawn(self, *command: str) -> subprocess.Popen[bytes]:
        name = f"{command[0]}-{time.monotonic_ns()}"
        with (self.logs / f"{name}.log").open("wb") as out:
            return subprocess.Popen([CANNASYNC, *command], env=self.env, stdout=out, stderr=subprocess.STDOUT)

    def kill_worker(self, pid: int) -> None:
        """SIGKILL one worker (no clean stop, as a crash or the OOM killer would) and start a fresh one."""
        (victim,) = [worker for worker in self.workers if worker.pid == pid]
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
        self.workers.remove(victim)
        self.workers.append(self.spawn("worker", "--threads", "2"))

    def sql(self, statement: str, **params: Any) -> list[Any]:
        with self.runtime.engine.begin() as connection:
            result = connection.execute(text(statement), params)
            return list(result) if result.returns_rows else []

    def log_tail(self) -> str:
        return "\n".join(f"== {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in sorted(self.logs.iterdir()))


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module", params=sorted(BROKERS))
def cluster(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    broker = str(request.param)
    url = BROKERS[broker]
    _check_broker(url)
    tag = f"{os.getpid()}_{broker}"
    schema, namespace = f"cs_dist_{tag}", f"cs_test_{tag}"
    admin = make_engine(POSTGRES_URL)
    try:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            connection.execute(text(f"CREATE SCHEMA {schema}"))
    except Exception as error:
        admin.dispose()
        _unreachable(POSTGRES_URL, error)
    engine = make_engine(POSTGRES_URL, search_path=schema)
    upgrade(engine)  # once, here: `cannasync db upgrade` in a deployment
    engine.dispose()
    _clean_broker(url, namespace)

    base = tmp_path_factory.mktemp(f"cluster_{broker}")
    logs = base / "logs"
    logs.mkdir()
    database_url = f"{POSTGRES_URL}?options={quote(f'-csearch_path={schema}')}"
    values = {
        "DATABASE_URL": database_url,
        "BROKER_URL": url,
        "BROKER_NAMESPACE": namespace,
        "SECRET_KEYS": TEST_KEY,
        "DATA_DIR": str(base / "data"),
        "TICK_SECONDS": str(TICK),
        "RUN_LEASE_SECONDS": str(LEASE),
        "PUSH_LEASE_SECONDS": str(LEASE),
        "LOG_LEVEL": "INFO",
    }
    env = {k: v for k, v in os.environ.items() if not k.startswith("CANNASYNC_")}
    env.update({f"CANNASYNC_{name}": value for name, value in values.items()})

    settings = Settings(**{name.lower(): value for name, value in values.items()})  # type: ignore[arg-type]
    runtime = Runtime(settings, migrate=False)
    # This process plays `cannasync serve` with a broker: the API hands its work to the broker. Its own clock is
    # not started (the two scheduler processes tick); a confirmed order's nudge still ticks here, as in serve.
    dispatch = BrokerDispatch(runtime)
    api_server = BackgroundServer(create_app(runtime.db, dispatch.dispatcher)).start()
    app = flourish_sandbox.create_app(items=120, seed=3)
    sandbox_server = BackgroundServer(app).start()
    with runtime.db.uow() as uow:
        org = uow.accounts.organization_named("Distributed Dispensary Co.")
        token = uow.accounts.issue_token(org.id, "tests")
    with (
        httpx2.Client(base_url=sandbox_server.url, timeout=10) as control,
        httpx2.Client(base_url=api_server.url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as api,
    ):
        found = Cluster(broker, runtime, dispatch, Sandbox(sandbox_server, app.state.sandbox, control), api, env, logs)
        found.workers = [found.spawn("worker", "--threads", "2") for _ in range(2)]
        found.schedulers = [found.spawn("scheduler") for _ in range(2)]
        try:
            yield found
        finally:
            for process in [*found.schedulers, *found.workers]:
                _stop(process)
            if request.node.session.testsfailed:
                sys.stderr.write(found.log_tail())
    api_server.stop()
    sandbox_server.stop()
    dispatch.stop()
    runtime.close()
    _clean_broker(url, namespace)
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    admin.dispose()


@pytest.fixture(scope="module")
def linked(cluster: Cluster) -> Cluster:
    """A store with Flourish connected (Sync Orders on) and its first menu sync done by the cluster."""
    if cluster.integration_id:
        return cluster
    store = cluster.api.post("/api/v1/stores", json={"name": "Great Lakes Ann Arbor"}).json()
    answer = cluster.api.put(
        f"/api/v1/stores/{store['id']}/integrations/flourish",
        json={
            "credentials": {"username": "demo", "api_key": "demo-key"},
            "settings": {
                "base_url": cluster.flourish.api_url,
                "facility_id": FACILITY,
                "requests_per_second": 1000,
                "sync_orders": True,
            },
        },
    )
    assert answer.status_code == 200, answer.text
    cluster.store_id, cluster.integration_id = store["id"], answer.json()["id"]
    wait(
        lambda: cluster.sql(
            "SELECT 1 FROM sync_runs WHERE integration_id = :i AND flow = 'menu_sync' AND status = 'succeeded'",
            i=cluster.integration_id,
        ),
        "the first menu sync",
        cluster,
        timeout=180,  # four processes starting on a busy machine (test_cluster.py's marks)
    )
    return cluster


def wait(check: Any, what: str, cluster: Cluster, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}\n{cluster.log_tail()}")
