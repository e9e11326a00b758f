"""What a store enters to connect Alleaves (seed 003), and its integration settings."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from cannasync.connectors import values
from cannasync.connectors.base import Options
from cannasync.connectors.values import ApiRoot
from cannasync.domain.catalog import FieldGroup

DEFAULT_BASE_URL = "https://api.alleaves.com"  # unverified: Alleaves publishes no API reference


class AlleavesCredentials(BaseModel):
    model_config = ConfigDict(extra="forbid")

    location_id: str = Field(min_length=1, description="Location ID")
    username: str = Field(min_length=1, description="Username")
    password: SecretStr = Field(min_length=1, description="Password")


class AlleavesSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    base_url: ApiRoot = Field(DEFAULT_BASE_URL, description="Alleaves API root (a sandbox in tests and demos)")
    area_ids: list[str] = Field(
        default_factory=list, description="The inventory areas to pull from (e.g. Retail); nothing syncs until chosen"
    )
    otd_pricing: bool = Field(
        False,
        description="Use the out-the-door (OTD) price instead of the menu-type price",
        json_schema_extra={"warning": "Changes the price of every product at the next sync."},
    )
    sync_prices: bool = Field(
        True, description="Apply Alleaves price changes to existing products (new products always get a price)"
    )
    sync_terpenes: bool = Field(False, description="Sync terpenes (the sixteen names, typed exactly)")
    sync_orders: bool = Field(
        False,
        description="Push confirmed orders into Alleaves",
        json_schema_extra={"warning": "Every order confirmed from now on is created in Alleaves."},
    )
    timeout_seconds: float = Field(15.0, gt=0, le=120, description="How long to wait for Alleaves to answer")
    requests_per_second: float = Field(8.0, gt=0, description="Ceiling for calls with these credentials")
    # Read limits (connectors/http.py ReadLimits): pages of 100 records, so 2,000 pages is 200,000 items
    read_deadline_seconds: float = values.read_deadline(60)
    max_pages: int = values.page_cap(2000)
    max_response_mb: float = values.body_cap(20)

    def options(self) -> Options:
        """The store's switches as flows read them: prices stay as the store edited them unless they follow."""
        return Options(
            sync_orders=self.sync_orders,
            store_owned=frozenset() if self.sync_prices else frozenset({FieldGroup.PRICES}),
        )
