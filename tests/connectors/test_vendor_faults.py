"""VendorHttp against a real sandbox's injected faults: what each fault kind becomes for the flows above it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from cannasync.connectors.http import OutcomeUnknown, VendorHttp, credential_key
from tests.conftest import Sandbox

FACILITIES = "/external/api/v1/facilities"


def client(flourish: Sandbox) -> VendorHttp:
    return VendorHttp(
        "Flourish",
        flourish.api_url,
        headers={"x-api-key": "demo-key"},
        limiter_key=credential_key("flourish", uuid.uuid4().hex),  # a budget of its own, untouched by other tests
        requests_per_second=None,
        timeout=5,
    )


def test_a_retry_after_given_as_an_http_date_is_honoured(flourish: Sandbox) -> None:
    # RFC 9110 §10.2.3: Retry-After is delay-seconds or an HTTP-date; gateways and CDNs send the date form.
    when = (datetime.now(UTC) + timedelta(seconds=4)).replace(microsecond=0)  # the date has whole seconds
    flourish.fault(method="GET", path_prefix=FACILITIES, status=429, retry_after=format_datetime(when, usegmt=True))
    http = client(flourish)
    assert http.get_json("v1/facilities")["data"]
    assert datetime.now(UTC) >= when  # the second call waited for the date (not a 0.2 s backoff)
    assert flourish.requests()["GET /external/api/v1/facilities/"] == 2
    http.close()


@pytest.mark.parametrize("mode", ["reset", "truncate"])
def test_a_read_that_breaks_is_retried(flourish: Sandbox, mode: str) -> None:
    flourish.fault(method="GET", path_prefix=FACILITIES, mode=mode)
    http = client(flourish)
    assert http.get_json("v1/facilities")["data"]
    assert flourish.requests()["GET /external/api/v1/facilities/"] == 2
    http.close()


@pytest.mark.parametrize("mode", ["reset", "reset_after_commit", "truncate"])
def test_a_write_whose_answer_breaks_is_an_unknown_outcome_never_repeated(flourish: Sandbox, mode: str) -> None:
    flourish.fault(method="POST", path_prefix="/external/api/v2/retail-orders", mode=mode)
    http = client(flourish)
    with pytest.raises(OutcomeUnknown):
        http.write_json("POST", "v2/retail-orders", {"order_lines": []}, headers={"FacilityID": "101"})
    assert flourish.requests()["POST /external/api/v2/retail-orders/"] == 1
    http.close()
