"""Line items: ``/line-items/`` and an order's ``/orders-received/{number}/line-items/`` (under ``/api/v2``).

* ``GET /orders-received/{number}/line-items/`` → a bare array of LineItemResponse (as the file says);
  ``GET /line-items/`` (paged; ``order`` = number, ``product_id``, ``id``); ``POST /line-items/``
  (LineItemCreate with ``order``) → 201; ``GET|PATCH|DELETE /line-items/{id}/`` (LineItemUpdate; DELETE
  → 204). Lines can be added, changed or removed while the order is Draft, Submitted, Backorder or
  Accepted (else 400).

Choices where LeafLink's public material is silent
--------------------------------------------------
Each is a guess kept easy to change (numbered across the sandbox; the others are beside the code they govern).

5. Line items carry ``product`` as a string (``"10001"``) and ``quantity`` as a decimal string because
   the schema types them so; requests may send either. ``expand=product`` is ignored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cannasync.sandboxes.leaflink.errors import ApiError, detail, invalid, json_object, not_found
from cannasync.sandboxes.leaflink.filters import comma_list, int_param, key_company, time_compares
from cannasync.sandboxes.leaflink.gateway import API
from cannasync.sandboxes.leaflink.paging import page
from cannasync.sandboxes.leaflink.records import Records
from cannasync.sandboxes.leaflink.states import LINES_EDITABLE
from cannasync.sandboxes.leaflink.store import Line
from cannasync.sandboxes.leaflink.values import (
    read_boolean,
    read_decimal,
    read_integer,
    read_money,
    read_string,
    read_time,
)

JSON = dict[str, Any]


class LineItems(Records):
    """Reading, adding, changing and removing an order's lines (through the API; the buyer's edits are in
    ``marketplace.py``)."""

    def line_items(self, company_id: int, keep: Callable[[Line, JSON], bool]) -> list[JSON]:
        with self.lock:
            rows: list[JSON] = []
            for line_id in sorted(self._line_orders):
                order = self._orders[self._line_orders[line_id]]
                if order["company_id"] != company_id:
                    continue
                line = next(candidate for candidate in order["lines"] if candidate.id == line_id)
                if keep(line, order):
                    rows.append(self._line_json(line, order))
            return rows

    def order_lines(self, company_id: int, number: str) -> list[JSON]:
        with self.lock:
            order = self._order(company_id, number)
            return [self._line_json(line, order) for line in order["lines"]]

    def line_item(self, company_id: int, line_id: int) -> JSON:
        with self.lock:
            line, order = self._line(company_id, line_id)
            return self._line_json(line, order)

    def _line(self, company_id: int, line_id: int) -> tuple[Line, JSON]:
        number = self._line_orders.get(line_id)
        if number is None:
            raise not_found()
        order = self._orders[number]
        if order["company_id"] != company_id:
            raise not_found()
        return next(line for line in order["lines"] if line.id == line_id), order

    def _parse_api_lines(self, company_id: int, raw: object, name: str = "line_items") -> list[Line]:
        if not isinstance(raw, list) or not raw:
            raise invalid(name, "This list may not be empty.")
        lines: list[Line] = []
        for index, item in enumerate(raw, start=1):
            if not isinstance(item, dict):
                raise invalid(name, f"Line {index}: expected an object.")
            lines.append(self._parse_api_line(company_id, item, f"{name}[{index}]"))
        return lines

    def _parse_api_line(self, company_id: int, item: JSON, name: str) -> Line:
        missing = [f for f in ("product", "quantity", "ordered_unit_price", "sale_price") if f not in item]
        if missing:
            raise ApiError(400, {name: {f: ["This field is required."] for f in missing}})
        product_id = read_integer(item["product"], f"{name}.product")
        product = self._products.get(product_id)
        if product is None or product["company_id"] != company_id:
            raise invalid(f"{name}.product", f'Invalid pk "{product_id}" - object does not exist.')
        line = self._new_line(
            product_id,
            read_decimal(item["quantity"], f"{name}.quantity", positive=True),
            read_money(item["ordered_unit_price"], f"{name}.ordered_unit_price"),
            read_money(item["sale_price"], f"{name}.sale_price"),
        )
        self._apply_line_fields(line, item, name)
        return line

    def _apply_line_fields(self, line: Line, item: JSON, name: str) -> None:
        if "notes" in item:
            line.notes = read_string(item["notes"], f"{name}.notes", nullable=True)
        if "is_sample" in item:
            line.is_sample = read_boolean(item["is_sample"], f"{name}.is_sample")
        if "is_packed" in item:
            line.is_packed = read_boolean(item["is_packed"], f"{name}.is_packed")
        if "packed_at" in item:
            line.packed_at = read_time(item["packed_at"], f"{name}.packed_at")
        for field in ("packed_by", "position", "batch"):
            if field in item:
                value = item[field]
                setattr(line, field, None if value is None else read_integer(value, f"{name}.{field}"))

    def _editable(self, order: JSON, *, api: bool) -> None:
        if order["status"] not in LINES_EDITABLE:
            raise detail(400 if api else 409, f"Line items of an order in status {order['status']} cannot be changed.")

    def _replace_lines(self, order: JSON, lines: list[Line], user: str) -> JSON:
        changed = {**order, "lines": lines, "modified": self._tick(), "user": user}
        for line in order["lines"]:
            self._line_orders.pop(line.id, None)
        self._store_order(changed)
        self._reindex()
        return self._emit_order(changed)

    def create_line_item(self, company_id: int, body: JSON) -> JSON:
        with self.lock:
            if not body.get("order"):
                raise invalid("order", "This field is required.")
            order = self._order(company_id, str(body["order"]))
            self._editable(order, api=True)
            line = self._parse_api_line(company_id, body, "line_item")
            line.position = line.position or len(order["lines"]) + 1
            self._replace_lines(order, [*order["lines"], line], self.api_user(company_id))
            return self._line_json(line, self._orders[order["number"]])

    def update_line_item(self, company_id: int, line_id: int, body: JSON) -> JSON:
        with self.lock:
            line, order = self._line(company_id, line_id)
            self._editable(order, api=True)
            changed = Line(**asdict(line))
            if "quantity" in body:
                changed.quantity = read_decimal(body["quantity"], "quantity", positive=True)
            if "ordered_unit_price" in body:
                changed.ordered_unit_price = read_money(body["ordered_unit_price"], "ordered_unit_price")
            if "sale_price" in body:
                changed.sale_price = read_money(body["sale_price"], "sale_price")
            self._apply_line_fields(changed, body, "line_item")
            lines = [changed if candidate.id == line_id else candidate for candidate in order["lines"]]
            self._replace_lines(order, lines, self.api_user(company_id))
            return self._line_json(changed, self._orders[order["number"]])

    def delete_line_item(self, company_id: int, line_id: int) -> None:
        with self.lock:
            _, order = self._line(company_id, line_id)
            self._editable(order, api=True)
            if len(order["lines"]) == 1:
                raise detail(400, "An order needs at least one line item; cancel or delete the order instead.")
            lines = [candidate for candidate in order["lines"] if candidate.id != line_id]
            self._replace_lines(order, lines, self.api_user(company_id))


class _Endpoints:
    def __init__(self, sandbox: LineItems) -> None:
        self.sandbox = sandbox

    async def list_line_items(self, request: Request) -> Response:
        order = request.query_params.get("order")
        product = request.query_params.get("product_id")
        line_id = int_param(request, "id")
        name = request.query_params.get("product__name")
        customers = comma_list(request, "order__customers")
        # ``order__created_on__*``, ``order__modified__*`` and ``order__ship_date__*`` read the line's order.
        order_checks = time_compares(request, ("order__created_on", "order__modified", "order__ship_date"))
        products = self.sandbox._products

        def keep(line: Line, parent: JSON) -> bool:
            view = {
                "order__created_on": parent["created_on"],
                "order__modified": parent["modified"],
                "order__ship_date": parent["ship_date"],
            }
            return (
                (not order or parent["number"] == order.lower())
                and (not product or str(line.product_id) == product)
                and (line_id is None or line.id == line_id)
                and (not name or str(products.get(line.product_id, {}).get("name", "")).lower() == name.lower())
                and (customers is None or str(parent["customer_id"]) in customers)
                and all(view[c.field] is not None and c(view) for c in order_checks)
            )

        return page(request, self.sandbox.line_items(key_company(request), keep), route="/line-items/")

    async def create_line_item(self, request: Request) -> Response:
        body = await json_object(request)
        return JSONResponse(self.sandbox.create_line_item(key_company(request), body), status_code=201)

    async def get_line_item(self, request: Request) -> Response:
        return JSONResponse(self.sandbox.line_item(key_company(request), request.path_params["id"]))

    async def update_line_item(self, request: Request) -> Response:
        body = await json_object(request)
        return JSONResponse(self.sandbox.update_line_item(key_company(request), request.path_params["id"], body))

    async def delete_line_item(self, request: Request) -> Response:
        self.sandbox.delete_line_item(key_company(request), request.path_params["id"])
        return Response(status_code=204)

    async def order_lines(self, request: Request) -> Response:
        return JSONResponse(self.sandbox.order_lines(key_company(request), request.path_params["number"]))


def order_line_routes(sandbox: LineItems) -> list[Route]:
    """``GET /orders-received/{number}/line-items/`` (served among the order routes)."""
    return [Route(f"{API}/orders-received/{{number}}/line-items/", _Endpoints(sandbox).order_lines, methods=["GET"])]


def routes(sandbox: LineItems) -> list[Route]:
    api = _Endpoints(sandbox)
    return [
        Route(f"{API}/line-items/", api.list_line_items, methods=["GET"]),
        Route(f"{API}/line-items/", api.create_line_item, methods=["POST"]),
        Route(f"{API}/line-items/{{id:int}}/", api.get_line_item, methods=["GET"]),
        Route(f"{API}/line-items/{{id:int}}/", api.update_line_item, methods=["PATCH"]),
        Route(f"{API}/line-items/{{id:int}}/", api.delete_line_item, methods=["DELETE"]),
    ]
