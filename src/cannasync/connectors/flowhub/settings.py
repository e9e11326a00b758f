"""What a store enters to connect Flowhub (seed 001), and its POS settings."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from cannasync.connectors import values
from cannasync.connectors.base import Options
from cannasync.connectors.values import ApiRoot
from cannasync.domain.catalog import FieldGroup

DEFAULT_BASE_URL = "https://api.flowhub.co"
#: Flowhub's Auth0 tenant, where Order Ahead's client-credentials grant is made (flowhub-client-ts
#: src/resources/auth-token.ts). Its own host: a sandbox stands in for it in tests and demos.
DEFAULT_TOKEN_URL = "https://flowhub.auth0.com/oauth/token"
_ROOM_ID = re.compile(r"[A-Za-z0-9]{32}")


class FlowhubCredentials(BaseModel):
    """The API key pair (``clientId``/``key`` headers) and the Order Ahead grant's Auth0 client id and secret,
    which Flowhub issues separately (seed 001: "Order Ahead Client Id" and "Order Ahead Token")."""

    model_config = ConfigDict(extra="forbid")

    api_key: SecretStr = Field(min_length=1, description="API Key")
    client_id: str = Field(min_length=1, description="Client ID")
    order_ahead_client_id: str = Field(min_length=1, description="Order Ahead Client Id")
    order_ahead_token: SecretStr = Field(min_length=1, description="Order Ahead Token")


class FlowhubSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    base_url: ApiRoot = Field(DEFAULT_BASE_URL, description="Flowhub API root (a sandbox in tests and demos)")
    token_url: ApiRoot = Field(
        DEFAULT_TOKEN_URL, description="Where the Order Ahead access token is granted (a sandbox in tests and demos)"
    )
    location_id: str | None = Field(None, description="Location ID")
    room_id: str | None = Field(None, description="Only pull inventory from this room (its 32-character id)")
    purchase_category: Literal["rec", "med"] | None = Field(
        None, description="Only pull items sold to this purchase category (items for both are always included)"
    )
    map_custom_category_to_subcategory: bool = Field(
        False, description="Use Flowhub's Custom Category Name as the product's subtype when it has one"
    )
    sync_orders: bool = Field(
        False,
        description="Push confirmed orders into Flowhub",
        json_schema_extra={"warning": "Every order confirmed from now on is created at this location in Flowhub."},
    )
    sync_description: bool = Field(True, description="Description follows Flowhub")
    sync_images: bool = Field(True, description="Images follow Flowhub")
    sync_prices: bool = Field(True, description="Prices follow Flowhub")
    sync_potency: bool = Field(True, description="Cannabinoids follow Flowhub")
    sync_terpenes: bool = Field(True, description="Terpenes follow Flowhub")
    sync_category: bool = Field(True, description="Category and subtype follow Flowhub")
    timeout_seconds: float = Field(15.0, gt=0, le=120, description="How long to wait for Flowhub to answer")
    requests_per_second: float = Field(
        45.0, gt=0, description="Ceiling for calls with these credentials (Flowhub starts refusing near 59/s)"
    )
    # Read limits (connectors/http.py ReadLimits): v0 inventory answers a whole location at once, parsed and
    # written while it streams in, so its deadline covers the writes too; memory follows a record, not the answer
    read_deadline_seconds: float = values.read_deadline(600)
    max_pages: int = values.page_cap(1000)
    max_response_mb: float = values.body_cap(300)

    def options(self) -> Options:
        """The store's switches as flows read them: each field group not following Flowhub is the store's."""
        follows = {
            FieldGroup.DESCRIPTION: self.sync_description,
            FieldGroup.IMAGES: self.sync_images,
            FieldGroup.PRICES: self.sync_prices,
            FieldGroup.POTENCY: self.sync_potency,
            FieldGroup.CATEGORY: self.sync_category,
        }
        return Options(
            sync_orders=self.sync_orders,
            store_owned=frozenset(group for group, synced in follows.items() if not synced),
        )

    @field_validator("room_id")
    @classmethod
    def _room_id_is_an_id(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not _ROOM_ID.fullmatch(value):
            raise ValueError(
                f"{value!r} is not a Room ID: use the room's 32-character id (letters and digits, no spaces), "
                "not its name"
            )
        return value
