"""Flourish as a loyalty source (seed 002): customers and completed sales in, signups out, discounts checked.

The same External API and credentials as the store connector, read company-wide: no facility is chosen, and
each customer's and sale's facility is the "location key" a merchant maps to one of their stores.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from cannasync.connectors import values
from cannasync.connectors.base import Location, LoyaltyOptions, Options, Probe, ProbeResult, Sale, Shopper, Traits
from cannasync.connectors.flourish.client import FlourishClient
from cannasync.connectors.flourish.customers import FlourishCustomers
from cannasync.connectors.flourish.settings import DEFAULT_BASE_URL, FlourishCredentials
from cannasync.connectors.http import ReadLimits, VendorHttp, credential_key
from cannasync.connectors.values import ApiRoot
from cannasync.domain.customers import InvalidCustomer, normalise_email, normalise_phone
from cannasync.domain.sync import MappingError, Quarantined


class FlourishLoyaltySettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    base_url: ApiRoot = Field(DEFAULT_BASE_URL, description="Flourish External API root (a sandbox in tests and demos)")
    regions: list[str] = Field(default_factory=list, description="States this credential serves (two letters)")
    age_gate_attested: bool = Field(
        False,
        description="Required: all users from this source have passed an age gate compliant with my industry",
        validate_default=True,
    )
    sync_personas: bool = Field(
        False,
        description="Profile changes made in Flourish flow in; signups that match nobody are created there",
        json_schema_extra={"warning": "Flourish becomes the source of truth for contact fields: it overwrites edits."},
    )
    sync_to_state: bool = Field(False, description="Only sync contacts in this credential's regions")
    use_last_backup: bool = Field(
        False,
        description="Freeze this source: no more calls to Flourish; every persona and point is kept",
        json_schema_extra={"warning": "Profile and points changes made in Flourish stop reaching the program."},
    )
    requests_per_second: float = Field(20.0, gt=0, description="Ceiling for calls with these credentials")
    timeout_seconds: float = Field(15.0, gt=0, le=120, description="How long to wait for Flourish to answer")
    # Read limits (connectors/http.py ReadLimits): customers and sales come 50 a page, and a company has many
    # more of them than items
    read_deadline_seconds: float = values.read_deadline(60)
    max_pages: int = values.page_cap(20000)
    max_response_mb: float = values.body_cap(10)

    @field_validator("age_gate_attested")
    @classmethod
    def _attested(cls, value: bool) -> bool:
        if not value:
            raise ValueError(
                "tick the attestation that all users from this source have passed an age gate compliant with "
                "your industry before connecting"
            )
        return value

    @field_validator("regions")
    @classmethod
    def _states(cls, value: list[str]) -> list[str]:
        states = [region.strip().upper() for region in value if region.strip()]
        for state in states:
            if len(state) != 2 or not state.isalpha():
                raise ValueError(f"{state!r} is not a two-letter state")
        return states

    def loyalty_options(self) -> LoyaltyOptions:
        """The source's switches in the program's words (the flows read these, never the raw settings)."""
        return LoyaltyOptions(
            frozen=self.use_last_backup,
            sync_personas=self.sync_personas,
            # Sync to state with no region given leaves no one out, as the pull read it before.
            regions=frozenset(self.regions) if self.sync_to_state and self.regions else None,
        )


def _moment(value: Any, field: str) -> datetime:
    text = values.text(value)
    if text is None:
        raise MappingError(f"{field} is missing")
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise MappingError(f"{field} {value!r} is not a timestamp") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _day(value: Any) -> date | None:
    text = values.text(value)
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def shopper(record: Mapping[str, Any]) -> Shopper:
    external_id = values.text(record.get("id"))
    if external_id is None:
        raise MappingError("customer has no id")
    try:
        phone = normalise_phone(values.text(record.get("phone")))
    except InvalidCustomer:
        phone = None  # a badly typed phone is no contact; the rest of the profile still counts
    try:
        email = normalise_email(values.text(record.get("email")))
    except InvalidCustomer:
        email = None
    state = values.text(record.get("state"))
    return Shopper(
        external_id=external_id,
        first_name=values.text(record.get("first_name")) or "",
        last_name=values.text(record.get("last_name")) or "",
        email=email,
        phone=phone,
        date_of_birth=_day(record.get("dob")),
        state=state.upper() if state else None,
        location_key=values.text(record.get("facility_id")),
        updated_at=_moment(record.get("last_updated_timestamp"), "last_updated_timestamp"),
    )


def sale(record: Mapping[str, Any]) -> Sale:
    external_id = values.text(record.get("id"))
    if external_id is None:
        raise MappingError("order has no id")
    discounts = values.objects(record.get("applied_discounts"), "applied_discounts")
    return Sale(
        external_id=external_id,
        customer_external_id=values.text(record.get("customer_id")),
        location_key=values.text(record.get("facility_id")),
        completed_at=_moment(record.get("completed_timestamp"), "completed_timestamp"),
        total_cents=values.cents(record.get("total") or 0, "total"),
        discount_ids=tuple(str(d["discount_id"]) for d in discounts if d.get("discount_id") is not None),
    )


def _first_page(pages: Iterator[list[dict[str, Any]]], read: Any, noun: str) -> ProbeResult:
    """One page of a read, each record mapped; those the pull would pass over are named with the reason."""
    try:
        page = next(pages, [])
    finally:
        close = getattr(pages, "close", None)
        if close is not None:
            close()
    refused: list[Quarantined] = []
    for record in page:
        try:
            read(record)
        except MappingError as error:
            refused.append(Quarantined(values.text(record.get("id")), record, str(error)))
    return ProbeResult(f"{len(page)} {noun} on the first page, {len(page) - len(refused)} readable", refused)


class FlourishLoyaltyConnector(FlourishCustomers):  # signups that match nobody are created
    vendor = "flourish_loyalty"
    traits = Traits()

    def __init__(self, credentials: FlourishCredentials, settings: FlourishLoyaltySettings) -> None:
        self.settings = settings
        self.options = Options()
        key = credentials.api_key.get_secret_value()
        self._http = VendorHttp(
            "Flourish",
            settings.base_url,
            headers={"x-api-key": key, "Content-Type": "application/json"},
            limiter_key=credential_key("flourish", credentials.username, key),  # shared with the store connector
            requests_per_second=settings.requests_per_second,
            timeout=settings.timeout_seconds,
            limits=ReadLimits.from_settings(settings),
        )
        self._client = FlourishClient(self._http, None)

    def close(self) -> None:
        self._http.close()

    # ConnectionCheck: the facilities are the location keys a merchant maps to stores.
    def locations(self) -> list[Location]:
        return [
            Location(
                id=str(f["id"]), name=str(f.get("facility_name") or f["id"]), detail=str(f.get("license_number") or "")
            )
            for f in self._client.facilities()
        ]

    # AccountProbes: the first page of each read the loyalty pull makes, mapped as it maps them
    def account_probes(self) -> list[Probe]:
        return [
            Probe("Customers", lambda: _first_page(self._client.customers_changed(None), shopper, "customers")),
            Probe("Completed sales", lambda: _first_page(self._client.completed_sales(None), sale, "sales")),
        ]

    # ShopperSource
    def shoppers_changed_since(self, since: datetime | None) -> Iterator[Shopper]:
        for page in self._client.customers_changed(since):
            for record in page:
                try:
                    yield shopper(record)
                except MappingError:
                    continue  # a customer without an id or timestamp cannot be followed; it is not a shopper yet

    def sales_completed_since(self, since: datetime | None) -> Iterator[Sale]:
        for page in self._client.completed_sales(since):
            for record in page:
                try:
                    yield sale(record)
                except MappingError:
                    continue

    # DiscountCatalog
    def discount_exists(self, discount_id: str) -> bool:
        return any(self._client.discount(location.id, discount_id) for location in self.locations())
