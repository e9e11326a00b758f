"""The fault kinds every POS sandbox injects the same way (sandboxes/_kit/faults.py), checked on all three.

Faults fire before authentication, so an unauthenticated call is enough to see them; what a client sees is what
a real network or gateway would give it (a refused status, a reset, an answer that breaks off mid-body).
"""

from __future__ import annotations

import random

import httpx2
import pytest
from tests.conftest import (
    ALLEAVES_CREDENTIALS,
    FLOWHUB_CREDENTIALS,
    AlleavesSandbox,
    FlowhubSandbox,
    Sandbox,
)

READS = {
    "flourish": "/external/api/v1/facilities",
    "flowhub": "/v0/clientsLocations",
    "alleaves": "/api/v1/inventory-areas",
}


@pytest.fixture(params=sorted(READS))
def pos(request: pytest.FixtureRequest) -> tuple[Sandbox, str]:
    return request.getfixturevalue(request.param), READS[request.param]


def statuses(sandbox: Sandbox, path: str, times: int) -> list[int]:
    with httpx2.Client(base_url=sandbox.server.url, timeout=5) as client:
        return [client.get(path).status_code for _ in range(times)]


def test_every_nth_request_fails_at_a_steady_rate_until_the_count_is_spent(pos: tuple[Sandbox, str]) -> None:
    sandbox, path = pos
    sandbox.fault(method="GET", path_prefix=path, status=503, every=3, count=2)
    seen = statuses(sandbox, path, 9)
    assert [s == 503 for s in seen] == [False, False, True, False, False, True, False, False, False]


def test_a_rate_draws_from_its_seed_so_a_run_repeats_exactly(pos: tuple[Sandbox, str]) -> None:
    sandbox, path = pos
    sandbox.fault(method="GET", path_prefix=path, status=500, rate=0.3, seed=7, count=1000)
    seen = [s == 500 for s in statuses(sandbox, path, 40)]
    draws = random.Random(7)
    assert seen == [draws.random() < 0.3 for _ in range(40)]
    assert 0 < sum(seen) < 40


def test_a_429_carries_retry_after_only_when_asked(pos: tuple[Sandbox, str]) -> None:
    sandbox, path = pos
    sandbox.fault(method="GET", path_prefix=path, status=429, retry_after=2)
    sandbox.fault(method="GET", path_prefix=path, status=429)
    with httpx2.Client(base_url=sandbox.server.url, timeout=5) as client:
        first, second = client.get(path), client.get(path)
    assert (first.status_code, first.headers.get("retry-after")) == (429, "2")
    assert (second.status_code, second.headers.get("retry-after")) == (429, None)


def test_a_reset_drops_the_connection_without_an_answer(pos: tuple[Sandbox, str]) -> None:
    sandbox, path = pos
    sandbox.fault(method="GET", path_prefix=path, mode="reset")
    with httpx2.Client(base_url=sandbox.server.url, timeout=5) as client:
        with pytest.raises(httpx2.TransportError):
            client.get(path)
        assert client.get(path).status_code < 500  # the next connection is served as usual


def signed_in(sandbox: Sandbox, client: httpx2.Client) -> dict[str, str]:
    """The headers a real client sends (after-commit faults strike only requests the vendor served)."""
    if isinstance(sandbox, AlleavesSandbox):
        token = client.post("/api/v1/auth/token", json=ALLEAVES_CREDENTIALS).json()["access_token"]
        return {"Authorization": f"Bearer {token}"}
    if isinstance(sandbox, FlowhubSandbox):
        return {"clientId": FLOWHUB_CREDENTIALS["client_id"], "key": FLOWHUB_CREDENTIALS["api_key"]}
    return {"x-api-key": "demo-key"}


def test_a_truncated_answer_breaks_off_mid_body(pos: tuple[Sandbox, str]) -> None:
    sandbox, path = pos
    with httpx2.Client(base_url=sandbox.server.url, timeout=5) as client:
        headers = signed_in(sandbox, client)
        whole = client.get(path, headers=headers)
        assert whole.status_code == 200 and whole.content
        sandbox.fault(method="GET", path_prefix=path, mode="truncate")
        with pytest.raises(httpx2.RemoteProtocolError, match=r"incomplete|complete message body"):
            client.get(path, headers=headers)
        assert client.get(path, headers=headers).content == whole.content


def test_unknown_kinds_and_rates_are_refused(pos: tuple[Sandbox, str]) -> None:
    sandbox, _path = pos
    for bad in ({"mode": "explode"}, {"status": 500, "rate": 1.5}, {"status": 500, "every": 0}):
        assert sandbox.control.post("/_sandbox/faults", json=bad).status_code == 422, bad
