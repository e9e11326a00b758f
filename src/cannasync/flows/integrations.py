"""Connecting a vendor: check the credentials at once, list locations, and schedule nothing until one is chosen."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from cannasync.connectors.base import ConnectionCheck, Location
from cannasync.connectors.registry import VendorSpec, build_connector, vendor
from cannasync.domain.limits import state_code
from cannasync.domain.stores import known_zone
from cannasync.flows import loyalty, registry
from cannasync.store.types import utcnow
from cannasync.store.uow import Database, UnitOfWork

# Settings that say where credentials are sent: changing one needs the credentials again.
ADDRESS_SETTINGS = ("base_url", "token_url")


@dataclass(frozen=True, slots=True)
class Problem:
    """One mistake, where a form can show it: ``part`` is "credentials" or "settings" (or "" for the whole
    connection), ``field`` the model's field name ("" when the part as a whole is wrong)."""

    part: str
    field: str
    message: str


class InvalidSettings(ValueError):
    """Credentials or settings that fail the vendor's model; the message names the field (for API clients), and
    ``problems`` says which field each mistake is in (for a form that shows it beside the field)."""

    def __init__(self, message: str, problems: tuple[Problem, ...] = ()) -> None:
        super().__init__(message)
        self.problems = problems

    @classmethod
    def about(cls, part: str, field: str, message: str) -> InvalidSettings:
        where = field or part
        return cls(f"{where}: {message}" if where else message, (Problem(part, field, message),))


def _refused(part: str, error: ValidationError) -> InvalidSettings:
    errors = error.errors()
    message = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg'].removeprefix('Value error, ')}" for e in errors)
    problems = (
        Problem(part, str(e["loc"][0]) if e["loc"] else "", e["msg"].removeprefix("Value error, ")) for e in errors
    )
    return InvalidSettings(message, tuple(problems))


def _validated(spec: VendorSpec, credentials: dict[str, Any] | None, settings: dict[str, Any]) -> dict[str, Any]:
    """The settings as stored; the credentials are checked first (their mistakes are named before the settings')."""
    if credentials is not None:
        try:
            spec.credentials.model_validate(credentials)
        except ValidationError as error:
            raise _refused("credentials", error) from None
    try:
        return spec.settings.model_validate(settings).model_dump(mode="json")
    except ValidationError as error:
        raise _refused("settings", error) from None


def checked_config(spec: VendorSpec, credentials: dict[str, Any], settings: dict[str, Any]) -> dict[str, Any]:
    """The settings as the vendor's model reads them, once the credentials fit theirs; raises InvalidSettings."""
    return _validated(spec, credentials, settings)


def check(vendor_name: str, credentials: dict[str, Any], settings: dict[str, Any]) -> list[Location]:
    """Ask the vendor at once whether these credentials work; raises AuthenticationFailed with its message.

    A frozen source ("use last backup") is not asked anything: it is switched on when the old POS stops
    accepting the credentials, and it promises no call at all; it sees no locations.
    """
    if loyalty.frozen(vendor_name, settings):
        return []
    connector = build_connector(vendor_name, credentials, settings)
    try:
        assert isinstance(connector, ConnectionCheck)
        return connector.locations()
    finally:
        connector.close()


def _check_choice(spec: VendorSpec, chosen: list[Any], locations: list[Location]) -> None:
    """Each chosen location must be one the credentials see, and one whose stock may be sold: a menu read from a
    place the POS will not sell from (an area marked not sellable) would offer what the store cannot hand over."""
    available = {location.id: location for location in locations}
    for value in chosen:
        location = available.get(value)
        if location is None:
            raise InvalidSettings.about(
                "settings", spec.choice or "", f"{value!r} is not one of this account's locations"
            )
        if not location.sellable:
            raise InvalidSettings.about(
                "settings",
                spec.choice or "",
                f"{location.name} ({location.id}) is marked not sellable in {spec.title}: "
                "its stock cannot be sold, so it cannot be chosen",
            )


def _store_defaults(uow: UnitOfWork, store_id: int, chosen: list[Any], locations: list[Location]) -> None:
    """A store takes its POS location's own time zone (until a person chooses one) and, while it has no state,
    the location's state (so the state's purchase limits apply)."""
    store = uow.accounts.store(store_id)
    picked = [location for location in locations if location.id in {str(value) for value in chosen}]
    if store is None or not picked:
        return
    zone = next((location.timezone for location in picked if known_zone(location.timezone)), None)
    if zone and not store.timezone_chosen:
        store.timezone = zone
    state = next((code for location in picked if (code := state_code(location.state))), None)
    address = dict(store.address or {})
    if state and not address.get("state"):
        store.address = {**address, "state": state}


def _moves_credentials(saved: dict[str, Any], changed: dict[str, Any]) -> bool:
    """Whether a change of settings points the saved credentials at another address."""
    return any(saved.get(name) != changed.get(name) for name in ADDRESS_SETTINGS if name in changed)


def save(
    db: Database,
    vendor_name: str,
    *,
    organization_id: int,
    store_id: int | None = None,
    integration_id: int | None = None,
    name: str = "",
    credentials: dict[str, Any] | None,
    settings: dict[str, Any],
    enabled: bool = True,
) -> tuple[int, list[Location]]:
    """Check and store an integration: a store's POS (``store_id``), or an organization-wide one (a new one, or
    ``integration_id``). Returns its id and the locations the credentials can see."""
    spec = vendor(vendor_name)
    with db.uow() as uow:
        if integration_id is not None:
            existing = uow.accounts.integration(integration_id, organization_id)
            if existing is None or existing.vendor != vendor_name:
                raise InvalidSettings.about(
                    "", "", f"integration {integration_id} is not a {spec.title} connection of yours"
                )
        else:
            existing = uow.accounts.integration_for(store_id, vendor_name) if store_id is not None else None
        # A disconnected one (credentials erased) is connected again like a new one: the credentials are needed.
        stored_credentials = uow.accounts.config(existing).credentials if existing and existing.credentials else None
        previous = dict(existing.settings) if existing else {}
        merged = {**previous, **settings}
    if credentials is None and stored_credentials is None:
        raise InvalidSettings.about(
            "credentials", "", f"required to connect {spec.title} ({', '.join(spec.credentials.model_fields)})"
        )
    clean = _validated(spec, credentials, merged)
    if credentials is None and existing is not None and _moves_credentials(previous, clean):
        # Write-only credentials stay write-only: without this, a settings change alone would send the saved key
        # to any host (and echo that host's answer), which is a way to read it back.
        raise InvalidSettings.about(
            "credentials",
            "",
            "give the credentials again to send them to a new base_url "
            "(saved credentials only go where they were first checked)",
        )
    with db.uow() as uow:
        for setting, value in clean.items():
            names_another = setting.endswith("_integration_id") and value is not None
            if names_another and uow.accounts.integration(int(value), organization_id) is None:
                raise InvalidSettings.about("settings", setting, f"integration {value} is not a connection of yours")
    working = credentials if credentials is not None else stored_credentials
    assert working is not None
    locations = check(vendor_name, working, clean)
    chosen = clean.get(spec.choice) if spec.choice else None
    _check_choice(spec, chosen if isinstance(chosen, list) else [chosen] if chosen else [], locations)
    ready = bool(chosen) if spec.choice else True
    with db.uow() as uow:
        integration = uow.accounts.save_integration(
            organization_id,
            vendor_name,
            store_id=store_id,
            existing=uow.accounts.integration(existing.id) if existing else None,
            credentials=credentials,
            settings=clean,
            enabled=enabled,
            name=name,
            caller_identity=spec.caller_identity(credentials) if credentials and spec.caller_identity else None,
        )
        state = loyalty.settings_changed(integration.sync_state, previous, clean)
        if state != integration.sync_state:
            integration.sync_state = state
        if store_id is not None and chosen:
            _store_defaults(uow, store_id, chosen if isinstance(chosen, list) else [chosen], locations)
        if enabled and ready:
            for flow in map(registry.flow, spec.scheduled_flows):
                first = utcnow() + flow.interval if flow.deferred else utcnow()
                uow.runs.ensure_schedule(integration.id, flow.name, int(flow.interval.total_seconds()), first)
        else:
            uow.runs.pause_schedules(integration.id)
        return integration.id, locations


def disconnect(db: Database, organization_id: int, integration_id: int) -> bool:
    """Erase an integration's credentials and stop everything it runs, keeping its history (runs, products,
    orders, personas), its settings and its row, so connecting again picks up where it was. Its inbound address
    stops answering at once; a new one is made when it is connected again. False when it is not the
    organization's."""
    with db.uow() as uow:
        row = uow.accounts.integration(integration_id, organization_id)
        if row is None:
            return False
        uow.accounts.erase_credentials(row)
        uow.runs.pause_schedules(row.id)
        return True
