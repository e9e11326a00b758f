"""The scheduler's clock: the dispatch tick on an interval, in a background thread of this process."""

from __future__ import annotations

from apscheduler.schedulers.background import BackgroundScheduler

from cannasync.jobs.scheduler import Dispatcher


class Clock:
    """Ticks ``dispatcher`` every ``tick_seconds``; a tick that overruns is not stacked (one at a time)."""

    def __init__(self, dispatcher: Dispatcher, tick_seconds: float) -> None:
        self.scheduler = BackgroundScheduler(timezone="UTC")
        self.scheduler.add_job(
            dispatcher.tick, "interval", seconds=tick_seconds, max_instances=1, coalesce=True, id="tick"
        )

    def start(self) -> None:
        self.scheduler.start()

    def stop(self) -> None:
        if self.scheduler.running:  # a process that only sends (never started its clock) has nothing to stop
            self.scheduler.shutdown(wait=False)
