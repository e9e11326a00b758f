"""Rate limits per vendor credential: kept in this process, or in Redis so that every process shares one budget.

DESIGN.md asks for one limiter per vendor credential shared by every flow. With many workers on many machines,
"every flow" spans processes, so the budget lives in Redis when an entry point calls
:func:`configure_shared_limits` with a URL; without one (the embedded mode) it lives in this process.

A budget is a sliding log: the times of the calls made in the last window. Order pushes come before catalogue
pulls when the budget is short: a pull may only fill the log up to ``1 - reserved_share`` of the limit, so the
rest is kept for pushes, and a pull that finds only reserved room waits. Callers say which kind of call they make
with :func:`priority`; unmarked calls are pulls. A vendor's ``Retry-After`` pauses the credential for everyone
(:func:`hold_off`).

Why not pyrate-limiter's Redis bucket: it reads each machine's clock (skew between machines moves a shared
one-second window), trims its log from a background thread per bucket, and has no notion of a share kept for one
kind of caller. The Lua script below reads the Redis server's clock, trims as it goes, and checks one log against
two ceilings.

Keys never contain a credential: they are named by :func:`cannasync.connectors.http.credential_key`, a digest.
"""

from __future__ import annotations

import math
import os
import random
import threading
import time
from collections import Counter, deque
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Literal, Protocol

import redis
import structlog

log = structlog.get_logger(__name__)

Priority = Literal["push", "pull"]

#: The share of each credential's budget that only pushes may use.
RESERVED_SHARE = 0.2

_priority: ContextVar[Priority] = ContextVar("cannasync_call_priority", default="pull")


@contextmanager
def priority(level: Priority) -> Iterator[None]:
    """Mark the vendor calls made inside the block (in this thread or task) as ``push`` or ``pull``."""
    token = _priority.set(level)
    try:
        yield
    finally:
        _priority.reset(token)


def current_priority() -> Priority:
    return _priority.get()


@dataclass(frozen=True, slots=True)
class Rate:
    """``limit`` calls per ``window`` seconds."""

    limit: int
    window: float

    @classmethod
    def per_second(cls, requests_per_second: float) -> Rate:
        # Whole calls per a window stretched to fit: 0.5/s is one call per 2 s, 20.4/s is 20 per 0.98 s.
        limit = max(1, round(requests_per_second))
        return cls(limit, limit / requests_per_second)

    def allowance(self, level: Priority, reserved_share: float) -> int:
        """How full the log may be when a call of this priority is let through."""
        if level == "push":
            return self.limit
        reserved = min(self.limit - 1, math.ceil(self.limit * reserved_share))  # a pull always gets one slot
        return self.limit - reserved


class Budgets(Protocol):
    def take(self, key: str, rate: Rate, allowance: int) -> float:
        """Record a call and return 0, or return how many seconds to wait before asking again."""

    def hold_off(self, key: str, seconds: float) -> None:
        """Let no call through for ``seconds`` (the vendor asked us to wait)."""


class LocalBudgets:
    """Budgets of this process only (the embedded mode, or when Redis is not configured or not answering)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._logs: dict[str, deque[float]] = {}
        self._paused_until: dict[str, float] = {}

    def take(self, key: str, rate: Rate, allowance: int) -> float:
        now = time.monotonic()
        with self._lock:
            paused = self._paused_until.get(key, 0.0) - now
            if paused > 0:
                return paused
            calls = self._logs.setdefault(key, deque())
            while calls and calls[0] <= now - rate.window:
                calls.popleft()
            if len(calls) < allowance:
                calls.append(now)
                return 0.0
            # Room comes back when the call at this position leaves the window.
            return calls[len(calls) - allowance] + rate.window - now

    def hold_off(self, key: str, seconds: float) -> None:
        with self._lock:
            until = time.monotonic() + seconds
            self._paused_until[key] = max(until, self._paused_until.get(key, 0.0))


# KEYS: the call log (a sorted set scored in microseconds), the pause key. ARGV: window (µs), allowance, member.
# Returns 0 when the call is recorded, otherwise the milliseconds to wait. TIME is the server's clock, one for all.
_TAKE = """
local pause = redis.call('PTTL', KEYS[2])
if pause > 0 then return pause end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local window = tonumber(ARGV[1])
local allowance = tonumber(ARGV[2])
-- Scores as whole microseconds: Lua would print a bare number with 14 digits and round it.
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%.0f', now - window))
local count = redis.call('ZCARD', KEYS[1])
if count < allowance then
  redis.call('ZADD', KEYS[1], string.format('%.0f', now), ARGV[3])
  redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000) + 1000)
  return 0
end
local frees = redis.call('ZRANGE', KEYS[1], count - allowance, count - allowance, 'WITHSCORES')
local wait = math.ceil((tonumber(frees[2]) + window - now) / 1000)
if wait < 1 then wait = 1 end
return wait
"""


class RedisBudgets:
    """Budgets shared by every process that points at the same Redis and namespace."""

    def __init__(self, client: redis.Redis, namespace: str) -> None:
        self._client = client
        self._namespace = namespace
        self._take = client.register_script(_TAKE)

    def _keys(self, key: str) -> tuple[str, str]:
        # The braces are a Redis Cluster hash tag: both keys of a credential live on one shard.
        base = f"{self._namespace}:ratelimit:{{{key}}}"
        return base, base + ":pause"

    def take(self, key: str, rate: Rate, allowance: int) -> float:
        member = f"{os.getpid()}:{threading.get_ident()}:{random.getrandbits(64):x}"
        wait_ms = self._take(keys=list(self._keys(key)), args=[int(rate.window * 1_000_000), allowance, member])
        return int(wait_ms) / 1000

    def hold_off(self, key: str, seconds: float) -> None:
        _, pause = self._keys(key)
        milliseconds = max(1, int(seconds * 1000))
        # Keep the longer of two pauses: a shorter Retry-After must not cut another process's pause short.
        current = self._client.pttl(pause)
        if int(current) < milliseconds:
            self._client.set(pause, "1", px=milliseconds)


class _Config:
    """Where this process keeps its budgets and 429 counts; set once by the entry point."""

    def __init__(self) -> None:
        self.local = LocalBudgets()
        self.shared: RedisBudgets | None = None
        self.client: redis.Redis | None = None
        self.namespace = "cannasync"
        self.reserved_share = RESERVED_SHARE
        self.rate_limited: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.last_warning = 0.0


_config = _Config()


def configure_shared_limits(
    redis_url: str | None, *, namespace: str = "cannasync", reserved_share: float = RESERVED_SHARE
) -> None:
    """Share rate limits (and the count of vendor 429s) through Redis at ``redis_url``; ``None``: this process.

    Connectors never read settings (the import contract), so entry points call this once at start.
    """
    if not 0 <= reserved_share < 1:
        raise ValueError("reserved_share must be at least 0 and below 1")
    old = _config.client
    if redis_url:
        client = redis.Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=2, health_check_interval=30)
        _config.client, _config.shared = client, RedisBudgets(client, namespace)
    else:
        _config.client, _config.shared = None, None
    _config.namespace = namespace
    _config.reserved_share = reserved_share
    if old is not None:
        old.close()


def shared_limits_enabled() -> bool:
    return _config.shared is not None


def _warn_fallback(error: Exception) -> None:
    # One line a minute, not one per call: a Redis outage would otherwise flood the log.
    now = time.monotonic()
    if now - _config.last_warning > 60:
        _config.last_warning = now
        log.warning("shared_limits_unavailable", error=f"{error.__class__.__name__}: {error}", fallback="in-process")


class Paused(Exception):
    """The credential is paused (a vendor's ``Retry-After``) for longer than the caller is willing to wait."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"paused for {seconds:.0f}s")
        self.seconds = seconds


def acquire(key: str, requests_per_second: float, *, max_wait: float | None = None) -> None:
    """Wait until the credential ``key`` may make one more call at ``requests_per_second``, then record it.

    A single wait longer than ``max_wait`` raises :class:`Paused` instead of holding the thread: that is a
    vendor's long ``Retry-After``, and the caller's work is better retried later than parked in a worker.
    When Redis does not answer, this process keeps its own limit rather than stop calling vendors: each process
    stays under the ceiling, and the vendor's 429s (honoured by the HTTP client) cover the overshoot.
    """
    rate = Rate.per_second(requests_per_second)
    allowance = rate.allowance(current_priority(), _config.reserved_share)
    while True:
        budgets: Budgets = _config.shared or _config.local
        try:
            wait = budgets.take(key, rate, allowance)
        except redis.RedisError as error:
            _warn_fallback(error)
            wait = _config.local.take(key, rate, allowance)
        if wait <= 0:
            return
        if max_wait is not None and wait > max_wait:
            raise Paused(wait)
        # A little jitter, so the processes that waited for the same slot do not all ask again at once.
        time.sleep(wait + random.uniform(0, min(0.05, rate.window / rate.limit)))


def hold_off(key: str, seconds: float) -> None:
    """Pause every call with the credential ``key`` (in every process, when shared) for ``seconds``."""
    _config.local.hold_off(key, seconds)
    if _config.shared is not None:
        try:
            _config.shared.hold_off(key, seconds)
        except redis.RedisError as error:
            _warn_fallback(error)


def _rate_limited_hash() -> str:
    return f"{_config.namespace}:vendor_rate_limited"


def count_rate_limited(vendor: str) -> None:
    """Count one 429 from ``vendor``: in Redis when shared, so a scrape of any process sees every process's."""
    if _config.client is not None:
        try:
            _config.client.hincrby(_rate_limited_hash(), vendor, 1)
            return
        except redis.RedisError as error:
            _warn_fallback(error)
    with _config.lock:
        _config.rate_limited[vendor] += 1


def rate_limited_counts() -> dict[str, int]:
    """429s per vendor: every process's from Redis when shared (raises ``redis.RedisError`` if it does not answer),
    else this process's. Counts made while Redis was down stay in the process that made them."""
    if _config.client is None:
        with _config.lock:
            return dict(_config.rate_limited)
    stored = _config.client.hgetall(_rate_limited_hash())
    return {
        (vendor.decode() if isinstance(vendor, bytes) else str(vendor)): int(value) for vendor, value in stored.items()
    }
