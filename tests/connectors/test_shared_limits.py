"""Rate limits per vendor credential, shared through a real Redis: one budget for every process, pushes first.

Each test works in a key namespace of its own and deletes its keys at the end. Without a Redis at
``CANNASYNC_TEST_REDIS_URL`` the Redis tests skip, unless ``CI`` is set, where they fail.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Iterator

import httpx2
import pytest
import redis

from cannasync.connectors import limits
from cannasync.connectors.http import RetryPolicy, Unavailable, VendorHttp, credential_key
from cannasync.connectors.limits import LocalBudgets, Rate, RedisBudgets

REDIS_URL = os.environ.get("CANNASYNC_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
UNREACHABLE = "redis://127.0.0.1:1/0"


@pytest.fixture
def redis_url() -> str:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as error:  # pragma: no cover - depends on the machine
        message = f"Redis at {REDIS_URL} is not reachable: {error}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return REDIS_URL


@pytest.fixture
def namespace(redis_url: str) -> Iterator[str]:
    name = f"cs-test-{uuid.uuid4().hex[:10]}"
    yield name
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(match=f"{name}:*"):
        client.delete(key)
    client.close()


@pytest.fixture(autouse=True)
def back_to_in_process() -> Iterator[None]:
    yield
    limits.configure_shared_limits(None)


def a_key() -> str:
    """A credential of its own per test, named the way connectors name theirs (a digest, never the secret)."""
    return credential_key("flourish", "demo", uuid.uuid4().hex)


def two_processes(redis_url: str, namespace: str) -> tuple[RedisBudgets, RedisBudgets]:
    """Two budget stores with their own connections: what two worker processes on two machines would hold."""
    return (
        RedisBudgets(redis.Redis.from_url(redis_url), namespace),
        RedisBudgets(redis.Redis.from_url(redis_url), namespace),
    )


def test_two_processes_share_one_budget(redis_url: str, namespace: str):
    first, second = two_processes(redis_url, namespace)
    key, rate = a_key(), Rate(limit=6, window=5.0)
    admitted = [(first if i % 2 else second).take(key, rate, rate.limit) for i in range(6)]
    assert admitted == [0.0] * 6
    # The budget is spent: whichever process asks next is told to wait, about until the first call leaves.
    for budgets in (first, second):
        wait = budgets.take(key, rate, rate.limit)
        assert 4.0 < wait <= 5.0
    # No key names the credential: only the digest the connector gave us.
    stored = [k.decode() for k in redis.Redis.from_url(redis_url).scan_iter(match=f"{namespace}:*")]
    assert stored == [f"{namespace}:ratelimit:{{{key}}}"]


def test_acquire_spaces_calls_across_processes(redis_url: str, namespace: str):
    limits.configure_shared_limits(redis_url, namespace=namespace)
    other = RedisBudgets(redis.Redis.from_url(redis_url), namespace)
    key, rate = a_key(), Rate.per_second(4)
    for _ in range(4):  # "another process" spends this second's budget
        assert other.take(key, rate, rate.limit) == 0.0
    started = time.monotonic()
    with limits.priority("push"):
        limits.acquire(key, 4)
    assert time.monotonic() - started > 0.8, "this process must wait for the other's calls to leave the window"


def test_pulls_wait_for_the_reserved_share_while_pushes_pass(redis_url: str, namespace: str):
    limits.configure_shared_limits(redis_url, namespace=namespace, reserved_share=0.2)
    key, rps = a_key(), 10
    assert Rate.per_second(rps).allowance("pull", 0.2) == 8
    for _ in range(8):  # catalogue pulls spend everything but the reserve
        limits.acquire(key, rps)

    pull_done = threading.Event()

    def pull() -> None:
        limits.acquire(key, rps)  # the default priority is "pull"
        pull_done.set()

    waiting = threading.Thread(target=pull)
    waiting.start()
    started = time.monotonic()
    with limits.priority("push"):
        limits.acquire(key, rps)
        limits.acquire(key, rps)
    pushed_in = time.monotonic() - started
    assert pushed_in < 0.3, "order pushes use the reserved share at once"
    assert not pull_done.is_set(), "a pull that finds only reserved budget waits"
    waiting.join(timeout=5)
    assert pull_done.is_set()
    assert time.monotonic() - started > 0.5


def test_a_vendors_retry_after_pauses_the_credential_everywhere(redis_url: str, namespace: str):
    first, second = two_processes(redis_url, namespace)
    key, rate = a_key(), Rate(limit=100, window=1.0)
    first.hold_off(key, 2.0)
    assert 1.5 < second.take(key, rate, rate.limit) <= 2.0
    second.hold_off(key, 0.5)  # a shorter pause never cuts a longer one short
    assert second.take(key, rate, rate.limit) > 1.0


def test_429s_are_counted_once_for_every_process(redis_url: str, namespace: str):
    limits.configure_shared_limits(redis_url, namespace=namespace)
    calls = 0

    def vendor(request: httpx2.Request) -> httpx2.Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            return httpx2.Response(429, headers={"Retry-After": "0.2"}, json={"error": "slow down"})
        return httpx2.Response(200, json={"ok": True})

    http = VendorHttp(
        "flourish",
        "https://flourish.invalid/api",
        limiter_key=a_key(),
        requests_per_second=50,
        retry=RetryPolicy(wait_initial=0.01),
        transport=httpx2.MockTransport(vendor),
    )
    assert http.get_json("/v1/items") == {"ok": True}
    http.close()
    assert limits.rate_limited_counts() == {"flourish": 1}
    stored = redis.Redis.from_url(redis_url).hgetall(f"{namespace}:vendor_rate_limited")
    assert stored == {b"flourish": b"1"}, "another process's /metrics reads the same count"


def test_a_long_pause_fails_the_call_at_once_instead_of_parking_a_worker(redis_url: str, namespace: str):
    limits.configure_shared_limits(redis_url, namespace=namespace)
    key = a_key()
    limits.hold_off(key, 120)  # another process was told Retry-After: 120
    http = VendorHttp(
        "flourish",
        "https://flourish.invalid/api",
        limiter_key=key,
        requests_per_second=50,
        transport=httpx2.MockTransport(lambda request: httpx2.Response(200, json={})),
    )
    started = time.monotonic()
    with pytest.raises(Unavailable, match=r"rate limited: paused 120s, until \d\d:\d\d:\d\d UTC"):
        http.get("/v1/items")
    http.close()
    assert time.monotonic() - started < 60  # refused at once, not parked for the 120 s (bound loose for busy machines)


def test_without_redis_the_budget_is_this_processes_own():
    limits.configure_shared_limits(None)
    assert not limits.shared_limits_enabled()
    key = a_key()
    started = time.monotonic()
    for _ in range(5):  # 4 a second: the fifth call waits for the first to leave the window
        limits.acquire(key, 4)
    assert 0.8 < time.monotonic() - started < 2
    limits.count_rate_limited("leaflink")
    assert limits.rate_limited_counts()["leaflink"] >= 1


def test_local_budgets_keep_the_reserve_for_pushes_too():
    budgets, key, rate = LocalBudgets(), a_key(), Rate(limit=5, window=10.0)
    pull, push = rate.allowance("pull", 0.2), rate.allowance("push", 0.2)
    assert (pull, push) == (4, 5)
    assert [budgets.take(key, rate, pull) for _ in range(4)] == [0.0] * 4
    assert budgets.take(key, rate, pull) > 9
    assert budgets.take(key, rate, push) == 0.0
    assert budgets.take(key, rate, push) > 9


def test_an_unreachable_redis_falls_back_to_in_process_limits():
    limits.configure_shared_limits(UNREACHABLE)
    key = a_key()
    started = time.monotonic()
    limits.acquire(key, 100)  # no exception: the call goes on, limited by this process
    limits.count_rate_limited("alleaves")
    assert time.monotonic() - started < 5
    limits.configure_shared_limits(None)
    assert limits.rate_limited_counts()["alleaves"] >= 1


def test_a_rate_below_one_a_second_stretches_the_window():
    assert Rate.per_second(0.5) == Rate(limit=1, window=2.0)
    assert Rate.per_second(20).allowance("pull", 0.2) == 16
    assert Rate.per_second(1).allowance("pull", 0.2) == 1, "a pull always keeps one slot"
