"""The embedded mode's workers and clock: a thread pool and an APScheduler interval job, inside one process."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from cannasync.jobs.clock import Clock
from cannasync.jobs.handoff import ExecutorHandoff
from cannasync.jobs.leases import PUSH_LEASE, RUN_LEASE
from cannasync.jobs.scheduler import Dispatcher
from cannasync.store.uow import Database


class EmbeddedWorkers:
    def __init__(
        self,
        db: Database,
        *,
        workers: int,
        tick_seconds: float,
        public_url: str | None = None,
        run_lease: timedelta = RUN_LEASE,
        push_lease: timedelta = PUSH_LEASE,
    ) -> None:
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cannasync-worker")
        handoff = ExecutorHandoff(db, self.executor, run_lease=run_lease, push_lease=push_lease)
        self.dispatcher = Dispatcher(db, handoff, public_url, run_lease=run_lease, push_lease=push_lease)
        self.clock = Clock(self.dispatcher, tick_seconds)

    def start(self) -> None:
        self.clock.start()

    def stop(self) -> None:
        self.clock.stop()
        self.executor.shutdown(wait=True, cancel_futures=True)
