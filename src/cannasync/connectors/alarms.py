"""One timer thread for every vendor call's deadline in the process.

A ``threading.Timer`` per call starts and ends a thread for each request: about 1.4 ms of CPU, which on a Flourish
menu sync (one request per product for its art) was a large part of the hub's own cost. Here a single daemon thread
keeps the pending alarms in a heap and sleeps until the earliest; setting or cancelling one costs a heap push and
a flag. A cancelled alarm stays in the heap until its time comes and is then dropped (the heap is bounded by the
calls made within one timeout).
"""

from __future__ import annotations

import heapq
import itertools
import os
import threading
import time
from collections.abc import Callable

import structlog

log = structlog.get_logger(__name__)


class Alarm:
    """One pending call of ``action`` at ``due`` (monotonic seconds), unless cancelled first."""

    __slots__ = ("action", "cancelled", "due")

    def __init__(self, due: float, action: Callable[[], None]) -> None:
        self.due = due
        self.action = action
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True  # read by the alarm thread; a bool's write is atomic


class Alarms:
    def __init__(self) -> None:
        self._ready = threading.Condition()
        self._heap: list[tuple[float, int, Alarm]] = []
        self._order = itertools.count()  # ties in ``due`` never compare two Alarms
        self._thread: threading.Thread | None = None

    def after(self, seconds: float, action: Callable[[], None]) -> Alarm:
        """Call ``action`` on the alarm thread in ``seconds`` (at once if not positive)."""
        alarm = Alarm(time.monotonic() + max(0.0, seconds), action)
        with self._ready:
            heapq.heappush(self._heap, (alarm.due, next(self._order), alarm))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="vendor-deadlines", daemon=True)
                self._thread.start()
            elif self._heap[0][2] is alarm:
                self._ready.notify()  # it is now the earliest: the thread sleeps too long otherwise
        return alarm

    def _run(self) -> None:
        while True:
            with self._ready:
                while not self._heap or self._heap[0][0] > time.monotonic():
                    self._ready.wait(self._heap[0][0] - time.monotonic() if self._heap else None)
                _, _, alarm = heapq.heappop(self._heap)
            if alarm.cancelled:
                continue
            try:
                alarm.action()
            except Exception:  # one failing action must not stop every other call's deadline
                log.exception("deadline_alarm_failed")

    def _forget_thread(self) -> None:
        """In a forked child the thread is gone (only the forking thread is copied): start afresh."""
        self._ready = threading.Condition()
        self._heap = []
        self._thread = None


ALARMS = Alarms()
os.register_at_fork(after_in_child=ALARMS._forget_thread)
