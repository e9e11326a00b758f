"""Request bodies: validated at the edge so that a bad request gets a 422 naming the field to fix."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    model_validator,
)

from cannasync.api.edge import MAX_ROW_ID
from cannasync.connectors.registry import ORGANIZATION_VENDORS
from cannasync.domain import limits, stores

# Bounds for every number a client sends. Without them a 20-byte "1e1000000" costs seconds of CPU to turn into
# cents, and an integer past 2**63 reaches PostgreSQL as an error: each is refused here with a 422 naming the field.
MAX_CENTS = 100_000_000  # $1,000,000: no order, fee or price of a dispensary comes near it
#: The most units a line may ask for: what the order line's integer column holds. Not a rule of the store (its stock
#: and the purchase limits decide how many it sells), only a bound that keeps an unstorable number from the database.
MAX_LINE_QUANTITY = 2**31 - 1


def _whole_number(value: Any) -> Any:
    """JSON's true and false are not numbers (pydantic's lax int would read them as 1 and 0)."""
    if isinstance(value, bool):
        raise ValueError("a whole number is needed, not true or false")
    return value


RowId = Annotated[int, Field(ge=1, le=MAX_ROW_ID), BeforeValidator(_whole_number)]
Cents = Annotated[int, Field(ge=0, le=MAX_CENTS), BeforeValidator(_whole_number)]


def _storable_quantity(value: int) -> int:
    if value > MAX_LINE_QUANTITY:
        raise ValueError(
            f"a line's quantity is at most {MAX_LINE_QUANTITY}: ask for fewer"
            " (the store's stock and purchase limits decide how many it sells)"
        )
    return value


LineQuantity = Annotated[
    StrictInt, Field(ge=1, json_schema_extra={"maximum": MAX_LINE_QUANTITY}), AfterValidator(_storable_quantity)
]


def _text_only(value: Any, where: str) -> None:
    """Strings a database can store: PostgreSQL refuses NUL, and a lone surrogate cannot be encoded as UTF-8."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError(f"{where or 'the body'} contains a NUL character")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError(
                f"{where or 'the body'} contains a character that is not text (a lone surrogate)"
            ) from None
    elif isinstance(value, dict):
        for key, inner in value.items():
            _text_only(key, f"{where}.{key}" if where else str(key))
            _text_only(inner, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            _text_only(inner, f"{where}[{index}]")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _storable_text(cls, data: Any) -> Any:
        _text_only(data, "")
        return data


def _known_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{name!r} is not a time zone name such as America/Los_Angeles") from None
    return name


def _written(value: Any) -> Any:
    """Days and times come as ISO 8601 text: a bare number would otherwise be read as seconds since 1970."""
    if not isinstance(value, str | date):
        raise ValueError("give it as ISO 8601 text, e.g. 2026-12-03 or 2026-12-03T17:00:00-08:00")
    return value


def _plausible_birth(day: date) -> date:
    if day.year < 1900 or day > date.today():
        raise ValueError("a date of birth must be between 1900 and today")
    return day


def _window_time(moment: datetime) -> datetime:
    """A window bound with its UTC offset (a naive time cannot be compared with an aware one), in 2000–2100."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("give the time with its UTC offset, e.g. 2026-12-03T17:00:00-08:00")
    if not 2000 <= moment.year <= 2100:
        raise ValueError("the time must be between the years 2000 and 2100")
    return moment.astimezone(UTC)


TimeZoneName = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(_known_zone)]
Day = Annotated[date, BeforeValidator(_written)]
BirthDate = Annotated[Day, AfterValidator(_plausible_birth)]
WindowTime = Annotated[datetime, BeforeValidator(_written), AfterValidator(_window_time)]
Email = Annotated[str, Field(max_length=254)]
Phone = Annotated[str, Field(max_length=40)]


def _web_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{value[:100]!r} is not an http(s) address")
    return value


WebUrl = Annotated[str, Field(max_length=2000), AfterValidator(_web_url)]


class StoreAddressIn(Strict):
    """Where the store is; ``state`` (two letters) also picks the purchase-limit table."""

    line1: str = Field("", max_length=200)
    line2: str = Field("", max_length=200)
    city: str = Field("", max_length=100)
    state: str = Field("", max_length=2, pattern=r"^([A-Za-z]{2})?$")
    postcode: str = Field("", max_length=20)


def _hours(value: dict[str, Any]) -> dict[str, Any]:
    problem = stores.hours_problem(value)
    if problem:
        raise ValueError(problem)
    return {day: span for day, span in value.items() if span}


def _overrides(value: dict[str, Any]) -> dict[str, Any]:
    problem = limits.override_problem(value)
    if problem:
        raise ValueError(problem)
    return value


Hours = Annotated[
    dict[str, dict[str, str] | None],
    Field(description='Weekday ("mon" … "sun") → {"open": "09:00", "close": "21:00"}; a day left out is closed.'),
    AfterValidator(_hours),
]
LimitOverrides = Annotated[
    dict[str, dict[str, Annotated[Decimal, Field(ge=0, le=100_000)] | None]],
    Field(
        description='{"adult_use": {limit key: amount}, "medical": {...}}: the store\'s own amounts instead of its '
        "state's (keys and measures as GET /stores/{id} lists them under purchase_limits); null keeps the state's."
    ),
    AfterValidator(_overrides),
]


class StoreIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    timezone: TimeZoneName | None = Field(
        None, description="IANA time zone; omitted, the POS location's own once one is connected (else Los Angeles)."
    )
    randomized_order_numbers: StrictBool = False
    address: StoreAddressIn | None = None
    phone: Phone | None = None
    hours: Hours | None = None
    pickup_enabled: StrictBool = True
    delivery_enabled: StrictBool = True
    delivery_fee_cents: Cents = 0
    delivery_minimum_cents: Cents = 0
    limit_overrides: LimitOverrides | None = None
    order_sms_enabled: StrictBool = Field(
        False, description="Text shoppers about their orders through the organization's SMS gateway"
    )
    order_email_enabled: StrictBool = Field(
        False, description="E-mail shoppers about their orders through the SMTP server of the notification settings"
    )


class StorePatch(Strict):
    """Only the fields sent change; ``address``, ``phone``, ``hours`` and ``limit_overrides`` may be null (cleared)."""

    name: str | None = Field(None, min_length=1, max_length=200)
    timezone: TimeZoneName | None = None
    randomized_order_numbers: StrictBool | None = None
    address: StoreAddressIn | None = None
    phone: Phone | None = None
    hours: Hours | None = None
    pickup_enabled: StrictBool | None = None
    delivery_enabled: StrictBool | None = None
    delivery_fee_cents: Cents | None = None
    delivery_minimum_cents: Cents | None = None
    limit_overrides: LimitOverrides | None = None
    order_sms_enabled: StrictBool | None = None
    order_email_enabled: StrictBool | None = None

    #: Fields a client may clear with null; the others must have a value when sent.
    NULLABLE: ClassVar[frozenset[str]] = frozenset({"address", "phone", "hours", "limit_overrides"})


class IntegrationIn(Strict):
    credentials: dict[str, Any] | None = Field(
        None, description="Write-only. Omit to keep the saved credentials when changing settings."
    )
    settings: dict[str, Any] = Field(default_factory=dict)
    enabled: StrictBool = True


class SyncIn(Strict):
    flow: Literal["menu_sync", "order_status", "loyalty_pull", "sms_opt_in", "wholesale_sync", "reconcile"] = (
        "menu_sync"
    )


class CategoryMappingIn(Strict):
    mapping: dict[
        Annotated[str, Field(min_length=1, max_length=200)], Annotated[str, Field(min_length=1, max_length=200)]
    ] = Field(description="POS category name → the store's category")


class ProductPatch(Strict):
    """The store's own edits. Fields the POS owns are overwritten by the next sync; unticked ones are kept."""

    description: str | None = Field(None, max_length=10_000)
    images: list[WebUrl] | None = Field(None, max_length=50, description="http(s) addresses of the images")
    rec_price_cents: Cents | None = None
    med_price_cents: Cents | None = None
    category: str | None = Field(None, min_length=1, max_length=200)
    subcategory: str | None = Field(None, max_length=200)


class CustomerIn(Strict):
    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(min_length=1, max_length=100)
    date_of_birth: BirthDate | None = None
    phone: Phone | None = None
    email: Email | None = None
    medical_id: str | None = Field(None, max_length=100)
    medical_id_expiration: Day | None = Field(None, description="When the medical card expires")


class LineIn(Strict):
    product_id: RowId
    quantity: LineQuantity
    tier: str | None = Field(
        None,
        min_length=1,
        max_length=100,
        description="a bulk product's weight tier, by its label (the product's price_tiers): quantity counts tiers",
    )


class OfferIn(Strict):
    label: str = Field(min_length=1, max_length=200)
    kind: Literal["percent", "amount"]
    value: Decimal = Field(
        ge=0, le=MAX_CENTS, max_digits=12, decimal_places=4, description="A percentage, or an amount in cents"
    )
    line: int | None = Field(
        None, ge=0, le=1000, description="Index of the line it applies to; omit for the whole order"
    )

    @model_validator(mode="after")
    def _percent_at_most_100(self) -> OfferIn:
        if self.kind == "percent" and self.value > 100:
            raise ValueError("a percent offer's value is at most 100")
        return self


class FeeIn(Strict):
    name: str = Field(min_length=1, max_length=100)
    amount_cents: Cents


class AddressIn(Strict):
    line1: str = Field(min_length=1, max_length=200)
    line2: str = Field("", max_length=200)
    city: str = Field(min_length=1, max_length=100)
    state: str = Field(min_length=2, max_length=2)
    postcode: str = Field(min_length=3, max_length=20)


class OrderIn(Strict):
    customer: CustomerIn
    lines: list[LineIn] = Field(min_length=1)
    fulfillment: Literal["pickup", "delivery", "kiosk"] = "pickup"
    is_medical: StrictBool = False
    offers: list[OfferIn] = Field(default_factory=list)
    fees: list[FeeIn] = Field(default_factory=list)
    notes: str = Field("", max_length=2000)
    delivery_address: AddressIn | None = None
    window_start: WindowTime | None = None
    window_end: WindowTime | None = None


class OrderPatch(Strict):
    keep_holding: StrictBool | None = Field(None, description="Keep holding this order's stock after it is pushed")


class CancelIn(Strict):
    reason: str = Field("cancelled by the store", max_length=500)


class OrgIntegrationIn(Strict):
    vendor: str = Field(
        max_length=50,
        description=f"An organization-wide vendor: {', '.join(ORGANIZATION_VENDORS)}",
        json_schema_extra={"enum": [*ORGANIZATION_VENDORS]},
    )
    name: str = Field("", max_length=200)
    credentials: dict[str, Any]
    settings: dict[str, Any] = Field(default_factory=dict)
    enabled: StrictBool = True


class IntegrationPatch(Strict):
    credentials: dict[str, Any] | None = Field(None, description="Write-only; omit to keep the saved ones")
    settings: dict[str, Any] = Field(default_factory=dict)
    enabled: StrictBool | None = None


class ProgramIn(Strict):
    name: str | None = Field(None, min_length=1, max_length=200)
    points_per_dollar: Decimal | None = Field(None, ge=0, le=1000, max_digits=8, decimal_places=4)


class ProgramDatesIn(Strict):
    sms_opt_in_after: Day | None = Field(None, description="Ask shoppers with a phone and a sale on or after this day")
    enroll_after: Day | None = Field(None, description="Enrol shoppers with a sale on or after this day")


class StoreMappingIn(Strict):
    store_id: RowId | None = Field(description="The store this POS location key is; null unmaps it")


class SignupIn(Strict):
    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(min_length=1, max_length=100)
    email: Email | None = None
    phone: Phone | None = None
    date_of_birth: BirthDate | None = None
    state: str | None = Field(None, min_length=2, max_length=2)
    sms_opt_in: StrictBool = False


class PersonaPatch(Strict):
    first_name: str | None = Field(None, min_length=1, max_length=100)
    last_name: str | None = Field(None, min_length=1, max_length=100)
    email: Email | None = None
    phone: Phone | None = None


class RewardIn(Strict):
    integration_id: RowId = Field(description="The loyalty source (POS) whose discount the reward triggers")
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["flat", "percent"]
    value: Decimal = Field(
        gt=0, le=10_000, max_digits=9, decimal_places=2, description="Dollars off (flat) or percent off"
    )
    points_cost: int = Field(ge=1, le=10_000_000)

    @model_validator(mode="after")
    def _percent_at_most_100(self) -> RewardIn:
        if self.kind == "percent" and self.value > 100:
            raise ValueError("a percent reward's value is at most 100")
        return self

    pos_discount_id: str = Field(min_length=1, max_length=100)


class RedemptionIn(Strict):
    customer_id: str = Field(min_length=1, max_length=100, description="The POS's customer id")
    reward_id: RowId
    reference: str = Field(min_length=1, max_length=200, description="The POS's id for this redemption (idempotency)")


def _addresses(value: str) -> str:
    """A comma-separated list of e-mail addresses, each at least ``x@y``."""
    for address in (part.strip() for part in value.split(",")):
        if address and ("@" not in address or " " in address or address.startswith("@") or address.endswith("@")):
            raise ValueError(f"{address[:100]!r} is not an e-mail address")
    return ", ".join(part.strip() for part in value.split(",") if part.strip())


def _host(value: str) -> str:
    if value and (any(c.isspace() or c in "/:@?#" for c in value)):
        raise ValueError(f"{value[:100]!r} is not a host name (write the name only, e.g. smtp.example.com)")
    return value


def _web_url_or_empty(value: str) -> str:
    return _web_url(value) if value else value


class NotificationSettingsIn(Strict):
    """Where operators are told of incidents. Leave ``smtp_host`` or ``email_to`` empty for no e-mail, and
    ``webhook_url`` empty for no webhook. The SMTP server (with ``email_from``) also sends shoppers their order
    e-mails, for stores that turn them on. Secrets are write-only: omit one to keep it, send "" to erase it."""

    email_to: Annotated[str, Field(max_length=1000), AfterValidator(_addresses)] = Field(
        "", description="Comma-separated addresses that receive incident e-mails"
    )
    email_from: Annotated[str, Field(max_length=254), AfterValidator(_addresses)] = ""
    smtp_host: Annotated[str, Field(max_length=253), AfterValidator(_host)] = ""
    smtp_port: Annotated[StrictInt, Field(ge=1, le=65535)] = 587
    smtp_security: Literal["starttls", "tls", "none"] = Field(
        "starttls", description="starttls (port 587), tls (implicit TLS, port 465) or none (a relay you trust)"
    )
    smtp_username: Annotated[str, Field(max_length=254)] = ""
    smtp_password: Annotated[str, Field(max_length=500)] | None = Field(None, description="Write-only")
    webhook_url: Annotated[str, Field(max_length=2000), AfterValidator(_web_url_or_empty)] = ""
    webhook_secret: Annotated[str, Field(max_length=500)] | None = Field(
        None, description="Write-only; signs each webhook body (X-Cannasync-Signature)"
    )


# --- answers documented by a model of their own ----------------------------------------------------------------


class CheckFindingOut(BaseModel):
    """One thing the account check found, as ``cannasync doctor --json`` prints it."""

    check: str = Field(description='What was checked: "Credentials", "Locations", "Menu", a vendor\'s own probe')
    status: Literal["ok", "warning", "failed", "skipped", "info"]
    summary: str
    details: list[str] = Field(description="Each location seen, each record a sync would quarantine and why, …")


class CheckCallOut(BaseModel):
    """One call the check made to the vendor: never a host, query, header or body."""

    method: str
    path: str = Field(description="Under the vendor's API root, with any credential value cut out")
    status: int | None = Field(description="The HTTP status; null when no answer came (see error)")
    rate_limit: dict[str, str] = Field(description="The rate-limit headers the answer carried")
    error: str | None


class AccountCheckOut(BaseModel):
    """A read-only account check (``cannasync doctor``): nothing was created at the vendor, and no credential
    value is in it, so it may be sent to support as it is."""

    vendor: str
    title: str
    address: str | None = Field(description="The vendor API the check asked (the connection's base_url)")
    checked_at: str
    usable: bool = Field(description="False when any finding failed: the report says which, and why")
    findings: list[CheckFindingOut]
    calls: list[CheckCallOut]
    text: str = Field(description="The same report as a person reads it (what `cannasync doctor` prints)")
