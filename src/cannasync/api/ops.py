"""Operations endpoints: ``/healthz`` (the process answers), ``/readyz`` (what it depends on answers), ``/metrics``.

``/metrics`` is computed at scrape time from the database (and from Redis where work and counts live there), not
from counters kept in this process: in the distributed mode a run is queued by one process and finished by
another, and Prometheus scrapes any of them, so only shared state tells the same truth everywhere. The series and
what to alert on are described in ``docs/operations.md``.

None of these routes needs a token (load balancers and Prometheus call them) and none shows a secret; keep them
on an internal network all the same.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import timedelta

import pika
import redis
import structlog
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

from cannasync.connectors import limits
from cannasync.store.health import Lag, RunDuration, age
from cannasync.store.types import utcnow
from cannasync.store.uow import Database

log = structlog.get_logger(__name__)

router = APIRouter(include_in_schema=False)

#: Run durations are reported over the runs that ended in this window.
DURATION_WINDOW = timedelta(hours=1)
QUANTILES = (0.5, 0.95, 1.0)
_TIMEOUT = 2.0


def _is_redis(url: str | None) -> bool:
    return bool(url) and str(url).startswith(("redis://", "rediss://", "unix://"))


class Operations:
    """What the probes and the collector need, built once per app: the database and, when set, broker and Redis."""

    def __init__(
        self,
        db: Database,
        *,
        broker_url: str | None = None,
        redis_url: str | None = None,
        broker_namespace: str = "cannasync",
    ) -> None:
        self.db = db
        self.broker_url = broker_url
        self.redis_url = redis_url
        #: The Redis broker keeps a queue's waiting messages in the list ``<namespace>:<queue>`` (jobs/broker.py).
        self.broker_namespace = broker_namespace
        self._clients: dict[str, redis.Redis] = {}
        self.registry = CollectorRegistry()
        self.registry.register(HubCollector(self))
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        GCCollector(registry=self.registry)

    def redis_client(self, url: str) -> redis.Redis:
        client = self._clients.get(url)
        if client is None:
            client = redis.Redis.from_url(url, socket_connect_timeout=_TIMEOUT, socket_timeout=_TIMEOUT)
            self._clients[url] = client
        return client

    @property
    def queue_redis(self) -> redis.Redis | None:
        """The Redis that holds Dramatiq's queues, when the broker is Redis."""
        return self.redis_client(str(self.broker_url)) if _is_redis(self.broker_url) else None

    def checks(self) -> dict[str, Callable[[], None]]:
        found: dict[str, Callable[[], None]] = {"database": self._check_database}
        if self.broker_url:
            url = self.broker_url
            found["broker"] = (lambda: self._check_redis(url)) if _is_redis(url) else (lambda: _check_amqp(url))
        if self.redis_url and self.redis_url != self.broker_url:
            url = self.redis_url
            found["redis"] = lambda: self._check_redis(url)
        return found

    def readiness(self) -> dict[str, str]:
        """Each dependency, ``ok`` or why not. The reason is the error's class: hosts and URLs stay in the log."""
        results: dict[str, str] = {}
        for part, check in self.checks().items():
            try:
                check()
                results[part] = "ok"
            except Exception as error:
                log.warning("not_ready", part=part, error=f"{error.__class__.__name__}: {error}")
                results[part] = f"unavailable ({error.__class__.__name__})"
        return results

    def _check_database(self) -> None:
        with self.db.uow() as uow:
            uow.health.ping()

    def _check_redis(self, url: str) -> None:
        self.redis_client(url).ping()


def _check_amqp(url: str) -> None:
    parameters = pika.URLParameters(url)
    parameters.connection_attempts = 1
    parameters.socket_timeout = _TIMEOUT
    parameters.stack_timeout = _TIMEOUT * 2
    pika.BlockingConnection(parameters).close()


def _quantile(ordered: list[float], q: float) -> float:
    """Nearest-rank quantile of an ordered, non-empty list."""
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


class HubCollector:
    """The hub's own series, read from shared state at each scrape (a prometheus_client custom collector)."""

    def __init__(self, ops: Operations) -> None:
        self.ops = ops

    def collect(self) -> Iterable[Metric]:
        up = GaugeMetricFamily(
            "cannasync_metrics_source_up", "Whether this scrape could read the source (1) or not (0)", labels=["source"]
        )
        try:
            yield from self._database()
            up.add_metric(["database"], 1)
        except Exception as error:
            log.warning("metrics_source_failed", source="database", error=f"{error.__class__.__name__}: {error}")
            up.add_metric(["database"], 0)
        try:
            yield from self._shared()
            if limits.shared_limits_enabled() or self.ops.queue_redis is not None:
                up.add_metric(["redis"], 1)
        except redis.RedisError as error:
            log.warning("metrics_source_failed", source="redis", error=f"{error.__class__.__name__}: {error}")
            up.add_metric(["redis"], 0)
        yield up

    def _database(self) -> list[Metric]:
        now = utcnow()
        with self.ops.db.uow() as uow:
            health = uow.health
            runs = health.runs_by_flow_and_status()
            durations = health.recent_durations(now - DURATION_WINDOW)
            lags = health.schedule_lag(now)
            outbox = health.outbox_by_state()
            outbox_due = health.outbox_due(now)
            oldest = health.oldest_unsent()
            quarantine = health.open_quarantine()
            drift = uow.drift.latest_by_kind()

        finished = CounterMetricFamily(
            "cannasync_runs", "Runs that ended, by flow and outcome", labels=["flow", "outcome"]
        )
        active = GaugeMetricFamily(
            "cannasync_runs_active", "Runs queued or running, by flow", labels=["flow", "status"]
        )
        for flow, status, count in runs:
            if status in ("succeeded", "failed"):
                finished.add_metric([flow, status], count)
            else:
                active.add_metric([flow, status], count)
        families: list[Metric] = [finished, active, _durations(durations), *_lag(lags)]

        families.append(self._queue_depth_from_db(runs, outbox_due))
        states = GaugeMetricFamily("cannasync_outbox_messages", "Outbox messages by state", labels=["state"])
        for state, count in sorted(outbox.items()):
            states.add_metric([state], count)
        families.append(states)
        families.append(
            GaugeMetricFamily("cannasync_outbox_due", "Outbox messages waiting for a worker now", outbox_due)
        )
        families.append(
            GaugeMetricFamily(
                "cannasync_outbox_oldest_unsent_age_seconds",
                "Age of the oldest outbox message not yet accepted by its vendor (0 when none)",
                age(oldest, now),
            )
        )
        quarantined = GaugeMetricFamily(
            "cannasync_quarantined_records", "Unresolved quarantined records", labels=["vendor", "kind"]
        )
        for vendor, kind, count in quarantine:
            quarantined.add_metric([vendor, kind], count)
        families.append(quarantined)
        differences = GaugeMetricFamily(
            "cannasync_drift_differences",
            "Differences the newest reconciliation of each integration found, by kind and repair "
            "(repaired, needs_person, none)",
            labels=["kind", "repair"],
        )
        for kind, repair, count in sorted(drift):
            differences.add_metric([kind, repair], count)
        families.append(differences)
        return families

    def _queue_depth_from_db(self, runs: list[tuple[str, str, int]], outbox_due: int) -> Metric:
        """Without a Redis broker the queue is the database: runs queued and outbox messages due."""
        depth = GaugeMetricFamily(
            "cannasync_db_queue_depth",
            "Work waiting in the database: queued runs and due outbox messages",
            labels=["queue"],
        )
        depth.add_metric(["runs"], sum(count for _, status, count in runs if status == "queued"))
        depth.add_metric(["outbox"], outbox_due)
        return depth

    def _shared(self) -> list[Metric]:
        families: list[Metric] = []
        client = self.ops.queue_redis
        if client is not None:
            depth = GaugeMetricFamily(
                "cannasync_queue_depth", "Messages waiting in the broker's queues (Dramatiq on Redis)", labels=["queue"]
            )
            prefix = self.ops.broker_namespace + ":"
            for key in sorted(client.scan_iter(match=prefix + "*", _type="list")):
                name = key.decode() if isinstance(key, bytes) else str(key)
                depth.add_metric([name.removeprefix(prefix)], int(client.llen(name)))
            families.append(depth)
        rate_limited = CounterMetricFamily(
            "cannasync_vendor_rate_limited",
            "429 answers from vendors (every process's when Redis is shared)",
            labels=["vendor"],
        )
        for vendor, count in sorted(limits.rate_limited_counts().items()):
            rate_limited.add_metric([vendor], count)
        families.append(rate_limited)
        return families


def _durations(durations: list[RunDuration]) -> Metric:
    family = GaugeMetricFamily(
        "cannasync_run_duration_seconds",
        f"Duration of the runs that ended in the last {int(DURATION_WINDOW.total_seconds())}s, by flow "
        "(quantile 1 is the longest)",
        labels=["flow", "quantile"],
    )
    by_flow: dict[str, list[float]] = defaultdict(list)
    for duration in durations:
        by_flow[duration.flow].append(duration.seconds)
    for flow, seconds in sorted(by_flow.items()):
        seconds.sort()
        for q in QUANTILES:
            family.add_metric([flow, str(q)], _quantile(seconds, q))
    return family


def _lag(lags: list[Lag]) -> list[Metric]:
    due = GaugeMetricFamily(
        "cannasync_schedules_due", "Schedules past due that no scheduler has claimed", labels=["flow"]
    )
    worst = GaugeMetricFamily(
        "cannasync_schedule_lag_max_seconds", "How far past due the most overdue unclaimed schedule is", labels=["flow"]
    )
    summed = GaugeMetricFamily(
        "cannasync_schedule_lag_summed_seconds", "Sum of how far past due unclaimed schedules are", labels=["flow"]
    )
    by_flow: dict[str, list[float]] = defaultdict(list)
    for lag in lags:
        by_flow[lag.flow].append(lag.seconds)
    for flow, seconds in sorted(by_flow.items()):
        due.add_metric([flow], len(seconds))
        worst.add_metric([flow], max(seconds))
        summed.add_metric([flow], sum(seconds))
    return [due, worst, summed]


def operations(request: Request) -> Operations:
    found: Operations = request.app.state.ops
    return found


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up and serving requests; nothing else is checked (that is /readyz)."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    """Ready when the database answers, and the broker and Redis too when they are configured; else 503."""
    checks = operations(request).readiness()
    failing = [part for part, result in checks.items() if result != "ok"]
    body = {"status": "unavailable" if failing else "ok", "failing": failing, "checks": checks}
    return JSONResponse(body, status_code=503 if failing else 200)


@router.get("/metrics")
def metrics(request: Request) -> Response:
    return Response(generate_latest(operations(request).registry), media_type=CONTENT_TYPE_LATEST)
