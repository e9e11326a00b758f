"""The capabilities flows depend on. A vendor's connector implements the ones its API supports.

Flows speak only these protocols and the domain types, so adding a POS means a new connector, not a new branch
in a flow. Behaviour that differs between vendors but is not wire format (when a hold ends, what checkout must
collect) is declared as data in :class:`Traits`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from cannasync.domain.catalog import FieldGroup, Product
from cannasync.domain.customers import CustomerDetails
from cannasync.domain.orders import Fee, Fulfillment, OrderStatus
from cannasync.domain.sync import Quarantined
from cannasync.domain.wholesale import WholesaleStatus


@dataclass(frozen=True, slots=True)
class Location:
    """A place the vendor holds stock for: a Flourish facility, a Flowhub location, an Alleaves area."""

    id: str
    name: str
    detail: str = ""
    #: Whether stock held here may be sold (an Alleaves Quarantine area may not): only those can be chosen.
    sellable: bool = True
    #: The place's own IANA time zone and state, where the vendor says them: a new store's defaults.
    timezone: str = ""
    state: str = ""


@dataclass(frozen=True, slots=True)
class MenuPage:
    """One page of a catalogue read, mapped: what became products and what was quarantined."""

    products: Sequence[Product]
    quarantined: Sequence[Quarantined] = ()
    skipped: int = 0
    #: Values read but not shown, by kind (e.g. {"terpenes": 3}): reported in the run's counts.
    left_out: Mapping[str, int] = field(default_factory=dict)


class HoldRelease(StrEnum):
    """When the hub stops holding stock for an order, because from then on the POS's own count includes it."""

    ON_CLOSE = "on_close"  # the POS counts the sale when it completes the order
    ON_PUSH = "on_push"  # the POS deducts stock as soon as the order is created in it


@dataclass(frozen=True, slots=True)
class Traits:
    hold_release: HoldRelease = HoldRelease.ON_CLOSE
    #: Checkout must collect one of these for orders the POS will receive (Flowhub: medical id or phone).
    requires_medical_id_or_phone: bool = False
    #: The POS cannot create a customer without a date of birth (Flourish), so checkout must collect it.
    requires_date_of_birth: bool = False
    #: A medical id must come with its card's expiry date (Flowhub's medExp).
    requires_medical_id_expiration: bool = False
    #: Delivery orders must say when (Alleaves takes the window's start and end).
    requires_delivery_window: bool = False
    #: The POS takes an order line of a bulk product as its weight (Alleaves: fractional grams), so the store may
    #: sell by weight tier; elsewhere a tier choice is refused at checkout, before anything is held.
    sells_weight_tiers: bool = False


@dataclass(frozen=True, slots=True)
class Options:
    """The store's switches that flows need to know, whatever the vendor."""

    sync_orders: bool = False
    require_medical_verification: bool = False
    #: Product fields the store keeps as it edited them once a product exists (unticked POS settings).
    store_owned: frozenset[FieldGroup] = frozenset()


@dataclass(frozen=True, slots=True)
class PosOrderLine:
    pos_item_id: str
    sku: str | None
    name: str
    quantity: int
    unit_price_cents: int
    discount_cents: int
    #: A line sold by a weight tier: one tier's weight and its unit ("3.5", "g"). ``quantity`` counts tiers and
    #: ``unit_price_cents`` is a tier's price; a POS that sells by weight takes ``weight()`` of its unit.
    tier_quantity: Decimal | None = None
    tier_unit: str | None = None

    def weight(self) -> Decimal:
        """What the POS receives as the quantity: the tiers' weight, or the count of a line sold by the unit."""
        return Decimal(self.quantity) if self.tier_quantity is None else self.tier_quantity * self.quantity


@dataclass(frozen=True, slots=True)
class PosOffer:
    label: str
    amount_cents: int
    pos_item_id: str | None = None


@dataclass(frozen=True, slots=True)
class Address:
    line1: str
    city: str
    state: str
    postcode: str
    line2: str = ""


@dataclass(frozen=True, slots=True)
class PosOrder:
    """An online order as a POS receives it, with the POS customer already resolved."""

    reference: str  # the customer-facing number; the POS keeps it as our external id
    customer_pos_id: str | None  # None when the POS takes the customer inline (it has no CustomerDirectory)
    customer: CustomerDetails
    fulfillment: Fulfillment
    is_medical: bool
    placed_at: datetime
    lines: Sequence[PosOrderLine]
    offers: Sequence[PosOffer] = ()
    fees: Sequence[Fee] = ()
    notes: str = ""
    delivery_address: Address | None = None
    window_start: datetime | None = None
    window_end: datetime | None = None
    total_cents: int = 0
    customer_reference: str = ""  # our customer id, for POSes that keep an external customer id
    #: Where the POS should post status changes for this order, when it can (Flowhub's postbackUrl).
    status_callback_url: str | None = None


@dataclass(frozen=True, slots=True)
class StatusReport:
    """A POS's status for one order, and what it means canonically (None: nothing to change)."""

    raw: str
    status: OrderStatus | None


@runtime_checkable
class ConnectionCheck(Protocol):
    def locations(self) -> list[Location]:
        """Check the credentials and list where stock can be read; raises AuthenticationFailed."""
        ...


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """What a read-only probe found: a sentence for a person, and the records it read that would not map."""

    summary: str
    quarantined: Sequence[Quarantined] = ()


@dataclass(frozen=True, slots=True)
class Probe:
    """One read-only check of an account beyond its locations and its menu (an account check runs it).

    ``run`` makes only reads (and authentication grants); it raises a ``VendorError`` when the check fails.
    """

    name: str
    run: Callable[[], ProbeResult]


@runtime_checkable
class AccountProbes(Protocol):
    def account_probes(self) -> Sequence[Probe]:
        """The vendor's own read-only checks: a second credential's grant, one page of its main read."""
        ...


@runtime_checkable
class InventorySource(Protocol):
    options: Options

    def menu_pages(self) -> Iterator[MenuPage]:
        """The whole sellable catalogue of the chosen location, a page at a time."""
        ...


@runtime_checkable
class ResumableInventory(Protocol):
    """A catalogue read that can start part-way: each page comes with the cursor of the read after it."""

    def menu_pages_from(self, cursor: str | None) -> Iterator[tuple[MenuPage, str | None]]:
        """Pages from ``cursor`` (None: the start), each with the cursor that resumes after it (None: no more)."""
        ...


@runtime_checkable
class ImageSource(Protocol):
    """For vendors whose image links are fetched per item and expire (Flourish's item art)."""

    image_lifetime: timedelta

    def images(self, external_id: str) -> tuple[str, ...]: ...


@runtime_checkable
class CustomerDirectory(Protocol):
    def find_by_medical_id(self, medical_id: str) -> str | None: ...

    def find_by_phone(self, phone: str) -> str | None: ...

    def find_by_email(self, email: str) -> str | None: ...

    def find_by_name_and_birth_date(self, first_name: str, last_name: str, date_of_birth: date) -> str | None:
        """The customer with exactly this name (ignoring case) and date of birth: after a create timed out, the
        only way to find a shopper who gave no phone or e-mail."""
        ...

    def create_customer(self, details: CustomerDetails, *, needs_id_verification: bool) -> str: ...


@dataclass(frozen=True, slots=True)
class PlacedOrder:
    """An order the POS holds that may be the one we sent, as far as its lookup tells (None: it does not say).

    The push compares it with ours before taking it for ours: a reference alone is not proof. ``reference`` is
    None where the POS keeps no reference of ours (Flowhub): the candidate was found by content alone, so its
    lines, customer and creation time are all that make it ours.
    """

    pos_order_id: str
    reference: str | None
    created_at: datetime | None = None
    quantities: dict[str, Decimal] | None = None  # POS item id -> quantity, lines of one item added up
    goods_cents: int | None = None  # its lines less discounts, before fees; None when the POS re-prices
    customer_pos_id: str | None = None
    customer_name: str | None = None  # as the POS shows it ("first last")


class CancelRefused(Exception):
    """The POS keeps the order: its API cannot cancel one in this state (or at all). Staff must do it there."""


@runtime_checkable
class OrderSink(Protocol):
    def find_orders(self, reference: str, placed_at: datetime) -> list[PlacedOrder]:
        """Orders the POS holds that may be ours (we may have created one before a timeout): those under our
        reference, or, where the POS keeps none, those created since the order was placed."""
        ...

    def create_order(self, order: PosOrder) -> str:
        """Create the order in the POS and return its id."""
        ...


@runtime_checkable
class OrderCanceller(Protocol):
    def cancel_order(self, pos_order_id: str) -> str:
        """Cancel the order in the POS (a no-op when it is cancelled already); returns the POS's status.

        Raises ``CancelRefused`` when the POS keeps the order (it has moved on, or its API cannot cancel).
        """
        ...


@runtime_checkable
class StatusSource(Protocol):
    def order_status(self, pos_order_id: str, fulfillment: Fulfillment) -> StatusReport: ...


@dataclass(frozen=True, slots=True)
class Postback:
    """A status change the POS pushed to us: its order id and its raw status name."""

    pos_order_id: str
    raw_status: str


class StatusMeanings(Protocol):
    def status_meaning(self, raw_status: str, fulfillment: Fulfillment) -> OrderStatus | None:
        """What a raw POS status means for an order of this fulfilment (None: nothing to change)."""
        ...


@runtime_checkable
class StatusPostbacks(StatusMeanings, Protocol):
    """For POSes that push status changes to a URL we give them (Flowhub's postbackUrl)."""

    def parse_postback(self, body: Any) -> Postback:
        """Read a postback body; raises MappingError when it is not one."""
        ...


@runtime_checkable
class StatusWebhooks(StatusMeanings, Protocol):
    """For POSes whose signed webhooks (``SignedWebhooks``) carry order status changes among other news."""

    def status_from_webhook(self, payload: Mapping[str, Any]) -> Postback | None:
        """The status change a verified webhook carries; None when it is about something else. Raises
        MappingError when it is an order's webhook without its id or status."""
        ...


class Connector(Protocol):
    vendor: str
    traits: Traits
    options: Options

    def close(self) -> None: ...


# --- loyalty ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Shopper:
    """A POS customer as the loyalty program sees it."""

    external_id: str
    first_name: str
    last_name: str
    email: str | None
    phone: str | None
    date_of_birth: date | None
    state: str | None
    location_key: str | None  # the POS location the customer belongs to (Flourish: facility)
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Sale:
    """A completed POS sale: who, where, when, how much, and which POS discounts it used."""

    external_id: str
    customer_external_id: str | None
    location_key: str | None
    completed_at: datetime
    total_cents: int
    discount_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LoyaltyOptions:
    """How a loyalty source feeds the program, read from its settings by its connector (typed, with the vendor's
    defaults in one place)."""

    #: "Use last backup" (seed 002): the source keeps what it has and is never called again, not even to check its
    #: credentials (it is switched on when the old POS stops answering).
    frozen: bool
    #: Profile changes made in the POS flow in, and signups that match nobody are created there.
    sync_personas: bool
    #: The states whose shoppers this source feeds ("sync to state"); None: every shopper, wherever they live.
    regions: frozenset[str] | None

    def reaches(self, state: str | None) -> bool:
        """Whether a shopper living in ``state`` is this source's to feed."""
        return self.regions is None or state in self.regions


@runtime_checkable
class ShopperSource(Protocol):
    """Customers and completed sales, read incrementally (each call returns what changed since ``since``)."""

    def shoppers_changed_since(self, since: datetime | None) -> Iterator[Shopper]: ...

    def sales_completed_since(self, since: datetime | None) -> Iterator[Sale]: ...


@runtime_checkable
class DiscountCatalog(Protocol):
    def discount_exists(self, discount_id: str) -> bool:
        """Whether the POS has this discount (a reward must point at a real one)."""
        ...


@dataclass(frozen=True, slots=True)
class InboundMessage:
    sender: str  # E.164
    body: str
    message_id: str


@runtime_checkable
class SmsGateway(Protocol):
    def send_sms(self, to: str, body: str, reference: str) -> str:
        """Send a text (``to`` in E.164); returns the gateway's message id."""
        ...

    def sent_with_reference(self, reference: str) -> str | None:
        """The id of a text already sent with our ``reference``, if any: asked before sending again after an
        unknown outcome, so a retry never texts twice."""
        ...

    def parse_inbound(self, raw_body: bytes, headers: Mapping[str, str]) -> InboundMessage:
        """Read and verify a reply the gateway posted to us; raises MappingError when it is not genuine."""
        ...


# --- wholesale (a POS ↔ a marketplace) -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SupplierItem:
    """A POS item offered wholesale: what the marketplace product is made from."""

    id: str
    sku: str | None
    name: str
    brand: str | None
    description: str
    quantity: int
    price_cents: int | None


@dataclass(frozen=True, slots=True)
class WholesaleLine:
    item_id: str  # the POS item (supplier side) or the marketplace product (market side)
    quantity: Decimal
    unit_price_cents: int


@dataclass(frozen=True, slots=True)
class SupplierOrder:
    id: str
    reference: str | None  # our marketplace order number
    #: The POS's own name for the status, as a pair records and shows it; ``meaning`` says what it means.
    status: str
    payment_term: str | None
    facility_id: str
    meaning: WholesaleStatus | None = None
    #: The POS's customer the order went to (the marketplace buyer, found by license or made by the create).
    destination_id: str | None = None


@dataclass(frozen=True, slots=True)
class Buyer:
    id: str
    name: str
    license_number: str | None
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class MarketOrder:
    number: str
    #: What the marketplace's status means (None: one the bridge has no word for; ``status_name`` still says it).
    status: WholesaleStatus | None
    buyer: Buyer
    lines: Sequence[WholesaleLine]
    payment_term: str | None
    sales_rep_ids: tuple[str, ...]
    #: The statuses the marketplace lets the seller move the order to now.
    available_transitions: tuple[WholesaleStatus, ...]
    short_id: str | None = None
    modified: datetime | None = None
    #: The marketplace made this order by combining others of the same buyer (they turn "combined").
    combination: bool = False
    #: The status as a pair records and shows it: the canonical value, or the marketplace's own name for a status
    #: the bridge has no word for.
    status_name: str = ""

    def __post_init__(self) -> None:
        if not self.status_name:
            object.__setattr__(self, "status_name", self.status.value if self.status else "")


@dataclass(frozen=True, slots=True)
class WholesaleOptions:
    """How a marketplace link meets its POS, read from the link's settings by its connector (typed, with the
    vendor's defaults in one place)."""

    #: The store's POS connection whose facility this link sells from.
    supplier_integration_id: int | None
    #: The POS brand names this link sells, as the merchant wrote them (an item's brand picks the link, compared
    #: case-insensitively: ``sells``).
    brands: tuple[str, ...]
    #: The POS is the source of truth for stock levels / descriptions.
    stock_from_supplier: bool
    descriptions_from_supplier: bool
    #: Marketplace statuses at which the POS order is created.
    create_on: frozenset[WholesaleStatus]
    #: A marketplace sales rep → the POS facility its orders go to.
    sales_rep_facilities: Mapping[str, str]

    def sells(self, brand: str | None) -> bool:
        """Whether an item of this brand is this link's to list."""
        return (brand or "").lower() in {name.lower() for name in self.brands}


@dataclass(frozen=True, slots=True)
class StockMoved:
    """A POS's webhook news that one item's stock changed."""

    item_id: str


@runtime_checkable
class SignedWebhooks(Protocol):
    """For vendors that sign what they post to us (their connectors check the signature)."""

    def verify_webhook(self, raw_body: bytes, headers: Mapping[str, str]) -> dict[str, Any]:
        """The payload, once its signature checks out; raises MappingError when it does not."""
        ...


@runtime_checkable
class SupplierWebhooks(Protocol):
    """For POSes whose verified webhooks carry the wholesale bridge's news (besides ``StatusWebhooks``)."""

    def stock_moved(self, payload: Mapping[str, Any]) -> StockMoved | None:
        """The item whose stock a verified webhook reports changed; None for any other news (the bridge runs)."""
        ...


@runtime_checkable
class WholesaleSupplier(Protocol):
    """The POS side of a wholesale bridge."""

    facility_id: str

    def status_meaning(self, raw_status: str) -> WholesaleStatus | None:
        """What a POS outbound order status (as a pair records it) means; None when it asks nothing."""
        ...

    def close(self) -> None: ...

    def offered_items(self) -> Iterator[SupplierItem]: ...

    def sellable(self, item_id: str) -> int:
        """One item's sellable quantity now (after a stock webhook)."""
        ...

    def create_order(
        self,
        reference: str,
        buyer: Buyer,
        facility_id: str,
        lines: Sequence[WholesaleLine],
        payment_term: str | None,
        short_id: str | None,
    ) -> SupplierOrder: ...

    def find_order(self, reference: str, facility_id: str) -> SupplierOrder | None: ...

    def order(self, order_id: str, facility_id: str) -> SupplierOrder | None: ...

    def replace_lines(
        self, order_id: str, facility_id: str, lines: Sequence[WholesaleLine], payment_term: str | None
    ) -> SupplierOrder: ...

    def cancel_order(self, order_id: str, facility_id: str) -> SupplierOrder: ...


@runtime_checkable
class WholesaleMarket(Protocol):
    """The marketplace side of a wholesale bridge."""

    wholesale_options: WholesaleOptions

    def find_product(self, sku: str | None) -> str | None: ...

    def create_product(self, item: SupplierItem, *, with_quantity: bool) -> str:
        """A new listing, Available, for the item; returns the marketplace product id."""
        ...

    def update_product(self, product_id: str, *, quantity: int | None, description: str | None) -> None:
        """Change only what is given; never the listing state the seller set."""
        ...

    def orders_changed_since(self, since: datetime | None) -> Iterator[MarketOrder]: ...

    def buyer(self, buyer_id: str) -> Buyer | None:
        """The buyer's full record (licence, contact), for making it a POS customer."""
        ...

    def order(self, number: str) -> MarketOrder | None: ...

    def transition(self, number: str, to: WholesaleStatus) -> MarketOrder:
        """Ask the marketplace to move the order to ``to`` (one of its ``available_transitions``)."""
        ...

    def set_payment_term(self, number: str, term: str) -> None: ...
