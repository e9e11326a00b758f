"""The schema. Money is integer cents; quantities are integers; every timestamp is UTC.

Holds are kept twice on purpose: a row per order line (what is held, for whom, released when), and a running
``held_quantity`` on the product that a conditional UPDATE checks and moves, so a checkout can never take more
than is available even under concurrent requests, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from cannasync.store.types import UTCDateTime, utcnow

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Id = BigInteger().with_variant(Integer(), "sqlite")  # SQLite only autoincrements INTEGER PRIMARY KEY


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime(), dict[str, Any]: JSON(), list[Any]: JSON()}
    # Every mapped class here is one table (no inheritance or mapping to a select): Core statements take it as such.
    __table__: ClassVar[Table]


class Organization(Base):
    __tablename__ = "organizations"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiToken(Base):
    """Bearer tokens are stored as SHA-256 digests: a database leak does not leak working tokens."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Store(Base):
    """A dispensary location that sells online."""

    __tablename__ = "stores"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="America/Los_Angeles")
    #: Whether a person chose the time zone; until then the POS location's own may set it.
    timezone_chosen: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    randomized_order_numbers: Mapped[bool] = mapped_column(Boolean, default=False)
    last_order_sequence: Mapped[int] = mapped_column(Integer, default=1000)
    #: {line1, line2, city, state, postcode}; ``state`` (two letters) picks the purchase-limit table.
    address: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    phone: Mapped[str | None] = mapped_column(String(20), default=None)
    #: Weekday ("mon" … "sun") → {"open": "09:00", "close": "21:00"}; a day left out is closed.
    hours: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    pickup_enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    delivery_enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    delivery_fee_cents: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    delivery_minimum_cents: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: {"adult_use": {limit key: amount}, "medical": {...}}: the store's own limits instead of the state's.
    limit_overrides: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    #: Whether shoppers are told of their orders by text (the organization's SMS gateway) and by e-mail (its SMTP
    #: server): off until the store turns them on, since each text costs it money.
    order_sms_enabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    order_email_enabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CategoryMapping(Base):
    """The store's category table: a POS category name → the category the menu shows."""

    __tablename__ = "category_mappings"
    __table_args__ = (UniqueConstraint("store_id", "pos_category"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    pos_category: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(200))


class Integration(Base):
    """A connection to a vendor: encrypted credentials, typed settings (JSON, validated by the vendor's model).

    A POS connection belongs to a store (store × vendor, one each); an organization-wide one (a loyalty source,
    an SMS gateway) has no store, and an organization may have several.
    """

    __tablename__ = "integrations"
    __table_args__ = (UniqueConstraint("store_id", "vendor"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    #: SHA-256 of the vendor's own credential, for vendors that call us with it (a POS asking for rewards).
    credential_digest: Mapped[str | None] = mapped_column(String(64), index=True, default=None)
    #: Where incremental reads left off (cursors, when a setting was switched on): the hub's, not the vendor's.
    sync_state: Mapped[dict[str, Any]] = mapped_column(default=dict)
    vendor: Mapped[str] = mapped_column(String(40))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    credentials: Mapped[bytes] = mapped_column(LargeBinary)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: The secret part of the URL a vendor posts status changes to (vendors that push send no signature).
    webhook_token: Mapped[str | None] = mapped_column(String(64), default=None)
    #: The last account check (``flows.doctor``): its report, which carries no credential, for the console.
    last_check: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    #: What the vendor last said about the credential itself: "refused" (401/403) or "paused" (a Retry-After
    #: longer than we wait through, until ``credential_until``); None once a call succeeds again. Health shows it.
    credential_problem: Mapped[str | None] = mapped_column(String(20), default=None)
    credential_note: Mapped[str | None] = mapped_column(Text, default=None)
    credential_until: Mapped[datetime | None] = mapped_column(default=None)
    credential_noted_at: Mapped[datetime | None] = mapped_column(default=None)
    #: When the vendor last pushed us an order status (a webhook or a postback): while it does, its open orders
    #: are polled at the usual pace only, as a safety net (``flows.order_status``).
    status_pushed_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    store: Mapped[Store | None] = relationship(lazy="joined")


class Schedule(Base):
    """When a flow of an integration runs next, and who holds it now (a lease, so runs never overlap)."""

    __tablename__ = "schedules"
    __table_args__ = (UniqueConstraint("integration_id", "flow"), Index("ix_schedules_due", "next_run_at"))
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"))
    flow: Mapped[str] = mapped_column(String(40))
    interval_seconds: Mapped[int] = mapped_column(Integer)
    next_run_at: Mapped[datetime | None] = mapped_column(default=None)
    leased_until: Mapped[datetime | None] = mapped_column(default=None)
    lease_owner: Mapped[str | None] = mapped_column(String(100), default=None)
    #: The run the lease is held for: only that run may renew or release it, and a takeover fails it.
    lease_run_id: Mapped[int | None] = mapped_column(Id, default=None)
    last_run_id: Mapped[int | None] = mapped_column(default=None)
    #: A run was asked for while the lease was held: one more run follows when it is let go (however many asked).
    follow_up: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: An operator paused this flow (Health's Pause): no scheduled run is claimed until it is resumed.
    paused_at: Mapped[datetime | None] = mapped_column(default=None)


class SyncRun(Base):
    """Every run of every flow: when, how it ended, and what it did."""

    __tablename__ = "sync_runs"
    __table_args__ = (Index("ix_sync_runs_integration_flow", "integration_id", "flow", "id"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"))
    flow: Mapped[str] = mapped_column(String(40))
    trigger: Mapped[str] = mapped_column(String(20), default="schedule")
    status: Mapped[str] = mapped_column(String(20), default="queued")  # queued, running, succeeded, failed
    queued_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    complete_read: Mapped[bool] = mapped_column(Boolean, default=False)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    seen: Mapped[int] = mapped_column(Integer, default=0)
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    #: Where a paged read got to (the connector's cursor and the pages written), so a takeover can resume.
    checkpoint: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    #: The vendor calls the run made (``connectors.http.CallLog``): method, path without query, status, time.
    calls: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)


class QuarantinedRecord(Base):
    """A vendor record that could not be mapped: kept with its payload and reason until fixed or replayed."""

    __tablename__ = "quarantine"
    __table_args__ = (UniqueConstraint("integration_id", "kind", "external_id"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    external_id: Mapped[str] = mapped_column(String(200))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("sync_runs.id", ondelete="SET NULL"))
    payload: Mapped[dict[str, Any]] = mapped_column()
    reason: Mapped[str] = mapped_column(Text)
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)


class Binding(Base):
    """(integration, kind, external id) ↔ internal id, unique both ways (DESIGN.md, "bindings")."""

    __tablename__ = "bindings"
    __table_args__ = (
        UniqueConstraint("integration_id", "kind", "external_id", name="uq_bindings_external"),
        UniqueConstraint("integration_id", "kind", "internal_id", name="uq_bindings_internal"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    external_id: Mapped[str] = mapped_column(String(200))
    internal_id: Mapped[int] = mapped_column(Id)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (
        Index("ix_products_store_visible", "store_id", "visible"),
        Index("ix_products_store_variant", "store_id", "variant_key", "visible"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(300))
    brand: Mapped[str | None] = mapped_column(String(200))
    pos_category: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(200))
    subcategory: Mapped[str | None] = mapped_column(String(200))
    strain_type: Mapped[str | None] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(Text, default="")
    sku: Mapped[str | None] = mapped_column(String(200))
    images: Mapped[list[Any]] = mapped_column(default=list)
    images_fetched_at: Mapped[datetime | None] = mapped_column(default=None)
    cannabinoids: Mapped[list[Any]] = mapped_column(default=list)
    terpenes: Mapped[list[Any]] = mapped_column(default=list)
    rec_price_cents: Mapped[int | None] = mapped_column(Integer)
    med_price_cents: Mapped[int | None] = mapped_column(Integer)
    price_tiers: Mapped[list[Any]] = mapped_column(default=list)
    #: The POS's top-level category (domain Product.base_category), which purchase limits read.
    base_category: Mapped[str | None] = mapped_column(String(200), default=None)
    #: One unit's net weight (a decimal as text) in ``net_weight_unit`` ("g" or "ml"), as the POS gives it.
    net_weight: Mapped[str | None] = mapped_column(String(40), default=None)
    net_weight_unit: Mapped[str | None] = mapped_column(String(4), default=None)
    #: What sizes of one product share (domain.variants.variant_key): the menu shows them as one card.
    variant_key: Mapped[str | None] = mapped_column(String(32), default=None)
    pos_quantity: Mapped[int] = mapped_column(Integer, default=0)
    held_quantity: Mapped[int] = mapped_column(Integer, default=0)
    visible: Mapped[bool] = mapped_column(Boolean, default=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    last_seen_run_id: Mapped[int | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Customer(Base):
    __tablename__ = "customers"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"), index=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    date_of_birth: Mapped[str | None] = mapped_column(String(10))
    phone: Mapped[str | None] = mapped_column(String(20), index=True)
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    medical_id: Mapped[str | None] = mapped_column(String(100))
    medical_id_expiration: Mapped[str | None] = mapped_column(String(10), default=None)
    needs_id_verification: Mapped[bool] = mapped_column(Boolean, default=False)
    #: When we last sent the POS a create for this shopper that had not been bound yet: its outcome may be
    #: unknown (a timeout), so the next create first looks for the record by name and date of birth.
    pos_create_started_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("store_id", "number", name="uq_orders_store_number"),
        UniqueConstraint("store_id", "idempotency_key", name="uq_orders_store_idempotency_key"),
        Index("ix_orders_store_status", "store_id", "status"),
        Index("ix_orders_page_key", "page_key", unique=True),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    integration_id: Mapped[int | None] = mapped_column(ForeignKey("integrations.id", ondelete="SET NULL"))
    number: Mapped[str] = mapped_column(String(40))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    request_digest: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(40), default="pending")
    fulfillment: Mapped[str] = mapped_column(String(20))
    is_medical: Mapped[bool] = mapped_column(Boolean, default=False)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    #: The contact details typed with this order (``store.orders.contact_record``); what the order shows and
    #: what the POS receives. The customer row is only the key later orders are matched by.
    contact: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    subtotal_cents: Mapped[int] = mapped_column(Integer)
    discount_cents: Mapped[int] = mapped_column(Integer)
    fees_cents: Mapped[int] = mapped_column(Integer)
    total_cents: Mapped[int] = mapped_column(Integer)
    fees: Mapped[list[Any]] = mapped_column(default=list)
    notes: Mapped[str] = mapped_column(Text, default="")
    delivery_address: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    window_start: Mapped[datetime | None] = mapped_column(default=None)
    window_end: Mapped[datetime | None] = mapped_column(default=None)
    pos_order_id: Mapped[str | None] = mapped_column(String(100))
    pos_status: Mapped[str | None] = mapped_column(String(60))
    push_error: Mapped[str | None] = mapped_column(Text)
    # What the POS keeps as our reference for the order, fixed at its first push: the store id and the number,
    # unique across every store, since two stores can share one POS facility and each numbers its own orders.
    # Not a unique constraint: orders whose push was under way before 0009 keep the bare number they were sent
    # with (two stores may share one), and the push matches an order's content before adopting it anyway.
    push_reference: Mapped[str | None] = mapped_column(String(80))
    # A task for staff the hub cannot do itself (e.g. cancel a live POS order the API cannot cancel); None = none.
    attention: Mapped[str | None] = mapped_column(Text)
    keep_holding: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The random last part of the shopper's order page address (``/shop/<store>/orders/<page_key>``): the link in
    #: the order's messages, and what the order lookup leads to. None only for a row written before 0016.
    page_key: Mapped[str | None] = mapped_column(String(64), default=None)
    placed_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    customer: Mapped[Customer] = relationship(lazy="joined")
    lines: Mapped[list[OrderLine]] = relationship(order_by="OrderLine.position", cascade="all, delete-orphan")
    offers: Mapped[list[OrderOffer]] = relationship(order_by="OrderOffer.id", cascade="all, delete-orphan")


class OrderLine(Base):
    __tablename__ = "order_lines"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    name: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_cents: Mapped[int] = mapped_column(Integer)
    discount_cents: Mapped[int] = mapped_column(Integer, default=0)
    #: The weight tier the line was sold by (a bulk product): its label, weight (a decimal as text) and unit.
    #: ``quantity`` then counts tiers, and the POS receives ``quantity`` x ``tier_quantity`` in ``tier_unit``.
    tier_label: Mapped[str | None] = mapped_column(String(100), default=None)
    tier_quantity: Mapped[str | None] = mapped_column(String(40), default=None)
    tier_unit: Mapped[str | None] = mapped_column(String(8), default=None)


class OrderOffer(Base):
    __tablename__ = "order_offers"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(String(40))
    line_position: Mapped[int | None] = mapped_column(Integer)
    amount_cents: Mapped[int] = mapped_column(Integer)


class OrderEvent(Base):
    """The order's history: status changes applied, updates ignored (with why), pushes attempted."""

    __tablename__ = "order_events"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(40))  # status, status_ignored, push, push_failed
    source: Mapped[str] = mapped_column(String(40))  # shopper, merchant, pos, hub
    from_status: Mapped[str | None] = mapped_column(String(40))
    to_status: Mapped[str | None] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(Text, default="")


class OrderMessage(Base):
    """A message to the shopper about their order: one per order, event and channel, sent through the outbox.

    ``state`` is ``queued`` until the gateway or mail server took it (``sent``), or ``failed`` when it refused it
    for good; ``detail`` carries the cancellation reason for a ``cancelled`` message, else the last error.
    """

    __tablename__ = "order_messages"
    __table_args__ = (UniqueConstraint("order_id", "event", "channel"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(30))  # placed, confirmed, ready_for_pickup, out_for_delivery, cancelled
    channel: Mapped[str] = mapped_column(String(10))  # sms | email
    #: The phone (ten digits) or e-mail address it goes to: the order's own contact when it was queued.
    recipient: Mapped[str] = mapped_column(String(254))
    state: Mapped[str] = mapped_column(String(20), default="queued")
    detail: Mapped[str] = mapped_column(Text, default="")
    #: The SMS gateway's id for the text, or the e-mail's Message-ID.
    gateway_id: Mapped[str | None] = mapped_column(String(200), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)


class Hold(Base):
    __tablename__ = "holds"
    __table_args__ = (Index("ix_holds_open", "product_id", "released_at"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    released_at: Mapped[datetime | None] = mapped_column(default=None)
    release_reason: Mapped[str | None] = mapped_column(String(100))


class OutboxMessage(Base):
    """Every write to a vendor, recorded in the transaction that decided it, then sent (DESIGN.md, "outbox")."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "state", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    #: None for the hub's own messages (an operator notification), which belong to no vendor connection.
    integration_id: Mapped[int | None] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[int] = mapped_column(Id)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    state: Mapped[str] = mapped_column(String(20), default="pending")  # pending, sending, done, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    outcome_unknown: Mapped[bool] = mapped_column(Boolean, default=False)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    leased_until: Mapped[datetime | None] = mapped_column(default=None)
    #: The worker sending under the current lease: a second delivery of the same claim finds it taken.
    lease_owner: Mapped[str | None] = mapped_column(String(100), default=None)
    last_error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


# --- loyalty ---------------------------------------------------------------------------------------------------


class LoyaltyProgram(Base):
    """One per organization: how points are earned, and the dates that enrol shoppers and ask them to opt in."""

    __tablename__ = "loyalty_programs"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    points_per_dollar: Mapped[str] = mapped_column(String(20), default="1")
    sms_opt_in_after: Mapped[str | None] = mapped_column(String(10), default=None)
    enroll_after: Mapped[str | None] = mapped_column(String(10), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Persona(Base):
    """A shopper profile. ``sourced_from`` says where it first came from (a POS name, or Signup)."""

    __tablename__ = "personas"
    __table_args__ = (
        Index("ix_personas_phone", "program_id", "phone"),
        Index("ix_personas_email", "program_id", "email"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("loyalty_programs.id", ondelete="CASCADE"))
    first_name: Mapped[str] = mapped_column(String(100), default="")
    last_name: Mapped[str] = mapped_column(String(100), default="")
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(20))
    date_of_birth: Mapped[str | None] = mapped_column(String(10))
    state: Mapped[str | None] = mapped_column(String(2))
    favorite_store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id", ondelete="SET NULL"))
    sourced_from: Mapped[str] = mapped_column(String(40))
    enrolled_at: Mapped[datetime | None] = mapped_column(default=None)
    enrolled_via: Mapped[str | None] = mapped_column(String(60), default=None)
    #: Sales on or after this day earn points (the enrolment rule's date, or the day of a signup).
    earns_from: Mapped[str | None] = mapped_column(String(10), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class PersonaLink(Base):
    """A persona ↔ a POS customer of one loyalty source, with the hash of the profile last exchanged (no echoes)."""

    __tablename__ = "persona_links"
    __table_args__ = (
        UniqueConstraint("integration_id", "external_id", name="uq_persona_links_external"),
        UniqueConstraint("integration_id", "persona_id", name="uq_persona_links_persona"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(100))
    persona_id: Mapped[int] = mapped_column(ForeignKey("personas.id", ondelete="CASCADE"))
    profile_hash: Mapped[str] = mapped_column(String(64), default="")
    linked_at: Mapped[datetime] = mapped_column(default=utcnow)


class Consent(Base):
    """Consent per channel with its double opt-in state: pending (to ask) → requested → confirmed / declined."""

    __tablename__ = "consents"
    __table_args__ = (UniqueConstraint("persona_id", "channel"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    persona_id: Mapped[int] = mapped_column(ForeignKey("personas.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(10))
    state: Mapped[str] = mapped_column(String(20))
    via: Mapped[str] = mapped_column(String(100), default="")
    requested_at: Mapped[datetime | None] = mapped_column(default=None)
    answered_at: Mapped[datetime | None] = mapped_column(default=None)
    message_id: Mapped[str | None] = mapped_column(String(100), default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class PointsEntry(Base):
    """The ledger: every change to a balance, with its reason. Unique per (persona, kind, reference): a sale
    earns once and a redemption is charged once, however often either is seen."""

    __tablename__ = "points_ledger"
    __table_args__ = (UniqueConstraint("persona_id", "kind", "reference", name="uq_points_ledger_once"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    persona_id: Mapped[int] = mapped_column(ForeignKey("personas.id", ondelete="CASCADE"), index=True)
    points: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    reference: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(String(300))
    source: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Reward(Base):
    __tablename__ = "rewards"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("loyalty_programs.id", ondelete="CASCADE"))
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))
    value: Mapped[str] = mapped_column(String(20))
    points_cost: Mapped[int] = mapped_column(Integer)
    pos_discount_id: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Redemption(Base):
    """A reward used at the POS; ``sale_external_id`` is set when the synced sale that used it is matched."""

    __tablename__ = "redemptions"
    __table_args__ = (UniqueConstraint("integration_id", "pos_reference"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"))
    reward_id: Mapped[int] = mapped_column(ForeignKey("rewards.id", ondelete="CASCADE"))
    persona_id: Mapped[int] = mapped_column(ForeignKey("personas.id", ondelete="CASCADE"))
    pos_reference: Mapped[str] = mapped_column(String(200))
    points: Mapped[int] = mapped_column(Integer)
    sale_external_id: Mapped[str | None] = mapped_column(String(100), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LoyaltySale(Base):
    """A completed POS sale, seen once: the basis for enrolment, points, opt-in requests and redemption matching."""

    __tablename__ = "loyalty_sales"
    __table_args__ = (UniqueConstraint("integration_id", "external_id"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(100))
    persona_id: Mapped[int | None] = mapped_column(ForeignKey("personas.id", ondelete="SET NULL"), index=True)
    location_key: Mapped[str | None] = mapped_column(String(100))
    completed_at: Mapped[datetime] = mapped_column()
    total_cents: Mapped[int] = mapped_column(Integer)
    discount_ids: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StoreMapping(Base):
    """A POS location key seen in a source's data → one of the organization's stores (None: unmapped, notify)."""

    __tablename__ = "store_mappings"
    __table_args__ = (UniqueConstraint("integration_id", "location_key"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"))
    location_key: Mapped[str] = mapped_column(String(100))
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id", ondelete="SET NULL"), default=None)
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    mapped_at: Mapped[datetime | None] = mapped_column(default=None)


# --- wholesale (a POS ↔ a marketplace) --------------------------------------------------------------------------


class WholesaleProduct(Base):
    """A POS item ↔ the marketplace product the bridge made for it, with what was last sent (no echoes)."""

    __tablename__ = "wholesale_products"
    __table_args__ = (
        UniqueConstraint("integration_id", "pos_item_id", name="uq_wholesale_products_item"),
        UniqueConstraint("integration_id", "market_product_id", name="uq_wholesale_products_product"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"))
    pos_item_id: Mapped[str] = mapped_column(String(100))
    market_product_id: Mapped[str] = mapped_column(String(100))
    quantity_sent: Mapped[int | None] = mapped_column(Integer, default=None)
    description_sent: Mapped[str | None] = mapped_column(String(64), default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class WholesaleCustomer(Base):
    """A marketplace buyer ↔ the POS destination (customer) made for it, once."""

    __tablename__ = "wholesale_customers"
    __table_args__ = (UniqueConstraint("integration_id", "market_customer_id"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"))
    market_customer_id: Mapped[str] = mapped_column(String(100))
    pos_destination_id: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WholesaleOrder(Base):
    """A marketplace order ↔ its POS outbound order, both statuses (as each side names them), what was last
    exchanged, and any conflict left for a person (a transition the marketplace would not take, an unsupported
    payment term)."""

    __tablename__ = "wholesale_orders"
    __table_args__ = (UniqueConstraint("integration_id", "market_number"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"))
    market_number: Mapped[str] = mapped_column(String(100))
    pos_order_id: Mapped[str | None] = mapped_column(String(100), default=None)
    facility_id: Mapped[str | None] = mapped_column(String(100), default=None)
    market_status: Mapped[str] = mapped_column(String(40))
    pos_status: Mapped[str | None] = mapped_column(String(40), default=None)
    payment_term: Mapped[str | None] = mapped_column(String(60), default=None)
    lines_sent: Mapped[str | None] = mapped_column(String(64), default=None)
    transition_sent: Mapped[str | None] = mapped_column(String(40), default=None)
    conflict: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookReceipt(Base):
    """A webhook body already handled (by digest): vendors redeliver, and the bridge acts once."""

    __tablename__ = "webhook_receipts"
    __table_args__ = (UniqueConstraint("integration_id", "digest"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"))
    digest: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class User(Base):
    """A person who signs in to the merchant console; passwords are kept as scrypt digests with their salt."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebSession(Base):
    """A signed-in browser. The cookie holds a random token; only its digest is stored, with the session's CSRF
    token, so a database leak signs nobody in and any serve process can check any session."""

    __tablename__ = "web_sessions"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()


class SignInFailure(Base):
    """A wrong password, kept for the throttle's window: per account (the e-mail tried) and per address, so that
    guessing is slowed in every serve process alike, and an account under attack does not cost an scrypt hash a
    guess."""

    __tablename__ = "sign_in_failures"
    __table_args__ = (Index("ix_sign_in_failures_key_at", "scope", "key", "at"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    scope: Mapped[str] = mapped_column(String(10))  # "account" or "address"
    key: Mapped[str] = mapped_column(String(320))
    at: Mapped[datetime] = mapped_column(default=utcnow)


# --- reconciliation --------------------------------------------------------------------------------------------


class Drift(Base):
    """One difference a reconciliation found between the hub and a vendor, and what was done about it.

    ``ours`` and ``theirs`` are small JSON objects (a quantity, a price, a status, with what explains it); ``since``
    is when our side last changed, from the record's own history; ``repair`` is ``repaired`` (done by the run, the
    detail says how), ``needs_person`` (the detail says what to do) or ``none`` (a difference by design).
    """

    __tablename__ = "drift"
    __table_args__ = (Index("ix_drift_run", "run_id", "kind"), Index("ix_drift_integration", "integration_id", "id"))
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("sync_runs.id", ondelete="CASCADE"))
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(20))  # product, order, hold
    subject_id: Mapped[int | None] = mapped_column(Id, default=None)
    external_id: Mapped[str | None] = mapped_column(String(200), default=None)
    label: Mapped[str] = mapped_column(String(300))
    ours: Mapped[dict[str, Any]] = mapped_column(default=dict)
    theirs: Mapped[dict[str, Any]] = mapped_column(default=dict)
    since: Mapped[datetime | None] = mapped_column(default=None)
    cause: Mapped[str] = mapped_column(String(40))
    explanation: Mapped[str] = mapped_column(Text)
    repair: Mapped[str] = mapped_column(String(20))
    repair_detail: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RecordChange(Base):
    """What the hub changed on a record, and why: the run that did it (its flow and trigger say which sync, which
    webhook-triggered run, which reconciliation) or the person (``actor``), with each field's old and new value.

    Only fields a merchant asks about are kept (count, prices, listing, name), and only when they changed, so a sync
    that changes nothing writes nothing here (``store/history.py``).
    """

    __tablename__ = "record_changes"
    __table_args__ = (Index("ix_record_changes_subject", "subject", "subject_id", "id"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    subject: Mapped[str] = mapped_column(String(20))  # product
    subject_id: Mapped[int] = mapped_column(Id)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("sync_runs.id", ondelete="SET NULL"), default=None)
    actor: Mapped[str | None] = mapped_column(String(100), default=None)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict)


# --- health: intake errors, incidents and operator notifications --------------------------------------------------


class IntakeError(Base):
    """A call to one of our inbound addresses that named a connected integration and was refused (a bad signature,
    a body we cannot read): a vendor whose webhooks stop working is a problem Health shows."""

    __tablename__ = "intake_errors"
    __table_args__ = (Index("ix_intake_errors_integration_at", "integration_id", "received_at"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"))
    status: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class NotificationSettings(Base):
    """Where an organization's operators are told of incidents: e-mail over its SMTP server, and a webhook.

    The SMTP password and the webhook signing secret are sealed like vendor credentials (``secrets``)."""

    __tablename__ = "notification_settings"
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True)
    email_to: Mapped[str] = mapped_column(String(1000), default="")
    email_from: Mapped[str] = mapped_column(String(254), default="")
    smtp_host: Mapped[str] = mapped_column(String(253), default="")
    smtp_port: Mapped[int] = mapped_column(Integer, default=587)
    smtp_security: Mapped[str] = mapped_column(String(10), default="starttls")  # starttls | tls | none
    smtp_username: Mapped[str] = mapped_column(String(254), default="")
    webhook_url: Mapped[str] = mapped_column(String(2000), default="")
    secrets: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Incident(Base):
    """Something an operator is told about once: a flow that fails, an order push that keeps failing.

    ``open_key`` is the incident's key while it is open and NULL once resolved, so the unique constraint allows
    one open incident per key (NULLs never collide) and opening one is a race-safe insert (``store/once.py``)."""

    __tablename__ = "incidents"
    __table_args__ = (UniqueConstraint("organization_id", "open_key"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(200))
    open_key: Mapped[str | None] = mapped_column(String(200), default=None)
    kind: Mapped[str] = mapped_column(String(40))  # run_failed | push_failing
    title: Mapped[str] = mapped_column(String(300))
    detail: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str] = mapped_column(String(300), default="")
    failures: Mapped[int] = mapped_column(Integer, default=1)
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    escalated_at: Mapped[datetime | None] = mapped_column(default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)


class Notification(Base):
    """One message about an incident on one channel, sent through the outbox (``kind`` "notify")."""

    __tablename__ = "notifications"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    event: Mapped[str] = mapped_column(String(20))  # opened | repeated | resolved
    channel: Mapped[str] = mapped_column(String(20))  # email | webhook
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
