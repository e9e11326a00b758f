"""Lease lengths and the heartbeat that keeps a lease alive while its holder works.

A lease says "someone is on this": a schedule's lease is its run lock, an outbox message's lease is its send.
Leases are short enough that a dead worker's work is taken over soon, so a live worker renews its lease
periodically from a background thread; a process killed mid-work stops renewing, and that is the signal.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from types import TracebackType

import structlog

log = structlog.get_logger(__name__)

RUN_LEASE = timedelta(minutes=15)
PUSH_LEASE = timedelta(minutes=2)


class Heartbeat:
    """Call ``renew`` every third of ``lease`` until the block ends, or until ``renew`` says the lease is gone.

    ``renew`` returns False when the lease is no longer ours (taken over, or the work ended): the heartbeat stops
    and ``lost`` is set. A failing renewal (database briefly away) is logged and tried again next beat: the lease
    covers two missed beats.
    """

    def __init__(self, renew: Callable[[], bool], lease: timedelta, what: str) -> None:
        self._renew = renew
        self._every = max(lease.total_seconds() / 3, 0.05)
        self._what = what
        self._stop = threading.Event()
        self.lost = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"heartbeat:{what}", daemon=True)

    def _beat(self) -> None:
        while True:  # the first beat at once, so the lease names its worker from the start
            try:
                held = self._renew()
            except Exception as error:  # the next beat tries again: the lease has slack for it
                log.warning("lease_renewal_failed", what=self._what, error=repr(error))
                held = True
            if not held:
                if not self._stop.is_set():
                    log.warning("lease_lost", what=self._what)
                    self.lost.set()
                return
            if self._stop.wait(self._every):
                return

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
