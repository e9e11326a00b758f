"""Which vendors cannasync speaks, and how to build a connector from an integration's stored configuration.

Adding a POS means a new ``connectors/<vendor>/`` package and one entry here; flows never name a vendor.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, cast

from pydantic import BaseModel

from cannasync.connectors.alleaves.connector import AlleavesConnector
from cannasync.connectors.alleaves.settings import AlleavesCredentials, AlleavesSettings
from cannasync.connectors.base import (
    Connector,
    LoyaltyOptions,
    Options,
    ShopperSource,
    SmsGateway,
    Traits,
    WholesaleOptions,
    WholesaleSupplier,
)
from cannasync.connectors.flourish.connector import FlourishConnector
from cannasync.connectors.flourish.loyalty import FlourishLoyaltyConnector, FlourishLoyaltySettings
from cannasync.connectors.flourish.settings import FlourishCredentials, FlourishSettings
from cannasync.connectors.flourish.wholesale import FlourishSupplier
from cannasync.connectors.flowhub.connector import FlowhubConnector
from cannasync.connectors.flowhub.settings import FlowhubCredentials, FlowhubSettings
from cannasync.connectors.leaflink.connector import LeafLinkConnector
from cannasync.connectors.leaflink.settings import OPTION_SETTINGS, LeafLinkCredentials, LeafLinkSettings
from cannasync.connectors.sms.gateway import SmsCredentials, SmsGatewayConnector, SmsSettings


@dataclass(frozen=True, slots=True)
class VendorSpec:
    name: str
    title: str
    credentials: type[BaseModel]
    settings: type[BaseModel]
    #: Built from the validated credentials and settings; its traits and the capability protocols it implements
    #: (``connectors/base.py``) say what the vendor can do, so callers ask for a capability, never a name.
    connector: type[Any]
    #: "store": a store's POS; "organization": one of the organization's (loyalty sources, SMS gateways).
    scope: str = "store"
    #: An organization connects it once per account it holds (a loyalty program reads several Flourish companies,
    #: one credential each): the console always offers one more.
    several: bool = False
    #: The vendor calls us at a URL the merchant gives it (an SMS gateway's replies): the view shows that path.
    receives_calls: bool = False
    #: What the vendor presents when it calls us with these credentials (hashed and stored to recognise it).
    caller_identity: Callable[[Mapping[str, Any]], str] | None = None
    #: The setting that says where stock is read (a facility, a location, a list of areas): nothing is
    #: scheduled until it is set, and it must be one of what the credentials can see.
    choice: str | None = "location_id"
    #: The flows it runs on a schedule once a location is chosen (``reconcile`` daily: flows/reconcile/).
    scheduled_flows: tuple[str, ...] = ("menu_sync", "order_status", "reconcile")
    #: Warnings beside fields, over the vendor model's own (``json_schema_extra={"warning": ...}``): what a
    #: vendor's guide warns of for a setting, written where the console and ``GET /vendors`` both read it.
    warnings: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    #: A warning for the connection as a whole, shown before any of its settings.
    caution: str | None = None
    #: For a store's POS: its settings (validated) as the store's switches flows read (``Options``), for a flow or
    #: a page that has the stored settings but builds no connector.
    options: Callable[[Any], Options] | None = None
    #: For a loyalty source: its settings (validated) in the program's words.
    loyalty_options: Callable[[Any], LoyaltyOptions] | None = None
    #: For a wholesale marketplace: its settings (validated) in the bridge's words.
    wholesale_options: Callable[[Any], WholesaleOptions] | None = None
    #: For a wholesale marketplace: which of its settings holds each of those options (a form's field names).
    option_settings: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    #: The vendor's own name where ``title`` also says which of its products this is (the loyalty source titled
    #: "Flourish (loyalty)" is the merchant's Flourish): what the console says for "the vendor's system".
    short_title: str | None = None

    @property
    def system(self) -> str:
        """The vendor's system as a merchant names it ("change them in Flourish")."""
        return self.short_title or self.title

    @property
    def traits(self) -> Traits:
        return cast(Traits, self.connector.traits)

    def build(self, credentials: Any, settings: Any) -> Connector:
        return cast(Connector, self.connector(credentials, settings))

    def does(self, capability: type) -> bool:
        """Whether this vendor's connector implements a capability protocol (``connectors/base.py``)."""
        return issubclass(self.connector, capability)

    def warning(self, model: type[BaseModel], name: str) -> str | None:
        """The warning a field of ``model`` (this vendor's credentials or settings) carries, if any."""
        if name in self.warnings:
            return self.warnings[name]
        info = model.model_fields.get(name)
        extra = info.json_schema_extra if info is not None else None
        return str(extra["warning"]) if isinstance(extra, dict) and "warning" in extra else None


VENDORS: Mapping[str, VendorSpec] = {
    "flourish": VendorSpec(
        name="flourish",
        title="Flourish",
        credentials=FlourishCredentials,
        settings=FlourishSettings,
        options=FlourishSettings.options,
        connector=FlourishConnector,
        choice="facility_id",
        receives_calls=True,  # webhooks, for the wholesale bridge
    ),
    "flowhub": VendorSpec(
        name="flowhub",
        title="Flowhub",
        credentials=FlowhubCredentials,
        settings=FlowhubSettings,
        options=FlowhubSettings.options,
        connector=FlowhubConnector,
    ),
    "alleaves": VendorSpec(
        name="alleaves",
        title="Alleaves",
        credentials=AlleavesCredentials,
        settings=AlleavesSettings,
        options=AlleavesSettings.options,
        connector=AlleavesConnector,
        choice="area_ids",
    ),
    "flourish_loyalty": VendorSpec(
        name="flourish_loyalty",
        title="Flourish (loyalty)",
        short_title="Flourish",
        credentials=FlourishCredentials,
        settings=FlourishLoyaltySettings,
        loyalty_options=FlourishLoyaltySettings.loyalty_options,
        connector=FlourishLoyaltyConnector,
        scope="organization",
        several=True,
        choice=None,
        scheduled_flows=("loyalty_pull", "reconcile"),
        # Flourish's POS asks for rewards with the same username and key (HTTP Basic).
        caller_identity=lambda c: f"{c['username']}:{c['api_key']}",
        # Seed 002 (AIQ's "Connect Flourish" guide): username, key and the age-gate box are the minimum; "Do not
        # touch any other settings in this card without consulting an Onboarding Specialist [...] This could
        # automatically begin sending out SMS opt in requests or auto-enrolling loyalty shoppers."
        caution=(
            "Username, key and the age-gate box are all a connection needs. Change other settings only when you "
            "mean to: together with the program's opt-in and enrolment dates they can start sending SMS opt-in "
            "requests or enrol shoppers in loyalty automatically."
        ),
        warnings=MappingProxyType(
            {
                # Seed 002, "Use AIQ's last backup": "Do not turn this on unless you are switching POS systems and
                # want to retain existing data."
                "use_last_backup": (
                    "Only for switching POS systems, to keep the data you have: Flourish is not called again, so "
                    "profile and points changes made in it stop reaching the program."
                ),
            }
        ),
    ),
    "sms": VendorSpec(
        name="sms",
        title="SMS gateway",
        credentials=SmsCredentials,
        settings=SmsSettings,
        connector=SmsGatewayConnector,
        scope="organization",
        choice=None,
        scheduled_flows=("sms_opt_in",),
        receives_calls=True,
    ),
    "leaflink": VendorSpec(
        name="leaflink",
        title="LeafLink",
        credentials=LeafLinkCredentials,
        settings=LeafLinkSettings,
        connector=LeafLinkConnector,
        scope="organization",
        choice=None,
        scheduled_flows=("wholesale_sync", "reconcile"),
        receives_calls=True,
        wholesale_options=lambda settings: settings.wholesale_options(),
        option_settings=OPTION_SETTINGS,
    ),
}

#: A store's POS vendors, and the organization-wide ones (loyalty sources, SMS gateways, marketplaces), by name.
STORE_VENDORS = tuple(name for name, spec in VENDORS.items() if spec.scope == "store")
ORGANIZATION_VENDORS = tuple(sorted(name for name, spec in VENDORS.items() if spec.scope == "organization"))

#: The organization's loyalty sources (they read shoppers and sales) and SMS gateways (they send texts), found by
#: what their connectors do: flows, the API and the console ask for these, never for a vendor's name.
LOYALTY_SOURCES = tuple(
    name for name, spec in VENDORS.items() if spec.scope == "organization" and spec.does(ShopperSource)
)
SMS_GATEWAYS = tuple(name for name, spec in VENDORS.items() if spec.scope == "organization" and spec.does(SmsGateway))

#: Vendors that are the marketplace side of a wholesale bridge (organization-wide links).
MARKETS: tuple[str, ...] = tuple(name for name, spec in VENDORS.items() if spec.wholesale_options is not None)

#: POS vendors that can supply a wholesale bridge, and how to build that side from a store's connection.
SUPPLIERS: Mapping[str, Callable[[Mapping[str, Any], Mapping[str, Any]], WholesaleSupplier]] = {
    "flourish": lambda credentials, settings: FlourishSupplier(
        FlourishCredentials.model_validate(credentials), FlourishSettings.model_validate(settings)
    ),
}


class UnknownVendor(KeyError):
    pass


def pos_options(name: str, settings: Mapping[str, Any]) -> Options:
    """A store connection's stored settings as the store's switches, typed by its vendor's model (defaults
    included): what its connector's ``options`` would be. A vendor that is no POS has none of them on."""
    spec = vendor(name)
    return Options() if spec.options is None else spec.options(spec.settings.model_validate(settings))


def loyalty_options(name: str, settings: Mapping[str, Any]) -> LoyaltyOptions:
    """A loyalty source's stored settings, typed by its vendor's model (defaults included)."""
    spec = vendor(name)
    if spec.loyalty_options is None:
        raise UnknownVendor(f"{name!r} is not a loyalty source")
    return spec.loyalty_options(spec.settings.model_validate(settings))


def wholesale_options(name: str, settings: Mapping[str, Any]) -> WholesaleOptions:
    """A wholesale marketplace link's stored settings, typed by its vendor's model (defaults included)."""
    spec = vendor(name)
    if spec.wholesale_options is None:
        raise UnknownVendor(f"{name!r} is not a wholesale marketplace")
    return spec.wholesale_options(spec.settings.model_validate(settings))


def vendor(name: str) -> VendorSpec:
    try:
        return VENDORS[name]
    except KeyError:
        raise UnknownVendor(f"unknown vendor {name!r}; known: {', '.join(sorted(VENDORS))}") from None


def spoken(names: Iterable[str], *, system: bool = False) -> str:
    """Vendors' display names as a sentence says them, each once ("Flourish, Flowhub or Alleaves"); with
    ``system``, the vendors' own names rather than their products' titles."""
    said = list(dict.fromkeys(vendor(name).system if system else vendor(name).title for name in names))
    return f"{', '.join(said[:-1])} or {said[-1]}" if len(said) > 1 else "".join(said)


def build_connector(name: str, credentials: Mapping[str, Any], settings: Mapping[str, Any]) -> Connector:
    """A connector from stored (decrypted) credentials and settings, validated by the vendor's own models."""
    spec = vendor(name)
    return spec.build(spec.credentials.model_validate(credentials), spec.settings.model_validate(settings))
