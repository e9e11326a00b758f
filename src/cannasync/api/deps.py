"""What routes are handed: the database, the dispatcher, and the organization the bearer token belongs to."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from cannasync.jobs.scheduler import Dispatcher
from cannasync.store.uow import Database

_bearer = HTTPBearer(auto_error=False, description="An organization token from `cannasync token create`")


def database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def dispatcher(request: Request) -> Dispatcher:
    found: Dispatcher = request.app.state.dispatcher
    return found


def organization(
    db: Annotated[Database, Depends(database)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> int:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(
            401,
            "send your organization's token as 'Authorization: Bearer <token>'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    with db.uow() as uow:
        organization_id = uow.accounts.organization_for_token(credentials.credentials)
    if organization_id is None:
        raise HTTPException(401, "this token is not valid", headers={"WWW-Authenticate": "Bearer"})
    return organization_id


#: Who a change made through the API is recorded as, in a record's history (``store/history.py``).
BY_API = "the store (API)"

Db = Annotated[Database, Depends(database)]
Org = Annotated[int, Depends(organization)]
Jobs = Annotated[Dispatcher, Depends(dispatcher)]


def not_found(what: str) -> HTTPException:
    return HTTPException(404, f"{what} not found")
