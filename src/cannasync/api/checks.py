"""The read-only account check over the API: what ``cannasync doctor`` and the console's "Check this account" do,
on a saved connection, with its stored credentials (which never leave the server).

``POST`` checks now and keeps the report on the connection; ``GET`` answers the report kept (the console shows the
same one). Only reads reach the vendor (``flows/doctor.py`` refuses a write before it is sent), and the report
carries no credential value, so it can be forwarded to support as it is.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException

from cannasync.api.deps import Db, Org, not_found
from cannasync.api.schemas import AccountCheckOut
from cannasync.flows import doctor, integrations

router = APIRouter(tags=["integrations"])


def _answer(report: doctor.Report) -> dict[str, Any]:
    return {**report.as_dict(), "text": report.text()}


@router.post("/integrations/{integration_id}/check", response_model=AccountCheckOut)
def check_account(integration_id: int, db: Db, org: Org) -> dict[str, Any]:
    """Check the connection's vendor account with reads only: credentials accepted, locations (facilities,
    areas) visible, one page of the menu mapped as a sync maps it with every quarantine reason, the vendor's own
    checks (a POS's online-order grant, a marketplace's pages, a loyalty source's customers and sales), the
    rate-limit headers seen, and every call made. A vendor that refuses or cannot be reached is a finding
    (``usable: false``), not an error. 409 when the connection is disconnected or its saved settings no longer
    pass (the detail names what to fix)."""
    try:
        report = doctor.check_integration(db, org, integration_id)
    except doctor.NotCheckable as error:
        raise HTTPException(409, f"not checked: {error}") from None
    except integrations.InvalidSettings as error:  # saved before a rule was added: the detail names the field
        raise HTTPException(409, f"not checked: the saved settings need fixing: {error}") from None
    if report is None:
        raise not_found("integration")
    return _answer(report)


@router.get("/integrations/{integration_id}/check", response_model=AccountCheckOut)
def last_account_check(integration_id: int, db: Db, org: Org) -> dict[str, Any]:
    """The last account check of this connection (by the API or the console's button), as it was then. 404 when
    there is none: never checked, or its credentials were replaced or erased since."""
    with db.uow() as uow:
        row = uow.accounts.integration(integration_id, org)
        if row is None:
            raise not_found("integration")
        report = doctor.last_check(row.last_check)
    if report is None:
        raise not_found("an account check of this integration")
    return _answer(report)
