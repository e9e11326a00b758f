"""Organizations, their API tokens, stores, and integrations with their encrypted credentials."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cannasync.store.once import get_or_create
from cannasync.store.secrets import SecretBox
from cannasync.store.tables import ApiToken, Integration, Organization, Store
from cannasync.store.types import utcnow

_PUSH_NOTED_EVERY = timedelta(minutes=1)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class IntegrationConfig:
    """An integration as a flow needs it, credentials decrypted (never log or return this object)."""

    id: int
    organization_id: int
    store_id: int | None
    vendor: str
    enabled: bool
    credentials: dict[str, Any]
    settings: dict[str, Any]
    webhook_token: str | None = None

    def __repr__(self) -> str:  # keep credentials out of tracebacks and logs
        return f"IntegrationConfig(id={self.id}, store_id={self.store_id}, vendor={self.vendor!r})"


class Accounts:
    def __init__(self, session: Session, box: SecretBox) -> None:
        self.session = session
        self.box = box

    # organizations and tokens
    def organization_named(self, name: str) -> Organization:
        org, _ = get_or_create(self.session, Organization, {"name": name})
        return org

    def issue_token(self, organization_id: int, name: str) -> str:
        token = "cs_" + secrets.token_urlsafe(32)
        self.session.add(ApiToken(organization_id=organization_id, name=name, digest=token_digest(token)))
        self.session.flush()
        return token

    def organization_for_token(self, token: str) -> int | None:
        return self.session.scalar(select(ApiToken.organization_id).where(ApiToken.digest == token_digest(token)))

    # stores
    def add_store(self, organization_id: int, name: str, **fields: Any) -> Store:
        store = Store(organization_id=organization_id, name=name, **fields)
        self.session.add(store)
        self.session.flush()
        return store

    def store(self, store_id: int, organization_id: int | None = None) -> Store | None:
        store = self.session.get(Store, store_id)
        if store is None or (organization_id is not None and store.organization_id != organization_id):
            return None
        return store

    def stores(self, organization_id: int) -> list[Store]:
        return list(self.session.scalars(select(Store).where(Store.organization_id == organization_id)))

    # integrations
    def integration(self, integration_id: int, organization_id: int | None = None) -> Integration | None:
        integration = self.session.get(Integration, integration_id)
        if integration is None:
            return None
        if organization_id is not None and integration.organization_id != organization_id:
            return None
        return integration

    def note_credential(
        self, integration_id: int, problem: str | None, note: str | None = None, until: datetime | None = None
    ) -> None:
        """What the vendor last said of the credential ("refused", "paused" until ``until``), or None: it works."""
        row = self.session.get(Integration, integration_id)
        if row is None or (row.credential_problem is None and problem is None):
            return
        row.credential_problem = problem
        row.credential_note = None if note is None else note[:500]
        row.credential_until = until
        row.credential_noted_at = utcnow() if problem else None

    def note_status_push(self, integration_id: int, now: datetime | None = None) -> None:
        """The vendor pushed us an order status (a verified webhook or postback): it is set up to.

        Written at most once a minute (a busy store's webhooks would otherwise write the row each time), and
        leaving ``updated_at`` alone: a push is not a change of the connection.
        """
        now = now or utcnow()
        self.session.execute(
            update(Integration)
            .where(
                Integration.id == integration_id,
                Integration.status_pushed_at.is_(None) | (Integration.status_pushed_at < now - _PUSH_NOTED_EVERY),
            )
            .values(status_pushed_at=now, updated_at=Integration.updated_at)
        )

    def integration_for(self, store_id: int, vendor: str) -> Integration | None:
        return self.session.scalar(
            select(Integration).where(Integration.store_id == store_id, Integration.vendor == vendor)
        )

    def integrations(self, store_id: int) -> list[Integration]:
        return list(self.session.scalars(select(Integration).where(Integration.store_id == store_id)))

    def organization_integrations(self, organization_id: int, vendors: str | Collection[str]) -> list[Integration]:
        """Organization-wide connections of a vendor, or of any of several (every loyalty source, every SMS
        gateway), oldest first."""
        names = (vendors,) if isinstance(vendors, str) else tuple(vendors)
        return list(
            self.session.scalars(
                select(Integration)
                .where(Integration.organization_id == organization_id, Integration.vendor.in_(names))
                .order_by(Integration.id)
            )
        )

    def integration_for_caller(self, vendors: Collection[str], identity: str) -> Integration | None:
        """The integration of one of these vendors whose credential a caller presented (a POS asking for rewards)."""
        return self.session.scalar(
            select(Integration).where(
                Integration.vendor.in_(tuple(vendors)), Integration.credential_digest == token_digest(identity)
            )
        )

    def save_integration(
        self,
        organization_id: int,
        vendor: str,
        *,
        store_id: int | None,
        existing: Integration | None,
        credentials: dict[str, Any] | None,
        settings: dict[str, Any],
        enabled: bool,
        name: str = "",
        caller_identity: str | None = None,
    ) -> Integration:
        """Create or update; ``credentials`` None keeps the stored ones (they are write-only)."""
        integration = existing
        if integration is None:
            if credentials is None:
                raise ValueError("credentials are required to connect")
            integration = self._new_integration(organization_id, store_id, vendor)
        if credentials is not None:
            integration.credentials = self.box.seal(credentials)
            integration.credential_digest = token_digest(caller_identity) if caller_identity else None
            integration.last_check = None  # it was about the credentials replaced
        if integration.webhook_token is None:
            integration.webhook_token = secrets.token_urlsafe(32)
        integration.name = name or integration.name
        integration.settings = dict(settings)
        integration.enabled = enabled
        self.session.flush()
        return integration

    def _new_integration(self, organization_id: int, store_id: int | None, vendor: str) -> Integration:
        """A store's connection to a vendor is one row (store × vendor): two saves at once (a double click on
        Connect) both find none, so the row is got-or-created and the later save updates the first one's row.
        An organization-wide one (no store) is always new: an organization may have several."""
        if store_id is None:
            integration = Integration(organization_id=organization_id, vendor=vendor, credentials=b"")
            self.session.add(integration)
            return integration
        integration, _ = get_or_create(
            self.session,
            Integration,
            {"store_id": store_id, "vendor": vendor},
            {"organization_id": organization_id, "credentials": b"", "settings": {}, "sync_state": {}},
        )
        return integration

    def erase_credentials(self, integration: Integration) -> None:
        """Disconnect: the credentials (and the digest a vendor was recognised by) are gone, the inbound address
        stops answering, and the integration is off; its row, settings and everything it synced stay."""
        integration.credentials = b""
        integration.credential_digest = None
        integration.webhook_token = None
        integration.enabled = False
        integration.last_check = None
        self.session.flush()

    def keep_check(self, integration_id: int, report: dict[str, Any]) -> None:
        """Keep an account check's report on the connection; not a change of its configuration (``updated_at``
        stays)."""
        self.session.execute(
            update(Integration)
            .where(Integration.id == integration_id)
            .values(last_check=report, updated_at=Integration.updated_at)
        )

    def config(self, integration: Integration) -> IntegrationConfig:
        """Decrypted; a disconnected integration (credentials erased) has none."""
        return IntegrationConfig(
            id=integration.id,
            organization_id=integration.organization_id,
            store_id=integration.store_id,
            vendor=integration.vendor,
            enabled=integration.enabled,
            credentials=self.box.open(integration.credentials) if integration.credentials else {},
            settings=dict(integration.settings),
            webhook_token=integration.webhook_token,
        )
