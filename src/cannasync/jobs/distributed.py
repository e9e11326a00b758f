"""The distributed mode: the same job functions as Dramatiq actors, run by ``cannasync worker`` processes.

Nothing happens at import: a process declares the actors on its broker (``declare_actors``) when it sets the
broker up. A message carries ids only (a run and its schedule, an outbox message) and the correlation id of
whatever asked for the work; credentials stay in the database. A worker builds its Runtime once, from its own
environment, on the first message it runs; its ``CANNASYNC_PUBLIC_URL`` is the postback address it gives vendors.

Delivery is at least once (a worker killed mid-task, a Redis requeue after a missed heartbeat, a RabbitMQ
redelivery): the job functions make a second delivery harmless (a run starts only if still queued; an outbox
claim is taken by one sender). Dramatiq's own retries are off: the leases and the outbox decide what runs again.
"""

from __future__ import annotations

import contextvars
import signal
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import structlog
from dramatiq import Actor, Broker, Worker

from cannasync.jobs import tasks
from cannasync.jobs.broker import PRIORITY, PUSHES, RUNS, make_broker, queue_name
from cannasync.jobs.clock import Clock
from cannasync.jobs.handoff import HandoffFailed
from cannasync.jobs.runtime import Runtime
from cannasync.jobs.scheduler import Dispatcher
from cannasync.settings import Settings
from cannasync.store.db import is_postgres

log = structlog.get_logger(__name__)

#: Dramatiq's time limit (ms) per job: far above any healthy run, it only ends a run stuck for good.
RUN_TIME_LIMIT = 6 * 3600 * 1000
PUSH_TIME_LIMIT = 15 * 60 * 1000


def leases(settings: Settings) -> tuple[timedelta, timedelta]:
    return timedelta(seconds=settings.run_lease_seconds), timedelta(seconds=settings.push_lease_seconds)


class ProcessRuntime:
    """The process's Runtime, built once (from settings) the first time a job needs it; thread-safe."""

    def __init__(self, build: Callable[[], Runtime]) -> None:
        self._build = build
        self._runtime: Runtime | None = None
        self._lock = threading.Lock()

    def __call__(self) -> Runtime:
        if self._runtime is None:
            with self._lock:
                if self._runtime is None:
                    self._runtime = self._build()
        return self._runtime

    def close(self) -> None:
        with self._lock:
            if self._runtime is not None:
                self._runtime.close()
                self._runtime = None


@dataclass(frozen=True)
class Actors:
    broker: Broker
    run_flow: Actor[..., None]
    push_message: Actor[..., None]


def declare_actors(broker: Broker, namespace: str, runtime: Callable[[], Runtime]) -> Actors:
    """Declare the job actors on ``broker``; ``runtime`` gives the process's Runtime when a job first runs."""

    def run_flow(run_id: int, schedule_id: int | None, correlation_id: str | None = None) -> None:
        current = runtime()
        with tasks.correlated(correlation_id):
            public_url = current.settings.resolved_public_url  # for the links in notifications
            tasks.run_flow(current.db, run_id, schedule_id, leases(current.settings)[0], public_url)

    def push_message(message_id: int, correlation_id: str | None = None) -> None:
        current = runtime()
        with tasks.correlated(correlation_id):
            public_url = current.settings.resolved_public_url
            tasks.push_message(current.db, message_id, public_url, leases(current.settings)[1])

    def actor(fn: Callable[..., None], queue: str, time_limit: int) -> Actor[..., None]:
        return Actor(
            fn,
            broker=broker,
            actor_name=fn.__name__,
            queue_name=queue_name(namespace, queue),
            priority=PRIORITY[queue],
            options={"max_retries": 0, "time_limit": time_limit},
        )

    return Actors(broker, actor(run_flow, RUNS, RUN_TIME_LIMIT), actor(push_message, PUSHES, PUSH_TIME_LIMIT))


class BrokerHandoff:
    """Hands jobs to ``cannasync worker`` processes as Dramatiq messages."""

    def __init__(self, actors: Actors) -> None:
        self.actors = actors
        self._soon = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cannasync-nudge")

    def _send(self, actor: Actor[..., None], args: tuple[Any, ...], correlation_id: str | None) -> None:
        try:
            actor.send_with_options(args=args, kwargs={"correlation_id": correlation_id})
        except Exception as error:  # any failure to enqueue means no worker will see it
            raise HandoffFailed(f"broker: {error.__class__.__name__}: {error}") from error

    def run_flow(self, run_id: int, schedule_id: int | None, correlation_id: str | None) -> None:
        self._send(self.actors.run_flow, (run_id, schedule_id), correlation_id)

    def push_message(self, message_id: int, public_url: str | None, correlation_id: str | None) -> None:
        del public_url  # the worker gives vendors its own CANNASYNC_PUBLIC_URL: messages carry ids only
        self._send(self.actors.push_message, (message_id,), correlation_id)

    def soon(self, call: Callable[[], object]) -> None:
        try:
            self._soon.submit(contextvars.copy_context().run, call)
        except RuntimeError as error:
            raise HandoffFailed(str(error)) from error

    def close(self) -> None:
        self._soon.shutdown(wait=True, cancel_futures=True)


class BrokerDispatch:
    """``serve`` or ``scheduler`` with a broker: the tick runs here and sends messages; workers run the jobs."""

    def __init__(self, runtime: Runtime, *, public_url: str | None = None) -> None:
        settings = runtime.settings
        if not is_postgres(runtime.engine):
            raise ValueError("the distributed mode needs PostgreSQL (CANNASYNC_DATABASE_URL); SQLite is embedded only")
        assert settings.broker_url
        run_lease, push_lease = leases(settings)
        self.actors = declare_actors(
            make_broker(settings.broker_url, settings.broker_namespace), settings.broker_namespace, lambda: runtime
        )
        self.handoff = BrokerHandoff(self.actors)
        self.dispatcher = Dispatcher(runtime.db, self.handoff, public_url, run_lease=run_lease, push_lease=push_lease)
        self.clock = Clock(self.dispatcher, settings.tick_seconds)

    def start(self) -> None:
        self.clock.start()

    def stop(self) -> None:
        self.clock.stop()
        self.handoff.close()
        self.actors.broker.close()


def serve_worker(settings: Settings, *, threads: int, queues: list[str] | None = None) -> None:
    """Run a Dramatiq worker in this process until SIGTERM or SIGINT, then stop it cleanly.

    A clean stop lets the jobs under way finish (their leases stay theirs) and hands prefetched messages back to
    the broker. ``queues`` (``runs``, ``pushes``) limits what this worker takes; default both.
    """
    assert settings.broker_url
    runtime = ProcessRuntime(lambda: Runtime(settings, migrate=False))
    runtime()  # fail now, not on the first message, if the database cannot be reached
    actors = declare_actors(
        make_broker(settings.broker_url, settings.broker_namespace), settings.broker_namespace, runtime
    )
    wanted = {queue_name(settings.broker_namespace, queue) for queue in (queues or [RUNS, PUSHES])}
    worker = Worker(actors.broker, queues=wanted, worker_threads=threads, worker_timeout=500)
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGTERM, signal.SIGINT)}
    worker.start()
    log.info("worker_started", queues=sorted(wanted), threads=threads)
    try:
        stop.wait()
    finally:
        log.info("worker_stopping")
        worker.stop(timeout=30_000)
        actors.broker.close()
        runtime.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
