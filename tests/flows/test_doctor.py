"""`cannasync doctor`: a read-only check of a vendor account, against the sandboxes over loopback.

What a person would notice: the verdict and exit code, each finding (credentials, locations, the menu's quarantine
reasons, the Order Ahead grant, rate-limit headers), no secret anywhere in what is printed or logged, and, counted
on the vendor's side, no call that writes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from typer.testing import CliRunner

from cannasync.cli import app
from cannasync.cli.servers import BackgroundServer
from cannasync.connectors.http import VendorHttp, WriteForbidden, recording
from cannasync.flows import doctor
from tests.conftest import (
    ALLEAVES_CREDENTIALS,
    FLOWHUB_CREDENTIALS,
    AlleavesSandbox,
    FlowhubSandbox,
    Sandbox,
)
from tests.test_secrets import debug_log

FLOURISH_CREDENTIALS = {"username": "demo", "api_key": "demo-key"}
#: Calls that make a token and no record: the only non-GET an account check may send.
GRANTS = {"POST /oauth/token", "POST /api/v1/auth/token"}


def writes(sandbox: Sandbox) -> dict[str, int]:
    """What reached the vendor that was not a read (the sandbox counts every request to its API routes)."""
    return {call: n for call, n in sandbox.requests().items() if not call.startswith("GET ") and call not in GRANTS}


def finding(report: doctor.Report, check: str) -> doctor.Finding:
    return next(f for f in report.findings if f.check == check)


def secrets_of(credentials: dict[str, str]) -> list[str]:
    return [value for value in credentials.values() if value]


def test_the_cli_checks_a_good_flowhub_account_with_reads_only_and_no_secret_in_output_or_logs(
    flowhub: FlowhubSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    orders_before = len(flowhub.orders())
    file = tmp_path / "flowhub.json"
    file.write_text(json.dumps({"credentials": FLOWHUB_CREDENTIALS, "settings": flowhub.where}))
    # As an operator runs it, with every vendor call logged (debug) to the command's stderr.
    monkeypatch.setenv("CANNASYNC_LOG_LEVEL", "DEBUG")
    with debug_log():
        result = CliRunner().invoke(app, ["doctor", "flowhub", "--credentials-file", str(file)])
    assert result.exit_code == 0, result.output
    out, logged = result.stdout, result.stderr
    assert "verdict: USABLE" in out
    assert "[ok] Credentials: accepted by Flowhub" in out
    assert "loc-eastside: Sunset Cannabis Co. - Eastside" in out and "loc-ferndale" in out
    assert "[ok] Order Ahead token grant: a new access token was granted" in out
    assert "[info] Rate-limit headers: none on" in out
    assert "[warning] Menu: first page read from" in out and "quarantined" in out
    assert "vendor_call" in logged and "orderStatus" in logged, "the calls are logged (so this test can fail)"
    # No credential value and no token granted during the check, in the report or the logs.
    tokens = flowhub.state.tenant.tokens()
    assert tokens, "the grant was made against the sandbox's tenant"
    for secret in [*secrets_of(FLOWHUB_CREDENTIALS), *tokens]:
        assert secret not in out and secret not in logged
    # Counted by Flowhub: reads and the token grant, nothing else; no order appeared.
    assert writes(flowhub) == {}
    assert flowhub.requests()["POST /oauth/token"] >= 1
    assert len(flowhub.orders()) == orders_before


def test_refused_credentials_make_the_account_unusable_and_say_so(flourish: Sandbox, tmp_path: Path):
    wrong = {"username": "demo", "api_key": "not-the-key-9f2c"}
    file = tmp_path / "flourish.json"
    file.write_text(json.dumps({"credentials": wrong, "settings": {"base_url": flourish.api_url}}))
    with debug_log():
        result = CliRunner().invoke(app, ["doctor", "flourish", "--credentials-file", str(file), "--json"])
    assert result.exit_code == 1, result.output  # not usable
    assert "not-the-key-9f2c" not in result.output
    report = doctor.Report.from_dict(json.loads(result.stdout))
    assert not report.usable
    refused = finding(report, "Credentials")
    assert refused.status == doctor.FAILED and refused.summary.startswith("refused by Flourish")
    assert [f.check for f in report.findings] == ["Credentials", "Rate-limit headers"], "nothing more is asked"
    assert "verdict: NOT USABLE (Credentials: refused by Flourish" in report.text()
    assert writes(flourish) == {}


def test_a_refused_order_ahead_grant_is_named_and_the_account_is_not_usable(flowhub: FlowhubSandbox):
    wrong = {**FLOWHUB_CREDENTIALS, "order_ahead_token": "oa-wrong-secret-77"}
    report = doctor.check("flowhub", wrong, flowhub.where)
    assert not report.usable
    assert finding(report, "Credentials").status == doctor.OK  # the API key pair works: only the grant does not
    grant = finding(report, "Order Ahead token grant")
    assert grant.status == doctor.FAILED and "the order-ahead grant was refused" in grant.summary
    assert "oa-wrong-secret-77" not in report.text()
    assert writes(flowhub) == {}


def test_a_malformed_record_on_the_first_menu_page_is_shown_with_its_reason_and_rate_limit_headers_are_reported(
    flourish: Sandbox,
):
    first = flourish.control.get(
        "/external/api/v1/items/", params={"limit": 1}, headers={"x-api-key": "demo-key"}
    ).json()["data"][0]
    flourish.patch_item(first["id"], active=True, ecommerce_active=True, sellable=True, retail_price="TBD", price="TBD")
    # One answer refused for being too fast, with the vendor's Retry-After: the check waits, asks again, and says so.
    flourish.fault(path_prefix="/external/api/v1/facilities/", status=429, retry_after="0", count=1)
    settings = {"base_url": flourish.api_url, "facility_id": "102"}
    report = doctor.check("flourish", FLOURISH_CREDENTIALS, settings)
    assert report.usable, report.text()
    menu = finding(report, "Menu")
    assert menu.status == doctor.WARNING
    assert menu.summary.startswith("first page read from Great Lakes Provisions - Grand Rapids (102):")
    assert f"{first['id']}: retail_price 'TBD' is not a number" in menu.details
    limits = finding(report, "Rate-limit headers")
    assert limits.details == ["retry-after: 0"]
    as_json = json.loads(json.dumps(report.as_dict()))
    assert as_json["usable"] is True and as_json["calls"][0]["status"] == 429
    assert writes(flourish) == {}


def test_a_write_inside_a_read_only_check_is_never_sent(flourish: Sandbox):
    http = VendorHttp(
        "Flourish", flourish.api_url, headers={"x-api-key": "demo-key"}, limiter_key="t", requests_per_second=None
    )
    flourish.control.delete("/_sandbox/requests")
    with recording(read_only=True), pytest.raises(WriteForbidden, match="read-only"):
        http.write_json("POST", "v1/customers/", {"first_name": "Ada"})
    http.close()
    assert flourish.requests() == {}


@pytest.fixture
def leaflink() -> Iterator[Sandbox]:
    from cannasync.sandboxes import leaflink as leaflink_sandbox

    app = leaflink_sandbox.create_app(seed=4, rate_limit_per_minute=None)
    server = BackgroundServer(app).start()
    with httpx2.Client(base_url=server.url, timeout=10) as control:
        yield Sandbox(server, app.state.sandbox, control)
    server.stop()


def test_every_other_vendor_is_checked_with_reads_only(
    alleaves: AlleavesSandbox, leaflink: Sandbox, flourish: Sandbox, sms: Sandbox
):
    cases: list[tuple[str, Sandbox, dict[str, str], dict[str, Any], set[str]]] = [
        ("alleaves", alleaves, ALLEAVES_CREDENTIALS, {"base_url": alleaves.api_url}, {"Locations", "Menu"}),
        (
            "leaflink",
            leaflink,
            {"api_key": "ll-key-company-1"},
            {"base_url": f"{leaflink.server.url}/api/v2"},
            {"Products listed", "Orders received"},
        ),
        (
            "flourish_loyalty",
            flourish,
            FLOURISH_CREDENTIALS,
            {"base_url": flourish.api_url, "age_gate_attested": True},
            {"Locations", "Customers", "Completed sales"},
        ),
        (
            "sms",
            sms,
            {"api_key": "sms-demo-key", "signing_secret": "sms-demo-secret"},
            {"base_url": sms.server.url},
            set(),
        ),
    ]
    for name, sandbox, credentials, settings, checks in cases:
        report = doctor.check(name, credentials, settings)
        assert report.usable, report.text()
        assert checks <= {f.check for f in report.findings}, report.text()
        assert all(f.status != doctor.FAILED for f in report.findings)
        text = report.text() + json.dumps(report.as_dict())
        assert not [s for s in secrets_of(credentials) if s in text], name
        if name == "sms":  # this sandbox keeps the texts it was asked to send, not a request count
            assert sandbox.control.get("/_sandbox/messages").json()["data"] == []
        else:
            assert writes(sandbox) == {}, name
    # A chosen area whose stock may not be sold makes the account unusable as set up, and says which.
    quarantine_area = doctor.check(
        "alleaves", ALLEAVES_CREDENTIALS, {"base_url": alleaves.api_url, "area_ids": ["AREA-QTN"]}
    )
    assert not quarantine_area.usable
    assert "the chosen Quarantine is marked not sellable" in finding(quarantine_area, "Locations").summary


def test_a_bad_credentials_file_names_what_to_fix(tmp_path: Path):
    runner = CliRunner()
    file = tmp_path / "creds.json"

    def run(vendor: str, content: str) -> tuple[int, str]:
        file.write_text(content)
        result = runner.invoke(app, ["doctor", vendor, "--credentials-file", str(file)])
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        return result.exit_code, result.output

    code, out = run("flourish", "{not json")
    assert code == 2 and "is not valid JSON" in out and "Traceback" not in out
    code, out = run("flourish", json.dumps({"credentials": {"username": "demo"}}))
    assert code == 2 and "api_key" in out and "Field required" in out
    code, out = run("flowhub", json.dumps({"api_key": "k"}))
    assert code == 2 and "unknown key 'api_key'" in out
    code, out = run("flowhub", json.dumps({"settings": {}}))
    assert code == 2 and "order_ahead_token" in out
    code, out = run("flourish", json.dumps({"credentials": FLOURISH_CREDENTIALS, "settings": {"facility": "101"}}))
    assert code == 2 and "facility" in out and "Extra inputs are not permitted" in out
    code, out = run("square", "{}")
    assert code == 2 and "unknown vendor 'square'" in out
    result = runner.invoke(app, ["doctor", "flourish", "--credentials-file", str(tmp_path / "missing.json")])
    assert result.exit_code == 2 and "cannot read" in result.output
