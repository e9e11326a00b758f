"""``cannasync demo``: the Flourish ↔ online store story, told against a local Flourish sandbox.

Everything goes through the hub's public REST API, exactly as a store's website or the admin would use it; the
sandbox's control routes play the dispensary staff moving orders along in Flourish.

One story per module (``flourish``, ``reconcile``, ``flowhub``, ``alleaves``, ``loyalty``, ``wholesale``), told in
that order by ``run_demo``; the steps they share (calling the hub, waiting on it, a sync watched with a progress
bar, an order's push) are written once in ``steps``.
"""

from __future__ import annotations

import json
import secrets
import shutil
import sys
import time

import httpx2
from rich.console import Console

from cannasync.cli.demo.alleaves import tell_alleaves
from cannasync.cli.demo.flourish import tell_flourish
from cannasync.cli.demo.flowhub import tell_flowhub
from cannasync.cli.demo.loyalty import tell_loyalty
from cannasync.cli.demo.reconcile import tell_reconcile
from cannasync.cli.demo.steps import DemoFailed, Story
from cannasync.cli.demo.wholesale import tell_wholesale
from cannasync.cli.servers import BackgroundServer
from cannasync.jobs.embedded import EmbeddedWorkers
from cannasync.jobs.runtime import Runtime, configure_logging
from cannasync.sandboxes import alleaves as alleaves_sandbox
from cannasync.sandboxes import flourish as flourish_sandbox
from cannasync.sandboxes import flowhub as flowhub_sandbox
from cannasync.sandboxes import leaflink as leaflink_sandbox
from cannasync.sandboxes import sms as sms_sandbox
from cannasync.settings import Settings
from cannasync.web.site import create_site

DEMO_EMAIL = "owner@greenleaf.example"


def run_demo(settings: Settings, *, once: bool, json_out: bool, items: int, seed: int) -> bool:
    console = Console(stderr=json_out)
    story = Story(console)
    demo_dir = settings.data_dir / "demo"
    shutil.rmtree(demo_dir, ignore_errors=True)
    settings = settings.model_copy(update={"data_dir": demo_dir, "database_url": None, "tick_seconds": 1.0})
    configure_logging("WARNING")
    runtime = Runtime(settings)
    workers = EmbeddedWorkers(runtime.db, workers=settings.workers, tick_seconds=settings.tick_seconds)
    # The same Flourish company serves the store and the loyalty program, with a few weeks of in-store sales.
    flourish_server = BackgroundServer(flourish_sandbox.create_app(items=items, seed=seed, sales=25)).start()
    sms_server = BackgroundServer(sms_sandbox.create_app()).start()
    leaflink_server = BackgroundServer(leaflink_sandbox.create_app(seed=seed)).start()
    flowhub_server = BackgroundServer(flowhub_sandbox.create_app(items=items, seed=seed)).start()
    alleaves_server = BackgroundServer(alleaves_sandbox.create_app(items=items, seed=seed)).start()
    hub_server = BackgroundServer(create_site(runtime.db, workers.dispatcher)).start()
    workers.dispatcher.public_url = hub_server.url
    workers.start()
    password = secrets.token_urlsafe(9)  # a fresh one each run: the demo's database is new each run too
    with runtime.db.uow() as uow:
        org = uow.accounts.organization_named("Green Leaf Cannabis Co.")
        token = uow.accounts.issue_token(org.id, "demo")
        uow.users.set_user(org.id, DEMO_EMAIL, password)
    urls = {
        "console": f"{hub_server.url}/console",
        "api": hub_server.url,
        "docs": f"{hub_server.url}/docs",
        "flourish": f"{flourish_server.url}/external/api",
        "flowhub": flowhub_server.url,
        "alleaves": alleaves_server.url,
        "sms": sms_server.url,
        "leaflink": leaflink_server.url,
    }
    ok = True
    try:
        with (
            httpx2.Client(base_url=hub_server.url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as hub,
            httpx2.Client(base_url=flourish_server.url, timeout=30) as flourish,
            httpx2.Client(base_url=flowhub_server.url, timeout=30) as flowhub,
            httpx2.Client(base_url=alleaves_server.url, timeout=30) as alleaves,
            httpx2.Client(base_url=sms_server.url, timeout=30) as texts,
            httpx2.Client(base_url=leaflink_server.url, timeout=30) as leaflink,
        ):
            console.print(
                f"[dim]cannasync: {urls['docs']} · Flourish sandbox: {urls['flourish']} · "
                f"Flowhub sandbox: {urls['flowhub']} · Alleaves sandbox: {urls['alleaves']}[/]"
            )
            try:
                tell_flourish(story, hub, flourish, urls["flourish"])
                tell_reconcile(story, hub, flourish)
                tell_flowhub(story, hub, flowhub, urls["flowhub"])
                tell_alleaves(story, hub, alleaves, urls["alleaves"])
                tell_loyalty(story, hub, flourish, texts, urls)
                tell_wholesale(story, hub, flourish, leaflink, urls)
            except DemoFailed as failure:
                ok = False
                story.summary["error"] = str(failure)
                console.print(f"[red bold]The demo stopped:[/] {failure}")
        store_id = story.summary.get("flourish", {}).get("store_id")
        urls["store"] = f"{hub_server.url}/shop/{store_id}" if store_id else f"{hub_server.url}/shop"
        story.summary["ok"] = ok
        story.summary["urls"] = urls
        story.summary["token"] = token
        story.summary["sign_in"] = {"email": DEMO_EMAIL, "password": password}
        if json_out:
            sys.stdout.write(json.dumps(story.summary, indent=2) + "\n")
        else:
            story.step("Done" if ok else "Stopped")
        # Unwrapped, so the addresses and the password can be copied from any terminal width.
        console.print(f"\n[bold]Merchant console:[/] {urls['console']}", soft_wrap=True)
        console.print(f"[bold]Sign in as:[/] {DEMO_EMAIL} / {password}", soft_wrap=True)
        console.print(f"[bold]Online store:[/] {urls['store']}", soft_wrap=True)
        if not once:
            console.print(f"cannasync API: {urls['docs']}  (Authorization: Bearer {token})")
            console.print(f"Flourish sandbox: {urls['flourish']}  (x-api-key: demo-key)")
            console.print(f"Flowhub sandbox: {urls['flowhub']}")
            console.print(f"Alleaves sandbox: {urls['alleaves']}/api/v1  (ALV-1001, demo / demo-pass)\nCtrl-C to stop.")
            try:
                while True:
                    time.sleep(1)
            except KeyboardInterrupt:
                pass
    finally:
        # The API first (no new work), then the workers (runs in flight finish against live vendors), then vendors.
        hub_server.stop()
        workers.stop()
        for server in (flourish_server, flowhub_server, alleaves_server, sms_server, leaflink_server):
            server.stop()
        runtime.close()
    return ok
