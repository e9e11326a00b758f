"""Where an organization's operators are told of incidents (a failing flow, a push that keeps failing).

The SMTP password and the webhook secret are write-only: sealed like vendor credentials and never returned, only
whether one is set. Changing the SMTP server needs the password again, so a stored password is never sent to a
host it was not given for.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException

from cannasync.api.deps import Db, Org
from cannasync.api.schemas import NotificationSettingsIn
from cannasync.store.uow import UnitOfWork

router = APIRouter(tags=["notifications"])

_PLAIN = ("email_to", "email_from", "smtp_host", "smtp_port", "smtp_security", "smtp_username", "webhook_url")


def _view(uow: UnitOfWork, org: int) -> dict[str, Any]:
    row = uow.incidents.settings_row(org)
    secrets = uow.incidents.secrets(row)
    view: dict[str, Any] = {
        name: getattr(row, name) if row else NotificationSettingsIn().model_dump()[name] for name in _PLAIN
    }
    view["smtp_password_set"] = bool(secrets.get("smtp_password"))
    view["webhook_secret_set"] = bool(secrets.get("webhook_secret"))
    return view


def password_needed(uow: UnitOfWork, org: int, body: NotificationSettingsIn) -> bool:
    """True when the change would send the stored SMTP password to another server or port without it being typed."""
    row = uow.incidents.settings_row(org)
    had_password = bool(uow.incidents.secrets(row).get("smtp_password"))
    moved = row is not None and (row.smtp_host, row.smtp_port) != (body.smtp_host, body.smtp_port)
    return had_password and moved and body.smtp_password is None


def save(uow: UnitOfWork, org: int, body: NotificationSettingsIn) -> None:
    uow.incidents.save_settings(
        org,
        {name: getattr(body, name) for name in _PLAIN},
        {"smtp_password": body.smtp_password, "webhook_secret": body.webhook_secret},
    )


@router.get("/notification-settings")
def get_settings(db: Db, org: Org) -> dict[str, Any]:
    with db.uow() as uow:
        return _view(uow, org)


@router.put("/notification-settings")
def put_settings(body: NotificationSettingsIn, db: Db, org: Org) -> dict[str, Any]:
    """Replace the settings; returns them as ``GET`` does (secrets only as ``*_set``)."""
    with db.uow() as uow:
        row = uow.incidents.settings_row(org)
        had_password = bool(uow.incidents.secrets(row).get("smtp_password"))
        moved = row is not None and (row.smtp_host, row.smtp_port) != (body.smtp_host, body.smtp_port)
        if had_password and moved and body.smtp_password is None:
            raise HTTPException(
                422, 'smtp_password: changing the SMTP server or port needs the password again (or "" to erase it)'
            )
        uow.incidents.save_settings(
            org,
            {name: getattr(body, name) for name in _PLAIN},
            {"smtp_password": body.smtp_password, "webhook_secret": body.webhook_secret},
        )
    with db.uow() as uow:
        return _view(uow, org)
