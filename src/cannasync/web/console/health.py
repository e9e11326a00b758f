"""Organization > Health: every scheduled flow of every integration, with a red / amber / green state.

Per flow: when it last succeeded, whether its schedule is late (now − next run, when a due run has not been
claimed), its recent runs (status, trigger, start, duration, counts, error). The state rules are deliberately
simple so that a merchant can predict them:

* red: the last run failed, a due run is late by more than two intervals, or nothing succeeded for three intervals;
* amber: the first run has not happened yet, a recent run failed, a due run is late by more than a minute,
  or the last success is older than twice the interval;
* green otherwise; grey when the integration or its schedule is paused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from cannasync.api.deps import Db
from cannasync.store.tables import Integration, Schedule
from cannasync.store.types import utcnow
from cannasync.store.uow import UnitOfWork
from cannasync.web.console.frame import frame
from cannasync.web.console.runviews import RunView, duration, run_view, vendor_title
from cannasync.web.pages import render
from cannasync.web.session import Merchant

router = APIRouter(prefix="/console", include_in_schema=False)

RECENT = 8
#: A schedule a minute late is a busy scheduler, not yet a problem.
GRACE = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class FlowHealth:
    integration_id: int
    place: str  # the store's name, or "Organization" for organization-wide connections
    title: str
    flow: str
    interval_seconds: int
    next_run_at: datetime | None
    running: bool
    last_success: datetime | None
    recent: list[RunView]
    state: str  # ok | warn | bad | paused
    reason: str
    lag_seconds: float

    @property
    def every(self) -> str:
        return duration(self.interval_seconds)

    @property
    def lag(self) -> str:
        return duration(self.lag_seconds)

    @property
    def failures(self) -> int:
        return sum(1 for run in self.recent if run.status == "failed")

    @property
    def last_error(self) -> str | None:
        return next((run.error for run in self.recent if run.error), None)


def _lag(schedule: Schedule, now: datetime, running: bool) -> float:
    """How late a due run is: now − next_run_at, when it is due and no run holds the schedule."""
    if schedule.next_run_at is None or running or schedule.next_run_at > now:
        return 0.0
    return (now - schedule.next_run_at).total_seconds()


def judge(
    *,
    enabled: bool,
    paused: bool,
    interval: timedelta,
    lag: timedelta,
    last_success: datetime | None,
    recent: list[RunView],
    now: datetime,
) -> tuple[str, str]:
    """The row's state and the reason a merchant reads next to it (the rules in the module docstring)."""
    if not enabled:
        return "paused", "Integration disabled"
    if paused:
        return "paused", "Schedule paused (no location chosen)"
    finished = [run for run in recent if not run.unfinished]
    since_success = now - last_success if last_success else None
    if finished and finished[0].status == "failed":
        return "bad", "The last run failed"
    if lag > 2 * interval:
        return "bad", f"Late by {duration(lag.total_seconds())}"
    if finished and (since_success is None or since_success > 3 * interval):
        return "bad", "No success for over three intervals"
    if not finished:
        return "warn", "Waiting for its first run"
    if any(run.status == "failed" for run in finished):
        return "warn", "A recent run failed"
    if lag > GRACE:
        return "warn", f"Late by {duration(lag.total_seconds())}"
    if since_success is not None and since_success > 2 * interval:
        return "warn", "Last success is getting old"
    return "ok", "Healthy"


def _flow_health(uow: UnitOfWork, integration: Integration, schedule: Schedule, now: datetime) -> FlowHealth:
    recent = [run_view(run) for run in uow.runs.recent(integration.id, schedule.flow, RECENT)]
    running = any(run.unfinished for run in recent)
    success = uow.runs.last_succeeded(integration.id, schedule.flow)
    last_success = success.finished_at if success else None
    lag = _lag(schedule, now, running)
    state, reason = judge(
        enabled=integration.enabled,
        paused=schedule.next_run_at is None and not running,
        interval=timedelta(seconds=schedule.interval_seconds),
        lag=timedelta(seconds=lag),
        last_success=last_success,
        recent=recent,
        now=now,
    )
    return FlowHealth(
        integration_id=integration.id,
        place=integration.store.name if integration.store else "Organization",
        title=vendor_title(integration),
        flow=schedule.flow,
        interval_seconds=schedule.interval_seconds,
        next_run_at=schedule.next_run_at,
        running=running,
        last_success=last_success,
        recent=recent,
        state=state,
        reason=reason,
        lag_seconds=lag,
    )


def _grouped(rows: list[FlowHealth]) -> list[tuple[str, str, list[FlowHealth]]]:
    """Rows by integration, each with its place and title, in the order the store read them."""
    groups: dict[int, tuple[str, str, list[FlowHealth]]] = {}
    for row in rows:
        groups.setdefault(row.integration_id, (row.place, row.title, []))[2].append(row)
    return list(groups.values())


@router.get("/health", response_class=HTMLResponse)
def health_page(request: Request, db: Db, viewer: Merchant) -> HTMLResponse:
    context = frame(db, viewer, section="health")
    now = utcnow()
    with db.uow() as uow:
        rows = [
            _flow_health(uow, integration, schedule, now)
            for integration, schedule in uow.runs.organization_schedules(viewer.organization_id)
        ]
        # Orders with a task for staff the hub cannot do (a live POS order to cancel by hand), with their stores.
        tasks = [
            (order.store_id, order.number, order.attention)
            for order in uow.orders.needing_attention(viewer.organization_id)
        ]
    tally = {state: sum(1 for row in rows if row.state == state) for state in ("ok", "warn", "bad", "paused")}
    return render(request, "console/health.html", **context, groups=_grouped(rows), tally=tally, now=now, tasks=tasks)
