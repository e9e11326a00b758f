"""A rolling-window rate limit, as the vendors' gateways apply one per key (API key, client id or token)."""

from __future__ import annotations

import math
import threading
import time
from collections import deque


class RollingWindow:
    """At most ``allowance`` requests per key in any ``seconds``-long window; ``allowance`` None means no limit.

    ``admit`` answers None when the request fits (and counts it), else the whole seconds until one more fits: the
    ``Retry-After`` a vendor sends.
    """

    def __init__(self, allowance: int | None, seconds: float) -> None:
        self.allowance = allowance
        self.seconds = seconds
        self._lock = threading.Lock()
        self._windows: dict[str, deque[float]] = {}

    def admit(self, key: str, now: float | None = None) -> int | None:
        moment = time.monotonic() if now is None else now
        with self._lock:
            if self.allowance is None:
                return None
            window = self._windows.setdefault(key, deque())
            while window and moment - window[0] >= self.seconds:
                window.popleft()
            if len(window) >= self.allowance:
                # One more fits once enough of the oldest requests have left the window.
                frees_at = window[len(window) - self.allowance] + self.seconds
                return max(1, math.ceil(frees_at - moment))
            window.append(moment)
            return None

    def set(self, allowance: int | None) -> None:
        with self._lock:
            self.allowance = allowance
            self._windows.clear()
