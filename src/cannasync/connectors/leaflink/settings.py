"""A LeafLink link of the wholesale bridge (seed 004): one seller account, and how it meets a Flourish facility."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from cannasync.connectors import values
from cannasync.connectors.base import WholesaleOptions
from cannasync.connectors.values import ApiRoot
from cannasync.domain.wholesale import WholesaleStatus

DEFAULT_BASE_URL = "https://app.leaflink.com/api/v2"
CreateOn = Literal["submitted", "accepted", "backorder"]


#: The bridge's options (``WholesaleOptions``) → the settings that hold them, for a form that edits the settings
#: field by field in the bridge's words (the console's wholesale page).
OPTION_SETTINGS: Mapping[str, str] = MappingProxyType(
    {
        "supplier_integration_id": "flourish_integration_id",
        "stock_from_supplier": "inventory_from_flourish",
        "descriptions_from_supplier": "descriptions_from_flourish",
    }
)


class LeafLinkCredentials(BaseModel):
    model_config = ConfigDict(extra="forbid")

    api_key: SecretStr = Field(min_length=1, description="The seller account's API key (sent as 'App <key>')")
    webhook_key: SecretStr | None = Field(None, description="The company webhook key that signs LL-Signature")


class LeafLinkSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    base_url: ApiRoot = Field(DEFAULT_BASE_URL, description="LeafLink API root (a sandbox in tests and demos)")
    flourish_integration_id: int | None = Field(
        None, description="The Flourish connection (a store's) whose facility this account sells from"
    )
    brands: list[str] = Field(
        default_factory=list, description="Flourish brand names this account sells (an item's brand picks the account)"
    )
    inventory_from_flourish: bool = Field(True, description="Flourish is the source of truth for inventory levels")
    descriptions_from_flourish: bool = Field(True, description="Flourish is the source of truth for descriptions")
    create_on: list[CreateOn] = Field(
        default_factory=lambda: list[CreateOn](["accepted"]),
        description="LeafLink statuses that create the Flourish order",
    )
    sales_rep_facilities: dict[str, str] = Field(
        default_factory=dict, description="LeafLink sales rep (company staff id) → Flourish facility id"
    )
    requests_per_second: float = Field(4.0, gt=0, description="LeafLink allows 300 requests a minute")
    timeout_seconds: float = Field(15.0, gt=0, le=120)
    # Read limits (connectors/http.py ReadLimits): pages of 100 orders or products
    read_deadline_seconds: float = values.read_deadline(60)
    max_pages: int = values.page_cap(2000)
    max_response_mb: float = values.body_cap(20)

    def wholesale_options(self) -> WholesaleOptions:
        """The link's settings in the bridge's words (the flow reads these, never the raw settings)."""
        return WholesaleOptions(
            supplier_integration_id=self.flourish_integration_id,
            brands=tuple(self.brands),
            stock_from_supplier=self.inventory_from_flourish,
            descriptions_from_supplier=self.descriptions_from_flourish,
            # An empty list (the API takes one) creates at Accepted, as the field's default does.
            create_on=frozenset(WholesaleStatus(status) for status in self.create_on or ["accepted"]),
            sales_rep_facilities=dict(self.sales_rep_facilities),
        )
