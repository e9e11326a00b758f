"""The API a POS calls at checkout (seed 002's "in-checkout redemption"): which rewards a shopper can redeem, and
reporting a redemption. Authenticated by the loyalty source's own POS credential (HTTP Basic username:key),
so the POS needs nothing new; a redemption is charged once per POS reference, and refused past the balance.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import JSONResponse
from fastapi.security import HTTPBasic, HTTPBasicCredentials

from cannasync.api.deps import Db
from cannasync.api.schemas import RedemptionIn
from cannasync.connectors.registry import LOYALTY_SOURCES, spoken
from cannasync.flows import loyalty

router = APIRouter(prefix="/pos/v1/loyalty", tags=["POS"])
#: The POS that calls: the loyalty sources' vendor, whose username and key it presents.
_POS = spoken(LOYALTY_SOURCES, system=True)
_basic = HTTPBasic(auto_error=False, description=f"The loyalty source's {_POS} username and key")


def source(db: Db, credentials: Annotated[HTTPBasicCredentials | None, Depends(_basic)]) -> tuple[int, int]:
    """(integration id, organization id) of the loyalty source whose credential was presented."""
    if credentials is None:
        raise HTTPException(
            401, f"authenticate with the {_POS} username and key (HTTP Basic)", headers={"WWW-Authenticate": "Basic"}
        )
    with db.uow() as uow:
        row = uow.accounts.integration_for_caller(LOYALTY_SOURCES, f"{credentials.username}:{credentials.password}")
        if row is None or not row.enabled:
            raise HTTPException(
                401, "these credentials are not a connected loyalty source", headers={"WWW-Authenticate": "Basic"}
            )
        return row.id, row.organization_id


Source = Annotated[tuple[int, int], Depends(source)]


@router.get("/customers/{customer_id}/rewards")
def rewards(customer_id: str, db: Db, caller: Source) -> dict[str, Any]:
    integration_id, organization_id = caller
    try:
        return loyalty.redeemable(db, integration_id, organization_id, customer_id)
    except LookupError as error:
        raise HTTPException(404, str(error)) from None


@router.post("/redemptions", status_code=201)
def redeem(body: RedemptionIn, db: Db, caller: Source) -> JSONResponse:
    """Deduct a reward's points. Repeating a reference answers with the first redemption (200), not a second."""
    integration_id, organization_id = caller
    try:
        redemption_id, charged, balance = loyalty.redeem(
            db, integration_id, organization_id, body.customer_id, body.reward_id, body.reference
        )
    except LookupError as error:
        raise HTTPException(404, str(error)) from None
    return JSONResponse(
        {"redemption_id": redemption_id, "charged": charged, "balance": balance},
        status_code=201 if charged else 200,
    )
