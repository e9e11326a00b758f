"""The embedded mode's workers and clock: a thread pool and an APScheduler interval job, inside one process."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from apscheduler.schedulers.background import BackgroundScheduler

from cannasync.jobs.scheduler import Dispatcher
from cannasync.store.uow import Database


class EmbeddedWorkers:
    def __init__(self, db: Database, *, workers: int, tick_seconds: float, public_url: str | None = None) -> None:
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cannasync-worker")
        self.dispatcher = Dispatcher(db, self.executor, public_url)
        self.clock = BackgroundScheduler(timezone="UTC")
        self.clock.add_job(
            self.dispatcher.tick, "interval", seconds=tick_seconds, max_instances=1, coalesce=True, id="tick"
        )

    def start(self) -> None:
        self.clock.start()

    def stop(self) -> None:
        self.clock.shutdown(wait=False)
        self.executor.shutdown(wait=True, cancel_futures=True)
