"""The LeafLink sandbox's stored records and what every resource shares: the lock, the clock, the seeded data,
reserved quantities, the rate window and the webhook outbox.

Choices where LeafLink's public material is silent
--------------------------------------------------
Each is a guess kept easy to change (numbered across the sandbox; the others are beside the code they govern).

4. ``reserved_qty`` counts Submitted and Accepted only (the schema's description); Backorder and Draft
   lines reserve nothing; fulfilment does not take stock off ``quantity``.
"""

from __future__ import annotations

import random
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from cannasync.sandboxes._kit import faults as _faults
from cannasync.sandboxes._kit.gateway import RequestCounts
from cannasync.sandboxes._kit.limits import RollingWindow
from cannasync.sandboxes._kit.values import now
from cannasync.sandboxes.leaflink.catalog import (
    BRANDS,
    BUYERS,
    COMPANIES,
    CUSTOMERS,
    STAFF,
    SeedOrder,
    generate_catalogue,
)
from cannasync.sandboxes.leaflink.errors import detail
from cannasync.sandboxes.leaflink.gateway import DEFAULT_API_KEYS
from cannasync.sandboxes.leaflink.states import RESERVING
from cannasync.sandboxes.leaflink.values import ZERO, stamp
from cannasync.sandboxes.leaflink.webhooks import Outbox

JSON = dict[str, Any]

RATE_WINDOW_SECONDS = 60.0
DEFAULT_WEBHOOK_KEY = "ll-demo-webhook-key"
FIRST_NEW_PRODUCT_ID = 90001


def _per_minute(value: object) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise detail(422, "per_minute must be an integer >= 1, or null to disable the limit")
    return value


@dataclass
class Line:
    """A line item as stored (the wire form is built by ``records.Records._line_json``)."""

    id: int
    product_id: int
    quantity: Decimal
    ordered_unit_price: Decimal
    sale_price: Decimal
    notes: str | None = None
    is_sample: bool = False
    is_packed: bool = False
    packed_at: datetime | None = None
    packed_by: int | None = None
    position: int | None = None
    batch: int | None = None

    @property
    def price(self) -> Decimal:
        return self.sale_price if self.sale_price > 0 else self.ordered_unit_price


class Store:
    """The sandbox's in-memory state: companies, brands, staff, customers, products, orders, webhooks,
    faults, rate-limit windows and request counts.

    Every public method takes ``lock`` because uvicorn may serve from several threads and tests read the
    state directly. Records are serialised to wire JSON while the lock is held, so what a method returns is
    the caller's own copy. Each resource's reads and writes are a mixin of this class (``products.py``,
    ``orders.py`` …); ``sandbox.LeafLinkSandbox`` puts them together.
    """

    def __init__(
        self,
        *,
        seed: int = 1,
        products: int = 40,
        api_keys: Mapping[str, int] = DEFAULT_API_KEYS,
        webhook_url: str | None = None,
        webhook_key: str = DEFAULT_WEBHOOK_KEY,
        rate_limit_per_minute: int | None = 300,
        as_of: datetime | None = None,
    ) -> None:
        self.lock = threading.Lock()
        self.seed = seed
        moment = as_of or now()
        self.as_of = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
        self._clock = self.as_of
        self._rng = random.Random(f"leaflink-runtime-{seed}")
        self.companies: dict[int, JSON] = {
            cid: {
                "id": cid,
                "name": name,
                "slug": slug,
                "facility_id": facility,
                "webhook_url": webhook_url,
                "webhook_key": webhook_key,
                "license": {
                    "id": 2600 + cid,
                    "number": f"PR-00{cid}47",
                    "type": "Recreational",
                    "display_type": "Adult Use",
                    "classification": "Processor",
                },
            }
            for cid, name, slug, facility in COMPANIES
        }
        # A key belongs to a seller company or to a retailer (a buyer partner id, BUYERS): retailers only get
        # ``GET /buyer/orders/`` (vendor-apis.md §4, /legacy/v2/retailers/api/); see buyer_orders.py.
        unknown = set(api_keys.values()) - set(self.companies) - {buyer[0] for buyer in BUYERS}
        if unknown:
            raise ValueError(f"api_keys name unknown companies: {sorted(unknown)}")
        self.api_keys: dict[str, int] = dict(api_keys)
        self.rate = RollingWindow(_per_minute(rate_limit_per_minute), RATE_WINDOW_SECONDS)
        self.brands: dict[int, JSON] = {
            bid: {
                "id": bid,
                "name": name,
                "company": cid,
                "description": f"{name}, a {self.companies[cid]['name']} brand.",
                "image": f"https://images.leaflink.example/brands/{bid}/logo.png",
                "banner": f"https://images.leaflink.example/brands/{bid}/banner.png",
            }
            for bid, cid, name, _ in BRANDS
        }
        self.staff: dict[int, JSON] = {
            sid: {
                "id": sid,
                "user": 9000 + sid,
                "company": cid,
                "is_admin": sid % 100 == 1,
                "is_active": True,
                "is_poc": sid % 100 == 1,
                "email": email,
                "phone": f"616555{sid:04d}",
                "identification_number": f"EMP-{sid}",
                "display_name": f"{first} {last}",
                "username": f"{first}.{last}".lower(),
            }
            for sid, cid, first, last, email in STAFF
        }
        self._buyers: dict[int, tuple[int, str, str, str, str, str, str, str, str]] = {b[0]: b for b in BUYERS}
        self._customers: dict[int, JSON] = {}
        for index, (customer_id, owner, partner) in enumerate(CUSTOMERS):
            default_term = {1003: "cod", 1005: "prepay", 2002: "net15"}.get(customer_id, "net30")
            created = self.as_of - timedelta(days=400 - index * 7)
            self._customers[customer_id] = self._new_customer(
                customer_id, owner, partner, default_term, created, delinquent=customer_id == 1007
            )
        catalogue = generate_catalogue(seed, products, self.as_of)
        self._products: dict[int, JSON] = {p["id"]: p for p in catalogue.products}
        self._next_product = FIRST_NEW_PRODUCT_ID
        self._next_customer = {cid: cid * 1000 + 101 for cid in self.companies}
        self._next_partner = 5101
        self._orders: dict[str, JSON] = {}
        self._line_orders: dict[int, str] = {}
        self._next_line = 700001
        self._reserved: dict[int, Decimal] = {}
        for seeded in catalogue.orders:
            self._seed_order(seeded)
        self._reindex()
        self.faults = _faults.Faults()
        self.requests = RequestCounts()
        self._outbox = Outbox(self.lock)

    # -- building records --------------------------------------------------------------------------

    def _new_customer(
        self, customer_id: int, owner: int, partner: int, default_term: str, created: datetime, *, delinquent: bool
    ) -> JSON:
        _, name, nickname, license_number, address, city, zipcode, email, phone = self._buyers[partner]
        return {
            "id": customer_id,
            "owner": owner,
            "partner": partner,
            "name": name,
            "nickname": nickname,
            "license_number": license_number,
            "address": address,
            "city": city,
            "zipcode": zipcode,
            "state": "MI",
            "email": email,
            "phone": phone,
            "delinquent": delinquent,
            "default_term": default_term,
            "managers": [sid for sid, staff in self.staff.items() if staff["company"] == owner][:1],
            "created_on": created,
            "modified": created,
        }

    def _tick(self) -> datetime:
        """Now, but strictly after every timestamp handed out so far."""
        moment = max(now(), self._clock + timedelta(microseconds=1))
        self._clock = moment
        return moment

    def _new_line(self, product_id: int, quantity: Decimal, price: Decimal, sale: Decimal = ZERO, **extra: Any) -> Line:
        line = Line(self._next_line, product_id, quantity, price, sale, **extra)
        self._next_line += 1
        return line

    def _seed_order(self, seeded: SeedOrder) -> None:
        customer = self._customers[seeded.customer_id]
        lines = [self._new_line(line.product_id, line.quantity, line.unit_price) for line in seeded.lines]
        for position, line in enumerate(lines, start=1):
            line.position = position
        order = self._order_record(
            number=seeded.number,
            company_id=seeded.company_id,
            customer_id=seeded.customer_id,
            status=seeded.status,
            lines=lines,
            sales_rep_ids=seeded.sales_rep_ids,
            term_code=seeded.payment_term_code,
            user=customer["email"] if seeded.status in ("Draft", "Submitted") else self._ui_user(seeded.company_id),
            manual=False,
            created=seeded.created_on,
        )
        order["modified"] = seeded.modified
        order["external_id_seller"] = seeded.external_id_seller
        order["notes"] = seeded.notes
        if seeded.status in ("Shipped", "Complete"):
            order["ship_date"] = seeded.modified
        if seeded.status == "Complete":
            order["paid"], order["paid_date"] = True, seeded.modified.date().isoformat()
        self._store_order(order)

    def _order_record(
        self,
        *,
        number: str,
        company_id: int,
        customer_id: int,
        status: str,
        lines: list[Line],
        sales_rep_ids: list[int],
        term_code: str | None,
        user: str,
        manual: bool,
        created: datetime,
    ) -> JSON:
        return {
            "number": number,
            "company_id": company_id,
            "customer_id": customer_id,
            "status": status,
            "lines": lines,
            "sales_rep_ids": list(sales_rep_ids),
            "term_code": term_code,
            "user": user,
            "manual": manual,
            "created_on": created,
            "modified": created,
            "external_id_seller": None,
            "external_id_buyer": None,
            "ext_acct_id": None,
            "external_ids": {},
            "discount": ZERO,
            "discount_type": "%",
            "tax_amount": ZERO,
            "tax_type": "%",
            "shipping": ZERO,
            "payment_due_date": None,
            "paid": False,
            "paid_date": None,
            "ship_date": None,
            "shipping_details": None,
            "notes": "",
            "internal_notes": None,
            "delivery_preferences": "",
            "classification": "Adult Use",
            "delivery_provider": None,
            "delivery_info": None,
            "is_combination": False,
        }

    def _store_order(self, order: JSON) -> None:
        self._orders[order["number"]] = order
        for line in order["lines"]:
            self._line_orders[line.id] = order["number"]

    def _reindex(self) -> None:
        reserved: dict[int, Decimal] = {}
        for order in self._orders.values():
            if order["status"] in RESERVING:
                for line in order["lines"]:
                    reserved[line.product_id] = reserved.get(line.product_id, ZERO) + line.quantity
        self._reserved = reserved

    def _ui_user(self, company_id: int) -> str:
        first = min(sid for sid, staff in self.staff.items() if staff["company"] == company_id)
        return str(self.staff[first]["username"])

    def api_user(self, company_id: int) -> str:
        """The ``user`` written on orders changed through the API with this company's key."""
        return f"{self.companies[company_id]['slug']}.api"

    # -- rate limit --------------------------------------------------------------------------------

    @property
    def rate_limit_per_minute(self) -> int | None:
        return self.rate.allowance

    def admit(self, key: str, now: float | None = None) -> int | None:
        """None if one more request fits the key's rolling minute (and count it), else the Retry-After."""
        return self.rate.admit(key, now)

    def set_rate_limit(self, per_minute: int | None) -> None:
        self.rate.set(_per_minute(per_minute))

    # -- webhooks ------------------------------------------------------------------------------------

    def _emit(self, company_id: int, event: str, data: JSON) -> None:
        """Queue a webhook (lock held); nothing when the company has no webhook URL."""
        company = self.companies[company_id]
        url = company["webhook_url"]
        if not url:
            return
        self._outbox.queue(url, company["webhook_key"], company_id, event, stamp(self._tick()), data)

    @property
    def webhook_log(self) -> list[JSON]:
        """Every webhook attempt so far, in sending order."""
        return self._outbox.log()

    def clear_webhook_log(self) -> None:
        self._outbox.clear()

    def wait_for_webhooks(self, timeout: float = 5.0) -> bool:
        """Wait until every webhook queued so far has been attempted; False on timeout."""
        return self._outbox.wait(timeout)

    def configure(self, body: JSON) -> list[JSON]:
        """``POST /_sandbox/config``: webhook URL (and key) of one company or all."""
        url = body.get("webhook_url")
        if url is not None and (not isinstance(url, str) or not re.match(r"^https?://[^\s/]+", url)):
            raise detail(422, "webhook_url must be an http(s) URL or null")
        key = body.get("webhook_key")
        if key is not None and (not isinstance(key, str) or not key):
            raise detail(422, "webhook_key must be a non-empty string")
        company_id = body.get("company_id")
        with self.lock:
            if company_id is not None and company_id not in self.companies:
                raise detail(422, f"Unknown company_id {company_id!r}")
            for cid, company in self.companies.items():
                if company_id is None or cid == company_id:
                    if "webhook_url" in body:
                        company["webhook_url"] = url
                    if key is not None:
                        company["webhook_key"] = key
        return self.config()

    def config(self) -> list[JSON]:
        with self.lock:
            return [
                {"company_id": cid, "webhook_url": c["webhook_url"], "webhook_key": c["webhook_key"]}
                for cid, c in self.companies.items()
            ]
