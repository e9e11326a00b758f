"""Check a vendor account before trusting it with orders: only reads, and a report a person can send to support.

``cannasync doctor <vendor> --credentials-file F`` and the console's "Check this account" both run :func:`check`.
With the account's own credentials it asks the vendor, in order: are the credentials accepted; which locations
(facilities, areas) can they see; one page of the menu, read and mapped exactly as a menu sync maps it, with the
reason of every record a sync would quarantine; the connector's own probes (a POS's grant for online orders, one page
of a marketplace's orders, the loyalty source's customers and sales); and which rate-limit headers the answers carried.

Nothing is written to the vendor: every call is made inside a read-only ``http.recording``, which refuses a connector's
POST, PUT or PATCH before it is sent (authentication grants, which make a token and no record, still go out). The
report never carries a credential: every value of the credentials is cut out of every line of it.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, SecretStr

from cannasync.connectors.base import AccountProbes, ConnectionCheck, InventorySource, Location, MenuPage
from cannasync.connectors.http import AuthenticationFailed, VendorError, recording
from cannasync.connectors.registry import VendorSpec, build_connector, vendor
from cannasync.domain.sync import Quarantined
from cannasync.flows import loyalty
from cannasync.flows.integrations import InvalidSettings, checked_config
from cannasync.store.uow import Database

OK, WARNING, FAILED, SKIPPED, INFO = "ok", "warning", "failed", "skipped", "info"
#: Shown in place of a credential value wherever one would have appeared.
REDACTED = "[redacted]"
#: Quarantine reasons listed one by one; past this many the report says how many more there are.
MAX_LISTED = 50


@dataclass(frozen=True, slots=True)
class Finding:
    check: str
    status: str
    summary: str
    details: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Report:
    vendor: str
    title: str
    address: str | None
    checked_at: str
    usable: bool
    findings: list[Finding]
    calls: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, saved: Mapping[str, Any]) -> Report:
        """A report kept as :meth:`as_dict` wrote it (``integrations.last_check``)."""
        findings = [Finding(**finding) for finding in saved.get("findings", [])]
        return cls(**{**saved, "findings": findings})

    def text(self) -> str:
        """The report as a person reads it (and pastes into a message to support)."""
        verdict = "USABLE" if self.usable else "NOT USABLE"
        failed = next((f for f in self.findings if f.status == FAILED), None)
        lines = [
            f"cannasync account check: {self.title}" + (f" at {self.address}" if self.address else ""),
            f"checked {self.checked_at}",
            f"verdict: {verdict}" + (f" ({failed.check}: {failed.summary})" if failed else ""),
            "",
        ]
        for finding in self.findings:
            lines.append(f"[{finding.status}] {finding.check}: {finding.summary}")
            lines += [f"    - {detail}" for detail in finding.details]
        writes = [c for c in self.calls if c["method"] != "GET"]
        lines += ["", f"calls made: {len(self.calls)}, {len(writes)} of them writes"]
        for call in self.calls:
            limits = " ".join(f"{name}={value}" for name, value in sorted(call["rate_limit"].items()))
            outcome = call["status"] if call["status"] is not None else call["error"]
            lines.append(f"    {call['method']} {call['path']} -> {outcome}" + (f"  [{limits}]" if limits else ""))
        return "\n".join(lines) + "\n"


#: Credential values shorter than this are not cut out: they would match ordinary words and numbers all over the
#: report, and a value so short guards nothing.
MIN_REDACTED = 4


def _secret_values(model: BaseModel) -> list[str]:
    """Every credential value as text, longest first (so a value containing another is cut whole)."""
    found: list[str] = []
    for value in model.model_dump().values():
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if isinstance(value, str) and len(value.strip()) >= MIN_REDACTED:
            found.append(value.strip())
    return sorted(set(found), key=len, reverse=True)


class _Redactor:
    def __init__(self, secrets: Sequence[str]) -> None:
        self._secrets = secrets

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text


def _vendor_problem(error: Exception) -> str:
    """What went wrong, for a person: the vendor's answer, or an answer we could not read (never a traceback)."""
    if isinstance(error, VendorError):
        return error.message + (f" (HTTP {error.status})" if error.status else "")
    return f"an answer cannasync could not read ({type(error).__name__}: {error})"


def _is_list(spec: VendorSpec) -> bool:
    """Whether the vendor's location choice is a list (a POS's areas) rather than one id."""
    assert spec.choice is not None
    annotation = spec.settings.model_fields[spec.choice].annotation
    return typing.get_origin(annotation) is list


class _Check:
    """One account check: findings in the order they were made, each line cleaned of every credential value."""

    def __init__(self, spec: VendorSpec, credentials: Mapping[str, Any], settings: dict[str, Any]) -> None:
        self.spec = spec
        self.credentials = credentials
        self.settings = settings
        self.findings: list[Finding] = []
        self.clean = _Redactor(_secret_values(spec.credentials.model_validate(credentials)))

    def add(self, check: str, status: str, summary: str, details: Sequence[str] = ()) -> None:
        self.findings.append(Finding(check, status, self.clean(summary), [self.clean(d) for d in details]))

    def run(self) -> None:
        connector = build_connector(self.spec.name, self.credentials, self.settings)
        try:
            assert isinstance(connector, ConnectionCheck)
            try:
                locations = connector.locations()
            except AuthenticationFailed as error:
                self.add("Credentials", FAILED, f"refused by {self.spec.title}: {_vendor_problem(error)}")
                return
            except Exception as error:  # a diagnosis reports what failed; it never ends in a traceback
                self.add("Credentials", FAILED, f"not checked: {_vendor_problem(error)}")
                return
            self.add("Credentials", OK, f"accepted by {self.spec.title}")
            where = self._locations(locations)
            if isinstance(connector, InventorySource) and self.spec.choice:
                self._menu(connector, where)
            if isinstance(connector, AccountProbes):
                for probe in connector.account_probes():
                    try:
                        found = probe.run()
                    except Exception as error:
                        self.add(probe.name, FAILED, _vendor_problem(error))
                        continue
                    self.add(
                        probe.name,
                        WARNING if found.quarantined else OK,
                        found.summary,
                        _reasons(found.quarantined),
                    )
        finally:
            connector.close()

    def _locations(self, locations: list[Location]) -> list[Location]:
        """Report what the credentials see; return where the menu is read from (the chosen locations, else the
        first sellable one), or nothing when there is no place to read."""
        spec = self.spec
        listed = [f"{loc.id}: {loc.name}" + (f" ({loc.detail})" if loc.detail else "") for loc in locations]
        if not spec.choice:  # nothing to choose (a loyalty source's facilities are keys mapped to stores)
            if locations:
                self.add("Locations", OK, f"{len(locations)} visible", listed)
            return []
        chosen_setting = self.settings.get(spec.choice)
        chosen = chosen_setting if isinstance(chosen_setting, list) else [chosen_setting] if chosen_setting else []
        visible = {loc.id: loc for loc in locations}
        missing = [str(value) for value in chosen if value not in visible]
        unsellable = [visible[value].name for value in chosen if value in visible and not visible[value].sellable]
        if not locations:
            self.add("Locations", FAILED, "none visible: these credentials see no place to read stock from")
            return []
        if missing:
            summary = f"{len(locations)} visible, but the chosen {', '.join(missing)} is not one of them"
            self.add("Locations", FAILED, summary, listed)
            return []
        if unsellable:
            summary = f"{len(locations)} visible, but the chosen {', '.join(unsellable)} is marked not sellable"
            self.add("Locations", FAILED, summary, listed)
            return []
        self.add("Locations", OK, f"{len(locations)} visible", listed)
        if chosen:
            return [visible[value] for value in chosen]
        first = next((loc for loc in locations if loc.sellable), None)
        return [first] if first else []

    def _menu(self, connector: InventorySource, where: list[Location]) -> None:
        spec = self.spec
        assert spec.choice is not None
        if not where:
            self.add("Menu", SKIPPED, "no sellable location to read a menu from")
            return
        chosen = bool(self.settings.get(spec.choice))
        reader = connector
        if not chosen:  # read the first sellable location, as if it were chosen: the settings are not changed
            value: Any = [where[0].id] if _is_list(spec) else where[0].id
            reader = build_connector(spec.name, self.credentials, {**self.settings, spec.choice: value})  # type: ignore[assignment]
        try:
            try:
                page = _first_page(reader.menu_pages())
            except Exception as error:
                self.add("Menu", FAILED, f"the first page could not be read: {_vendor_problem(error)}")
                return
        finally:
            if reader is not connector:
                reader.close()  # type: ignore[attr-defined]
        place = ", ".join(f"{loc.name} ({loc.id})" for loc in where)
        place += "" if chosen else ", not chosen yet: the first sellable one"
        if page is None:
            self.add("Menu", WARNING, f"read from {place}: the menu is empty")
            return
        read = len(page.products) + len(page.quarantined) + page.skipped
        summary = (
            f"first page read from {place}: {read} records, {len(page.products)} products, "
            f"{len(page.quarantined)} quarantined, {page.skipped} not listed for sale"
        )
        left_out = [f"left out: {count} {kind} values the store does not show" for kind, count in page.left_out.items()]
        status = WARNING if page.quarantined else OK
        self.add("Menu", status, summary, [*_reasons(page.quarantined), *left_out])

    def rate_limits(self, calls: Sequence[Mapping[str, Any]]) -> None:
        seen: dict[str, str] = {}
        for call in calls:
            seen.update(call["rate_limit"])
        if seen:
            details = [f"{name}: {value}" for name, value in sorted(seen.items())]
            answers = sum(1 for c in calls if c["rate_limit"])
            self.add("Rate-limit headers", INFO, f"seen on {answers} answers", details)
        else:
            self.add(
                "Rate-limit headers",
                INFO,
                f"none on {len(calls)} answers; cannasync keeps to the requests_per_second setting "
                f"({self.settings.get('requests_per_second', 'default')}/s) and backs off on a 429",
            )


def _first_page(pages: Iterator[MenuPage]) -> MenuPage | None:
    try:
        return next(pages, None)
    finally:
        close: Callable[[], None] | None = getattr(pages, "close", None)
        if close is not None:
            close()  # a streamed answer (a POS's inventory) is let go of, not read to its end


def _reasons(quarantined: Sequence[Quarantined]) -> list[str]:
    lines = [f"{q.external_id or '(no id)'}: {q.reason}" for q in quarantined[:MAX_LISTED]]
    if len(quarantined) > MAX_LISTED:
        lines.append(f"and {len(quarantined) - MAX_LISTED} more")
    return lines


def check(vendor_name: str, credentials: Mapping[str, Any], settings: Mapping[str, Any]) -> Report:
    """Check an account with only reads. Raises ``UnknownVendor`` or ``InvalidSettings`` (naming the field) when
    the credentials or settings do not fit the vendor's models: nothing is asked of the vendor then."""
    spec = vendor(vendor_name)
    clean_settings = checked_config(spec, dict(credentials), dict(settings))
    doctor = _Check(spec, credentials, clean_settings)
    with recording(read_only=True) as watching:
        if loyalty.frozen(spec.name, clean_settings):
            doctor.add("Credentials", SKIPPED, "this source is frozen (use last backup): it is not called")
        else:
            doctor.run()
        doctor.rate_limits(watching.calls)
    calls = [
        {"method": c["method"], "path": doctor.clean(c["path"]), "status": c["status"], "rate_limit": c["rate_limit"]}
        | {"error": c["error"]}
        for c in watching.calls
    ]
    address = clean_settings.get("base_url")
    return Report(
        vendor=spec.name,
        title=spec.title,
        address=doctor.clean(str(address)) if address else None,
        checked_at=datetime.now(UTC).isoformat(timespec="seconds"),  # pages show it in the store's zone
        usable=not any(f.status == FAILED for f in doctor.findings),
        findings=doctor.findings,
        calls=calls,
    )


class NotCheckable(ValueError):
    """The connection cannot be checked as it is (disconnected: its credentials were erased)."""


def check_integration(db: Database, organization_id: int, integration_id: int) -> Report | None:
    """Check a saved connection with its stored credentials (decrypted here, never returned) and keep the report
    on the connection (``last_check``), so it is still there after a reload; None when it is not the
    organization's. The vendor is asked outside any transaction."""
    with db.uow() as uow:
        row = uow.accounts.integration(integration_id, organization_id)
        if row is None:
            return None
        config = uow.accounts.config(row)
    if not config.credentials:
        raise NotCheckable(f"{vendor(config.vendor).title} is disconnected (its credentials were erased)")
    report = check(config.vendor, config.credentials, config.settings)
    with db.uow() as uow:
        uow.accounts.keep_check(integration_id, report.as_dict())
    return report


def last_check(saved: Mapping[str, Any] | None) -> Report | None:
    """The report kept on a connection; None when there is none, or when it was written in a shape this version
    does not read (an older report is no reason to fail the page that shows it)."""
    if not saved:
        return None
    try:
        return Report.from_dict(saved)
    except (TypeError, KeyError):
        return None


def read_credentials_file(spec: VendorSpec, document: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The ``credentials`` and ``settings`` objects of a credentials file, as the vendor's card and API take them;
    raises InvalidSettings naming what to fix."""
    if not isinstance(document, Mapping):
        raise InvalidSettings.about("", "", 'the file must hold one JSON object: {"credentials": {…}, "settings": {…}}')
    unknown = sorted(set(document) - {"credentials", "settings"})
    if unknown:
        raise InvalidSettings.about(
            "",
            "",
            f'unknown key {", ".join(map(repr, unknown))}: the file holds only "credentials" and "settings" '
            f'(the {spec.title} fields go under "credentials")',
        )
    credentials = document.get("credentials")
    settings = document.get("settings", {})
    if not isinstance(credentials, Mapping):
        fields = ", ".join(spec.credentials.model_fields)
        message = f"an object with the {spec.title} credentials is required ({fields})"
        raise InvalidSettings.about("credentials", "", message)
    if not isinstance(settings, Mapping):
        raise InvalidSettings.about("settings", "", "must be an object (or left out)")
    return dict(credentials), dict(settings)
