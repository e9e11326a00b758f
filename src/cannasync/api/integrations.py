"""Connecting vendors, choosing locations, syncing on demand, and reading what runs did."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query
from fastapi.responses import JSONResponse

from cannasync.api import views
from cannasync.api.deps import Db, Jobs, Org, not_found
from cannasync.api.schemas import IntegrationIn, IntegrationPatch, OrgIntegrationIn, SyncIn
from cannasync.connectors.registry import ORGANIZATION_VENDORS, VENDORS
from cannasync.flows import integrations
from cannasync.jobs.scheduler import AlreadyRunning
from cannasync.store.tables import Schedule
from cannasync.store.uow import Database

router = APIRouter(tags=["integrations"])


def vendor_flows(db: Database, integration_id: int, org: int) -> tuple[str, ...]:
    with db.uow() as uow:
        row = uow.accounts.integration(integration_id, org)
        if row is None:
            raise not_found("integration")
        return VENDORS[row.vendor].scheduled_flows


def _location(location: Any) -> dict[str, str]:
    return {"id": location.id, "name": location.name, "detail": location.detail}


def _saved(db: Database, integration_id: int, locations: list[Any]) -> dict[str, Any]:
    """A saved integration as the API shows it, with the locations its credentials can see."""
    with db.uow() as uow:
        row = uow.accounts.integration(integration_id)
        assert row is not None
        return {**views.integration(row, uow.runs.schedules(row.id)), "locations": [_location(x) for x in locations]}


@router.get("/vendors")
def list_vendors(org: Org) -> list[dict[str, Any]]:
    del org
    return [
        {
            "name": spec.name,
            "title": spec.title,
            "scope": spec.scope,
            "credentials": list(spec.credentials.model_fields),
            "settings": {
                name: {
                    "description": field.description,
                    "required": field.is_required(),
                    "default": None if field.is_required() else field.get_default(call_default_factory=True),
                    "warning": spec.warning(spec.settings, name),
                }
                for name, field in spec.settings.model_fields.items()
            },
            "caution": spec.caution,
        }
        for spec in VENDORS.values()
    ]


@router.put("/stores/{store_id}/integrations/{vendor}")
def save_integration(store_id: int, vendor: str, body: IntegrationIn, db: Db, org: Org) -> dict[str, Any]:
    """Connect (or reconfigure) a vendor. The credentials are checked against the vendor before anything is saved;
    nothing syncs until a location (the vendor's ``choice`` setting, e.g. a facility) is chosen."""
    pos = sorted(name for name, spec in VENDORS.items() if spec.scope == "store")
    if vendor not in pos:
        raise HTTPException(404, f"unknown POS vendor {vendor!r}; known: {', '.join(pos)}")
    with db.uow() as uow:
        if uow.accounts.store(store_id, org) is None:
            raise not_found("store")
    integration_id, locations = integrations.save(
        db,
        vendor,
        organization_id=org,
        store_id=store_id,
        credentials=body.credentials,
        settings=body.settings,
        enabled=body.enabled,
    )
    return _saved(db, integration_id, locations)


@router.post("/integrations", status_code=201)
def add_organization_integration(body: OrgIntegrationIn, db: Db, org: Org) -> dict[str, Any]:
    """Connect an organization-wide vendor (a loyalty source: each credential is one; an SMS gateway).
    The credentials are checked against the vendor before anything is saved."""
    if body.vendor not in ORGANIZATION_VENDORS:
        shared = ", ".join(ORGANIZATION_VENDORS)
        raise HTTPException(422, f"vendor: {body.vendor!r} is not an organization-wide vendor ({shared})")
    integration_id, locations = integrations.save(
        db,
        body.vendor,
        organization_id=org,
        name=body.name,
        credentials=body.credentials,
        settings=body.settings,
        enabled=body.enabled,
    )
    return _saved(db, integration_id, locations)


@router.patch("/integrations/{integration_id}")
def update_integration(integration_id: int, body: IntegrationPatch, db: Db, org: Org) -> dict[str, Any]:
    """Change settings (and, optionally, credentials) of any integration; checked against the vendor again."""
    with db.uow() as uow:
        row = uow.accounts.integration(integration_id, org)
        if row is None:
            raise not_found("integration")
        vendor, store_id, enabled = row.vendor, row.store_id, row.enabled
    saved_id, locations = integrations.save(
        db,
        vendor,
        organization_id=org,
        store_id=store_id,
        integration_id=integration_id if store_id is None else None,
        credentials=body.credentials,
        settings=body.settings,
        enabled=enabled if body.enabled is None else body.enabled,
    )
    return _saved(db, saved_id, locations)


@router.post("/integrations/{integration_id}/disconnect")
def disconnect_integration(integration_id: int, db: Db, org: Org) -> dict[str, Any]:
    """Erase the credentials and stop every sync, keeping the history (runs, products, orders, personas) and the
    settings. Its inbound address stops answering. Connect again with a PUT (a store's POS) or PATCH, credentials
    included."""
    if not integrations.disconnect(db, org, integration_id):
        raise not_found("integration")
    return get_integration(integration_id, db, org)


@router.get("/integrations")
def list_organization_integrations(db: Db, org: Org, vendor: str | None = None) -> list[dict[str, Any]]:
    with db.uow() as uow:
        names = [vendor] if vendor else ORGANIZATION_VENDORS
        rows = [row for name in names for row in uow.accounts.organization_integrations(org, name)]
        return [views.integration(row, uow.runs.schedules(row.id)) for row in rows]


@router.get("/stores/{store_id}/integrations")
def list_integrations(store_id: int, db: Db, org: Org) -> list[dict[str, Any]]:
    with db.uow() as uow:
        if uow.accounts.store(store_id, org) is None:
            raise not_found("store")
        return [views.integration(row, uow.runs.schedules(row.id)) for row in uow.accounts.integrations(store_id)]


@router.get("/integrations/{integration_id}")
def get_integration(integration_id: int, db: Db, org: Org) -> dict[str, Any]:
    with db.uow() as uow:
        row = uow.accounts.integration(integration_id, org)
        if row is None:
            raise not_found("integration")
        return views.integration(row, uow.runs.schedules(row.id))


@router.get("/integrations/{integration_id}/locations")
def list_locations(integration_id: int, db: Db, org: Org) -> list[dict[str, str]]:
    """The facilities (locations) the saved credentials can see, asked of the vendor now."""
    with db.uow() as uow:
        row = uow.accounts.integration(integration_id, org)
        if row is None:
            raise not_found("integration")
        config = uow.accounts.config(row)
    return [_location(x) for x in integrations.check(config.vendor, config.credentials, config.settings)]


@router.post("/integrations/{integration_id}/sync", status_code=202)
def sync_now(integration_id: int, db: Db, org: Org, jobs: Jobs, body: SyncIn | None = None) -> JSONResponse:
    """Run a flow now. If one is already running, answers with that run instead of starting another."""
    flow = (body or SyncIn()).flow
    if flow not in vendor_flows(db, integration_id, org):
        raise HTTPException(409, f"this integration has no {flow} flow")
    with db.uow() as uow:
        row = uow.accounts.integration(integration_id, org)
        if row is None:
            raise not_found("integration")
        if not row.enabled:
            raise HTTPException(409, "this integration is disabled: enable it first")
        if uow.runs.schedule(integration_id, flow) is None:
            raise HTTPException(409, "choose a location (facility) before syncing")
    try:
        run_id = jobs.run_now(integration_id, flow)
    except AlreadyRunning as running:
        # The running run answers; one follow-up run is queued behind it (several requests still make one).
        return JSONResponse(
            {"run_id": running.run_id, "already_running": True, "follow_up_queued": True}, status_code=202
        )
    return JSONResponse({"run_id": run_id, "already_running": False, "follow_up_queued": False}, status_code=202)


@router.post("/integrations/{integration_id}/reconcile", status_code=202)
def reconcile_now(integration_id: int, db: Db, org: Org, jobs: Jobs) -> JSONResponse:
    """Compare a store's POS with the hub now, reading the POS only: each difference is explained and, where it is
    safe, repaired (``GET /integrations/{id}/reconciliation`` shows the report). Same answer as ``/sync``."""
    return sync_now(integration_id, db, org, jobs, SyncIn(flow="reconcile"))


@router.get("/integrations/{integration_id}/reconciliation")
def last_reconciliation(
    integration_id: int, db: Db, org: Org, limit: int = Query(500, ge=1, le=5000)
) -> dict[str, Any]:
    """The newest reconciliation that ended and the differences it found (at most ``limit``): each with its kind,
    both sides' values, since when ours has been so, the likely cause, and the repair made or needed."""
    with db.uow() as uow:
        if uow.accounts.integration(integration_id, org) is None:
            raise not_found("integration")
        last = uow.drift.last_run(integration_id)
        rows = uow.drift.differences(last.id, limit) if last else []
        return views.reconciliation(last, rows)


#: A flow's name as the path names it ("menu_sync").
FlowName = Annotated[str, Path(pattern=r"^[a-z_]{1,40}$", description="The flow, e.g. menu_sync")]


def _schedule_view(schedule: Schedule) -> dict[str, Any]:
    return {
        "flow": schedule.flow,
        "paused": schedule.paused_at is not None,
        "paused_at": schedule.paused_at.isoformat() if schedule.paused_at else None,
        "interval_seconds": schedule.interval_seconds,
        "next_run_at": schedule.next_run_at.isoformat() if schedule.next_run_at else None,
    }


def _set_paused(db: Db, org: int, integration_id: int, flow: str, paused: bool) -> dict[str, Any]:
    with db.uow() as uow:
        if uow.accounts.integration(integration_id, org) is None:
            raise not_found("integration")
        schedule = uow.runs.set_paused(integration_id, flow, paused)
        if schedule is None:
            raise not_found(f"a scheduled {flow} flow of this integration")
        return _schedule_view(schedule)


@router.post("/integrations/{integration_id}/flows/{flow}/pause")
def pause_flow(integration_id: int, flow: FlowName, db: Db, org: Org) -> dict[str, Any]:
    """Stop scheduled runs of one flow until it is resumed (a run under way finishes; Sync now still runs one)."""
    return _set_paused(db, org, integration_id, flow, True)


@router.post("/integrations/{integration_id}/flows/{flow}/resume")
def resume_flow(integration_id: int, flow: FlowName, db: Db, org: Org) -> dict[str, Any]:
    """Schedule the flow again; if its slot passed while paused, it runs at the next tick."""
    return _set_paused(db, org, integration_id, flow, False)


@router.get("/integrations/{integration_id}/runs")
def list_runs(
    integration_id: int, db: Db, org: Org, flow: str | None = None, limit: int = Query(20, ge=1, le=200)
) -> list[dict[str, Any]]:
    with db.uow() as uow:
        if uow.accounts.integration(integration_id, org) is None:
            raise not_found("integration")
        return [views.run(run) for run in uow.runs.recent(integration_id, flow, limit)]


@router.get("/runs/{run_id}")
def get_run(run_id: int, db: Db, org: Org) -> dict[str, Any]:
    with db.uow() as uow:
        run = uow.runs.get(run_id)
        if run is None or uow.accounts.integration(run.integration_id, org) is None:
            raise not_found("run")
        # The vendor calls it made: method, path (never the query or the host), status and milliseconds.
        return {**views.run(run), "calls": run.calls or {"total": 0, "failed": 0, "kept": 0, "calls": []}}


@router.get("/integrations/{integration_id}/quarantine")
def list_quarantine(integration_id: int, db: Db, org: Org) -> list[dict[str, Any]]:
    """Vendor records that could not be mapped, with the reason, until a later sync reads them cleanly."""
    with db.uow() as uow:
        if uow.accounts.integration(integration_id, org) is None:
            raise not_found("integration")
        return [views.quarantined(row) for row in uow.runs.quarantined(integration_id)]
