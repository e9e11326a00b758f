"""What the brand-side "Orders read" permission set adds, read-only: ``/order-event-logs/``,
``/order-payments/`` (and an order's ``/orders-received/{number}/payments/``) and ``/order-sales-reps/``
(the lists in general: ``app.py``).

What each record is made of, since LeafLink publishes the shapes but not the data:

* ``/order-event-logs/`` (+ ``{id}``; filters ``id``, ``by``, ``order``), in the brand-side "Orders read"
  permission set: per order a ``created`` event at ``created_on`` by the buyer, and, once the order has left
  Draft, an event for its current status at ``modified`` by the order's last editor (``user``). It is the
  order's history as far as the sandbox keeps one (the sandbox stores no per-step log; choice L1).
* ``/order-payments/`` (+ ``{id}``, and ``/orders-received/{number}/payments/`` as a bare array, as the file
  has it), "Orders read": one payment of the whole total per paid order, dated ``paid_date``, its
  ``payment_type`` from the order's payment method (Cash → cash, Check → check, Wire Transfer → wire, ACH →
  ach), recorded by the company's first staff member.
* ``/order-sales-reps/`` (+ ``{id}``), "Orders read": one ``{id, order, rep, created_on}`` per sales rep on
  an order.

Ids are stable across reads: derived from the record they come from (the order number's last hex digits, a
product or customer id), never from a position in a list.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cannasync.sandboxes.leaflink.catalog import PAYMENT_METHODS, TERMS_BY_CODE, money
from cannasync.sandboxes.leaflink.filters import id_check
from cannasync.sandboxes.leaflink.gateway import API, seller
from cannasync.sandboxes.leaflink.paging import one, page
from cannasync.sandboxes.leaflink.sandbox import LeafLinkSandbox
from cannasync.sandboxes.leaflink.values import LEAFLINK_TZ, stamp

JSON = dict[str, Any]

#: Order status → the ``event_type`` of ``OrderEventLog`` that records reaching it.
STATUS_EVENTS: dict[str, str] = {
    "Submitted": "submitted",
    "Accepted": "accepted",
    "Backorder": "backordered",
    "Fulfilled": "fulfilled",
    "Shipped": "shipped",
    "Complete": "completed",
    "Rejected": "rejected",
    "Combined": "combined",
    "Cancelled": "cancelled",
}
PAYMENT_TYPES: dict[str, str] = {"Cash": "cash", "Check": "check", "Wire Transfer": "wire", "ACH": "ach"}


def _serial(number: str, index: int = 0) -> int:
    """A stable integer id for the ``index``-th record derived from an order (its UUID's last 7 hex digits)."""
    return int(number.replace("-", "")[-7:], 16) * 10 + index


class _OrderLists:
    def __init__(self, sandbox: LeafLinkSandbox) -> None:
        self.sandbox = sandbox

    def _author(self, username: str, order: JSON) -> str:
        for member in self.sandbox.staff.values():
            if member["username"] == username:
                return str(member["display_name"])
        company = self.sandbox.companies[order["company_id"]]
        if username == self.sandbox.api_user(order["company_id"]):
            return f"{company['name']} API"
        return str(self.sandbox._customers[order["customer_id"]]["name"])

    def event_logs(self, company_id: int) -> list[JSON]:
        records: list[JSON] = []
        with self.sandbox.lock:
            for order in self.sandbox._newest_first(lambda o: o["company_id"] == company_id):
                buyer = self.sandbox._customers[order["customer_id"]]
                created = stamp(order["created_on"])
                records.append(
                    {
                        "id": _serial(order["number"]),
                        "order": order["number"],
                        "author_name": buyer["name"],
                        "by": buyer["email"],
                        "event_type": "created",
                        "description": "Order created",
                        "created_on": created,
                        "modified": created,
                        "timestamp": created,
                        "changed_fields": {},
                        "source": "api" if order["manual"] else "app",
                        "source_detail": "",
                    }
                )
                event = STATUS_EVENTS.get(order["status"])
                if event is not None:
                    moved = stamp(order["modified"])
                    records.append(
                        {
                            "id": _serial(order["number"], 1),
                            "order": order["number"],
                            "author_name": self._author(order["user"], order),
                            "by": order["user"],
                            "event_type": event,
                            "description": f"Order {order['status'].lower()}",
                            "created_on": moved,
                            "modified": moved,
                            "timestamp": moved,
                            "changed_fields": {"status": order["status"]},
                            "source": "api" if order["user"] == self.sandbox.api_user(company_id) else "app",
                            "source_detail": "",
                        }
                    )
        return records

    def payments(self, company_id: int, number: str | None = None) -> list[JSON]:
        records: list[JSON] = []
        with self.sandbox.lock:
            recorder = min(sid for sid, s in self.sandbox.staff.items() if s["company"] == company_id)
            staff = self.sandbox.staff[recorder]
            for order in self.sandbox._newest_first(lambda o: o["company_id"] == company_id and o["paid"]):
                if number is not None and order["number"] != number.lower():
                    continue
                _, total = self.sandbox._totals(order)
                term = TERMS_BY_CODE.get(order["term_code"]) if order["term_code"] else None
                method = PAYMENT_METHODS[term.method_id] if term else None
                paid_on = order["paid_date"] or order["modified"].date().isoformat()
                paid_at = datetime.combine(datetime.fromisoformat(paid_on).date(), time(12), LEAFLINK_TZ)
                records.append(
                    {
                        "id": _serial(order["number"]),
                        "created_on": stamp(order["modified"]),
                        "modified": stamp(order["modified"]),
                        "order": order["number"],
                        "recorded_by": staff["user"],
                        "recorder_name": staff["display_name"],
                        "total": money(total),
                        "payment_date": stamp(paid_at),
                        "reason": "",
                        "payment_type": PAYMENT_TYPES.get(method or "", "other"),
                    }
                )
        return records

    def order_sales_reps(self, company_id: int) -> list[JSON]:
        with self.sandbox.lock:
            return [
                {
                    "id": _serial(order["number"], index),
                    "order": order["number"],
                    "rep": rep,
                    "created_on": stamp(order["created_on"]),
                }
                for order in self.sandbox._newest_first(lambda o: o["company_id"] == company_id)
                for index, rep in enumerate(order["sales_rep_ids"])
            ]

    # -- endpoints -----------------------------------------------------------------------------------

    async def event_logs_list(self, request: Request) -> Response:
        records = self.event_logs(seller(request, self.sandbox.companies))
        checks = id_check(request)
        by = request.query_params.get("by")
        if by:
            needle = by.lower()
            checks.append(lambda r: needle in r["by"].lower() or needle in r["author_name"].lower())
        order = request.query_params.get("order")
        if order:
            checks.append(lambda r: r["order"] == order.lower())
        return page(request, records, keep=checks)

    async def event_log(self, request: Request) -> Response:
        return one(self.event_logs(seller(request, self.sandbox.companies)), request.path_params["id"])

    async def payments_list(self, request: Request) -> Response:
        return page(request, self.payments(seller(request, self.sandbox.companies)))

    async def payment(self, request: Request) -> Response:
        return one(self.payments(seller(request, self.sandbox.companies)), request.path_params["id"])

    async def order_payments(self, request: Request) -> Response:
        company = seller(request, self.sandbox.companies)
        number = request.path_params["number"]
        self.sandbox.order(company, number, lines=False)  # 404 for an order the key cannot see
        return JSONResponse(self.payments(company, number))

    async def sales_reps_list(self, request: Request) -> Response:
        return page(request, self.order_sales_reps(seller(request, self.sandbox.companies)))

    async def sales_rep(self, request: Request) -> Response:
        return one(self.order_sales_reps(seller(request, self.sandbox.companies)), request.path_params["id"])


def routes(sandbox: LeafLinkSandbox) -> list[Route]:
    o = _OrderLists(sandbox)
    return [
        Route(f"{API}/order-event-logs/", o.event_logs_list, methods=["GET"]),
        Route(f"{API}/order-event-logs/{{id:int}}/", o.event_log, methods=["GET"]),
        Route(f"{API}/order-payments/", o.payments_list, methods=["GET"]),
        Route(f"{API}/order-payments/{{id:int}}/", o.payment, methods=["GET"]),
        Route(f"{API}/orders-received/{{number}}/payments/", o.order_payments, methods=["GET"]),
        Route(f"{API}/order-sales-reps/", o.sales_reps_list, methods=["GET"]),
        Route(f"{API}/order-sales-reps/{{id:int}}/", o.sales_rep, methods=["GET"]),
    ]
