"""The read-only account check over the API (``POST /api/v1/integrations/{id}/check``), on SQLite and PostgreSQL.

What an operator (or the support desk they forward the report to) would notice: the same report ``cannasync
doctor`` prints, no credential or granted token anywhere in the answer, a vendor's refusal reported as a finding
rather than an error, the report kept for a later ``GET``, and, counted on the vendor's side with nothing else
running, exactly the calls the report lists, every one a read or a token grant: no order, customer or webhook.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from cannasync.flows import doctor
from tests.conftest import FLOWHUB_CREDENTIALS, Connected, FlowhubSandbox, Hub, Sandbox, connect_flowhub, wait_for
from tests.flows.test_doctor import GRANTS, writes


def quiet(hub: Hub, link: Connected) -> None:
    """Pause every scheduled flow of the connection and wait until none runs: only the check calls the vendor."""
    for schedule in hub.api.get(f"/api/v1/integrations/{link.integration_id}").json()["schedules"]:
        paused = hub.api.post(f"/api/v1/integrations/{link.integration_id}/flows/{schedule['flow']}/pause")
        assert paused.status_code == 200, paused.text

    def idle() -> bool:
        runs = hub.api.get(f"/api/v1/integrations/{link.integration_id}/runs").json()
        return all(run["status"] not in ("queued", "running") for run in runs)

    wait_for(idle, "the connection's runs to end")


def check(hub: Hub, integration_id: int) -> dict[str, Any]:
    answer = hub.api.post(f"/api/v1/integrations/{integration_id}/check")
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_a_saved_flowhub_connection_is_checked_with_reads_only_and_no_secret_in_the_answer(
    hub: Hub, flowhub: FlowhubSandbox
):
    link = connect_flowhub(hub, flowhub)
    hub.first_sync(link.integration_id)
    quiet(hub, link)
    orders, customers = len(flowhub.orders()), len(flowhub.control.get("/_sandbox/customers").json()["data"])
    flowhub.control.delete("/_sandbox/requests").raise_for_status()

    answer = hub.api.post(f"/api/v1/integrations/{link.integration_id}/check")

    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["usable"] is True and report["vendor"] == "flowhub" and report["title"] == "Flowhub"
    found = {f["check"]: f for f in report["findings"]}
    assert found["Credentials"]["summary"] == "accepted by Flowhub"
    assert found["Order Ahead token grant"]["status"] == "ok"
    assert found["Menu"]["summary"].startswith("first page read from") and "quarantined" in found["Menu"]["summary"]
    assert found["Rate-limit headers"]["status"] == "info"
    # The same report `cannasync doctor` prints, text included.
    assert report["text"] == doctor.Report.from_dict({k: v for k, v in report.items() if k != "text"}).text()
    assert report["text"].splitlines()[2] == "verdict: USABLE"
    # No credential value and no token granted during the check, anywhere in the answer.
    tokens = flowhub.state.tenant.tokens()
    assert tokens, "the Order Ahead grant was made against the sandbox's tenant"
    leaked = [secret for secret in [*FLOWHUB_CREDENTIALS.values(), *tokens] if secret in answer.text]
    assert leaked == []
    # Counted by Flowhub, with nothing else running: the calls the report lists, all reads or the token grant.
    seen = flowhub.requests()
    assert writes(flowhub) == {}
    assert set(seen) - GRANTS and all(call.startswith("GET ") or call in GRANTS for call in seen), seen
    reported = Counter(call["method"] for call in report["calls"])
    assert reported["GET"] == sum(n for call, n in seen.items() if call.startswith("GET ")), (reported, seen)
    assert set(reported) <= {"GET", "POST"} and reported["POST"] <= seen.get("POST /oauth/token", 0)
    assert len(flowhub.orders()) == orders
    assert len(flowhub.control.get("/_sandbox/customers").json()["data"]) == customers

    # The report is kept on the connection: a later GET (or the console's card) shows the same one.
    kept = hub.api.get(f"/api/v1/integrations/{link.integration_id}/check")
    assert kept.status_code == 200 and kept.json() == report


def test_a_refusal_is_a_finding_and_a_disconnected_connection_is_not_checked(hub: Hub, flourish: Sandbox):
    link_answer = hub.api.post("/api/v1/stores", json={"name": "Downtown"}).json()
    saved = hub.api.put(
        f"/api/v1/stores/{link_answer['id']}/integrations/flourish",
        json={"credentials": {"username": "demo", "api_key": "demo-key"}, "settings": {"base_url": flourish.api_url}},
    )
    assert saved.status_code == 200, saved.text
    integration_id = saved.json()["id"]
    assert hub.api.get(f"/api/v1/integrations/{integration_id}/check").status_code == 404  # never checked yet
    # Flourish refuses the key now (rotated by someone at the dispensary): the check says so, as a finding.
    flourish.fault(method="GET", path_prefix="/external/api/v1/facilities", status=401, count=5)

    report = check(hub, integration_id)

    assert report["usable"] is False
    [refused] = [f for f in report["findings"] if f["check"] == "Credentials"]
    assert refused["status"] == "failed" and refused["summary"].startswith("refused by Flourish")
    assert "verdict: NOT USABLE (Credentials: refused by Flourish" in report["text"]
    assert "demo-key" not in json.dumps(report)
    assert writes(flourish) == {}

    # Disconnected: the credentials are erased, so there is nothing to check with, and the old report is gone.
    assert hub.api.post(f"/api/v1/integrations/{integration_id}/disconnect").status_code == 200
    refused_check = hub.api.post(f"/api/v1/integrations/{integration_id}/check")
    assert refused_check.status_code == 409 and "disconnected" in refused_check.json()["detail"]
    assert hub.api.get(f"/api/v1/integrations/{integration_id}/check").status_code == 404
    assert hub.api.post("/api/v1/integrations/987654/check").status_code == 404
    assert hub.client(None).post(f"/api/v1/integrations/{integration_id}/check").status_code == 401


def test_the_check_and_its_error_answers_are_in_the_openapi_document(hub: Hub):
    paths = hub.api.get("/openapi.json").json()["paths"]
    operations = paths["/api/v1/integrations/{integration_id}/check"]
    assert set(operations["post"]["responses"]) == {"200", "401", "404", "409", "422", "503"}
    assert set(operations["get"]["responses"]) == {"200", "401", "404", "422"}
    schema = operations["post"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/AccountCheckOut"}
    for path in ("/api/v1/orders/{order_id}/history", "/api/v1/loyalty/personas/{persona_id}/history"):
        assert set(paths[path]["get"]["responses"]) == {"200", "401", "404", "422"}, path
