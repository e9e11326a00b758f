"""LeafLink as the marketplace of the wholesale bridge: products it lists, orders it receives, transitions."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections import Counter
from collections.abc import Iterator, Mapping
from datetime import datetime
from decimal import Decimal
from itertools import islice
from typing import Any

from cannasync.connectors import values
from cannasync.connectors.base import (
    Buyer,
    MarketOrder,
    Options,
    Probe,
    ProbeResult,
    SupplierItem,
    Traits,
    WholesaleLine,
)
from cannasync.connectors.http import ReadLimits, VendorHttp, credential_key
from cannasync.connectors.leaflink.client import PAGE, LeafLinkClient
from cannasync.connectors.leaflink.settings import LeafLinkCredentials, LeafLinkSettings
from cannasync.domain.sync import MappingError, Quarantined
from cannasync.domain.wholesale import WholesaleStatus

#: The bridge's payment-term names where LeafLink spells them differently (its legacy term table).
_LEAFLINK_TERMS = {"Cash on Delivery": "COD"}

#: LeafLink's order statuses (the ``status`` filter's values, vendor-apis.md "Orders received"; an order answers them
#: capitalised, "Accepted") → the bridge's. ``available_transitions`` names target statuses the same way.
STATUSES: dict[str, WholesaleStatus] = {
    "draft": WholesaleStatus.DRAFT,
    "submitted": WholesaleStatus.SUBMITTED,
    "backorder": WholesaleStatus.BACKORDER,
    "accepted": WholesaleStatus.ACCEPTED,
    "fulfilled": WholesaleStatus.FULFILLED,
    "shipped": WholesaleStatus.SHIPPED,
    "complete": WholesaleStatus.COMPLETE,
    "rejected": WholesaleStatus.REJECTED,
    "cancelled": WholesaleStatus.CANCELLED,
    "combined": WholesaleStatus.COMBINED,
}

#: The status a seller asks for → LeafLink's transition action (``POST /orders-received/{number}/transition/{action}/``,
#: actions submit, accept, fulfill, cancel, reject, ship, complete: vendor-apis.md "Orders received").
ACTIONS: dict[WholesaleStatus, str] = {
    WholesaleStatus.SUBMITTED: "submit",
    WholesaleStatus.ACCEPTED: "accept",
    WholesaleStatus.FULFILLED: "fulfill",
    WholesaleStatus.SHIPPED: "ship",
    WholesaleStatus.COMPLETE: "complete",
    WholesaleStatus.REJECTED: "reject",
    WholesaleStatus.CANCELLED: "cancel",
}


def _money(cents: int | None) -> dict[str, Any]:
    return {"amount": float(Decimal(cents or 0) / 100), "currency": "USD"}


def _cents(money: Any) -> int:
    amount = money.get("amount") if isinstance(money, Mapping) else money
    return values.cents(amount or 0, "price")


def _moment(text: Any) -> datetime | None:
    return values.moment(values.text(text), "modified")  # a garbled time is a MappingError naming it


def _line_price(line: Mapping[str, Any]) -> int:
    """The price the buyer pays: the sale price when there is one (LeafLink sends 0.00 when there is none)."""
    sale = _cents(line.get("sale_price"))
    return sale if sale > 0 else _cents(line.get("ordered_unit_price"))


def payment_term_of(order: Mapping[str, Any]) -> str | None:
    """The order's term: the selected payment option's, else the legacy ``payment_term`` string."""
    selected = order.get("selected_payment_option")
    if isinstance(selected, Mapping) and isinstance(selected.get("payment_term"), Mapping):
        return values.text(selected["payment_term"].get("term"))
    legacy = order.get("payment_term")
    if isinstance(legacy, Mapping):
        return values.text(legacy.get("term"))
    return values.text(legacy)


def market_order(order: Mapping[str, Any], lines: list[Mapping[str, Any]]) -> MarketOrder:
    customer = order.get("customer") if isinstance(order.get("customer"), Mapping) else {}
    assert isinstance(customer, Mapping)
    transitions = order.get("available_transitions") or []
    if isinstance(transitions, str):
        transitions = [t.strip() for t in transitions.split(",") if t.strip()]
    status = str(order.get("status") or "").lower()
    return MarketOrder(
        number=values.identifier(order.get("number"), "order number"),
        status=STATUSES.get(status),
        status_name=status,
        buyer=Buyer(
            id=values.identifier(customer.get("id"), "order customer id"),
            name=str(customer.get("display_name") or customer.get("name") or ""),
            license_number=values.text(customer.get("license_number")),
        ),
        lines=[
            WholesaleLine(
                item_id=values.identifier(line.get("product"), "line item product"),
                quantity=values.decimal(line.get("quantity"), "line item quantity"),  # a decimal string
                unit_price_cents=_line_price(line),
            )
            for line in lines
        ],
        payment_term=payment_term_of(order),
        sales_rep_ids=tuple(str(rep.get("id")) for rep in order.get("sales_reps") or [] if isinstance(rep, Mapping)),
        available_transitions=tuple(STATUSES[t] for t in (str(t).lower() for t in transitions) if t in STATUSES),
        short_id=values.text(order.get("short_id")),
        modified=_moment(order.get("modified")),
        # OrderResponse.is_combination (OpenAPI file): a boolean in LeafLink's examples, though typed a string.
        combination=order.get("is_combination") in (True, "true", "True"),
    )


class LeafLinkConnector:
    vendor = "leaflink"
    traits = Traits()

    def __init__(self, credentials: LeafLinkCredentials, settings: LeafLinkSettings) -> None:
        self.settings = settings
        self.options = Options()
        self.wholesale_options = settings.wholesale_options()
        key = credentials.api_key.get_secret_value()
        self.webhook_key = credentials.webhook_key.get_secret_value() if credentials.webhook_key else None
        self._http = VendorHttp(
            "LeafLink",
            settings.base_url,
            headers={"Authorization": f"App {key}", "User-Agent": "cannasync"},
            limiter_key=credential_key(self.vendor, key),
            requests_per_second=settings.requests_per_second,
            timeout=settings.timeout_seconds,
            limits=ReadLimits.from_settings(settings),
        )
        self._client = LeafLinkClient(self._http)
        self._brand_ids: dict[str, int] | None = None

    def close(self) -> None:
        self._http.close()

    def locations(self) -> list[Any]:
        """Prove the key works (and learn the account's brands)."""
        self._brands()
        return []

    # AccountProbes: one page of each list the bridge reads, nothing written
    def account_probes(self) -> list[Probe]:
        return [Probe("Products listed", self._products_page), Probe("Orders received", self._orders_page)]

    def _products_page(self) -> ProbeResult:
        products = list(islice(self._client.products(), PAGE))
        states = Counter(str(product.get("listing_state") or "no listing state") for product in products)
        listed = ", ".join(f"{count} {state}" for state, count in sorted(states.items()))
        return ProbeResult(f"{len(products)} on the first page" + (f" ({listed})" if listed else ""))

    def _orders_page(self) -> ProbeResult:
        """The first page of received orders, read and mapped as the wholesale sync does; an order it could not
        read is named with the reason."""
        mapped, refused = 0, []
        for order in islice(self._client.orders_modified_since(None), PAGE):
            try:
                self._with_lines(order)
                mapped += 1
            except (MappingError, KeyError, ValueError, TypeError) as error:
                reason = str(error) if isinstance(error, MappingError) else f"{type(error).__name__}: {error}"
                refused.append(Quarantined(values.text(order.get("number")), order, reason))
        return ProbeResult(f"{mapped + len(refused)} on the first page, {mapped} read as orders", refused)

    def _brands(self) -> dict[str, int]:
        if self._brand_ids is None:
            self._brand_ids = {str(b["name"]).lower(): int(b["id"]) for b in self._client.brands()}
        return self._brand_ids

    def find_product(self, sku: str | None) -> str | None:
        if not sku:
            return None
        found = self._client.products_with_sku(sku)
        return str(found[0]["id"]) if found else None

    def create_product(self, item: SupplierItem, *, with_quantity: bool) -> str:
        brand = self._brands().get((item.brand or "").lower())
        body: dict[str, Any] = {
            "name": item.name,
            "sku": item.sku or f"FLOURISH-{item.id}",
            "description": item.description,
            "listing_state": "Available",
            "wholesale_price": _money(item.price_cents),
            "retail_price": _money(item.price_cents),
            "sale_price": _money(item.price_cents),
            "unit_of_measure": "Unit",
            "inventory_management": "1",  # Managed: LeafLink counts the stock we send
            "external_ids": {"flourish": item.id},
        }
        if brand is not None:
            body["brand"] = brand
        if with_quantity:
            body["quantity"] = str(item.quantity)
        return str(self._client.create_product(body)["id"])

    def update_product(self, product_id: str, *, quantity: int | None, description: str | None) -> None:
        body: dict[str, Any] = {}
        if quantity is not None:
            body["quantity"] = str(quantity)
        if description is not None:
            body["description"] = description
        if body:
            self._client.update_product(product_id, body)

    def _with_lines(self, order: Mapping[str, Any]) -> MarketOrder:
        lines = order.get("line_items")
        if not isinstance(lines, list):
            lines = self._client.order_lines(str(order["number"]))
        return market_order(order, [line for line in lines if isinstance(line, Mapping)])

    def orders_changed_since(self, since: datetime | None) -> Iterator[MarketOrder]:
        for order in self._client.orders_modified_since(since):
            yield self._with_lines(order)

    def order(self, number: str) -> MarketOrder | None:
        found = self._client.order(number)
        return self._with_lines(found) if found else None

    def transition(self, number: str, to: WholesaleStatus) -> MarketOrder:
        action = ACTIONS.get(to)
        if action is None:
            raise MappingError(f"LeafLink has no transition to {to.value}")
        return self._with_lines(self._client.transition(number, action))

    def set_payment_term(self, number: str, term: str) -> None:
        self._client.update_order(number, {"payment_term": _LEAFLINK_TERMS.get(term, term)})

    def buyer(self, buyer_id: str) -> Buyer | None:
        found = self._client.customer(buyer_id)
        if found is None:
            return None
        return Buyer(
            id=str(found["id"]),
            name=str(found.get("nickname") or found.get("name") or ""),
            license_number=values.text(found.get("license_number")),
            email=values.text(found.get("email")),
            phone=values.text(found.get("phone")),
        )

    # SignedWebhooks: LL-Signature = base64(HMAC-SHA256(company webhook key, raw body))
    def verify_webhook(self, raw_body: bytes, headers: Mapping[str, str]) -> dict[str, Any]:
        if self.webhook_key is None:
            raise MappingError("no LeafLink webhook key is saved for this link")
        lowered = {name.lower(): value for name, value in headers.items()}
        digest = hmac.new(self.webhook_key.encode(), raw_body, hashlib.sha256).digest()
        return values.signed_json(raw_body, lowered.get("ll-signature"), base64.b64encode(digest).decode(), "LeafLink")
