"""The demo's shared steps: the story being told, calling the hub, waiting on it, and a sync watched with a
progress bar."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn


class DemoFailed(Exception):
    pass


@dataclass
class Story:
    console: Console
    summary: dict[str, Any] = field(default_factory=lambda: {"steps": []})

    def step(self, title: str) -> None:
        self.console.rule(f"[bold]{title}")
        self.summary["steps"].append(title)

    def say(self, text: str) -> None:
        self.console.print(text)


def money(cents: int | None) -> str:
    return "—" if cents is None else f"${cents / 100:,.2f}"


def wait_for(check: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.2)
    raise DemoFailed(f"timed out waiting for {what}")


def wait_for_push(hub: httpx2.Client, order_id: int, pos: str) -> dict[str, Any]:
    """The order's detail once the POS has it (the outbox pushes it within seconds of the confirmation)."""
    return dict(
        wait_for(lambda: (d := ok(hub.get(f"/api/v1/orders/{order_id}")))["pos_order_id"] and d, f"the {pos} push")
    )


def first_sync(hub: httpx2.Client, integration_id: int) -> dict[str, int]:
    """The counts of the first menu sync. It is scheduled the moment a location is chosen, so it may be that run
    rather than the one the Sync click asked for (which then found nothing new)."""
    runs = ok(hub.get(f"/api/v1/integrations/{integration_id}/runs", params={"flow": "menu_sync"}))
    return dict(runs[-1]["counts"] or {})


def ok(response: httpx2.Response) -> Any:
    if response.status_code >= 400:
        raise DemoFailed(
            f"{response.request.method} {response.request.url.path} → {response.status_code}: {response.text}"
        )
    return response.json()


def sync_with_progress(story: Story, hub: httpx2.Client, integration_id: int, flow: str) -> dict[str, Any]:
    """Run a flow now and watch it to its end: the run that began after this request, so it sees what the story
    changed just before. When a run is already under way (a scheduled one), the hub answers with it and queues one
    follow-up behind it: that one is ours, watched once the first has ended."""
    answer = ok(hub.post(f"/api/v1/integrations/{integration_id}/sync", json={"flow": flow}))
    run = _watch(story, hub, answer["run_id"], flow)
    if answer["already_running"]:
        follow_up = wait_for(lambda: _run_after(hub, integration_id, flow, run["id"]), f"the {flow} run after ours")
        run = _watch(story, hub, follow_up, flow)
    if run["status"] != "succeeded":
        raise DemoFailed(f"{flow} failed: {run['error']}")
    return run


def _run_after(hub: httpx2.Client, integration_id: int, flow: str, run_id: int) -> int | None:
    """The first run of this flow queued after ``run_id`` (the follow-up it let go to), once there is one."""
    runs = ok(hub.get(f"/api/v1/integrations/{integration_id}/runs", params={"flow": flow}))
    later = [row["id"] for row in runs if row["id"] > run_id]
    return min(later) if later else None


def _watch(story: Story, hub: httpx2.Client, run_id: int, flow: str) -> dict[str, Any]:
    with Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(),
        console=story.console,
        transient=False,
    ) as progress:
        task = progress.add_task(f"{flow.replace('_', ' ')} run {run_id}", total=None, detail="queued")
        while True:
            run = ok(hub.get(f"/api/v1/runs/{run_id}"))
            counts = run["counts"] or {}
            detail = f"{run['seen']} records, {run['pages']} pages · " + ", ".join(
                f"{k} {v}" for k, v in counts.items() if v
            )
            progress.update(task, detail=detail)
            if run["status"] in ("succeeded", "failed"):
                progress.update(task, total=1, completed=1)
                return dict(run)
            time.sleep(0.15)


def place_order(hub: httpx2.Client, store_id: int, key: str, order: dict[str, Any]) -> dict[str, Any]:
    """A shopper's checkout through the store's API, with the Idempotency-Key a browser's retry would send again."""
    return dict(ok(hub.post(f"/api/v1/stores/{store_id}/orders", headers={"Idempotency-Key": key}, json=order)))


def delivery_window(*, hours: int) -> dict[str, str]:
    """A one-hour delivery window starting ``hours`` from now."""
    start = datetime.now(UTC) + timedelta(hours=hours)
    return {"window_start": start.isoformat(), "window_end": (start + timedelta(hours=1)).isoformat()}
