"""What the Loyalty screens show, shaped from the store's rows: plain dicts a template reads without logic.

Kept apart from the routes so each route stays a few lines, and so the wording a merchant reads (consent states,
what a date change would do) lives in one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from math import ceil
from typing import Any

from pydantic import ValidationError

from cannasync.connectors.registry import LOYALTY_SOURCES, SMS_GATEWAYS, loyalty_options, spoken, vendor
from cannasync.store import history
from cannasync.store.tables import Integration, Persona
from cannasync.store.uow import UnitOfWork
from cannasync.web.console.historyviews import changes

#: Consent state → (what a merchant reads, badge class). "pending" is ours: eligible, asked by the next daily run.
CONSENT_STATES: dict[str, tuple[str, str]] = {
    "pending": ("Will be asked", "warn"),
    "requested": ("Asked", "info"),
    "confirmed": ("Opted in", "ok"),
    "declined": ("Declined", "bad"),
}


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def phone(digits: str | None) -> str:
    """Ten digits as (555) 404-5050; anything else as stored."""
    if digits and len(digits) == 10 and digits.isdigit():
        return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"
    return digits or ""


def human(day: date) -> str:
    return f"{day:%b} {day.day}, {day.year}"


def consent(state: str | None) -> dict[str, str]:
    label, kind = CONSENT_STATES.get(state or "", ("No consent", ""))
    return {"state": state or "", "label": label, "kind": kind}


def validation_problems(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(map(str, e['loc'])).replace('_', ' ')}: {e['msg'].removeprefix('Value error, ')}"
        for e in error.errors()
    )


def source_name(row: Integration) -> str:
    """A loyalty source as the merchant knows it: the name given to it, else its vendor's system."""
    return row.name or vendor(row.vendor).system


def _sources(uow: UnitOfWork, organization_id: int) -> dict[int, Integration]:
    return {row.id: row for row in uow.accounts.organization_integrations(organization_id, LOYALTY_SOURCES)}


def _source_names(uow: UnitOfWork, organization_id: int) -> dict[int, str]:
    return {id_: source_name(row) for id_, row in _sources(uow, organization_id).items()}


def _store_names(uow: UnitOfWork, organization_id: int) -> dict[int, str]:
    return {store.id: store.name for store in uow.accounts.stores(organization_id)}


# --- unmapped stores and mappings ------------------------------------------------------------------------------


def mappings(uow: UnitOfWork, organization_id: int) -> list[dict[str, Any]]:
    """Every POS location key a loyalty source has sent, with its store (or none) and what waits on it."""
    waiting = uow.loyalty.waiting_on_locations(organization_id)
    stores = _store_names(uow, organization_id)
    shown = []
    for mapping, source in uow.loyalty.mappings(organization_id):
        sales, shoppers = waiting.get((source.id, mapping.location_key), (0, 0))
        shown.append(
            {
                "id": mapping.id,
                "source": source_name(source),
                "location_key": mapping.location_key,
                "store_id": mapping.store_id,
                "store": stores.get(mapping.store_id) if mapping.store_id else None,
                "first_seen_at": mapping.first_seen_at,
                "mapped_at": mapping.mapped_at,
                "sales": sales,
                "shoppers": shoppers,
            }
        )
    return shown


def unmapped(uow: UnitOfWork, organization_id: int) -> list[dict[str, Any]]:
    """The unmapped-store notification: POS stores whose sales give shoppers no favorite store until mapped."""
    return [row for row in mappings(uow, organization_id) if row["store_id"] is None]


# --- personas ---------------------------------------------------------------------------------------------------


@dataclass
class Listing:
    rows: list[dict[str, Any]]
    total: int
    page: int
    size: int
    search: str
    by_source: dict[str, int] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.size))

    @property
    def first(self) -> int:
        return 0 if self.total == 0 else (self.page - 1) * self.size + 1

    @property
    def last(self) -> int:
        return min(self.total, self.page * self.size)


def _name(persona: Persona) -> str:
    return f"{persona.first_name} {persona.last_name}".strip() or "(no name)"


def personas(uow: UnitOfWork, organization_id: int, search: str, *, page: int, size: int) -> Listing:
    program = uow.loyalty.program(organization_id)
    rows, total = uow.loyalty.find_personas(program.id, search, limit=size, offset=(page - 1) * size)
    ids = [row.id for row in rows]
    balances = uow.loyalty.balances(ids)
    consents = uow.loyalty.consent_states(ids)
    stores = _store_names(uow, organization_id)
    shown = [
        {
            "id": row.id,
            "name": _name(row),
            "email": row.email or "",
            "phone": phone(row.phone),
            "sourced_from": row.sourced_from,
            "points": balances[row.id],
            "enrolled": row.enrolled_at is not None,
            "sms": consent(consents[row.id].get("sms")),
            "email_consent": consent(consents[row.id].get("email")),
            "store": stores.get(row.favorite_store_id) if row.favorite_store_id else None,
        }
        for row in rows
    ]
    return Listing(shown, total, page, size, search, uow.loyalty.personas_by_source(program.id))


def persona_detail(uow: UnitOfWork, organization_id: int, persona_id: int) -> dict[str, Any] | None:
    program = uow.loyalty.program(organization_id)
    row = uow.loyalty.persona(persona_id)
    if row is None or row.program_id != program.id:
        return None  # another organization's shopper is as absent as a missing one
    sources = _sources(uow, organization_id)
    names = {id_: source_name(source) for id_, source in sources.items()}
    stores = _store_names(uow, organization_id)
    links = uow.loyalty.links_of(row.id)
    linked = [link.integration_id for link in links if link.integration_id in sources]
    return {
        "id": row.id,
        "name": _name(row),
        "email": row.email,
        "phone": phone(row.phone),
        "date_of_birth": row.date_of_birth,
        "state": row.state,
        "sourced_from": row.sourced_from,
        "store": stores.get(row.favorite_store_id) if row.favorite_store_id else None,
        "enrolled_at": row.enrolled_at,
        "enrolled_via": row.enrolled_via,
        "earns_from": row.earns_from,
        "created_at": row.created_at,
        "points": uow.loyalty.balance(row.id),
        "consents": [
            {
                "channel": "SMS" if c.channel == "sms" else "E-mail",
                "via": c.via,
                "requested_at": c.requested_at,
                "answered_at": c.answered_at,
                **consent(c.state),
            }
            for c in uow.loyalty.consents(row.id)
        ],
        "ledger": list(reversed(uow.loyalty.ledger(row.id))),  # newest first, as a statement reads
        "changes": changes(uow, history.PERSONA, row.id, stores),
        "links": [
            {"source": names.get(link.integration_id, "a removed source"), "customer_id": link.external_id}
            for link in links
        ],
        # Where contact details are changed: the POS of the sources the shopper is linked through.
        "pos": spoken((sources[i].vendor for i in linked), system=True) or "the POS",
    }


def sources(uow: UnitOfWork, organization_id: int) -> list[dict[str, Any]]:
    """Is it working (seed 002's FAQ): per source, whether data arrives, as the health endpoint reports it."""
    shown = []
    for row in uow.accounts.organization_integrations(organization_id, LOYALTY_SOURCES):
        last = row.sync_state.get("last_data_at")
        if loyalty_options(row.vendor, row.settings).frozen:
            state = ("Frozen: last backup", "warn")
        elif not row.enabled:
            state = ("Paused", "warn")
        elif last:
            state = ("Receiving data", "ok")
        else:
            state = ("Waiting for first data", "info")
        shown.append({"id": row.id, "name": source_name(row), "last_data_at": last, "state": state})
    return shown


# --- rewards -----------------------------------------------------------------------------------------------------


def rewards(uow: UnitOfWork, organization_id: int) -> list[dict[str, Any]]:
    program = uow.loyalty.program(organization_id)
    names = _source_names(uow, organization_id)
    return [
        {
            "id": r.id,
            "name": r.name,
            "value": f"${r.value} off" if r.kind == "flat" else f"{r.value}% off",
            "points_cost": r.points_cost,
            "pos_discount_id": r.pos_discount_id,
            "source": names.get(r.integration_id, "a removed source"),
        }
        for r in uow.loyalty.rewards(program.id)
    ]


# --- program dates ----------------------------------------------------------------------------------------------


@dataclass
class DatePreview:
    """What saving the dates would do, in the merchant's words, with the counts a save would then apply."""

    sms_opt_in_after: date | None
    enroll_after: date | None
    would_request: int
    would_enroll: int
    lines: list[tuple[str, str]]  # (sentence, notice kind)
    gateway: bool


def _verb(current: str | None, chosen: date) -> str:
    if current is None:
        return "Setting"
    return "Keeping" if current == chosen.isoformat() else "Moving"


def _sms_line(current: str | None, chosen: date | None, count: int, gateway: bool) -> tuple[str, str]:
    if chosen is None:
        if current is None:
            return "No SMS opt-in date: nobody is asked by this rule.", "info"
        return (
            "Removing the SMS opt-in date stops new requests. Shoppers already asked, opted in or declined keep "
            "their answer.",
            "warn",
        )
    verb = _verb(current, chosen)
    who = plural(count, "shopper")
    text = (
        f"{verb} the SMS opt-in date {'at' if verb == 'Keeping' else 'to'} {human(chosen)} sends an opt-in "
        f"request to {who} with a phone who bought on or after that day and were never asked."
    )
    if count and not gateway:
        text += " No SMS gateway is connected yet: the requests wait until one is."
    elif count:
        text += " Requests go out with the next daily SMS run."
    return text, "warn" if count else "info"


def _enroll_line(current: str | None, chosen: date | None, count: int) -> tuple[str, str]:
    if chosen is None:
        if current is None:
            return "No enrolment date: shoppers join through the signup form only.", "info"
        return "Removing the enrolment date enrols nobody new. Members keep their membership and points.", "warn"
    verb = _verb(current, chosen)
    return (
        f"{verb} enrolment {'at' if verb == 'Keeping' else 'to'} {human(chosen)} enrols "
        f"{plural(count, 'persona')} who bought on or after that day; they earn points for those sales.",
        "warn" if count else "info",
    )


def _start(day: date | None) -> datetime | None:
    return datetime.combine(day, time.min, tzinfo=UTC) if day else None


def date_preview(
    uow: UnitOfWork, organization_id: int, sms_opt_in_after: date | None, enroll_after: date | None
) -> DatePreview:
    program = uow.loyalty.program(organization_id)
    requested, enrolled = uow.loyalty.date_change_counts(program.id, _start(sms_opt_in_after), _start(enroll_after))
    gateway = any(g.enabled for g in uow.accounts.organization_integrations(organization_id, SMS_GATEWAYS))
    return DatePreview(
        sms_opt_in_after,
        enroll_after,
        requested,
        enrolled,
        [
            _sms_line(program.sms_opt_in_after, sms_opt_in_after, requested, gateway),
            _enroll_line(program.enroll_after, enroll_after, enrolled),
        ],
        gateway,
    )


def program(uow: UnitOfWork, organization_id: int) -> dict[str, Any]:
    row = uow.loyalty.program(organization_id)
    return {
        "name": row.name,
        "points_per_dollar": row.points_per_dollar,
        "sms_opt_in_after": row.sms_opt_in_after or "",
        "enroll_after": row.enroll_after or "",
    }
