"""What an Integrations card shows: its state, its fields in their sections (credentials, settings, the collapsed
"Advanced"), the inbound address, and, after a refused save, what was typed and which field was wrong."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import FormData

from cannasync.connectors.base import Location
from cannasync.connectors.registry import VENDORS, VendorSpec
from cannasync.flows import doctor
from cannasync.flows.integrations import Problem
from cannasync.store.tables import Integration
from cannasync.store.uow import UnitOfWork
from cannasync.web.console.forms import FieldView, describe, typed_credentials

#: A setting that names another of the organization's integrations ends so; what comes before is its vendor.
CONNECTION_SUFFIX = "_integration_id"

#: Where the inbound address's path goes: the vendor, the integration and its secret token (api/hooks.py).
HOOK_PATH = "/hooks/{vendor}/{integration_id}/{token}"


@dataclass
class Card:
    spec: VendorSpec
    integration: Integration | None
    credentials: list[FieldView]
    settings: list[FieldView]
    store_id: int | None = None
    locations: list[Location] | None = None
    notice: str | None = None
    notice_kind: str = "ok"
    #: The name and the enabled switch as drawn: the saved ones, or what was typed into a refused save.
    name: str = ""
    enabled: bool = True
    #: The whole address the vendor must call (webhooks, replies), with its secret; None if it calls nothing.
    inbound_url: str | None = None
    #: The location choice (a facility, a location, areas) as typed into a refused save, and what was wrong.
    chosen: list[str] | None = None
    choice_error: str | None = None
    open_sections: set[str] = field(default_factory=set)

    @property
    def connected(self) -> bool:
        """Saved credentials exist: a disconnected integration keeps its row and history, not its credentials."""
        return self.integration is not None and bool(self.integration.credentials)

    @property
    def last_check(self) -> doctor.Report | None:
        """The connection's last account check (kept on it, so a reload still shows it)."""
        return doctor.last_check(self.integration.last_check) if self.integration is not None else None

    @property
    def state(self) -> tuple[str, str]:
        """A badge: what a merchant most needs to know about this connection at a glance."""
        row = self.integration
        if row is None:
            return "Not connected", ""
        if not self.connected:
            return "Disconnected", ""
        if not row.enabled:
            return "Disabled", "warn"
        if self.spec.choice and not row.settings.get(self.spec.choice):
            return f"Choose a {self.choice_label.lower()}", "warn"
        return "Connected", "ok"

    @property
    def choice_label(self) -> str:
        return {"facility_id": "Facility", "location_id": "Location", "area_ids": "Areas"}.get(
            self.spec.choice or "", "Location"
        )

    @property
    def choice_noun(self) -> str:
        """The choice in a sentence, with its plural as a person writes it (never "areass")."""
        return {"facility_id": "facility", "location_id": "location", "area_ids": "areas"}.get(
            self.spec.choice or "", "location"
        )

    @property
    def choice_nouns(self) -> str:
        return {"facility": "facilities", "areas": "areas"}.get(self.choice_noun, self.choice_noun + "s")

    @property
    def dom_id(self) -> str:
        return f"card-{self.spec.name}-{self.integration.id if self.integration else 'new'}"

    @property
    def action(self) -> str:
        if self.integration is not None:
            return f"/console/integrations/{self.integration.id}"
        if self.store_id is not None:
            return f"/console/stores/{self.store_id}/integrations/{self.spec.name}"
        return f"/console/integrations/new/{self.spec.name}"

    @property
    def main_settings(self) -> list[FieldView]:
        return [f for f in self.settings if f.section != "advanced"]

    @property
    def advanced_settings(self) -> list[FieldView]:
        return [f for f in self.settings if f.section == "advanced"]

    @property
    def choice_query(self) -> str:
        """The lazy location picker's query: a refused save's choice is drawn as it was typed."""
        if self.chosen is None:
            return ""
        return "?" + urlencode([("chosen", value) for value in self.chosen or [""]])


def connections(uow: UnitOfWork, organization_id: int, vendor: str) -> list[tuple[str, str]]:
    """The organization's integrations of ``vendor`` as a person tells them apart: by store (and name)."""
    rows = list(uow.accounts.organization_integrations(organization_id, vendor))
    named = []
    for row in rows:
        where = row.store.name if row.store is not None else ""
        text = " · ".join(part for part in (where, row.name) if part) or f"{VENDORS[vendor].title} {row.id}"
        named.append((str(row.id), text + ("" if row.credentials else " (disconnected)")))
    return sorted(named, key=lambda pair: pair[1].lower())


def inbound_url(spec: VendorSpec, row: Integration | None, public_url: str) -> str | None:
    if row is None or not spec.receives_calls or not row.webhook_token or not row.credentials:
        return None
    path = HOOK_PATH.format(vendor=row.vendor, integration_id=row.id, token=row.webhook_token)
    return public_url.rstrip("/") + path


def build(
    uow: UnitOfWork,
    spec: VendorSpec,
    row: Integration | None,
    *,
    organization_id: int,
    store_id: int | None,
    public_url: str,
    settings: dict[str, Any] | None = None,
    **extra: Any,
) -> Card:
    """A card from the saved integration (or none yet); ``settings`` overrides what is saved (a refused save)."""
    values = {**(row.settings if row else {}), **(settings or {})}
    card = Card(
        spec=spec,
        integration=row,
        credentials=describe(spec.credentials, None, section="credentials", warning=spec.warning),
        settings=describe(spec.settings, values, skip=(spec.choice or "",), warning=spec.warning),
        store_id=store_id,
        name=row.name if row else "",
        enabled=row.enabled if row is not None and row.credentials else True,
        inbound_url=inbound_url(spec, row, public_url),
        **extra,
    )
    for f in card.credentials:  # a credential's description is its label (a POS's "username")
        f.label, f.help = f.help or f.label, ""
    for f in card.settings:
        if f.name.endswith(CONNECTION_SUFFIX) and f.name.removesuffix(CONNECTION_SUFFIX) in VENDORS:
            other = VENDORS[f.name.removesuffix(CONNECTION_SUFFIX)]
            f.kind, f.label = "connection", f"{other.title} connection"
            f.choices = connections(uow, organization_id, other.name)
            f.value = "" if f.value is None else str(f.value)
    if card.connected:
        card.open_sections.add("settings")
    return card


def keep_typed(card: Card, form: FormData) -> None:
    """A refused save draws again what was typed, but secrets: those are never sent back to the browser."""
    typed = typed_credentials(card.spec.credentials, form)
    for f in card.credentials:
        f.value = typed.get(f.name)
    card.name = str(form.get("name", "")).strip()
    card.enabled = form.get("enabled") == "on"
    if card.spec.choice and card.spec.choice in form.getlist("present"):
        card.chosen = [str(v) for v in form.getlist(f"settings.{card.spec.choice}") if str(v)]


def _part_title(part: str) -> str:
    return {"credentials": "Credentials", "settings": "Settings"}.get(part, "")


def show_problems(card: Card, problems: Iterable[Problem]) -> str:
    """Put each mistake beside its field, open the section that holds it, and say it in one notice, each field
    named by the label the merchant sees (never the setting's internal name)."""
    said = []
    for problem in problems:
        fields = card.credentials if problem.part == "credentials" else card.settings
        found = next((f for f in fields if problem.field and f.name == problem.field), None)
        if found is not None:
            found.error = problem.message
            card.open_sections.add(found.section)
            said.append(f"{found.label}: {problem.message}")
        elif problem.field and problem.field == card.spec.choice:
            card.choice_error = problem.message
            said.append(f"{card.choice_label}: {problem.message}")
        else:
            title = _part_title(problem.part)
            said.append(f"{title}: {problem.message}" if title else problem.message)
    return " ".join(s if s.endswith(".") else s + "." for s in said)
