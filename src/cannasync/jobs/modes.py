"""Which mode a process runs in: a broker URL in the settings means distributed, none means embedded."""

from __future__ import annotations

from typing import Protocol

from cannasync.jobs.distributed import BrokerDispatch, leases
from cannasync.jobs.embedded import EmbeddedWorkers
from cannasync.jobs.runtime import Runtime
from cannasync.jobs.scheduler import Dispatcher


class Workers(Protocol):
    dispatcher: Dispatcher

    def start(self) -> None: ...

    def stop(self) -> None: ...


def build_workers(runtime: Runtime, *, public_url: str | None = None) -> Workers:
    """The tick and where its work goes: Dramatiq messages with a broker, this process's thread pool without."""
    settings = runtime.settings
    if settings.broker_url:
        return BrokerDispatch(runtime, public_url=public_url)
    run_lease, push_lease = leases(settings)
    return EmbeddedWorkers(
        runtime.db,
        workers=settings.workers,
        tick_seconds=settings.tick_seconds,
        public_url=public_url,
        run_lease=run_lease,
        push_lease=push_lease,
    )
