"""`cannasync demo --once --json`: the whole story runs from the command line and says what happened."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from cannasync.jobs.runtime import Runtime
from cannasync.settings import Settings


def test_the_demo_tells_the_whole_story(tmp_path: Path):
    env = {**os.environ, "CANNASYNC_DATA_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "cannasync.cli", "demo", "--once", "--json", "--items", "120"],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads(done.stdout)
    assert summary["ok"] is True, summary.get("error")
    assert len(summary["steps"]) == 28
    flourish = summary["flourish"]
    assert flourish["facilities"] == ["101", "102"]
    assert flourish["menu_sync"]["first"]["created"] > 50
    assert flourish["menu_sync"]["first"]["quarantined"] >= 3
    assert flourish["menu_sync"]["second"]["unchanged"] == flourish["menu_sync"]["first"]["created"]
    assert len(flourish["orders"]) == 2
    for order in flourish["orders"]:
        assert order["flourish_order_id"].startswith("RO-")
        assert order["flourish_total_cents"] == order["our_total_cents"]
    assert set(flourish["statuses"].values()) == {"closed"}
    reconcile = summary["reconcile"]  # drift injected in Flourish, found, repaired; then nothing left
    assert reconcile["found"] == ["gone_from_pos", "quantity"] and reconcile["repaired"] == 2
    assert reconcile["after"] == 0
    assert reconcile["history_by"] == "reconcile"  # the product's history names the run that changed its count
    assert reconcile["account_check"] == {"usable": True, "writes": 0}  # the account checked over the API, reads only
    flowhub = summary["flowhub"]
    assert flowhub["menu_sync"]["created"] > 50 and flowhub["menu_sync"]["quarantined"] >= 1
    assert flowhub["order"]["flowhub_order_id"] and len(flowhub["order"]["number"]) == 8
    assert flowhub["status"] == "closed"
    alleaves = summary["alleaves"]
    assert alleaves["menu_sync"]["created"] > 50 and alleaves["held_off_menu"] >= 1
    assert alleaves["menu_sync"]["left_out_terpenes"] >= 1
    assert alleaves["order"]["alleaves_order_id"] and alleaves["status"] == "closed"
    loyalty = summary["loyalty"]
    assert loyalty["personas"] >= 20 and loyalty["unmapped_after_mapping"] == ["102"]
    assert loyalty["enrolled"] > 0 and loyalty["points_before_redemption"] >= 120
    assert loyalty["points_after_redemption"] == loyalty["points_before_redemption"] - 50
    assert loyalty["opt_in_requested"] > 0 and loyalty["opt_in_confirmed"] is True
    wholesale = summary["wholesale"]
    assert wholesale["products_created"]["1"] > 0 and wholesale["products_created"]["2"] > 0
    assert wholesale["stock_lag_seconds"] < 5
    assert wholesale["order"]["flourish_order_id"].startswith("OB-")
    assert wholesale["order"]["payment_term"] == "Net 30" and wholesale["order"]["leaflink_status"] == "Shipped"
    assert "Menu > Products > Sync" in done.stderr  # the story is told to a person on stderr

    # It ends with the console and store addresses and a sign-in that works against what the demo left behind.
    sign_in = summary["sign_in"]
    assert f"Sign in as: {sign_in['email']} / {sign_in['password']}" in done.stderr
    assert summary["urls"]["console"] in done.stderr and summary["urls"]["store"] in done.stderr
    assert summary["urls"]["store"].endswith(f"/shop/{flourish['store_id']}")
    runtime = Runtime(Settings(data_dir=tmp_path / "demo"))
    with runtime.db.uow() as uow:
        assert uow.users.authenticate(sign_in["email"], sign_in["password"]) is not None
        assert uow.users.authenticate(sign_in["email"], "not-the-password") is None
    runtime.close()
