"""Request bodies: validated at the edge so that a bad request gets a 422 naming the field to fix."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StoreIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    timezone: str = "America/Los_Angeles"
    randomized_order_numbers: bool = False


class StorePatch(Strict):
    name: str | None = Field(None, min_length=1, max_length=200)
    randomized_order_numbers: bool | None = None


class IntegrationIn(Strict):
    credentials: dict[str, Any] | None = Field(
        None, description="Write-only. Omit to keep the saved credentials when changing settings."
    )
    settings: dict[str, Any] = Field(default_factory=dict)
    enabled: bool = True


class SyncIn(Strict):
    flow: Literal["menu_sync", "order_status", "loyalty_pull", "sms_opt_in", "wholesale_sync"] = "menu_sync"


class CategoryMappingIn(Strict):
    mapping: dict[str, str] = Field(description="POS category name → the store's category")


class ProductPatch(Strict):
    """The store's own edits. Fields the POS owns are overwritten by the next sync; unticked ones are kept."""

    description: str | None = Field(None, max_length=10_000)
    images: list[str] | None = None
    rec_price_cents: int | None = Field(None, ge=0)
    med_price_cents: int | None = Field(None, ge=0)
    category: str | None = Field(None, min_length=1, max_length=200)
    subcategory: str | None = Field(None, max_length=200)


class CustomerIn(Strict):
    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(min_length=1, max_length=100)
    date_of_birth: date | None = None
    phone: str | None = None
    email: str | None = None
    medical_id: str | None = Field(None, max_length=100)
    medical_id_expiration: date | None = Field(None, description="When the medical card expires")


class LineIn(Strict):
    product_id: int
    quantity: int = Field(ge=1, le=1000)


class OfferIn(Strict):
    label: str = Field(min_length=1, max_length=200)
    kind: Literal["percent", "amount"]
    value: Decimal = Field(ge=0, description="A percentage, or an amount in cents")
    line: int | None = Field(None, ge=0, description="Index of the line it applies to; omit for the whole order")


class FeeIn(Strict):
    name: str = Field(min_length=1, max_length=100)
    amount_cents: int = Field(ge=0)


class AddressIn(Strict):
    line1: str = Field(min_length=1)
    line2: str = ""
    city: str = Field(min_length=1)
    state: str = Field(min_length=2, max_length=2)
    postcode: str = Field(min_length=3)


class OrderIn(Strict):
    customer: CustomerIn
    lines: list[LineIn] = Field(min_length=1)
    fulfillment: Literal["pickup", "delivery", "kiosk"] = "pickup"
    is_medical: bool = False
    offers: list[OfferIn] = Field(default_factory=list)
    fees: list[FeeIn] = Field(default_factory=list)
    notes: str = Field("", max_length=2000)
    delivery_address: AddressIn | None = None
    window_start: datetime | None = None
    window_end: datetime | None = None


class OrderPatch(Strict):
    keep_holding: bool | None = Field(None, description="Keep holding this order's stock after it is pushed")


class CancelIn(Strict):
    reason: str = Field("cancelled by the store", max_length=500)


class OrgIntegrationIn(Strict):
    vendor: str = Field(description="An organization-wide vendor: flourish_loyalty, sms")
    name: str = Field("", max_length=200)
    credentials: dict[str, Any]
    settings: dict[str, Any] = Field(default_factory=dict)
    enabled: bool = True


class IntegrationPatch(Strict):
    credentials: dict[str, Any] | None = Field(None, description="Write-only; omit to keep the saved ones")
    settings: dict[str, Any] = Field(default_factory=dict)
    enabled: bool | None = None


class ProgramIn(Strict):
    name: str | None = Field(None, min_length=1, max_length=200)
    points_per_dollar: Decimal | None = Field(None, ge=0)


class ProgramDatesIn(Strict):
    sms_opt_in_after: date | None = Field(None, description="Ask shoppers with a phone and a sale on or after this day")
    enroll_after: date | None = Field(None, description="Enrol shoppers with a sale on or after this day")


class StoreMappingIn(Strict):
    store_id: int | None = Field(description="The store this POS location key is; null unmaps it")


class SignupIn(Strict):
    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(min_length=1, max_length=100)
    email: str | None = None
    phone: str | None = None
    date_of_birth: date | None = None
    state: str | None = Field(None, min_length=2, max_length=2)
    sms_opt_in: bool = False


class PersonaPatch(Strict):
    first_name: str | None = Field(None, min_length=1, max_length=100)
    last_name: str | None = Field(None, min_length=1, max_length=100)
    email: str | None = None
    phone: str | None = None


class RewardIn(Strict):
    integration_id: int = Field(description="The loyalty source (POS) whose discount the reward triggers")
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["flat", "percent"]
    value: Decimal = Field(gt=0, description="Dollars off (flat) or percent off")
    points_cost: int = Field(ge=1)
    pos_discount_id: str = Field(min_length=1, max_length=100)


class RedemptionIn(Strict):
    customer_id: str = Field(min_length=1, description="The POS's customer id")
    reward_id: int
    reference: str = Field(min_length=1, max_length=200, description="The POS's id for this redemption (idempotency)")
