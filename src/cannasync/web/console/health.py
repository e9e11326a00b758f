"""Organization > Health: every kind of problem (``health_sections``), then every scheduled flow of every
integration with a red / amber / green state, problems first. Each run opens its detail (``/console/runs/{id}``),
each flow has Sync now and Pause / Resume.

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
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from cannasync.api import notifications
from cannasync.api.deps import Db
from cannasync.api.integrations import FlowName
from cannasync.api.schemas import NotificationSettingsIn
from cannasync.jobs.scheduler import AlreadyRunning
from cannasync.store.tables import Integration, Schedule
from cannasync.store.types import utcnow
from cannasync.store.uow import UnitOfWork
from cannasync.web.console import health_sections
from cannasync.web.console.frame import frame
from cannasync.web.console.runviews import RunView, duration, run_view, vendor_title
from cannasync.web.pages import PostedForm, page_zone, render
from cannasync.web.session import Merchant, MerchantForm

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
    operator_paused: bool = False

    @property
    def anchor(self) -> str:
        return f"flow-{self.integration_id}-{self.flow}"

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
    operator_paused: bool = False,
) -> tuple[str, str]:
    """The row's state and the reason a merchant reads next to it (the rules in the module docstring)."""
    if not enabled:
        return "paused", "Integration disabled"
    if operator_paused:
        return "paused", "Paused (Resume to run it on schedule again)"
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
    operator_paused = schedule.paused_at is not None
    lag = 0.0 if operator_paused else _lag(schedule, now, running)
    state, reason = judge(
        enabled=integration.enabled,
        paused=schedule.next_run_at is None and not running,
        interval=timedelta(seconds=schedule.interval_seconds),
        lag=timedelta(seconds=lag),
        last_success=last_success,
        recent=recent,
        now=now,
        operator_paused=operator_paused,
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
        operator_paused=operator_paused,
    )


#: How a state sorts: problems first.
SEVERITY = {"bad": 0, "warn": 1, "paused": 2, "ok": 3}


def _grouped(rows: list[FlowHealth]) -> list[tuple[str, str, list[FlowHealth]]]:
    """Rows by integration, each with its place and title; the groups and the rows in them worst first."""
    groups: dict[int, tuple[str, str, list[FlowHealth]]] = {}
    for row in rows:
        groups.setdefault(row.integration_id, (row.place, row.title, []))[2].append(row)
    ordered = []
    for place, title, members in groups.values():
        members.sort(key=lambda row: SEVERITY.get(row.state, 3))
        ordered.append((place, title, members))
    ordered.sort(key=lambda group: SEVERITY.get(group[2][0].state, 3))
    return ordered


#: What a Sync now or Pause on the page says after it (fixed words: nothing from the address is echoed).
NOTICES = {
    "sync-started": ("A run was started: it shows below in a moment.", "info"),
    "sync-following": ("A run was already under way: another one follows it.", "info"),
    "sync-refused": ("This flow cannot run now: enable the connection and choose its location first.", "warn"),
    "paused": ("Paused: no scheduled run starts until you resume it.", "info"),
    "resumed": ("Resumed: it runs on its schedule again.", "info"),
    "notifications-saved": ("Notification settings saved.", "info"),
}

#: The notification form's fields and their labels (an error names the label, not the field's key).
NOTIFY_LABELS = {
    "email_to": "Send e-mails to",
    "email_from": "From address",
    "smtp_host": "SMTP server",
    "smtp_port": "SMTP port",
    "smtp_security": "Security",
    "smtp_username": "SMTP user name",
    "smtp_password": "SMTP password",
    "webhook_url": "Webhook address",
    "webhook_secret": "Webhook signing secret",
}


def _notification_form(uow: UnitOfWork, organization_id: int) -> dict[str, Any]:
    row = uow.incidents.settings_row(organization_id)
    secrets = uow.incidents.secrets(row)
    defaults = NotificationSettingsIn().model_dump()
    plain = [name for name in NOTIFY_LABELS if not name.endswith(("password", "secret"))]
    values = {name: getattr(row, name) if row else defaults[name] for name in plain}
    values["smtp_password_set"] = bool(secrets.get("smtp_password"))
    values["webhook_secret_set"] = bool(secrets.get("webhook_secret"))
    return values


@router.get("/health", response_class=HTMLResponse)
def health_page(request: Request, db: Db, viewer: Merchant, notice: str = "") -> HTMLResponse:
    return _health(request, db, viewer, notice)


def _health(
    request: Request,
    db: Db,
    viewer: Any,
    notice: str = "",
    *,
    typed: dict[str, Any] | None = None,
    form_errors: list[str] | None = None,
) -> HTMLResponse:
    context = frame(db, viewer, section="health")
    now = utcnow()
    with db.uow() as uow:
        rows = [
            _flow_health(uow, integration, schedule, now)
            for integration, schedule in uow.runs.organization_schedules(viewer.organization_id)
        ]
        sections = health_sections.build(uow, viewer.organization_id, now)
        notifications = _notification_form(uow, viewer.organization_id)
        incidents = [
            {"title": i.title, "opened_at": i.opened_at, "resolved_at": i.resolved_at, "failures": i.failures}
            for i in uow.incidents.recent(viewer.organization_id, 10)
        ]
    tally = {state: sum(1 for row in rows if row.state == state) for state in ("ok", "warn", "bad", "paused")}
    problems = sorted((s for s in sections if s.count), key=lambda s: SEVERITY.get(s.state, 3))
    clear = [s for s in sections if not s.count]
    message, kind = NOTICES.get(notice, (None, "info"))
    if typed:  # a form that did not save shows what was typed (never a secret)
        notifications.update({k: v for k, v in typed.items() if not k.endswith(("password", "secret"))})
    return render(
        request,
        "console/health.html",
        status_code=422 if form_errors else 200,
        **context,
        groups=_grouped(rows),
        tally=tally,
        now=now,
        sections=sections,
        problems=problems,
        clear=clear,
        notice=message,
        notice_kind=kind,
        notifications=notifications,
        incidents=incidents,
        labels=NOTIFY_LABELS,
        form_errors=form_errors or [],
    )


@router.post("/health/notifications", response_model=None)
def save_notifications(
    request: Request, form: PostedForm, db: Db, viewer: MerchantForm
) -> RedirectResponse | HTMLResponse:
    """The notification settings form; blank secrets keep the stored ones (the API's "" erases one)."""
    raw: dict[str, Any] = {name: str(form.get(name, "") or "").strip() for name in NOTIFY_LABELS}
    for secret in ("smtp_password", "webhook_secret"):
        raw[secret] = raw[secret] or None
    port = raw.pop("smtp_port")
    raw["smtp_port"] = int(port) if port.isdigit() and len(port) <= 5 else port
    errors: list[str] = []
    try:
        body = NotificationSettingsIn.model_validate(raw)
    except ValidationError as invalid:
        for problem in invalid.errors():
            name = str(problem["loc"][0]) if problem["loc"] else ""
            errors.append(f"{NOTIFY_LABELS.get(name, name)}: {problem['msg'].removeprefix('Value error, ')}")
    else:
        with db.uow() as uow:
            if notifications.password_needed(uow, viewer.organization_id, body):
                errors.append(f"{NOTIFY_LABELS['smtp_password']}: type it again to use it with another server")
            else:
                notifications.save(uow, viewer.organization_id, body)
    if not errors:
        return RedirectResponse("/console/health?notice=notifications-saved#notifications", status_code=303)
    return _health(request, db, viewer, typed=raw, form_errors=errors)


def _owned_schedule(db: Db, viewer: Any, integration_id: int, flow: str) -> None:
    with db.uow() as uow:
        if uow.accounts.integration(integration_id, viewer.organization_id) is None:
            raise HTTPException(404, "integration not found")
        if uow.runs.schedule(integration_id, flow) is None:
            raise HTTPException(404, "this integration has no such scheduled flow")


def _back(notice: str, integration_id: int, flow: str) -> RedirectResponse:
    return RedirectResponse(f"/console/health?notice={notice}#flow-{integration_id}-{flow}", status_code=303)


@router.post("/integrations/{integration_id}/flows/{flow}/sync")
def sync_flow(request: Request, integration_id: int, flow: FlowName, db: Db, viewer: MerchantForm) -> RedirectResponse:
    _owned_schedule(db, viewer, integration_id, flow)
    with db.uow() as uow:
        row = uow.accounts.integration(integration_id)
        schedule = uow.runs.schedule(integration_id, flow)
        runnable = row is not None and row.enabled and schedule is not None and schedule.next_run_at is not None
    if not runnable:
        return _back("sync-refused", integration_id, flow)
    try:
        request.app.state.dispatcher.run_now(integration_id, flow)
    except AlreadyRunning:
        return _back("sync-following", integration_id, flow)
    return _back("sync-started", integration_id, flow)


@router.post("/integrations/{integration_id}/flows/{flow}/pause")
def pause_flow(integration_id: int, flow: FlowName, db: Db, viewer: MerchantForm) -> RedirectResponse:
    _owned_schedule(db, viewer, integration_id, flow)
    with db.uow() as uow:
        uow.runs.set_paused(integration_id, flow, True)
    return _back("paused", integration_id, flow)


@router.post("/integrations/{integration_id}/flows/{flow}/resume")
def resume_flow(integration_id: int, flow: FlowName, db: Db, viewer: MerchantForm) -> RedirectResponse:
    _owned_schedule(db, viewer, integration_id, flow)
    with db.uow() as uow:
        uow.runs.set_paused(integration_id, flow, False)
    return _back("resumed", integration_id, flow)


@router.get("/runs/{run_id}", response_class=HTMLResponse)
def run_detail(request: Request, run_id: int, db: Db, viewer: Merchant) -> HTMLResponse:
    """One run: what it read and wrote, its error, and the vendor calls it made (status and time)."""
    context = frame(db, viewer, section="health")
    with db.uow() as uow:
        row = uow.runs.get(run_id)
        integration = uow.accounts.integration(row.integration_id, viewer.organization_id) if row else None
        if row is None or integration is None:
            raise HTTPException(404, "run not found")
        run = run_view(row)
        calls = dict(row.calls or {})
        title = vendor_title(integration)
        place = integration.store.name if integration.store else "Organization"
        # Times in the zone of the store the run was for (an organization's run: the console's own store's).
        zone = integration.store.timezone if integration.store else None
        complete = row.complete_read
    return render(
        request,
        "console/run_detail.html",
        **context,
        run=run,
        calls=calls,
        title=title,
        place=place,
        complete_read=complete,
        tz=zone or page_zone(context),
    )
