"""The Flowhub sandbox's v1 sales ("orders") lists: ``/v1/orders/findByLocationId/{importId}`` and
``/v1/orders/findByCustomerId/{customerId}``, both on the API key (``auth.py``).

Facts, and where they come from (vendor-apis.md §2 "Orders / sales (v1)"; yerba-buena/flowhub-client-ts
``src/resources/orders.ts``, ``src/types/orders-api.ts`` derived from Flowhub's Swagger ``orders-api.yaml``,
``tests/fixtures/orders.fixtures.ts``, ``README.md`` and ``docs/METRICS.md``):

* The answer is ``{"total": n, "orders": [Sale, ...]}``; the query takes ``page``, ``page_size``,
  ``order_by`` (``asc``/``desc``), ``created_after`` and ``created_before``.
* The dates must be ``YYYY-MM-DD``: "a full ISO timestamp is rejected by Flowhub (``404 …must be in format
  yyyy-mm-dd``)" (README), and they key on the order's creation date in the **store's local time zone**
  (README, METRICS.md §6).
* A Sale's fields are those of ``Sale`` in ``orders-api.ts``; money is in pennies (the fixture's
  ``FinalTotal`` 4025 for a 3500 item plus 525 tax).
* ``orderStatus`` is lower case as served live (``"sold"``), although the docs' example shows ``"Sold"``
  (METRICS.md §5: "Live public orders return lowercase orderStatus"); the documented values are Pending,
  Cancelled and Sold.

Choices where the sources are silent (each easy to change, none confirmed by Flowhub):

1. Both date bounds are inclusive of the day they name (a week is asked as Monday..Sunday by the third-party
   dashboards that call this route). ``page`` is 1-based (default 1); ``page_size`` defaults to 100 and is at
   most 10000 (the largest page a third-party dashboard asks for); ``order_by`` sorts by ``createdAt``,
   ``asc`` by default. A bad ``page``/``page_size``/``order_by`` is a 400.
2. What is listed: each well-known location has seeded walk-in sales over the 60 days before the
   catalogue's date; every Order Ahead order is also a Sale of its location from the moment it is created,
   ``pending`` until it is ``sold`` (then ``completedOn`` is set) and ``cancelled`` once deleted or unable to
   complete/verify. Its ``orderId`` is the Order Ahead order id and ``id`` is ``sale-<orderId>``.
3. A Sale carries only the fields of the documented model (``orders-api.yaml``, as typed in flowhub-client-ts
   src/types/orders-api.ts ``Sale``): no order-level reference of the integrator's, which the create body has
   none of either. An integrator finds its own order again after a lost answer by what the Sale holds: its
   lines (``itemsInCart``), customer (``customerId``, ``fullName``) and ``createdAt``. (An earlier version of
   this sandbox invented an ``externalId`` here; nothing public shows one.)
4. ``findByCustomerId`` lists the sales of that customer id at the caller's locations; an id nobody has is
   an empty list, not a 404.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from cannasync.sandboxes._kit.gateway import VendorRoute
from cannasync.sandboxes._kit.values import iso_ms
from cannasync.sandboxes.flowhub.accounts import Account, caller
from cannasync.sandboxes.flowhub.catalog import CANNABIS_TAX_RATE, CATALOGUE_AS_OF
from cannasync.sandboxes.flowhub.common import JSON, ApiError, route
from cannasync.sandboxes.flowhub.orders import Orders

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 10000
SEEDED_SALES_PER_LOCATION = 40
_BUDTENDERS = (("emp-0001", "Riley Moore"), ("emp-0002", "Casey Nguyen"), ("emp-0003", "Jordan Patel"))

#: Order Ahead status → the Sale's ``orderStatus``.
_SALE_STATUS = {
    "sold": "sold",
    "deleted": "cancelled",
    "unableToComplete": "cancelled",
    "unableToVerify": "cancelled",
}


class QueryError(Exception):
    """A list query Flowhub refuses; ``status`` 404 for a date in the wrong format (as Flowhub answers), else 400."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _cents(value: object) -> int:
    """A price in pennies; a malformed catalogue price (a string, a negative) counts as 0 in a sale."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def cart_line(product: Mapping[str, Any], quantity: float, line_id: str) -> JSON:
    """One ``itemsInCart`` entry for ``quantity`` of ``product`` (orders-api.ts ``SaleItem``)."""
    unit_price, unit_cost = _cents(product.get("priceInMinorUnits")), _cents(product.get("costInMinorUnits"))
    total = round(unit_price * quantity)
    tax = round(total * CANNABIS_TAX_RATE) if product.get("category") != "Accessories" else round(total * 0.06)
    return {
        "id": line_id,
        "category": product.get("category"),
        "itemDiscounts": [],
        "parentProductId": product.get("parentProductId"),
        "productId": product.get("productId"),
        "productName": product.get("productName"),
        "quantity": quantity,
        "strainName": product.get("strainName"),
        "sku": product.get("sku"),
        "tax": [{"name": "Sales and excise", "thisTaxInPennies": tax}],
        "title1": product.get("parentProductName"),
        "title2": product.get("variantName"),
        "totalCost": round(unit_cost * quantity),
        "totalPrice": total,
        "unitOfWeight": "Grams" if product.get("isSoldByWeight") else "Each",
        "unitPrice": unit_price,
        "unitCost": unit_cost,
        "variantId": product.get("variantId"),
        "brand": product.get("brand"),
        "type": product.get("type"),
    }


def _totals(lines: Sequence[JSON], fees: int = 0) -> JSON:
    subtotal = sum(line["totalPrice"] for line in lines)
    taxes = sum(tax["thisTaxInPennies"] for line in lines for tax in line["tax"])
    return {
        "FinalTotal": subtotal + taxes + fees,
        "SubTotal": subtotal,
        "TotalDiscounts": 0,
        "TotalFees": fees,
        "TotalTaxes": taxes,
    }


def _sale(
    *,
    sale_id: str,
    order_id: str,
    client_id: str,
    location_id: str,
    created_at: str,
    status: str,
    order_type: str,
    customer: Mapping[str, Any] | None,
    customer_type: str,
    lines: list[JSON],
    fees: int = 0,
    completed_on: str | None = None,
    voided: bool = False,
    budtender: tuple[str, str] | None = None,
) -> JSON:
    staff_id, staff_name = budtender or (None, None)
    name = customer.get("name") if customer else None
    totals = _totals(lines, fees)
    return {
        "id": sale_id,
        "orderId": order_id,
        "clientId": client_id,
        "locationId": location_id,
        "createdAt": created_at,
        "completedOn": completed_on,
        "orderStatus": status,
        "orderType": order_type,
        "customerId": customer.get("id") if customer else None,
        "customerType": customer_type,
        "name": name,
        "fullName": name,
        "currentPoints": customer.get("loyaltyPoints", 0) if customer else 0,
        "budtender": staff_name,
        "budtenderId": staff_id,
        "fulfilledBy": staff_name,
        "fulfilledById": staff_id,
        "sentToFulfillmentBy": staff_name,
        "sentToFulfillmentById": staff_id,
        "integratorId": None,
        "originalSaleId": None,
        "itemsInCart": lines,
        "payments": (
            [{"paymentType": "cash", "amount": totals["FinalTotal"], "loyaltyPoints": 0}] if status == "sold" else []
        ),
        "totals": totals,
        "voided": voided,
    }


def seeded_sales(
    seed: int,
    client_id: str,
    stock: Mapping[str, Mapping[int, Any]],
    products: Mapping[int, Mapping[str, Any]],
    customers: Sequence[Mapping[str, Any]],
    malformed: Iterable[int],
) -> list[JSON]:
    """Walk-in sales at each location of ``stock`` over the 60 days before the catalogue's date."""
    rng = random.Random(f"flowhub-sales:{seed}")
    broken = set(malformed)
    sales: list[JSON] = []
    for location_id, carried in stock.items():
        choices = sorted(product_id for product_id in carried if product_id in products and product_id not in broken)
        if not choices:
            continue
        for number in range(1, SEEDED_SALES_PER_LOCATION + 1):
            created = CATALOGUE_AS_OF - timedelta(seconds=rng.randint(0, 60 * 86400))
            picked = rng.sample(choices, min(len(choices), rng.randint(1, 3)))
            lines = [
                cart_line(products[product_id], rng.randint(1, 3), f"{location_id}-{number}-{index}")
                for index, product_id in enumerate(picked, start=1)
            ]
            customer = rng.choice(customers) if customers and rng.random() < 0.7 else None
            roll = rng.random()
            status = "cancelled" if roll < 0.05 else "sold"
            completed = iso_ms(created + timedelta(minutes=rng.randint(2, 20))) if status == "sold" else None
            sales.append(
                _sale(
                    sale_id=f"sale-{location_id}-{number:04d}",
                    order_id=f"{location_id}-{number:06d}",
                    client_id=client_id,
                    location_id=location_id,
                    created_at=iso_ms(created),
                    status=status,
                    order_type="walk-in",
                    customer=customer,
                    customer_type=str(customer["type"]) if customer else "recCustomer",
                    lines=lines,
                    completed_on=completed,
                    voided=status == "sold" and roll > 0.95,
                    budtender=rng.choice(_BUDTENDERS),
                )
            )
    sales.sort(key=lambda sale: str(sale["createdAt"]))
    return sales


def sale_from_order(order: Mapping[str, Any], products: Mapping[int, Mapping[str, Any]], client_id: str) -> JSON:
    """The Sale an Order Ahead order is in the v1 lists (choice 2); ``order`` is the stored order."""
    lines = [
        cart_line(
            products.get(line["productId"], {"productId": line["productId"]}),
            line["quantityPurchased"],
            f"{order['orderId']}-{index}",
        )
        for index, line in enumerate(order.get("orderItems") or [], start=1)
    ]
    person = order.get("customer") or {}
    name = " ".join(part for part in (person.get("firstName"), person.get("lastName")) if part)
    status = _SALE_STATUS.get(order["status"], "pending")
    return _sale(
        sale_id=f"sale-{order['orderId']}",
        order_id=order["orderId"],
        client_id=client_id,
        location_id=order["locationId"],
        created_at=order["createdAt"],
        status=status,
        order_type=order["orderType"],
        customer={"id": order.get("customerId"), "name": name or None},
        customer_type="medCustomer" if person.get("medRecOrBoth") == "med" else "recCustomer",
        lines=lines,
        fees=sum(fee.get("amount", 0) for fee in order.get("fees") or []),
        completed_on=order["updatedAt"] if status == "sold" else None,
    )


def _local_day(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise QueryError(404, f"{name} must be in format yyyy-mm-dd")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise QueryError(404, f"{name} must be in format yyyy-mm-dd") from None


def _positive(value: str | None, name: str, default: int, most: int) -> int:
    if value is None:
        return default
    if not value.isdigit() or not 1 <= int(value) <= most:
        raise QueryError(400, f"{name} must be a whole number from 1 to {most}")
    return int(value)


def query(sales: Iterable[JSON], params: Mapping[str, str], time_zones: Mapping[str, str]) -> JSON:
    """``{"total", "orders"}`` for the list query ``params``; ``time_zones`` maps location id → IANA zone."""
    after = _local_day(params.get("created_after"), "created_after")
    before = _local_day(params.get("created_before"), "created_before")
    page = _positive(params.get("page"), "page", 1, 10**9)
    size = _positive(params.get("page_size"), "page_size", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    order_by = params.get("order_by", "asc")
    if order_by not in ("asc", "desc"):
        raise QueryError(400, "order_by must be asc or desc")

    def local_day(sale: JSON) -> date:
        moment = datetime.fromisoformat(str(sale["createdAt"]).replace("Z", "+00:00")).astimezone(UTC)
        return moment.astimezone(ZoneInfo(time_zones.get(sale["locationId"], "UTC"))).date()

    found = [
        sale
        for sale in sales
        if (after is None or local_day(sale) >= after) and (before is None or local_day(sale) <= before)
    ]
    found.sort(key=lambda sale: (str(sale["createdAt"]), str(sale["id"])), reverse=order_by == "desc")
    start = (page - 1) * size
    return {"total": len(found), "orders": found[start : start + size]}


class Sales(Orders):
    """The sandbox's part that lists sales: the seeded walk-in ones and those made from Order Ahead orders."""

    _sales: list[JSON]

    def _init_sales(self, seed: int, stock: Mapping[str, Mapping[int, Any]], customers: Sequence[JSON]) -> None:
        """Walk-in sales of the well-known locations (``stock``); Order Ahead orders are added as they come."""
        self._sales = seeded_sales(
            seed,
            self.accounts[0].client_id if self.accounts else "",
            stock,
            self._products,
            customers,
            self.malformed,
        )

    def sales(
        self,
        account: Account,
        params: Mapping[str, str],
        *,
        location_id: str | None = None,
        customer_id: str | None = None,
    ) -> JSON:
        """A v1 sales list: one location's, or one customer's at the caller's locations."""
        with self.lock:
            if location_id is not None:
                self._location(account, location_id)
            made = [
                sale_from_order(order, self._products, self._owner.get(order["locationId"], ""))
                for order in self._orders.values()
            ]
            candidates = [
                sale
                for sale in [*self._sales, *made]
                if (location_id is None or sale["locationId"] == location_id)
                and sale["locationId"] in account.location_ids
                and (customer_id is None or sale["customerId"] == customer_id)
            ]
        try:
            return query(candidates, params, self.time_zones())
        except QueryError as error:
            raise ApiError(error.status, error.message) from None


def routes(sandbox: Sales) -> list[VendorRoute]:
    async def sales_by_location(request: Request) -> Response:
        found = sandbox.sales(caller(request), request.query_params, location_id=request.path_params["importId"])
        return JSONResponse(found)

    async def sales_by_customer(request: Request) -> Response:
        found = sandbox.sales(caller(request), request.query_params, customer_id=request.path_params["customerId"])
        return JSONResponse(found)

    return [
        route("GET", "/v1/orders/findByLocationId/{importId}", sales_by_location, "api"),
        route("GET", "/v1/orders/findByCustomerId/{customerId}", sales_by_customer, "api"),
    ]
