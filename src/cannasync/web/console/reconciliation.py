"""Health > Reconciliation: the last reconciliation of each POS connection, its differences, and a button.

A self-contained fragment: the Health page loads it (``GET /console/health/reconciliation``) and the button swaps
it (``POST /console/integrations/{id}/reconcile``), so the page around it can change without touching it. While a
reconciliation is queued or running the fragment polls itself every second until it ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse

from cannasync.api.deps import Db
from cannasync.flows import reconcile
from cannasync.jobs.scheduler import AlreadyRunning
from cannasync.web.console.runviews import RunView, run_view, vendor_title
from cannasync.web.pages import render
from cannasync.web.session import Merchant, MerchantForm

router = APIRouter(prefix="/console", include_in_schema=False)

#: Differences shown per connection (the API lists more: GET /api/v1/integrations/{id}/reconciliation).
SHOWN = 50


@dataclass(frozen=True, slots=True)
class DifferenceView:
    kind: str
    label: str
    ours: dict[str, Any]
    theirs: dict[str, Any]
    explanation: str
    cause: str
    repair: str
    repair_detail: str


@dataclass(frozen=True, slots=True)
class ReconciliationView:
    integration_id: int
    place: str
    title: str
    enabled: bool
    last: RunView | None  # the newest one that ended
    running: RunView | None  # one queued or under way
    differences: list[DifferenceView]

    @property
    def needs_person(self) -> int:
        return sum(1 for d in self.differences if d.repair == "needs_person")


def _views(db: Db, organization_id: int) -> list[ReconciliationView]:
    views = []
    with db.uow() as uow:
        for integration, schedule in uow.runs.organization_schedules(organization_id):
            if schedule.flow != reconcile.FLOW:
                continue
            last = uow.drift.last_run(integration.id)
            active = uow.runs.active(integration.id, reconcile.FLOW)
            rows = uow.drift.differences(last.id, SHOWN) if last else []
            views.append(
                ReconciliationView(
                    integration_id=integration.id,
                    place=integration.store.name if integration.store else "Organization",
                    title=vendor_title(integration),
                    enabled=integration.enabled,
                    last=run_view(last) if last else None,
                    running=run_view(active) if active else None,
                    differences=[
                        DifferenceView(
                            r.kind, r.label, r.ours, r.theirs, r.explanation, r.cause, r.repair, r.repair_detail
                        )
                        for r in rows
                    ],
                )
            )
    return views


def _fragment(request: Request, db: Db, organization_id: int, notice: str | None = None) -> HTMLResponse:
    views = _views(db, organization_id)
    return render(
        request,
        "console/reconciliation.html",
        reconciliations=views,
        polling=any(view.running for view in views),
        notice=notice,
    )


@router.get("/health/reconciliation", response_class=HTMLResponse)
def reconciliation_fragment(request: Request, db: Db, viewer: Merchant) -> HTMLResponse:
    return _fragment(request, db, viewer.organization_id)


@router.post("/integrations/{integration_id}/reconcile", response_class=HTMLResponse)
def reconcile_now(request: Request, integration_id: int, db: Db, viewer: MerchantForm) -> HTMLResponse:
    with db.uow() as uow:
        row = uow.accounts.integration(integration_id, viewer.organization_id)
        if row is None or uow.runs.schedule(integration_id, reconcile.FLOW) is None:
            raise HTTPException(404, "no reconciliation for this connection")
        enabled = row.enabled
    notice = None
    if not enabled:
        notice = "This connection is disabled: enable it on the Integrations screen first."
    else:
        try:
            request.app.state.dispatcher.run_now(integration_id, reconcile.FLOW)
        except AlreadyRunning:
            notice = "A reconciliation was already under way: following it. Another runs as soon as it ends."
        except RuntimeError:  # the process is shutting down
            notice = "The hub is restarting; the reconciliation will run on its schedule."
    return _fragment(request, db, viewer.organization_id, notice)
