"""Incidents and the notifications about them, and where an organization wants to be told.

An incident is told once when it opens, once more if it keeps happening (``REPEATED`` failures), and once when it
clears: a flow failing every two minutes for a night is three messages, not three hundred. Opening is a race-safe
insert on the open key (``store/once.py``), so two workers that fail at once open one incident.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cannasync.store.once import insert_once
from cannasync.store.secrets import SecretBox
from cannasync.store.tables import Incident, Notification, NotificationSettings
from cannasync.store.types import utcnow

#: After this many failures in a row an open incident is told again, once ("still failing").
REPEATED = 3
#: The outbox kind of a notification; its subject is the ``notifications`` row.
NOTIFY = "notify"


@dataclass(frozen=True, slots=True)
class Channels:
    """An organization's notification settings, secrets opened (never return or log this object)."""

    email_to: list[str]
    email_from: str
    smtp_host: str
    smtp_port: int
    smtp_security: str
    smtp_username: str
    smtp_password: str
    webhook_url: str
    webhook_secret: str

    @property
    def email(self) -> bool:
        return bool(self.smtp_host and self.email_to)

    @property
    def webhook(self) -> bool:
        return bool(self.webhook_url)

    def __repr__(self) -> str:
        return f"Channels(email={self.email}, webhook={self.webhook})"


class Incidents:
    def __init__(self, session: Session, box: SecretBox) -> None:
        self.session = session
        self.box = box

    # --- settings ---
    def settings_row(self, organization_id: int) -> NotificationSettings | None:
        return self.session.get(NotificationSettings, organization_id)

    def secrets(self, row: NotificationSettings | None) -> dict[str, Any]:
        return self.box.open(row.secrets) if row is not None and row.secrets else {}

    def save_settings(self, organization_id: int, values: Mapping[str, Any], secrets: Mapping[str, str | None]) -> None:
        """Write the settings; a secret given as None keeps the stored one, "" erases it."""
        insert_once(self.session, NotificationSettings, {"organization_id": organization_id}, ["organization_id"])
        row = self.session.get(NotificationSettings, organization_id, populate_existing=True, with_for_update=True)
        assert row is not None
        for name, value in values.items():
            setattr(row, name, value)
        kept = self.secrets(row)
        for name, secret in secrets.items():
            if secret == "":
                kept.pop(name, None)
            elif secret is not None:
                kept[name] = secret
        row.secrets = self.box.seal(kept) if kept else None
        row.updated_at = utcnow()

    def channels(self, organization_id: int) -> Channels | None:
        row = self.settings_row(organization_id)
        if row is None:
            return None
        secrets = self.secrets(row)
        return Channels(
            email_to=[a.strip() for a in row.email_to.split(",") if a.strip()],
            email_from=row.email_from,
            smtp_host=row.smtp_host,
            smtp_port=row.smtp_port,
            smtp_security=row.smtp_security,
            smtp_username=row.smtp_username,
            smtp_password=str(secrets.get("smtp_password", "")),
            webhook_url=row.webhook_url,
            webhook_secret=str(secrets.get("webhook_secret", "")),
        )

    # --- incidents ---
    def open_incident(self, organization_id: int, key: str) -> Incident | None:
        return self.session.scalar(
            select(Incident)
            .where(Incident.organization_id == organization_id, Incident.open_key == key)
            .with_for_update()
            .execution_options(populate_existing=True)
        )

    def failed(
        self,
        organization_id: int,
        key: str,
        *,
        kind: str,
        title: str,
        detail: str,
        link: str,
        count: int = 1,
        repeat_at: int = REPEATED,
    ) -> tuple[Incident, str | None]:
        """Note a failure: the incident (opened if none is open) and the event to tell, if any.

        ``count`` is how many failures in a row this one makes when the caller knows (a push's attempts); otherwise
        each call adds one. At ``repeat_at`` failures in a row the incident is told once more.
        """
        now = utcnow()
        values = {
            "organization_id": organization_id,
            "key": key,
            "open_key": key,
            "kind": kind,
            "title": title[:300],
            "detail": detail[:2000],
            "link": link[:300],
            "failures": count,
            "opened_at": now,
            "last_seen_at": now,
        }
        if insert_once(self.session, Incident, values, ["organization_id", "open_key"]):
            incident = self.open_incident(organization_id, key)
            assert incident is not None
            return incident, "opened"
        incident = self.open_incident(organization_id, key)
        if incident is None:  # resolved between the insert and the read: open a new one next time
            return self.failed(
                organization_id, key, kind=kind, title=title, detail=detail, link=link, count=count, repeat_at=repeat_at
            )
        incident.failures = max(incident.failures + 1, count)
        incident.detail = detail[:2000]
        incident.last_seen_at = now
        if incident.failures >= repeat_at and incident.escalated_at is None:
            incident.escalated_at = now
            return incident, "repeated"
        return incident, None

    def cleared(self, organization_id: int, key: str) -> Incident | None:
        """Resolve the open incident of this key; the incident, or None when none was open."""
        incident = self.open_incident(organization_id, key)
        if incident is None:
            return None
        incident.open_key = None
        incident.resolved_at = utcnow()
        return incident

    def notification(self, notification_id: int) -> tuple[Notification, Incident] | None:
        row = self.session.get(Notification, notification_id)
        if row is None:
            return None
        incident = self.session.get(Incident, row.incident_id)
        assert incident is not None
        return row, incident

    def add_notification(self, incident_id: int, event: str, channel: str) -> int:
        row = Notification(incident_id=incident_id, event=event, channel=channel)
        self.session.add(row)
        self.session.flush()
        return row.id

    def recent(self, organization_id: int, limit: int = 20) -> list[Incident]:
        return list(
            self.session.scalars(
                select(Incident)
                .where(Incident.organization_id == organization_id)
                .order_by(Incident.id.desc())
                .limit(limit)
            )
        )
