"""The flow registry names every flow a vendor is scheduled for, once."""

from __future__ import annotations

import pytest

from cannasync.connectors.registry import VENDORS
from cannasync.flows import registry
from tests.conftest import Hub, Wholesale


@pytest.mark.parametrize("vendor", sorted(VENDORS))
def test_every_flow_a_vendor_is_scheduled_for_is_registered(vendor: str):
    for name in VENDORS[vendor].scheduled_flows:
        flow = registry.flow(name)  # an unregistered one would fail the connection that schedules it
        assert flow.name == name and flow.interval.total_seconds() > 0


def test_an_unknown_flow_is_named_with_the_known_ones():
    with pytest.raises(registry.UnknownFlow, match="menu_sync"):
        registry.flow("menu_synk")


def test_a_bridge_without_its_supplier_fails_its_runs_with_the_reason_not_as_a_crash(hub: Hub, wholesale: Wholesale):
    """The wholesale sync and the link's reconciliation both read the bridge's supplier: when the store's POS
    connection it sells from is disconnected, each run says so (a setup to fix), not "internal error"."""
    answer = hub.api.post(f"/api/v1/integrations/{wholesale.flourish_integration_id}/disconnect")
    assert answer.status_code == 200, answer.text
    for flow in ("wholesale_sync", "reconcile"):
        run = hub.sync(wholesale.link_id, flow)
        assert run["status"] == "failed", run
        assert "disconnected" in run["error"] and not run["error"].startswith("internal error"), run["error"]
