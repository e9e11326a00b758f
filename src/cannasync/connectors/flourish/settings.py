"""What a store enters to connect Flourish (seed 000), and the switches of its integration slide-out."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from cannasync.connectors import values
from cannasync.connectors.base import Options
from cannasync.connectors.values import ApiRoot

DEFAULT_BASE_URL = "https://app.flourishsoftware.com/external/api"


class FlourishCredentials(BaseModel):
    """Username + key. The key goes out as ``x-api-key``; the username is kept for the legacy Basic scheme."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, description="Flourish username")
    api_key: SecretStr = Field(min_length=1, description="Flourish external API key (the 'password')")
    webhook_key: SecretStr | None = Field(
        None,
        description="The key Flourish signs its webhooks with (optional). With it, and this connection's inbound "
        "address set as Flourish's webhook URL, order statuses reach shoppers within seconds",
    )


class FlourishSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    base_url: ApiRoot = Field(DEFAULT_BASE_URL, description="Flourish External API root (a sandbox in tests and demos)")
    facility_id: str | None = Field(None, description="The facility to pull inventory from and push orders to")
    sync_orders: bool = Field(
        False,
        description="Push confirmed orders into Flourish (as Submitted, unless the status below says Created)",
        json_schema_extra={"warning": "Every order confirmed from now on is created in the chosen facility."},
    )
    # Flourish's own e-commerce plugin offers the same two (src/Admin/SettingsPage.php, ``order_status``), and
    # cancels through the API only an order still Created (src/Handlers/HandlerOrdersCancel.php): with Created,
    # an online cancel reaches Flourish until staff submit the order there; with Submitted, staff cancel it.
    push_status: Literal["submitted", "created"] = Field(
        "submitted",
        description="Status of orders pushed into Flourish: submitted (ready to pack) or created (a draft that "
        "staff submit; an online cancel then also cancels it in Flourish)",
    )
    sync_terpenes: bool = Field(False, description="Sync terpene values onto products")
    require_medical_verification: bool = Field(
        False, description="Flag customers cannasync creates as needing their ID checked before pickup"
    )
    timeout_seconds: float = Field(15.0, gt=0, le=120, description="How long to wait for Flourish to answer")
    requests_per_second: float = Field(
        20.0, gt=0, description="Ceiling for calls with these credentials (Flourish publishes no limit)"
    )
    # Read limits (connectors/http.py ReadLimits): pages of at most 50 records, so 2,000 pages is 100,000 items
    read_deadline_seconds: float = values.read_deadline(60)
    max_pages: int = values.page_cap(2000)
    max_response_mb: float = values.body_cap(10)

    def options(self) -> Options:
        """The store's switches as flows read them (the connector's, and checkout's without a connector)."""
        return Options(sync_orders=self.sync_orders, require_medical_verification=self.require_medical_verification)
